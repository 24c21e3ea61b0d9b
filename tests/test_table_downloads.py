"""Tables download as CSV and XLSX with exactly the rows and columns the page shows that user (issue 6
item 2); big tables are prepared in the background (item 5, tests/test_table_exports_background.py)."""
from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from portal.core import db
from tests import factories
from tests.conftest import sign_in


def client_for(app, user_email):
    client = app.test_client()
    assert sign_in(client, user_email, factories.PASSWORD).status_code == 302
    return client


def as_csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def as_xlsx(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return [list(r) for r in load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True)]


def test_provider_list_downloads_only_this_managers_providers_with_the_page_filters(app):
    with app.app_context():
        mine, theirs = factories.dps(name="Mine"), factories.dps(name="Theirs")
        manager = factories.user("dps_manager", org=mine.councils[0])
        for name in ("Acorn Care", "=Beech Homes"):
            factories.admitted(factories.organisation("provider", name), mine)
        factories.admitted(factories.organisation("provider", "Other Consortium Ltd"), theirs)
        db.commit()
        email = manager.email
    client = client_for(app, email)
    page = client.get("/dps/providers").get_data(as_text=True)
    assert "Download CSV" in page and "Download XLSX" in page and "Other Consortium" not in page
    rows = as_csv(client.get("/dps/providers?format=csv"))
    assert rows[0] == ["Provider", "Contact name", "Contact email"]
    assert sorted(r[0] for r in rows[1:]) == ["'=Beech Homes", "Acorn Care"]  # formula-safe
    sheet = as_xlsx(client.get("/dps/providers?format=xlsx"))
    assert sheet[0] == ["Provider", "Contact name", "Contact email"]
    assert sorted(r[0] for r in sheet[1:]) == ["=Beech Homes", "Acorn Care"]
    assert client.get("/dps/providers?format=pdf").status_code == 400


def test_admissions_queue_downloads_what_the_page_lists(app):
    with app.app_context():
        d = factories.dps()
        manager = factories.user("dps_manager", org=d.councils[0])
        factories.application(d, factories.organisation("provider", "Waiting Ltd"), status="submitted")
        factories.application(factories.dps(), factories.organisation("provider", "Elsewhere Ltd"), status="submitted")
        db.commit()
        email = manager.email
    client = client_for(app, email)
    rows = as_csv(client.get("/dps/applications?format=csv"))
    assert rows[0][:4] == ["Provider", "DPS", "Lots", "Status"]
    assert [r[0] for r in rows[1:]] == ["Waiting Ltd"]
    assert len(as_xlsx(client.get("/dps/applications?format=xlsx"))) == 2


def test_referral_list_is_the_councils_own_with_the_status_filter(app):
    with app.app_context():
        d = factories.dps()
        council = d.councils[0]
        officer = factories.user("placements_officer", org=council)
        draft = factories.referral(council, dps_obj=d)
        published = factories.referral(council, dps_obj=d, status="published")
        other = factories.referral()  # another council's
        db.commit()
        email, ids, other_id, draft_id = officer.email, {draft.id, published.id}, other.id, draft.id
    client = client_for(app, email)
    assert "Download XLSX" in client.get("/referrals").get_data(as_text=True)
    rows = as_csv(client.get("/referrals?format=csv"))
    assert rows[0] == ["Referral", "Case reference", "Lot", "Status", "Spot purchase", "Started", "Response deadline"]
    assert {int(r[0]) for r in rows[1:]} == ids and str(other_id) not in {r[0] for r in rows[1:]}
    assert len(rows[1][5]) == 10 and rows[1][5][4] == "-"  # ISO date
    filtered = as_csv(client.get("/referrals?status=draft&format=csv"))
    assert [r[0] for r in filtered[1:]] == [str(draft_id)] and filtered[1][3] == "Draft"
    sheet = as_xlsx(client.get("/referrals?format=xlsx"))
    assert isinstance(sheet[1][0], int)  # numbers as numbers


