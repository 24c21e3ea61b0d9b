"""In a real browser: a provider sends a monthly return (after an error), sees its compliance page; a QA
officer views the compliance dashboard and a provider's page; a DPS manager lifts a suspension with a
reason. axe-core reports no violations on any page visited."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from portal.core import db
from quality import compliance, returns
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser
LONG_AGO = datetime(2025, 1, 1, tzinfo=timezone.utc)


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def test_return_dashboard_and_lifting_a_suspension(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        dps = factories.dps(council, name="South East London DPS")
        factories.user("qa_officer", org=council, email="fatima@lewisham.example", name="Fatima Begum")
        factories.user("dps_manager", org=council, email="sarah@lewisham.example", name="Sarah Collins")
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.admitted(provider, dps)
        factories.user("provider_admin", org=provider, email="priya@oakfield.example", name="Priya Shah")
        good = factories.setting(provider, name="Acacia House", created_at=LONG_AGO)
        bad = factories.setting(provider, name="Birch Lodge", created_at=LONG_AGO, overall_effectiveness="Inadequate")
        compliance.evaluate_provider_and_settings(provider.id)
        db.commit()
        good_id = good.id
        bad_name = bad.name
        month = returns.recent_months(returns.uk_today())[0]

    # The provider sends last month's return for Acacia House.
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Returns").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly returns")
    assert_accessible(page)
    page.goto(f"{live.url}/returns/{good_id}?month={month:%Y-%m}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Monthly return for {month:%B %Y}")
    assert_accessible(page)
    page.get_by_label("Incidents notified to Ofsted").fill("1")
    page.get_by_label("Missing episodes").fill("0")
    page.get_by_label("Education attendance (%)").fill("101")
    page.get_by_label("Unplanned endings").fill("0")
    page.get_by_label("Staff vacancies").fill("2")
    page.get_by_role("button", name="Send return").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Education attendance must be between 0 and 100")
    assert_accessible(page)
    page.get_by_label("Education attendance (%)").fill("92.5")
    page.get_by_role("button", name="Send return").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("sent")
    assert_accessible(page)
    page.get_by_role("link", name="Compliance").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance")
    expect(page.get_by_text("Rated Inadequate by Ofsted").first).to_be_visible()
    assert_accessible(page)
    _sign_out(page)

    # The QA officer sees the dashboard and the provider's compliance page.
    sign_in_browser(page, live.url, "fatima@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Compliance").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance")
    expect(page.get_by_role("link", name=bad_name)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Show status").select_option("suspended")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", level=2, name="Suspended")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=bad_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Care")
    assert_accessible(page)
    _sign_out(page)

    # The DPS manager lifts the suspension, giving a reason.
    sign_in_browser(page, live.url, "sarah@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Compliance").first.click()
    page.get_by_role("link", name=bad_name).click()
    page.get_by_role("link", name=f"Lift suspension of {bad_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lift the suspension")
    assert_accessible(page)
    page.get_by_role("button", name="Lift suspension").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for lifting the suspension")
    assert_accessible(page)
    page.get_by_label("Why are you lifting the suspension?").fill("Ofsted monitoring visit found the home improved")
    page.get_by_role("button", name="Lift suspension").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The suspension has been lifted")
    expect(page.get_by_text("Ofsted monitoring visit found the home improved").first).to_be_visible()
    assert_accessible(page)
