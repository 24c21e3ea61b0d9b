"""The reusable table export: CSV (plain UTF-8, header row, ISO dates, numbers as numbers) and XLSX
(numeric and date cells, bold header) carry the same rows; filenames are safe; formulas are never run."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tendering import exports_tabular as x

HEADERS = ["Placement", "Start date", "Weekly cost (GBP)", "Places", "Share (%)", "Current", "Updated", "Note"]
ROWS = [
    ["PL-000001", date(2026, 4, 1), Decimal("17993.00"), 2, 33.3, True,
     datetime(2026, 4, 1, 9, 30, tzinfo=timezone.utc), "Café, “quoted”, with comma"],
    ["PL-000002", None, Decimal("-300.50"), 0, None, False, None, "=HYPERLINK(\"http://x\")"],
]


def test_csv_has_a_header_iso_dates_and_unquoted_numbers():
    text = x.to_csv(HEADERS, ROWS)
    assert not text.startswith("\ufeff")
    lines = text.splitlines()
    assert lines[0] == ",".join(HEADERS)
    assert lines[1].startswith("PL-000001,2026-04-01,17993.00,2,33.3,yes,2026-04-01T09:30:00+00:00,")
    assert lines[2] == "PL-000002,,-300.50,0,,no,,\"'=HYPERLINK(\"\"http://x\"\")\""
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][7] == "Café, “quoted”, with comma"


def test_xlsx_opens_with_openpyxl_and_matches_the_csv():
    book = load_workbook(io.BytesIO(x.to_xlsx(HEADERS, ROWS, sheet_title="Costs: top/ten")))
    sheet = book.active
    assert sheet.title == "Costs  top ten"
    assert [c.value for c in sheet[1]] == HEADERS and all(c.font.bold for c in sheet[1])
    first = [c.value for c in sheet[2]]
    assert first[:5] == ["PL-000001", datetime(2026, 4, 1), 17993, 2, 33.3]
    assert isinstance(first[2], (int, float)) and sheet["B2"].number_format == "yyyy-mm-dd"
    assert first[5:] == ["yes", datetime(2026, 4, 1, 9, 30), "Café, “quoted”, with comma"]
    second = [c.value for c in sheet[3]]
    assert second[2] == -300.5 and sheet["H3"].data_type == "s"  # text, never a formula

    csv_rows = list(csv.reader(io.StringIO(x.to_csv(HEADERS, ROWS))))
    for xlsx_row, csv_row in zip(sheet.iter_rows(values_only=True), csv_rows):
        as_text = []
        for value, expected in zip(xlsx_row, csv_row):
            if isinstance(value, datetime) and len(expected) == 10:
                value = value.date().isoformat()
            elif isinstance(value, datetime):
                value = value.replace(tzinfo=timezone.utc).isoformat()
            elif isinstance(value, (int, float)):
                value = Decimal(expected) == Decimal(str(value)) and expected
            as_text.append("" if value is None else str(value).replace("=HYP", "'=HYP", 1))
        assert as_text == csv_row


@pytest.mark.parametrize("stem,expected", [("sufficiency-cost_top-2026-04-01", "sufficiency-cost_top-2026-04-01.csv"),
                                           ('../../etc/"passwd"\r\n', "etc-passwd.csv"), ("", "export.csv"),
                                           ("Café table", "Caf-table.csv")])
def test_safe_filename(stem, expected):
    assert x.safe_filename(stem, "csv") == expected


def test_download_response(app):
    with app.test_request_context():
        response = x.download(HEADERS, ROWS, "my table", "csv")
        assert response.mimetype == "text/csv" and response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == 'attachment; filename="my-table.csv"'
        xlsx = x.download(HEADERS, ROWS, "my table", "xlsx")
        assert xlsx.headers["Content-Disposition"] == 'attachment; filename="my-table.xlsx"'
        assert load_workbook(io.BytesIO(xlsx.get_data())).active.max_row == 3
        with pytest.raises(ValueError):
            x.download(HEADERS, ROWS, "t", "pdf")
