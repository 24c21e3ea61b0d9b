"""The DPS manager's pages: the DPS and its lots, decisions one form at a time, providers list and detail."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, Organisation
from portal.models import Dps, DpsApplication, Lot
from portal.seed import DPS_NAME, seed
from tests import factories
from tests.conftest import sign_in, signed_in_client, submit


@pytest.fixture
def council_manager(app):
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        dps = factories.dps(council, factories.organisation("council"), name="South East London DPS")
        user = factories.user("dps_manager", org=council, name="Sarah Collins")
        db.commit()
        ids = {"dps": dps.id, "council": council.id, "lots": [lot.id for lot in dps.lots]}
        email = user.email
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    return client, ids


def _audit(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_seeded_dps_is_shown_to_managers_of_its_councils(app):
    with app.app_context():
        seed()
    client = app.test_client()
    sign_in(client, "dps@lewisham.example", "homefinder-demo-2026")
    html = client.get("/dps").get_data(as_text=True)
    assert DPS_NAME.replace("'", "&#39;") in html and "Royal Borough of Greenwich" in html
    assert "Solo and bespoke" in html
    nav = client.get("/dashboard").get_data(as_text=True)
    for href in ('href="/dps"', 'href="/dps/providers"', 'href="/dps/applications"'):
        assert href in nav
    outsider = signed_in_client(app, "dps_manager")
    assert "not a member of a dynamic purchasing system" in outsider.get("/dps").get_data(as_text=True)


def test_create_a_dps_with_five_lots(app):
    client = signed_in_client(app, "dps_manager")
    response = submit(client, "/dps/new", {"name": "  "})
    assert response.status_code == 400 and "Enter a name for the DPS" in response.get_data(as_text=True)
    response = submit(client, "/dps/new", {"name": "Kent Children's DPS"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Kent Children&#39;s DPS has been created with 5 lots" in html
    assert "Parent and child" in html
    with app.app_context():
        dps = db.session.scalar(select(Dps))
        assert sorted(lot.kind for lot in dps.lots) == sorted(
            ["residential", "fostering", "supported_16_17", "parent_and_child", "solo_bespoke"])
        (row,) = _audit("dps.created")
        assert row.after["name"] == "Kent Children's DPS"
    response = submit(client, "/dps/new", {"name": "kent children's dps"})
    assert response.status_code == 400 and "There is already a DPS with that name" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dps)) == 1


def test_rename_a_lot(app, council_manager):
    client, ids = council_manager
    url = f"/dps/lots/{ids['lots'][4]}/rename"
    assert 'value="Solo and bespoke"' in client.get(url).get_data(as_text=True)
    assert submit(client, url, {"name": ""}).status_code == 400
    response = submit(client, url, {"name": "Solo, bespoke and emergency"}, follow_redirects=True)
    assert "The lot has been renamed to Solo, bespoke and emergency" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lot, ids["lots"][4]).name == "Solo, bespoke and emergency"
        (row,) = _audit("lot.renamed")
        assert row.before == {"name": "Solo and bespoke"}


def test_drafts_and_other_dps_applications_are_not_found(app, council_manager):
    client, ids = council_manager
    with app.app_context():
        dps = db.session.get(Dps, ids["dps"])
        draft = factories.application(dps, status="draft")
        other = factories.application(status="submitted")
        mine = factories.application(dps, status="submitted")
        db.commit()
        draft_id, other_id, mine_id = draft.id, other.id, mine.id
    assert client.get(f"/dps/applications/{draft_id}").status_code == 404
    assert client.get(f"/dps/applications/{other_id}").status_code == 404
    assert client.get(f"/dps/applications/{mine_id}").status_code == 200
    token_page = f"/dps/applications/{mine_id}"
    assert submit(client, f"/dps/applications/{other_id}/admit", {}, page=token_page).status_code == 404
    assert submit(client, f"/dps/applications/{mine_id}/delete", {}, page=token_page).status_code == 404
    html = client.get("/dps/applications").get_data(as_text=True)
    assert f"/dps/applications/{mine_id}" in html and f"/dps/applications/{other_id}" not in html


def test_each_decision_is_its_own_form(app, council_manager):
    client, ids = council_manager
    with app.app_context():
        application = factories.application(db.session.get(Dps, ids["dps"]),
                                            factories.organisation("provider", name="Oakfield Care"), "submitted")
        factories.user("provider_admin", org=application.provider)
        db.commit()
        url = f"/dps/applications/{application.id}"
    html = client.get(url).get_data(as_text=True)
    for button in ("Admit to the DPS", "Reject application", "Ask for clarification", "Extend the decision period"):
        assert button in html
    assert "Suspend from the DPS" not in html
    assert "Oakfield Care Ltd" in html  # the questionnaire, as summary lists

    response = submit(client, url + "/reject", {"reject-reason": ""}, page=url)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "govuk-error-summary" in body and 'href="#reject-reason"' in body
    with app.app_context():
        assert db.session.get(DpsApplication, application.id).status == "submitted"

    response = submit(client, url + "/admit", {"admit-note": "Welcome"}, page=url, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Oakfield Care has been admitted to South East London DPS" in html
    assert "Suspend from the DPS" in html and "Admit to the DPS" not in html
    # A stale admit form posted again is refused by the lifecycle, not a 500.
    response = submit(client, url + "/admit", {}, page=url, follow_redirects=True)
    assert "You cannot admit an application that is admitted" in response.get_data(as_text=True)

    response = submit(client, url + "/suspend", {"suspend-reason": "Insurance lapsed"}, page=url,
                      follow_redirects=True)
    assert "Oakfield Care has been suspended" in response.get_data(as_text=True)
    response = submit(client, url + "/reinstate", {}, page=url, follow_redirects=True)
    assert "Oakfield Care has been reinstated" in response.get_data(as_text=True)
    response = submit(client, url + "/withdraw", {"withdraw-reason": "Contract ended"}, page=url,
                      follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Oakfield Care has been withdrawn" in html and "Contract ended" in html
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                   if e.object_type == "dps_application"]
        assert actions == ["application.admitted", "application.suspended", "application.admitted",
                           "application.withdrawn"]


@pytest.fixture
def providers(app, council_manager):
    """Five providers with applications to the manager's DPS, one to another DPS only, one with none."""
    client, ids = council_manager
    with app.app_context():
        dps = db.session.get(Dps, ids["dps"])
        residential, fostering = dps.lots[0], dps.lots[1]

        def provider(name, status, lots, **setting):
            org = factories.organisation("provider", name=name)
            factories.application(dps, org, status, lots=lots)
            if setting:
                factories.setting(org, **setting)
            return org

        provider("Aspen Homes", "admitted", [residential], postcode="SE6 4RU", district="SE6")
        provider("Birch Fostering", "admitted", [fostering], kind="independent_fostering", postcode="ME4 4QU",
                 district="ME4", overall_effectiveness="Outstanding")
        provider("Cedar Care", "suspended", [residential], postcode="S1 2AB", district="S1")
        provider("Dale Lodge", "submitted", [residential], postcode="SE13 5AB", district="SE13", suspended=True,
                 overall_effectiveness="Inadequate")
        provider("Elm Supported", "rejected", [residential], kind="supported_accommodation", postcode="SE1 7PB",
                 district="SE1", overall_effectiveness=None)
        provider("Draft Only", "draft", [residential], postcode="SE6 1AA", district="SE6")
        factories.application(status="admitted")  # another DPS's provider
        factories.organisation("provider", name="Never Applied")
        db.commit()
        ids["residential"], ids["fostering"] = residential.id, fostering.id
    return client, ids


