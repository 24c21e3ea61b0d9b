"""The decision clock on the DPS manager's admissions queue: 10 working days from receipt, bank holidays
excluded (Christmas, Easter), overdue in red, nearly due in orange, one extension to 15 days."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from portal import admissions
from portal.core import db
from portal.models import DpsApplication
from portal.workdays import decision_due
from tests import factories
from tests.conftest import sign_in, submit

CHRISTMAS_RECEIPT = datetime(2025, 12, 19, 15, 0, tzinfo=timezone.utc)  # Friday before Christmas
EASTER_RECEIPT = datetime(2026, 4, 1, 9, 30, tzinfo=timezone.utc)  # Wednesday before Good Friday


@pytest.fixture
def manager(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council, name="South East London DPS")
        user = factories.user("dps_manager", org=council)
        christmas = factories.application(dps, factories.organisation("provider", name="Holly Homes"), "submitted",
                                          submitted_at=CHRISTMAS_RECEIPT)
        easter = factories.application(dps, factories.organisation("provider", name="Bunny Care"),
                                       "clarification_requested", submitted_at=EASTER_RECEIPT)
        db.commit()
        ids = {"christmas": christmas.id, "easter": easter.id, "dps": dps, "council": council}
        email = user.email
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    return client, ids


def _on(monkeypatch, day: date) -> None:
    monkeypatch.setattr(admissions, "uk_today", lambda: day)


def _row(html: str, provider: str) -> str:
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    return next(re.sub(r"\s+", " ", r) for r in rows if provider in r)


def test_due_dates_skip_christmas_and_easter_bank_holidays():
    # 22, 23, 24, 29, 30, 31 December, 2, 5, 6, 7 January: Christmas, Boxing Day and New Year's Day skipped.
    assert decision_due(CHRISTMAS_RECEIPT, extended=False) == date(2026, 1, 7)
    # 2, 7, 8, 9, 10, 13, 14, 15, 16, 17 April: Good Friday and Easter Monday skipped.
    assert decision_due(EASTER_RECEIPT, extended=False) == date(2026, 4, 17)


def test_queue_shows_due_dates_and_working_days_left_across_christmas(manager, monkeypatch):
    client, _ = manager
    _on(monkeypatch, date(2025, 12, 24))
    html = client.get("/dps/applications").get_data(as_text=True)
    row = _row(html, "Holly Homes")
    assert "7 January 2026" in row
    assert "7 working days left" in row and "govuk-tag--blue" in row  # 29, 30, 31 Dec, 2, 5, 6, 7 Jan


def test_queue_is_sorted_most_urgent_first_and_clock_runs_during_clarification(manager, monkeypatch):
    client, _ = manager
    _on(monkeypatch, date(2026, 4, 15))
    html = client.get("/dps/applications").get_data(as_text=True)
    assert html.index("Holly Homes") < html.index("Bunny Care")  # due 7 January before 17 April
    easter = _row(html, "Bunny Care")
    assert "17 April 2026" in easter and "Clarification requested" in easter
    assert "2 working days left" in easter and "govuk-tag--orange" in easter
    christmas = _row(html, "Holly Homes")
    assert "Overdue by" in christmas and "govuk-tag--red" in christmas


def test_overdue_and_due_today(manager, monkeypatch):
    client, _ = manager
    _on(monkeypatch, date(2026, 1, 9))
    row = _row(client.get("/dps/applications").get_data(as_text=True), "Holly Homes")
    assert "Overdue by 2 working days" in row and "govuk-tag--red" in row  # 8 and 9 January
    _on(monkeypatch, date(2026, 1, 7))
    row = _row(client.get("/dps/applications").get_data(as_text=True), "Holly Homes")
    assert "Due today" in row and "govuk-tag--orange" in row
    _on(monkeypatch, date(2026, 1, 6))
    row = _row(client.get("/dps/applications").get_data(as_text=True), "Holly Homes")
    assert "1 working day left" in row and "govuk-tag--orange" in row


def test_status_filter(manager, monkeypatch):
    client, _ = manager
    _on(monkeypatch, date(2026, 1, 2))
    html = client.get("/dps/applications?status=clarification_requested").get_data(as_text=True)
    assert "Bunny Care" in html and "Holly Homes" not in html
    html = client.get("/dps/applications?status=admitted").get_data(as_text=True)
    assert "There are no applications with this status" in html
    response = client.get("/dps/applications?status=nonsense")
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)


def test_extension_once_only_from_the_decision_page(app, manager, monkeypatch):
    client, ids = manager
    _on(monkeypatch, date(2026, 1, 5))
    url = f"/dps/applications/{ids['christmas']}"
    response = submit(client, url + "/extend", {"extend-reason": ""}, page=url)
    assert response.status_code == 400 and "Enter the reason for extending" in response.get_data(as_text=True)
    response = submit(client, url + "/extend", {"extend-reason": "Waiting for a reference"}, page=url,
                      follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The decision period has been extended to 14 January 2026" in html
    assert "(extended)" in _row(client.get("/dps/applications").get_data(as_text=True), "Holly Homes")
    assert "Extend the decision period" not in html  # the form is gone
    # A second extension (a stale page, or a crafted post) is refused and changes nothing.
    response = submit(client, url + "/extend", {"extend-reason": "Again"}, page=url, follow_redirects=True)
    assert "already been extended once" in response.get_data(as_text=True)
    with app.app_context():
        application = db.session.get(DpsApplication, ids["christmas"])
        assert application.decision_due_on == date(2026, 1, 14)
        assert application.extension_reason == "Waiting for a reference"


def test_resubmission_keeps_the_original_receipt_date(app, manager):
    client, ids = manager
    with app.app_context():
        application = db.session.get(DpsApplication, ids["easter"])
        admin = factories.user("provider_admin", org=application.provider)
        admissions.transition(application, "submitted", admin, reason="Here you are",
                              now=datetime(2026, 4, 14, tzinfo=timezone.utc))
        db.commit()
        assert application.submitted_at == EASTER_RECEIPT
        assert application.decision_due_on == date(2026, 4, 17)
