"""Placements: made from an award, the move-in, re-run, spot purchase and cancelling (DESIGN.md, Placement)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage
from portal.geography import distance_miles
from tendering.models import Award, Placement, Referral, ReferralNeed
from tests import factories
from tests.conftest import submit
from tests.test_award import _award, _client, _reveal, _scenario


def _awarded(app, proposal_key="A", reason="", **kwargs):
    s = _scenario(app, **kwargs)
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    assert _award(officer, s["referral"], s[proposal_key], reason).status_code == 302
    return s, officer


def test_placement_records_distance_inside_council_and_services(app):
    s, officer = _awarded(app, "B", "Nearer school")
    with app.app_context():
        placement = db.session.scalar(select(Placement))
        # B's home is in SE6; the child's home district is SE6 (preferred SE13 is only the fallback).
        assert float(placement.distance_miles) == 0.0 and placement.inside_council is True
        assert placement.weekly_core_fee_pence == 350_000 and placement.weekly_cost_pence == 360_000
        assert placement.additional_services == [{"description": "Therapy", "unit": "session",
                                                  "unit_price_pence": 5_000, "quantity_per_week": 2.0, "weeks": 10,
                                                  "per_week_pence": 10_000}]
        assert placement.spot_purchase is False and placement.code.startswith("PL-")
    html = officer.get(f"/referrals/{s['referral']}/results").get_data(as_text=True)
    for text in ("PL-", "Birch Homes Ltd", "Birch Lodge", "£3,600.00", "0.0 miles", "Nearer school"):
        assert text in html


def test_distance_falls_back_to_preferred_district_and_outside_council(app):
    s, _ = _awarded(app, "A", home_district=None, preferred_district="SE6")
    with app.app_context():
        placement = db.session.scalar(select(Placement))
        assert float(placement.distance_miles) == round(distance_miles("SE6", "SE13"), 1)
        assert placement.inside_council is True  # SE13 is in the council's area


def test_inside_council_unknown_without_an_area(app):
    with app.app_context():
        s = factories.evaluated_referral()
        s["council"].area_districts = []
        from tendering import award as awards
        awards.reveal_prices(s["referral"], s["officer"])
        awards.award(s["referral"], s["A"].id, None, s["officer"])
        db.commit()
        assert db.session.scalar(select(Placement)).inside_council is None


def test_moved_in_places_the_referral(app):
    s, officer = _awarded(app)
    page = f"/referrals/{s['referral']}/results"
    response = submit(officer, f"/referrals/{s['referral']}/moved-in",
                      {"start_date": ["31", "2", "2027"]}, page=page)
    assert response.status_code == 400 and "real date" in response.get_data(as_text=True)
    response = submit(officer, f"/referrals/{s['referral']}/moved-in",
                      {"start_date": ["3", "3", "2027"]}, page=page)
    assert response.status_code == 302
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        placement = db.session.scalar(select(Placement))
        assert ref.status == "placed" and ref.placed_at is not None
        assert placement.moved_in_at is not None and placement.start_date == date(2027, 3, 3)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "placement.moved_in")) == 1


def _no_suitable(app):
    s = _scenario(app)
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        ref.status, ref.ended_at = "no_suitable_proposal", ref.quality_locked_at
        db.commit()
    return s, _client(app, s["officer_email"])


def test_rerun_copies_as_a_new_draft(app):
    s, officer = _no_suitable(app)
    html = officer.get(f"/referrals/{s['referral']}/results").get_data(as_text=True)
    assert "Re-run with wider criteria" in html and "Record a spot purchase" in html
    response = submit(officer, f"/referrals/{s['referral']}/rerun", {}, page=f"/referrals/{s['referral']}/results")
    assert response.status_code == 302
    with app.app_context():
        old = db.session.get(Referral, s["referral"])
        new = db.session.scalar(select(Referral).where(Referral.rerun_of_id == old.id))
        assert response.headers["Location"].endswith(f"/referrals/{new.id}")
        assert new.status == "draft" and new.response_deadline is None and new.published_at is None
        assert (new.council_id, new.lot_id, new.age, new.what_matters, new.case_reference, new.home_district) == (
            old.council_id, old.lot_id, old.age, old.what_matters, old.case_reference, old.home_district)
        assert [(n.need_code, n.severity, n.essential) for n in db.session.scalars(
            select(ReferralNeed).where(ReferralNeed.referral_id == new.id))] == [("autism", "high", True)]
        actions = {(e.action, e.object_id) for e in db.session.scalars(select(AuditEvent))}
        assert ("referral.rerun", str(old.id)) in actions and ("referral.created", str(new.id)) in actions
    # Only once.
    submit(officer, f"/referrals/{s['referral']}/rerun", {}, page=f"/referrals/{s['referral']}/results")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Referral).where(
            Referral.rerun_of_id == s["referral"])) == 1


def test_spot_purchase_needs_a_rationale_and_is_flagged(app):
    s, officer = _no_suitable(app)
    with app.app_context():
        provider = factories.organisation("provider", name="Spot Homes Ltd")
        home = factories.setting(provider, name="Spot House", district="SE13")
        db.commit()
        home_id = home.id
    url, page = f"/referrals/{s['referral']}/spot-purchase", f"/referrals/{s['referral']}/results"
    data = {"setting": str(home_id), "weekly_cost": "5,250.50", "start_date": ["1", "6", "2027"],
            "rationale": ""}
    response = submit(officer, url, data, page=page)
    assert response.status_code == 400 and "Enter the rationale for the spot purchase" in response.get_data(
        as_text=True)
    response = submit(officer, url, {**data, "rationale": "x", "weekly_cost": "0"}, page=page)
    assert response.status_code == 400 and "more than £0" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0
    response = submit(officer, url, {**data, "rationale": "Only home with a bed tonight"}, page=page)
    assert response.status_code == 302
    with app.app_context():
        obj = db.session.scalar(select(Award))
        placement = db.session.scalar(select(Placement))
        assert (obj.kind, obj.reason, obj.weekly_cost_pence, obj.proposal_id) == (
            "spot_purchase", "Only home with a bed tonight", 525_050, None)
        assert placement.spot_purchase is True and placement.start_date == date(2027, 6, 1)
        assert db.session.get(Referral, s["referral"]).status == "placed"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.spot_purchase")) == 1
    html = officer.get(page).get_data(as_text=True)
    assert "Spot purchase" in html and "Only home with a bed tonight" in html and "Spot House" in html
    assert "Spot purchase" in officer.get("/referrals").get_data(as_text=True)


def test_cancel_notifies_every_invited_provider(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("placements_officer", org=council)
        ref = factories.referral(council, status="published")
        emails = []
        for n in range(2):
            provider = factories.organisation("provider")
            factories.invite(ref, provider, factories.setting(provider))
            emails.append(factories.user("provider_staff", org=provider).email)
        db.commit()
        ref_id, officer_email = ref.id, officer.email
    client = _client(app, officer_email)
    assert "Cancel this referral" in client.get(f"/referrals/{ref_id}").get_data(as_text=True)
    response = submit(client, f"/referrals/{ref_id}/cancel", {"reason": ""})
    assert response.status_code == 400 and "Enter why you are cancelling" in response.get_data(as_text=True)
    response = submit(client, f"/referrals/{ref_id}/cancel", {"reason": "The child is staying with family"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Referral, ref_id).status == "cancelled"
        sent = {(m.to_address, m.kind): m for m in db.session.scalars(select(EmailMessage))}
        assert set(sent) == {(e, "referral_cancelled") for e in emails}
        assert all("staying with family" not in m.body_text for m in sent.values())
    # Not twice, and not from other statuses.
    assert client.get(f"/referrals/{ref_id}/cancel").status_code == 302


def test_hostile_input_gets_an_error_and_writes_nothing(app):
    s, officer = _no_suitable(app)
    url, page = f"/referrals/{s['referral']}/spot-purchase", f"/referrals/{s['referral']}/results"
    good = {"setting": "", "weekly_cost": "100", "start_date": ["1", "6", "2027"], "rationale": "Reason"}
    for bad in [{"setting": "abc"}, {"setting": "999999"}, {"setting": "<script>"}, {"weekly_cost": "-5"},
                {"weekly_cost": "£abc"}, {"weekly_cost": "9" * 30}, {"weekly_cost": "99999999"},
                {"start_date": ["x", "y", "z"]}, {"rationale": "R" * 5000}, {"rationale": "   "}]:
        response = submit(officer, url, {**good, **bad}, page=page)
        assert response.status_code == 400, bad
        assert "There is a problem" in response.get_data(as_text=True), bad
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0
        assert db.session.get(Referral, s["referral"]).status == "no_suitable_proposal"


def test_hostile_award_input_gets_an_error_and_writes_nothing(app):
    s = _scenario(app)
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    page = f"/referrals/{s['referral']}/results"
    for data in [{"proposal": "abc"}, {"proposal": "-1"}, {"proposal": str(s["C"])}, {},
                 {"proposal": str(s["B"]), "reason": "R" * 5000}, {"proposal": "\x00"}]:
        response = submit(officer, f"/referrals/{s['referral']}/award", data, page=page)
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert "There is a problem" in html or "characters that are not allowed" in html, data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0


def test_the_end_of_a_placement_is_recorded_once_with_whether_it_was_planned(app):
    from portal.documents import london_today

    s, officer = _awarded(app)
    page = f"/referrals/{s['referral']}/results"
    ended = f"/referrals/{s['referral']}/ended"
    today = london_today()
    day = [str(today.day), str(today.month), str(today.year)]
    # Before the child has moved in there is nothing to end.
    assert "When the child leaves the home" not in officer.get(page).get_data(as_text=True)
    response = submit(officer, ended, {"end_date": day, "planned": "yes"}, page=page)
    assert response.status_code == 400 and "moved into" in response.get_data(as_text=True)
    start = today - timedelta(days=10)
    assert submit(officer, f"/referrals/{s['referral']}/moved-in",
                  {"start_date": [str(start.day), str(start.month), str(start.year)]}, page=page).status_code == 302

    html = officer.get(page).get_data(as_text=True)
    assert "When the child leaves the home" in html and "Was the ending planned?" in html
    for data, message in (({}, "Enter the date the placement ended"),
                          ({"end_date": day}, "Select whether the ending was planned"),
                          ({"end_date": ["31", "2", "2027"], "planned": "no"}, "must be a real date"),
                          ({"end_date": [str(v) for v in (start - timedelta(days=1)).timetuple()[2::-1]],
                            "planned": "no"}, "on or after the start date"),
                          ({"end_date": [str(v) for v in (today + timedelta(days=1)).timetuple()[2::-1]],
                            "planned": "no"}, "today or in the past")):
        response = submit(officer, ended, data, page=page)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and message in body and "govuk-error-summary" in body, data
    with app.app_context():
        assert db.session.scalar(select(Placement)).end_date is None  # nothing half-written

    end = today
    response = submit(officer, ended, {"end_date": [str(end.day), str(end.month), str(end.year)], "planned": "no"},
                      page=page)
    assert response.status_code == 302
    html = officer.get(page).get_data(as_text=True)
    assert f"{end.day} {end:%B %Y} (unplanned)" in html and "When the child leaves the home" not in html
    with app.app_context():
        placement = db.session.scalar(select(Placement))
        assert placement.end_date == end and placement.ended_planned is False
        assert db.session.get(Referral, s["referral"]).status == "placed"
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "placement.ended")).all()
        assert len(events) == 1 and events[0].after["ended_planned"] is False
    again = submit(officer, ended, {"end_date": [str(end.day), str(end.month), str(end.year)], "planned": "yes"},
                   page=page)
    assert again.status_code == 400 and "already been recorded" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Placement)).ended_planned is False
