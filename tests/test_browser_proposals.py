"""In a real browser: a provider saves a draft proposal, submits it and revises it; asks a question; the officer
answers it and the provider reads the answer. axe-core reports no violations on any page visited."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from tendering.models import OUTCOMES
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_provider_proposes_and_asks_and_the_officer_answers(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        referral = factories.referral(council, status="published")
        provider = factories.organisation("provider", name="Oakfield Care")
        home = factories.setting(provider, name="Acacia House")
        factories.invite(referral, provider, home)
        factories.user("provider_admin", org=provider, email="priya@oakfield.example", name="Priya Shah")
        factories.user("placements_officer", org=council, email="sam@lewisham.example", name="Sam Okoro")
        db.commit()
        referral_id = referral.id
    start = date.today() + timedelta(days=21)

    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.goto(f"{live.url}/invitations/{referral_id}")
    assert_accessible(page)
    page.get_by_role("link", name="Start a proposal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your proposal")
    assert_accessible(page)

    page.get_by_label("Acacia House").check()
    page.get_by_label("Be healthy").fill("Registered with a local GP within a week")
    page.get_by_label("Weekly core fee").fill("4500.123")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("no more than 2 decimal places")
    assert_accessible(page)
    page.get_by_label("Weekly core fee").fill("4500.50")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved (revision 1)")
    assert_accessible(page)

    for code, label in OUTCOMES.items():
        if code != "be_healthy":
            page.get_by_label(label).fill(f"A clear plan to help her {label.lower()}")
    page.get_by_label("Autism").fill("Every member of staff has autism training")
    page.get_by_label("Staffing", exact=True).fill("Two staff by day, one waking night")
    page.get_by_label("Education offer").fill("Transport to her current school")
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Notice period").fill("4")
    page.locator("#service-1-description").fill("Therapeutic sessions")
    page.locator("#service-1-unit").fill("session")
    page.locator("#service-1-price").fill("40")
    page.locator("#service-1-quantity").fill("2")
    page.locator("#service-1-weeks").fill("12")
    page.get_by_role("button", name="Submit proposal").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Proposal submitted (revision 2)")
    expect(page.get_by_text("£4,500.50")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Change your proposal").click()
    page.get_by_label("Weekly core fee").fill("4400")
    page.get_by_role("button", name="Submit changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("revision 3")
    expect(page.get_by_role("link", name="Revision 1")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revision 2").click()
    expect(page.get_by_text("£4,500.50")).to_be_visible()
    assert_accessible(page)

    page.goto(f"{live.url}/invitations/{referral_id}")
    page.get_by_role("link", name="Ask a question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions and answers")
    assert_accessible(page)
    page.get_by_label("Your question").fill("Does she have a bicycle to bring with her?")
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_text("Not answered yet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in_browser(page, live.url, "sam@lewisham.example", factories.PASSWORD)
    page.goto(f"{live.url}/referrals/{referral_id}/questions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Questions from providers")
    expect(page.get_by_text("Question from Oakfield Care")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish answer to all invited providers").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter an answer")
    assert_accessible(page)
    page.get_by_label("Your answer").fill("Yes, she will bring her bicycle.")
    page.get_by_role("button", name="Publish answer to all invited providers").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Answer published")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.goto(f"{live.url}/invitations/{referral_id}")
    expect(page.get_by_text("Yes, she will bring her bicycle.")).to_be_visible()
    assert_accessible(page)
