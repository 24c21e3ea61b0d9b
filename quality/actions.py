"""QA actions: open → provider_responded → closed; open or responded past the due date → overdue.

One guarded `transition()` with an allowed map does every change of status, audited in the same
transaction. `version` on QaAction (SQLAlchemy version_id_col) makes a second officer's change of a
row someone else has just changed fail with ActionConflict ("This action was changed by someone
else") instead of silently overwriting it; forms also carry the version they were shown.
Each change emits portal.core.signals "qa_action" so the compliance rules (a high-priority action
overdue puts the setting at risk) re-evaluate at once. Reading code treats an open or responded action whose due date has passed as overdue even before
the hourly job (`quality.jobs_visits`) has marked it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import User
from portal.core.services import ServiceError
from portal.core.signals import emit
from portal.models import Setting
from quality.models import ACTION_OWNERS, ACTION_PRIORITIES, MonitoringVisit, QaAction
from quality.visits import MAX_TEXT, link, uk_today

ALLOWED: dict[str, frozenset[str]] = {
    "open": frozenset({"provider_responded", "overdue", "closed"}),
    "provider_responded": frozenset({"overdue", "closed"}),
    "overdue": frozenset({"provider_responded", "closed"}),
    "closed": frozenset(),
}
STATUS_LABELS = {"open": "Open", "provider_responded": "Provider responded", "overdue": "Overdue", "closed": "Closed"}
STATUS_TAGS = {"open": "govuk-tag--blue", "provider_responded": "govuk-tag--yellow", "overdue": "govuk-tag--red",
               "closed": "govuk-tag--grey"}
PRIORITY_TAGS = {"high": "govuk-tag--red", "medium": "govuk-tag--orange", "low": "govuk-tag--grey"}
_VERBS = {"open": "reopen", "provider_responded": "respond to", "overdue": "mark as overdue", "closed": "close"}
CONFLICT = "This action was changed by someone else. Check its status and try again"
LIVE = ("open", "provider_responded", "overdue")


class ActionError(ServiceError):
    """An action rule refused the change; nothing was written."""


class ActionConflict(ActionError):
    """Someone else changed the action first."""


def effective_status(action: QaAction, today: date | None = None) -> str:
    today = today or uk_today()
    if action.status in ("open", "provider_responded") and action.due_on < today:
        return "overdue"
    return action.status


def is_officer_of(actor: User | None, action: QaAction) -> bool:
    return actor is not None and actor.has_role("qa_officer") and actor.organisation_id == action.council_id


def is_provider_of(actor: User | None, action: QaAction) -> bool:
    return (actor is not None and actor.has_role("provider_admin", "provider_staff")
            and actor.organisation_id == action.provider_id)


def create_action(actor: User, setting: Setting, *, visit: MonitoringVisit | None = None, owner: str | None,
                  priority: str | None, description: str | None, due_on: date | None) -> QaAction:
    if not actor.has_role("qa_officer"):
        raise ActionError("Only a QA officer can add an action")
    if visit is not None and (visit.council_id != actor.organisation_id or visit.setting_id != setting.id):
        raise ActionError("You cannot add an action to this visit")
    if visit is not None and visit.status == "cancelled":
        raise ActionError("You cannot add an action to a cancelled visit")
    description = (description or "").strip()
    if owner not in ACTION_OWNERS:
        raise ActionError("Select who owns the action")
    if priority not in ACTION_PRIORITIES:
        raise ActionError("Select the priority")
    if not description:
        raise ActionError("Enter what must be done")
    if len(description) > MAX_TEXT:
        raise ActionError(f"The description must be {MAX_TEXT} characters or fewer")
    if due_on is None:
        raise ActionError("Enter the date the action is due")
    action = QaAction(visit_id=visit.id if visit else None, setting_id=setting.id, provider_id=setting.provider_id,
                      council_id=actor.organisation_id, owner=owner, priority=priority, description=description,
                      due_on=due_on, status="open", created_by_id=actor.id)
    db.session.add(action)
    db.session.flush()
    record("action.created", "qa_action", action.id, actor=actor,
           after={"status": "open", "visit_id": action.visit_id, "setting_id": setting.id, "owner": owner,
                  "priority": priority, "due_on": due_on.isoformat()})
    return action


def _may(actor: User | None, action: QaAction, to_status: str) -> bool:
    if to_status == "provider_responded":  # only on the provider's own actions, not the council's
        return action.owner == "provider" and is_provider_of(actor, action)
    if to_status == "closed":
        return is_officer_of(actor, action)
    return actor is None or is_officer_of(actor, action)  # overdue: the scheduled job (or an officer)


def transition(action: QaAction, to_status: str, actor: User | None, *, reason: str | None = None,
               version: int | None = None, today: date | None = None, now: datetime | None = None) -> QaAction:
    """Move the action to `to_status`, or raise ActionError having written nothing.

    `version` is the version the user's form was built from; a mismatch means someone else got there first."""
    current = action.status
    today = today or uk_today()
    if to_status not in STATUS_LABELS:
        raise ActionError(f"{to_status!r} is not an action status")
    if version is not None and version != action.version:
        raise ActionConflict(CONFLICT)
    if to_status not in ALLOWED[current]:
        raise ActionError(f"You cannot {_VERBS[to_status]} an action that is {STATUS_LABELS[current].lower()}")
    if not _may(actor, action, to_status):
        raise ActionError(f"You cannot {_VERBS[to_status]} this action")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_TEXT:
        raise ActionError(f"The text must be {MAX_TEXT} characters or fewer")
    if to_status == "provider_responded" and not reason:
        raise ActionError("Enter your response to the action")
    if to_status == "closed" and not reason:
        raise ActionError("Enter a note on why the action is closed")
    if to_status == "overdue" and action.due_on >= today:
        raise ActionError("The action is not yet past its due date")
    moment = now or utcnow()
    if to_status == "provider_responded":
        action.provider_response, action.responded_at, action.responded_by_id = reason, moment, actor.id
    elif to_status == "closed":
        action.close_note, action.closed_at, action.closed_by_id = reason, moment, actor.id
    action.status = to_status
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ActionConflict(CONFLICT) from None
    event = record(f"action.{to_status}", "qa_action", action.id, actor=actor, before={"status": current},
                   after={"status": to_status, "reason": reason},
                   organisation_id=None if actor else action.council_id)
    db.session.flush()
    emit("qa_action", setting_id=action.setting_id, provider_id=action.provider_id)  # compliance re-evaluates
    if to_status == "provider_responded" and action.created_by_id:
        officer = db.session.get(User, action.created_by_id)
        if officer is not None and officer.status == "active":
            notify(officer, "action_responded", "qa_action", action.id,
                   link=link("actions.actions_detail", action_id=action.id), key_suffix=f":{event.id}",
                   action=action, setting=action.setting, actor=actor, response=reason)
    return action


