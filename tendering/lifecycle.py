"""The referral lifecycle: one guarded function changes a referral's status (DESIGN.md, Lifecycle).

draft → published → closed → quality_evaluated → price_evaluated → awarded → placed;
published or closed → cancelled; any evaluation stage → no_suitable_proposal;
no_suitable_proposal → placed only by recording a spot purchase (tendering.award.spot_purchase).
"""
from __future__ import annotations

from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import User
from tendering.models import Referral

EVALUATION_STAGES = ("closed", "quality_evaluated", "price_evaluated")
ALLOWED: dict[str, frozenset[str]] = {
    "draft": frozenset({"published"}),
    "published": frozenset({"closed", "cancelled"}),
    "closed": frozenset({"quality_evaluated", "cancelled", "no_suitable_proposal"}),
    "quality_evaluated": frozenset({"price_evaluated", "no_suitable_proposal"}),
    "price_evaluated": frozenset({"awarded", "no_suitable_proposal"}),
    "awarded": frozenset({"placed"}),
    "placed": frozenset(),
    "cancelled": frozenset(),
    "no_suitable_proposal": frozenset({"placed"}),
}
TIMESTAMPS = {"published": "published_at", "closed": "closed_at", "cancelled": "cancelled_at",
              "quality_evaluated": "quality_locked_at", "price_evaluated": "price_revealed_at",
              "awarded": "awarded_at", "placed": "placed_at", "no_suitable_proposal": "ended_at"}


class LifecycleError(Exception):
    """A transition the lifecycle does not allow; the message is fit to show the officer."""


def can_transition(referral: Referral, to_status: str) -> bool:
    return to_status in ALLOWED.get(referral.status, frozenset())


def transition(referral: Referral, to_status: str, actor: User | None, *, reason: str | None = None) -> Referral:
    """Move the referral to `to_status` and audit it in the caller's transaction, or raise and change nothing.

    Rules beyond the state machine (the anonymisation gate before publishing, the deadline before closing)
    belong to the services that call this."""
    current = referral.status
    if not can_transition(referral, to_status):
        raise LifecycleError(f"A referral that is {current.replace('_', ' ')} cannot become "
                             f"{to_status.replace('_', ' ')}")
    referral.status = to_status
    if to_status in TIMESTAMPS:
        setattr(referral, TIMESTAMPS[to_status], utcnow())
    record(f"referral.{to_status}", "referral", referral.id, before={"status": current},
           after={"status": to_status, **({"reason": reason} if reason else {})}, actor=actor,
           organisation_id=referral.council_id)
    return referral
