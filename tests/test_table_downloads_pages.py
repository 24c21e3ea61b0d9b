"""The remaining portal tables download as CSV and XLSX (issue 6 item 2): a provider's DPS applications and
home-page homes, the DPS manager's lots, provider page (four tables, ?table=) and Ofsted import report.
Each file has the page's header row, typed values, and only what the page shows that user."""
from __future__ import annotations

from datetime import date

from portal.core import audit, db
from tests import factories
from tests.test_table_downloads import as_csv, as_xlsx, client_for


def test_provider_applications_download_is_its_own_with_dates_as_dates(app):
    with app.app_context():
        d = factories.dps(name="South Consortium")
        provider = factories.organisation("provider", "Acorn Care")
        admin = factories.user("provider_admin", org=provider)
        mine = factories.application(d, provider, status="submitted")
        factories.application(d, factories.organisation("provider", "Other Ltd"), status="submitted")
        db.commit()
        email, due = admin.email, mine.decision_due_on
    client = client_for(app, email)
    assert "Download CSV" in client.get("/applications").get_data(as_text=True)
    rows = as_csv(client.get("/applications?format=csv"))
    assert rows[0] == ["DPS", "Lots", "Status", "Submitted", "Decision due"]
    assert len(rows) == 2 and rows[1][0] == "South Consortium" and rows[1][4] == due.isoformat()
    sheet = as_xlsx(client.get("/applications?format=xlsx"))
    assert sheet[1][4].date() == due and "Other Ltd" not in str(sheet)


def test_dps_lots_download_has_every_lot_of_the_managers_dps_only(app):
    with app.app_context():
        d = factories.dps(name="Mine")
        factories.dps(name="Theirs")
        manager = factories.user("dps_manager", org=d.councils[0])
        db.commit()
        email, lots = manager.email, len(d.lots)
    client = client_for(app, email)
    assert "Download CSV" in client.get("/dps").get_data(as_text=True)
    rows = as_csv(client.get("/dps?format=csv"))
    assert rows[0] == ["DPS", "Lot", "Kinds of home"]
    assert len(rows) == lots + 1 and {r[0] for r in rows[1:]} == {"Mine"}


def test_provider_page_downloads_each_of_its_four_tables_and_only_to_its_dps(app):
    with app.app_context():
        d = factories.dps()
        manager = factories.user("dps_manager", org=d.councils[0])
        stranger = factories.user("dps_manager")
        provider = factories.organisation("provider", "Acorn Care")
        application = factories.admitted(provider, d)
        factories.setting(provider, name="Oak House", urn="SC900001", suspended=True, suspended_reason="Inadequate")
        audit.record("setting.suspended", "organisation", provider.id, actor=manager, after={"reason_given": "Ofsted"})
        db.commit()
        email, stranger_email, url = manager.email, stranger.email, f"/dps/providers/{provider.id}"
        submitted = application.submitted_at
    client = client_for(app, email)
    page = client.get(url).get_data(as_text=True)
    assert page.count("Download CSV") == 3  # applications, homes, audit (no documents)
    assert f'{url}?table=homes&amp;format=csv' in page or f'{url}?format=csv&amp;table=homes' in page
    homes = as_csv(client.get(f"{url}?format=csv&table=homes"))
    assert homes == [["Home", "URN", "Closed", "Kind", "Ofsted", "Registration", "Postcode", "Referrals",
                      "Suspended because"],
                     ["Oak House", "SC900001", "no", "Children's home", "Good", homes[1][5], "SE6 4RU", "Suspended",
                      "Inadequate"]]
    applications = as_xlsx(client.get(f"{url}?format=xlsx&table=applications"))
    assert applications[0] == ["DPS", "Lots", "Status", "Received"]
    assert applications[1][2] == "Admitted" and abs((applications[1][3] - submitted.replace(tzinfo=None))
                                                    .total_seconds()) < 1
    trail = as_csv(client.get(f"{url}?format=csv&table=audit"))
    assert trail[0] == ["When", "Who", "What", "Object", "Details"]
    assert ["setting.suspended", "Reason given: Ofsted"] == [trail[1][2], trail[1][4]]
    assert as_csv(client.get(f"{url}?format=csv&table=documents")) == [["Document", "File", "Expires", "Uploaded"]]
    assert client.get(f"{url}?format=csv&table=secrets").status_code == 404
    assert client.get(f"{url}?format=csv").status_code == 404  # which table? none named
    assert client_for(app, stranger_email).get(f"{url}?format=csv&table=homes").status_code == 404


