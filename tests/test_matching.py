"""Matching and distribution (DESIGN.md): each rule, ranking, one invitation per provider, reasons kept."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent, EmailMessage, InboxMessage
from portal.models import Need, ReferralPreference
from tendering.distribution import distribute
from tendering.models import ReferralProvider
from tests import factories

LOT = "Residential children's homes"


@pytest.fixture
def market(ctx):
    """A council's DPS and a published referral: age 15, girl, near SE6 (20 miles), avoid E1, autism essential."""
    council = factories.organisation("council")
    dps = factories.dps(council)
    referral = factories.referral(council, dps_obj=dps, status="published")
    return dps, referral


def provider(dps, *lot_kinds, name=None):
    org = factories.organisation("provider", name=name)
    if lot_kinds != (None,):
        factories.admitted(org, dps, *(lot_kinds or ("residential",)))
    return org


def home(org, needs=("autism",), **fields):
    obj = factories.setting(org, **{"min_age": 11, "max_age": 17, **fields})
    obj.needs = [db.session.get(Need, code) for code in needs]
    db.session.flush()
    return obj


def rows_by_provider(referral):
    return {row.provider_id: row for row in distribute(referral, None)}


SETTING_RULES = [
    ("kind", {"kind": "childrens_home"}, {"kind": "independent_fostering"},
     f"No home is of a kind in the {LOT} lot"),
    ("open", {"status": "open"}, {"status": "closed"}, "No home is open"),
    ("registration", {"registration_status": "active"}, {"registration_status": "cancelled"},
     "No home has an active registration"),
    ("setting suspended", {"suspended": False}, {"suspended": True}, "Every home is suspended from new referrals"),
    ("rating", {"overall_effectiveness": "Requires improvement to be good"}, {"overall_effectiveness": "Inadequate"},
     "Home rated Inadequate"),
    ("unrated is fine", {"overall_effectiveness": None}, {"overall_effectiveness": "Inadequate"},
     "Home rated Inadequate"),
    ("minimum age", {"min_age": 15}, {"min_age": 16}, "No home accepts age 15"),
    ("maximum age", {"max_age": 15}, {"max_age": 14, "min_age": 10}, "No home accepts age 15"),
    ("sex", {"accepts_female": True, "accepts_male": False}, {"accepts_female": False, "accepts_male": True},
     "No home accepts girls"),
    ("distance", {"district": "SE13", "postcode": "SE13 5AB"}, {"district": "M1", "postcode": "M1 1AE"},
     "No home within 20 miles of SE6"),
    ("unknown district is not within the distance", {"district": "SE6"}, {"district": "ZZ9", "postcode": "ZZ9 9ZZ"},
     "No home within 20 miles of SE6"),
    ("avoided district", {"district": "E2", "postcode": "E2 7DG"}, {"district": "E1", "postcode": "E1 6AN"},
     "Every home is in an avoided district"),
]


@pytest.mark.parametrize("name,include,exclude,reason", SETTING_RULES, ids=[r[0] for r in SETTING_RULES])
def test_each_setting_rule_includes_one_home_and_excludes_its_twin(market, name, include, exclude, reason):
    dps, referral = market
    a, b = provider(dps), provider(dps)
    home_a = home(a, **include)
    home(b, **exclude)
    rows = rows_by_provider(referral)
    assert (rows[a.id].invited, rows[a.id].setting_ids, rows[a.id].reasons) == (True, [home_a.id], [])
    assert (rows[b.id].invited, rows[b.id].setting_ids, rows[b.id].rank) == (False, [], None)
    assert rows[b.id].reasons == [reason]


def test_essential_need_must_be_covered_but_not_a_non_essential_one(ctx):
    council = factories.organisation("council")
    dps = factories.dps(council)
    referral = factories.referral(council, dps_obj=dps, status="published",
                                  needs={"autism": ("high", True), "self_harm": ("low", False)})
    a, b = provider(dps), provider(dps)
    home(a, needs=("autism",)), home(b, needs=("self_harm",))
    rows = rows_by_provider(referral)
    assert rows[a.id].invited and not rows[b.id].invited
    assert rows[b.id].reasons == ["No home covers essential need: Autism"]


def test_no_distance_limit_without_a_preferred_district_or_maximum(ctx):
    council = factories.organisation("council")
    dps = factories.dps(council)
    for fields in ({"max_distance_miles": None}, {"preferred_district": None}):
        referral = factories.referral(council, dps_obj=dps, status="published", **fields)
        far = provider(dps)
        home(far, district="M1", postcode="M1 1AE")
        assert rows_by_provider(referral)[far.id].invited


PROVIDER_RULES = ["admitted", "suspended", "preferences"]


