"""The whole provider journey in one browser session: sign up, confirm the emailed link, add a home,
set its vacancy, apply to a lot — and the DPS manager admits. Every page passes axe-core.
(Each step's error states are covered by the step's own browser test.)"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core import db
from portal.core.models import EmailMessage
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser
PASSWORD = "a long enough passphrase"


def _step(page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page)


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")


def test_a_new_provider_signs_up_and_is_admitted_to_the_dps(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="Royal Borough of Greenwich")
        factories.dps(council, name="South East London DPS")
        factories.user("dps_manager", org=council, email="dps@greenwich.example", name="Dele Ade")
        db.commit()

    page.goto(live.url + "/register")
    _step(page, "Register your organisation")
    for label, value in [("Organisation name", "Kestrel Homes"), ("Companies House number", "09876543"),
                         ("Registered address", "12 Station Road\nChatham"), ("Postcode", "ME4 4AA"),
                         ("Full name", "Jo Kestrel"), ("Email address", "jo@kestrel.example"),
                         ("Telephone number", "01634 000000"), ("Create a password", PASSWORD),
                         ("Confirm your password", PASSWORD)]:
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Register").click()
    _step(page, "Check your email")
    with app.app_context():
        body = db.session.scalar(select(EmailMessage.body_text).where(EmailMessage.to_address == "jo@kestrel.example"))
    page.goto(live.url + re.search(r"http://localhost(/\S+)", body).group(1))
    expect(page.locator(".govuk-panel")).to_contain_text("Your account is confirmed")
    assert_accessible(page)

    sign_in_browser(page, live.url, "jo@kestrel.example", PASSWORD)
    _step(page, "Welcome, Jo Kestrel")
    expect(page.get_by_text("Add your homes")).to_be_visible()  # the task list starts with this

    page.get_by_role("link", name="Homes").first.click()
    page.get_by_role("link", name="Add a home").click()
    _step(page, "Add a home")
    page.get_by_label("Name of the home or service").fill("Kestrel Lodge")
    page.get_by_label("Ofsted URN").fill("SC654321")
    page.get_by_label("Children's home", exact=True).check()
    page.get_by_label("Good", exact=True).check()
    page.locator("#inspection_date-day").fill("2")
    page.locator("#inspection_date-month").fill("6")
    page.locator("#inspection_date-year").fill("2025")
    page.get_by_label("Registered places").fill("3")
    page.get_by_label("Youngest age accepted").fill("12")
    page.get_by_label("Oldest age accepted").fill("17")
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Postcode").fill("ME4 4AB")
    page.get_by_role("button", name="Save home").click()
    _step(page, "Kestrel Lodge")

    page.get_by_role("link", name="Vacancies").first.click()
    _step(page, "Vacancies")
    page.get_by_label("Places free at Kestrel Lodge").fill("1")
    page.get_by_role("button", name="Save all vacancies").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Vacancies saved for 1 home")
    assert_accessible(page)

    page.get_by_role("link", name="Applications").first.click()
    page.get_by_role("link", name="Apply to join a DPS").click()
    _step(page, "Choose lots")
    page.get_by_label("Residential children's homes").check()
    page.get_by_role("button", name="Start application").click()
    _step(page, "Application to join South East London DPS")
    page.get_by_role("link", name="Organisation details").click()
    expect(page.get_by_label("Companies House number")).to_have_value("09876543")  # from the profile
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Financial standing").click()
    page.get_by_label("£1 million to £5 million").check()
    page.locator("input[name=accounts_up_to_date][value=yes]").check()
    page.get_by_label("Financial standing statement").fill("Accounts filed on time.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Insurance").click()
    for cover in ("Public liability", "Employer's liability", "Professional indemnity"):
        page.get_by_label(cover).check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Safeguarding").click()
    page.get_by_label("Named safeguarding lead").fill("Jo Kestrel")
    page.locator("input[name=dbs_policy][value=yes]").check()
    page.get_by_label("Safeguarding statement").fill("Concerns reach the lead the same day.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("link", name="Exclusion grounds").click()
    page.locator("input[name=mandatory][value=no]").check()
    page.locator("input[name=discretionary][value=no]").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("You have completed 5 of 5 sections")).to_be_visible()
    page.get_by_role("button", name="Submit application").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your application has been submitted")
    assert_accessible(page)
    _sign_out(page)

    sign_in_browser(page, live.url, "dps@greenwich.example", factories.PASSWORD)
    page.get_by_role("link", name="Admissions").click()
    _step(page, "Admissions")
    page.locator("tbody tr", has_text="Kestrel Homes").get_by_role("link", name="Kestrel Homes").click()
    _step(page, "Application from Kestrel Homes")
    page.get_by_role("button", name="Admit to the DPS").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(
        "Kestrel Homes has been admitted to South East London DPS")
    assert_accessible(page)
    _sign_out(page)

    sign_in_browser(page, live.url, "jo@kestrel.example", PASSWORD)
    page.get_by_role("link", name="Inbox").first.click()
    expect(page.locator("tbody")).to_contain_text("admitted")
    assert_accessible(page)
