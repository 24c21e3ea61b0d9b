"""DPS applications: the admission lifecycle, drafts and their questionnaire sections.

Every change of an application's status goes through `transition()`, which checks the ALLOWED map
(DESIGN.md "The DPS") and who is acting *before* it changes anything, then records who, when and
why in the audit log in the same transaction and notifies the other side. Notifications are inbox
rows plus queued emails; the emails are sent by jobs that `db.commit()` dispatches after the commit.

The decision clock: 10 working days from the day of receipt (portal.workdays), extendable once to
15 with a reason. A resubmission after a clarification request keeps the original receipt date and
the clock does NOT pause while the provider answers: the regulations count from receipt of the
request to participate, and a paused clock would let a slow answer push the decision indefinitely.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.admission_questionnaire import SECTIONS, section_errors, show_answer  # noqa: F401 - re-exported
from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User, UserRole
from portal.core.services import ServiceError
from portal.models import Dps, DpsApplication, Lot, dps_council
from portal.workdays import decision_due

LONDON = ZoneInfo("Europe/London")

# --- the lifecycle ----------------------------------------------------------------------------------

ALLOWED: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"clarification_requested", "admitted", "rejected"}),
    "clarification_requested": frozenset({"submitted"}),
    "admitted": frozenset({"suspended", "withdrawn"}),
    "suspended": frozenset({"admitted"}),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}
REASON_REQUIRED = {
    "clarification_requested": "Enter the question you want the provider to answer",
    "rejected": "Enter the reason for rejecting the application",
    "suspended": "Enter the reason for suspending the provider",
    "withdrawn": "Enter the reason for withdrawing from the DPS",
}
STATUS_LABELS = {
    "draft": "Draft", "submitted": "Submitted", "clarification_requested": "Clarification requested",
    "admitted": "Admitted", "rejected": "Rejected", "suspended": "Suspended", "withdrawn": "Withdrawn",
}
STATUS_TAGS = {
    "draft": "govuk-tag--grey", "submitted": "govuk-tag--blue", "clarification_requested": "govuk-tag--yellow",
    "admitted": "govuk-tag--green", "rejected": "govuk-tag--red", "suspended": "govuk-tag--orange",
    "withdrawn": "govuk-tag--grey",
}
_VERBS = {
    "draft": "return to draft", "submitted": "submit", "clarification_requested": "ask for clarification on",
    "admitted": "admit", "rejected": "reject", "suspended": "suspend", "withdrawn": "withdraw",
}
MAX_REASON = 2000


class AdmissionError(ServiceError):
    """A lifecycle rule refused the change; nothing was written."""


def uk_today() -> date:
    """Today in the UK (tests replace this to put the decision clock on a chosen day)."""
    return datetime.now(LONDON).date()


# --- the selection questionnaire --------------------------------------------------------------------

def section_complete(application: DpsApplication, section: str) -> bool:
    answers = (application.questionnaire or {}).get(section)
    return bool(answers) and not section_errors(section, answers)


def incomplete_sections(application: DpsApplication) -> list[str]:
    return [name for name in SECTIONS if not section_complete(application, name)]


# --- who is who -------------------------------------------------------------------------------------

def dps_ids_for(user: User) -> list[int]:
    """The DPSs the user's council belongs to."""
    return list(db.session.scalars(
        select(dps_council.c.dps_id).where(dps_council.c.council_id == user.organisation_id)))


def _active_users(role: str, organisation_ids) -> list[User]:
    return list(db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == role, User.status == "active",
                                          User.organisation_id.in_(list(organisation_ids))).order_by(User.id)))


def provider_admins(application: DpsApplication) -> list[User]:
    return _active_users("provider_admin", [application.provider_id])


def dps_managers(application: DpsApplication) -> list[User]:
    return _active_users("dps_manager", [c.id for c in application.dps.councils])


def is_provider_admin_of(actor: User, application: DpsApplication) -> bool:
    return actor.has_role("provider_admin") and actor.organisation_id == application.provider_id


def is_manager_of(actor: User, application: DpsApplication) -> bool:
    return actor.has_role("dps_manager") and application.dps_id in dps_ids_for(actor)


def _may(actor: User, application: DpsApplication, to_status: str) -> bool:
    if to_status == "submitted":
        return is_provider_admin_of(actor, application)
    if to_status == "withdrawn":
        return is_provider_admin_of(actor, application) or is_manager_of(actor, application)
    return is_manager_of(actor, application)


