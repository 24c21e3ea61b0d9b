"""The ranked matrix downloads (CSV and PDF) for the panel record."""
from __future__ import annotations

import csv
import io
import re
import zlib

from tests.test_award import _client, _reveal, _scenario


def _pdf_text(data: bytes) -> str:
    """The text drawn in a PDF's content streams (fpdf2 compresses them with zlib)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


def test_csv_has_a_header_numbers_and_iso_dates_and_no_unsuitable_price(app):
    s = _scenario(app)
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    response = officer.get(f"/referrals/{s['referral']}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Proposal", "Provider", "Home"] and "Rank" in rows[0] and "Quality %" in rows[0]
    header = rows[0]
    by_provider = {row[1]: dict(zip(header, row)) for row in rows[1:]}
    a, b, c = by_provider["Acorn Care Ltd"], by_provider["Birch Homes Ltd"], by_provider["Cedar Living Ltd"]
    assert (a["Weekly cost (GBP)"], a["Price score"], a["Final score"], a["Rank"]) == ("4000.0", "90.0", "83.0", "1")
    assert (b["Weekly cost (GBP)"], b["Rank"]) == ("3600.0", "2")
    assert (c["Suitable"], c["Weekly cost (GBP)"], c["Price score"], c["Final score"], c["Rank"]) == (
        "no", "", "", "", "")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["Submitted on"])
    assert float(a["Quality %"]) == 80.0 and a["Be healthy"] == "4"
    assert "1234.56" not in text and "1,234.56" not in text and "123456" not in text


def test_pdf_is_latin1_and_omits_the_unsuitable_price(app):
    s = _scenario(app)
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    response = officer.get(f"/referrals/{s['referral']}/results.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "Acorn Care Ltd" in text and "4,000.00" in text and "Cedar Living Ltd" in text
    assert "1,234.56" not in text and "1234.56" not in text


def test_downloads_refused_before_the_reveal(app):
    s = _scenario(app)
    officer = _client(app, s["officer_email"])
    assert officer.get(f"/referrals/{s['referral']}/results.csv").status_code == 404
    assert officer.get(f"/referrals/{s['referral']}/results.pdf").status_code == 404


def test_latin1_replaces_typographic_characters():
    from tendering.exports import latin1

    assert latin1("Provider – “Home” … ✓") == 'Provider - "Home" ... ?'
