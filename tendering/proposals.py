"""The provider's proposal: save a draft, submit, revise, withdraw — until the deadline on the server clock.

Proposals are sealed: nothing here is shown to council users, and the audit rows carry only ids, the status
and the revision number (never prices or answer text). Every save writes a `ProposalRevision` snapshot.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import User
from portal.core.services import ServiceError
from tendering import invitations
from tendering.models import (LIVE_PROPOSAL_STATUSES, OUTCOMES, Proposal, ProposalRevision, ProposalService,
                              Referral, ReferralProvider)

STATUS_LABELS = {"draft": "Draft", "submitted": "Submitted", "withdrawn": "Withdrawn"}
STATUS_TAGS = {"draft": "govuk-tag--grey", "submitted": "govuk-tag--green", "withdrawn": "govuk-tag--red"}
ALREADY = "Your organisation already has a proposal for this referral. Open it from the referral page"


class ProposalError(ServiceError):
    """A change that cannot be accepted. `errors` maps form field ids to messages ('' for the whole page)."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {"": message}


def essential_needs(row: ReferralProvider) -> list:
    return [n for n in row.referral.needs if n.essential]


def live_proposal(row: ReferralProvider, *, lock: bool = False) -> Proposal | None:
    stmt = select(Proposal).where(Proposal.referral_id == row.referral_id, Proposal.provider_id == row.provider_id,
                                  Proposal.status.in_(LIVE_PROPOSAL_STATUSES))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(stmt).first()


def latest_proposal(row: ReferralProvider) -> Proposal | None:
    """The live proposal, else the most recently withdrawn one (for the read-only view)."""
    return live_proposal(row) or db.session.scalars(
        select(Proposal).where(Proposal.referral_id == row.referral_id, Proposal.provider_id == row.provider_id)
        .order_by(Proposal.id.desc())).first()


def revisions(proposal: Proposal) -> list[ProposalRevision]:
    return list(db.session.scalars(select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)
                                   .order_by(ProposalRevision.number.desc())))


def refusal(row: ReferralProvider, now=None) -> str | None:
    """Why the provider may not change its proposal now, or None. Server clock, to the second."""
    if row.declined_at is not None:
        return "Your organisation has declined this referral, so it cannot send a proposal"
    if row.referral.status != "published":
        return "This referral is no longer open for proposals"
    if not invitations.is_open(row, now):
        return "The response deadline has passed. Proposals can no longer be changed"
    return None


def _check_open(row: ReferralProvider) -> datetime:
    """Refuse unless open now; returns the moment checked, to stamp the change with.

    The referral row is share-locked until the caller commits, so the closing job (which locks it for
    update) waits for a change that passed this check, and a change arriving while it closes sees it closed:
    no proposal can slip in after the closing job fixed the blind order, or carry a time after the deadline."""
    db.session.execute(select(Referral.id).where(Referral.id == row.referral_id).with_for_update(read=True))
    db.session.refresh(row.referral, ["status", "response_deadline"])
    now = utcnow()
    reason = refusal(row, now)
    if reason:
        raise ProposalError(reason)
    return now


def blind_findings(data: dict, names: list[str]) -> dict[str, str]:
    """Free-text answers that name the provider or its home: panel members score blind."""
    names = [n.strip() for n in names if n and n.strip()]
    found: dict[str, str] = {}
    texts = [(f"outcome-{c}", OUTCOMES[c], v) for c, v in data.get("outcome_answers", {}).items()]
    texts += [(f"need-{c}", "Your answer for this need", v) for c, v in data.get("need_answers", {}).items()]
    texts += [("staffing", "Staffing", data.get("staffing")), ("education_offer", "Education offer",
                                                               data.get("education_offer"))]
    texts += [(f"service-{n}-description", f"Service {n}", s["description"])
              for n, s in enumerate(data.get("services", []), start=1)]
    for field, label, value in texts:
        lowered = (value or "").lower()
        for name in names:
            if name.lower() in lowered:
                found[field] = (f"{label}: remove \u201c{name}\u201d. Panel members score proposals without "
                                "knowing who sent them")
                break
    return found


