"""Monthly returns: due dates, submission and correction, bad input, the provider's grid, the QA officers'
overdue list, the reminder on the 8th and the link to compliance."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, InboxMessage
from quality import compliance, returns
from quality.jobs_compliance import remind_monthly_returns
from quality.models import MonthlyReturn
from quality.returns import ReturnError
from tests import factories
from tests.conftest import sign_in, submit

OCT = date(2026, 10, 1)
LONG_AGO = datetime(2026, 1, 1, tzinfo=timezone.utc)
VALUES = {"incidents": 1, "missing_episodes": 0, "education_attendance_percent": Decimal("92.50"),
          "unplanned_endings": 0, "staff_vacancies": 2}
FORM = {"incidents": "1", "missing_episodes": "0", "education_attendance_percent": "92.5", "unplanned_endings": "0",
        "staff_vacancies": "2"}


def at(day: str):
    return freeze_time(f"{day} 12:00:00")


def test_dates():
    assert returns.due_on(OCT) == date(2026, 11, 10)
    assert returns.due_on(date(2026, 12, 1)) == date(2027, 1, 10)
    assert returns.recent_months(date(2026, 1, 15)) == [date(2025, 12, 1), date(2025, 11, 1), date(2025, 10, 1)]


@pytest.mark.parametrize("today,status", [("2026-11-01", "due"), ("2026-11-10", "due"), ("2026-11-11", "overdue")])
def test_status_by_date(ctx, today, status):
    home = factories.setting(factories.organisation("provider"), created_at=LONG_AGO)
    assert returns.status_of(home, OCT, False, date.fromisoformat(today)) == status
    assert returns.status_of(home, OCT, True, date.fromisoformat(today)) == "submitted"


@pytest.fixture
def home(ctx):
    provider = factories.organisation("provider")
    setting = factories.setting(provider, created_at=LONG_AGO)
    user = factories.user("provider_staff", org=provider)
    return setting, user


def test_submit_then_correct_before_the_due_date(home):
    setting, user = home
    with at("2026-11-05"):
        row = returns.submit_return(user, setting, OCT, VALUES)
        returns.submit_return(user, setting, OCT, {**VALUES, "incidents": 3})
    assert db.session.scalar(select(func.count()).select_from(MonthlyReturn)) == 1
    assert row.incidents == 3
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "monthly_return")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["monthly_return.submitted", "monthly_return.corrected"]


@pytest.mark.parametrize("today,month,message", [
    ("2026-11-05", date(2026, 11, 1), "once the month has ended"),
    ("2026-11-05", date(2026, 7, 1), "only be sent for the last 3 months"),
])
def test_months_that_cannot_be_sent(home, today, month, message):
    setting, user = home
    with at(today), pytest.raises(ReturnError, match=message):
        returns.submit_return(user, setting, month, VALUES)


def test_no_correction_after_the_due_date_but_a_late_return_is_taken(home):
    setting, user = home
    with at("2026-11-05"):
        returns.submit_return(user, setting, OCT, VALUES)
    with at("2026-11-11"), pytest.raises(ReturnError, match="can no longer be changed"):
        returns.submit_return(user, setting, OCT, {**VALUES, "incidents": 0})
    with at("2026-11-20"):
        returns.submit_return(user, setting, date(2026, 9, 1), VALUES)  # late, but still wanted


def test_another_providers_home_is_refused(home):
    setting, _user = home
    with at("2026-11-05"), pytest.raises(ReturnError, match="your own homes"):
        returns.submit_return(factories.user("provider_admin"), setting, OCT, VALUES)


def test_a_late_return_ends_at_risk(home):
    setting, user = home
    with at("2026-11-20"):
        for month in (date(2026, 8, 1), date(2026, 9, 1)):
            returns.submit_return(user, setting, month, VALUES)
        compliance.evaluate_setting(setting)
        assert compliance.status_for("setting", setting.id).status == "at_risk"
        returns.submit_return(user, setting, OCT, VALUES)
    assert compliance.status_for("setting", setting.id).status == "compliant"


# --- pages ---------------------------------------------------------------------------------------

@pytest.fixture
def provider_client(app, client):
    with app.app_context():
        provider = factories.organisation("provider")
        setting = factories.setting(provider, created_at=LONG_AGO, name="Acacia House")
        user = factories.user("provider_staff", org=provider)
        db.commit()
        setting_id, email = setting.id, user.email
    return client, setting_id, email


BAD = [
    ({"incidents": ""}, "Enter the number of incidents, or 0 if none"),
    ({"incidents": "two"}, "Incidents must be a whole number, like 2"),
    ({"missing_episodes": "-1"}, "Missing episodes must be 0 or more"),
    ({"staff_vacancies": "1.5"}, "Staff vacancies must be a whole number, like 2"),
    ({"education_attendance_percent": "100.5"}, "Education attendance must be between 0 and 100"),
    ({"education_attendance_percent": "-1"}, "Education attendance must be between 0 and 100"),
    ({"education_attendance_percent": "92.555"}, "up to 2 decimal places"),
    ({"education_attendance_percent": "lots"}, "Education attendance must be a number, like 92.5"),
    ({"education_attendance_percent": "NaN"}, "Education attendance must be a number, like 92.5"),
]


@pytest.mark.parametrize("change,message", BAD, ids=[m for _c, m in BAD])
def test_bad_input_shows_an_error_and_writes_nothing(app, provider_client, change, message):
    client, setting_id, email = provider_client
    with at("2026-11-05"):
        sign_in(client, email, factories.PASSWORD)
        response = submit(client, f"/returns/{setting_id}?month=2026-10", {**FORM, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and message in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MonthlyReturn)) == 0


def test_provider_sends_a_return_and_sees_the_grid(app, provider_client):
    client, setting_id, email = provider_client
    with at("2026-11-05"):
        sign_in(client, email, factories.PASSWORD)
        grid = client.get("/returns").get_data(as_text=True)
        assert (grid.count(">Overdue<"), grid.count(">Due<"), grid.count(">Submitted<")) == (2, 1, 0)
        response = submit(client, f"/returns/{setting_id}?month=2026-10", FORM)
        assert response.status_code == 302
        grid = client.get("/returns").get_data(as_text=True)
        assert (grid.count(">Overdue<"), grid.count(">Due<"), grid.count(">Submitted<")) == (2, 0, 1)
        assert client.get(f"/returns/{setting_id}?month=2026-13").status_code == 404
        assert client.get(f"/returns/{setting_id}?month=2026-11").status_code == 404
        page = client.get(f"/returns/{setting_id}?month=2026-10").get_data(as_text=True)
        assert "92.50" in page and "You can correct it until 10 November 2026" in page
    with at("2026-11-11"):
        sign_in(client, email, factories.PASSWORD)
        page = client.get(f"/returns/{setting_id}?month=2026-10").get_data(as_text=True)
        assert "can no longer be changed" in page and "Correct return" not in page
        assert submit(client, f"/returns/{setting_id}?month=2026-10", FORM,
                      page=f"/returns/{setting_id}?month=2026-09").status_code == 302
    with app.app_context():
        row = db.session.scalar(select(MonthlyReturn))
        assert (row.month, row.education_attendance_percent, row.staff_vacancies) == (OCT, Decimal("92.50"), 2)


def test_qa_officer_sees_overdue_returns_of_providers_on_their_dps(app, client):
    with app.app_context(), at("2026-11-20"):
        council = factories.organisation("council")
        dps = factories.dps(council)
        ours = factories.organisation("provider", name="Ours Care")
        factories.admitted(ours, dps)
        factories.setting(ours, created_at=LONG_AGO, name="Late House")
        theirs = factories.organisation("provider", name="Theirs Care")
        factories.admitted(theirs, factories.dps())
        factories.setting(theirs, created_at=LONG_AGO, name="Other House")
        qa = factories.user("qa_officer", org=council)
        db.commit()
        email = qa.email
    with at("2026-11-20"):
        sign_in(client, email, factories.PASSWORD)
        page = client.get("/returns/overdue").get_data(as_text=True)
    assert "Late House" in page and "October 2026" in page and "Other House" not in page


# --- reminders -----------------------------------------------------------------------------------

def test_reminder_on_the_8th_once_per_setting_and_month(ctx):
    provider = factories.organisation("provider")
    sent_home = factories.setting(provider, created_at=LONG_AGO)
    missing_home = factories.setting(provider, created_at=LONG_AGO)
    staff = factories.user("provider_staff", org=provider)
    db.session.add(MonthlyReturn(setting_id=sent_home.id, provider_id=provider.id, month=OCT, incidents=0,
                                 missing_episodes=0, education_attendance_percent=90, unplanned_endings=0,
                                 staff_vacancies=0))
    db.session.flush()
    with at("2026-11-07"):
        assert remind_monthly_returns() == 0
    with at("2026-11-08"):
        assert remind_monthly_returns() == 1
    with at("2026-11-09"):
        remind_monthly_returns()  # a second run sends nothing new
    inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "return_overdue")).all()
    assert [(m.user_id, m.key) for m in inbox] == [
        (staff.id, f"return_overdue:{staff.id}:monthly_return:{missing_home.id}-2026-10")]
    with at("2026-11-11"):
        assert remind_monthly_returns() == 0


def test_seed_leaves_every_compliance_state(app):
    from collections import Counter

    from portal.models import DpsApplication
    from portal.seed import seed_market
    from quality.models import ComplianceStatus, MonthlyReturn
    from quality.seed_compliance import seed_compliance

    with app.app_context():
        seed_market()
        seed_compliance()
        db.commit()
        statuses = Counter(db.session.scalars(select(ComplianceStatus.status)))
        assert set(statuses) == {"compliant", "warning", "at_risk", "non_compliant", "suspended"}, statuses
        providers = Counter(db.session.scalars(select(ComplianceStatus.status)
                                               .where(ComplianceStatus.subject_type == "provider")))
        assert providers["suspended"] >= 1 and providers["non_compliant"] >= 1
        assert db.session.scalar(select(func.count()).select_from(DpsApplication)
                                 .where(DpsApplication.status == "suspended")) >= 1
        assert db.session.scalar(select(func.count()).select_from(MonthlyReturn)) > 100
        count = db.session.scalar(select(func.count()).select_from(ComplianceStatus))
        seed_compliance()  # idempotent
        assert db.session.scalar(select(func.count()).select_from(ComplianceStatus)) == count
