"""The provider's side of a referral: its invitations, the anonymised specification, declining.

Only `ReferralProvider` rows with invited=True are ever visible to a provider, and only its own.
"""
from __future__ import annotations

from sqlalchemy import func, select, true
from sqlalchemy.orm import contains_eager, load_only

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import User
from portal.core.services import ServiceError
from portal.models import Setting
from tendering.models import DECLINE_REASONS, Referral, ReferralProvider

MAX_DECLINE_TEXT = 2000
STATE_LABELS = {"open": "Open", "declined": "Declined", "closed": "Closed"}
STATE_TAGS = {"open": "govuk-tag--green", "declined": "govuk-tag--grey", "closed": "govuk-tag--grey"}


class DeclineError(ServiceError):
    """A decline that cannot be accepted; the message is fit to show the provider."""


def invitation_for(user: User, referral_id: int) -> ReferralProvider | None:
    """The user's organisation's invitation to this referral, or None (not invited, or not a draft-free state)."""
    row = db.session.get(ReferralProvider, (referral_id, user.organisation_id))
    if row is None or not row.invited or row.referral.status == "draft":
        return None
    return row


def is_open(row: ReferralProvider, now=None) -> bool:
    """May the provider still respond (decline, or later propose)? Server clock, to the second."""
    referral = row.referral
    now = now or utcnow()
    return referral.status == "published" and (referral.response_deadline is None or now < referral.response_deadline)


def state(row: ReferralProvider, now=None) -> str:
    if row.declined_at is not None:
        return "declined"
    return "open" if is_open(row, now) else "closed"


def _invitations_query(user: User):
    # "invited = true", not "IS TRUE": PostgreSQL uses the partial index ix_referral_provider_inbox (WHERE invited)
    # only for a condition it can prove implies the index's.
    return (select(ReferralProvider).join(Referral, Referral.id == ReferralProvider.referral_id)
            .where(ReferralProvider.provider_id == user.organisation_id, ReferralProvider.invited == true(),
                   Referral.status != "draft"))


def invitations(user: User) -> list[ReferralProvider]:
    """Every referral the user's organisation was invited to, across all councils, newest invitation first (an
    invitation is sent as its referral is published)."""
    return list(db.session.scalars(_invitations_query(user).options(
        contains_eager(ReferralProvider.referral).selectinload(Referral.lot))
        .order_by(ReferralProvider.invited_at.desc(), ReferralProvider.referral_id.desc())))


def page_of_invitations(user: User, page: int, size: int) -> tuple[list[ReferralProvider], int]:
    """One page of invitations() (same order, each row's referral and lot loaded with it) and the total."""
    stmt = _invitations_query(user)
    # An invitation is written only when its referral is published, and a referral never returns to draft
    # (tendering/lifecycle.py), so the count needs no join: it comes from ix_referral_provider_inbox alone.
    total = db.session.scalar(select(func.count()).select_from(ReferralProvider).where(
        ReferralProvider.provider_id == user.organisation_id, ReferralProvider.invited.is_(True)))
    # Only the columns the list shows: a referral's JSON fields (needs, outcomes, …) cost more to fetch and
    # decode than the rest of the page.
    rows = list(db.session.scalars(
        stmt.options(load_only(ReferralProvider.referral_id, ReferralProvider.provider_id, ReferralProvider.invited,
                               ReferralProvider.declined_at),
                     contains_eager(ReferralProvider.referral)
                     .load_only(Referral.id, Referral.status, Referral.age, Referral.lot_id, Referral.published_at,
                                Referral.response_deadline)
                     .joinedload(Referral.lot))
        .order_by(ReferralProvider.invited_at.desc(), ReferralProvider.referral_id.desc())
        .limit(size).offset((page - 1) * size)))
    return rows, total


def matched_homes(row: ReferralProvider) -> list[Setting]:
    """The provider's own homes that matched, best first (never anyone else's)."""
    if not row.setting_ids:
        return []
    found = {s.id: s for s in db.session.scalars(
        select(Setting).where(Setting.id.in_(row.setting_ids), Setting.provider_id == row.provider_id))}
    return [found[i] for i in row.setting_ids if i in found]


def decline(row: ReferralProvider, actor: User, reason: str | None, text: str | None) -> ReferralProvider:
    """Record the provider's decline with a reason, audited; refused once the referral is no longer open."""
    text = (text or "").strip() or None
    if row.declined_at is not None:
        raise DeclineError("Your organisation has already declined this referral")
    if not is_open(row):
        raise DeclineError("This referral is closed. The response deadline has passed")
    if reason not in DECLINE_REASONS:
        raise DeclineError("Select why you are declining")
    if reason == "other" and not text:
        raise DeclineError("Enter why you are declining")
    if text and len(text) > MAX_DECLINE_TEXT:
        raise DeclineError(f"Reason must be {MAX_DECLINE_TEXT} characters or fewer")
    row.declined_at, row.decline_reason, row.decline_text = utcnow(), reason, text
    record("referral.declined", "referral", row.referral_id, actor=actor, organisation_id=row.provider_id,
           after={"provider_id": row.provider_id, "reason": reason, "text": text})
    return row
