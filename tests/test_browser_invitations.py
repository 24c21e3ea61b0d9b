"""In a real browser: a provider finds a referral it was invited to, reads the anonymised specification and
declines it with a reason; the officer sees the decline on the distribution list. axe-core reports no
violations on any page visited."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core import db
from portal.models import Need
from tendering.distribution import distribute
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_provider_reads_an_invitation_and_declines(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        dps = factories.dps(council, name="South East London DPS")
        referral = factories.referral(council, dps_obj=dps, status="published")
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.admitted(provider, dps)
        home = factories.setting(provider, name="Acacia House", min_age=12, max_age=17)
        home.needs = [db.session.get(Need, "autism")]
        factories.vacancy(home)
        elm = factories.organisation("provider", name="Elm Care")
        factories.setting(elm, name="Cedar View")
        factories.user("provider_staff", org=provider, email="priya@oakfield.example", name="Priya Shah")
        officer = factories.user("placements_officer", org=council, email="sam@lewisham.example", name="Sam Okoro")
        distribute(referral, officer)
        db.commit()
        referral_id = referral.id

    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Referrals").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    assert_accessible(page)
    page.get_by_role("link", name=f"Referral {referral_id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {referral_id}")
    expect(page.get_by_text("I want to keep seeing my little brother every week")).to_be_visible()
    expect(page.get_by_role("link", name="Acacia House")).to_be_visible()
    expect(page.get_by_text("LCS-123456")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Decline this referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decline this referral")
    assert_accessible(page)
    page.get_by_label("Other", exact=True).check()
    page.get_by_role("button", name="Decline referral").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you are declining")
    assert_accessible(page)
    page.get_by_label("Tell the council more").fill("We are refurbishing the house this spring")
    page.get_by_role("button", name="Decline referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have declined this referral")
    expect(page.get_by_text("We are refurbishing the house this spring")).to_be_visible()
    expect(page.get_by_role("link", name="Decline this referral")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in_browser(page, live.url, "sam@lewisham.example", factories.PASSWORD)
    page.goto(f"{live.url}/referrals/{referral_id}/distribution")
    expect(page.get_by_role("heading", level=1)).to_have_text("Distribution list")
    expect(page.get_by_role("cell", name="Oakfield Care")).to_be_visible()
    expect(page.get_by_text("Not admitted to the Residential children's homes lot")).to_be_visible()
    expect(page.get_by_text("SE6: 1 place free")).to_be_visible()
    assert_accessible(page)
