"""In a real browser: a child completes the feedback form on a phone-sized screen (no account), sees the
kind page when the link is reused; a provider views the forum. Every page passes axe-core."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core import db
from quality import feedback
from quality.models import FeedbackResponse
from quality.themes import CHILD
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_a_child_completes_the_feedback_form_on_a_phone(app, live, page):
    with app.test_request_context():
        council = factories.organisation("council")
        qa = factories.user("qa_officer", org=council)
        placement = factories.placement(council)
        _, token = feedback.send_request(qa, placement, "child", "young.person@example.org")
        db.commit()

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live.url}/feedback/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about your home")
    assert_accessible(page)
    assert "placement" not in page.content().lower()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375  # no sideways scrolling

    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose an answer for")
    assert_accessible(page)

    for statement in CHILD.values():
        page.get_by_role("group", name=statement).get_by_label("Most of the time").check()
    page.get_by_role("group", name=CHILD["safe"]).get_by_label("Always").check()
    page.get_by_label("Is there anything else you want to tell us about your home?").fill(
        "I like cooking with the staff on Sundays.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for telling us about your home")
    assert_accessible(page)

    page.goto(f"{live.url}/feedback/{token}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("you have already answered")
    assert_accessible(page)

    with app.app_context():
        saved = db.session.query(FeedbackResponse).one()
        assert saved.comment_status == "pending" and {s.theme: s.score for s in saved.scores}["safe"] == 5


def test_a_provider_views_the_forum(app, live, page):
    with app.app_context():
        council = factories.organisation("council")
        provider = factories.organisation("provider", name="Oakfield Care")
        placement = factories.placement(council, factories.setting(provider))
        other = factories.placement(council, factories.setting(factories.organisation("provider")))
        for _ in range(5):
            factories.feedback_response(placement, scores=4)
            factories.feedback_response(other, scores=3)
        factories.user("provider_admin", org=provider, email="priya@oakfield.example")
        db.commit()

    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Forum").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Provider forum")
    expect(page.get_by_role("heading", name="Your homes compared with the market")).to_be_visible()
    expect(page.get_by_text("Fewer than 5 responses").first).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Who answered").select_option("carer")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Provider forum")
    assert_accessible(page)

    page.get_by_role("link", name="Forum meetings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forum meetings")
    assert_accessible(page)
