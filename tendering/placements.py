"""Placements (DESIGN.md, "Placement") and the officer's other ways a referral ends: the child moved in,
a re-run with wider criteria or a spot purchase after no suitable proposal, and cancelling."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User
from portal.documents import london_today
from portal.geography import distance_miles
from portal.models import Setting
from tendering import scoring
from tendering.award import ALREADY_AWARDED, AwardError, active_award, external, provider_users
from tendering.lifecycle import transition
from tendering.models import Award, Placement, Proposal, Referral, ReferralNeed, ReferralProvider

MAX_TEXT = 4000
# Copied to a re-run: everything the officer wrote, except what belongs to the first run's timeline.
COPIED = ("council_id", "dps_id", "lot_id", "age", "sex", "legal_status", "group_size", "cultural_needs",
          "religious_needs", "language_needs", "education_status", "education_notes", "outcome_be_healthy",
          "outcome_stay_safe", "outcome_enjoy_and_achieve", "outcome_positive_contribution",
          "outcome_economic_wellbeing", "what_matters", "preferred_district", "max_distance_miles",
          "emergency", "start_date", "expected_duration", "min_outcome_score", "quality_threshold",
          "price_method", "quality_weight", "case_reference", "budget_ceiling_pence", "internal_notes",
          "home_district")


def placement_for(referral: Referral) -> Placement | None:
    return db.session.scalar(select(Placement).where(Placement.referral_id == referral.id))


def _where(referral: Referral, setting: Setting) -> tuple[float | None, bool | None]:
    home = referral.home_district or referral.preferred_district
    miles = distance_miles(home, setting.district) if home and setting.district else None
    area = referral.council.area_districts or []
    inside = (setting.district in area) if area else None
    return (round(miles, 1) if miles is not None else None), inside


def _make(obj: Award, referral: Referral, setting: Setting, start_date: date, core_fee_pence: int,
          services: list[dict], spot: bool) -> Placement:
    miles, inside = _where(referral, setting)
    placement = Placement(award_id=obj.id, referral_id=referral.id, council_id=referral.council_id,
                          provider_id=obj.provider_id, setting_id=setting.id, case_reference=referral.case_reference,
                          start_date=start_date, weekly_core_fee_pence=core_fee_pence, additional_services=services,
                          weekly_cost_pence=obj.weekly_cost_pence, distance_miles=miles, inside_council=inside,
                          spot_purchase=spot)
    db.session.add(placement)
    db.session.flush()
    return placement


def from_award(obj: Award, proposal: Proposal) -> Placement:
    """The placement an award makes: the proposal's start date, fee and additional services, as agreed."""
    services = [{"description": s.description, "unit": s.unit, "unit_price_pence": s.unit_price_pence,
                 "quantity_per_week": float(s.quantity_per_week), "weeks": s.weeks,
                 "per_week_pence": scoring.service_per_week_pence(s.unit_price_pence, s.quantity_per_week)}
                for s in proposal.services]
    referral = obj.referral or db.session.get(Referral, obj.referral_id)
    start = proposal.start_date or referral.start_date or utcnow().date()
    return _make(obj, referral, proposal.setting, start, proposal.weekly_core_fee_pence, services, False)


def record_moved_in(referral: Referral, actor: User, actual_start: date | None = None) -> Placement:
    placement = placement_for(referral)
    if referral.status != "awarded" or placement is None:
        raise AwardError("You can only record a move for an awarded referral")
    if actual_start is not None:
        if placement.end_date is not None and actual_start > placement.end_date:
            raise AwardError("Start date must be on or before the end date")
        placement.start_date = actual_start
    placement.moved_in_at = utcnow()
    transition(referral, "placed", actor)
    record("placement.moved_in", "placement", placement.id, actor=actor, organisation_id=referral.council_id,
           after={"referral_id": referral.id, "start_date": placement.start_date.isoformat()})
    return placement


def record_ending(referral: Referral, actor: User, end_date: date | None, planned: bool | None) -> Placement:
    """The child has left the home: the placement's end date and whether the ending was planned (DESIGN.md,
    Placement). Recorded once, on or after the start date and not in the future; audited. The referral stays
    placed; the dashboards count the placement as ended from then on."""
    placement = placement_for(referral)
    if referral.status != "placed" or placement is None:
        raise AwardError("You can only record the end of a placement the child has moved into")
    if placement.end_date is not None:
        raise AwardError("The end of this placement has already been recorded")
    if end_date is None:
        raise AwardError("Enter the date the placement ended")
    if planned is None:
        raise AwardError("Select whether the ending was planned")
    if end_date < placement.start_date:
        raise AwardError(f"Date the placement ended must be on or after the start date, "
                         f"{placement.start_date.day} {placement.start_date:%B %Y}")
    if end_date > london_today():
        raise AwardError("Date the placement ended must be today or in the past")
    placement.end_date, placement.ended_planned = end_date, planned
    record("placement.ended", "placement", placement.id, actor=actor, organisation_id=referral.council_id,
           before={"end_date": None, "ended_planned": None},
           after={"referral_id": referral.id, "end_date": end_date.isoformat(), "ended_planned": planned})
    return placement


