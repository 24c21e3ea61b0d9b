"""Evaluation up to the quality lock (DESIGN.md, "Evaluation — outcomes before price", steps 1–4):
sealed counts, the panel, blind scoring, moderation, locking quality and the referral's audit trail.

Panel members know proposals only by label ("Proposal A"): nothing here hands them a provider, setting or price.
"""
from __future__ import annotations

from decimal import Decimal

from flask import current_app, url_for
from sqlalchemy import or_, select

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import AuditEvent, Organisation, User, UserRole
from portal.core.services import ServiceError
from tendering import scoring
from tendering.lifecycle import transition
from tendering.models import (OUTCOMES, Award, Clarification, ModeratedScore, PanelAssignment, PanelScore, Placement,
                              Proposal, Referral, ReferralProvider)

MIN_PANEL = 2
MAX_REASON = 2000
SCORING_STATUS = "closed"


class EvaluationError(ServiceError):
    """A rule refused the change; the message is fit to show the officer or panel member."""


# --- reading ------------------------------------------------------------------------------------------

def is_sealed(referral: Referral) -> bool:
    """Before the deadline the council sees only how many proposals have arrived."""
    return referral.status in ("draft", "published")


def is_locked(referral: Referral) -> bool:
    return referral.quality_locked_at is not None or referral.status not in ("published", "closed")


def counts(referral: Referral) -> dict[str, int]:
    submitted = len(list(db.session.scalars(select(Proposal.id).where(Proposal.referral_id == referral.id,
                                                                       Proposal.status == "submitted"))))
    declined = len(list(db.session.scalars(select(ReferralProvider.provider_id).where(
        ReferralProvider.referral_id == referral.id, ReferralProvider.declined_at.is_not(None)))))
    return {"submitted": submitted, "declined": declined}


def submitted_proposals(referral: Referral) -> list[Proposal]:
    """Submitted proposals in their blind order (A, B, C…)."""
    rows = db.session.scalars(select(Proposal).where(Proposal.referral_id == referral.id,
                                                     Proposal.status == "submitted"))
    return sorted(rows, key=lambda p: (p.blind_position is None, p.blind_position or 0, p.id))


def proposal_by_label(referral: Referral, label: str) -> Proposal | None:
    return next((p for p in submitted_proposals(referral) if p.label == label), None)


def assignments(referral: Referral) -> list[PanelAssignment]:
    rows = db.session.scalars(select(PanelAssignment).where(PanelAssignment.referral_id == referral.id))
    return sorted(rows, key=lambda a: (a.user.name.lower(), a.user_id))


def assignment_for(user: User, referral_id: int) -> PanelAssignment | None:
    """The user's place on this referral's panel (their own council's referral only), or None."""
    row = db.session.get(PanelAssignment, (referral_id, user.id))
    if row is None or row.referral.council_id != user.organisation_id or row.referral.status == "draft":
        return None
    return row


def my_panels_query(user: User):
    """The user's panels on their council's published referrals, latest deadline first (referral id breaks ties)."""
    return (select(PanelAssignment).join(Referral, Referral.id == PanelAssignment.referral_id)
            .where(PanelAssignment.user_id == user.id, Referral.council_id == user.organisation_id,
                   Referral.status != "draft")
            .order_by(Referral.response_deadline.desc(), Referral.id.desc()))


def my_panels(user: User) -> list[PanelAssignment]:
    return list(db.session.scalars(my_panels_query(user)))


def eligible_members(referral: Referral) -> list[User]:
    """Active users of the referral's council who hold the panel member role."""
    rows = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                              .where(User.organisation_id == referral.council_id, User.status == "active",
                                     UserRole.role == "panel_member").order_by(User.name, User.id))
    return list(dict.fromkeys(rows))


def can_score(referral: Referral) -> bool:
    return referral.status == SCORING_STATUS and referral.quality_locked_at is None


