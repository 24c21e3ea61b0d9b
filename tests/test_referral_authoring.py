"""A placements officer writes a referral section by section (tendering/views.py, authoring.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent
from tendering.authoring import completion, to_london
from tendering.models import Referral, ReferralNeed
from tendering.services import provider_view
from tests import factories
from tests.conftest import sign_in, submit


def _officer(app):
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        dps = factories.dps(council, name="SE London DPS")
        officer = factories.user("placements_officer", org=council)
        db.commit()
        return officer.email, dps.id, [lot.id for lot in dps.lots]


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _d(moment) -> list[str]:
    return [str(moment.day), str(moment.month), str(moment.year)]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _new_draft(app, client, lot_id) -> int:
    response = submit(client, "/referrals/new", {"lot": str(lot_id)})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_officer_starts_a_draft_and_sees_it_listed(app):
    email, _dps, lots = _officer(app)
    client = _client(app, email)
    assert "Start a referral" in client.get("/referrals").get_data(as_text=True)
    assert submit(client, "/referrals/new", {}).status_code == 400
    referral_id = _new_draft(app, client, lots[0])
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert "You have completed 1 of 10 sections" in page  # only evaluation, which has defaults
    assert f"Referral {referral_id}" in client.get("/referrals?status=draft").get_data(as_text=True)
    assert f"Referral {referral_id}" not in client.get("/referrals?status=published").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Referral, referral_id).status == "draft"
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "referral",
                                                             AuditEvent.object_id == str(referral_id))) \
            == "referral.created"


def test_a_lot_of_another_dps_is_refused(app):
    email, _dps, _lots = _officer(app)
    with app.app_context():
        other_lot = factories.dps().lots[0].id
        db.commit()
    client = _client(app, email)
    assert submit(client, "/referrals/new", {"lot": str(other_lot)}).status_code == 400
    with app.app_context():
        assert _count(Referral) == 0


def test_sections_validate_and_save(app):
    email, _dps, lots = _officer(app)
    client = _client(app, email)
    rid = _new_draft(app, client, lots[0])
    url = f"/referrals/{rid}/sections/"
    bad = submit(client, url + "child", {"age": "30", "group_size": "9"})
    assert bad.status_code == 400 and "Age must be between 0 and 25" in bad.get_data(as_text=True)
    assert submit(client, url + "child", {"age": "14", "sex": "male", "legal_status": "care_order",
                                          "group_size": "1"}).status_code == 302
    bad = submit(client, url + "location", {"preferred_district": "SE6 4RU", "avoid_districts": "E1, XX99"})
    assert bad.status_code == 400
    assert "not a full postcode" in bad.get_data(as_text=True) and "XX99" in bad.get_data(as_text=True)
    assert submit(client, url + "location", {"preferred_district": "se6", "max_distance_miles": "20",
                                             "avoid_districts": "E1\nn1, E1"}).status_code == 302
    past = datetime.now(timezone.utc) - timedelta(days=1)
    future = datetime.now(timezone.utc) + timedelta(days=10)
    bad = submit(client, url + "timing", {"emergency": "no", "deadline_date": _d(past),
                                          "deadline_time": "17:00"})
    assert bad.status_code == 400 and "must be in the future" in bad.get_data(as_text=True)
    bad = submit(client, url + "timing", {"deadline_date": _d(future), "deadline_time": "5pm",
                                          "cutoff_date": _d(future), "cutoff_time": "6pm"})
    assert bad.status_code == 400 and "before the response deadline" in bad.get_data(as_text=True)
    assert submit(client, url + "timing", {"emergency": "yes", "expected_duration": "medium",
                                           "deadline_date": _d(future), "deadline_time": "5pm",
                                           "cutoff_date": _d(future), "cutoff_time": "9:30am"}).status_code == 302
    weights = {f"weight_{c}": "20" for c in ("be_healthy", "stay_safe", "enjoy_and_achieve",
                                             "positive_contribution", "economic_wellbeing")}
    bad = submit(client, url + "evaluation", {**weights, "weight_be_healthy": "30", "min_outcome_score": "2",
                                              "quality_threshold": "60", "price_method": "quality_price",
                                              "quality_weight": "70"})
    assert bad.status_code == 400 and "add up to 100" in bad.get_data(as_text=True)
    assert submit(client, url + "evaluation", {**weights, "min_outcome_score": "3", "quality_threshold": "65",
                                               "price_method": "lowest_price", "quality_weight": "60"}
                  ).status_code == 302
    assert submit(client, url + "internal", {"budget_ceiling": "lots"}).status_code == 400
    assert submit(client, url + "internal", {"case_reference": "LCS-1", "budget_ceiling": "£4,500.50",
                                             "internal_notes": "Never shown"}).status_code == 302
    bad = submit(client, url + "needs", {"need": ["autism", "made_up"]})
    assert bad.status_code == 400 and "Select needs from the list" in bad.get_data(as_text=True)
    assert submit(client, url + "needs", {"need": ["autism", "self_harm"], "severity-autism": "high",
                                          "essential-autism": "yes", "severity-self_harm": "low"}).status_code == 302
    with app.app_context():
        r = db.session.get(Referral, rid)
        assert (r.age, r.sex, r.group_size) == (14, "male", 1)
        assert r.preferred_district == "SE6" and r.avoid_districts == ["E1", "N1"]
        assert r.emergency and to_london(r.response_deadline).hour == 17  # entered as UK time, stored UTC
        assert r.response_deadline.utcoffset() == timedelta(0)
        assert r.clarification_cutoff < r.response_deadline
        assert r.min_outcome_score == 3 and r.price_method == "lowest_price" and r.quality_weight == 60
        assert r.budget_ceiling_pence == 450_050 and r.case_reference == "LCS-1"
        assert {(n.need_code, n.severity, n.essential) for n in r.needs} == {("autism", "high", True),
                                                                             ("self_harm", "low", False)}
        state = completion(r)
        assert state["child"] and state["location"] and state["timing"] and state["needs"] and state["internal"]
        assert not state["outcomes"] and not state["voice"] and not state["identity"]
        saved = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.section_saved", AuditEvent.object_type == "referral",
            AuditEvent.object_id == str(rid)))
        assert saved == 6
    page = client.get(f"/referrals/{rid}").get_data(as_text=True)
    assert "You have completed 6 of 10 sections" in page
    # Prefilled on return.
    assert 'value="SE6"' in client.get(url + "location").get_data(as_text=True)
    assert "E1, N1" in client.get(url + "location").get_data(as_text=True)


def test_another_councils_referral_is_404(app):
    email, _dps, _lots = _officer(app)
    with app.app_context():
        other = factories.referral()
        db.commit()
        other_id = other.id
    client = _client(app, email)
    for url in (f"/referrals/{other_id}", f"/referrals/{other_id}/sections/child", f"/referrals/{other_id}/publish"):
        assert client.get(url).status_code == 404, url
    assert submit(client, f"/referrals/{other_id}/sections/child", {"age": "3", "group_size": "1"},
                  page="/referrals").status_code == 404
    assert client.get(f"/referrals/{other_id}/sections/nonsense").status_code == 404
    assert f"Referral {other_id}" not in client.get("/referrals").get_data(as_text=True)


def test_only_drafts_are_editable(app):
    email, dps_id, _lots = _officer(app)
    with app.app_context():
        from portal.models import Dps

        dps = db.session.get(Dps, dps_id)
        published = factories.referral(dps.councils[0], dps_obj=dps, status="published")
        db.commit()
        rid = published.id
    client = _client(app, email)
    response = client.get(f"/referrals/{rid}/sections/child")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/referrals/{rid}")
    submit(client, f"/referrals/{rid}/sections/child", {"age": "3", "group_size": "1"}, page="/referrals")
    assert client.get(f"/referrals/{rid}/publish").status_code == 302
    page = client.get(f"/referrals/{rid}").get_data(as_text=True)
    assert "Open for proposals" in page and "Shown to providers" in page and "LCS-123456" in page
    with app.app_context():
        assert db.session.get(Referral, rid).age == 15


def test_a_complete_factory_referral_is_complete(app):
    with app.app_context():
        r = factories.referral()
        assert all(completion(r).values())
        r2 = factories.referral(what_matters=None, age=None)
        state = completion(r2)
        assert not state["voice"] and not state["child"] and state["needs"]
        assert _count(ReferralNeed) == 2
        db.session.rollback()


def test_provider_view_never_shows_internal_fields(app):
    with app.app_context():
        r = factories.referral(case_reference="LCS-999111", budget_ceiling_pence=123_456,
                               internal_notes="Mum lives at SE6 4RU")
        view = provider_view(r)
        for key in ("case_reference", "budget_ceiling_pence", "internal_notes", "council_id", "council",
                    "created_by_id", "created_by"):
            assert key not in view
        flat = repr(view)
        assert "LCS-999111" not in flat and "123456" not in flat and "SE6 4RU" not in flat
        assert r.council.name not in flat
        assert view["age"] == 15 and view["what_matters"] and view["needs"][0]["essential"] is True
        db.session.rollback()
