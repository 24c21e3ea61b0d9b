"""In a real browser: a provider admin uploads an insurance certificate with its cover and expiry,
sees it listed, downloads it, is refused a renamed executable, and removes a document; every page
visited passes axe-core with no violations."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser

pytestmark = pytest.mark.browser


def _file(name: str, data: bytes, mime: str = "application/pdf") -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_provider_admin_uploads_downloads_and_removes_documents(app, live, page):
    with app.app_context():
        factories.user("provider_admin", email="priya@oakfield.example", name="Priya Shah")
        db.commit()
    expires = date.today() + timedelta(days=20)

    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.get_by_role("link", name="Documents").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Documents")
    expect(page.locator("tbody .govuk-tag--red")).to_have_count(3)  # every required insurance is missing
    assert_accessible(page)

    page.get_by_role("link", name="Upload a document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a document")
    assert_accessible(page)
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the kind of document")
    assert_accessible(page)

    # A Windows program renamed to .pdf is refused, whatever the browser says it is.
    page.get_by_label("Public liability insurance").check()
    page.get_by_label("Cover amount").fill("5,000,000")
    page.locator("#expires_on-day").fill(str(expires.day))
    page.locator("#expires_on-month").fill(str(expires.month))
    page.locator("#expires_on-year").fill(str(expires.year))
    page.get_by_label("Upload a file").set_input_files(_file("certificate.pdf", factories.EXE_BYTES))
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The selected file is a program, not a document")
    assert_accessible(page)

    page.get_by_label("Public liability insurance").check()
    page.get_by_label("Upload a file").set_input_files(_file("PL certificate.pdf", factories.PDF_BYTES))
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Public liability insurance uploaded")
    expect(page.locator(".govuk-summary-list")).to_contain_text("£5,000,000.00")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Expires in 20 days")
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PL certificate.pdf").click()
    download = info.value
    assert download.suggested_filename == "PL certificate.pdf"
    assert Path(download.path()).read_bytes() == factories.PDF_BYTES
    response = page.request.get(live.url + page.get_by_role("link", name="Download PL certificate.pdf")
                                .get_attribute("href"))
    assert response.status == 200 and response.body() == factories.PDF_BYTES
    assert response.headers["content-type"] == "application/pdf"

    page.get_by_role("link", name="Back to documents").click()
    row = page.locator("tbody tr", has_text="PL certificate.pdf")
    expect(row).to_contain_text("£5,000,000.00")
    expect(row.locator(".govuk-tag--orange")).to_have_text("Expires in 20 days")
    expect(page.locator("tbody .govuk-tag--red")).to_have_count(2)
    assert_accessible(page)

    # A Word policy, then removing it.
    page.get_by_role("link", name="Upload a document").click()
    page.get_by_label("Safeguarding policy").check()
    page.get_by_label("Upload a file").set_input_files(
        _file("Safeguarding.docx", factories.docx_bytes(), "application/octet-stream"))
    page.get_by_role("button", name="Upload document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Safeguarding policy uploaded")
    page.get_by_role("link", name="Remove this document").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to remove Safeguarding.docx?")
    assert_accessible(page)
    page.get_by_role("button", name="Remove document").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been removed")
    expect(page.locator("table").first).not_to_contain_text("Safeguarding.docx")
    assert_accessible(page)
