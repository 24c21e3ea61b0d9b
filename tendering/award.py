"""After the quality lock (DESIGN.md, "Evaluation" steps 4–6): reveal prices for suitable proposals only,
rank them, award one, and tell every provider the outcome.

Unsuitable proposals' prices are never computed, stored on the evaluation columns or shown. An unsuccessful
provider is told its own moderated scores and the winning scores, never the winner's name, home or price.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.core import db
from portal.core.audit import record
from portal.core.mail import notify
from portal.core.models import PROVIDER_ROLES, User
from portal.core.services import ServiceError
from tendering import scoring
from tendering.lifecycle import transition
from tendering.models import OUTCOMES, Award, ModeratedScore, Proposal, Referral, ReferralProvider

MAX_REASON = 4000
ALREADY_AWARDED = "This referral has already been awarded"


class AwardError(ServiceError):
    """A reveal or award the rules refuse; the message is fit to show the officer."""


@dataclass
class MatrixRow:
    """One submitted proposal on the results matrix. Price figures are None unless suitable and revealed."""

    proposal: Proposal
    scores: dict[str, int | None] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.proposal.label or str(self.proposal.id)

    @property
    def priced(self) -> bool:
        return bool(self.proposal.suitable) and self.proposal.weekly_cost_pence is not None


def external(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def submitted(referral: Referral) -> list[Proposal]:
    """The referral's submitted proposals, each with its provider and home loaded (the matrix names them)."""
    return list(db.session.scalars(
        select(Proposal).where(Proposal.referral_id == referral.id, Proposal.status == "submitted")
        .options(selectinload(Proposal.provider), selectinload(Proposal.setting))
        .order_by(Proposal.blind_position, Proposal.id)))


def moderated_scores(proposal_ids: list[int]) -> dict[int, dict[str, ModeratedScore]]:
    found: dict[int, dict[str, ModeratedScore]] = {pid: {} for pid in proposal_ids}
    if proposal_ids:
        for row in db.session.scalars(select(ModeratedScore).where(ModeratedScore.proposal_id.in_(proposal_ids))):
            found[row.proposal_id][row.outcome] = row
    return found


def matrix(referral: Referral) -> list[MatrixRow]:
    """Every submitted proposal with its moderated scores: ranked suitable ones first once prices are revealed."""
    proposals = submitted(referral)
    scores = moderated_scores([p.id for p in proposals])
    rows = [MatrixRow(p, {code: scores[p.id][code].score if code in scores[p.id] else None for code in OUTCOMES},
                      {code: scores[p.id][code].reason for code in OUTCOMES if code in scores[p.id]})
            for p in proposals]
    return sorted(rows, key=lambda r: (r.proposal.rank is None, r.proposal.rank or 0, not r.proposal.suitable,
                                       r.proposal.blind_position if r.proposal.blind_position is not None else 10**6,
                                       r.proposal.id))


def revealed(referral: Referral) -> bool:
    return referral.price_revealed_at is not None


def active_award(referral: Referral) -> Award | None:
    return db.session.scalar(select(Award).where(Award.referral_id == referral.id, Award.status == "active"))


def _locked(referral: Referral) -> Referral:
    return db.session.execute(select(Referral).where(Referral.id == referral.id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()


def reveal_prices(referral: Referral, actor: User) -> list[Proposal]:
    """Compute weekly cost, price score, final score and rank for suitable proposals only, then move the
    referral to price_evaluated (or no_suitable_proposal when none is suitable). Returns them ranked."""
    referral = _locked(referral)
    if referral.status != "quality_evaluated":
        raise AwardError("Prices can only be revealed once quality is locked, and only once")
    proposals = submitted(referral)
    rows = [scoring.Priced(key=p, quality=Decimal(str(p.quality_percent)),
                           weekly_cost_pence=scoring.weekly_cost_pence(p.weekly_core_fee_pence, p.services))
            for p in proposals if p.suitable and p.quality_percent is not None]
    ranked = scoring.rank(rows, referral.price_method, referral.quality_weight)
    for row in ranked:
        row.key.weekly_cost_pence, row.key.price_score = row.weekly_cost_pence, row.price_score
        row.key.final_score, row.key.rank = row.final_score, row.rank
    for p in proposals:
        if not (p.suitable and p.quality_percent is not None):
            p.weekly_cost_pence = p.price_score = p.final_score = p.rank = None
    record("referral.prices_revealed", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"method": referral.price_method, "quality_weight": referral.quality_weight,
                  "ranked": [{"proposal_id": r.key.id, "weekly_cost_pence": r.weekly_cost_pence,
                              "final_score": str(r.final_score), "rank": r.rank} for r in ranked]})
    if ranked:
        transition(referral, "price_evaluated", actor)
    else:
        transition(referral, "no_suitable_proposal", actor, reason="No proposal was suitable")
    db.session.flush()
    return [r.key for r in ranked]


def award(referral: Referral, proposal_id: int | None, reason: str | None, actor: User) -> Award:
    """Award a suitable, ranked proposal. Choosing any but rank 1 needs a reason. One active award per
    referral (a partial unique index): a second, concurrent award fails with ALREADY_AWARDED."""
    from tendering import placements

    reason = (reason or "").strip() or None
    if referral.status in ("awarded", "placed") or active_award(referral) is not None:
        raise AwardError(ALREADY_AWARDED)
    if referral.status != "price_evaluated":
        raise AwardError("A referral can only be awarded after prices are revealed")
    proposal = db.session.get(Proposal, proposal_id) if proposal_id else None
    if proposal is None or proposal.referral_id != referral.id or proposal.status != "submitted" \
            or not proposal.suitable or proposal.rank is None:
        raise AwardError("Select a suitable proposal to award")
    if proposal.rank != 1 and not reason:
        raise AwardError("Enter why you are not awarding the top-ranked proposal")
    if reason and len(reason) > MAX_REASON:
        raise AwardError(f"Reason must be {MAX_REASON} characters or fewer")
    obj = Award(referral_id=referral.id, proposal_id=proposal.id, kind="competition", provider_id=proposal.provider_id,
                setting_id=proposal.setting_id, weekly_cost_pence=proposal.weekly_cost_pence, reason=reason,
                awarded_by_id=actor.id)
    db.session.add(obj)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AwardError(ALREADY_AWARDED) from None
    transition(referral, "awarded", actor, reason=reason)
    placement = placements.from_award(obj, proposal)
    record("award.created", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"award_id": obj.id, "proposal_id": proposal.id, "provider_id": proposal.provider_id,
                  "setting_id": proposal.setting_id, "rank": proposal.rank,
                  "weekly_cost_pence": proposal.weekly_cost_pence, "reason": reason, "placement_id": placement.id})
    send_notices(referral, obj, proposal)
    return obj


