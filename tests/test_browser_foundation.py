"""In a real browser: a provider signs in, sees the dashboard and inbox, signs out; every page passes axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.core import db
from portal.core.mail import notify
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_provider_signs_in_reads_inbox_and_signs_out(app, live, page):
    with app.app_context():
        user = factories.user("provider_admin", email="amira@brightpath.example", name="Amira Hassan")
        db.commit()
        notify(user, "password_reset", "user", user.id, link=f"{live.url}/password/forgot", minutes=60)
        db.commit()

    page.goto(live.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Find the right home")
    assert_accessible(page)

    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert_accessible(page)
    page.get_by_label("Email address").fill("amira@brightpath.example")
    page.get_by_label("Password", exact=True).fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a correct email address and password")
    assert_accessible(page)

    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amira Hassan")
    expect(page.get_by_text("1 unread message")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Inbox").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    assert_accessible(page)
    page.get_by_role("link", name="Reset your Homefinder password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your Homefinder password")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    assert_accessible(page)
    page.goto(live.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_system_admin_pages_are_accessible(app, live, page):
    with app.app_context():
        admin = factories.user("system_admin", email="ops@homefinder.example")
        db.commit()
        notify(admin, "password_reset", "user", admin.id, link=f"{live.url}/x", minutes=60)
        db.commit()
    sign_in_browser(page, live.url, "ops@homefinder.example", factories.PASSWORD)
    for path, heading in [("/admin/outbox", "Outbox"), ("/admin/jobs", "Background jobs"),
                          ("/organisation/users", "Users"), ("/organisation/users/invite", "Invite a user")]:
        page.goto(live.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