def _completeness(row: ReferralProvider, data: dict) -> dict[str, str]:
    errors = {}
    if data.get("setting_id") is None:
        errors["setting"] = "Select the home you are offering"
    for code, label in OUTCOMES.items():
        if not data["outcome_answers"].get(code):
            errors[f"outcome-{code}"] = f"Enter your answer for {label.lower()}"
    for need in essential_needs(row):
        if not data["need_answers"].get(need.need_code):
            errors[f"need-{need.need_code}"] = f"Enter how you will meet the need: {need.need.label.lower()}"
    if not data.get("staffing"):
        errors["staffing"] = "Enter your staffing"
    if not data.get("education_offer"):
        errors["education_offer"] = "Enter your education offer"
    if data.get("start_date") is None:
        errors["start_date"] = "Enter the proposed start date"
    elif data["start_date"] < utcnow().date():
        errors["start_date"] = "Proposed start date must be today or in the future"
    if data.get("weekly_core_fee_pence") is None:
        errors["core_fee"] = "Enter the weekly core fee"
    if data.get("notice_period_weeks") is None:
        errors["notice_period"] = "Enter the notice period in weeks"
    return errors


def snapshot(proposal: Proposal) -> dict:
    """The full content of a proposal, as stored in a revision (JSON-safe)."""
    return {
        "status": proposal.status,
        "setting_id": proposal.setting_id,
        "setting_name": proposal.setting.name if proposal.setting else None,
        "outcome_answers": dict(proposal.outcome_answers or {}),
        "need_answers": dict(proposal.need_answers or {}),
        "staffing": proposal.staffing,
        "education_offer": proposal.education_offer,
        "start_date": proposal.start_date.isoformat() if proposal.start_date else None,
        "weekly_core_fee_pence": proposal.weekly_core_fee_pence,
        "notice_period_weeks": proposal.notice_period_weeks,
        "services": [{"description": s.description, "unit": s.unit, "unit_price_pence": s.unit_price_pence,
                      "quantity_per_week": _quantity(s.quantity_per_week), "weeks": s.weeks}
                     for s in proposal.services],
    }


def readable(content: dict) -> dict:
    """A snapshot ready for the page: the start date as a date again."""
    start = content.get("start_date")
    return {**content, "start_date": date.fromisoformat(start) if start else None}


def _quantity(value) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _audit_after(proposal: Proposal) -> dict:
    return {"referral_id": proposal.referral_id, "proposal_id": proposal.id, "provider_id": proposal.provider_id,
            "status": proposal.status, "revision": proposal.revision}


def _create(row: ReferralProvider, actor: User) -> Proposal:
    proposal = Proposal(referral_id=row.referral_id, provider_id=row.provider_id, status="draft", revision=0,
                        outcome_answers={}, need_answers={}, created_by_id=actor.id)
    try:
        with db.session.begin_nested():  # a concurrent start hits the partial unique index: refuse, never 500
            db.session.add(proposal)
            db.session.flush()
    except IntegrityError:
        raise ProposalError(ALREADY) from None
    return proposal


