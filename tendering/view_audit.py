"""DESIGN.md, Audit: "every view of a child-related record" is recorded. A referral (even anonymised) is
a child-related record, so every successful GET of a page that shows one writes `referral.viewed` with
who, which organisation and which page. The row is written after the page rendered (in its own commit),
and never for pages that failed or were refused."""
from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from portal.core import db
from portal.core.audit import record

# Pages that show the referral's content, by endpoint.
CHILD_RECORD_PAGES = frozenset({
    "referrals.referrals_detail", "referrals.referrals_publish", "invitations.detail", "invitations.decline",
    "proposals.edit", "proposals.detail", "panel.referral", "panel.proposal", "award.results", "award.outcome",
})


def record_view(response: Response) -> Response:
    if (request.method == "GET" and response.status_code == 200 and request.endpoint in CHILD_RECORD_PAGES
            and current_user.is_authenticated and request.view_args and "referral_id" in request.view_args):
        db.session.rollback()  # nothing of the request's own work is pending after a rendered GET
        record("referral.viewed", "referral", request.view_args["referral_id"], after={"page": request.endpoint})
        db.commit()
    return response


def register(app: Flask) -> None:
    app.after_request(record_view)