def _names(html):
    return [n for n in ("Aspen Homes", "Birch Fostering", "Cedar Care", "Dale Lodge", "Elm Supported",
                        "Draft Only", "Never Applied") if n in html]


def test_providers_list_shows_only_applicants_to_my_dps(providers):
    client, _ = providers
    html = client.get("/dps/providers").get_data(as_text=True)
    assert _names(html) == ["Aspen Homes", "Birch Fostering", "Cedar Care", "Dale Lodge", "Elm Supported"]
    assert "5 providers" in html


@pytest.mark.parametrize("query,expected", [
    ("lot={residential}", ["Aspen Homes"]),  # admitted to the lot (not suspended, submitted or rejected)
    ("lot={fostering}", ["Birch Fostering"]),
    ("kind=supported_accommodation", ["Elm Supported"]),
    ("rating=Outstanding", ["Birch Fostering"]),
    ("rating=not_inspected", ["Elm Supported"]),
    ("compliance=suspended", ["Cedar Care", "Dale Lodge"]),
    ("compliance=clear", ["Aspen Homes", "Birch Fostering", "Elm Supported"]),
    ("area=SE", ["Aspen Homes", "Dale Lodge", "Elm Supported"]),
    ("area=S", ["Cedar Care"]),  # S1 is Sheffield, not SE
    ("area=ME&kind=independent_fostering", ["Birch Fostering"]),
])
def test_providers_filters(providers, query, expected):
    client, ids = providers
    html = client.get("/dps/providers?" + query.format(**ids)).get_data(as_text=True)
    assert _names(html.split("</form>", 1)[1]) == expected


