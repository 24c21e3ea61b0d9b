"""In a real browser, from quality locked: the officer reveals prices, sees the ranked matrix, awards the
second-ranked proposal with a reason, records the move-in and then the (unplanned) end of the placement; the
unsuccessful provider reads its outcome. axe-core reports no
violations on any page visited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from portal.documents import london_today
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_reveal_award_and_the_unsuccessful_providers_outcome(app, live, page):
    with app.app_context():
        s = factories.evaluated_referral()
        db.commit()
        ref_id, officer_email = s["referral"].id, s["officer"].email

    sign_in_browser(page, live.url, officer_email, factories.PASSWORD)
    page.goto(f"{live.url}/referrals/{ref_id}/results")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results and award")
    expect(page.get_by_role("table")).to_contain_text("Acorn Care Ltd")
    expect(page.get_by_text("£4,000.00")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Reveal prices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to reveal prices?")
    assert_accessible(page)
    page.get_by_role("button", name="Reveal prices").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Prices revealed")
    expect(page.get_by_role("table")).to_contain_text("£4,000.00")
    expect(page.get_by_role("table")).to_contain_text("Not suitable: price not revealed")
    expect(page.get_by_text("1,234.56")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Birch Homes Ltd").check()
    page.get_by_role("button", name="Award").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why you are not awarding the top-ranked")
    assert_accessible(page)
    page.get_by_label("Birch Homes Ltd").check()
    page.get_by_label("Reason for your decision").fill("Birch Lodge is near her brother's school")
    page.get_by_role("button", name="Award").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Proposal awarded")
    expect(page.get_by_text("Birch Lodge (SE6)")).to_be_visible()
    expect(page.get_by_role("button", name="Record that the child has moved in")).to_be_visible()
    assert_accessible(page)

    # She moved in a week ago; today the placement ends, unplanned.
    today = london_today()
    moved = today - timedelta(days=7)
    moved_in = page.get_by_role("group", name="Date the child moved in (optional)")
    for part, value in (("Day", moved.day), ("Month", moved.month), ("Year", moved.year)):
        moved_in.get_by_label(part).fill(str(value))
    page.get_by_role("button", name="Record that the child has moved in").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Recorded that the child has moved in")
    page.get_by_role("button", name="Record the end of the placement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the date the placement ended")
    assert_accessible(page)
    ended = page.get_by_role("group", name="Date the placement ended")
    for part, value in (("Day", today.day), ("Month", today.month), ("Year", today.year)):
        ended.get_by_label(part).fill(str(value))
    page.get_by_label("No, it was unplanned (for example, a breakdown)").check()
    page.get_by_role("button", name="Record the end of the placement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Recorded the end of the placement")
    expect(page.get_by_text(f"{today.day} {today:%B %Y} (unplanned)")).to_be_visible()
    expect(page.get_by_role("button", name="Record the end of the placement")).to_have_count(0)
    assert_accessible(page)

    page.context.clear_cookies()
    sign_in_browser(page, live.url, "a@provider.example", factories.PASSWORD)
    page.goto(f"{live.url}/invitations/{ref_id}")
    page.get_by_role("link", name="See the outcome of this referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome")
    expect(page.get_by_text("Your proposal was not successful this time.")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Moderated reason for A")
    expect(page.get_by_text("Birch")).to_have_count(0)
    expect(page.get_by_text("£3,600.00")).to_have_count(0)
    expect(page.get_by_text("placements@lewisham.example")).to_have_count(0)
    assert_accessible(page)