def test_homes_and_vacancies_download_only_the_providers_own(app):
    with app.app_context():
        admin = factories.user("provider_admin")
        mine = factories.setting(admin.organisation, name="Oak House")
        factories.vacancy(mine, places_free=2)
        factories.setting(admin.organisation, name="Closed House", status="closed")
        factories.setting(factories.organisation("provider"), name="Someone Else's Home")
        db.commit()
        email = admin.email
    client = client_for(app, email)
    rows = as_csv(client.get("/settings?format=csv"))
    assert rows[0] == ["Home", "URN", "Postcode", "Status", "Kind", "Ofsted", "Places", "Vacancy"]
    assert [r[0] for r in rows[1:]] == ["Oak House"] and rows[1][6] == "4" and rows[1][7] == "Current"
    assert sorted(r[0] for r in as_csv(client.get("/settings?closed=1&format=csv"))[1:]) == ["Closed House", "Oak House"]
    vac = as_xlsx(client.get("/vacancies?format=xlsx"))
    assert vac[0] == ["Home", "Vacancy", "Confirmed", "Places free", "Free from", "Note"]
    assert [r[0] for r in vac[1:]] == ["Oak House"] and vac[1][3] == 2
    assert "Download CSV" in client.get("/vacancies").get_data(as_text=True)


def test_documents_download_matches_the_current_documents_table(app):
    with app.app_context():
        admin = factories.user("provider_admin")
        factories.document(admin.organisation)
        factories.document(factories.organisation("provider"), filename="theirs.pdf")
        db.commit()
        email = admin.email
    client = client_for(app, email)
    rows = as_csv(client.get("/documents?format=csv"))
    assert rows[0] == ["Document", "File", "Home", "Cover (GBP)", "Expires", "Status"]
    assert "theirs.pdf" not in {r[1] for r in rows}
    assert any(r[5] == "Missing" for r in rows[1:]) and any(r[1] for r in rows[1:])


def _referral_with_proposals(app, status):
    with app.app_context():
        d = factories.dps()
        officer = factories.user("placements_officer", org=d.councils[0])
        referral = factories.referral(d.councils[0], dps_obj=d, status=status)
        for name in ("Acorn Care", "Beech Homes"):
            factories.proposal(referral, factories.organisation("provider", name), blind_position=None)
        db.commit()
        return officer.email, referral.id


def test_sealed_proposals_download_has_only_the_counts(app):
    email, referral_id = _referral_with_proposals(app, "published")
    client = client_for(app, email)
    page = client.get(f"/referrals/{referral_id}/proposals").get_data(as_text=True)
    assert "Download CSV" in page and "Acorn" not in page
    response = client.get(f"/referrals/{referral_id}/proposals?format=csv")
    text = response.get_data(as_text=True)
    rows = as_csv(response)
    assert rows[0] == ["Measure", "Value"] and rows[1] == ["Proposals received", "2"]
    for secret in ("Acorn", "Beech", "Home ", "4500", "450000", "Therapeutic", "Our plan"):
        assert secret not in text
    assert "Acorn" not in str(as_xlsx(client.get(f"/referrals/{referral_id}/proposals?format=xlsx")))


def test_closed_proposals_download_is_the_blind_list_without_prices(app):
    email, referral_id = _referral_with_proposals(app, "closed")
    client = client_for(app, email)
    response = client.get(f"/referrals/{referral_id}/proposals?format=csv")
    rows = as_csv(response)
    assert rows[0] == ["Label", "Provider", "Home", "Submitted"]  # no quality before lock, never a price
    assert sorted(r[1] for r in rows[1:]) == ["Acorn Care", "Beech Homes"]
    text = response.get_data(as_text=True)
    for price in ("4500", "4,500", "450.00", "£"):  # the £4,500 weekly fee in any format
        assert price not in text
    assert re.search(r"\d{2}:\d{2}:\d{2}\+00:00", text)  # submitted times to the second, in UTC


def test_another_councils_officer_gets_404_not_a_file(app):
    _email, referral_id = _referral_with_proposals(app, "closed")
    with app.app_context():
        stranger = factories.user("placements_officer")
        db.commit()
        email = stranger.email
    client = client_for(app, email)
    for path in ("proposals", "distribution", "results.xlsx"):
        assert client.get(f"/referrals/{referral_id}/{path}?format=csv").status_code == 404
