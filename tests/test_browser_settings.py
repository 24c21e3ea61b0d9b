"""In a real browser: a provider admin adds a home, sets vacancies on the bulk page and confirms no
change; every page visited passes axe-core with no violations."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_provider_admin_adds_a_home_and_keeps_its_vacancy_current(app, live, page):
    with app.app_context():
        factories.user("provider_admin", email="priya@oakfield.example", name="Priya Shah")
        db.commit()

    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya Shah")
    assert_accessible(page)

    page.get_by_role("link", name="Homes").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your homes")
    assert_accessible(page)

    page.get_by_role("link", name="Add a home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a home")
    assert_accessible(page)
    page.get_by_role("button", name="Save home").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the name of the home or service")
    assert_accessible(page)

    page.get_by_label("Name of the home or service").fill("Oakfield House")
    page.get_by_label("Ofsted URN").fill("SC123456")
    page.get_by_label("Children's home", exact=True).check()
    page.get_by_label("Good", exact=True).check()
    page.locator("#inspection_date-day").fill("14")
    page.locator("#inspection_date-month").fill("3")
    page.locator("#inspection_date-year").fill("2025")
    page.get_by_label("Registered places").fill("4")
    page.get_by_label("Youngest age accepted").fill("11")
    page.get_by_label("Oldest age accepted").fill("17")
    page.get_by_label("Male", exact=True).check()
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Postcode").fill("se6 4ru")
    page.get_by_role("button", name="Save home").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Oakfield House")
    expect(page.locator(".govuk-summary-list").last).to_contain_text("SE6 4RU")
    expect(page.get_by_text("None recorded")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Vacancies").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vacancies")
    assert_accessible(page)
    page.get_by_label("Places free at Oakfield House").fill("5")
    page.get_by_role("button", name="Save all vacancies").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Oakfield House: Places free must be between 0 and 4")
    assert_accessible(page)
    page.get_by_label("Places free at Oakfield House").fill("2")
    page.get_by_label("Note for Oakfield House").fill("Suits a young person who needs a quiet home")
    page.get_by_role("button", name="Save all vacancies").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Vacancies saved for 1 home")
    expect(page.locator("tbody").get_by_text("Current")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Confirm all unchanged").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 vacancy has not changed")
    assert_accessible(page)

    page.get_by_role("link", name="Oakfield House").click()
    page.get_by_role("button", name="No change — confirm").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You have confirmed that the vacancy for Oakfield House has not changed")
    assert_accessible(page)

    page.get_by_role("link", name="Update vacancy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Update the vacancy")
    assert_accessible(page)

    page.get_by_role("link", name="Home", exact=True).click()
    expect(page.locator(".govuk-table")).to_contain_text("Oakfield House")
    assert_accessible(page)
