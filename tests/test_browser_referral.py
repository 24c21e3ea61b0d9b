"""In a real browser: a placements officer writes a referral section by section, puts a child's name in
"What matters to me", is refused at publishing with the field and the finding named, fixes it and publishes.
axe-core reports no violations on any page visited."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def _save(page, section: str):
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"{section} completed")
    assert_accessible(page)


def _open(page, section: str):
    page.get_by_role("link", name=section, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section)
    assert_accessible(page)


def _date(page, prefix: str, day: date):
    page.locator(f"#{prefix}-day").fill(str(day.day))
    page.locator(f"#{prefix}-month").fill(str(day.month))
    page.locator(f"#{prefix}-year").fill(str(day.year))


def test_officer_writes_a_referral_is_stopped_by_the_gate_and_publishes(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        factories.dps(council, name="South East London DPS")
        factories.user("placements_officer", org=council, email="amira@lewisham.example", name="Amira Khan")
        db.commit()

    sign_in_browser(page, live.url, "amira@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Referrals").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    assert_accessible(page)
    page.get_by_role("link", name="Start a referral").click()
    page.get_by_role("button", name="Start referral").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the lot this referral is for")
    assert_accessible(page)
    page.get_by_label("South East London DPS: Residential children's homes").check()
    page.get_by_role("button", name="Start referral").click()
    expect(page.get_by_text("You have completed 1 of 10 sections")).to_be_visible()
    assert_accessible(page)

    _open(page, "About the child")
    page.get_by_label("Age in years").fill("14")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Care order", exact=True).check()
    _save(page, "About the child")

    _open(page, "Needs")
    page.get_by_label("Autism", exact=True).check()
    page.get_by_label("Severity of Autism").select_option("high")
    page.locator("#essential-autism").check()
    _save(page, "Needs")

    _open(page, "Identity")
    page.get_by_label("Cultural needs").fill("Enjoys Caribbean food and music")
    page.get_by_label("Religious needs").fill("None")
    page.get_by_label("Language needs").fill("Speaks English")
    _save(page, "Identity")

    _open(page, "Education")
    page.get_by_label("In school", exact=True).check()
    page.get_by_label("Education notes").fill("Doing well in a mainstream secondary school")
    _save(page, "Education")

    _open(page, "Outcomes")
    for label in ("Be healthy", "Stay safe", "Enjoy and achieve", "Make a positive contribution",
                  "Achieve economic well-being"):
        page.get_by_label(label, exact=True).fill(f"Support to {label.lower()}")
    _save(page, "Outcomes")

    _open(page, "What matters to me")
    expect(page.get_by_text("It is shown to providers")).to_be_visible()
    page.get_by_label("What matters to me").fill("Jayden wants to keep playing football on Saturdays")
    _save(page, "What matters to me")

    _open(page, "Location")
    page.get_by_label("Preferred postcode district").fill("SE6 4RU")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("not a full postcode")
    assert_accessible(page)
    page.get_by_label("Preferred postcode district").fill("se6")
    page.get_by_label("Maximum distance in miles").fill("20")
    page.get_by_label("Postcode districts to avoid").fill("E1, N1")
    _save(page, "Location")

    _open(page, "Timing")
    page.locator("input[name=emergency][value=no]").check()
    _date(page, "start_date", date.today() + timedelta(days=21))
    page.get_by_label("Long term (over a year)").check()
    _date(page, "deadline_date", date.today() + timedelta(days=7))
    page.get_by_label("Response deadline time").fill("17:00")
    _date(page, "cutoff_date", date.today() + timedelta(days=5))
    page.get_by_label("Clarification questions cut-off time").fill("12:00")
    _save(page, "Timing")

    _open(page, "Internal only")
    expect(page.get_by_text("never shown to providers")).to_be_visible()
    page.get_by_label("Case reference").fill("LCS-445566")
    page.get_by_label("Budget ceiling per week").fill("5,500")
    _save(page, "Internal only")
    expect(page.get_by_text("You have completed 10 of 10 sections")).to_be_visible()

    # The gate names the field and the finding, and links to the section that fixes it.
    page.get_by_role("link", name="Check and publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your referral before publishing")
    assert_accessible(page)
    page.get_by_role("button", name="Publish referral").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text('What matters to me: Remove the name "Jayden"')
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("What matters to me")).click()
    page.get_by_label("What matters to me").fill("I want to keep playing football on Saturdays")
    _save(page, "What matters to me")

    page.get_by_role("link", name="Check and publish").click()
    page.get_by_role("button", name="Publish referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Referral published to 0 providers")
    expect(page.get_by_text("Open for proposals")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Back to referrals").click()
    expect(page.locator("table")).to_contain_text("Open for proposals")
    assert_accessible(page)
