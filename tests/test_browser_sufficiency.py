"""In a real browser: a DPS manager opens the sufficiency dashboard, narrows it to one council and lot, and
downloads a table as CSV. Charts carry text alternatives; axe-core reports no violations on any page."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core import db
from tests import factories
from tests.browser import assert_accessible, sign_in_browser
from tests.test_sufficiency import placed

pytestmark = pytest.mark.browser


def test_dps_manager_filters_the_dashboard_and_downloads_a_csv(app, live, page):
    with app.app_context():
        lewisham = factories.organisation("council", name="Lewisham Council")
        greenwich = factories.organisation("council", name="Greenwich Council")
        dps = factories.dps(lewisham, greenwich, name="South East London DPS")
        provider = factories.organisation("provider", name="Oakfield Care")
        factories.admitted(provider, dps, "residential", "fostering")
        home = factories.setting(provider, name="Acacia House", district="SE6")
        factories.vacancy(home, places_free=2)
        carers = factories.setting(provider, name="Oak Carers", kind="independent_fostering", district="BR1")
        for cost in (3_200, 3_200, 17_993):
            placed(lewisham, dps, home, cost, kind="spot_purchase", inside=True, miles=4)
        placed(lewisham, dps, carers, 900, lot_kind="fostering", kind="spot_purchase", inside=False, miles=30)
        placed(greenwich, dps, home, 5_000, kind="spot_purchase", inside=False, miles=12)
        factories.user("dps_manager", org=lewisham, email="dana@lewisham.example", name="Dana Manager")
        db.commit()
        lewisham_id = lewisham.id

    sign_in_browser(page, live.url, "dana@lewisham.example", factories.PASSWORD)
    page.get_by_role("link", name="Sufficiency").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sufficiency and cost")
    expect(page.get_by_role("img", name="Weekly cost by kind of home")).to_be_visible()
    expect(page.get_by_role("cell", name="£5,000.00").first).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Council", exact=True).select_option(label="Lewisham Council")
    page.get_by_label("Lot", exact=True).select_option(label="Residential children's homes")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("Council", exact=True)).to_have_value(str(lewisham_id))
    expect(page.get_by_role("cell", name="£5,000.00")).to_have_count(0)
    expect(page.get_by_text("LCS-123456")).to_have_count(0)
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV of weekly cost by kind of home").click()
    download = info.value
    assert download.suggested_filename.startswith("sufficiency-cost_kind-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows == [["Kind of home", "Number", "Mode (GBP a week)", "Mean (GBP a week)"],
                    ["Children's home", "3", "3200.00", "8131.00"]]

    page.fill("#date_from", "2026-05-01")
    page.fill("#date_to", "2026-04-01")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("To must be the same as or after From")
    assert_accessible(page)
