"""End to end with the tendering matcher: a compliance suspension takes a home, or a whole provider, out of
the invited set of a referral that matched it before (quality writes portal's flags; tendering reads them)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.signals import emit
from portal.models import INSURANCE_KINDS, Document, Need
from quality import compliance
from tendering.distribution import evaluate
from tests import factories

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def market(ctx):
    with freeze_time(NOW):
        council = factories.organisation("council")
        dps = factories.dps(council)
        referral = factories.referral(council, dps_obj=dps, status="published")
        provider = factories.organisation("provider")
        application = factories.admitted(provider, dps)
        for kind in INSURANCE_KINDS:
            factories.document(provider, kind, expires_on=date(2027, 6, 1))
        homes = []
        for _ in range(2):
            home = factories.setting(provider, min_age=11, max_age=17)
            home.needs = [db.session.get(Need, "autism")]
            homes.append(home)
        db.session.flush()
    return referral, provider, application, homes


def decision(referral, provider):
    return next(d for d in evaluate(referral) if d["provider_id"] == provider.id)


def test_a_home_made_inadequate_leaves_the_invited_set(market):
    referral, provider, _application, (first, second) = market
    before = decision(referral, provider)
    assert before["invited"] and set(before["setting_ids"]) == {first.id, second.id}
    first.overall_effectiveness = "Inadequate"
    emit("setting", setting_id=first.id)  # what portal's Ofsted import does after applying a change
    assert first.suspended and compliance.status_for("setting", first.id).status == "suspended"
    after = decision(referral, provider)
    assert after["invited"] and after["setting_ids"] == [second.id]
    second.registration_status = "cancelled"
    emit("setting", setting_id=second.id)
    assert second.suspended
    assert not decision(referral, provider)["invited"]


def test_a_provider_past_its_insurance_grace_leaves_the_invited_set(market):
    referral, provider, application, _homes = market
    doc = db.session.scalar(select(Document).where(Document.organisation_id == provider.id,
                                                   Document.kind == "public_liability"))
    doc.expires_on = NOW.date() - timedelta(days=1)
    with freeze_time(NOW):
        compliance.evaluate_provider(provider)
    assert decision(referral, provider)["invited"]  # non-compliant, within its grace
    with freeze_time(NOW + timedelta(days=14)):
        compliance.evaluate_provider(provider)
    assert application.status == "suspended"
    after = decision(referral, provider)
    assert not after["invited"] and after["reasons"][0] == "Suspended from new referrals"
