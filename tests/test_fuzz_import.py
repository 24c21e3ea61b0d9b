"""Hostile CSV files for the Ofsted import (issue 7 item 5), the only CSV import in the service.

The parser (portal/ofsted_csv.py) gets many generated files: whatever the bytes, it yields kept or rejected
rows or raises OfstedFormatError with a sentence for the user, never anything else. A few files go through
the upload page and the import job as a DPS manager: never a 500, a GOV.UK error or a report, hostile text
escaped, and a file refused as a whole changes no home.
"""
from __future__ import annotations

import codecs
import csv
import io
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.core import db
from portal.models import OfstedImport, Setting
from portal.ofsted_csv import OfstedFormatError, OfstedRow, RejectedRow, iter_ofsted_csv
from tests import factories
from tests.conftest import csrf_from, signed_in_client
from tests.factories_ofsted import DEFAULT_COLUMNS

SCRIPT = "<script>alert(1)</script>"
URN = "SC654321"  # the home the generated rows name, so hostile values reach the reconciliation
HOSTILE_CELLS = [
    SCRIPT, "=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1", "0",
    "99999999999999999999", "1e308", "31/02/2024", "2024-13-01", "00/00/0000", "٣/٣/٢٠٢٤", "x" * 10_000,
    "a\x00b", "\u202eevil", "👩\u200d👩\u200d👧", "'; DROP TABLE setting;--", "{{7*7}}", "\"", "\r\n", "Inadequate",
    "Good", "Active", "Suspended", "not yet inspected", "n/a", URN, "sc654321", "1234567", "SC12345",
]
CELL = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30))
HEADERS = st.lists(st.one_of(st.sampled_from(DEFAULT_COLUMNS + ["URN", "urn ", "Unique reference number",
                                                                 "Overall effectiveness", ""]),
                             st.text(max_size=15)), min_size=1, max_size=10)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


@st.composite
def csv_files(draw) -> bytes:
    """A CSV-ish file: a header (often Ofsted's own columns), rows of hostile cells, in some encoding,
    sometimes cut short or with raw bytes spliced in."""
    header = draw(st.one_of(st.just(list(DEFAULT_COLUMNS)), HEADERS))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=6))
    if draw(st.booleans()) and "URN" in header:
        row = [""] * len(header)
        row[header.index("URN")] = URN
        for i in range(len(row)):
            if header[i] != "URN":
                row[i] = draw(CELL)
        rows.append(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=draw(st.sampled_from(["\r\n", "\n", "\r"]))).writerows([header, *rows])
    data = buffer.getvalue().encode(draw(ENCODINGS), "replace")
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))] + draw(st.binary(max_size=8))
    return data


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(data=st.one_of(csv_files(), st.binary(max_size=200)))
@example(data=codecs.BOM_UTF8 + b"URN,Places\r\nSC654321,99999999999999999999\r\n")
@example(data=b"URN,Registration status\r\nSC654321,Active\x00\r\n")
@example(data=b"PK\x03\x04 an Excel workbook")
@example(data=b"\xff\xfeU\x00R\x00N\x00")
@example(data=b"")
def test_the_parser_never_fails_unexpectedly(data):
    try:
        items = list(iter_ofsted_csv(data))
    except OfstedFormatError as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    for item in items:
        assert isinstance(item, (OfstedRow, RejectedRow))
        if isinstance(item, OfstedRow):
            assert re.fullmatch(r"(SC)?\d{6,7}", item.urn)
            assert item.places is None or 0 <= item.places <= 10_000
        else:
            assert item.reason.startswith(f"row {item.row_number}")


def _home_state(app) -> tuple:
    with app.app_context():
        home = db.session.scalar(select(Setting).where(Setting.urn == URN))
        return (home.overall_effectiveness, home.inspection_date, home.registration_status, home.registered_places,
                home.suspended)


def test_hostile_files_through_the_upload_page(app):
    with app.app_context():
        factories.setting(factories.organisation("provider"), urn=URN, registered_places=4)
        db.commit()
    client = signed_in_client(app, "dps_manager")

    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=csv_files(), filename=st.sampled_from(["ofsted.csv", SCRIPT + ".csv", "a\x00b.csv",
                                                       "../../etc/passwd.csv", "x" * 300 + ".csv"]))
    @example(data=b"URN,Registration status,Places\r\nSC654321,Active,99999999999999999999\r\n",
             filename="ofsted.csv")
    @example(data=b"URN,Places,Setting name\r\nSC654321,3,\x00" + SCRIPT.encode() + b"\r\n", filename="a\x00b.csv")
    @example(data=b"URN,Registration status,Setting name\r\nSC654321,Active\x00,x\r\n1234567,Active,N\x00\r\n",
             filename="ofsted.csv")
    @example(data=b"URN,Overall effectiveness,Inspection date\r\nSC654321,Good,31/02/2024\r\n", filename="ofsted.csv")
    def upload(data, filename):
        before = _home_state(app)
        token = csrf_from(client.get("/dps/ofsted-imports/new").get_data(as_text=True))
        response = client.post("/dps/ofsted-imports/new", data={"csrf_token": token,
                                                                "file": (io.BytesIO(data), filename)})
        body = response.get_data(as_text=True)
        assert response.status_code < 500 and SCRIPT not in body, (data[:200], filename)
        if response.status_code != 302:
            assert response.status_code == 400, (data[:200], filename)
            assert "govuk-error-summary" in body or "characters that are not allowed" in body
            assert _home_state(app) == before
            return
        page = client.get(response.location)
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and SCRIPT not in body, (data[:200], filename)
        with app.app_context():
            imp = db.session.get(OfstedImport, int(response.location.rstrip("/").rsplit("/", 1)[1]))
            status, error = imp.status, imp.error
        assert status in ("completed", "failed"), (status, error, data[:200])
        if status == "failed":  # refused as a whole: a sentence for the user, and nothing changed
            assert error and error in body.replace("&#34;", '"').replace("&#39;", "'").replace("&quot;", '"')
            assert _home_state(app) == before

    upload()
