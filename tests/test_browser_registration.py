"""In a real browser: a provider registers, confirms by the emailed link, signs in, changes its profile
and sets its referral preferences; every page visited passes axe-core with no violations."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core import db
from portal.core.models import EmailMessage
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def _confirmation_link(app, to: str) -> str:
    with app.app_context():
        message = db.session.scalars(select(EmailMessage).where(EmailMessage.to_address == to)
                                     .order_by(EmailMessage.id.desc())).first()
        return re.search(r"http://localhost(/\S+)", message.body_text).group(1)


def test_provider_registers_confirms_signs_in_and_completes_its_profile(app, live, page):
    page.goto(live.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Register your organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register your organisation")
    assert_accessible(page)

    page.get_by_role("button", name="Register").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your Companies House number")
    assert_accessible(page)

    page.get_by_label("Organisation name").fill("Oakfield Care Ltd")
    page.get_by_label("Companies House number").fill("sc123456")
    page.get_by_label("Registered address").fill("1 High Street\nLewisham\nLondon")
    page.get_by_label("Postcode").fill("se6 4ru")
    page.get_by_label("Full name").fill("Priya Shah")
    page.get_by_label("Email address").fill("priya@oakfield.example")
    page.get_by_label("Telephone number").fill("0207 946 0000")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Confirm your password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    link = live.url + _confirmation_link(app, "priya@oakfield.example")
    page.goto(link)
    expect(page.locator(".govuk-panel")).to_contain_text("Your account is confirmed")
    assert_accessible(page)

    page.goto(link)  # a second time: already used
    expect(page.locator(".govuk-warning-text")).to_contain_text("already been used")
    assert_accessible(page)
    page.goto(live.url + "/register/resend")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get a new confirmation link")
    assert_accessible(page)

    sign_in_browser(page, live.url, "priya@oakfield.example", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Priya Shah")

    page.get_by_role("link", name="Organisation", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Care Ltd")
    expect(page.locator(".govuk-summary-list").first).to_contain_text("020 7946 0000")
    assert_accessible(page)

    page.get_by_role("link", name="Change telephone number").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your organisation's details")
    assert_accessible(page)
    page.get_by_label("Main contact telephone number").fill("12")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a UK telephone number")
    assert_accessible(page)
    page.get_by_label("Main contact telephone number").fill("07911 123456")
    page.get_by_label("Organisation name").fill("Oakfield Care Group Ltd")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("details have been saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakfield Care Group Ltd")
    assert_accessible(page)

    page.get_by_role("link", name="Set referral preferences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral preferences")
    assert_accessible(page)
    page.get_by_label("Independent fostering").uncheck()
    page.get_by_label("Youngest age").fill("14")
    page.get_by_label("Oldest age").fill("12")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Oldest age must be the same as or older")
    assert_accessible(page)
    page.get_by_label("Oldest age").fill("17")
    page.get_by_label("Autism").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("referral preferences have been saved")
    expect(page.locator(".govuk-summary-list").last).to_contain_text("14 to 17")
    expect(page.locator(".govuk-summary-list").last).not_to_contain_text("Independent fostering")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Manage users")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(page.locator("tbody")).to_contain_text("priya@oakfield.example")
