"""Scheduled jobs of the tendering package. Imported by tendering.register so that they are registered."""
from __future__ import annotations

from datetime import timedelta

from portal.core.jobs import periodic
from tendering.closing import close_due_referrals
from tendering.competition_summary import refresh_stale
from tendering.reminders import queue_due


@periodic(timedelta(minutes=1))
def close_referrals_past_their_deadline() -> int:
    """Close published referrals whose response deadline has passed (pages also close them lazily)."""
    return close_due_referrals()


@periodic(timedelta(minutes=5))
def refresh_competition_summary() -> int:
    """Keep the sufficiency picture's summary rows current (the dashboard also refreshes its own stale rows)."""
    return refresh_stale()


@periodic(timedelta(minutes=15))
def remind_providers_before_deadlines() -> int:
    """A day before a referral closes, queue one reminder to the invited providers still to answer."""
    return queue_due()

