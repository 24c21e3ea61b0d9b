"""In a real browser: the officer sets up a panel of two, each member scores blind (separate sign-ins), the officer
moderates and locks quality. axe-core reports no violations on any page visited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from portal.core.db import utcnow
from tendering.models import OUTCOMES
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def _fill_scores(page, score_text: str, reason: str) -> None:
    for label in OUTCOMES.values():
        page.get_by_role("group", name=label).get_by_label(score_text).check()
        page.get_by_label(f"Reason for your score for {label.lower()}").fill(reason)


def test_panel_scores_blind_and_officer_moderates_and_locks(app, live, page):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        dps = factories.dps(council)
        referral = factories.referral(council, dps_obj=dps, status="closed", closed_at=utcnow(),
                                      response_deadline=utcnow() - timedelta(hours=1))
        for n, name in enumerate(("Oakfield Care", "Elm Care")):
            provider = factories.organisation("provider", name=name)
            factories.proposal(referral, provider, factories.setting(provider, name=f"{name} House"),
                               core_fee_pence=473_125, blind_position=n, staffing=f"Staffing plan {n}")
        factories.user("placements_officer", org=council, email="sam@lewisham.example", name="Sam Okoro")
        factories.user("panel_member", org=council, email="ada@lewisham.example", name="Ada Lovelace")
        factories.user("panel_member", org=council, email="ben@lewisham.example", name="Ben Jones")
        db.commit()
        rid = referral.id

    sign_in_browser(page, live.url, "sam@lewisham.example", factories.PASSWORD)
    page.goto(f"{live.url}/referrals/{rid}/proposals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposals")
    expect(page.get_by_text("Oakfield Care", exact=True)).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live.url}/referrals/{rid}/panel")
    assert_accessible(page)
    page.get_by_label("Ada Lovelace").check()
    page.get_by_role("button", name="Save panel").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select at least 2 panel members")
    assert_accessible(page)
    page.get_by_label("Ben Jones").check()
    page.get_by_role("button", name="Save panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panel and moderation")
    expect(page.get_by_text("Not submitted")).to_have_count(2)
    assert_accessible(page)
    page.context.clear_cookies()

    for email, score, reason in (("ada@lewisham.example", "3 – Good", "Convincing plan"),
                                 ("ben@lewisham.example", "1 – Poor", "Thin on detail")):
        sign_in_browser(page, live.url, email, factories.PASSWORD)
        page.get_by_role("link", name="Panel", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Panel")
        assert_accessible(page)
        page.get_by_role("link", name=f"Referral {rid}").click()
        assert_accessible(page)
        for label in ("A", "B"):
            page.get_by_role("link", name=f"Proposal {label}").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Proposal {label}")
            content = page.content()
            assert "Oakfield" not in content and "Elm Care" not in content and "4,731.25" not in content
            assert_accessible(page)
            _fill_scores(page, score, reason)
            page.get_by_role("button", name="Save scores").click()
            expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Proposal {label}")
        page.get_by_role("link", name="Submit your scores").click()
        assert_accessible(page)
        page.get_by_role("button", name="Submit scores").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Your scores have been submitted")
        assert_accessible(page)
        page.context.clear_cookies()

    sign_in_browser(page, live.url, "sam@lewisham.example", factories.PASSWORD)
    page.goto(f"{live.url}/referrals/{rid}/moderation")
    expect(page.get_by_text("Disagreement")).to_have_count(10)
    expect(page.get_by_text("Submitted", exact=True)).to_have_count(2)
    assert_accessible(page)
    for label, score in (("A", "3 – Good"), ("B", "1 – Poor")):
        page.get_by_role("link", name=f"Moderate Proposal {label}").click()
        assert_accessible(page)
        page.get_by_role("button", name="Save moderated scores").click()
        expect(page.locator(".govuk-error-summary")).to_be_visible()
        assert_accessible(page)
        _fill_scores(page, score, "Agreed at moderation")
        page.get_by_role("button", name="Save moderated scores").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Proposal {label}")
    page.get_by_role("link", name="Lock quality").click()
    expect(page.get_by_text("This cannot be undone")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Lock quality").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("1 of 2 proposals are suitable")
    assert_accessible(page)
    page.goto(f"{live.url}/referrals/{rid}/audit")
    expect(page.get_by_text("Referral: quality locked")).to_be_visible()
    assert_accessible(page)
