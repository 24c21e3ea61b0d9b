"""Tests for the DPS decision clock (portal.workdays).

Every expected date below was counted by hand against the England and Wales
bank holidays returned by the ``holidays`` package (listed in the comments).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portal.workdays import (
    add_working_days,
    bank_holidays,
    decision_due,
    is_working_day,
    working_days_between,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- the bank holidays themselves -------------------------------------------


def test_christmas_2026_bank_holidays_include_boxing_day_substitute() -> None:
    # 25 Dec 2026 is a Friday, 26 Dec a Saturday -> Boxing Day moves to Mon 28.
    assert bank_holidays(d("2026-12-24"), d("2027-01-04")) == [
        d("2026-12-25"),
        d("2026-12-26"),
        d("2026-12-28"),
        d("2027-01-01"),
    ]
    assert not is_working_day(d("2026-12-28"))
    assert is_working_day(d("2026-12-29"))


def test_christmas_2027_on_a_saturday_gives_two_substitute_days() -> None:
    # 25 Dec 2027 is a Saturday and 26 Dec a Sunday -> Mon 27 and Tue 28 are off.
    assert d("2027-12-25").weekday() == 5
    assert not is_working_day(d("2027-12-27"))
    assert not is_working_day(d("2027-12-28"))
    assert is_working_day(d("2027-12-29"))
    # 1 Jan 2028 is a Saturday -> substitute Monday 3 January 2028.
    assert not is_working_day(d("2028-01-03"))


def test_weekends_and_ordinary_weekdays() -> None:
    assert is_working_day(d("2026-06-05"))  # Friday
    assert not is_working_day(d("2026-06-06"))  # Saturday
    assert not is_working_day(d("2026-06-07"))  # Sunday
    assert is_working_day(datetime(2026, 6, 8, 9, 30))  # Monday, as a datetime


def test_one_off_bank_holidays_are_included() -> None:
    assert not is_working_day(d("2023-05-08"))  # coronation of Charles III
    assert not is_working_day(d("2022-09-19"))  # state funeral of Elizabeth II


# --- add_working_days ---------------------------------------------------------


def test_across_christmas_boxing_day_and_new_year_2026() -> None:
    # Fri 18 Dec 2026. Day 1 Mon 21, 2 Tue 22, 3 Wed 23, 4 Thu 24,
    # (Fri 25 Christmas, Mon 28 Boxing Day substitute), 5 Tue 29, 6 Wed 30,
    # 7 Thu 31, (Fri 1 Jan New Year), 8 Mon 4, 9 Tue 5, 10 Wed 6 Jan 2027.
    assert add_working_days(d("2026-12-18"), 10) == d("2027-01-06")
    # ... 11 Thu 7, 12 Fri 8, 13 Mon 11, 14 Tue 12, 15 Wed 13 Jan 2027.
    assert add_working_days(d("2026-12-18"), 15) == d("2027-01-13")


def test_across_christmas_2027_with_substitute_days() -> None:
    # Mon 20 Dec 2027. 1 Tue 21, 2 Wed 22, 3 Thu 23, 4 Fri 24,
    # (Mon 27 and Tue 28 substitutes), 5 Wed 29, 6 Thu 30, 7 Fri 31,
    # (Mon 3 Jan 2028 New Year substitute), 8 Tue 4, 9 Wed 5, 10 Thu 6 Jan 2028.
    assert add_working_days(d("2027-12-20"), 10) == d("2028-01-06")


def test_across_easter_2027() -> None:
    # Good Friday 26 Mar 2027, Easter Monday 29 Mar 2027.
    assert not is_working_day(d("2027-03-26"))
    assert not is_working_day(d("2027-03-29"))
    # Thu 25 Mar. 1 Tue 30, 2 Wed 31, 3 Thu 1 Apr, 4 Fri 2, 5 Mon 5, 6 Tue 6,
    # 7 Wed 7, 8 Thu 8, 9 Fri 9, 10 Mon 12 Apr.
    assert add_working_days(d("2027-03-25"), 10) == d("2027-04-12")


def test_across_early_may_bank_holiday_2027() -> None:
    # Early May bank holiday Mon 3 May 2027. Fri 30 Apr:
    # 1 Tue 4, 2 Wed 5, 3 Thu 6, 4 Fri 7, 5 Mon 10 ... 9 Fri 14, 10 Mon 17 May.
    assert add_working_days(d("2027-04-30"), 10) == d("2027-05-17")


def test_across_spring_bank_holiday_2027() -> None:
    # Spring bank holiday Mon 31 May 2027. Mon 24 May:
    # 1 Tue 25, 2 Wed 26, 3 Thu 27, 4 Fri 28, 5 Tue 1 Jun, 6 Wed 2, 7 Thu 3,
    # 8 Fri 4, 9 Mon 7, 10 Tue 8 Jun.
    assert add_working_days(d("2027-05-24"), 10) == d("2027-06-08")


def test_extension_to_15_spans_both_may_bank_holidays_2026() -> None:
    # Early May Mon 4 May 2026, spring Mon 25 May 2026. Fri 1 May:
    # 1 Tue 5 ... 4 Fri 8, 5 Mon 11 ... 9 Fri 15, 10 Mon 18 ... 14 Fri 22,
    # (Mon 25 spring bank holiday), 15 Tue 26 May.
    assert decision_due(datetime(2026, 5, 1, 10, 0), extended=False) == d("2026-05-18")
    assert decision_due(datetime(2026, 5, 1, 10, 0), extended=True) == d("2026-05-26")


def test_friday_submission_without_holidays_is_two_weeks() -> None:
    assert decision_due(datetime(2026, 6, 5, 16, 59), extended=False) == d("2026-06-19")
    assert decision_due(datetime(2026, 6, 5, 16, 59), extended=True) == d("2026-06-26")


@pytest.mark.parametrize("received", ["2026-06-06", "2026-06-07"])
def test_weekend_submission_counts_from_monday(received: str) -> None:
    # Sat or Sun 6/7 Jun 2026: Mon 8 is day 1, so day 10 is Fri 19 Jun, the
    # same as for a request received on Friday 5 June.
    submitted = datetime.combine(d(received), datetime.min.time())
    assert decision_due(submitted, extended=False) == d("2026-06-19")
    assert add_working_days(d(received), 1) == d("2026-06-08")


def test_bank_holiday_submission_counts_from_next_working_day() -> None:
    # Late summer bank holiday Mon 31 Aug 2026: Tue 1 Sep is day 1.
    assert add_working_days(d("2026-08-31"), 1) == d("2026-09-01")
    assert add_working_days(d("2026-08-31"), 10) == d("2026-09-14")


def test_zero_days_returns_start_and_negative_is_refused() -> None:
    assert add_working_days(d("2026-06-06"), 0) == d("2026-06-06")
    with pytest.raises(ValueError):
        add_working_days(d("2026-06-05"), -1)
    with pytest.raises(TypeError):
        add_working_days(d("2026-06-05"), 1.5)  # type: ignore[arg-type]


# --- decision_due and time zones ---------------------------------------------


def test_aware_datetime_is_converted_to_uk_time() -> None:
    # 23:30 UTC on Thu 4 Jun 2026 is 00:30 BST on Fri 5 Jun.
    late_thursday_utc = datetime(2026, 6, 4, 23, 30, tzinfo=timezone.utc)
    assert decision_due(late_thursday_utc, extended=False) == d("2026-06-19")
    # The same wall-clock time, naive, is taken as UK time: Thursday.
    assert decision_due(datetime(2026, 6, 4, 23, 30), extended=False) == d("2026-06-18")


def test_decision_due_over_christmas_2026() -> None:
    assert decision_due(datetime(2026, 12, 18, 12, 0), extended=False) == d("2027-01-06")
    assert decision_due(datetime(2026, 12, 18, 12, 0), extended=True) == d("2027-01-13")


# --- working_days_between -----------------------------------------------------


def test_working_days_between_basics() -> None:
    assert working_days_between(d("2026-12-18"), d("2027-01-06")) == 10
    assert working_days_between(d("2027-01-06"), d("2026-12-18")) == -10
    assert working_days_between(d("2026-06-05"), d("2026-06-05")) == 0
    assert working_days_between(d("2026-06-05"), d("2026-06-08")) == 1  # Fri -> Mon
    assert working_days_between(d("2026-06-06"), d("2026-06-07")) == 0  # Sat -> Sun
    assert working_days_between(d("2027-03-25"), d("2027-03-29")) == 0  # Easter


def test_working_days_between_is_the_inverse_of_add_working_days() -> None:
    start = d("2026-11-01")
    for offset in range(0, 120):
        day = start + timedelta(days=offset)
        for n in (0, 1, 5, 10, 15, 23):
            assert working_days_between(day, add_working_days(day, n)) == n


def test_working_days_between_matches_day_by_day_count() -> None:
    a = d("2025-12-20")
    for offset in range(0, 800, 7):
        b = a + timedelta(days=offset)
        expected = sum(
            1 for i in range(1, offset + 1) if is_working_day(a + timedelta(days=i))
        )
        assert working_days_between(a, b) == expected
