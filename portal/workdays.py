"""Working-day arithmetic for the dynamic purchasing system (DPS) decision clock.

A request to join the DPS must be decided within 10 working days of receipt,
which may be extended once to 15 working days.

Rules used throughout this module (documented here so that callers and
reviewers can check them against the regulations):

* A *working day* is Monday to Friday, excluding bank holidays in England and
  Wales.  Bank holidays come from the ``holidays`` package
  (``holidays.country_holidays("GB", subdiv="ENG")``), which includes
  substitute ("observed") days, such as Monday 27 and Tuesday 28 December 2027
  when Christmas Day and Boxing Day fall at a weekend, and one-off bank
  holidays such as the 2023 coronation.  Wales has the same bank holidays as
  England (the package returns identical dates for "ENG" and "WLS").  One-off
  bank holidays announced after the installed package was released are only
  picked up by upgrading the package.
* The day of receipt never counts.  Day 1 is the first working day *after*
  the day of receipt.  If a request arrives on a weekend or bank holiday, day
  1 is therefore the next working day: a request received on Saturday has the
  same due date as one received on the Friday before it.
* Only the calendar date of receipt matters, not the time: a request received
  at 23:59 on a working day is still received that day.  Time-zone-aware
  datetimes are converted to UK time (Europe/London) first; naive datetimes
  are taken to be UK time already.
* ``working_days_between(a, b)`` counts the working days after ``a`` up to and
  including ``b``, so ``working_days_between(d, add_working_days(d, n)) == n``
  for every date ``d`` and every ``n >= 0``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "DECISION_WORKING_DAYS",
    "EXTENDED_DECISION_WORKING_DAYS",
    "UK_TIMEZONE",
    "add_working_days",
    "bank_holidays",
    "decision_due",
    "is_working_day",
    "working_days_between",
]

DECISION_WORKING_DAYS = 10
EXTENDED_DECISION_WORKING_DAYS = 15
UK_TIMEZONE = "Europe/London"

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=None)
def _bank_holidays_in_year(year: int) -> frozenset[date]:
    """England and Wales bank holidays falling in ``year`` (cached per year).

    The neighbouring years are generated too, so that a substitute day moved
    across a year boundary by the package would still be found.
    """
    calendar = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(year - 1, year + 2)
    )
    return frozenset(day for day in calendar if day.year == year)


def bank_holidays(start: date, end: date) -> list[date]:
    """England and Wales bank holidays from ``start`` to ``end`` inclusive, sorted."""
    if end < start:
        return []
    found: list[date] = []
    for year in range(start.year, end.year + 1):
        found.extend(d for d in _bank_holidays_in_year(year) if start <= d <= end)
    return sorted(found)


def is_working_day(d: date) -> bool:
    """True if ``d`` is a weekday that is not an England and Wales bank holiday."""
    if isinstance(d, datetime):
        d = d.date()
    return d.weekday() < 5 and d not in _bank_holidays_in_year(d.year)


def add_working_days(start: date, n: int) -> date:
    """The date that is ``n`` working days after ``start``.

    ``start`` itself never counts, whether or not it is a working day, so the
    result is the ``n``-th working day strictly after ``start``.  When ``n`` is
    0, ``start`` is returned unchanged.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("The number of working days must be a whole number")
    if n < 0:
        raise ValueError("The number of working days cannot be negative")
    if isinstance(start, datetime):
        start = start.date()
    current = start
    remaining = n
    while remaining:
        current += _ONE_DAY
        if is_working_day(current):
            remaining -= 1
    return current


def _weekdays_up_to(d: date) -> int:
    """Number of Mondays to Fridays from 1 January 0001 (a Monday) to ``d`` inclusive."""
    days = d.toordinal()  # day 1 is Monday 1 January 0001
    full_weeks, extra = divmod(days, 7)
    return full_weeks * 5 + min(extra, 5)


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative if ``b`` is before ``a``."""
    if isinstance(a, datetime):
        a = a.date()
    if isinstance(b, datetime):
        b = b.date()
    if b < a:
        return -working_days_between(b, a)
    weekdays = _weekdays_up_to(b) - _weekdays_up_to(a)
    weekday_holidays = sum(
        1 for d in bank_holidays(a + _ONE_DAY, b) if d.weekday() < 5
    )
    return weekdays - weekday_holidays


def _uk_date(moment: date) -> date:
    """The UK calendar date of ``moment`` (see the module docstring)."""
    if not isinstance(moment, datetime):
        return moment
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo(UK_TIMEZONE))
    return moment.date()


def decision_due(submitted_at: datetime, extended: bool) -> date:
    """The last day for deciding a DPS admission request received at ``submitted_at``.

    10 working days after the day of receipt, or 15 if the decision period has
    been extended.
    """
    days = EXTENDED_DECISION_WORKING_DAYS if extended else DECISION_WORKING_DAYS
    return add_working_days(_uk_date(submitted_at), days)
