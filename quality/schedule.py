"""The risk-based visit schedule: when each setting's next monitoring visit is due.

Base: the date of the last completed visit (or, never visited, the date the setting was added) plus
3 months for Inadequate or Requires improvement, 12 for Good, 18 for Outstanding and 3 when not yet
inspected (by Ofsted: `Setting.overall_effectiveness`).
Brought forward to within 10 working days (portal.workdays) of a triggered concern — a triggered
visit planned but not yet completed, counted from the day it was planned — or of an overdue
high-priority action, counted from the first day it was overdue. The earlier date wins.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import func, or_, select

from portal.core import db
from portal.models import DpsApplication, Setting, dps_council
from portal.workdays import add_working_days
from quality.actions import _overdue_clause
from quality.models import MonitoringVisit, QaAction
from quality.visits import uk_today
from tendering.models import Placement

MONTHS_FOR_RATING = {"Inadequate": 3, "Requires improvement to be good": 3, "Good": 12, "Outstanding": 18, None: 3}
TRIGGER_WORKING_DAYS = 10
DONE = ("completed", "report_issued")


@dataclass(frozen=True)
class Due:
    setting: Setting
    due_on: date
    reason: str
    last_visited_on: date | None
    planned_for: date | None  # the next planned visit, if any

    @property
    def brought_forward(self) -> bool:
        return self.reason.startswith("Brought forward")


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _rating_label(rating: str | None) -> str:
    return "not yet inspected" if rating is None else rating


def due_for_settings(settings: list[Setting], today: date | None = None) -> dict[int, Due]:
    """Next visit due for many settings with a few queries (not one per setting)."""
    today = today or uk_today()
    ids = [s.id for s in settings]
    if not ids:
        return {}
    last = dict(db.session.execute(
        select(MonitoringVisit.setting_id, func.max(MonitoringVisit.visited_on))
        .where(MonitoringVisit.setting_id.in_(ids), MonitoringVisit.status.in_(DONE))
        .group_by(MonitoringVisit.setting_id)).all())
    planned = dict(db.session.execute(
        select(MonitoringVisit.setting_id, func.min(MonitoringVisit.planned_for))
        .where(MonitoringVisit.setting_id.in_(ids), MonitoringVisit.status == "planned")
        .group_by(MonitoringVisit.setting_id)).all())
    triggered = dict(db.session.execute(
        select(MonitoringVisit.setting_id, func.min(MonitoringVisit.created_at))
        .where(MonitoringVisit.setting_id.in_(ids), MonitoringVisit.status == "planned",
               MonitoringVisit.kind == "triggered")
        .group_by(MonitoringVisit.setting_id)).all())
    overdue_high = dict(db.session.execute(
        select(QaAction.setting_id, func.min(QaAction.due_on))
        .where(QaAction.setting_id.in_(ids), QaAction.priority == "high", _overdue_clause(today))
        .group_by(QaAction.setting_id)).all())
    out = {}
    for s in settings:
        last_on = last.get(s.id)
        start = last_on or s.created_at.date()
        months = MONTHS_FOR_RATING.get(s.overall_effectiveness, 3)
        due_on = add_months(start, months)
        since = "the last visit" if last_on else "the setting was added"
        reason = f"{months} months after {since} ({_rating_label(s.overall_effectiveness)})"
        concerns = []
        if s.id in triggered:
            concerns.append((add_working_days(triggered[s.id].date(), TRIGGER_WORKING_DAYS), "a triggered concern"))
        if s.id in overdue_high:
            first_overdue = overdue_high[s.id] + timedelta(days=1)
            concerns.append((add_working_days(first_overdue, TRIGGER_WORKING_DAYS),
                             "an overdue high-priority action"))
        for concern_due, why in sorted(concerns):
            if concern_due < due_on:
                due_on, reason = concern_due, f"Brought forward by {why}"
                break
        out[s.id] = Due(s, due_on, reason, last_on, planned.get(s.id))
    return out


def next_visit_due(setting: Setting, today: date | None = None) -> date:
    return due_for_settings([setting], today)[setting.id].due_on


def open_settings(council_id: int | None = None) -> list[Setting]:
    """Open settings; for a council, only its market: homes of providers admitted to a DPS it belongs to,
    homes it has visited and homes where its children live (a QA officer schedules visits for those)."""
    query = select(Setting).where(Setting.status == "open")
    if council_id is not None:
        admitted = (select(DpsApplication.provider_id)
                    .join(dps_council, dps_council.c.dps_id == DpsApplication.dps_id)
                    .where(dps_council.c.council_id == council_id, DpsApplication.status == "admitted"))
        visited = select(MonitoringVisit.setting_id).where(MonitoringVisit.council_id == council_id)
        placed = select(Placement.setting_id).where(Placement.council_id == council_id, Placement.end_date.is_(None))
        query = query.where(or_(Setting.provider_id.in_(admitted), Setting.id.in_(visited), Setting.id.in_(placed)))
    return list(db.session.scalars(query.order_by(Setting.id)))


def overdue_visits(today: date | None = None, council_id: int | None = None) -> list[Due]:
    """Open settings whose next visit was due before today, most overdue first."""
    today = today or uk_today()
    rows = [d for d in due_for_settings(open_settings(council_id), today).values() if d.due_on < today]
    return sorted(rows, key=lambda d: (d.due_on, d.setting.name, d.setting.id))


def upcoming(today: date | None = None, months: int = 6, council_id: int | None = None) -> list[Due]:
    """Visits due from today to `months` ahead, soonest first (then by home name and id)."""
    today = today or uk_today()
    until = add_months(today, months)
    return sorted((d for d in due_for_settings(open_settings(council_id), today).values()
                   if today <= d.due_on < until),
                  key=lambda d: (d.due_on, d.setting.name, d.setting.id))


def by_month(rows: list[Due]) -> list[tuple[date, list[Due]]]:
    """Rows (in due order) grouped by the first day of each month."""
    return [(month, list(group)) for month, group in groupby(rows, key=lambda d: d.due_on.replace(day=1))]


def upcoming_by_month(today: date | None = None, months: int = 6, council_id: int | None = None
                      ) -> list[tuple[date, list[Due]]]:
    """Visits due from today to `months` ahead, grouped by the first day of each month."""
    return by_month(upcoming(today, months, council_id))