@pytest.mark.parametrize("rule", PROVIDER_RULES)
def test_each_provider_rule_includes_one_provider_and_excludes_its_twin(market, rule):
    dps, referral = market
    a = provider(dps)
    if rule == "admitted":
        b, reason = provider(dps, "fostering"), f"Not admitted to the {LOT} lot"
    elif rule == "suspended":
        b, reason = provider(dps, None), "Suspended from new referrals"
        factories.application(dps, b, status="suspended", lots=[dps.lots[0]])
    else:
        b, reason = provider(dps), "Its referral preferences exclude this lot/age/need"
        db.session.add(ReferralPreference(provider_id=a.id, lot_kinds=["residential"], min_age=12, max_age=17,
                                          need_codes=["autism", "self_harm"]))
        db.session.add(ReferralPreference(provider_id=b.id, lot_kinds=["residential"], min_age=12, max_age=17,
                                          need_codes=["self_harm"]))
    home(a), home(b)
    rows = rows_by_provider(referral)
    assert rows[a.id].invited
    assert (rows[b.id].invited, rows[b.id].reasons) == (False, [reason])


def test_admission_to_another_dps_does_not_count(market):
    dps, referral = market
    other = provider(factories.dps())
    home(other)
    assert rows_by_provider(referral)[other.id].reasons == [f"Not admitted to the {LOT} lot"]


def test_settings_rank_current_then_stale_then_none(market):
    dps, referral = market
    now = utcnow()
    mixed, stale_only, none_only = provider(dps, name="C"), provider(dps, name="B"), provider(dps, name="A")
    no_vacancy, stale, current = home(mixed), home(mixed), home(mixed)
    factories.vacancy(no_vacancy, places_free=0)
    factories.vacancy(stale, places_free=2, confirmed_at=now - timedelta(days=8))
    factories.vacancy(current, places_free=1, confirmed_at=now - timedelta(days=6))
    factories.vacancy(home(stale_only), places_free=1, confirmed_at=now - timedelta(days=7))
    home(none_only)
    rows = distribute(referral, None)
    assert [(r.provider_id, r.rank) for r in rows] == [(mixed.id, 0), (stale_only.id, 1), (none_only.id, 2)]
    assert rows[0].setting_ids == [current.id, stale.id, no_vacancy.id]


def test_reasons_are_aggregated_across_a_providers_homes(market):
    dps, referral = market
    org = provider(dps)
    home(org, min_age=16), home(org, district="E1", postcode="E1 6AN")
    row = rows_by_provider(referral)[org.id]
    assert not row.invited
    assert row.reasons == ["1 of 2 homes: age 15 not accepted", "1 of 2 homes: in an avoided district"]


def test_providers_without_settings_and_councils_are_not_considered(market):
    dps, referral = market
    provider(dps)
    assert distribute(referral, None) == []


def test_one_invitation_per_provider_one_message_per_user_and_idempotent(market):
    dps, referral = market
    org = provider(dps)
    home(org), home(org)
    admin = factories.user("provider_admin", org=org)
    staff = factories.user("provider_staff", org=org)
    both = factories.user("provider_admin", "provider_staff", org=org)
    factories.user("provider_staff", org=org, password=None)  # invited, not yet active: not told
    outsider = provider(dps)
    home(outsider, min_age=16)
    outsider_user = factories.user("provider_admin", org=outsider)
    rows = distribute(referral, factories.user("placements_officer", org=referral.council))
    db.commit()
    again = distribute(referral, None)
    db.commit()
    assert [r.provider_id for r in again] == [r.provider_id for r in rows]
    assert db.session.scalar(select(func.count()).select_from(ReferralProvider)) == 2
    invited = [r for r in rows if r.invited]
    assert len(invited) == 1 and len(invited[0].setting_ids) == 2
    inbox = db.session.scalars(select(InboxMessage)).all()
    assert sorted(m.user_id for m in inbox) == sorted([admin.id, staff.id, both.id])
    emails = db.session.scalars(select(EmailMessage)).all()
    assert sorted(e.user_id for e in emails) == sorted([admin.id, staff.id, both.id])
    assert outsider_user.id not in {m.user_id for m in inbox}
    email = emails[0]
    assert "LCS-123456" not in email.body_text + email.body_html + email.subject
    assert "age 15" in email.subject.lower() and LOT in email.body_text and "Respond by" in email.body_text
    assert f"/invitations/{referral.id}" in email.body_text
    audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.distributed")).all()
    assert len(audits) == 1
    assert audits[0].after == {"considered": 2, "invited": 1, "not_invited": 1}
    sent = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.invitations_sent")).all()
    assert [event.after for event in sent] == [{"providers": 1, "notified_users": 3}]  # the fan-out job, once


def test_query_count_does_not_grow_with_settings(market, app):
    from sqlalchemy import event

    dps, referral = market

    def count_queries(n_providers):
        for _ in range(n_providers):
            org = provider(dps)
            home(org), home(org, min_age=16)
        db.session.query(ReferralProvider).delete()
        db.session.flush()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.session.get_bind(), "before_cursor_execute", listener)
        try:
            distribute(referral, None, send=False)
        finally:
            event.remove(db.session.get_bind(), "before_cursor_execute", listener)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    count_queries(1)  # warm: the referral's lot and needs load once
    assert count_queries(2) == count_queries(20) <= 6
