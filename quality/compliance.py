"""The compliance engine: runs the rules (quality.compliance_rules) for a provider or a setting, stores the
worst result with its reasons in ComplianceStatus, records every change (ComplianceChange, audit, inbox and
email to the provider's admins and the QA officers of the councils on its DPSs) and acts on suspensions.

Status = the worst rule result: compliant < warning < at_risk < non_compliant < suspended.

Acting on a result (DESIGN.md "Architecture": quality writes onto portal's own objects, the matcher reads them):
- Setting: a suspension-level result sets Setting.suspended with a reason starting "Compliance: ". The engine
  lifts automatically only the suspensions it wrote, once no rule wants them. Suspensions written by anyone
  else (the Ofsted import, a DPS manager) stand as a "held suspension" until a DPS manager lifts them here,
  as portal/ofsted.py says: when a suspended home improves, a person decides.
- Provider: when the insurance rule reaches "suspended" (14 days' grace over) every admitted DPS admission
  is moved to "suspended" through portal.admissions.transition, so the ALLOWED map, audit row and the
  provider's "application_suspended" notice all apply. transition() lets only a DPS manager of that DPS
  suspend, so the engine acts as EngineActor: a non-human actor acting for the DPS's first council (it has
  no user id, so the audit row has no actor but names that council). Reinstating needs a DPS manager (lift).
- Lift: a DPS manager lifts a suspension with a reason (lifted_at/lifted_reason/lifted_by_id). Afterwards a
  suspension-level result from a rule that was already failing at the lift (failing_since <= lifted_at) is
  shown as non_compliant and does not suspend again. If that rule passes and later fails afresh (a new
  failing_since), it suspends again.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.admissions import dps_ids_for, transition
from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User, UserRole
from portal.core.services import ServiceError
from portal.models import DpsApplication, Setting, dps_council
from quality.compliance_rules import (COMPLIANCE_PREFIX, PROVIDER_RULES, SETTING_RULES, Context, Prefetch, Result)
from quality.models import COMPLIANCE_STATUSES, ComplianceChange, ComplianceStatus

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
ORDER = {status: i for i, status in enumerate(COMPLIANCE_STATUSES)}
LABELS = {"compliant": "Compliant", "warning": "Warning", "at_risk": "At risk", "non_compliant": "Non-compliant",
          "suspended": "Suspended"}
TAGS = {"compliant": "govuk-tag--green", "warning": "govuk-tag--yellow", "at_risk": "govuk-tag--orange",
        "non_compliant": "govuk-tag--red", "suspended": "govuk-tag--purple"}
MAX_REASON = 2000


class ComplianceError(ServiceError):
    """A compliance action was refused; nothing was written."""


class EngineActor:
    """The compliance engine acting for a DPS's council in portal.admissions.transition (see module doc)."""

    id = None
    name = "Compliance rules"
    email = None

    def __init__(self, council_id: int):
        self.organisation_id = council_id

    def has_role(self, *roles: str) -> bool:
        return "dps_manager" in roles


def worst(results: list[Result]) -> str:
    return max((r.status for r in results), key=ORDER.__getitem__, default="compliant")


