"""Monitoring visits: plan, record, complete, issue the report (or cancel while planned).

Every change of a visit's status goes through `transition()`, which checks the ALLOWED map and who is
acting before it changes anything, records the change in the audit log in the same transaction and,
when the report is issued, notifies the provider's users (inbox + email, sent after the commit).
Recording judgements is a separate service (`record_judgements`) that only works while the visit is
planned; completing checks that every active standard of the setting's framework has been judged
with evidence.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, or_, select

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User, UserRole
from portal.core.services import ServiceError
from portal.models import Setting
from quality.models import (FRAMEWORK_FOR_KIND, JUDGEMENTS, OVERALL_JUDGEMENTS, VISIT_KINDS, MonitoringVisit,
                            QualityStandard, VisitJudgement)

LONDON = ZoneInfo("Europe/London")
MAX_TEXT = 5000

ALLOWED: dict[str, frozenset[str]] = {
    "planned": frozenset({"completed", "cancelled"}),
    "completed": frozenset({"report_issued"}),
    "report_issued": frozenset(),
    "cancelled": frozenset(),
}
STATUS_LABELS = {"planned": "Planned", "completed": "Completed", "report_issued": "Report issued",
                 "cancelled": "Cancelled"}
STATUS_TAGS = {"planned": "govuk-tag--blue", "completed": "govuk-tag--yellow", "report_issued": "govuk-tag--green",
               "cancelled": "govuk-tag--grey"}
JUDGEMENT_TAGS = {"met": "govuk-tag--green", "partly_met": "govuk-tag--yellow", "not_met": "govuk-tag--red"}
_VERBS = {"planned": "re-plan", "completed": "complete", "report_issued": "issue the report for",
          "cancelled": "cancel"}


class VisitError(ServiceError):
    """A visit rule refused the change; nothing was written."""


def uk_today() -> date:
    return datetime.now(LONDON).date()


def link(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


# --- who is who -------------------------------------------------------------------------------------

def is_officer_of(actor: User | None, visit: MonitoringVisit) -> bool:
    return actor is not None and actor.has_role("qa_officer") and actor.organisation_id == visit.council_id


def provider_users(provider_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role.in_(("provider_admin", "provider_staff")),
                                          User.status == "active", User.organisation_id == provider_id)
        .distinct().order_by(User.id)))


# --- the framework ----------------------------------------------------------------------------------

def framework_for(setting: Setting) -> str:
    return FRAMEWORK_FOR_KIND.get(setting.kind, "childrens_home")


def standards_for(setting: Setting) -> list[QualityStandard]:
    return list(db.session.scalars(
        select(QualityStandard).where(QualityStandard.framework == framework_for(setting),
                                      QualityStandard.active.is_(True))
        .order_by(QualityStandard.position, QualityStandard.id)))


# --- planning and recording -------------------------------------------------------------------------

def plan_visit(actor: User, setting: Setting, *, kind: str, planned_for: date | None,
               trigger_reason: str | None = None) -> MonitoringVisit:
    if not actor.has_role("qa_officer"):
        raise VisitError("Only a QA officer can plan a monitoring visit")
    if setting.status != "open":
        raise VisitError(f"{setting.name} is closed and cannot be visited")
    if kind not in VISIT_KINDS:
        raise VisitError("Select the kind of visit")
    if planned_for is None:
        raise VisitError("Enter the date of the visit")
    trigger_reason = (trigger_reason or "").strip() or None
    if kind == "triggered" and not trigger_reason:
        raise VisitError("Enter the concern that triggered the visit")
    if trigger_reason and len(trigger_reason) > MAX_TEXT:
        raise VisitError(f"The concern must be {MAX_TEXT} characters or fewer")
    visit = MonitoringVisit(setting_id=setting.id, provider_id=setting.provider_id, council_id=actor.organisation_id,
                            officer_id=actor.id, kind=kind, status="planned", planned_for=planned_for,
                            trigger_reason=trigger_reason if kind == "triggered" else None)
    db.session.add(visit)
    db.session.flush()
    record("visit.planned", "monitoring_visit", visit.id, actor=actor,
           after={"status": "planned", "setting_id": setting.id, "kind": kind, "planned_for": planned_for.isoformat(),
                  "trigger_reason": visit.trigger_reason})
    return visit


def record_judgements(actor: User, visit: MonitoringVisit, *, judgements: dict[int, tuple[str | None, str | None]],
                      overall: str | None, summary: str | None, visited_on: date | None) -> MonitoringVisit:
    """Save what the officer has recorded so far (complete or not). {standard_id: (judgement, evidence)}"""
    if not is_officer_of(actor, visit):
        raise VisitError("You cannot record this visit")
    if visit.status != "planned":
        raise VisitError(f"This visit is {STATUS_LABELS[visit.status].lower()} and cannot be changed")
    allowed = {s.id for s in standards_for(visit.setting)}
    if overall and overall not in OVERALL_JUDGEMENTS:
        raise VisitError("Select an overall judgement")
    if visited_on and visited_on > uk_today():
        raise VisitError("The date of the visit must be today or in the past")
    existing = {j.standard_id: j for j in visit.judgements}
    before = {str(k): j.judgement for k, j in existing.items()}
    for standard_id, (judgement, evidence) in judgements.items():
        if standard_id not in allowed:
            raise VisitError("That standard is not part of this visit's framework")
        evidence = (evidence or "").strip()
        if judgement and judgement not in JUDGEMENTS:
            raise VisitError("Select met, partly met or not met")
        if len(evidence) > MAX_TEXT:
            raise VisitError(f"Evidence must be {MAX_TEXT} characters or fewer")
        row = existing.get(standard_id)
        if not judgement:
            if row is not None:
                visit.judgements.remove(row)
            continue
        if row is None:
            visit.judgements.append(VisitJudgement(standard_id=standard_id, judgement=judgement, evidence=evidence))
        else:
            row.judgement, row.evidence = judgement, evidence
    visit.overall_judgement = overall or None
    visit.summary = (summary or "").strip() or None
    visit.visited_on = visited_on
    db.session.flush()
    record("visit.recorded", "monitoring_visit", visit.id, actor=actor, before={"judgements": before},
           after={"judgements": {str(j.standard_id): j.judgement for j in visit.judgements},
                  "overall_judgement": visit.overall_judgement,
                  "visited_on": visited_on.isoformat() if visited_on else None})
    return visit


def missing_for_completion(visit: MonitoringVisit) -> list[str]:
    """What must still be recorded before the visit can be completed (messages fit to show)."""
    problems = []
    judged = {j.standard_id: j for j in visit.judgements}
    for standard in standards_for(visit.setting):
        row = judged.get(standard.id)
        if row is None:
            problems.append(f"Select a judgement for {standard.title.lower()}")
        elif not (row.evidence or "").strip():
            problems.append(f"Enter the evidence for {standard.title.lower()}")
    if not visit.overall_judgement:
        problems.append("Select an overall judgement")
    if not visit.visited_on:
        problems.append("Enter the date of the visit")
    return problems


# --- the lifecycle ----------------------------------------------------------------------------------

def transition(visit: MonitoringVisit, to_status: str, actor: User, *, reason: str | None = None,
               now: datetime | None = None) -> MonitoringVisit:
    """Move the visit to `to_status`, or raise VisitError having written nothing."""
    current = visit.status
    if to_status not in STATUS_LABELS:
        raise VisitError(f"{to_status!r} is not a visit status")
    if to_status not in ALLOWED[current]:
        raise VisitError(f"You cannot {_VERBS[to_status]} a visit that is {STATUS_LABELS[current].lower()}")
    if not is_officer_of(actor, visit):
        raise VisitError(f"You cannot {_VERBS[to_status]} this visit")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_TEXT:
        raise VisitError(f"The reason must be {MAX_TEXT} characters or fewer")
    if to_status == "cancelled" and not reason:
        raise VisitError("Enter the reason for cancelling the visit")
    if to_status == "completed":
        problems = missing_for_completion(visit)
        if problems:
            raise VisitError(problems[0])
    moment = now or utcnow()
    if to_status == "completed":
        visit.completed_at = moment
    elif to_status == "report_issued":
        visit.report_issued_at = moment
    elif to_status == "cancelled":
        visit.cancelled_at = moment
    visit.status = to_status
    event = record(f"visit.{to_status}", "monitoring_visit", visit.id, actor=actor, before={"status": current},
                   after={"status": to_status, "reason": reason})
    db.session.flush()
    if to_status == "report_issued":
        target = link("visits.visits_report", visit_id=visit.id)
        for user in provider_users(visit.provider_id):
            notify(user, "visit_report_issued", "monitoring_visit", visit.id, link=target,
                   key_suffix=f":{event.id}", visit=visit, setting=visit.setting,
                   judgement=OVERALL_JUDGEMENTS.get(visit.overall_judgement or "", ""))
    return visit


# --- reading ----------------------------------------------------------------------------------------

def visits_query(council_id: int, status: str | None = None):
    """The council's visits (optionally in one status), newest planned first, id as the tie-breaker."""
    stmt = select(MonitoringVisit).where(MonitoringVisit.council_id == council_id)
    if status:
        stmt = stmt.where(MonitoringVisit.status == status)
    return stmt.order_by(MonitoringVisit.planned_for.desc(), MonitoringVisit.id.desc())


def visits_for_council(council_id: int, status: str | None = None) -> list[MonitoringVisit]:
    return list(db.session.scalars(visits_query(council_id, status)))


def planned_count(council_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(MonitoringVisit).where(
        MonitoringVisit.council_id == council_id, MonitoringVisit.status == "planned")) or 0


def search_settings(query: str | None, limit: int = 50) -> list[Setting]:
    """Open settings of any provider, filtered by name, URN, postcode or provider name."""
    stmt = select(Setting).join(Organisation, Setting.provider_id == Organisation.id).where(Setting.status == "open")
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(Setting.name).like(like), func.lower(Setting.urn).like(like),
                              func.lower(Setting.postcode).like(like), func.lower(Organisation.name).like(like)))
    return list(db.session.scalars(stmt.order_by(Organisation.name, Setting.name).limit(limit)))
