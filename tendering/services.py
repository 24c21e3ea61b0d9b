"""Referral services: start one, list a council's referrals, the anonymisation gate and publishing,
and the provider's view of a referral (only what providers may see)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import User
from portal.models import LOT_KINDS, Dps, Lot, dps_council
from tendering.anonymiser import scan_fields
from tendering.authoring import FIELD_SECTIONS, SECTIONS, completion
from tendering.models import (DURATIONS, EDUCATION_STATUSES, FREE_TEXT_FIELDS, LEGAL_STATUSES, OUTCOMES,
                              REFERRAL_STATUSES, SEXES, Referral)

STATUS_LABELS = {"draft": "Draft", "published": "Open for proposals", "closed": "Closed",
                 "quality_evaluated": "Quality evaluated", "price_evaluated": "Price evaluated",
                 "awarded": "Awarded", "placed": "Placed", "cancelled": "Cancelled",
                 "no_suitable_proposal": "No suitable proposal"}
STATUS_TAGS = {"draft": "govuk-tag--grey", "published": "govuk-tag--blue", "closed": "govuk-tag--purple",
               "quality_evaluated": "govuk-tag--yellow", "price_evaluated": "govuk-tag--yellow",
               "awarded": "govuk-tag--green", "placed": "govuk-tag--green", "cancelled": "govuk-tag--red",
               "no_suitable_proposal": "govuk-tag--orange"}
assert set(STATUS_LABELS) == set(REFERRAL_STATUSES)


class ReferralError(Exception):
    """A request the rules refuse; the message is fit to show the officer."""


@dataclass(frozen=True)
class Problem:
    """One reason publishing is refused: the message and the section that fixes it."""

    section: str
    message: str


def council_lots(user: User) -> list[Lot]:
    """The lots of every DPS the officer's council belongs to."""
    stmt = (select(Lot).join(Dps).join(dps_council, dps_council.c.dps_id == Dps.id)
            .where(dps_council.c.council_id == user.organisation_id).order_by(Dps.name, Lot.id))
    return list(db.session.scalars(stmt))


LIST_COLUMNS = (Referral.id, Referral.council_id, Referral.case_reference, Referral.lot_id, Referral.status,
                Referral.created_at, Referral.response_deadline)


def _council_referrals_query(user: User, status: str | None = None):
    stmt = select(Referral).where(Referral.council_id == user.organisation_id)
    if status in REFERRAL_STATUSES:
        stmt = stmt.where(Referral.status == status)
    return stmt


def council_referrals(user: User, status: str | None = None) -> list[Referral]:
    stmt = _council_referrals_query(user, status)
    return list(db.session.scalars(stmt.order_by(Referral.created_at.desc(), Referral.id.desc())))


def page_of_council_referrals(user: User, status: str | None, page: int, size: int) -> tuple[list[Referral], int]:
    """One page of council_referrals (same order) and the total count."""
    stmt = _council_referrals_query(user, status)
    total = db.session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    # Only the columns the list shows (the JSON fields of 50 specifications cost more than the page);
    # ix_referral_council_created gives the order without a sort.
    rows = list(db.session.scalars(stmt.options(load_only(*LIST_COLUMNS), joinedload(Referral.lot))
                                   .order_by(Referral.created_at.desc(), Referral.id.desc())
                                   .limit(size).offset((page - 1) * size)))
    return rows, total


def due_council_referrals(user: User, now) -> list[Referral]:
    """The council's published referrals whose response deadline has passed (closing.close_if_due closes them)."""
    return list(db.session.scalars(select(Referral).where(
        Referral.council_id == user.organisation_id, Referral.status == "published",
        Referral.response_deadline.is_not(None), Referral.response_deadline <= now).order_by(Referral.id)))


def create_referral(actor: User, lot_id: int) -> Referral:
    lot = next((lot for lot in council_lots(actor) if lot.id == lot_id), None)
    if lot is None:
        raise ReferralError("Select a lot of a DPS your council belongs to")
    referral = Referral(council_id=actor.organisation_id, dps_id=lot.dps_id, lot_id=lot.id, created_by_id=actor.id,
                        status="draft")
    db.session.add(referral)
    db.session.flush()
    record("referral.created", "referral", referral.id, after={"dps_id": lot.dps_id, "lot_id": lot.id},
           actor=actor, organisation_id=actor.organisation_id)
    return referral


