"""Signing in and out, throttling, CSRF, password reset and invitations — as a user meets them."""
from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.models import EmailMessage, User
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


def _user(app, *roles, **kw):
    with app.app_context():
        u = factories.user(*(roles or ("provider_admin",)), **kw)
        db.commit()
        return u.email


def _last_link(app, to: str) -> str:
    with app.app_context():
        email = db.session.scalars(select(EmailMessage).where(EmailMessage.to_address == to)
                                   .order_by(EmailMessage.id.desc())).first()
        assert email is not None and email.status == "sent" and email.transport == "outbox"
        return re.search(r"http://localhost(/\S+)", email.body_text).group(1)


def test_sign_in_shows_dashboard_and_sign_out_ends_the_session(app, client):
    email = _user(app)
    response = sign_in(client, email, factories.PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Welcome, Test User" in page
    html = client.get("/dashboard").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf_token": csrf_from(html)}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_gets_an_error_summary_not_a_hint(app, client):
    email = _user(app)
    response = sign_in(client, email, "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and "Enter a correct email address and password" in page
    assert sign_in(client, "nobody@example.org", "whatever").get_data(as_text=True).count(
        "Enter a correct email address and password") >= 1


def test_login_is_throttled_after_repeated_failures(app, client):
    email = _user(app)
    for _ in range(5):
        assert sign_in(client, email, "wrong password").status_code == 400
    blocked = sign_in(client, email, factories.PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_successful_sign_ins_do_not_count_towards_the_limit(app, client):
    email = _user(app)
    for _ in range(7):
        assert sign_in(client, email, factories.PASSWORD).status_code == 302
        client.get("/")  # already signed in: redirect
        html = client.get("/dashboard").get_data(as_text=True)
        client.post("/sign-out", data={"csrf_token": csrf_from(html)})


def test_form_without_csrf_token_is_refused_with_400(app, client):
    email = _user(app)
    response = client.post("/sign-in", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # not signed in


def test_removed_user_cannot_sign_in(app, client):
    with app.app_context():
        admin = factories.user("provider_admin")
        staff = factories.user("provider_staff", org=admin.organisation)
        db.commit()
        admin_email, staff_email, staff_id = admin.email, staff.email, staff.id
    sign_in(client, admin_email, factories.PASSWORD)
    assert submit(client, f"/organisation/users/{staff_id}/remove", {}, page="/organisation/users").status_code == 302
    other = app.test_client()
    assert sign_in(other, staff_email, factories.PASSWORD).status_code == 400
    with app.app_context():
        assert db.session.get(User, staff_id).status == "removed"  # history kept, not deleted


def test_password_reset_by_emailed_link(app, client):
    email = _user(app)
    assert "Check your email" in submit(client, "/password/forgot", {"email": email}).get_data(as_text=True)
    link = _last_link(app, email)
    page = client.get(link).get_data(as_text=True)
    assert "Reset your password" in page
    response = submit(client, link, {"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert sign_in(client, email, factories.PASSWORD).status_code == 400
    assert sign_in(app.test_client(), email, "a brand new passphrase").status_code == 302
    # The link is single-use.
    assert "already been used" in client.get(link).get_data(as_text=True)


def test_expired_reset_link_says_so_clearly(app, client):
    email = _user(app)
    with freeze_time() as frozen:
        submit(client, "/password/forgot", {"email": email})
        link = _last_link(app, email)
        frozen.tick(timedelta(hours=1, seconds=1))
        response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_reset_for_unknown_email_looks_the_same_and_sends_nothing(app, client):
    page = submit(client, "/password/forgot", {"email": "nobody@example.org"}).get_data(as_text=True)
    assert "Check your email" in page
    with app.app_context():
        assert db.session.scalar(select(EmailMessage)) is None


def test_admin_invites_a_user_who_sets_a_password(app, client):
    admin_email = _user(app, "provider_admin")
    sign_in(client, admin_email, factories.PASSWORD)
    response = submit(client, "/organisation/users/invite",
                      {"name": "New Colleague", "email": "New.Colleague@Example.org", "roles": ["provider_staff"]})
    assert response.status_code == 302
    link = _last_link(app, "new.colleague@example.org")
    guest = app.test_client()
    assert submit(guest, link, {"password": "welcome to homefinder", "confirm": "welcome to homefinder"}
                  ).status_code == 302
    assert sign_in(guest, "new.colleague@example.org", "welcome to homefinder").status_code == 302


def test_invite_refuses_duplicates_and_roles_from_another_kind_of_organisation(app, client):
    admin_email = _user(app, "provider_admin")
    sign_in(client, admin_email, factories.PASSWORD)
    dup = submit(client, "/organisation/users/invite", {"name": "X", "email": admin_email, "roles": ["provider_staff"]})
    assert dup.status_code == 400 and "already a Homefinder account" in dup.get_data(as_text=True)
    bad = submit(client, "/organisation/users/invite",
                 {"name": "X", "email": "x@example.org", "roles": ["dps_manager"]})
    assert bad.status_code == 400 and "Select only roles your organisation" in bad.get_data(as_text=True)


def test_password_change_ends_other_sessions(app, client):
    email = _user(app)
    sign_in(client, email, factories.PASSWORD)
    assert client.get("/dashboard").status_code == 200
    other = app.test_client()
    submit(other, "/password/forgot", {"email": email})
    submit(other, _last_link(app, email), {"password": "another long passphrase", "confirm": "another long passphrase"})
    assert client.get("/dashboard").status_code == 302


def test_open_redirect_after_sign_in_is_refused(app, client):
    email = _user(app)
    html = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in?next=//evil.example/x", data={
        "email": email, "password": factories.PASSWORD, "csrf_token": csrf_from(html)})
    assert response.headers["Location"].endswith("/dashboard")