def rerun_of(referral: Referral) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.rerun_of_id == referral.id).order_by(Referral.id))


def rerun(referral: Referral, actor: User) -> Referral:
    """Copy a referral that found no suitable proposal as a new draft, so the officer can widen its criteria."""
    if referral.status != "no_suitable_proposal":
        raise AwardError("Only a referral with no suitable proposal can be re-run")
    existing = rerun_of(referral)
    if existing is not None:
        raise AwardError(f"This referral has already been re-run as referral {existing.id}")
    copy = Referral(status="draft", created_by_id=actor.id, rerun_of_id=referral.id,
                    avoid_districts=list(referral.avoid_districts or []),
                    outcome_weights=dict(referral.outcome_weights or {}),
                    **{name: getattr(referral, name) for name in COPIED})
    db.session.add(copy)
    db.session.flush()
    for need in referral.needs:
        db.session.add(ReferralNeed(referral_id=copy.id, need_code=need.need_code, severity=need.severity,
                                    essential=need.essential))
    record("referral.created", "referral", copy.id, actor=actor, organisation_id=referral.council_id,
           after={"rerun_of_id": referral.id})
    record("referral.rerun", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"new_referral_id": copy.id})
    db.session.flush()
    return copy


def spot_settings() -> list[Setting]:
    """Homes an officer may record a spot purchase with: every open home of a provider organisation."""
    return list(db.session.scalars(
        select(Setting).join(Organisation, Organisation.id == Setting.provider_id)
        .where(Organisation.kind == "provider", Setting.status == "open").order_by(Organisation.name, Setting.name)))


def spot_purchase(referral: Referral, actor: User, setting_id: int | None, weekly_cost_pence: int | None,
                  start_date: date | None, rationale: str | None) -> Award:
    """After no suitable proposal: record a spot purchase (with its written rationale) and the placement."""
    rationale = (rationale or "").strip()
    if referral.status != "no_suitable_proposal":
        raise AwardError("A spot purchase can only be recorded when no proposal was suitable")
    if active_award(referral) is not None:
        raise AwardError(ALREADY_AWARDED)
    setting = db.session.get(Setting, setting_id) if setting_id else None
    if setting is None or setting not in spot_settings():
        raise AwardError("Select the provider and home")
    if not weekly_cost_pence or weekly_cost_pence <= 0:
        raise AwardError("Weekly cost must be more than £0")
    if start_date is None:
        raise AwardError("Enter the start date")
    if not rationale:
        raise AwardError("Enter the rationale for the spot purchase")
    if len(rationale) > MAX_TEXT:
        raise AwardError(f"Rationale must be {MAX_TEXT} characters or fewer")
    obj = Award(referral_id=referral.id, kind="spot_purchase", provider_id=setting.provider_id, setting_id=setting.id,
                weekly_cost_pence=weekly_cost_pence, reason=rationale, awarded_by_id=actor.id)
    db.session.add(obj)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AwardError(ALREADY_AWARDED) from None
    placement = _make(obj, referral, setting, start_date, weekly_cost_pence, [], True)
    record("referral.spot_purchase", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"award_id": obj.id, "provider_id": setting.provider_id, "setting_id": setting.id,
                  "weekly_cost_pence": weekly_cost_pence, "rationale": rationale, "placement_id": placement.id})
    transition(referral, "placed", actor, reason="Spot purchase")
    return obj


def is_spot_purchase(referral: Referral) -> bool:
    if referral.status != "placed":
        return False
    obj = active_award(referral)
    return obj is not None and obj.kind == "spot_purchase"


def spot_purchase_ids(referral_ids: list[int]) -> set[int]:
    """Of these placed referrals, those whose active award is a spot purchase (is_spot_purchase, one query)."""
    if not referral_ids:
        return set()
    return set(db.session.scalars(select(Award.referral_id).where(
        Award.referral_id.in_(referral_ids), Award.status == "active", Award.kind == "spot_purchase")))


def cancel(referral: Referral, actor: User, reason: str | None) -> Referral:
    """Cancel a published or closed referral, with a reason, and tell every invited provider."""
    reason = (reason or "").strip()
    if referral.status not in ("published", "closed"):
        raise AwardError("Only a referral that is open for proposals or closed can be cancelled")
    if not reason:
        raise AwardError("Enter why you are cancelling this referral")
    if len(reason) > MAX_TEXT:
        raise AwardError(f"Reason must be {MAX_TEXT} characters or fewer")
    transition(referral, "cancelled", actor, reason=reason)
    link = external("award.outcome", referral_id=referral.id)
    for row in db.session.scalars(select(ReferralProvider).where(ReferralProvider.referral_id == referral.id,
                                                                 ReferralProvider.invited.is_(True))):
        for user in provider_users(row.provider_id):
            notify(user, "referral_cancelled", "referral", referral.id, link=link, referral_id=referral.id)
    return referral