# --- notices --------------------------------------------------------------------------------------

def provider_users(provider_id: int) -> list[User]:
    users = db.session.scalars(select(User).where(User.organisation_id == provider_id, User.status == "active")
                               .order_by(User.id))
    return [u for u in users if u.roles & PROVIDER_ROLES]


def score_lines(own: dict[str, ModeratedScore], winning: dict[str, ModeratedScore]) -> list[dict]:
    """Per outcome: its label, this provider's moderated score and reason, and the winning score."""
    return [{"outcome": label, "score": own[code].score if code in own else None,
             "reason": own[code].reason if code in own else "",
             "winning": winning[code].score if code in winning else None} for code, label in OUTCOMES.items()]


def send_notices(referral: Referral, obj: Award, winner: Proposal) -> None:
    """Winner: successful. Every other provider with a submitted proposal: its own and the winning scores.
    Invited providers who declined or never proposed: the referral has closed."""
    link = external("award.outcome", referral_id=referral.id)
    proposals = submitted(referral)
    scores = moderated_scores([p.id for p in proposals])
    for user in provider_users(winner.provider_id):
        notify(user, "award_winner", "referral", referral.id, link=link, referral_id=referral.id,
               start_date=winner.start_date, weekly_cost_pence=obj.weekly_cost_pence)
    proposed = {p.provider_id for p in proposals}
    for p in proposals:
        if p.provider_id == winner.provider_id:
            continue
        lines = score_lines(scores[p.id], scores[winner.id])
        for user in provider_users(p.provider_id):
            notify(user, "award_unsuccessful", "referral", referral.id, link=link, referral_id=referral.id,
                   lines=lines, suitable=bool(p.suitable))
    invited = db.session.scalars(select(ReferralProvider).where(ReferralProvider.referral_id == referral.id,
                                                                ReferralProvider.invited.is_(True)))
    for row in invited:
        if row.provider_id in proposed:
            continue
        for user in provider_users(row.provider_id):
            notify(user, "referral_closed", "referral", referral.id, link=link, referral_id=referral.id)


# --- the provider's outcome page ------------------------------------------------------------------

@dataclass
class Outcome:
    state: str  # pending, successful, unsuccessful, closed, cancelled, ended
    proposal: Proposal | None = None
    award: Award | None = None
    lines: list[dict] = field(default_factory=list)
    placement: object | None = None


def outcome_for(row: ReferralProvider) -> Outcome:
    """What this provider may know of the outcome: never another provider's identity or price."""
    from tendering.models import Placement

    referral = row.referral
    proposal = db.session.scalar(select(Proposal).where(Proposal.referral_id == referral.id,
                                                        Proposal.provider_id == row.provider_id,
                                                        Proposal.status == "submitted"))
    if referral.status == "cancelled":
        return Outcome("cancelled", proposal)
    obj = active_award(referral)
    if obj is None:
        return Outcome("ended" if referral.status == "no_suitable_proposal" else "pending", proposal)
    if obj.kind != "competition":
        return Outcome("ended", proposal)
    if proposal is None:
        return Outcome("closed")
    if proposal.id == obj.proposal_id:
        placement = db.session.scalar(select(Placement).where(Placement.award_id == obj.id))
        return Outcome("successful", proposal, obj, placement=placement)
    scores = moderated_scores([proposal.id, obj.proposal_id])
    return Outcome("unsuccessful", proposal, lines=score_lines(scores[proposal.id], scores[obj.proposal_id]))
