"""In a real browser: a placements officer opens Exports, downloads the OCDS package and the finance CSV.
axe-core reports no violations."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core import db
from tendering import award as awards
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_officer_downloads_ocds_and_finance_csv(app, live, page):
    with app.app_context():
        s = factories.evaluated_referral()
        awards.reveal_prices(s["referral"], s["officer"])
        awards.award(s["referral"], s["A"].id, None, s["officer"])
        db.commit()
        email, ref_id = s["officer"].email, s["referral"].id

    sign_in_browser(page, live.url, email, factories.PASSWORD)
    page.get_by_role("link", name="Exports").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download OCDS (JSON)").click()
    package = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert [r["ocid"] for r in package["releases"]] == [f"ocds-hfdemo-{ref_id}"]
    assert "LCS-123456" not in json.dumps(package)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download finance CSV").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "placement_code" and rows[1][8] == "4000.00" and len(rows) == 2
    assert_accessible(page)
