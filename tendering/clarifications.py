"""Clarification questions: invited providers ask until the cut-off; the officer's answer goes to every invited
provider that has not declined, without saying who asked (DESIGN.md "Clarification questions")."""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import or_, select

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User
from portal.core.services import ServiceError
from tendering.distribution import recipients
from tendering.models import Clarification, Referral, ReferralProvider

MAX_TEXT = 2000


class ClarificationError(ServiceError):
    """A question or answer that cannot be accepted; the message is fit to show."""


def cutoff(referral: Referral):
    return referral.clarification_cutoff or referral.response_deadline


def ask_refusal(row: ReferralProvider, now=None) -> str | None:
    """Why the provider may not ask a question now, or None (server clock)."""
    now = now or utcnow()
    referral = row.referral
    if row.declined_at is not None:
        return "Your organisation has declined this referral"
    if referral.status != "published":
        return "This referral is no longer open for questions"
    limit = cutoff(referral)
    if limit is not None and now >= limit:
        return "The deadline for questions has passed"
    return None


def answer_refusal(referral: Referral, now=None) -> str | None:
    """Answers may be published after the cut-off, until the response deadline."""
    now = now or utcnow()
    if referral.status != "published":
        return "This referral is no longer open, so questions can no longer be answered"
    if referral.response_deadline is not None and now >= referral.response_deadline:
        return "The response deadline has passed, so questions can no longer be answered"
    return None


def ask(row: ReferralProvider, actor: User, question: str | None) -> Clarification:
    question = (question or "").strip()
    reason = ask_refusal(row)
    if reason:
        raise ClarificationError(reason)
    if not question:
        raise ClarificationError("Enter your question")
    if len(question) > MAX_TEXT:
        raise ClarificationError(f"Question must be {MAX_TEXT} characters or fewer")
    item = Clarification(referral_id=row.referral_id, provider_id=row.provider_id, asked_by_id=actor.id,
                         question=question, asked_at=utcnow())
    db.session.add(item)
    db.session.flush()
    record("clarification.asked", "clarification", item.id, actor=actor, organisation_id=row.provider_id,
           after={"referral_id": row.referral_id, "provider_id": row.provider_id})
    return item


def _link(referral_id: int) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for("clarifications.provider_questions", referral_id=referral_id)
    with current_app.test_request_context("/"):
        return base + url_for("clarifications.provider_questions", referral_id=referral_id)


def invitees(referral: Referral) -> list[User]:
    """Active provider users of every invited provider that has not declined."""
    provider_ids = db.session.scalars(select(ReferralProvider.provider_id).where(
        ReferralProvider.referral_id == referral.id, ReferralProvider.invited.is_(True),
        ReferralProvider.declined_at.is_(None)))
    return recipients(list(provider_ids))


def answer(item: Clarification, actor: User, text: str | None) -> Clarification:
    """Publish the answer to every invitee (inbox and email), never naming who asked. Audited."""
    text = (text or "").strip()
    locked = db.session.execute(select(Clarification).where(Clarification.id == item.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one()
    reason = answer_refusal(locked.referral)
    if reason:
        raise ClarificationError(reason)
    if locked.answer is not None:
        raise ClarificationError("This question has already been answered")
    if not text:
        raise ClarificationError("Enter an answer")
    if len(text) > MAX_TEXT:
        raise ClarificationError(f"Answer must be {MAX_TEXT} characters or fewer")
    locked.answer, locked.answered_at, locked.answered_by_id = text, utcnow(), actor.id
    users = invitees(locked.referral)
    link = _link(locked.referral_id)
    for user in users:
        notify(user, "clarification_answer", "clarification", locked.id, link=link, referral_id=locked.referral_id,
               question=locked.question, answer=text)
    record("clarification.answered", "clarification", locked.id, actor=actor,
           organisation_id=locked.referral.council_id,
           after={"referral_id": locked.referral_id, "notified_users": len(users)})
    db.session.flush()
    return locked


def published(referral_id: int) -> list[Clarification]:
    """Every answered question for the referral, oldest first (shown to invitees without who asked)."""
    return list(db.session.scalars(select(Clarification).where(
        Clarification.referral_id == referral_id, Clarification.answer.is_not(None))
        .order_by(Clarification.answered_at, Clarification.id)))


def provider_view(row: ReferralProvider) -> list[Clarification]:
    """Published Q&As plus the provider's own unanswered questions."""
    return list(db.session.scalars(select(Clarification).where(
        Clarification.referral_id == row.referral_id,
        or_(Clarification.answer.is_not(None), Clarification.provider_id == row.provider_id))
        .order_by(Clarification.asked_at, Clarification.id)))


def for_officer(referral: Referral) -> list[tuple[Clarification, str]]:
    """Every question with the asking provider's name (the officer may see who asked); unanswered first."""
    return [tuple(r) for r in db.session.execute(
        select(Clarification, Organisation.name).join(Organisation, Organisation.id == Clarification.provider_id)
        .where(Clarification.referral_id == referral.id)
        .order_by(Clarification.answer.is_not(None), Clarification.asked_at, Clarification.id))]


def invitation_context(row: ReferralProvider) -> dict:
    return {"questions": provider_view(row), "ask_refusal": ask_refusal(row)}