# --- transitions ------------------------------------------------------------------------------------

def _link(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def transition(application: DpsApplication, to_status: str, actor: User, *, reason: str | None = None,
               now: datetime | None = None) -> DpsApplication:
    """Move the application to `to_status`, or raise AdmissionError having written nothing."""
    current = application.status
    if to_status not in STATUS_LABELS:
        raise AdmissionError(f"{to_status!r} is not an application status")
    if to_status not in ALLOWED[current]:
        raise AdmissionError(f"You cannot {_VERBS[to_status]} an application that is "
                             f"{STATUS_LABELS[current].lower()}")
    if not _may(actor, application, to_status):
        raise AdmissionError(f"You cannot {_VERBS[to_status]} this application")
    reason = (reason or "").strip() or None
    resubmission = current == "clarification_requested"
    if to_status in REASON_REQUIRED and not reason:
        raise AdmissionError(REASON_REQUIRED[to_status])
    if resubmission and not reason:
        raise AdmissionError("Enter your answer to the DPS manager's question")
    if reason and len(reason) > MAX_REASON:
        raise AdmissionError(f"The reason must be {MAX_REASON} characters or fewer")
    if to_status == "submitted":
        missing = incomplete_sections(application)
        if missing:
            raise AdmissionError("Complete every section before you submit: "
                                 + ", ".join(SECTIONS[s].title.lower() for s in missing))
        if not application.lots:
            raise AdmissionError("Choose at least one lot before you submit")

    moment = now or utcnow()
    questionnaire = dict(application.questionnaire or {})
    clarifications = [dict(c) for c in questionnaire.get("clarifications", [])]
    if to_status == "submitted" and not resubmission:
        application.submitted_at = moment
        application.decision_due_on = decision_due(moment, extended=False)
    elif to_status == "submitted":
        if clarifications:
            clarifications[-1].update(answer=reason, answered_at=moment.isoformat(), answered_by=actor.name)
    elif to_status == "clarification_requested":
        application.clarification_request = reason
        clarifications.append({"question": reason, "asked_at": moment.isoformat(), "asked_by": actor.name})
    elif to_status in ("admitted", "rejected") and current == "submitted":
        application.decided_at, application.decision_reason = moment, reason
    else:  # suspended, reinstated, withdrawn
        application.decision_reason = reason
    questionnaire["clarifications"] = clarifications
    application.questionnaire = questionnaire
    application.status = to_status

    after = {"status": to_status, "reason": reason}
    if resubmission:
        after["resubmitted"] = True
    if current == "suspended":
        after["reinstated"] = True
    if to_status == "submitted":
        after["decision_due_on"] = application.decision_due_on.isoformat()
    event = record(f"application.{to_status}", "dps_application", application.id, before={"status": current},
                   after=after, actor=actor)
    db.session.flush()
    _notify(application, current, to_status, actor, reason, event.id)
    return application


_PROVIDER_KINDS = {"clarification_requested": "application_clarification", "admitted": "application_admitted",
                   "rejected": "application_rejected", "suspended": "application_suspended"}


def _notify(application: DpsApplication, before: str, to_status: str, actor: User, reason: str | None,
            event_id: int) -> None:
    kinds: list[tuple[str, list[User], str]] = []
    provider_link = _link("applications.applications_detail", application_id=application.id)
    manager_link = _link("dps.applications_detail", application_id=application.id)
    if to_status == "submitted":
        kind = "application_resubmitted" if before == "clarification_requested" else "application_submitted"
        kinds.append((kind, dps_managers(application), manager_link))
    elif to_status == "admitted" and before == "suspended":
        kinds.append(("application_reinstated", provider_admins(application), provider_link))
    elif to_status == "withdrawn":
        kinds.append(("application_withdrawn", dps_managers(application), manager_link))
        if not is_provider_admin_of(actor, application):
            kinds.append(("application_withdrawn", provider_admins(application), provider_link))
    else:
        kinds.append((_PROVIDER_KINDS[to_status], provider_admins(application), provider_link))
    for kind, users, link in kinds:
        for user in users:
            if user.id == actor.id:
                continue
            notify(user, kind, "dps_application", application.id, link=link, key_suffix=f":{event_id}",
                   application=application, provider=application.provider, dps=application.dps, reason=reason,
                   actor=actor)


def extend(application: DpsApplication, actor: User, reason: str | None) -> DpsApplication:
    """Extend the decision period to 15 working days from receipt: once only, with a reason."""
    if not is_manager_of(actor, application):
        raise AdmissionError("You cannot extend the decision period for this application")
    if application.status not in ("submitted", "clarification_requested"):
        raise AdmissionError(f"You cannot extend the decision period of an application that is "
                             f"{STATUS_LABELS[application.status].lower()}")
    if application.extended:
        raise AdmissionError("The decision period has already been extended once and cannot be extended again")
    reason = (reason or "").strip()
    if not reason:
        raise AdmissionError("Enter the reason for extending the decision period")
    if len(reason) > MAX_REASON:
        raise AdmissionError(f"The reason must be {MAX_REASON} characters or fewer")
    before = application.decision_due_on
    application.extended, application.extension_reason = True, reason
    application.decision_due_on = decision_due(application.submitted_at, extended=True)
    record("application.extended", "dps_application", application.id,
           before={"decision_due_on": before.isoformat() if before else None, "extended": False},
           after={"decision_due_on": application.decision_due_on.isoformat(), "extended": True, "reason": reason},
           actor=actor)
    return application


# --- drafts -----------------------------------------------------------------------------------------

def open_lots(provider_id: int, dps: Dps) -> list[Lot]:
    """Lots of the DPS the provider is not already admitted to (or suspended from)."""
    held = set(db.session.scalars(
        select(Lot.id).join(DpsApplication.lots).where(DpsApplication.provider_id == provider_id,
                                                       DpsApplication.dps_id == dps.id,
                                                       DpsApplication.status.in_(("admitted", "suspended")))))
    return [lot for lot in dps.lots if lot.id not in held]


def in_progress(provider_id: int, dps_id: int) -> DpsApplication | None:
    return db.session.scalar(select(DpsApplication).where(
        DpsApplication.provider_id == provider_id, DpsApplication.dps_id == dps_id,
        DpsApplication.status.in_(("draft", "submitted", "clarification_requested"))))


def _prefill(org: Organisation) -> dict:
    values = {"legal_name": org.name, "companies_house_number": org.companies_house_number, "address": org.address,
              "postcode": org.postcode, "contact_name": org.contact_name, "contact_email": org.contact_email,
              "contact_phone": org.contact_phone}
    return {k: v for k, v in values.items() if v}


def create_application(actor: User, dps: Dps, lot_ids: list[int]) -> DpsApplication:
    if not actor.has_role("provider_admin") or not actor.organisation.is_provider:
        raise AdmissionError("Only a provider admin can apply to join a DPS")
    if in_progress(actor.organisation_id, dps.id) is not None:
        raise AdmissionError(f"You already have an application in progress for {dps.name}")
    available = {lot.id: lot for lot in open_lots(actor.organisation_id, dps)}
    if not lot_ids or any(i not in available for i in lot_ids):
        raise AdmissionError("Select at least one lot you are not already admitted to")
    application = DpsApplication(dps_id=dps.id, provider_id=actor.organisation_id, status="draft",
                                 lots=[available[i] for i in sorted(set(lot_ids))],
                                 questionnaire={"organisation": _prefill(actor.organisation)})
    db.session.add(application)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a colleague started one a moment ago
        raise AdmissionError(f"You already have an application in progress for {dps.name}") from None
    record("application.created", "dps_application", application.id,
           after={"status": "draft", "dps_id": dps.id, "lots": [lot.kind for lot in application.lots]}, actor=actor)
    return application


def save_section(actor: User, application: DpsApplication, section: str, answers: dict) -> bool:
    """Save one section's answers (complete or not). Returns whether the section is now complete."""
    if section not in SECTIONS:
        raise AdmissionError("There is no such section")
    if not is_provider_admin_of(actor, application):
        raise AdmissionError("Only a provider admin can change the application")
    if application.status not in ("draft", "clarification_requested"):
        raise AdmissionError(f"The application is {STATUS_LABELS[application.status].lower()} and cannot be changed")
    keys = dict(SECTIONS[section].fields)
    clean = {k: v for k, v in answers.items() if k in keys}
    questionnaire = dict(application.questionnaire or {})
    before = questionnaire.get(section)
    questionnaire[section] = clean
    application.questionnaire = questionnaire
    complete = not section_errors(section, clean)
    record("application.section_saved", "dps_application", application.id,
           before={"section": section, "answers": before},
           after={"section": section, "answers": clean, "complete": complete}, actor=actor)
    return complete
