"""The referral lifecycle allows exactly DESIGN.md's transitions; anything else changes nothing."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from tendering.lifecycle import ALLOWED, LifecycleError, transition
from tendering.models import REFERRAL_STATUSES, Referral
from tests import factories

LEGAL = {(a, b) for a, targets in ALLOWED.items() for b in targets}
ILLEGAL = sorted(set(itertools.product(REFERRAL_STATUSES, REFERRAL_STATUSES)) - LEGAL)


def _referral(status: str) -> Referral:
    officer = factories.user("placements_officer")
    dps = factories.dps(officer.organisation)
    referral = Referral(council=officer.organisation, dps=dps, status=status,
                        published_at=None if status == "draft" else utcnow(),
                        quality_locked_at=utcnow() if status in ("quality_evaluated", "price_evaluated", "awarded",
                                                                 "placed") else None)
    db.session.add(referral)
    db.session.flush()
    return referral


def test_the_allowed_map_is_the_design():
    assert LEGAL == {
        ("draft", "published"), ("published", "closed"), ("published", "cancelled"), ("closed", "cancelled"),
        ("closed", "quality_evaluated"), ("quality_evaluated", "price_evaluated"), ("price_evaluated", "awarded"),
        ("awarded", "placed"), ("closed", "no_suitable_proposal"), ("quality_evaluated", "no_suitable_proposal"),
        ("price_evaluated", "no_suitable_proposal"), ("no_suitable_proposal", "placed")}


@pytest.mark.parametrize("before,after", ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transitions_are_refused_and_write_nothing(ctx, before, after):
    referral = _referral(before)
    db.commit()
    with pytest.raises(LifecycleError):
        transition(referral, after, None)
    db.commit()
    db.session.refresh(referral)
    assert referral.status == before
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "referral")).all() == []


@pytest.mark.parametrize("before,after", sorted(LEGAL), ids=[f"{a}->{b}" for a, b in sorted(LEGAL)])
def test_legal_transitions_are_audited_with_who_and_why(ctx, before, after):
    referral = _referral(before)
    officer = factories.user("placements_officer", org=referral.council)
    transition(referral, after, officer, reason="because")
    db.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "referral"))
    assert (event.action, event.before, event.after, event.actor_id) == (
        f"referral.{after}", {"status": before}, {"status": after, "reason": "because"}, officer.id)
    if after == "published":
        assert referral.published_at is not None
