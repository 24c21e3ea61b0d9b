"""Closing by the clock: a published referral whose deadline has passed is closed, and its submitted
proposals get the random order panel members will see ("Proposal A, B, C…"), fixed from then on.

Late submissions are refused by the proposal services on the server clock whether or not this has run;
this runs lazily when a council page is opened and every minute as a scheduled job."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from tendering.lifecycle import transition
from tendering.models import Proposal, Referral


def is_due(referral: Referral, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (referral.status == "published" and referral.response_deadline is not None
            and referral.response_deadline <= now)


def close_if_due(referral: Referral, now: datetime | None = None) -> bool:
    """Close the referral if its deadline has passed, in the caller's transaction. Returns True if it closed it.
    The row is locked first, so two requests (or a request and the job) cannot both close it."""
    if not is_due(referral, now):
        return False
    locked = db.session.execute(select(Referral).where(Referral.id == referral.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    if not is_due(locked, now):
        return False
    transition(locked, "closed", None, reason="The response deadline passed")
    submitted = list(db.session.scalars(select(Proposal).where(Proposal.referral_id == locked.id,
                                                               Proposal.status == "submitted")
                                        .order_by(Proposal.id)))
    secrets.SystemRandom().shuffle(submitted)
    for position, proposal in enumerate(submitted):
        proposal.blind_position = position
    db.session.flush()
    return True


def close_due_referrals(now: datetime | None = None) -> int:
    """Scheduled job: close every published referral whose deadline has passed; one commit per referral."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Referral.id).where(Referral.status == "published",
                                                            Referral.response_deadline <= now)))
    closed = 0
    for referral_id in ids:
        referral = db.session.get(Referral, referral_id)
        if referral is not None and close_if_due(referral, now):
            closed += 1
        db.session.commit()
    return closed
