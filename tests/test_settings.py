"""Providers' homes (settings): create, edit, close, with validation and ownership checks."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent
from portal.models import Setting
from tests import factories
from tests.conftest import sign_in, submit

VALID = {
    "name": "Oakfield House", "urn": "sc123456", "kind": "childrens_home", "registration_status": "active",
    "overall_effectiveness": "Good", "inspection_date": ["14", "3", "2025"], "registered_places": "4",
    "min_age": "11", "max_age": "17", "sexes": ["male", "female"], "needs": ["autism", "complex_trauma"],
    "postcode": " se6 4ru ",
}


def _provider(app, role="provider_admin"):
    with app.app_context():
        user = factories.user(role)
        db.commit()
        return user.email, user.organisation_id


def _client(app, role="provider_admin"):
    email, org_id = _provider(app, role)
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, org_id


def _setting_audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "setting"))


def _need_codes(app):
    with app.app_context():
        from portal.models import Need
        return db.session.scalars(select(Need.code).order_by(Need.position)).all()


def test_admin_creates_a_setting(app):
    client, org_id = _client(app)
    codes = _need_codes(app)
    data = {**VALID, "needs": codes[:2]}
    response = submit(client, "/settings/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        setting = db.session.scalar(select(Setting))
        assert (setting.provider_id, setting.urn, setting.postcode, setting.district) == (org_id, "SC123456",
                                                                                        "SE6 4RU", "SE6")
        assert setting.status == "open" and setting.accepts_male and setting.accepts_female
        assert sorted(n.code for n in setting.needs) == sorted(codes[:2])
        assert setting.inspection_date.isoformat() == "2025-03-14"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "setting.created"))
        assert event.object_id == str(setting.id) and event.after["urn"] == "SC123456"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Oakfield House" in page and "SE6 4RU" in page  # the provider's own page shows the full postcode


def test_not_yet_inspected_needs_no_date_and_seven_digit_urns_are_accepted(app):
    client, _ = _client(app)
    data = {**VALID, "urn": "1234567", "overall_effectiveness": "not_inspected", "inspection_date": ["", "", ""],
            "needs": []}
    assert submit(client, "/settings/new", data).status_code == 302
    with app.app_context():
        setting = db.session.scalar(select(Setting))
        assert setting.overall_effectiveness is None and setting.inspection_date is None and setting.urn == "1234567"


@pytest.mark.parametrize("change, message", [
    ({"urn": "AB12345"}, "Enter a URN in the correct format"),
    ({"urn": "SC12345"}, "Enter a URN in the correct format"),
    ({"urn": "SC999999"}, "URN SC999999 is already registered on Homefinder"),
    ({"postcode": "not a postcode"}, "Enter a real postcode, like SE6 4RU"),
    ({"postcode": "SE99 1AB"}, "We do not recognise the postcode district SE99"),
    ({"registered_places": "201"}, "Registered places must be between 0 and 200"),
    ({"registered_places": "-1"}, "Registered places must be between 0 and 200"),
    ({"registered_places": "four"}, "Registered places must be a whole number"),
    ({"min_age": "16", "max_age": "12"}, "Oldest age must be the same as or older than the youngest age"),
    ({"max_age": "26"}, "Oldest age must be between 0 and 25"),
    ({"sexes": []}, "Select at least one sex the home accepts"),
    ({"name": ""}, "Enter the name of the home or service"),
    ({"kind": "castle"}, "Not a valid choice"),
    ({"inspection_date": ["31", "2", "2025"]}, "Inspection date must be a real date"),
    ({"inspection_date": ["", "", ""]}, "Enter the date of the latest inspection"),
])
def test_invalid_settings_are_refused_with_an_error_summary_and_nothing_written(app, change, message):
    with app.app_context():
        factories.setting(factories.organisation("provider"), urn="SC999999")
        db.commit()
    client, _ = _client(app)
    with app.app_context():
        before = (db.session.scalar(select(func.count()).select_from(Setting)), _setting_audit_count())
    response = submit(client, "/settings/new", {**VALID, "needs": [], **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "There is a problem" in html
    assert message in html
    assert "<title>Error:" in html
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Setting)), _setting_audit_count()) == before


def test_staff_cannot_create_edit_or_close_settings(app):
    client, org_id = _client(app, "provider_staff")
    with app.app_context():
        setting_id = factories.setting(db.session.get(factories.Organisation, org_id)).id
        db.commit()
    assert client.get("/settings/new").status_code == 403
    token_page = client.get("/settings").get_data(as_text=True)
    assert "Add a home" not in token_page
    from tests.conftest import csrf_from
    token = csrf_from(client.get(f"/settings/{setting_id}").get_data(as_text=True))
    assert client.post("/settings/new", data={**VALID, "csrf_token": token}).status_code == 403
    assert client.post(f"/settings/{setting_id}/edit", data={**VALID, "csrf_token": token}).status_code == 403
    assert client.post(f"/settings/{setting_id}/close", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/settings/{setting_id}").status_code == 200  # staff may look


def test_another_providers_setting_is_404(app):
    client, _ = _client(app)
    with app.app_context():
        other = factories.setting(factories.organisation("provider"), name="Secret Home")
        db.commit()
        other_id = other.id
    for path in ("", "/edit", "/close", "/vacancy"):
        assert client.get(f"/settings/{other_id}{path}").status_code == 404, path
    assert "Secret Home" not in client.get("/settings").get_data(as_text=True)
    assert "Secret Home" not in client.get("/vacancies").get_data(as_text=True)


def test_admin_edits_a_setting_and_the_change_is_audited(app):
    client, org_id = _client(app)
    with app.app_context():
        setting = factories.setting(db.session.get(factories.Organisation, org_id), name="Willow Lodge")
        db.commit()
        setting_id = setting.id
    page = client.get(f"/settings/{setting_id}/edit").get_data(as_text=True)
    assert "Willow Lodge" in page
    response = submit(client, f"/settings/{setting_id}/edit",
                      {**VALID, "needs": [], "name": "Willow Lodge North", "postcode": "BR1 1AA"})
    assert response.status_code == 302
    with app.app_context():
        setting = db.session.get(Setting, setting_id)
        assert (setting.name, setting.postcode, setting.district) == ("Willow Lodge North", "BR1 1AA", "BR1")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "setting.updated"))
        assert event.before["name"] == "Willow Lodge" and event.after["name"] == "Willow Lodge North"
        assert event.after["postcode"] == "BR1 1AA"


def test_editing_with_an_error_changes_nothing(app):
    client, org_id = _client(app)
    with app.app_context():
        setting_id = factories.setting(db.session.get(factories.Organisation, org_id), name="Cedar").id
        db.commit()
    response = submit(client, f"/settings/{setting_id}/edit", {**VALID, "needs": [], "name": "Renamed",
                                                                "min_age": "17", "max_age": "3"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Setting, setting_id).name == "Cedar"
        assert _setting_audit_count() == 0


def test_keeping_its_own_urn_is_not_a_duplicate(app):
    client, org_id = _client(app)
    with app.app_context():
        setting_id = factories.setting(db.session.get(factories.Organisation, org_id), urn="SC555555").id
        db.commit()
    response = submit(client, f"/settings/{setting_id}/edit", {**VALID, "needs": [], "urn": "SC555555"})
    assert response.status_code == 302


def test_admin_closes_a_setting_which_then_hides_from_the_list(app):
    client, org_id = _client(app)
    with app.app_context():
        org = db.session.get(factories.Organisation, org_id)
        closing = factories.setting(org, name="Rowan Cottage")
        factories.setting(org, name="Maple House")
        db.commit()
        closing_id = closing.id
    assert "Are you sure" in client.get(f"/settings/{closing_id}/close").get_data(as_text=True)
    response = submit(client, f"/settings/{closing_id}/close", {})
    assert response.status_code == 302
    flashed = client.get("/settings").get_data(as_text=True)
    assert "Rowan Cottage has been closed" in flashed
    listing = client.get("/settings").get_data(as_text=True)
    assert "Maple House" in listing and "Rowan Cottage" not in listing and "Show closed homes" in listing
    assert "Rowan Cottage" in client.get("/settings?closed=1").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Setting, closing_id).status == "closed"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "setting.closed"))
        assert event.before == {"status": "open"} and event.after == {"status": "closed"}
    # closed homes cannot be edited or have their vacancy changed
    assert client.get(f"/settings/{closing_id}/edit").status_code == 302
    assert client.get(f"/settings/{closing_id}/vacancy").status_code == 302
