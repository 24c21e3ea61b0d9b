"""The provider's referral inbox: only invited referrals, the anonymised specification, declining."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from portal.models import Need
from tendering.distribution import distribute
from tendering.models import ReferralProvider
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


def _scenario(app, **referral_fields):
    """A published referral distributed to Oakfield (two homes, one matching) and not to Elm Care."""
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        dps = factories.dps(council)
        referral = factories.referral(council, dps_obj=dps, status="published", **referral_fields)
        oakfield = factories.organisation("provider", name="Oakfield Care")
        factories.admitted(oakfield, dps)
        match = factories.setting(oakfield, name="Acacia House", min_age=12, max_age=17)
        match.needs = [db.session.get(Need, "autism")]
        factories.setting(oakfield, name="Birch Lodge", min_age=12, max_age=17)  # no autism specialism
        elm = factories.organisation("provider", name="Elm Care")
        factories.admitted(elm, dps)
        factories.setting(elm, name="Cedar View", min_age=16)
        admin = factories.user("provider_admin", org=oakfield)
        staff = factories.user("provider_staff", org=oakfield)
        other = factories.user("provider_admin", org=elm)
        officer = factories.user("placements_officer", org=council)
        distribute(referral, officer)
        db.commit()
        return {"referral": referral.id, "admin": admin.email, "staff": staff.email, "other": other.email,
                "officer": officer.email, "oakfield": oakfield.id}


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def test_provider_inbox_lists_invitations_newest_first(app):
    ids = _scenario(app)
    with app.app_context():
        council = factories.organisation("council")
        later = factories.referral(council, status="published", age=9, published_at=utcnow() + timedelta(minutes=1))
        db.session.add(ReferralProvider(referral_id=later.id, provider_id=ids["oakfield"], invited=True,
                                        invited_at=utcnow()))
        not_invited = factories.referral(council, status="published", age=4)
        db.session.add(ReferralProvider(referral_id=not_invited.id, provider_id=ids["oakfield"], invited=False,
                                        reasons=["No home accepts age 4"]))
        db.commit()
        later_id, not_invited_id = later.id, not_invited.id
    body = _client(app, ids["staff"]).get("/invitations").get_data(as_text=True)
    assert body.index(f"Referral {later_id}") < body.index(f"Referral {ids['referral']}")
    assert f"Referral {not_invited_id}<" not in body and "Open" in body
    assert "Referrals" in body  # the nav entry


def test_spec_shows_the_anonymised_facts_and_only_its_own_matching_homes(app):
    ids = _scenario(app)
    response = _client(app, ids["admin"]).get(f"/invitations/{ids['referral']}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for shown in ("15", "Female", "Care order", "Autism", "High", "Essential", "Be healthy", "Stay safe",
                  "Enjoy and achieve", "Make a positive contribution", "Achieve economic well-being",
                  "keep seeing my little brother", "SE6", "20 miles", "E1", "Long term", "Acacia House",
                  "Enjoys cooking", "Speaks English", "Doing well at maths"):
        assert shown in body, shown
    for hidden in ("LCS-123456", "6,500", "6500", "650000", "Internal: sibling contact plan", "Lewisham",
                   "Birch Lodge", "Elm Care", "Cedar View"):
        assert hidden not in body, hidden


def test_a_referral_the_provider_was_not_invited_to_is_404(app):
    ids = _scenario(app)
    client = _client(app, ids["other"])
    assert client.get(f"/invitations/{ids['referral']}").status_code == 404
    assert client.get(f"/invitations/{ids['referral']}/decline").status_code == 404
    assert f"Referral {ids['referral']}<" not in client.get("/invitations").get_data(as_text=True)


def test_council_users_cannot_use_the_provider_pages(app):
    ids = _scenario(app)
    assert _client(app, ids["officer"]).get(f"/invitations/{ids['referral']}").status_code == 403


def test_decline_before_the_deadline_is_stored_and_audited(app):
    ids = _scenario(app)
    client = _client(app, ids["staff"])
    url = f"/invitations/{ids['referral']}/decline"
    response = submit(client, url, {"reason": "no_vacancy", "text": ""})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        assert (row.decline_reason, row.decline_text, row.declined_at is not None) == ("no_vacancy", None, True)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.declined"))
        assert event.after["reason"] == "no_vacancy" and event.organisation_id == ids["oakfield"]
    assert "Declined" in client.get(f"/invitations/{ids['referral']}").get_data(as_text=True)
    assert client.get(url).status_code == 302  # already declined: nothing more to do


@pytest.mark.parametrize("data,error", [({}, "Select why you are declining"),
                                        ({"reason": "other", "text": "  "}, "Enter why you are declining"),
                                        ({"reason": "nonsense"}, "Not a valid choice"),
                                        ({"reason": "other", "text": "x" * 2001}, "2000 characters or fewer")])
def test_bad_decline_input_shows_errors_and_writes_nothing(app, data, error):
    ids = _scenario(app)
    response = submit(_client(app, ids["admin"]), f"/invitations/{ids['referral']}/decline", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in body and error in body
    with app.app_context():
        assert db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"])).declined_at is None


def test_decline_with_other_needs_text(app):
    ids = _scenario(app)
    response = submit(_client(app, ids["admin"]), f"/invitations/{ids['referral']}/decline",
                      {"reason": "other", "text": "We are refurbishing this spring"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        assert (row.decline_reason, row.decline_text) == ("other", "We are refurbishing this spring")


@pytest.mark.parametrize("post_at,accepted", [("2026-03-02 09:59:59", True), ("2026-03-02 10:00:00", False),
                                              ("2026-03-02 10:00:01", False)])
def test_decline_is_refused_from_the_deadline_on_the_server_clock(app, post_at, accepted):
    with freeze_time("2026-03-02 09:00:00"):
        ids = _scenario(app, response_deadline=utcnow() + timedelta(hours=1),
                        clarification_cutoff=utcnow() + timedelta(minutes=30))
        client = _client(app, ids["admin"])
        url = f"/invitations/{ids['referral']}/decline"
        token = csrf_from(client.get(url).get_data(as_text=True))
    with freeze_time(post_at):
        response = client.post(url, data={"reason": "location", "csrf_token": token})
        assert response.status_code == 302
        body = client.get(f"/invitations/{ids['referral']}").get_data(as_text=True)
        assert ("can no longer decline" in body) is not accepted
    with app.app_context():
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        assert (row.decline_reason == "location") is accepted
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.declined")).all()
        assert len(events) == (1 if accepted else 0)


def test_officer_sees_the_distribution_list_with_reasons(app):
    ids = _scenario(app)
    client = _client(app, ids["officer"])
    body = client.get(f"/referrals/{ids['referral']}/distribution").get_data(as_text=True)
    assert "Oakfield Care" in body and "Elm Care" in body and "Invited" in body
    assert "No home accepts age 15" in body and "SE6: No vacancy" in body
    other_officer = factories_user_elsewhere(app)
    assert _client(app, other_officer).get(f"/referrals/{ids['referral']}/distribution").status_code == 404


def factories_user_elsewhere(app):
    with app.app_context():
        email = factories.user("placements_officer").email
        db.commit()
        return email
