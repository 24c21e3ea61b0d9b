"""In a real browser: a provider applies to a lot, completes the task list and submits; the DPS manager
sees it on the admissions queue and asks a question; the provider answers and resubmits; the manager
admits. axe-core reports no violations on any page visited."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def _save(page):
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("completed")


def test_provider_applies_and_dps_manager_admits(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        factories.dps(council, name="South East London DPS")
        factories.user("dps_manager", org=council, email="sarah@lewisham.example", name="Sarah Collins")
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.user("provider_admin", org=provider, email="priya@oakfield.example", name="Priya Shah")
        db.commit()

    # The provider applies to the residential lot.
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Applications").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your DPS applications")
    assert_accessible(page)
    page.get_by_role("link", name="Apply to join a DPS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose lots")
    assert_accessible(page)
    page.get_by_role("button", name="Start application").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least one lot")
    assert_accessible(page)
    page.get_by_label("Residential children's homes").check()
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application to join South East London DPS")
    expect(page.get_by_text("You have completed 0 of 5 sections")).to_be_visible()
    assert_accessible(page)

    # The task list, one section at a time.
    page.get_by_role("link", name="Organisation details").click()
    assert_accessible(page)
    expect(page.get_by_label("Legal name of the organisation")).to_have_value("Oakfield Care")
    page.get_by_label("Companies House number").fill("01234567")
    page.get_by_label("Registered address").fill("1 Acacia Road\nLondon")
    page.get_by_label("Postcode").fill("se6 4ru")
    page.get_by_label("Contact name").fill("Priya Shah")
    page.get_by_label("Contact email address").fill("priya@oakfield.example")
    page.get_by_label("Contact telephone number").fill("020 7946 0000")
    _save(page)
    assert_accessible(page)

    page.get_by_role("link", name="Financial standing").click()
    page.get_by_label("£1 million to £5 million").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select yes if your accounts are filed and up to date")
    assert_accessible(page)
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Financial standing saved as a draft")
    page.get_by_role("link", name="Financial standing").click()
    expect(page.get_by_label("£1 million to £5 million")).to_be_checked()
    page.locator("input[name=accounts_up_to_date][value=yes]").check()
    page.get_by_label("Financial standing statement").fill("Profitable for five years with no borrowing.")
    _save(page)

    page.get_by_role("link", name="Insurance").click()
    assert_accessible(page)
    for cover in ("Public liability", "Employer's liability", "Professional indemnity"):
        page.get_by_label(cover).check()
    _save(page)

    page.get_by_role("link", name="Safeguarding").click()
    assert_accessible(page)
    page.get_by_label("Named safeguarding lead").fill("Sam Lee, Registered Manager")
    page.locator("input[name=dbs_policy][value=yes]").check()
    page.get_by_label("Safeguarding statement").fill("Every concern goes to the lead the same day.")
    _save(page)

    page.get_by_role("link", name="Exclusion grounds").click()
    assert_accessible(page)
    page.locator("input[name=mandatory][value=no]").check()
    page.locator("input[name=discretionary][value=no]").check()
    _save(page)
    expect(page.get_by_text("You have completed 5 of 5 sections")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Submit application").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your application has been submitted")
    assert_accessible(page)
    _sign_out(page)

    # The DPS manager sees it on the queue with its clock and asks a question.
    sign_in_browser(page, live.url, "sarah@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Admissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Admissions")
    row = page.locator("tbody tr", has_text="Oakfield Care")
    expect(row).to_contain_text("working days left")
    assert_accessible(page)
    row.get_by_role("link", name="Oakfield Care").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Application from Oakfield Care")
    expect(page.locator(".govuk-summary-list").last).to_contain_text("No")
    assert_accessible(page)
    page.get_by_role("button", name="Ask for clarification").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the question")
    assert_accessible(page)
    page.get_by_label("Your question for the provider").fill("Please confirm your latest accounts are audited.")
    page.get_by_role("button", name="Ask for clarification").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(
        "Your question has been sent to Oakfield Care")
    assert_accessible(page)
    _sign_out(page)

    # The provider answers and resubmits.
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Applications").first.click()
    page.get_by_role("link", name="South East London DPS").click()
    expect(page.get_by_text("The DPS manager has a question")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your answer to the DPS manager's question").fill("Yes, audited by Smith & Co in June.")
    page.get_by_role("button", name="Send answer and resubmit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("your application resubmitted")
    assert_accessible(page)
    _sign_out(page)

    # The manager admits; the provider is listed with its admission.
    sign_in_browser(page, live.url, "sarah@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Admissions").click()
    page.locator("tbody tr", has_text="Oakfield Care").get_by_role("link", name="Oakfield Care").click()
    expect(page.get_by_text("Yes, audited by Smith & Co in June.")).to_be_visible()
    page.get_by_role("button", name="Admit to the DPS").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(
        "Oakfield Care has been admitted to South East London DPS")
    assert_accessible(page)

    page.get_by_role("link", name="Providers").click()
    page.get_by_label("Lot admitted to").select_option(label="Residential children's homes")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("tbody")).to_contain_text("Oakfield Care")
    assert_accessible(page)
    page.get_by_role("link", name="Oakfield Care").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.locator("body")).to_contain_text("application.admitted")
    assert_accessible(page)

    page.get_by_role("link", name="DPS", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="South East London DPS")).to_be_visible()
    assert_accessible(page)
