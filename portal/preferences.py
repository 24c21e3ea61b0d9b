"""A provider's referral preferences: which lots, ages and needs it wants referrals for.

`accepts()` is the pure rule the matching engine calls; `save_preferences()` is the audited upsert
the preferences page calls (then db.commit()).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.audit import record
from portal.core.models import User
from portal.core.services import ServiceError
from portal.models import LOT_KINDS, Need, ReferralPreference

MAX_AGE = 25


def accepts(pref: ReferralPreference | None, lot_kind: str, age: int, need_codes: set[str]) -> bool:
    """Would this provider take a referral for this lot, a child of this age with these needs?

    No preference row: yes to everything. An empty lot list or need list means any lot or any need;
    otherwise the lot must be one of theirs and every one of the child's needs one they take.
    """
    if pref is None:
        return True
    if pref.lot_kinds and lot_kind not in pref.lot_kinds:
        return False
    if not pref.min_age <= age <= pref.max_age:
        return False
    if pref.need_codes and not set(need_codes) <= set(pref.need_codes):
        return False
    return True


def preference_for(provider_id: int) -> ReferralPreference | None:
    return db.session.get(ReferralPreference, provider_id)


def _snapshot(pref: ReferralPreference | None) -> dict | None:
    if pref is None:
        return None
    return {"lot_kinds": sorted(pref.lot_kinds or []), "min_age": pref.min_age, "max_age": pref.max_age,
            "need_codes": sorted(pref.need_codes or [])}


def save_preferences(actor: User, lot_kinds: Iterable[str], min_age: int, max_age: int,
                     need_codes: Iterable[str]) -> ReferralPreference:
    """Create or replace the actor's organisation's preferences (one row per provider), audited."""
    org = actor.organisation
    if not org.is_provider:
        raise ServiceError("Only providers have referral preferences")
    lots = sorted(set(lot_kinds))
    needs = sorted(set(need_codes))
    if not lots or set(lots) - set(LOT_KINDS):
        raise ServiceError("Select kinds of placement from the list")
    if not (0 <= min_age <= MAX_AGE and 0 <= max_age <= MAX_AGE and min_age <= max_age):
        raise ServiceError(f"Ages must be between 0 and {MAX_AGE}, youngest first")
    known = set(db.session.scalars(select(Need.code).where(Need.code.in_(needs)))) if needs else set()
    if known != set(needs):
        raise ServiceError("Select needs from the list")
    pref = preference_for(org.id)
    before = _snapshot(pref)
    if pref is None:
        pref = ReferralPreference(provider_id=org.id)
        db.session.add(pref)
    pref.lot_kinds, pref.min_age, pref.max_age, pref.need_codes = lots, min_age, max_age, needs
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another admin created the row a moment ago
        raise ServiceError("Someone else in your organisation saved preferences at the same time. "
                           "Check them and try again") from None
    after = _snapshot(pref)
    if after != before:
        record("referral_preference.saved", "organisation", org.id, before=before, after=after, actor=actor,
               organisation_id=org.id)
    return pref