def _link(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def status_for(subject_type: str, subject_id: int) -> ComplianceStatus | None:
    return db.session.scalar(select(ComplianceStatus).where(ComplianceStatus.subject_type == subject_type,
                                                            ComplianceStatus.subject_id == subject_id))


def _row(subject_type: str, subject_id: int, provider_id: int, *, known_missing: bool = False) -> ComplianceStatus:
    """The subject's status row, added if it has none. known_missing: the caller has already looked (a batch)."""
    row = None if known_missing else status_for(subject_type, subject_id)
    if row is None:
        row = ComplianceStatus(subject_type=subject_type, subject_id=subject_id, provider_id=provider_id,
                               status="compliant", reasons=[], failing_since={})
        db.session.add(row)
    return row


def _run(rules, subject, row: ComplianceStatus, now: datetime, prefetch: Prefetch | None = None
         ) -> tuple[list[Result], dict[str, str]]:
    """Run the rules; keep when each failing rule first failed; apply a DPS manager's lift."""
    ctx = Context(now=now, today=now.astimezone(LONDON).date(), failing_since=dict(row.failing_since or {}),
                  prefetch=prefetch)
    results = [r for r in (rule(subject, ctx) for rule in rules) if r is not None]
    since = {r.rule: ctx.failing_since.get(r.rule) or now.isoformat() for r in results}
    if row.lifted_at is not None:
        lifted_on = row.lifted_at.astimezone(LONDON).date()
        results = [Result(r.rule, "non_compliant", f"{r.reason} (suspension lifted by a DPS manager on "
                                                   f"{lifted_on.day} {lifted_on:%B %Y}: {row.lifted_reason})")
                   if r.status == "suspended" and r.rule != "held_suspension"
                   and datetime.fromisoformat(since[r.rule]) <= row.lifted_at else r
                   for r in results]
    return results, since


def recipients(provider_id: int) -> list[User]:
    """The provider's active admins and the QA officers of every council on a DPS the provider is on."""
    councils = select(dps_council.c.council_id).join(
        DpsApplication, DpsApplication.dps_id == dps_council.c.dps_id).where(
        DpsApplication.provider_id == provider_id, DpsApplication.status != "draft")
    admins = db.session.scalars(select(User).join(UserRole).where(
        User.organisation_id == provider_id, User.status == "active", UserRole.role == "provider_admin")
        .order_by(User.id)).all()
    officers = db.session.scalars(select(User).join(UserRole).where(
        User.organisation_id.in_(councils), User.status == "active", UserRole.role == "qa_officer")
        .order_by(User.id)).all()
    return list({u.id: u for u in [*admins, *officers]}.values())


def subject_name(subject_type: str, subject_id: int) -> str:
    model = Setting if subject_type == "setting" else Organisation
    obj = db.session.get(model, subject_id)
    return obj.name if obj else f"{subject_type} {subject_id}"


def _store(row: ComplianceStatus, old: str | None, results: list[Result], since: dict, now: datetime, actor=None
           ) -> ComplianceChange | None:
    """old: the stored status before this evaluation, None for a subject never evaluated before."""
    new = worst(results)
    row.reasons, row.failing_since, row.evaluated_at = [r.as_dict() for r in results], since, now
    if new == (old or "compliant"):
        return None
    row.status, row.changed_at = new, now
    db.session.flush()
    change = ComplianceChange(subject_type=row.subject_type, subject_id=row.subject_id, provider_id=row.provider_id,
                              from_status=old, to_status=new, reasons=row.reasons,
                              actor_id=getattr(actor, "id", None), changed_at=now)
    db.session.add(change)
    db.session.flush()
    record("compliance.changed", row.subject_type, row.subject_id, before={"status": old},
           after={"status": new, "reasons": row.reasons, "change_id": change.id},
           actor=actor if isinstance(actor, User) else None, organisation_id=row.provider_id)
    name = subject_name(row.subject_type, row.subject_id)
    provider = db.session.get(Organisation, row.provider_id)
    for user in recipients(row.provider_id):
        link = (_link("compliance.mine") if user.organisation_id == row.provider_id
                else _link("compliance.provider", provider_id=row.provider_id))
        notify(user, "compliance_changed", "compliance_change", change.id, link=link, name=name,
               provider=provider, change=change, labels=LABELS, subject_type=row.subject_type)
    return change


def _act_on_setting(setting: Setting, results: list[Result]) -> None:
    wanted = [r for r in results if r.status == "suspended" and r.rule != "held_suspension"]
    mine = (setting.suspended_reason or "").startswith(COMPLIANCE_PREFIX)
    before = {"suspended": setting.suspended, "suspended_reason": setting.suspended_reason}
    if wanted and not setting.suspended:
        setting.suspended = True
        setting.suspended_reason = COMPLIANCE_PREFIX + "; ".join(r.reason for r in wanted)
        record("setting.compliance_suspended", "setting", setting.id, before=before,
               after={"suspended": True, "suspended_reason": setting.suspended_reason},
               organisation_id=setting.provider_id)
    elif not wanted and setting.suspended and mine:
        setting.suspended, setting.suspended_reason = False, None
        record("setting.compliance_reinstated", "setting", setting.id, before=before,
               after={"suspended": False, "suspended_reason": None}, organisation_id=setting.provider_id)


def _act_on_provider(provider: Organisation, results: list[Result]) -> bool:
    wanted = [r for r in results if r.status == "suspended" and r.rule != "held_suspension"]
    if not wanted:
        return False
    reason = COMPLIANCE_PREFIX + "; ".join(r.reason for r in wanted)
    acted = False
    for application in db.session.scalars(select(DpsApplication).where(
            DpsApplication.provider_id == provider.id, DpsApplication.status == "admitted")
            .order_by(DpsApplication.id)).all():
        if not application.dps.councils:
            log.warning("DPS %s has no council: cannot suspend application %s", application.dps_id, application.id)
            continue
        transition(application, "suspended", EngineActor(application.dps.councils[0].id), reason=reason)
        acted = True
    return acted


def evaluate_setting(setting: Setting, now: datetime | None = None, actor=None, *, prefetch: Prefetch | None = None,
                     row: ComplianceStatus | None = None) -> ComplianceChange | None:
    now = now or utcnow()
    row = row or _row("setting", setting.id, setting.provider_id)
    old = row.status if row.id is not None else None
    results, since = _run(SETTING_RULES, setting, row, now, prefetch)
    _act_on_setting(setting, results)
    return _store(row, old, results, since, now, actor)


def evaluate_settings(setting_ids, now: datetime | None = None) -> list[ComplianceChange]:
    """Many settings at once (an Ofsted import's batch, bulk vacancy confirmation): the settings, their
    vacancies, status rows, overdue actions and returns in a few queries, then the rules on each."""
    now = now or utcnow()
    ids = sorted({i for i in setting_ids if i is not None})
    if not ids:
        return []
    settings = db.session.scalars(select(Setting).where(Setting.id.in_(ids)).options(selectinload(Setting.vacancy))
                                  .order_by(Setting.id)).all()
    rows = {r.subject_id: r for r in db.session.scalars(select(ComplianceStatus).where(
        ComplianceStatus.subject_type == "setting", ComplianceStatus.subject_id.in_(ids)))}
    prefetch = Prefetch.for_settings(ids, now.astimezone(LONDON).date())
    # A setting never evaluated gets its row without a query of its own (each query would also flush the rows
    # added before it one by one: 1,000 new settings in an Ofsted import cost seconds that way).
    changes = [evaluate_setting(s, now, prefetch=prefetch,
                                row=rows.get(s.id) or _row("setting", s.id, s.provider_id, known_missing=True))
               for s in settings]
    return [c for c in changes if c is not None]


def evaluate_provider(provider: Organisation, now: datetime | None = None, actor=None) -> ComplianceChange | None:
    now = now or utcnow()
    row = _row("provider", provider.id, provider.id)
    old = row.status if row.id is not None else None
    results, since = _run(PROVIDER_RULES, provider, row, now)
    if _act_on_provider(provider, results):
        db.session.flush()
        results, since = _run(PROVIDER_RULES, provider, row, now)
    return _store(row, old, results, since, now, actor)


def evaluate_provider_and_settings(provider_id: int, now: datetime | None = None) -> list[ComplianceChange]:
    provider = db.session.get(Organisation, provider_id)
    if provider is None or provider.kind != "provider":
        return []
    changes = [evaluate_provider(provider, now)]
    changes += evaluate_settings(db.session.scalars(select(Setting.id).where(Setting.provider_id == provider_id)), now)
    return [c for c in changes if c is not None]


def evaluate_all(now: datetime | None = None) -> list[ComplianceChange]:
    """Every provider and every setting (the nightly run and `flask compliance evaluate`). Does not commit."""
    now = now or utcnow()
    changes = []
    for provider_id in db.session.scalars(select(Organisation.id).where(Organisation.kind == "provider")
                                          .order_by(Organisation.id)).all():
        changes += evaluate_provider_and_settings(provider_id, now)
    return changes


def on_portal_change(kind: str, **ids) -> None:
    """Subscriber to portal.core.signals: re-evaluate what changed, in a savepoint, so that a fault here is
    logged and never undoes the portal's own change (the nightly run catches up)."""
    try:
        with db.session.begin_nested():
            evaluate_settings(list(ids.get("setting_ids") or []) + [ids.get("setting_id")])
            if ids.get("provider_id") is not None:
                provider = db.session.get(Organisation, ids["provider_id"])
                if provider is not None and provider.kind == "provider":
                    evaluate_provider(provider)
    except Exception:  # noqa: BLE001 - compliance must never break the change that triggered it
        log.exception("compliance evaluation after %s %s failed", kind, ids)


def change_line(change: ComplianceChange) -> dict:
    return {"subject_type": change.subject_type, "subject_id": change.subject_id, "provider_id": change.provider_id,
            "from": change.from_status, "to": change.to_status, "reasons": [r["reason"] for r in change.reasons]}


# --- a DPS manager lifts a suspension ------------------------------------------------------------

def manages(actor: User, provider_id: int) -> bool:
    if not actor.has_role("dps_manager"):
        return False
    return db.session.scalar(select(DpsApplication.id).where(
        DpsApplication.provider_id == provider_id, DpsApplication.dps_id.in_(dps_ids_for(actor)),
        DpsApplication.status != "draft").limit(1)) is not None


def lift(row: ComplianceStatus, actor: User, reason: str | None) -> ComplianceStatus:
    """Lift a suspension with a recorded reason, reinstating the setting or the provider's admissions on the
    manager's DPSs. Raises ComplianceError having written nothing."""
    reason = (reason or "").strip()
    if row.status != "suspended":
        raise ComplianceError("Only a suspension can be lifted")
    if not manages(actor, row.provider_id):
        raise ComplianceError("You cannot lift this suspension")
    if not reason:
        raise ComplianceError("Enter the reason for lifting the suspension")
    if len(reason) > MAX_REASON:
        raise ComplianceError(f"The reason must be {MAX_REASON} characters or fewer")
    now = utcnow()
    if row.subject_type == "setting":
        setting = db.session.get(Setting, row.subject_id)
        before = {"suspended": setting.suspended, "suspended_reason": setting.suspended_reason}
        setting.suspended, setting.suspended_reason = False, None
        record("setting.suspension_lifted", "setting", setting.id, before=before,
               after={"suspended": False, "reason": reason}, actor=actor)
    else:
        mine = set(dps_ids_for(actor))
        for application in db.session.scalars(select(DpsApplication).where(
                DpsApplication.provider_id == row.provider_id, DpsApplication.status == "suspended",
                DpsApplication.dps_id.in_(mine)).order_by(DpsApplication.id)).all():
            transition(application, "admitted", actor, reason=reason)
    row.lifted_at, row.lifted_reason, row.lifted_by_id = now, reason, actor.id
    record("compliance.lifted", row.subject_type, row.subject_id, before={"status": row.status},
           after={"lifted_reason": reason}, actor=actor)
    db.session.flush()
    subject = (db.session.get(Setting, row.subject_id) if row.subject_type == "setting"
               else db.session.get(Organisation, row.subject_id))
    (evaluate_setting if row.subject_type == "setting" else evaluate_provider)(subject, now, actor=actor)
    return row


def provider_ids_for(user: User) -> list[int]:
    """Providers with an application (beyond draft) on a DPS of the user's council."""
    return list(db.session.scalars(select(DpsApplication.provider_id).where(
        DpsApplication.dps_id.in_(dps_ids_for(user)), DpsApplication.status != "draft").distinct()))


def evaluate_after_action(setting_id: int, provider_id: int) -> None:
    """For quality.actions: call after an action is created, responded to, closed or marked overdue."""
    setting = db.session.get(Setting, setting_id)
    provider = db.session.get(Organisation, provider_id)
    if setting is not None:
        evaluate_setting(setting)
    if provider is not None:
        evaluate_provider(provider)
