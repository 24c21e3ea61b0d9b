"""Referral preferences: the pure matching rule, and the page a provider admin sets them on."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent
from portal.models import ReferralPreference
from portal.preferences import accepts
from tests import factories
from tests.conftest import sign_in, signed_in_client, submit


def _pref(**fields) -> ReferralPreference:
    values = dict(lot_kinds=["residential", "solo_bespoke"], min_age=11, max_age=17, need_codes=["autism", "self_harm"])
    values.update(fields)
    return ReferralPreference(provider_id=1, **values)


# --- accepts(): the rule the matching engine calls ---------------------------------------------------

def test_no_preference_accepts_everything():
    assert accepts(None, "fostering", 0, {"uasc", "autism"})
    assert accepts(None, "residential", 25, set())


def test_lot_must_be_one_the_provider_takes():
    assert accepts(_pref(), "residential", 14, set())
    assert accepts(_pref(), "solo_bespoke", 14, set())
    assert not accepts(_pref(), "fostering", 14, set())


@pytest.mark.parametrize("age, expected", [(10, False), (11, True), (14, True), (17, True), (18, False)])
def test_age_range_is_inclusive(age, expected):
    assert accepts(_pref(), "residential", age, set()) is expected


def test_every_need_of_the_child_must_be_one_the_provider_takes():
    assert accepts(_pref(), "residential", 14, {"autism"})
    assert accepts(_pref(), "residential", 14, {"autism", "self_harm"})
    assert not accepts(_pref(), "residential", 14, {"autism", "uasc"})


def test_no_needs_ticked_means_any_need_and_no_lots_means_any_lot():
    assert accepts(_pref(need_codes=[]), "residential", 14, {"uasc", "offending"})
    assert accepts(_pref(lot_kinds=[]), "parent_and_child", 14, {"autism"})


# --- the page ------------------------------------------------------------------------------------------

VALID = {"lots": ["residential", "supported_16_17"], "min_age": "12", "max_age": "17",
         "needs": ["autism", "self_harm"]}


def _admin(app):
    with app.app_context():
        user = factories.user("provider_admin")
        db.commit()
        email, org_id = user.email, user.organisation_id
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, org_id


def _rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ReferralPreference))


def test_admin_sets_preferences_and_changes_them_later(app):
    client, org_id = _admin(app)
    form = client.get("/organisation/referral-preferences").get_data(as_text=True)
    assert "Residential children&#39;s homes" in form and "Autism" in form
    assert "You have not saved preferences yet" in form

    response = submit(client, "/organisation/referral-preferences", VALID)
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisation")
    page = client.get("/organisation").get_data(as_text=True)
    assert "Your referral preferences have been saved" in page
    assert "Residential children&#39;s homes, Supported accommodation 16 to 17" in page
    assert "12 to 17" in page and "Autism, Self-harm" in page
    with app.app_context():
        pref = db.session.get(ReferralPreference, org_id)
        assert (pref.lot_kinds, pref.min_age, pref.max_age, pref.need_codes) == (
            ["residential", "supported_16_17"], 12, 17, ["autism", "self_harm"])

    # Untick every need: any need. Still one row per provider.
    assert submit(client, "/organisation/referral-preferences",
                  {"lots": ["fostering"], "min_age": "0", "max_age": "25"}).status_code == 302
    assert _rows(app) == 1
    assert "Any need" in client.get("/organisation").get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral_preference.saved")
                                    .order_by(AuditEvent.id)).all()
        assert [e.before for e in events][0] is None
        assert events[1].before["need_codes"] == ["autism", "self_harm"] and events[1].after["need_codes"] == []
        assert events[1].after == {"lot_kinds": ["fostering"], "min_age": 0, "max_age": 25, "need_codes": []}
        pref = db.session.get(ReferralPreference, org_id)
        assert accepts(pref, "fostering", 3, {"uasc"}) and not accepts(pref, "residential", 3, set())

    # The form shows what is saved.
    form = client.get("/organisation/referral-preferences").get_data(as_text=True)
    assert re.search(r'value="fostering"\s+checked', form) and not re.search(r'value="residential"\s+checked', form)


@pytest.mark.parametrize("change, message", [
    ({"min_age": "15", "max_age": "12"}, "Oldest age must be the same as or older than the youngest age"),
    ({"max_age": "26"}, "Oldest age must be between 0 and 25"),
    ({"min_age": "-1"}, "Youngest age must be between 0 and 25"),
    ({"min_age": "eleven"}, "Youngest age must be a whole number"),
    ({"max_age": ""}, "Enter the oldest age you will take"),
    ({"lots": []}, "Select at least one kind of placement"),
    ({"lots": ["castles"]}, "Select kinds of placement from the list"),
    ({"needs": ["not_a_need"]}, "Select needs from the list"),
])
def test_bad_preferences_are_refused_and_nothing_is_written(app, change, message):
    client, _ = _admin(app)
    response = submit(client, "/organisation/referral-preferences", {**VALID, **change})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and message in page
    assert _rows(app) == 0


@pytest.mark.parametrize("role", ["provider_staff", "dps_manager", "system_admin"])
def test_only_provider_admins_set_preferences(app, role):
    client = signed_in_client(app, role)
    assert client.get("/organisation/referral-preferences").status_code == 403
