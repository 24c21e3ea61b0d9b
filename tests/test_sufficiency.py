"""The sufficiency figures from small hand-made scenarios with known answers, and the dashboard's scope:
a council sees only its own referrals and placements; a DPS manager also the consortium of their DPS."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.core import db
from portal.core.db import utcnow
from tendering import sufficiency as s
from tendering import sufficiency_cost as c
from tendering.competition_summary import refresh_stale
from tendering.models import Award, Placement
from tests import factories
from tests.conftest import sign_in


def _filters(*councils, dps_ids=(), **fields) -> s.Filters:
    """Filters for these councils, after bringing their summary rows up to date as the dashboard does."""
    refresh_stale([c.id for c in councils])
    return s.Filters(council_ids=tuple(x.id for x in councils), dps_ids=tuple(d.id for d in dps_ids), **fields)


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def placed(council, dps_obj, home, cost_pounds, *, lot_kind="residential", kind="competition", inside=None,
           miles=None, ended_planned=None, start=None, awarded_at=None, reason=None, **referral_fields):
    """A placed referral with an active award and its placement (created directly, bypassing the lifecycle)."""
    ref = factories.referral(council, dps_obj=dps_obj, lot_kind=lot_kind, status="placed",
                             awarded_at=awarded_at or utcnow(), **referral_fields)
    award = Award(referral_id=ref.id, kind=kind, provider_id=home.provider_id, setting_id=home.id,
                  weekly_cost_pence=cost_pounds * 100, awarded_at=awarded_at or utcnow(),
                  reason=reason or ("Nothing suitable: spot purchase" if kind == "spot_purchase" else None),
                  proposal_id=None if kind == "spot_purchase" else factories.proposal(ref, setting_obj=home,
                                                                                      provider=home.provider).id)
    db.session.add(award)
    db.session.flush()
    start = start or date.today() - timedelta(days=30)
    obj = Placement(award_id=award.id, referral_id=ref.id, council_id=council.id, provider_id=home.provider_id,
                    setting_id=home.id, case_reference=ref.case_reference, start_date=start,
                    weekly_core_fee_pence=cost_pounds * 100, weekly_cost_pence=cost_pounds * 100,
                    distance_miles=miles, inside_council=inside, spot_purchase=kind == "spot_purchase",
                    end_date=None if ended_planned is None else start + timedelta(days=10),
                    ended_planned=ended_planned)
    db.session.add(obj)
    db.session.flush()
    return obj


@pytest.fixture
def market(ctx):
    """Lewisham and Greenwich share one DPS; Barnet is in another."""
    lewisham = factories.organisation("council", name="Lewisham Council")
    greenwich = factories.organisation("council", name="Greenwich Council")
    barnet = factories.organisation("council", name="Barnet Council")
    shared = factories.dps(lewisham, greenwich, name="South East London DPS")
    other = factories.dps(barnet, name="North London DPS")
    provider = factories.organisation("provider", name="Oakfield Care")
    factories.admitted(provider, shared, "residential", "fostering")
    return dict(lewisham=lewisham, greenwich=greenwich, barnet=barnet, shared=shared, other=other, provider=provider)


# --- supply -------------------------------------------------------------------------------------------

def test_supply_counts_vacancies_by_lot_area_and_rating_with_the_stale_share(market):
    p = market["provider"]
    good = factories.setting(p, district="SE6", overall_effectiveness="Good")
    factories.vacancy(good, places_free=2)
    stale = factories.setting(p, district="SE13", overall_effectiveness="Outstanding")
    factories.vacancy(stale, places_free=1, confirmed_at=utcnow() - timedelta(days=8))
    fostering = factories.setting(p, kind="independent_fostering", district="BR1", overall_effectiveness=None)
    factories.vacancy(fostering, places_free=3)
    factories.setting(p, district="SE6", suspended=True, suspended_reason="Rated Inadequate")
    full = factories.setting(p, district="SE6")
    factories.vacancy(full, places_free=0)
    outsider = factories.organisation("provider")  # not admitted to the DPS: not its market
    factories.vacancy(factories.setting(outsider), places_free=5)

    f = _filters(market["lewisham"], dps_ids=(market["shared"],))
    table = s.supply(f)
    assert table.rows == [
        ["Independent fostering", "BR", "Not yet inspected", 1, 3, 0, 0.0],
        ["Residential children's homes", "SE", "Outstanding", 1, 1, 1, 100.0],
        ["Residential children's homes", "SE", "Good", 1, 2, 0, 0.0],
    ]
    assert s.suspended_settings(f) == 1
    assert s.supply(_filters(market["lewisham"], dps_ids=(market["shared"],), lot_kind="fostering")).rows == [
        ["Independent fostering", "BR", "Not yet inspected", 1, 3, 0, 0.0]]
    assert s.supply(_filters(market["barnet"], dps_ids=(market["other"],))).rows == []


# --- demand -------------------------------------------------------------------------------------------

def test_demand_by_month_age_band_and_need(market):
    lew, dps = market["lewisham"], market["shared"]
    for age, when, lot in ((3, _utc(2026, 1, 10), "residential"), (15, _utc(2026, 1, 20), "residential"),
                           (17, _utc(2026, 1, 25), "fostering"), (18, _utc(2026, 3, 5), "residential")):
        factories.referral(lew, dps_obj=dps, lot_kind=lot, status="published", age=age, published_at=when,
                           needs={"autism": ("high", True), "self_harm": ("low", False)} if age == 15 else None)
    factories.referral(lew, dps_obj=dps, status="draft", age=10)  # drafts are not demand
    factories.referral(market["greenwich"], dps_obj=dps, status="published", age=10, published_at=_utc(2026, 1, 3))

    f = _filters(lew)
    assert s.demand_by_month(f).rows == [["2026-01", "Independent fostering", 1],
                                         ["2026-01", "Residential children's homes", 2],
                                         ["2026-03", "Residential children's homes", 1]]
    chart = s.demand_by_month(f).chart
    assert (chart.labels, chart.values) == (["2026-01", "2026-02", "2026-03"], [3, 0, 1])
    assert s.demand_by_age(f).rows == [["0–4", 1], ["5–10", 0], ["11–15", 1], ["16–17", 1], ["18+", 1]]
    assert s.demand_by_need(f).rows == [["Autism", 4], ["Self-harm", 1]]
    january = _filters(lew, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31), lot_kind="residential")
    assert s.demand_by_age(january).rows == [["0–4", 1], ["5–10", 0], ["11–15", 1], ["16–17", 0], ["18+", 0]]


# --- competition --------------------------------------------------------------------------------------

def test_proposals_per_referral_declines_and_timing(market):
    lew, dps = market["lewisham"], market["shared"]
    for n, status in ((0, "no_suitable_proposal"), (1, "closed"), (6, "closed"), (12, "closed"), (3, "published")):
        ref = factories.referral(lew, dps_obj=dps, status=status)
        for _ in range(n):
            factories.proposal(ref)
    withdrawn = factories.referral(lew, dps_obj=dps, status="closed")
    factories.proposal(withdrawn, status="withdrawn")  # a withdrawn proposal does not count
    declined = factories.invite(withdrawn, factories.organisation("provider"))
    declined.declined_at, declined.decline_reason = utcnow(), "location"
    published = _utc(2026, 3, 1, 9)
    quick = factories.referral(lew, dps_obj=dps, status="placed", published_at=published,
                               awarded_at=published + timedelta(days=10))
    slow = factories.referral(lew, dps_obj=dps, status="awarded", published_at=published,
                              awarded_at=published + timedelta(days=20))
    home = factories.setting(market["provider"])
    for ref, start in ((quick, date(2026, 3, 25)), (slow, None)):
        award = Award(referral_id=ref.id, kind="spot_purchase", provider_id=home.provider_id, setting_id=home.id,
                      weekly_cost_pence=100_000, reason="x")
        db.session.add(award)
        db.session.flush()
        if start:
            db.session.add(Placement(award_id=award.id, referral_id=ref.id, council_id=lew.id,
                                     provider_id=home.provider_id, setting_id=home.id, start_date=start,
                                     weekly_core_fee_pence=100_000, weekly_cost_pence=100_000))
    db.session.flush()

    f = _filters(lew)
    table = s.proposals_per_referral(f)
    # closed or later: 0 (no suitable), 1, 6, 12, 0 (withdrawn only), 0 (placed), 0 (awarded)
    assert [r[:2] for r in table.rows] == [["0", 4], ["1", 1], ["2", 0], ["3", 0], ["4", 0], ["5–10", 1],
                                           ["11+", 1]]
    assert table.rows[5][2] == "yes" and table.chart.highlight == {"5–10"}
    assert s.declines(f).rows == [["No vacancy", 0], ["Cannot meet needs", 0], ["Location", 1], ["Other", 0]]
    summary = dict(s.competition_summary(f).rows)
    assert summary["Referrals closed or later"] == 7
    assert summary["Ended with no suitable proposal"] == 1
    assert summary["Share ending with no suitable proposal (%)"] == pytest.approx(14.3)
    assert summary["Median days from publishing to award"] == 15.0
    assert summary["Median days from award to placement start"] == 14  # 11 March to 25 March


# --- outcomes -----------------------------------------------------------------------------------------

def test_inside_borough_and_twenty_mile_shares_and_unplanned_endings(market):
    lew, dps = market["lewisham"], market["shared"]
    home = factories.setting(market["provider"])
    for inside, miles, ended in ((True, 5, None), (True, 25, True), (False, 20, False), (False, 30, None),
                                 (None, None, None)):
        placed(lew, dps, home, 3_000, inside=inside, miles=miles, ended_planned=ended, kind="spot_purchase")
    placed(market["greenwich"], dps, home, 3_000, inside=False, miles=50, kind="spot_purchase")

    rows = s.outcomes(_filters(lew)).rows
    assert rows == [["Inside the council's area", 2, 4, 50.0], ["Within 20 miles of the home district", 2, 4, 50.0],
                    ["Unplanned endings", 1, 2, 50.0]]
    consortium = s.outcomes(_filters(lew, market["greenwich"])).rows
    assert consortium[0] == ["Inside the council's area", 2, 5, 40.0]


# --- cost ---------------------------------------------------------------------------------------------

def test_mode_and_mean_by_kind_with_one_bespoke_outlier(market):
    lew, dps = market["lewisham"], market["shared"]
    home = factories.setting(market["provider"], name="Acacia House")
    carers = factories.setting(market["provider"], kind="independent_fostering", name="Oak Carers")
    for cost in (3_200, 3_200, 3_200, 4_000, 17_993):
        placed(lew, dps, home, cost, kind="spot_purchase")
    placed(lew, dps, carers, 900, lot_kind="fostering", kind="spot_purchase")
    placed(market["greenwich"], dps, home, 50_000, kind="spot_purchase")  # another council's

    table = c.cost_by_kind(_filters(lew))
    assert table.headers == ["Kind of home", "Number", "Mode (GBP a week)", "Mean (GBP a week)"]
    assert table.rows == [["Children's home", 5, Decimal("3200.00"), Decimal("6318.60")],
                          ["Independent fostering agency", 1, Decimal("900.00"), Decimal("900.00")]]


def test_ten_most_expensive_current_placements_with_the_gap_to_the_lot_median(market):
    lew, dps = market["lewisham"], market["shared"]
    home = factories.setting(market["provider"], name="Acacia House")
    made = [placed(lew, dps, home, cost, kind="spot_purchase") for cost in (3_000, 3_200, 3_400, 17_993)]
    placed(lew, dps, home, 20_000, kind="spot_purchase", ended_planned=True)  # ended: not current
    placed(lew, dps, home, 12, kind="spot_purchase", lot_kind="fostering")
    table = c.most_expensive(_filters(lew))
    assert [r[0] for r in table.rows] == [made[3].code, made[2].code, made[1].code, made[0].code,
                                         table.rows[4][0]]
    assert table.rows[0] == [made[3].code, "Oakfield Care", "Acacia House", "Residential children's homes",
                             Decimal("17993.00"), Decimal("3300.00"), Decimal("14693.00")]
    assert table.rows[3][6] == Decimal("-300.00")
    assert table.rows[4][3] == "Independent fostering" and table.rows[4][6] == Decimal("0.00")
    assert "LCS" not in repr(table.rows)


def _competition(council, dps_obj, awarded_cost, suitable_costs, awarded_at, unsuitable_cost=None):
    ref = factories.referral(council, dps_obj=dps_obj, status="awarded", awarded_at=awarded_at)
    proposals = []
    for cost in suitable_costs:
        p = factories.proposal(ref)
        p.suitable, p.weekly_cost_pence = True, cost * 100
        proposals.append(p)
    if unsuitable_cost:
        p = factories.proposal(ref)
        p.suitable, p.weekly_cost_pence = False, unsuitable_cost * 100
    winner = next(p for p in proposals if p.weekly_cost_pence == awarded_cost * 100)
    db.session.add(Award(referral_id=ref.id, proposal_id=winner.id, kind="competition", provider_id=winner.provider_id,
                         setting_id=winner.setting_id, weekly_cost_pence=awarded_cost * 100, awarded_at=awarded_at))
    db.session.flush()
    return ref


def test_savings_per_month_against_the_median_suitable_proposal_and_spot_purchases(market):
    lew, dps = market["lewisham"], market["shared"]
    _competition(lew, dps, 3_000, (3_000, 3_400, 4_000), _utc(2026, 1, 15), unsuitable_cost=1_000)  # +£400
    _competition(lew, dps, 3_600, (3_200, 3_600), _utc(2026, 2, 15))  # median £3,400: −£200 (a costlier choice)
    _competition(lew, dps, 3_000, (3_000, 3_200), _utc(2026, 2, 20))  # median £3,100: +£100
    home = factories.setting(market["provider"], name="Birch Lodge")
    placed(lew, dps, home, 6_000, kind="spot_purchase", reason="No suitable proposal after a re-run",
           awarded_at=_utc(2026, 3, 1))
    _competition(market["greenwich"], dps, 3_000, (9_000,) * 2 + (3_000,), _utc(2026, 1, 15))

    f = _filters(lew)
    table = c.savings(f)
    assert table.rows == [["2026-01", 1, Decimal("400.00")], ["2026-02", 2, Decimal("-100.00")]]
    assert "£300.00" in table.note
    assert c.awards_by_kind(f).rows == [["Competition", 3, 75.0], ["Spot purchase", 1, 25.0]]
    spot = c.spot_purchases(f).rows
    assert spot == [[date(2026, 3, 1), "Residential children's homes", "Oakfield Care", "Birch Lodge",
                     Decimal("6000.00"), "No suitable proposal after a re-run"]]


# --- market gaps --------------------------------------------------------------------------------------

def test_market_gaps_rank_needs_kind_and_area_with_fewer_than_three_suitable(market):
    lew, dps = market["lewisham"], market["shared"]

    def competition(n_suitable, district, status="price_evaluated", needs=None):
        ref = factories.referral(lew, dps_obj=dps, status=status, preferred_district=district, needs=needs)
        for i in range(n_suitable + 1):
            factories.proposal(ref).suitable = i < n_suitable
        return ref

    competition(0, "SE13", status="no_suitable_proposal")
    competition(2, "SE6")
    competition(3, "SE6")  # three suitable: not a gap
    competition(1, "BR1", needs={"self_harm": ("high", True)})
    factories.referral(lew, dps_obj=dps, status="closed", preferred_district="SE6")  # not evaluated yet
    db.session.flush()
    rows = c.market_gaps(_filters(lew)).rows
    assert rows == [["Autism", "Residential children's homes", "SE", 2, 1],
                    ["Self-harm", "Residential children's homes", "BR", 1, 0]]


# --- the dashboard: scope, downloads, bad input --------------------------------------------------------

def _client(app, role, org_name):
    with app.app_context():
        from sqlalchemy import select

        from portal.core.models import Organisation
        org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
        u = factories.user(*role, org=org)
        db.commit()
        email = u.email
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


@pytest.fixture
def two_councils(app):
    with app.app_context():
        lew = factories.organisation("council", name="Lewisham Council")
        gre = factories.organisation("council", name="Greenwich Council")
        bar = factories.organisation("council", name="Barnet Council")
        dps = factories.dps(lew, gre, name="South East London DPS")
        factories.dps(bar, name="North London DPS")
        home = factories.setting(factories.organisation("provider", name="Oakfield Care"), name="Acacia House")
        placed(lew, dps, home, 3_200, kind="spot_purchase")
        placed(gre, dps, home, 7_777, kind="spot_purchase")
        db.commit()
        ids = {"lewisham": lew.id, "greenwich": gre.id, "barnet": bar.id}
    return ids


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_a_council_user_sees_only_their_own_council(app, two_councils):
    client = _client(app, ("placements_officer",), "Lewisham Council")
    page = client.get("/sufficiency")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Sufficiency and cost" in html and "<svg" in html and "<desc" in html
    assert "£3,200.00" in html and "£7,777.00" not in html and "LCS-123456" not in html
    assert 'id="council"' not in html
    rows = _csv(client.get("/sufficiency?format=csv&panel=cost_kind"))
    assert rows == [["Kind of home", "Number", "Mode (GBP a week)", "Mean (GBP a week)"],
                    ["Children's home", "1", "3200.00", "3200.00"]]
    assert client.get(f"/sufficiency?council={two_councils['greenwich']}&format=csv&panel=cost_kind").status_code \
        == 404
    assert client.get(f"/sufficiency?council={two_councils['greenwich']}").status_code == 404
    assert client.get(f"/sufficiency?council={two_councils['lewisham']}").status_code == 200


def test_a_dps_manager_sees_the_consortium_and_may_choose_a_council(app, two_councils):
    client = _client(app, ("dps_manager",), "Lewisham Council")
    html = client.get("/sufficiency").get_data(as_text=True)
    assert 'id="council"' in html and "Greenwich Council" in html and "Barnet Council" not in html
    assert _csv(client.get("/sufficiency?format=csv&panel=cost_kind"))[1] == ["Children's home", "2", "3200.00",
                                                                              "5488.50"]
    only_greenwich = _csv(client.get(f"/sufficiency?council={two_councils['greenwich']}&format=csv&panel=cost_kind"))
    assert only_greenwich[1] == ["Children's home", "1", "7777.00", "7777.00"]
    assert client.get(f"/sufficiency?council={two_councils['barnet']}").status_code == 404
    assert client.get("/sufficiency?council=abc").status_code == 404


def test_other_roles_may_not_see_the_dashboard(app, two_councils):
    for role in ("panel_member", "qa_officer", "provider_admin"):
        client = _client(app, (role,), "Lewisham Council") if role != "provider_admin" else None
        if client is None:
            from tests.conftest import signed_in_client
            client = signed_in_client(app, role)
        assert client.get("/sufficiency").status_code == 403, role
        assert client.get("/sufficiency?format=csv&panel=cost_kind").status_code == 403, role


def test_bad_filters_and_downloads_show_an_error_summary(app, two_councils):
    client = _client(app, ("placements_officer",), "Lewisham Council")
    for query, message in (("date_from=2026-13-45", "From must be a real date"),
                           ("date_from=2026-05-01&date_to=2026-04-01", "To must be the same as or after From"),
                           ("lot=castle", "Select a lot from the list"),
                           ("format=pdf&panel=cost_kind", "Choose a table to download"),
                           ("format=csv&panel=nope", "Choose a table to download")):
        response = client.get(f"/sufficiency?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert "govuk-error-summary" in html and message in html and "<title>Error:" in html, query


def test_every_panel_downloads_as_csv_and_xlsx_without_identifying_a_child(app, two_councils):
    from openpyxl import load_workbook

    from tendering.sufficiency_views import PANELS

    client = _client(app, ("dps_manager", "placements_officer"), "Lewisham Council")
    for panel in PANELS:
        response = client.get(f"/sufficiency?format=csv&panel={panel}&lot=residential")
        rows = _csv(response)
        assert response.headers["Content-Disposition"].startswith(f'attachment; filename="sufficiency-{panel}-')
        assert "LCS-123456" not in response.get_data(as_text=True)
        xlsx = client.get(f"/sufficiency?format=xlsx&panel={panel}&lot=residential")
        assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
        sheet = load_workbook(io.BytesIO(xlsx.data)).active
        assert [str(c.value) for c in sheet[1]] == rows[0]
        assert sheet.max_row == len(rows) or (sheet.max_row == 1 and len(rows) == 1)


def test_long_tables_show_their_first_25_rows_and_download_every_row(app):
    with app.app_context():
        council = factories.organisation("council", name="Lewisham Council")
        dps = factories.dps(council)
        home = factories.setting(factories.organisation("provider", name="Oakfield Care"), name="Acacia House")
        for n in range(27):
            placed(council, dps, home, 3_000 + n, kind="spot_purchase", reason=f"Rationale {n}")
        db.commit()
    client = _client(app, ("placements_officer",), "Lewisham Council")
    page = client.get("/sufficiency").get_data(as_text=True)
    spot = page.split('id="panel-cost_spot"')[1].split("<h3")[0]
    assert spot.count('<tr class="govuk-table__row">') == 1 + 25  # the header row and 25 purchases
    assert "Showing the first 25 of 27 rows" in spot
    assert len(_csv(client.get("/sufficiency?format=csv&panel=cost_spot"))) == 1 + 27
