"""Key pages run a fixed number of SQL statements, however many rows they list (no N+1), and the lists that
grow without bound are paginated 50 to a page (issue #8; bench/run.py measures them at national scale)."""
from __future__ import annotations

from datetime import timedelta

from portal.core import db
from portal.core.db import utcnow
from tendering.models import Award
from tests import factories
from tests.conftest import sign_in
from tests.query_counter import request_count

# Caps: what each page needs today plus a little room; a statement per listed row would break them.
# Measured 2026-11-22: inbox 5, referral list 7, matrix 13, dashboard 24, settings 4.
CAPS = {"provider inbox": 8, "referral list": 10, "evaluation matrix": 18, "dashboard": 32, "settings list": 6}


def _client(app, user):
    client = app.test_client()
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 302
    return client


def _warm_count(app, client, path):
    client.get(path)  # first request: lazy closing, summary refresh, caches
    return request_count(app, client, path)


def _invitations(dps_obj, council, provider, n, start=0):
    now = utcnow()
    for i in range(n):
        ref = factories.referral(council, dps_obj=dps_obj, status="published",
                                 lot_kind=("residential", "fostering")[i % 2],
                                 published_at=now - timedelta(minutes=start + i))
        factories.invite(ref, provider)


def test_the_lists_show_50_a_page():
    from tendering import invitation_views, views

    assert invitation_views.PAGE_SIZE == views.PAGE_SIZE == 50


def test_provider_inbox_statements_do_not_grow_and_it_is_paginated(app, monkeypatch):
    from tendering import invitation_views

    monkeypatch.setattr(invitation_views, "PAGE_SIZE", 5)  # pages of 5: fewer rows to build than pages of 50
    with app.app_context():
        council = factories.organisation("council")
        dps_obj = factories.dps(council)
        provider = factories.organisation("provider")
        user = factories.user("provider_admin", org=provider)
        _invitations(dps_obj, council, provider, 3)
        db.commit()
    client = _client(app, user)
    few = _warm_count(app, client, "/invitations")
    with app.app_context():
        council, provider = db.session.merge(council), db.session.merge(provider)
        _invitations(db.session.merge(dps_obj), council, provider, 5, start=100)
        db.commit()
    many = _warm_count(app, client, "/invitations")
    assert len(many) == len(few) <= CAPS["provider inbox"], many.report()

    html = client.get("/invitations").get_data(as_text=True)
    assert html.count('class="govuk-table__row"') == 1 + 5  # the header row and one page
    assert 'class="govuk-pagination"' in html and "page=2" in html
    second = client.get("/invitations?page=2").get_data(as_text=True)
    assert second.count('class="govuk-table__row"') == 1 + 3 and "page=1" in second
    assert client.get("/invitations?format=csv").get_data(as_text=True).strip().count("\n") == 8


def test_referral_list_statements_do_not_grow_and_it_is_paginated_keeping_the_filter(app, monkeypatch):
    from tendering import views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    with app.app_context():
        council = factories.organisation("council")
        dps_obj = factories.dps(council)
        officer = factories.user("placements_officer", org=council)
        factories.placement(council, dps_obj=dps_obj)  # placed: a spot purchase
        db.commit()
    client = _client(app, officer)
    few = _warm_count(app, client, "/referrals")
    with app.app_context():
        council, dps_obj = db.session.merge(council), db.session.merge(dps_obj)
        for _ in range(2):  # past the deadline: the page closes them on the first visit
            factories.referral(council, dps_obj=dps_obj, status="published",
                               response_deadline=utcnow() - timedelta(hours=1))
        for _ in range(3):
            factories.referral(council, dps_obj=dps_obj, status="published")
        for _ in range(5):  # newest: the first page is all placed referrals
            factories.placement(council, dps_obj=dps_obj)
        db.commit()
    many = _warm_count(app, client, "/referrals")
    assert len(many) == len(few) <= CAPS["referral list"], many.report()

    html = client.get("/referrals").get_data(as_text=True)
    assert html.count('class="govuk-table__row"') == 1 + 5 and "Spot purchase" in html
    assert 'class="govuk-pagination"' in html
    second = client.get("/referrals?page=2").get_data(as_text=True)
    assert second.count('class="govuk-table__row"') == 1 + 5
    assert client.get("/referrals?page=3").get_data(as_text=True).count('class="govuk-table__row"') == 1 + 1
    placed = client.get("/referrals?status=placed").get_data(as_text=True)
    assert placed.count('class="govuk-table__row"') == 1 + 5 and "Spot purchase" in placed
    assert "page=2&amp;status=placed" in placed or "status=placed&amp;page=2" in placed
    published = client.get("/referrals?status=published").get_data(as_text=True)
    assert published.count('class="govuk-table__row"') == 1 + 3  # the two overdue ones were closed
    rows = client.get("/referrals?format=csv").get_data(as_text=True).strip().splitlines()
    assert len(rows) == 1 + 11  # the download has every referral, not one page


def test_evaluation_matrix_statements_do_not_grow_with_proposals(app):
    with app.app_context():
        s = factories.evaluated_referral()
        db.commit()
        officer, ref_id = s["officer"], s["referral"].id
    client = _client(app, officer)
    few = _warm_count(app, client, f"/referrals/{ref_id}/results")
    with app.app_context():
        from tendering.models import Referral

        ref = db.session.get(Referral, ref_id)
        for _ in range(6):
            prop = factories.proposal(ref, blind_position=None)
            prop.quality_percent, prop.suitable = 70, True
        db.commit()
    many = _warm_count(app, client, f"/referrals/{ref_id}/results")
    assert len(many) == len(few) <= CAPS["evaluation matrix"], many.report()


def test_dashboard_statements_do_not_grow_with_referrals(app):
    with app.app_context():
        council = factories.organisation("council")
        dps_obj = factories.dps(council)
        manager = factories.user("dps_manager", org=council)
        factories.placement(council, dps_obj=dps_obj)
        db.commit()
    client = _client(app, manager)
    few = _warm_count(app, client, "/sufficiency")
    with app.app_context():
        council, dps_obj = db.session.merge(council), db.session.merge(dps_obj)
        for _ in range(8):
            factories.placement(council, dps_obj=dps_obj)
        for _ in range(4):
            ref = factories.referral(council, dps_obj=dps_obj, status="closed")
            factories.proposal(ref)
        db.commit()
    many = _warm_count(app, client, "/sufficiency")
    assert len(many) == len(few) <= CAPS["dashboard"], many.report()


def test_settings_list_statements_do_not_grow_with_homes(app):
    with app.app_context():
        provider = factories.organisation("provider")
        user = factories.user("provider_admin", org=provider)
        factories.vacancy(factories.setting(provider))
        db.commit()
    client = _client(app, user)
    few = _warm_count(app, client, "/settings")
    with app.app_context():
        provider = db.session.merge(provider)
        for _ in range(20):
            factories.vacancy(factories.setting(provider))
        db.commit()
    many = _warm_count(app, client, "/settings")
    assert len(many) == len(few) <= CAPS["settings list"], many.report()


def test_spot_purchase_ids_matches_is_spot_purchase(app):
    from tendering.placements import is_spot_purchase, spot_purchase_ids

    with app.app_context():
        spot = factories.placement()
        rescinded = factories.placement()
        db.session.get(Award, rescinded.award_id).status = "rescinded"
        draft = factories.referral()
        db.session.flush()
        refs = [spot.referral, rescinded.referral, draft]
        assert spot_purchase_ids([r.id for r in refs]) == {r.id for r in refs if is_spot_purchase(r)} \
            == {spot.referral_id}
        db.session.rollback()