def test_home_page_homes_download_for_a_provider_with_places_as_numbers(app):
    with app.app_context():
        provider = factories.organisation("provider", "Acorn Care")
        admin = factories.user("provider_admin", org=provider)
        factories.vacancy(factories.setting(provider, name="Oak House"), places_free=2)
        factories.setting(factories.organisation("provider", "Other Ltd"), name="Not Mine")
        db.commit()
        email = admin.email
    client = client_for(app, email)
    assert "Download CSV" in client.get("/dashboard").get_data(as_text=True)
    response = client.get("/dashboard?format=csv")
    rows = as_csv(response)
    assert rows[0] == ["Home", "URN", "District", "Ofsted", "Places free", "Vacancy", "Confirmed"]
    assert rows[1][:6] == ["Oak House", rows[1][1], "SE6", "Good", "2", "Current"] and len(rows) == 2
    assert "\r\nOak House," in response.get_data(as_text=True).replace('"', "") and ",2," in response.get_data(
        as_text=True)  # the number is unquoted
    assert as_xlsx(client.get("/dashboard?format=xlsx"))[1][4] == 2


def test_ofsted_import_report_downloads_every_row_with_typed_values(app):
    from portal.models import OfstedImport

    with app.app_context():
        d = factories.dps()
        manager = factories.user("dps_manager", org=d.councils[0])
        other = factories.user("dps_manager")
        imp = OfstedImport(filename="ofsted.csv", storage_key="ofsted/x.csv", status="completed", uploaded_by=manager,
                           report={"changes": [{"urn": "SC1", "setting_id": 1, "setting": "Oak House", "row": 2,
                                                "field": "inspection_date", "before": None, "after": "2026-01-05"}]
                                   + [{"urn": f"SC{i}", "setting_id": i, "setting": f"Home {i}", "row": i,
                                       "field": "overall_effectiveness", "before": "Good", "after": "Outstanding"}
                                      for i in range(3, 6)],
                                   "unknown": [{"urn": "SC99", "row": 7, "name": "Nowhere"}],
                                   "rejected": [{"row": 8, "reason": "No URN"}], "duplicates": []})
        db.session.add(imp)
        db.commit()
        email, other_email, url = manager.email, other.email, f"/dps/ofsted-imports/{imp.id}"
    import portal.ofsted_views as views  # the page shows at most SHOW_AT_MOST rows; the file has them all
    limit, views.SHOW_AT_MOST = views.SHOW_AT_MOST, 2
    try:
        client = client_for(app, email)
        page = client.get(url).get_data(as_text=True)
        assert "Showing the first 2 of 4" in page and page.count("Download CSV") == 3
        changes = as_csv(client.get(f"{url}?format=csv&table=changes"))
    finally:
        views.SHOW_AT_MOST = limit
    assert changes[0] == ["Home", "URN", "Field", "Before", "After"] and len(changes) == 5
    assert changes[1][3:] == ["", "2026-01-05"]
    sheet = as_xlsx(client.get(f"{url}?format=xlsx&table=changes"))
    assert sheet[1][4].date() == date(2026, 1, 5)
    unknown = as_xlsx(client.get(f"{url}?format=xlsx&table=unknown"))
    assert unknown == [["Row", "URN", "Name in the file"], [7, "SC99", "Nowhere"]]
    assert as_csv(client.get(f"{url}?format=csv&table=rejected")) == [["Row", "Reason"], ["8", "No URN"]]
    assert client_for(app, other_email).get(f"{url}?format=csv&table=changes").status_code == 404