def test_providers_filter_rejects_nonsense_without_a_500(providers):
    client, _ = providers
    response = client.get("/dps/providers?area=ZZ&rating=Brilliant")
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)


def test_providers_are_paginated(app, council_manager):
    client, ids = council_manager
    with app.app_context():
        dps = db.session.get(Dps, ids["dps"])
        for n in range(27):
            factories.application(dps, factories.organisation("provider", name=f"Provider {n:02d}"), "submitted")
        db.commit()
    first = client.get("/dps/providers").get_data(as_text=True)
    assert "27 providers" in first and "Provider 24" in first and "Provider 25" not in first
    second = client.get("/dps/providers?page=2").get_data(as_text=True)
    assert "Provider 25" in second and "Provider 26" in second and "Provider 00" not in second


def test_provider_detail_shows_settings_applications_documents_and_trail(app, council_manager):
    client, ids = council_manager
    with app.app_context():
        org = factories.organisation("provider", name="Oakfield Care")
        org.contact_email = "office@oakfield.example"
        factories.setting(org, name="Acacia House", postcode="SE6 4RU", district="SE6")
        application = factories.application(db.session.get(Dps, ids["dps"]), org, "submitted")
        db.commit()
        provider_id, application_id = org.id, application.id
    url = f"/dps/applications/{application_id}"
    submit(client, url + "/clarify", {"clarify-reason": "Send your accounts"}, page=url)
    html = client.get(f"/dps/providers/{provider_id}").get_data(as_text=True)
    assert "office@oakfield.example" in html
    assert "Acacia House" in html and "SE6 4RU" in html  # the full postcode, for the DPS manager
    assert f"/dps/applications/{application_id}" in html
    assert "No documents have been uploaded" in html
    assert "application.clarification_requested" in html and "Sarah Collins" in html
    with app.app_context():
        factories.document(db.session.get(Organisation, provider_id))
        db.commit()
    html = client.get(f"/dps/providers/{provider_id}").get_data(as_text=True)
    assert "Public liability insurance" in html


def test_providers_without_an_application_to_my_dps_are_not_found(app, council_manager):
    client, _ = council_manager
    with app.app_context():
        other = factories.application(status="admitted").provider
        draft_only = factories.application(status="draft").provider
        db.commit()
        other_id, draft_id = other.id, draft_only.id
    assert client.get(f"/dps/providers/{other_id}").status_code == 404
    assert client.get(f"/dps/providers/{draft_id}").status_code == 404