def scores_by(referral: Referral, user_id: int | None = None) -> dict[int, dict[str, dict[int, PanelScore]]]:
    """{proposal_id: {outcome: {user_id: PanelScore}}} for the referral's submitted proposals."""
    ids = [p.id for p in submitted_proposals(referral)]
    result: dict[int, dict[str, dict[int, PanelScore]]] = {pid: {code: {} for code in OUTCOMES} for pid in ids}
    if not ids:
        return result
    stmt = select(PanelScore).where(PanelScore.proposal_id.in_(ids))
    if user_id is not None:
        stmt = stmt.where(PanelScore.user_id == user_id)
    for row in db.session.scalars(stmt):
        result[row.proposal_id][row.outcome][row.user_id] = row
    return result


def member_progress(assignment: PanelAssignment) -> tuple[int, int]:
    """(outcomes scored, outcomes to score) across every submitted proposal."""
    matrix = scores_by(assignment.referral, assignment.user_id)
    done = sum(1 for outcomes in matrix.values() for by_user in outcomes.values() if by_user)
    return done, len(matrix) * len(OUTCOMES)


def all_submitted(referral: Referral) -> bool:
    rows = assignments(referral)
    return len(rows) >= MIN_PANEL and all(a.submitted_at is not None for a in rows)


def moderated_by_proposal(referral: Referral) -> dict[int, dict[str, ModeratedScore]]:
    ids = [p.id for p in submitted_proposals(referral)]
    result: dict[int, dict[str, ModeratedScore]] = {pid: {} for pid in ids}
    if ids:
        for row in db.session.scalars(select(ModeratedScore).where(ModeratedScore.proposal_id.in_(ids))):
            result[row.proposal_id][row.outcome] = row
    return result


def disagreements(referral: Referral) -> dict[int, set[str]]:
    """The outcomes of each proposal where assigned panel members' scores are 2 or more points apart."""
    members = {a.user_id for a in assignments(referral)}
    return {pid: {code for code, by_user in outcomes.items()
                  if scoring.disagreement(s.score for uid, s in by_user.items() if uid in members)}
            for pid, outcomes in scores_by(referral).items()}


# --- the panel ----------------------------------------------------------------------------------------

def _clean_reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise EvaluationError(f"Enter a reason for the score for {what}")
    if len(text) > MAX_REASON:
        raise EvaluationError(f"The reason for {what} must be {MAX_REASON} characters or fewer")
    return text


def set_panel(referral: Referral, user_ids: list[int], actor: User) -> list[User]:
    """Replace the panel; audited. Returns the members newly assigned (each is notified)."""
    if is_locked(referral):
        raise EvaluationError("Quality has been locked, so the panel can no longer change")
    eligible = {u.id: u for u in eligible_members(referral)}
    chosen = list(dict.fromkeys(int(i) for i in user_ids))
    if any(i not in eligible for i in chosen):
        raise EvaluationError("Select only panel members from your council")
    if len(chosen) < MIN_PANEL:
        raise EvaluationError(f"Select at least {MIN_PANEL} panel members")
    current = {a.user_id: a for a in assignments(referral)}
    added = [eligible[i] for i in chosen if i not in current]
    for uid, row in current.items():
        if uid not in chosen:
            record("referral.panel_member_removed", "referral", referral.id, actor=actor,
                   organisation_id=referral.council_id, before={"user_id": uid, "name": row.user.name})
            db.session.delete(row)
    for member in added:
        db.session.add(PanelAssignment(referral_id=referral.id, user_id=member.id, assigned_by_id=actor.id))
        record("referral.panel_member_assigned", "referral", referral.id, actor=actor,
               organisation_id=referral.council_id, after={"user_id": member.id, "name": member.name})
    db.session.flush()
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("panel.referral", referral_id=referral.id)
    for member in added:
        notify(member, "panel_assigned", "referral", referral.id, link=link, referral_id=referral.id,
               deadline=referral.response_deadline)
    return added