def anonymisation_findings(referral: Referral) -> list[Problem]:
    """Every finding of the anonymisation gate, named with its field. Internal-only fields are not scanned."""
    found = scan_fields({field: getattr(referral, field) or "" for field in FREE_TEXT_FIELDS})
    problems = []
    for field in FREE_TEXT_FIELDS:
        section, label = FIELD_SECTIONS[field]
        problems += [Problem(section, f"{label}: {finding.message()}") for finding in found.get(field, [])]
    return problems


def publish_problems(referral: Referral) -> list[Problem]:
    problems = [Problem(name, f"Complete the section '{SECTIONS[name].title}'")
                for name, done in completion(referral).items() if not done]
    if referral.response_deadline is not None and referral.response_deadline <= utcnow():
        problems.append(Problem("timing", "The response deadline has passed – set a deadline in the future"))
    cutoff, deadline = referral.clarification_cutoff, referral.response_deadline
    if cutoff is not None and deadline is not None and cutoff >= deadline:
        problems.append(Problem("timing", "The clarification cut-off must be before the response deadline"))
    return problems + anonymisation_findings(referral)


class PublishRefused(ReferralError):
    def __init__(self, problems: list[Problem]):
        super().__init__("This referral cannot be published yet")
        self.problems = problems


def publish(referral: Referral, actor: User) -> list:
    """Publish the referral and distribute it; raises PublishRefused (nothing changed) while any problem remains.
    Returns the providers invited."""
    from tendering.distribution import distribute
    from tendering.lifecycle import transition

    if referral.status != "draft":
        raise PublishRefused([Problem("", "Only a draft referral can be published")])
    problems = publish_problems(referral)
    if problems:
        raise PublishRefused(problems)
    transition(referral, "published", actor)
    rows = distribute(referral, actor)
    return [row for row in rows if getattr(row, "invited", True)]


def provider_view(referral: Referral) -> dict:
    """Only what an invited provider may see. Never the case reference, budget, internal notes, the council's
    contact details or anything else that could identify the child."""
    lot = referral.lot
    return {
        "id": referral.id,
        "status": referral.status,
        "dps": referral.dps.name if referral.dps else None,
        "lot": lot.name if lot else None,
        "lot_kind": lot.kind if lot else None,
        "lot_kind_label": LOT_KINDS[lot.kind][0] if lot else None,
        "age": referral.age,
        "sex": referral.sex,
        "sex_label": SEXES.get(referral.sex or ""),
        "legal_status": referral.legal_status,
        "legal_status_label": LEGAL_STATUSES.get(referral.legal_status or ""),
        "group_size": referral.group_size,
        "solo": referral.group_size == 1,
        "needs": [{"code": n.need_code, "label": n.need.label if n.need else n.need_code, "severity": n.severity,
                   "essential": n.essential} for n in referral.needs],
        "cultural_needs": referral.cultural_needs,
        "religious_needs": referral.religious_needs,
        "language_needs": referral.language_needs,
        "education_status": referral.education_status,
        "education_status_label": EDUCATION_STATUSES.get(referral.education_status or ""),
        "education_notes": referral.education_notes,
        "outcomes": {code: {"label": label, "text": referral.outcome_text(code)} for code, label in OUTCOMES.items()},
        "what_matters": referral.what_matters,
        "preferred_district": referral.preferred_district,
        "max_distance_miles": referral.max_distance_miles,
        "avoid_districts": list(referral.avoid_districts or []),
        "emergency": referral.emergency,
        "start_date": referral.start_date,
        "expected_duration": referral.expected_duration,
        "expected_duration_label": DURATIONS.get(referral.expected_duration or ""),
        "response_deadline": referral.response_deadline,
        "clarification_cutoff": referral.clarification_cutoff,
        "published_at": referral.published_at,
        "evaluation": {"min_outcome_score": referral.min_outcome_score,
                       "quality_threshold": referral.quality_threshold,
                       "outcome_weights": dict(referral.outcome_weights or {}),
                       "price_method": referral.price_method, "quality_weight": referral.quality_weight,
                       "price_weight": 100 - referral.quality_weight},
    }
