"""Deadline reminders (DESIGN.md, Notifications and jobs): a day before a referral closes for proposals, every
invited provider that has neither declined nor submitted a proposal is reminded once, in the portal inbox and by
email, so no provider misses a referral it could have answered and the council hears "no" rather than nothing.

The scheduler's scan (tendering.jobs, every 15 minutes) queues one job per due referral, keyed on the referral,
so each referral is reminded at most once; the job's messages are keyed per user as well. Referrals open for
less than MIN_OPEN get no reminder: it would arrive hard on the heels of the invitation.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core import db
from portal.core.audit import record
from portal.core.bulk_mail import notify_many
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.models import JobRun
from tendering.distribution import _link, recipients
from tendering.models import Proposal, Referral, ReferralProvider

REMIND_BEFORE = timedelta(hours=24)
MIN_OPEN = timedelta(hours=48)


def job_key(referral_id: int) -> str:
    return f"deadline_reminder:{referral_id}"


def queue_due(now=None) -> int:
    """Queue a reminder job for each published referral closing within REMIND_BEFORE that has none yet."""
    now = now or utcnow()
    closing = db.session.execute(select(Referral.id, Referral.published_at, Referral.response_deadline).where(
        Referral.status == "published", Referral.response_deadline > now,
        Referral.response_deadline <= now + REMIND_BEFORE).order_by(Referral.id)).all()
    due = [i for i, published, deadline in closing if published is not None and deadline - published >= MIN_OPEN]
    if not due:
        return 0
    queued = set(db.session.scalars(select(JobRun.key).where(JobRun.key.in_([job_key(i) for i in due]))))
    todo = [i for i in due if job_key(i) not in queued]
    for referral_id in todo:
        enqueue(send_deadline_reminder, referral_id, key=job_key(referral_id))
    return len(todo)


def waiting_providers(referral_id: int) -> list[int]:
    """Invited providers that have not declined and have no submitted proposal (a draft is not an answer)."""
    submitted = select(Proposal.provider_id).where(Proposal.referral_id == referral_id,
                                                   Proposal.status == "submitted")
    return list(db.session.scalars(select(ReferralProvider.provider_id).where(
        ReferralProvider.referral_id == referral_id, ReferralProvider.invited.is_(True),
        ReferralProvider.declined_at.is_(None), ReferralProvider.provider_id.not_in(submitted))
        .order_by(ReferralProvider.provider_id)))


def send_deadline_reminder(referral_id: int) -> int:
    """Job: remind the users of every provider still to answer. Nothing once the referral has closed.
    Returns how many users were told."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.status != "published" or referral.response_deadline is None \
            or referral.response_deadline <= utcnow():
        return 0
    providers = waiting_providers(referral_id)
    users = recipients(providers, light=True)
    if users:
        notify_many(users, "deadline_reminder", "referral", referral.id,
                    link=_link("invitations.detail", referral_id=referral.id), referral_id=referral.id,
                    deadline=referral.response_deadline)
    record("referral.deadline_reminded", "referral", referral.id, organisation_id=referral.council_id,
           after={"providers": len(providers), "notified_users": len(users)})
    return len(users)
