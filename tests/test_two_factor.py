"""Two-factor sign-in: forced set-up for council users, optional for providers, codes and recovery codes."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from freezegun import freeze_time
from playwright.sync_api import expect
from sqlalchemy import select

from portal import two_factor
from portal.core import db
from portal.core.models import AuditEvent, RecoveryCode, User
from tests import factories
from tests.browser import assert_accessible
from tests.conftest import csrf_from, current_totp, sign_in, submit

SET_UP = "/sign-in/set-up-two-factor"


def _user(app, *roles, **kw) -> tuple[str, int]:
    with app.app_context():
        u = factories.user(*roles, **kw)
        db.commit()
        return u.email, u.id


def _password_step(client, email):
    return submit(client, "/sign-in", {"email": email, "password": factories.PASSWORD})


def _setup_key(html: str) -> str:
    return re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def _actions(app, user_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                                       AuditEvent.object_id == str(user_id))
                                       .order_by(AuditEvent.id)))


def test_council_user_must_set_up_two_factor_and_cannot_skip_it(app, client):
    email, user_id = _user(app, "placements_officer", totp=False)
    response = _password_step(client, email)
    assert response.status_code == 302 and response.headers["Location"].endswith(SET_UP)
    for page in ("/dashboard", "/referrals", "/inbox", "/account", "/sign-in/code"):  # nowhere else to go
        assert client.get(page).headers["Location"].endswith(SET_UP), page
    html = client.get(SET_UP).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html and "QR code to add Homefinder" in html
    secret = _setup_key(html)

    wrong = submit(client, SET_UP, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "There is a problem" in page and two_factor.WRONG_CODE in page
    assert _setup_key(page) == secret  # the same key until it is confirmed
    assert submit(client, SET_UP, {"code": "12ab"}).status_code == 400  # a malformed code is not an attempt
    with app.app_context():
        assert db.session.get(User, user_id).failed_login_count == 1

    done = submit(client, SET_UP, {"code": pyotp.TOTP(secret).now()})
    page = done.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)
    assert done.status_code == 200 and len(set(codes)) == 10 and "will not show these codes again" in page
    assert client.get("/dashboard").status_code == 200  # signed in now
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.totp_secret == secret and user.totp_enabled_at is not None and user.failed_login_count == 0
        hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user_id)).all()
        assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)
        assert not any(c.replace("-", "") in h for c in codes for h in hashes)
    assert "user.two_factor_enabled" in _actions(app, user_id)
    assert client.get(SET_UP).headers["Location"].endswith("/sign-in")  # no second go without a sign-in


def test_a_half_finished_sign_in_can_be_abandoned(app, client):
    email, _ = _user(app, "system_admin", totp=False)
    _password_step(client, email)
    html = client.get(SET_UP).get_data(as_text=True)
    assert "Cancel and sign out" in html
    submit(client, "/sign-in/cancel", {}, page=SET_UP)
    assert client.get("/dashboard").headers["Location"].startswith("/sign-in")
    assert client.get(SET_UP).headers["Location"].endswith("/sign-in")


def test_code_step_takes_the_right_code_only_and_expires_after_five_minutes(app, client):
    email, user_id = _user(app, "panel_member")
    with freeze_time() as clock:
        assert _password_step(client, email).headers["Location"].endswith("/sign-in/code")
        assert client.get("/dashboard").headers["Location"].endswith("/sign-in/code")
        right = current_totp(app, email)
        wrong = submit(client, "/sign-in/code", {"code": f"{(int(right) + 1) % 1000000:06d}"})
        assert wrong.status_code == 400 and two_factor.WRONG_CODE in wrong.get_data(as_text=True)
        token = csrf_from(client.get("/sign-in/code").get_data(as_text=True))
        clock.tick(timedelta(seconds=301))
        late = client.post("/sign-in/code", data={"code": current_totp(app, email), "csrf_token": token})
        assert late.headers["Location"].endswith("/sign-in")
        assert "Your sign-in timed out" in client.get("/sign-in").get_data(as_text=True)
        assert client.get("/dashboard").status_code == 302
        # A fresh start with the right code gets in, and goes where the user was heading.
        html = client.get("/sign-in?next=/inbox").get_data(as_text=True)
        client.post("/sign-in?next=/inbox", data={"email": email, "password": factories.PASSWORD,
                                                  "csrf_token": csrf_from(html)})
        done = submit(client, "/sign-in/code", {"code": current_totp(app, email)})
        assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    with app.app_context():
        assert db.session.get(User, user_id).failed_login_count == 0  # reset by the successful sign-in
    assert client.get("/sign-in/code").headers["Location"].endswith("/sign-in")  # no pending sign-in: nothing here


def test_recovery_code_signs_in_once_only(app, client):
    email, user_id = _user(app, "qa_officer")
    with app.app_context():
        user = db.session.get(User, user_id)
        codes = two_factor.enable(user, user.totp_secret, pyotp.TOTP(user.totp_secret).now())
        db.commit()
    _password_step(client, email)
    assert "Use a recovery code instead" in client.get("/sign-in/code").get_data(as_text=True)
    used = submit(client, "/sign-in/recovery-code", {"code": codes[3].upper().replace("-", " ")})
    assert used.status_code == 302 and used.headers["Location"].endswith("/dashboard")
    assert "You have 9 left" in client.get("/dashboard").get_data(as_text=True)
    assert "user.recovery_code_used" in _actions(app, user_id)

    other = app.test_client()
    _password_step(other, email)
    again = submit(other, "/sign-in/recovery-code", {"code": codes[3]})
    assert again.status_code == 400 and two_factor.WRONG_RECOVERY in again.get_data(as_text=True)
    assert other.get("/dashboard").headers["Location"].endswith("/sign-in/code")


def test_provider_may_turn_two_factor_on_and_off(app, client):
    email, user_id = _user(app, "provider_admin")
    assert sign_in(client, email, factories.PASSWORD).headers["Location"].endswith("/dashboard")  # one step
    account = client.get("/account").get_data(as_text=True)
    assert "Set up two-factor authentication" in account
    secret = _setup_key(client.get("/account/two-factor/set-up").get_data(as_text=True))
    done = submit(client, "/account/two-factor/set-up", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and len(re.findall(r"<code>", done.get_data(as_text=True))) == 10
    assert "Recovery codes left" in client.get("/account").get_data(as_text=True)

    second = app.test_client()
    assert _password_step(second, email).headers["Location"].endswith("/sign-in/code")  # now two steps
    assert sign_in(app.test_client(), email, factories.PASSWORD).headers["Location"].endswith("/dashboard")

    wrong = submit(client, "/account/two-factor/turn-off", {"code": "12345"})
    assert wrong.status_code == 400 and "6-digit code" in wrong.get_data(as_text=True)
    off = submit(client, "/account/two-factor/turn-off", {"code": pyotp.TOTP(secret).now()})
    assert off.status_code == 302 and "Off" in client.get("/account").get_data(as_text=True)
    assert _password_step(app.test_client(), email).headers["Location"].endswith("/dashboard")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.totp_secret is None and not db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user_id)).all()
    assert [a for a in _actions(app, user_id) if "two_factor" in a] == [
        "user.two_factor_enabled", "user.two_factor_disabled"]


def test_council_user_cannot_turn_two_factor_off(app, client):
    email, user_id = _user(app, "dps_manager")
    sign_in(client, email, factories.PASSWORD)
    assert "always sign in with a code" in client.get("/account").get_data(as_text=True)
    response = submit(client, "/account/two-factor/turn-off", {"code": current_totp(app, email)}, page="/account")
    assert response.headers["Location"].endswith("/account")
    assert "cannot be turned off" in client.get("/account").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).totp_enabled_at is not None


@pytest.mark.browser
def test_council_user_sets_up_two_factor_in_a_browser(app, live, page):
    email, _ = _user(app, "placements_officer", totp=False, email="grace@lewisham.example")
    page.goto(live.url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.get_by_role("img", name="QR code to add Homefinder to your authenticator app")).to_be_visible()
    page.get_by_text("I cannot scan the QR code").click()
    assert_accessible(page)
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Enter the code your app shows").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("I have saved my recovery codes")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Test User")


def test_demo_code_command_prints_the_current_code_in_development_only(app, database_url, tmp_path):
    from tests.conftest import make_app

    email, _ = _user(app, "placements_officer")
    refused = app.test_cli_runner().invoke(args=["demo", "code", email])
    assert refused.exit_code != 0 and "HOMEFINDER_ENV=development" in refused.output
    dev = make_app(database_url, tmp_path, HOMEFINDER_ENV="development", PASSWORD_HASH_CHEAP=False)
    try:
        with freeze_time():
            printed = dev.test_cli_runner().invoke(args=["demo", "code", email])
            assert printed.exit_code == 0 and printed.output.strip() == current_totp(app, email)
    finally:
        dev.extensions["homefinder.engine"].dispose()
