"""Feedback from children, carers and professionals: one-time links, responses and comment moderation.

A link is a random token sent by email; only its SHA-256 is stored. It expires after LINK_DAYS and
works once: the response, its scores and the request's used_at are written in one transaction, and
FeedbackResponse.request_id is unique, so a double submit cannot make two responses.

Every comment is scanned by the tendering anonymiser and held back (status "pending") until a QA
officer approves it (refused while findings remain), redacts it (the new text must scan clean) or
rejects it. Only comment_shown is ever shown to anyone else.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import queue_email
from portal.core.models import User
from portal.core.services import ServiceError
from quality.models import RESPONDENT_TYPES, FeedbackRequest, FeedbackResponse, FeedbackScore
from quality.themes import THEMES
from tendering.anonymiser import scan
from tendering.models import Placement

LINK_DAYS = 28
MAX_COMMENT = 2000
SENDERS = ("qa_officer", "placements_officer")
MODERATION: dict[str, frozenset[str]] = {  # the comment lifecycle: only a pending comment is moderated
    "none": frozenset(),
    "pending": frozenset({"approved", "redacted", "rejected"}),
    "approved": frozenset(),
    "redacted": frozenset(),
    "rejected": frozenset(),
}
COMMENT_LABELS = {"none": "No comment", "pending": "Waiting for moderation", "approved": "Approved",
                  "redacted": "Redacted", "rejected": "Rejected"}
COMMENT_TAGS = {"none": "govuk-tag--grey", "pending": "govuk-tag--yellow", "approved": "govuk-tag--green",
                "redacted": "govuk-tag--blue", "rejected": "govuk-tag--red"}


class FeedbackError(ServiceError):
    """A rule refused the change; nothing was written."""


class LinkUnusable(FeedbackError):
    """The link is unknown, expired or already used: `reason` is 'invalid', 'expired' or 'used'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _external(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


# --- links --------------------------------------------------------------------------------------------

def may_send(user: User, placement: Placement) -> bool:
    return placement.council_id == user.organisation_id and user.has_role(*SENDERS)


def send_request(actor: User, placement: Placement, respondent_type: str, email: str) -> tuple[FeedbackRequest, str]:
    """Create a one-time link and queue the email (no inbox: the respondent has no account)."""
    if not may_send(actor, placement):
        raise FeedbackError("Only a QA officer or placements officer of the placing council can ask for feedback")
    if respondent_type not in RESPONDENT_TYPES:
        raise FeedbackError("Select who you are asking")
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254:
        raise FeedbackError("Enter an email address in the correct format, like name@example.com")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    request = FeedbackRequest(placement_id=placement.id, respondent_type=respondent_type, token_hash=hash_token(token),
                              sent_to=email, created_by_id=actor.id, created_at=now,
                              expires_at=now + timedelta(days=LINK_DAYS))
    db.session.add(request)
    db.session.flush()
    queue_email(email, "feedback_request", f"feedback_request:{request.id}", child=respondent_type == "child",
                link=_external("feedback.respond", token=token), expires_at=request.expires_at,
                council=placement.council.name)
    record("feedback.requested", "feedback_request", request.id, actor=actor, organisation_id=placement.council_id,
           after={"placement_id": placement.id, "respondent_type": respondent_type})
    return request, token


def open_request(token: str) -> FeedbackRequest:
    """The request a token opens, or LinkUnusable saying why not."""
    request = db.session.scalar(select(FeedbackRequest).where(FeedbackRequest.token_hash == hash_token(token or "")))
    if request is None:
        raise LinkUnusable("invalid")
    if request.used_at is not None:
        raise LinkUnusable("used")
    if request.expires_at <= utcnow():
        raise LinkUnusable("expired")
    return request


def submit_response(token: str, scores: dict[str, int], comment: str | None) -> FeedbackResponse:
    """Write the response, its scores and used_at together. The caller commits; IntegrityError on commit
    (two submits racing) is handled by commit_response()."""
    request = open_request(token)
    if set(scores) != set(THEMES) or any(not isinstance(v, int) or not 1 <= v <= 5 for v in scores.values()):
        raise FeedbackError("Choose an answer for every question")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise FeedbackError(f"Comment must be {MAX_COMMENT} characters or fewer")
    placement = db.session.get(Placement, request.placement_id)
    findings = [{"kind": f.kind, "text": f.text, "start": f.start, "end": f.end, "message": f.message()}
                for f in scan(comment)] if comment else []
    now = utcnow()
    response = FeedbackResponse(
        request_id=request.id, placement_id=placement.id, setting_id=placement.setting_id,
        provider_id=placement.provider_id, setting_kind=placement.setting.kind,
        respondent_type=request.respondent_type, comment=comment,
        comment_status="pending" if comment else "none", pii_findings=findings, submitted_at=now,
        scores=[FeedbackScore(theme=theme, score=value) for theme, value in scores.items()])
    db.session.add(response)
    request.used_at = now
    db.session.flush()
    record("feedback.submitted", "feedback_response", response.id, organisation_id=placement.council_id,
           after={"request_id": request.id, "comment_status": response.comment_status,
                  "pii_findings": len(findings)})
    return response


def commit_response(token: str, scores: dict[str, int], comment: str | None) -> FeedbackResponse:
    """submit_response + commit; a duplicate (double submit) becomes LinkUnusable('used')."""
    try:
        response = submit_response(token, scores, comment)
        db.commit()
    except IntegrityError:
        db.session.rollback()
        raise LinkUnusable("used") from None
    except FeedbackError:
        db.session.rollback()
        raise
    return response


# --- moderation -----------------------------------------------------------------------------------------

def council_of(response: FeedbackResponse) -> int:
    return db.session.get(Placement, response.placement_id).council_id


def may_moderate(user: User, response: FeedbackResponse) -> bool:
    return user.has_role("qa_officer") and council_of(response) == user.organisation_id


def pending_query(council_id: int):
    """The council's comments waiting for moderation, oldest first (id as the tie-breaker)."""
    return (select(FeedbackResponse).join(Placement, Placement.id == FeedbackResponse.placement_id)
            .where(Placement.council_id == council_id, FeedbackResponse.comment_status == "pending")
            .order_by(FeedbackResponse.submitted_at, FeedbackResponse.id))


def pending_for(council_id: int) -> list[FeedbackResponse]:
    return list(db.session.scalars(pending_query(council_id)))


def moderate(actor: User, response: FeedbackResponse, decision: str, text: str | None = None) -> FeedbackResponse:
    """approve / redact / reject a pending comment, audited in the same transaction."""
    if not may_moderate(actor, response):
        raise FeedbackError("Only a QA officer of the placing council can moderate this comment")
    if decision not in MODERATION[response.comment_status]:
        raise FeedbackError(f"This comment is {COMMENT_LABELS[response.comment_status].lower()} "
                            "and cannot be moderated again")
    before = {"comment_status": response.comment_status}
    if decision == "approved":
        if response.pii_findings:
            raise FeedbackError("This comment may identify someone. Redact it before it can be shown")
        shown = response.comment
    elif decision == "redacted":
        shown = (text or "").strip()
        if not shown:
            raise FeedbackError("Enter the redacted comment")
        if len(shown) > MAX_COMMENT:
            raise FeedbackError(f"Redacted comment must be {MAX_COMMENT} characters or fewer")
        findings = scan(shown)
        if findings:
            raise FeedbackError(findings[0].message())
    else:
        shown = None
    response.comment_status, response.comment_shown = decision, shown
    response.moderated_by_id, response.moderated_at = actor.id, utcnow()
    record(f"feedback.comment_{decision}", "feedback_response", response.id, actor=actor,
           before=before, after={"comment_status": decision})
    return response


def placements_query(council_id: int):
    return (select(Placement).where(Placement.council_id == council_id)
            .order_by(Placement.start_date.desc(), Placement.id.desc()))


def placements_for(council_id: int) -> list[Placement]:
    return list(db.session.scalars(placements_query(council_id)))


def requests_query(council_id: int):
    """Feedback links the council has sent, newest first (id as the tie-breaker)."""
    return (select(FeedbackRequest).join(Placement, Placement.id == FeedbackRequest.placement_id)
            .where(Placement.council_id == council_id)
            .order_by(FeedbackRequest.created_at.desc(), FeedbackRequest.id.desc()))


def requests_for(council_id: int, limit: int | None = None) -> list[FeedbackRequest]:
    return list(db.session.scalars(requests_query(council_id).limit(limit)))


def pending_count(council_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(pending_query(council_id).order_by(None).subquery())) \
        or 0