def save(row: ReferralProvider, actor: User, data: dict, *, submit: bool) -> Proposal:
    """Save a draft (values given must be valid) or submit (everything required). Writes a revision and audits.
    Raises ProposalError (with per-field errors) and writes nothing when refused."""
    now = _check_open(row)
    homes = {h.id: h for h in invitations.matched_homes(row)}
    errors: dict[str, str] = {}
    if data.get("setting_id") is not None and data["setting_id"] not in homes:
        errors["setting"] = "Select one of your homes that matched this referral"
    codes = {n.need_code for n in essential_needs(row)}
    data = {**data, "need_answers": {k: v for k, v in data.get("need_answers", {}).items() if k in codes}}
    if submit:
        errors = {**_completeness(row, data), **errors}
        setting = homes.get(data.get("setting_id"))
        errors.update({k: v for k, v in blind_findings(
            data, [row.provider.name, setting.name if setting else ""]).items() if k not in errors})
    if errors:
        raise ProposalError("There is a problem with your proposal", errors)

    proposal = live_proposal(row, lock=True)
    if proposal is None:
        proposal = _create(row, actor)
    elif proposal.status == "submitted" and not submit:
        raise ProposalError("This proposal has been submitted. Submit your changes, or leave it as it is",
                            {"": "This proposal has been submitted. Submit your changes, or leave it as it is"})
    proposal.setting_id = data.get("setting_id")
    proposal.outcome_answers = dict(data.get("outcome_answers", {}))
    proposal.need_answers = dict(data["need_answers"])
    proposal.staffing, proposal.education_offer = data.get("staffing"), data.get("education_offer")
    proposal.start_date = data.get("start_date")
    proposal.weekly_core_fee_pence = data.get("weekly_core_fee_pence")
    proposal.notice_period_weeks = data.get("notice_period_weeks")
    proposal.services.clear()
    db.session.flush()
    for position, s in enumerate(data.get("services", [])):
        proposal.services.append(ProposalService(position=position, description=s["description"], unit=s["unit"],
                                                 unit_price_pence=s["unit_price_pence"],
                                                 quantity_per_week=Decimal(str(s["quantity_per_week"])),
                                                 weeks=s["weeks"]))
    if submit:
        proposal.status, proposal.submitted_at = "submitted", now
    proposal.revision += 1
    db.session.flush()
    db.session.refresh(proposal, ["setting", "services"])
    db.session.add(ProposalRevision(proposal_id=proposal.id, number=proposal.revision, status=proposal.status,
                                    content=snapshot(proposal), created_by_id=actor.id))
    record("proposal.submitted" if submit else "proposal.saved", "proposal", proposal.id, actor=actor,
           organisation_id=row.provider_id, after=_audit_after(proposal))
    db.session.flush()
    return proposal


def withdraw(row: ReferralProvider, actor: User) -> Proposal:
    now = _check_open(row)
    proposal = live_proposal(row, lock=True)
    if proposal is None:
        raise ProposalError("Your organisation has no proposal to withdraw")
    before = _audit_after(proposal)
    proposal.status, proposal.withdrawn_at = "withdrawn", now
    record("proposal.withdrawn", "proposal", proposal.id, actor=actor, organisation_id=row.provider_id,
           before=before, after=_audit_after(proposal))
    db.session.flush()
    return proposal


def form_values(proposal: Proposal | None) -> dict:
    """The raw form values that show a stored proposal on the page."""
    if proposal is None:
        return {}
    values = {"setting": str(proposal.setting_id or ""), "staffing": proposal.staffing or "",
              "education_offer": proposal.education_offer or "",
              "core_fee": f"{proposal.weekly_core_fee_pence / 100:.2f}" if proposal.weekly_core_fee_pence else "",
              "notice_period": "" if proposal.notice_period_weeks is None else str(proposal.notice_period_weeks)}
    values.update({f"outcome-{c}": v for c, v in (proposal.outcome_answers or {}).items()})
    values.update({f"need-{c}": v for c, v in (proposal.need_answers or {}).items()})
    if isinstance(proposal.start_date, date):
        values.update({"start_date-day": str(proposal.start_date.day), "start_date-month":
                       str(proposal.start_date.month), "start_date-year": str(proposal.start_date.year)})
    for n, s in enumerate(proposal.services, start=1):
        values.update({f"service-{n}-description": s.description, f"service-{n}-unit": s.unit,
                       f"service-{n}-price": f"{s.unit_price_pence / 100:.2f}",
                       f"service-{n}-quantity": _quantity(s.quantity_per_week),
                       f"service-{n}-weeks": str(s.weeks)})
    return values


def invitation_context(row: ReferralProvider) -> dict:
    """What the invitation page shows about the provider's own proposal."""
    return {"proposal": latest_proposal(row), "proposal_refusal": refusal(row),
            "proposal_labels": STATUS_LABELS, "proposal_tags": STATUS_TAGS}
