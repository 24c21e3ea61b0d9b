"""In a real browser: a QA officer plans and records a visit with an action and issues the report; the
provider sees the report and responds to the action; the QA officer closes it. axe-core reports no
violations on any page visited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from quality.visits import standards_for, uk_today
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def _fill_date(page, legend: str, d) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(d.day))
    group.get_by_label("Month").fill(str(d.month))
    group.get_by_label("Year").fill(str(d.year))


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def test_qa_visit_action_response_and_close(app, live, page):
    with app.app_context():
        factories.quality_standards()
        council = factories.organisation("council", name="London Borough of Lewisham")
        factories.user("qa_officer", org=council, email="fatima@lewisham.example", name="Fatima Begum")
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.user("provider_admin", org=provider, email="priya@oakfield.example", name="Priya Shah")
        home = factories.setting(provider, name="Oakfield House", urn="SC654321")
        titles = [s.title for s in standards_for(home)]
        db.commit()
    today = uk_today()

    # The QA officer finds the home and plans a visit.
    sign_in_browser(page, live.url, "fatima@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Visits").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring visits")
    assert_accessible(page)
    page.get_by_role("link", name="Plan a visit").first.click()
    assert_accessible(page)
    page.get_by_label("Search for a home").fill("Oakfield")
    page.get_by_role("button", name="Search").click()
    assert_accessible(page)
    page.get_by_role("link", name="Plan a visit to Oakfield House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan a visit")
    page.get_by_role("button", name="Plan visit").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the kind of visit")
    assert_accessible(page)
    page.get_by_label("Unannounced").check()
    _fill_date(page, "Date of the visit", today)
    page.get_by_role("button", name="Plan visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visit to Oakfield House")
    assert_accessible(page)

    # Records it: every standard with evidence, then the overall judgement, and completes it.
    page.get_by_role("link", name="Record the visit").click()
    assert_accessible(page)
    for n, title in enumerate(titles):
        group = page.get_by_role("group", name=f"Judgement for {title.lower()}")
        group.get_by_label("Partly met" if n == 0 else "Met", exact=True).check()
        page.get_by_label(f"Evidence for {title.lower()}").fill(f"Evidence seen for standard {n + 1}")
    page.get_by_role("group", name="Overall judgement").get_by_label("Requires improvement").check()
    page.get_by_label("Summary").fill("A caring home; records need attention.")
    page.get_by_role("button", name="Save and complete the visit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Visit completed")
    assert_accessible(page)

    # Adds an action and issues the report.
    page.get_by_role("link", name="Add an action").click()
    assert_accessible(page)
    page.get_by_label("What must be done").fill("Bring the daily logs up to date")
    page.get_by_label("High").check()
    _fill_date(page, "Due date", today + timedelta(days=14))
    page.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("link", name="Bring the daily logs up to date")).to_be_visible()
    page.get_by_role("button", name="Issue the report to the provider").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Report issued to Oakfield Care")
    assert_accessible(page)
    page.get_by_role("link", name="View the report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring visit report: Oakfield House")
    assert_accessible(page)
    _sign_out(page)

    # The provider reads the report and responds to the action.
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Actions").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions from quality assurance")  # loaded
    assert_accessible(page)
    page.get_by_role("link", name="Bring the daily logs up to date").click()
    assert_accessible(page)
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your response to the action")
    assert_accessible(page)
    page.get_by_label("Your response").fill("All logs are now written up at the end of each shift.")
    page.get_by_role("button", name="Send response").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your response has been sent")
    assert_accessible(page)
    page.get_by_role("link", name="Quality history").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality history")
    assert_accessible(page)
    page.get_by_role("link", name="Oakfield House").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring visit report: Oakfield House")
    assert_accessible(page)
    _sign_out(page)

    # The QA officer closes the action.
    sign_in_browser(page, live.url, "fatima@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Actions").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Actions")  # loaded before axe runs
    assert_accessible(page)
    page.get_by_role("link", name="Bring the daily logs up to date").click()
    expect(page.get_by_text("All logs are now written up")).to_be_visible()
    page.get_by_label("Why is the action closed?").fill("Checked the logs on a follow-up call.")
    page.get_by_role("button", name="Close action").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Action closed")
    expect(page.locator("main .govuk-tag").first).to_have_text("Closed")
    assert_accessible(page)
    page.get_by_role("link", name="Visits").first.click()
    page.get_by_role("link", name="Overdue visits").click()
    assert_accessible(page)
    page.get_by_role("link", name="Upcoming visits").click()
    assert_accessible(page)
    page.get_by_role("link", name="Quality standards").click()
    assert_accessible(page)