def save_scores(assignment: PanelAssignment, proposal: Proposal, values: dict[str, tuple[int, str]],
                actor: User) -> int:
    """Save (or change) the member's scores for some outcomes of one proposal; returns how many were saved."""
    referral = assignment.referral
    if not can_score(referral):
        raise EvaluationError("Scoring is not open for this referral" if referral.quality_locked_at is None
                              else "Quality has been locked, so scores can no longer change")
    if assignment.submitted_at is not None:
        raise EvaluationError("You have submitted your scores, so they are final")
    if proposal.referral_id != referral.id or proposal.status != "submitted":
        raise EvaluationError("That proposal is not part of this evaluation")
    existing = scores_by(referral, assignment.user_id)[proposal.id]
    for code, (score, reason) in values.items():
        if code not in OUTCOMES or score not in range(5):
            raise EvaluationError("Select a score from 0 to 4")
        reason = _clean_reason(reason, OUTCOMES[code])
        row = existing[code].get(assignment.user_id)
        before = {"score": row.score} if row else None
        if row is None:
            db.session.add(PanelScore(proposal_id=proposal.id, user_id=assignment.user_id, outcome=code,
                                      score=score, reason=reason))
        elif (row.score, row.reason) != (score, reason):
            row.score, row.reason = score, reason
        else:
            continue
        record("proposal.panel_score_saved", "proposal", proposal.id, actor=actor,
               organisation_id=referral.council_id, before=before,
               after={"label": proposal.label, "outcome": code, "score": score})
    db.session.flush()
    return len(values)


def submit_scores(assignment: PanelAssignment, actor: User) -> PanelAssignment:
    referral = assignment.referral
    if not can_score(referral):
        raise EvaluationError("Scoring is not open for this referral")
    if assignment.submitted_at is not None:
        raise EvaluationError("You have already submitted your scores")
    done, total = member_progress(assignment)
    if total == 0 or done < total:
        raise EvaluationError("Score every outcome of every proposal before you submit")
    assignment.submitted_at = utcnow()
    record("referral.panel_scores_submitted", "referral", referral.id, actor=actor,
           organisation_id=referral.council_id, after={"user_id": assignment.user_id, "scores": done})
    return assignment


# --- moderation and the lock ----------------------------------------------------------------------------

def moderation_refusal(referral: Referral) -> str | None:
    if referral.quality_locked_at is not None:
        return "Quality has been locked, so moderated scores can no longer change"
    if referral.status in ("draft", "published"):
        return "Moderation opens after the response deadline"
    if referral.status != "closed":
        return "This referral is no longer being evaluated"
    if len(assignments(referral)) < MIN_PANEL:
        return f"Assign at least {MIN_PANEL} panel members first"
    if not all_submitted(referral):
        return "Moderation opens when every panel member has submitted their scores"
    return None


def moderate(referral: Referral, proposal: Proposal, values: dict[str, tuple[int, str]], actor: User) -> None:
    """Record one moderated score and reason per outcome for a proposal; audited."""
    refusal = moderation_refusal(referral)
    if refusal:
        raise EvaluationError(refusal)
    if proposal.referral_id != referral.id or proposal.status != "submitted":
        raise EvaluationError("That proposal is not part of this evaluation")
    if set(values) != set(OUTCOMES) or any(s not in range(5) for s, _ in values.values()):
        raise EvaluationError("Select a moderated score from 0 to 4 for every outcome")
    cleaned = {code: (score, _clean_reason(reason, OUTCOMES[code])) for code, (score, reason) in values.items()}
    existing = moderated_by_proposal(referral)[proposal.id]
    before = {code: row.score for code, row in existing.items()} or None
    for code, (score, reason) in cleaned.items():
        row = existing.get(code)
        if row is None:
            db.session.add(ModeratedScore(proposal_id=proposal.id, outcome=code, score=score, reason=reason,
                                          moderated_by_id=actor.id))
        else:
            row.score, row.reason, row.moderated_by_id = score, reason, actor.id
    record("proposal.moderated", "proposal", proposal.id, actor=actor, organisation_id=referral.council_id,
           before=before, after={"label": proposal.label, **{code: s for code, (s, _) in cleaned.items()}})
    db.session.flush()


def lock_problems(referral: Referral) -> list[str]:
    refusal = moderation_refusal(referral)
    if refusal:
        return [refusal]
    moderated = moderated_by_proposal(referral)
    problems = [f"Record moderated scores for Proposal {p.label}" for p in submitted_proposals(referral)
                if set(moderated[p.id]) != set(OUTCOMES)]
    if not moderated:
        problems.append("No proposals were submitted: end the referral as having no suitable proposal instead")
    return problems


