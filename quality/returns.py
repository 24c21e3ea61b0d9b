"""Monthly returns: one per open setting per month, due by the 10th of the following month (UK date).

Rules:
- A return covers a whole month, so it can be submitted once the month has ended, and for at most
  RECENT_MONTHS back (older months are not asked for).
- A return is required for month M only if the setting is open and existed before M ended (created_at
  before the 1st of M+1, UK date) — a new home is not overdue for months before it existed.
- Month M is "due" from the 1st to the 10th of M+1 and "overdue" from the 11th (while not submitted).
- Correction: a submitted return may be resubmitted (overwriting the figures, audited with before/after)
  up to and including its due date. After the due date it is fixed; the QA officer sees what was sent.
  One row per setting and month (unique constraint), so a resubmission updates that row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import Organisation, User
from portal.core.services import ServiceError
from portal.models import Setting
from quality.models import MonthlyReturn

LONDON = ZoneInfo("Europe/London")
DUE_DAY = 10
REMIND_DAY = 8
RECENT_MONTHS = 3
FIELDS = ("incidents", "missing_episodes", "education_attendance_percent", "unplanned_endings", "staff_vacancies")
STATUS_LABELS = {"submitted": "Submitted", "due": "Due", "overdue": "Overdue", "not_required": "Not required"}
STATUS_TAGS = {"submitted": "govuk-tag--green", "due": "govuk-tag--yellow", "overdue": "govuk-tag--red",
               "not_required": "govuk-tag--grey"}


class ReturnError(ServiceError):
    """The return was refused; nothing was written."""


def uk_today() -> date:
    return datetime.now(LONDON).date()


def month_start(value: date) -> date:
    return value.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def due_on(month: date) -> date:
    return next_month(month).replace(day=DUE_DAY)


def recent_months(today: date, count: int = RECENT_MONTHS) -> list[date]:
    """The last `count` whole months, newest first."""
    months, month = [], previous_month(month_start(today))
    for _ in range(count):
        months.append(month)
        month = previous_month(month)
    return months


def parse_month(text: str | None) -> date | None:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def required(setting: Setting, month: date) -> bool:
    created = setting.created_at.astimezone(LONDON).date() if setting.created_at else month
    return setting.status == "open" and created < next_month(month)


def status_of(setting: Setting, month: date, submitted: bool, today: date) -> str:
    if submitted:
        return "submitted"
    if not required(setting, month):
        return "not_required"
    return "overdue" if today > due_on(month) else "due"


def submitted_months(setting_ids, months) -> set[tuple[int, date]]:
    if not setting_ids or not months:
        return set()
    return {(setting_id, month) for setting_id, month in db.session.execute(
        select(MonthlyReturn.setting_id, MonthlyReturn.month).where(
            MonthlyReturn.setting_id.in_(list(setting_ids)), MonthlyReturn.month.in_(list(months))))}


def overdue_months(setting: Setting, today: date, done: set[tuple[int, date]] | None = None) -> list[date]:
    """The recent months whose return for this setting is overdue, oldest first. `done`: submitted_months()
    of a batch of settings fetched once (the compliance engine evaluating many settings), else queried."""
    months = [m for m in recent_months(today) if required(setting, m) and today > due_on(m)]
    if done is None:
        done = submitted_months([setting.id], months)
    return sorted(m for m in months if (setting.id, m) not in done)


@dataclass
class Row:
    setting: Setting
    cells: list[tuple[date, str]]  # (month, status) newest first


def open_settings_query(provider_id: int):
    return (select(Setting).where(Setting.provider_id == provider_id, Setting.status == "open")
            .order_by(Setting.name, Setting.id))


def grid(provider_id: int, today: date, settings: list[Setting] | None = None) -> tuple[list[date], list[Row]]:
    """The provider's open settings (or these of them: one page) × recent months, with each return's status."""
    months = recent_months(today)
    if settings is None:
        settings = db.session.scalars(open_settings_query(provider_id)).all()
    done = submitted_months([s.id for s in settings], months)
    return months, [Row(s, [(m, status_of(s, m, (s.id, m) in done, today)) for m in months]) for s in settings]


def overdue_across(today: date, provider_ids=None) -> list[dict]:
    """Every overdue return in the recent months, for QA officers: [{setting, provider, month, due_on}]."""
    months = [m for m in recent_months(today) if today > due_on(m)]
    scope = true() if provider_ids is None else Setting.provider_id.in_(list(provider_ids))
    settings = db.session.scalars(select(Setting).join(Organisation, Organisation.id == Setting.provider_id)
                                  .where(Setting.status == "open", Organisation.kind == "provider", scope)
                                  .order_by(Organisation.name, Setting.name, Setting.id)).all()
    done = submitted_months([s.id for s in settings], months)
    return [{"setting": s, "provider": s.provider, "month": m, "due_on": due_on(m)}
            for s in settings for m in sorted(months) if required(s, m) and (s.id, m) not in done]


def find(setting_id: int, month: date) -> MonthlyReturn | None:
    return db.session.scalar(select(MonthlyReturn).where(MonthlyReturn.setting_id == setting_id,
                                                         MonthlyReturn.month == month))


def _snapshot(row: MonthlyReturn) -> dict:
    return {f: (str(getattr(row, f)) if f == "education_attendance_percent" else getattr(row, f)) for f in FIELDS}


def can_submit(setting: Setting, month: date, today: date) -> str | None:
    """None if the month may be submitted (or corrected) today, else the reason why not."""
    if month not in recent_months(today):
        if month >= month_start(today):
            return f"You can send the return for {month:%B %Y} once the month has ended"
        return f"Returns can only be sent for the last {RECENT_MONTHS} months"
    if setting.status != "open":
        return f"{setting.name} is closed"
    if find(setting.id, month) is not None and today > due_on(month):
        return (f"The return for {month:%B %Y} was due by {due_on(month).day} {due_on(month):%B %Y} "
                "and can no longer be changed")
    return None


def submit_return(actor: User, setting: Setting, month: date, values: dict, today: date | None = None
                  ) -> MonthlyReturn:
    """Add the return, or correct it before its due date. Raises ReturnError having written nothing."""
    today = today or uk_today()
    if setting.provider_id != actor.organisation_id:
        raise ReturnError("You can only send returns for your own homes")
    problem = can_submit(setting, month, today)
    if problem:
        raise ReturnError(problem)
    for name in FIELDS:
        value = values.get(name)
        if value is None or value < 0:
            raise ReturnError("Enter every figure as 0 or more")
    if Decimal(str(values["education_attendance_percent"])) > 100:
        raise ReturnError("Education attendance must be between 0 and 100")
    row = find(setting.id, month)
    before = _snapshot(row) if row else None
    if row is None:
        row = MonthlyReturn(setting_id=setting.id, provider_id=setting.provider_id, month=month)
        db.session.add(row)
    for name in FIELDS:
        setattr(row, name, values[name])
    row.submitted_at, row.submitted_by_id = utcnow(), actor.id
    try:
        db.session.flush()
    except IntegrityError:  # the same return sent from another window a moment ago
        db.session.rollback()
        raise ReturnError(f"A return for {month:%B %Y} was sent a moment ago. Check it and correct it if "
                          "needed.") from None
    record("monthly_return.corrected" if before else "monthly_return.submitted", "monthly_return", row.id,
           before=before, after={"setting_id": setting.id, "month": month.isoformat(), **_snapshot(row)},
           actor=actor)
    from quality import compliance  # a late return may end an "at risk" status at once

    compliance.evaluate_setting(setting)
    return row