def mark_overdue(today: date | None = None) -> list[int]:
    """Mark every open or responded action past its due date as overdue. Returns their ids."""
    today = today or uk_today()
    rows = list(db.session.scalars(select(QaAction).where(QaAction.status.in_(("open", "provider_responded")),
                                                          QaAction.due_on < today).order_by(QaAction.id)))
    for action in rows:
        transition(action, "overdue", None, today=today)
    return [a.id for a in rows]


# --- reading ----------------------------------------------------------------------------------------

def _overdue_clause(today: date):
    return or_(QaAction.status == "overdue",
               (QaAction.status.in_(("open", "provider_responded"))) & (QaAction.due_on < today))


def actions_for(*, council_id: int | None = None, provider_id: int | None = None, status: str | None = None,
                today: date | None = None) -> list[QaAction]:
    """Actions of a council (QA) or a provider, filtered by effective status ('live' = not closed)."""
    return list(db.session.scalars(actions_query(council_id=council_id, provider_id=provider_id, status=status,
                                                 today=today)))


def actions_query(*, council_id: int | None = None, provider_id: int | None = None, status: str | None = None,
                  today: date | None = None):
    """actions_for() as a statement, soonest due first, id as the tie-breaker (for a page of it)."""
    today = today or uk_today()
    stmt = select(QaAction)
    if council_id is not None:
        stmt = stmt.where(QaAction.council_id == council_id)
    if provider_id is not None:
        stmt = stmt.where(QaAction.provider_id == provider_id)
    if status == "overdue":
        stmt = stmt.where(_overdue_clause(today))
    elif status == "live":
        stmt = stmt.where(QaAction.status.in_(LIVE))
    elif status in ("open", "provider_responded"):
        stmt = stmt.where(QaAction.status == status, QaAction.due_on >= today)
    elif status == "closed":
        stmt = stmt.where(QaAction.status == "closed")
    return stmt.order_by(QaAction.due_on, QaAction.id)


def counts_for_provider(provider_id: int, today: date | None = None) -> dict[str, int]:
    today = today or uk_today()
    base = select(func.count()).select_from(QaAction).where(QaAction.provider_id == provider_id)
    return {"live": db.session.scalar(base.where(QaAction.status.in_(LIVE))) or 0,
            "overdue": db.session.scalar(base.where(_overdue_clause(today))) or 0,
            "closed": db.session.scalar(base.where(QaAction.status == "closed")) or 0}
