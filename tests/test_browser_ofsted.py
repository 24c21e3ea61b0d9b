"""In a real browser: a DPS manager uploads Ofsted's CSV and reads the report; every page passes axe."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser
from tests.factories_ofsted import make_ofsted_csv, ofsted_row

pytestmark = pytest.mark.browser


def test_dps_manager_uploads_an_ofsted_csv_and_sees_the_report(app, live, page):
    with app.app_context():
        factories.user("dps_manager", email="sarah@lewisham.example", name="Sarah Collins")
        provider = factories.organisation("provider", "Brightpath Care")
        factories.user("provider_admin", org=provider)
        factories.setting(provider, name="Oak House", urn="SC100001", overall_effectiveness="Good",
                          inspection_date=date(2024, 5, 1))
        factories.setting(provider, name="Elm Lodge", urn="SC100002", registered_places=3)
        db.commit()
    data = make_ofsted_csv([
        ofsted_row(1, urn="SC100001", overall_effectiveness="Inadequate", inspection_date=date(2026, 3, 3), places=4),
        ofsted_row(2, urn="SC100002", places=4, inspection_date="not a date"),
        ofsted_row(3, urn="SC999999", name="Nowhere House"),
        ofsted_row(4, urn="SC100001"),
    ], bom=True)

    sign_in_browser(page, live.url, "sarah@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Ofsted imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ofsted imports")
    assert_accessible(page)

    page.get_by_role("link", name="Upload a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload Ofsted data")
    assert_accessible(page)
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV file")
    assert_accessible(page)

    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "ofsted-march.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and import").click()
    expect(page).to_have_url(re.compile(r"/dps/ofsted-imports/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("ofsted-march.csv")
    expect(page.locator(".govuk-summary-list .govuk-tag")).to_have_text("Completed")
    expect(page.get_by_text("2 changes applied, 1 unknown URN, 2 rejected rows")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Oak House (SC100001): Rated Inadequate by Ofsted on "
                                                        "3 March 2026")).to_be_visible()
    changes = page.get_by_role("table", name="Changes applied")
    expect(changes.get_by_role("row").nth(1)).to_contain_text("Overall effectiveness")
    expect(page.get_by_role("table", name="Unknown URNs")).to_contain_text("Nowhere House")
    expect(page.get_by_role("table", name="Rejected rows")).to_contain_text('"not a date" is not a date')
    expect(page.get_by_role("table", name="Duplicate URNs in the file")).to_contain_text("SC100001")
    assert_accessible(page)

    page.get_by_role("link", name="Back to Ofsted imports").click()
    expect(page.get_by_role("link", name="ofsted-march.csv")).to_be_visible()
    assert_accessible(page)
