"""The audit trail: one helper, called by services inside the transaction that makes the change."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select

from portal.core import db
from portal.core.models import AuditEvent


def _actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user
    return None


def record(
    action: str,
    object_type: str,
    object_id: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction. It commits (or rolls back) with the change."""
    actor = actor or _actor()
    event = AuditEvent(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        actor_id=actor.id if actor else None,
        organisation_id=organisation_id if organisation_id is not None else (actor.organisation_id if actor else None),
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def trail(object_type: str, object_id: Any) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(stmt))


def viewed(object_type: str, object_id: Any) -> None:
    """Note that this request shows a child-related record (DESIGN.md, Audit: "every view of a child-related
    record"). `<object_type>.viewed` is written, with who and which page, once the page has rendered with 200
    to a signed-in user — never for a refused or failed request. (Referral pages: tendering/view_audit.py.)"""
    g.setdefault("homefinder_viewed", []).append((object_type, str(object_id)))


def _record_views(response: Response) -> Response:
    items = g.pop("homefinder_viewed", None)
    if items and request.method == "GET" and response.status_code == 200 and current_user.is_authenticated:
        db.session.rollback()  # nothing of the request's own work is pending after a rendered GET
        for object_type, object_id in dict.fromkeys(items):
            record(f"{object_type}.viewed", object_type, object_id, after={"page": request.endpoint})
        db.commit()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record_views)

