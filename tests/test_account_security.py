"""Session rotation at sign-in, expiry after inactivity and an absolute lifetime, the password policy,
and account lockout with an emailed unlock link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db, passwords
from portal.core.auth import LOCKED_MESSAGE, set_password
from portal.core.models import AuditEvent, EmailMessage, Organisation, User
from tests import factories
from tests.conftest import csrf_from, current_totp, make_app, sign_in, submit


@pytest.fixture
def real_app(database_url, tmp_path):
    """Production session limits (30 minutes idle, 8 hours in all) and a login throttle out of the way."""
    application = make_app(database_url, tmp_path, SESSION_IDLE_MINUTES=30, PERMANENT_SESSION_LIFETIME=8 * 3600,
                           LOGIN_LIMIT="1000 per minute")
    from portal.core.auth import limiter

    with application.app_context():
        limiter.reset()
    yield application
    application.extensions["homefinder.engine"].dispose()


def _user(app, *roles, **kw) -> tuple[str, int]:
    with app.app_context():
        u = factories.user(*(roles or ("provider_admin",)), **kw)
        db.commit()
        return u.email, u.id


def _get(app, user_id) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


# --- session rotation ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["provider_admin", "placements_officer"])  # one step and two steps
def test_sign_in_issues_a_fresh_session(real_app, role):
    email, _ = _user(real_app, role)
    client = real_app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as sess:
        sess["planted"] = "set before sign-in"
    before = client.get_cookie("session").value
    assert sign_in(client, email, factories.PASSWORD).headers["Location"].endswith("/dashboard")
    assert client.get_cookie("session").value != before
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess["_user_id"]
    # CSRF still works on the new session: signing out succeeds, and clears the session too.
    html = client.get("/dashboard").get_data(as_text=True)
    assert client.post("/sign-out", data={"csrf_token": csrf_from(html)}).status_code == 302
    assert client.get("/dashboard").status_code == 302


# --- expiry ----------------------------------------------------------------------------------------

def test_idle_session_is_signed_out_with_a_reason(real_app):
    email, _ = _user(real_app)
    client = real_app.test_client()
    with freeze_time() as clock:
        sign_in(client, email, factories.PASSWORD)
        for _ in range(3):  # activity keeps it alive well past 30 minutes in all
            clock.tick(timedelta(minutes=25))
            assert client.get("/dashboard").status_code == 200
        clock.tick(timedelta(minutes=31))
        response = client.get("/dashboard")
        assert response.status_code == 302 and "/sign-in?next=/dashboard" in response.headers["Location"]
        page = client.get("/sign-in").get_data(as_text=True)
        assert "govuk-notification-banner" in page
        assert "You were signed out because you had not used Homefinder for 30 minutes" in page
        assert client.get("/dashboard").status_code == 302  # really signed out


def test_session_ends_after_its_absolute_lifetime_however_active(real_app):
    email, _ = _user(real_app)
    client = real_app.test_client()
    with freeze_time() as clock:
        sign_in(client, email, factories.PASSWORD)
        for _ in range(16):  # every 29 minutes for 7 hours 44 minutes
            clock.tick(timedelta(minutes=29))
            assert client.get("/inbox").status_code == 200
        clock.tick(timedelta(minutes=29))
        assert client.get("/inbox").headers["Location"].startswith("/sign-in")
        assert "because you signed in more than 8 hours ago" in client.get("/sign-in").get_data(as_text=True)


# --- password policy -------------------------------------------------------------------------------

def test_policy_refuses_short_own_email_and_common_passwords():
    assert passwords.problem("short one", "a@b.example") == passwords.TOO_SHORT
    assert passwords.problem("Kim.Officer@Kent.example", "kim.officer@kent.example") == passwords.IS_EMAIL
    assert passwords.problem("PassWord1234", None) == passwords.IS_COMMON  # case-insensitive
    assert passwords.problem("Sunshine2026!", None) == passwords.IS_COMMON  # a common word with digits added
    assert passwords.problem("dragondragondragon", None) == passwords.IS_COMMON  # repeated
    assert "password1234" in passwords.common_passwords() and len(passwords.common_passwords()) > 29000
    assert passwords.problem("correct horse battery staple", "a@b.example") is None


def test_every_place_a_password_is_set_applies_the_policy(real_app):
    email, user_id = _user(real_app)
    client = real_app.test_client()
    submit(client, "/password/forgot", {"email": email})
    with real_app.app_context():
        body = db.session.scalars(select(EmailMessage.body_text).where(EmailMessage.to_address == email)).first()
    link = re.search(r"http://localhost(/\S+)", body).group(1)
    for password, message in [("short", "Password must be between 12 and 200 characters"),
                              (email.upper(), passwords.IS_EMAIL), ("QWERTYUIOPAS", passwords.IS_COMMON),
                              ("Password1234", passwords.IS_COMMON)]:
        response = submit(client, link, {"password": password, "confirm": password})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "There is a problem" in page, password
        assert message in page.replace("&#39;", "'"), password
        assert page.count(message) == 2  # in the summary and by the field, once each

    registration = submit(client, "/register", {
        "organisation_name": "Kestrel Care", "companies_house_number": "01234567", "address": "1 High Street",
        "postcode": "SE6 4RU", "contact_name": "Kim", "email": "kim@kestrel.example", "phone": "020 7946 0000",
        "password": "Kim@Kestrel.example", "confirm": "Kim@Kestrel.example"})
    assert registration.status_code == 400 and passwords.IS_EMAIL in registration.get_data(as_text=True)

    with real_app.app_context():
        with pytest.raises(passwords.PasswordError):
            set_password(db.session.get(User, user_id), "letmein12345")
        db.session.add(Organisation(name="Kent County Council", kind="council"))
        db.commit()
    result = real_app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "x@kent.example", "--name", "X", "--organisation", "Kent County Council",
        "--role", "qa_officer", "--password", "Monkey123456!"])
    assert result.exit_code != 0 and "harder to guess" in result.output


# --- lockout ---------------------------------------------------------------------------------------

def _error_summary(response) -> str:
    return re.search(r'<div class="govuk-error-summary".*?</ul>', response.get_data(as_text=True), re.S).group(0)


def test_ten_failed_passwords_lock_the_account_until_the_emailed_link(real_app):
    email, user_id = _user(real_app)
    client = real_app.test_client()
    for _ in range(2):
        assert sign_in(client, email, "wrong password").status_code == 400
    assert _get(real_app, user_id).failed_login_count == 2
    assert sign_in(client, email, factories.PASSWORD).status_code == 302  # success resets the count
    assert _get(real_app, user_id).failed_login_count == 0
    client = real_app.test_client()
    for attempt in range(10):
        response = sign_in(client, email, f"wrong password {attempt}")
    assert LOCKED_MESSAGE in response.get_data(as_text=True)
    assert _get(real_app, user_id).locked_at is not None

    right, wrong = sign_in(client, email, factories.PASSWORD), sign_in(client, email, "wrong password")
    assert right.status_code == wrong.status_code == 400
    assert _error_summary(right) == _error_summary(wrong) and LOCKED_MESSAGE in _error_summary(right)
    assert client.get("/dashboard").status_code == 302

    with real_app.app_context():
        emails = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "account_unlock")).all()
        assert [e.to_address for e in emails] == [email]  # one email, not one per attempt while locked
        link = re.search(r"http://localhost(/\S+)", emails[0].body_text).group(1)
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.locked"))
    page = client.get(link)
    assert page.status_code == 200 and "Unlock my account" in page.get_data(as_text=True)
    assert _get(real_app, user_id).locked_at is not None  # following the link alone changes nothing
    assert submit(client, link, {}).headers["Location"].endswith("/sign-in")
    assert "Your account is unlocked" in client.get("/sign-in").get_data(as_text=True)
    user = _get(real_app, user_id)
    assert user.locked_at is None and user.failed_login_count == 0
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    assert "not valid" in real_app.test_client().get(link[:-3] + "abc").get_data(as_text=True)


def test_wrong_codes_count_towards_the_lockout_too(real_app):
    email, user_id = _user(real_app, "panel_member")
    client = real_app.test_client()
    for _ in range(9):
        sign_in(client, email, "wrong password")
    submit(client, "/sign-in", {"email": email, "password": factories.PASSWORD})  # right: the code step is next
    wrong = f"{(int(current_totp(real_app, email)) + 500000) % 1000000:06d}"
    response = submit(client, "/sign-in/code", {"code": wrong})
    assert response.headers["Location"].endswith("/sign-in")
    assert LOCKED_MESSAGE in client.get("/sign-in").get_data(as_text=True)
    assert _get(real_app, user_id).locked_at is not None
    assert client.get("/sign-in/code").headers["Location"].endswith("/sign-in")  # the half sign-in is gone
    assert sign_in(client, email, factories.PASSWORD).status_code == 400