def lock_quality(referral: Referral, actor: User) -> list[dict]:
    """Irreversibly lock quality in the caller's transaction: quality % and suitability from moderated scores,
    then quality_evaluated (or no_suitable_proposal when none is suitable). Returns the per-proposal results."""
    locked = db.session.execute(select(Referral).where(Referral.id == referral.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    problems = lock_problems(locked)
    if problems:
        raise EvaluationError(problems[0])
    moderated = moderated_by_proposal(locked)
    results = []
    for proposal in submitted_proposals(locked):
        values = {code: row.score for code, row in moderated[proposal.id].items()}
        quality = scoring.quality_percent(values, locked.outcome_weights)
        suitable = scoring.is_suitable(values, locked.outcome_weights, locked.min_outcome_score,
                                       locked.quality_threshold)
        proposal.quality_percent, proposal.suitable = quality, suitable
        results.append({"label": proposal.label, "quality_percent": str(quality), "suitable": suitable})
    if any(r["suitable"] for r in results):
        transition(locked, "quality_evaluated", actor)
    else:
        locked.quality_locked_at = utcnow()
        transition(locked, "no_suitable_proposal", actor, reason="No proposal met the quality threshold")
    record("referral.quality_locked", "referral", locked.id, actor=actor, organisation_id=locked.council_id,
           after={"proposals": results, "min_outcome_score": locked.min_outcome_score,
                  "quality_threshold": locked.quality_threshold})
    db.session.flush()
    return results


def end_without_proposals(referral: Referral, actor: User) -> None:
    if referral.status != "closed" or submitted_proposals(referral):
        raise EvaluationError("Only a closed referral with no proposals can be ended this way")
    transition(referral, "no_suitable_proposal", actor, reason="No proposals were submitted")


# --- the audit trail ------------------------------------------------------------------------------------

def audit_query(referral: Referral):
    """audit_trail() as a statement, oldest first (id as the tie-breaker), for a page of it."""
    def ids(model, *where) -> list[str]:
        return [str(i) for i in db.session.scalars(select(model.id).where(model.referral_id == referral.id, *where))]

    objects = {"proposal": ids(Proposal), "clarification": ids(Clarification), "award": ids(Award),
               "placement": ids(Placement)}
    conditions = [(AuditEvent.object_type == "referral") & (AuditEvent.object_id == str(referral.id))]
    conditions += [(AuditEvent.object_type == kind) & AuditEvent.object_id.in_(values)
                   for kind, values in objects.items() if values]
    return select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.occurred_at, AuditEvent.id)


def audit_trail(referral: Referral) -> list[AuditEvent]:
    """Every audit event for the referral and its proposals, clarifications, awards and placements."""
    return list(db.session.scalars(audit_query(referral)))


SEALED_KEYS = {"status", "revision", "id", "proposal_id", "referral_id"}


def describe(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {describe(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(describe(v) for v in value) if value else "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else str(value)


def audit_rows(referral: Referral, events: list[AuditEvent] | None = None) -> list[dict]:
    """The trail (or these events of it: one page) ready to show: while proposals are sealed, proposal events
    show only status and revision."""
    sealed = is_sealed(referral)
    users = {}
    rows = []
    for event in audit_trail(referral) if events is None else events:
        actor = users.get(event.actor_id) if event.actor_id in users else \
            users.setdefault(event.actor_id, db.session.get(User, event.actor_id) if event.actor_id else None)
        before, after = event.before or {}, event.after or {}
        hide = sealed and event.object_type == "proposal"
        if hide:
            before = {k: v for k, v in before.items() if k in SEALED_KEYS}
            after = {k: v for k, v in after.items() if k in SEALED_KEYS}
        org = db.session.get(Organisation, event.organisation_id) if event.organisation_id else None
        rows.append({"event": event, "what": event.action.replace(".", ": ").replace("_", " ").capitalize(),
                     "object": f"{event.object_type.replace('_', ' ')} {'' if hide else event.object_id}".strip(),
                     "who": "A provider" if hide else (actor.name if actor else "Homefinder (automatic)"),
                     "organisation": "" if hide else (org.name if org else ""),
                     "before": describe(before), "after": describe(after)})
    return rows
