"""The finance export (issue #6 item 4): the documented columns, values in pounds with 2 decimal places,
ISO dates, one row per placement, and each council sees only its own placements."""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl

from portal.core import db
from tendering import award as awards
from tendering import finance
from tendering.models import Placement
from tests import factories
from tests.conftest import sign_in

DOC = Path(__file__).resolve().parent.parent / "docs" / "finance-export.md"


def _scenario():
    """B awarded: £3,500.00 core + Therapy 2 × £50.00 = £100.00 a week → £3,600.00 a week.
    Plus an ended spot purchase (£4,500.00 core, no services) for another council."""
    s = factories.evaluated_referral()
    s["B"].setting.urn = "SC123456"
    s["B"].provider.companies_house_number = "01234567"
    awards.reveal_prices(s["referral"], s["officer"])
    awards.award(s["referral"], s["B"].id, "Closer to school", s["officer"])
    other = factories.organisation("council", name="Other Council")
    spot = factories.placement(other, start_date=date(2026, 1, 5), end_date=date(2026, 3, 1), ended_planned=False)
    db.commit()
    placement = db.session.query(Placement).filter_by(referral_id=s["referral"].id).one()
    return s, placement, spot, other


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def test_rows_core_plus_additional_per_week(app):
    with app.app_context():
        s, placement, spot, _ = _scenario()
        rows = {r[0]: r for r in finance.rows()}
        assert len(rows) == 2
        row = dict(zip(finance.HEADERS, rows[placement.code]))
        assert row["council"] == "Lewisham Council" and row["provider"] == "Birch Homes Ltd"
        assert row["provider_companies_house_number"] == "01234567"
        assert row["setting_name"] == "Birch Lodge" and row["setting_urn"] == "SC123456"
        assert str(row["weekly_core_fee_gbp"]) == "3500.00"
        assert str(row["additional_services_per_week_gbp"]) == "100.00"
        assert str(row["weekly_cost_gbp"]) == "3600.00"
        assert row["start_date"] == placement.start_date and row["end_date"] is None
        assert row["ended_planned"] is None and row["spot_purchase"] is False
        other = dict(zip(finance.HEADERS, rows[spot.code]))
        assert str(other["weekly_cost_gbp"]) == "4500.00" and str(other["additional_services_per_week_gbp"]) == "0.00"
        assert other["spot_purchase"] is True and other["ended_planned"] is False


def test_csv_download_layout_and_scope(app):
    with app.app_context():
        s, placement, spot, _ = _scenario()
        email, code, start = s["officer"].email, placement.code, placement.start_date
    response = _client(app, email).get("/exports/finance?format=csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == finance.HEADERS
    assert table[1:] == [[code, "Lewisham Council", "Birch Homes Ltd", "01234567", "Birch Lodge", "SC123456",
                          "3500.00", "100.00", "3600.00", start.isoformat(), "", "", "no"]]  # not the other council's


def test_xlsx_matches_and_other_council_sees_its_own(app):
    with app.app_context():
        s, placement, spot, other = _scenario()
        officer = factories.user("placements_officer", org=other)
        db.commit()
        email, code = officer.email, spot.code
    client = _client(app, email)
    table = list(csv.reader(io.StringIO(client.get("/exports/finance?format=csv").get_data(as_text=True))))
    assert [r[0] for r in table[1:]] == [code]
    assert table[1][9:] == ["2026-01-05", "2026-03-01", "no", "yes"]
    response = client.get("/exports/finance?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == finance.HEADERS and values[1][0] == code and values[1][8] == 4500
    assert client.get("/exports/finance?format=pdf").status_code == 400


def test_documented_layout_lists_every_column():
    text = DOC.read_text(encoding="utf-8")
    for header in finance.HEADERS:
        assert f"`{header}`" in text, header
    assert "pounds, 2 decimal places, no currency sign" in text
