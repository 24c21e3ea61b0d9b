"""In a real browser: a DPS manager downloads the provider list as CSV; with a small EXPORT_SYNC_LIMIT the
same table is prepared in the background, the progress page shows it ready, and the file downloads.
axe-core reports no violations on every page visited."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def test_manager_downloads_providers_directly_and_in_the_background(app, live, page):
    with app.app_context():
        d = factories.dps()
        manager = factories.user("dps_manager", org=d.councils[0])
        for i in range(4):
            factories.admitted(factories.organisation("provider", f"Provider {i:02d}"), d)
        db.commit()
        email = manager.email

    sign_in_browser(page, live.url, email, factories.PASSWORD)
    page.goto(f"{live.url}/dps/providers")
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV of the providers").click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [r[0] for r in rows] == ["Provider"] + [f"Provider {i:02d}" for i in range(4)]

    app.config["EXPORT_SYNC_LIMIT"] = 3
    page.goto(f"{live.url}/dps/providers")
    assert_accessible(page)
    page.get_by_role("button", name="Prepare XLSX of the providers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your download")
    expect(page.get_by_text("Ready", exact=True)).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the XLSX file").click()
    assert info.value.suggested_filename.endswith(".xlsx")
