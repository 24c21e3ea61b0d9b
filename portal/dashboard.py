"""What needs a provider's attention: the task list at the top of their home page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import InboxMessage
from portal.documents import insurance_status
from portal.models import DOCUMENT_KINDS, STALE_AFTER, DpsApplication, Setting, Vacancy

EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class Task:
    key: str            # which page it links to (see templates/portal/_provider_tasks.html)
    title: str
    hint: str
    status: str         # "attention", "warning" or "done"
    object_id: int | None = None


def _vacancy_tasks(provider_id: int, now: datetime) -> list[Task]:
    rows = db.session.execute(
        select(Setting.id, Vacancy.confirmed_at)
        .outerjoin(Vacancy, Vacancy.setting_id == Setting.id)
        .where(Setting.provider_id == provider_id, Setting.status == "open")).all()
    if not rows:
        return [Task("homes", "Add your homes", "You have no homes on Homefinder yet.", "attention")]
    stale = sum(1 for _, confirmed in rows if confirmed is not None and now - confirmed >= STALE_AFTER)
    missing = sum(1 for _, confirmed in rows if confirmed is None)
    if stale or missing:
        parts = [f"{stale} stale" if stale else "", f"{missing} not recorded" if missing else ""]
        return [Task("vacancies", "Confirm your vacancies", " and ".join(p for p in parts if p)
                     + f" of {len(rows)} homes. Stale vacancies rank below current ones.", "attention")]
    return [Task("vacancies", "Confirm your vacancies", f"All {len(rows)} homes are current.", "done")]


def _insurance_tasks(provider_id: int, today: date) -> list[Task]:
    tasks = []
    for kind, (state, doc) in insurance_status(provider_id, today).items():
        label = DOCUMENT_KINDS[kind].lower()
        if state == "missing":
            tasks.append(Task("documents", f"Upload your {label} certificate", "Required to receive referrals.",
                              "attention"))
        elif state == "expired":
            tasks.append(Task("documents", f"Renew your {label}", f"Expired on {doc.expires_on:%-d %B %Y}.",
                              "attention", doc.id))
        elif doc.expires_on is not None and doc.expires_on - today <= EXPIRY_WARNING:
            tasks.append(Task("documents", f"Renew your {label}", f"Expires on {doc.expires_on:%-d %B %Y}.",
                              "warning", doc.id))
    return tasks


def _application_tasks(provider_id: int) -> list[Task]:
    tasks = []
    for app in db.session.scalars(
            select(DpsApplication).where(DpsApplication.provider_id == provider_id,
                                         DpsApplication.status.in_(("draft", "clarification_requested", "suspended")))
            .order_by(DpsApplication.id)):
        if app.status == "clarification_requested":
            tasks.append(Task("application", "Answer a clarification question",
                              f"{app.dps.name}: {app.clarification_request or ''}".strip(), "attention", app.id))
        elif app.status == "draft":
            tasks.append(Task("application", "Finish your application", f"{app.dps.name} – not yet submitted.",
                              "warning", app.id))
        else:
            tasks.append(Task("application", "Your admission is suspended",
                              f"{app.dps.name}: {app.decision_reason or 'no reason recorded'}", "attention", app.id))
    return tasks


def _suspension_tasks(provider_id: int) -> list[Task]:
    return [Task("home", f"{s.name} is suspended from new referrals", s.suspended_reason or "No reason recorded.",
                 "attention", s.id)
            for s in db.session.scalars(select(Setting).where(
                Setting.provider_id == provider_id, Setting.status == "open", Setting.suspended).order_by(Setting.name))]


def provider_tasks(provider_id: int, user_id: int, now: datetime | None = None) -> list[Task]:
    """Everything that needs attention first, then what is in order."""
    now = now or utcnow()
    unread = db.session.scalar(
        select(func.count()).where(InboxMessage.user_id == user_id, InboxMessage.read_at.is_(None)))
    tasks = (_suspension_tasks(provider_id) + _application_tasks(provider_id) + _vacancy_tasks(provider_id, now)
             + _insurance_tasks(provider_id, now.date()))
    tasks.append(Task("inbox", "Read your messages", f"{unread} unread." if unread else "Nothing new.",
                      "attention" if unread else "done"))
    order = {"attention": 0, "warning": 1, "done": 2}
    return sorted(tasks, key=lambda t: order[t.status])
