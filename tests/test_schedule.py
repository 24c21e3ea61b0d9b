"""The risk-based schedule: next visit due for every rating and both triggers, on fixed dates."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.core import db
from quality import schedule
from quality.schedule import add_months, next_visit_due
from quality.visits import uk_today
from tests import factories
from tests.conftest import sign_in

TODAY = date(2026, 5, 1)
ADDED = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _standards(app):
    with app.app_context():
        factories.quality_standards()
        db.commit()


def _home(rating, provider=None):
    return factories.setting(provider or factories.organisation("provider"), overall_effectiveness=rating,
                             created_at=ADDED)


@pytest.mark.parametrize("rating,expected", [
    ("Inadequate", date(2026, 5, 10)),
    ("Requires improvement to be good", date(2026, 5, 10)),
    ("Good", date(2027, 2, 10)),
    ("Outstanding", date(2027, 8, 10)),
    (None, date(2026, 5, 10)),
])
def test_months_after_the_last_completed_visit_by_rating(ctx, rating, expected):
    home = _home(rating)
    factories.monitoring_visit(home, status="report_issued", visited_on=date(2026, 2, 10))
    factories.monitoring_visit(home, status="completed", visited_on=date(2025, 1, 1))  # an older one
    factories.monitoring_visit(home, status="cancelled", planned_for=date(2026, 4, 1))  # does not count
    assert next_visit_due(home, TODAY) == expected


@pytest.mark.parametrize("rating,expected", [
    ("Inadequate", date(2026, 4, 15)), ("Good", date(2027, 1, 15)), ("Outstanding", date(2027, 7, 15)),
    (None, date(2026, 4, 15)),
])
def test_never_visited_counts_from_when_the_setting_was_added(ctx, rating, expected):
    assert next_visit_due(_home(rating), TODAY) == expected


def test_month_ends_are_clamped():
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 18) == date(2029, 2, 28)


def test_a_planned_triggered_visit_brings_the_visit_forward_10_working_days(ctx):
    home = _home("Outstanding")
    factories.monitoring_visit(home, status="completed", visited_on=date(2026, 3, 1))
    factories.monitoring_visit(home, kind="triggered", trigger_reason="A concern", planned_for=date(2026, 6, 1),
                               created_at=datetime(2026, 4, 1, 10, 0, tzinfo=timezone.utc))
    # 10 working days from Wednesday 1 April 2026, skipping Good Friday (3 April) and Easter Monday (6 April)
    assert next_visit_due(home, TODAY) == date(2026, 4, 17)
    due = schedule.due_for_settings([home], TODAY)[home.id]
    assert due.brought_forward and "triggered concern" in due.reason


def test_a_completed_triggered_visit_no_longer_brings_it_forward(ctx):
    home = _home("Good")
    factories.monitoring_visit(home, status="completed", kind="triggered", trigger_reason="A concern",
                               visited_on=date(2026, 4, 20))
    assert next_visit_due(home, TODAY) == date(2027, 4, 20)


def test_an_overdue_high_priority_action_brings_it_forward(ctx):
    home = _home("Good")
    factories.monitoring_visit(home, status="completed", visited_on=date(2026, 3, 1))
    factories.qa_action(home, priority="high", due_on=date(2026, 4, 19))  # Sunday; overdue from Monday 20th
    # 10 working days from Monday 20 April 2026, skipping the early May bank holiday (4 May)
    assert next_visit_due(home, TODAY) == date(2026, 5, 5)
    factories.qa_action(home, priority="medium", due_on=date(2026, 1, 1))  # medium: no effect
    assert next_visit_due(home, TODAY) == date(2026, 5, 5)


@pytest.mark.parametrize("status,due_on", [("open", date(2026, 5, 1)), ("closed", date(2026, 1, 1)),
                                           ("provider_responded", date(2026, 6, 1))])
def test_a_high_priority_action_not_overdue_changes_nothing(ctx, status, due_on):
    home = _home("Good")
    factories.monitoring_visit(home, status="completed", visited_on=date(2026, 3, 1))
    factories.qa_action(home, priority="high", status=status, due_on=due_on)
    assert next_visit_due(home, TODAY) == date(2027, 3, 1)


def test_the_earlier_date_wins(ctx):
    home = _home("Inadequate")
    factories.monitoring_visit(home, status="completed", visited_on=date(2026, 2, 2))  # due 2 May
    factories.qa_action(home, priority="high", due_on=date(2026, 4, 30))  # would be 15 May
    due = schedule.due_for_settings([home], TODAY)[home.id]
    assert due.due_on == date(2026, 5, 2) and not due.brought_forward


def test_overdue_and_upcoming_lists(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("qa_officer", org=council)
        late = _home("Inadequate")
        factories.monitoring_visit(late, council, status="completed", visited_on=date(2025, 1, 1))
        soon = _home("Good")
        factories.monitoring_visit(soon, council, status="completed",
                                   visited_on=add_months(uk_today(), -11))
        db.commit()
        email, late_name, soon_name = officer.email, late.name, soon.name
        assert [d.setting.name for d in schedule.overdue_visits()] == [late_name]
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    overdue = client.get("/quality/visits/overdue").get_data(as_text=True)
    assert late_name in overdue and soon_name not in overdue
    upcoming = client.get("/quality/visits/upcoming").get_data(as_text=True)
    assert soon_name in upcoming and late_name not in upcoming


def test_a_qa_officer_sees_the_schedule_of_their_own_councils_market_only(app):
    with app.app_context():
        d = factories.dps()
        council = d.councils[0]
        officer = factories.user("qa_officer", org=council)
        ours = factories.organisation("provider", name="Ours Care")
        factories.admitted(ours, d, "residential")
        in_market = _home("Inadequate", provider=ours)
        elsewhere = _home("Inadequate")  # a provider admitted to no DPS of this council, never visited by it
        db.commit()
        email, mine, theirs = officer.email, in_market.name, elsewhere.name
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    overdue = client.get("/quality/visits/overdue?format=csv").get_data(as_text=True)
    assert mine in overdue and theirs not in overdue
