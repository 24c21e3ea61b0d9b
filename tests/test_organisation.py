"""The organisation profile: who sees it, who changes it, validation, uniqueness and the audit trail."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core import db
from portal.core.models import AuditEvent, Organisation
from tests import factories
from tests.conftest import sign_in, signed_in_client, submit

PROFILE = {
    "name": "Oakfield Care Ltd", "companies_house_number": "sc123456", "address": "1 High Street\nLondon",
    "postcode": "se64ru", "contact_name": "Priya Shah", "contact_email": "Priya@Oakfield.example",
    "contact_phone": "07911 123456",
}


def _client(app, role="provider_admin", **org_fields):
    with app.app_context():
        org = factories.organisation("provider" if role.startswith("provider") else
                                     "operator" if role == "system_admin" else "council")
        for name, value in org_fields.items():
            setattr(org, name, value)
        user = factories.user(role, org=org)
        db.commit()
        email, org_id = user.email, org.id
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, org_id


def _summary(page: str) -> str:
    match = re.search(r'govuk-error-summary__list.*?</ul>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_profile_page_shows_a_summary_list_with_change_links_and_a_link_to_users(app):
    client, _ = _client(app, name="Oakfield Care Ltd", companies_house_number="SC123456", address="1 High Street",
                        postcode="SE6 4RU", contact_phone="020 7946 0000")
    page = client.get("/organisation").get_data(as_text=True)
    assert "govuk-summary-list" in page and "Oakfield Care Ltd" in page and "SC123456" in page
    assert "1 High Street<br>SE6 4RU" in page and "020 7946 0000" in page
    assert 'href="/organisation/edit#companies_house_number"' in page
    assert 'Change<span class="govuk-visually-hidden"> telephone number</span>' in page
    assert 'href="/organisation/users"' in page
    assert "You have not set referral preferences" in page


def test_provider_admin_changes_the_profile_and_the_audit_shows_before_and_after(app):
    client, org_id = _client(app, name="Old name", contact_phone="020 7946 0000")
    response = submit(client, "/organisation/edit", PROFILE)
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation")
    page = client.get("/organisation").get_data(as_text=True)
    assert "details have been saved" in page
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert (org.name, org.companies_house_number, org.postcode, org.contact_email, org.contact_phone) == (
            "Oakfield Care Ltd", "SC123456", "SE6 4RU", "priya@oakfield.example", "07911 123456")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.updated"))
        assert event.object_id == str(org_id) and event.organisation_id == org_id
        assert event.before["name"] == "Old name" and event.after["name"] == "Oakfield Care Ltd"
        assert event.before["contact_phone"] == "020 7946 0000" and event.after["contact_phone"] == "07911 123456"


def test_saving_without_changes_writes_no_audit_row(app):
    client, org_id = _client(app)
    submit(client, "/organisation/edit", PROFILE)
    response = submit(client, "/organisation/edit", PROFILE)
    assert response.status_code == 302
    assert "You did not change anything" in client.get("/organisation").get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "organisation.updated")).all()
        assert len(events) == 1


def test_companies_house_number_of_another_organisation_is_refused(app):
    with app.app_context():
        other = factories.organisation("provider")
        other.companies_house_number = "SC123456"
        db.commit()
    client, org_id = _client(app, name="Unchanged")
    response = submit(client, "/organisation/edit", PROFILE)
    assert response.status_code == 400
    assert "SC123456 is already registered to another organisation" in _summary(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Organisation, org_id).name == "Unchanged"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.updated")) is None


@pytest.mark.parametrize("change, message", [
    ({"contact_phone": "0123"}, "Enter a UK telephone number"),
    ({"postcode": "SW1A"}, "Enter a real postcode"),
    ({"companies_house_number": "AB1234567"}, "Enter a Companies House number in the correct format"),
    ({"contact_email": "nope"}, "Enter an email address in the correct format"),
    ({"name": "  "}, "Enter the organisation"),
    ({"address": ""}, "Enter the address"),
])
def test_bad_profile_input_is_refused_and_nothing_changes(app, change, message):
    client, org_id = _client(app, name="Unchanged")
    response = submit(client, "/organisation/edit", {**PROFILE, **change})
    assert response.status_code == 400 and message in _summary(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Organisation, org_id).name == "Unchanged"


@pytest.mark.parametrize("role", ["dps_manager", "system_admin"])
def test_councils_and_the_operator_edit_without_a_companies_house_number(app, role):
    client, org_id = _client(app, role)
    form = client.get("/organisation/edit").get_data(as_text=True)
    assert "Companies House number" not in form
    response = submit(client, "/organisation/edit", {"name": "Lewisham Council", "companies_house_number": "SC999999",
                                                     "contact_phone": "020 7946 0000"})
    assert response.status_code == 302
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert (org.name, org.contact_phone, org.companies_house_number, org.address) == (
            "Lewisham Council", "020 7946 0000", None, None)
    assert "Companies House number" not in client.get("/organisation").get_data(as_text=True)


def test_provider_staff_cannot_see_or_change_the_profile(app):
    client = signed_in_client(app, "provider_staff")
    assert client.get("/organisation").status_code == 403
    assert client.get("/organisation/edit").status_code == 403
    assert 'href="/organisation"' not in client.get("/dashboard").get_data(as_text=True)


def test_organisation_is_in_the_navigation_for_admins(app):
    client = signed_in_client(app, "provider_admin")
    assert re.search(r'href="/organisation"[^>]*>\s*Organisation', client.get("/dashboard").get_data(as_text=True))
