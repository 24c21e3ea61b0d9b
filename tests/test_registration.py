"""A provider registers itself, confirms its email address by link, then signs in — as a user meets it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, Organisation, User
from tests import factories
from tests.conftest import sign_in, signed_in_client, submit

VALID = {
    "organisation_name": "Oakfield Care Ltd", "companies_house_number": "sc 123456",
    "address": "1 High Street\nLewisham\nLondon", "postcode": " se6 4ru ", "contact_name": "Priya Shah",
    "email": "Priya@Oakfield.example", "phone": "020 7946 0000", "password": "a long enough passphrase",
    "confirm": "a long enough passphrase",
}
EMAIL = "priya@oakfield.example"


def _last_link(app, to: str) -> str:
    with app.app_context():
        email = db.session.scalars(select(EmailMessage).where(EmailMessage.to_address == to)
                                   .order_by(EmailMessage.id.desc())).first()
        assert email is not None and email.status == "sent" and email.transport == "outbox"
        return re.search(r"http://localhost(/\S+)", email.body_text).group(1)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _summary(page: str) -> str:
    match = re.search(r'govuk-error-summary__list.*?</ul>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_provider_registers_confirms_and_signs_in(app, client):
    response = submit(client, "/register", VALID)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Check your email" in page and EMAIL in page
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert (org.kind, org.name, org.companies_house_number, org.postcode) == (
            "provider", "Oakfield Care Ltd", "SC123456", "SE6 4RU")
        assert (org.contact_name, org.contact_email, org.contact_phone) == ("Priya Shah", EMAIL, "020 7946 0000")
        assert org.address.splitlines() == ["1 High Street", "Lewisham", "London"]
        user = db.session.scalar(select(User))
        assert (user.email, user.status, user.roles, user.organisation_id) == (
            EMAIL, "invited", frozenset({"provider_admin"}), org.id)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["organisation.registered", "user.created"]
        message = db.session.scalar(select(EmailMessage))
        assert message.subject == "Confirm your Homefinder registration" and "48 hours" in message.body_text

    # Not confirmed yet: signing in is refused like a wrong password.
    assert sign_in(app.test_client(), EMAIL, VALID["password"]).status_code == 400

    link = _last_link(app, EMAIL)
    confirmed = client.get(link)
    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 200 and "Your account is confirmed" in page and 'href="/sign-in"' in page
    with app.app_context():
        assert db.session.scalar(select(User)).status == "active"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.confirmed"))
        assert event.before == {"status": "invited"} and event.after == {"status": "active"}

    fresh = app.test_client()
    assert sign_in(fresh, EMAIL, VALID["password"]).status_code == 302
    assert "Welcome, Priya Shah" in fresh.get("/dashboard").get_data(as_text=True)

    # The link works once.
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


@pytest.mark.parametrize("number", ["01234567", "ni012345", "OC 123456", "so123456"])
def test_companies_house_numbers_in_either_format_are_accepted_in_upper_case(app, client, number):
    assert submit(client, "/register", {**VALID, "companies_house_number": number}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Organisation.companies_house_number)) == number.replace(" ", "").upper()


@pytest.mark.parametrize("change, message", [
    ({"companies_house_number": "1234567"}, "Enter a Companies House number in the correct format"),
    ({"companies_house_number": "SC12345"}, "Enter a Companies House number in the correct format"),
    ({"companies_house_number": "S1234567"}, "Enter a Companies House number in the correct format"),
    ({"companies_house_number": "123456789"}, "Enter a Companies House number in the correct format"),
    ({"postcode": "not a postcode"}, "Enter a real postcode, like SE6 4RU"),
    ({"phone": "12345"}, "Enter a UK telephone number"),
    ({"phone": "+33 1 23 45 67 89"}, "Enter a UK telephone number"),
    ({"phone": "phone me"}, "Enter a UK telephone number"),
    ({"email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"password": "too short", "confirm": "too short"}, "Password must be between 12 and 200 characters"),
    ({"confirm": "a different passphrase"}, "The passwords do not match"),
    ({"organisation_name": "x" * 201}, "Organisation name must be 200 characters or fewer"),
    ({"address": "   "}, "Enter your registered address"),
])
def test_bad_input_is_refused_in_the_error_summary_and_nothing_is_written(app, client, change, message):
    response = submit(client, "/register", {**VALID, **change})
    assert response.status_code == 400
    assert message in _summary(response.get_data(as_text=True)).replace("&#39;", "'")
    assert _count(app, Organisation) == 0 and _count(app, User) == 0 and _count(app, EmailMessage) == 0


def test_a_companies_house_number_already_registered_is_refused(app, client):
    assert submit(client, "/register", VALID).status_code == 200
    response = submit(app.test_client(), "/register", {**VALID, "companies_house_number": "SC123456",
                                                       "email": "someone.else@example.org"})
    assert response.status_code == 400
    assert "Companies House number SC123456 is already registered on Homefinder" in _summary(
        response.get_data(as_text=True))
    assert _count(app, Organisation) == 1 and _count(app, User) == 1 and _count(app, EmailMessage) == 1


def test_an_email_address_already_in_use_is_refused(app, client):
    with app.app_context():
        factories.user("placements_officer", email=EMAIL)
        db.commit()
    before = _count(app, Organisation)
    response = submit(client, "/register", {**VALID, "email": "PRIYA@oakfield.example"})
    assert response.status_code == 400
    assert "There is already a Homefinder account with that email address" in _summary(
        response.get_data(as_text=True))
    assert _count(app, Organisation) == before and _count(app, EmailMessage) == 0


def test_an_expired_link_says_so_and_a_new_link_works(app, client):
    with freeze_time() as frozen:
        submit(client, "/register", VALID)
        link = _last_link(app, EMAIL)
        frozen.tick(timedelta(hours=48, seconds=1))
        response = client.get(link)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "This link has expired" in page
        assert 'href="/register/resend"' in page
        with app.app_context():
            assert db.session.scalar(select(User)).status == "invited"

        page = submit(client, "/register/resend", {"email": EMAIL.upper()}).get_data(as_text=True)
        assert "Check your email" in page
        new_link = _last_link(app, EMAIL)
        assert new_link != link
        assert client.get(new_link).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User)).status == "active"


def test_resend_looks_the_same_for_unknown_confirmed_and_invited_addresses_and_sends_nothing(app, client):
    with app.app_context():
        active = factories.user("provider_admin").email
        invited = factories.user("provider_staff", password=None).email
        db.commit()
    pages = [submit(client, "/register/resend", {"email": e}).get_data(as_text=True)
             for e in ("nobody@example.org", active, invited)]
    assert all("Check your email" in p and "we have sent it a new link" in p for p in pages)
    assert _count(app, EmailMessage) == 0


def test_resend_is_rate_limited(app, client):
    for _ in range(10):
        assert submit(client, "/register/resend", {"email": "nobody@example.org"}).status_code == 200
    response = submit(client, "/register/resend", {"email": "nobody@example.org"})
    assert response.status_code == 429 and "Wait an hour" in response.get_data(as_text=True)


def test_a_tampered_link_is_not_valid(app, client):
    submit(client, "/register", VALID)
    link = _last_link(app, EMAIL)
    response = client.get(link[:-3] + "xyz")
    assert response.status_code == 400 and "This link is not valid" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)).status == "invited"


def test_a_password_reset_link_cannot_confirm_a_registration(app, client):
    submit(client, "/register", VALID)
    with app.app_context():
        from portal.core.auth import make_token

        token = make_token(db.session.scalar(select(User)), "reset")
    assert client.get(f"/register/confirm/{token}").status_code == 400


def test_signed_in_users_are_sent_to_their_dashboard(app):
    client = signed_in_client(app, "provider_admin")
    response = client.get("/register")
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")


def test_start_and_sign_in_pages_link_to_registration(app, client):
    for url in ("/", "/sign-in"):
        page = client.get(url).get_data(as_text=True)
        assert 'href="/register"' in page and "Register your organisation" in page, url
