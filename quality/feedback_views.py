"""Feedback pages: the public, no-account form at /feedback/<token>, and the council's pages to send links
and moderate comments."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import audit, db, tabular
from portal.core.access import allow, owned, public
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from quality import feedback, themes
from quality.feedback import COMMENT_LABELS, COMMENT_TAGS, FeedbackError, LinkUnusable
from quality.feedback_forms import ModerateForm, SendRequestForm, response_form, scores_from
from quality.models import RESPONDENT_TYPES, FeedbackResponse
from tendering.models import Placement

bp = Blueprint("feedback", __name__)
OFFICERS = feedback.SENDERS
DONE = {"approved": "Comment approved.", "redacted": "Comment redacted: the edited text can now be shown.",
        "rejected": "Comment rejected. Nobody else will see it."}


def own_placement(user: User, placement_id: int, **_) -> Placement | None:
    placement = db.session.get(Placement, placement_id)
    return placement if placement is not None and placement.council_id == user.organisation_id else None


def own_response(user: User, response_id: int, **_) -> FeedbackResponse | None:
    response = db.session.get(FeedbackResponse, response_id)
    return response if response is not None and feedback.council_of(response) == user.organisation_id else None


@bp.get("/feedback")
@allow(*OFFICERS)
def overview():
    council_id = current_user.organisation_id
    now = feedback.utcnow()
    file = tabular.maybe_download_table(request, {  # the council's own, as the page: never the recipient's email
        "placements": (("Placement", "Home", "Started"), lambda: [
            (p.code, p.setting.name, p.start_date) for p in feedback.placements_for(council_id)]),
        "links": (("Sent", "Placement", "To", "Status"), lambda: [
            (r.created_at.date(), f"PL-{r.placement_id:06d}", RESPONDENT_TYPES[r.respondent_type],
             "Answered" if r.used_at else "Expired" if r.expires_at <= now else "Waiting")
            for r in feedback.requests_for(council_id)]),
    }, "feedback")
    if file:
        return file
    # two tables, each paged on its own: ?page= for the placements, ?links_page= for the links sent
    placements, placements_total, page = page_of(feedback.placements_query(council_id), page_number())
    requests, requests_total, links_page = page_of(feedback.requests_query(council_id), page_number("links_page"))
    return render_template("quality/feedback_overview.html", placements=placements,
                           requests=requests, respondent_types=RESPONDENT_TYPES,
                           pending=feedback.pending_count(council_id) if current_user.has_role("qa_officer")
                           else None, now=now, page=page, placements_total=placements_total,
                           links_page=links_page, requests_total=requests_total, page_size=PAGE_SIZE)


@bp.route("/feedback/placements/<int:placement_id>/request", methods=["GET", "POST"])
@allow(*OFFICERS, owner=own_placement)
def send(placement_id: int):
    placement = owned()
    form = SendRequestForm()
    if form.validate_on_submit():
        try:
            feedback.send_request(current_user, placement, form.respondent_type.data, form.email.data)
        except FeedbackError as exc:
            db.session.rollback()
            form.email.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Feedback link sent to {form.email.data.strip().lower()}.", "success")
            return redirect(url_for("feedback.overview"))
    audit.viewed("placement", placement.id)
    return render_template("quality/feedback_send.html", form=form, placement=placement), \
        (200 if not form.errors else 400)


@bp.get("/feedback/moderation")
@allow("qa_officer")
def moderation():
    council_id, kinds = current_user.organisation_id, _kinds()
    file = tabular.maybe_download(  # as the page: never the comment text, which is still pending moderation
        request, ("Received", "From", "Kind of home", "Possible identifying details found"), lambda: [
            (r.submitted_at, RESPONDENT_TYPES[r.respondent_type], kinds.get(r.setting_kind, r.setting_kind),
             len(r.pii_findings or ())) for r in feedback.pending_for(council_id)], "feedback-moderation")
    if file:
        return file
    responses, total, page = page_of(feedback.pending_query(council_id), page_number())
    return render_template("quality/feedback_moderation.html", responses=responses,
                           respondent_types=RESPONDENT_TYPES, kinds=kinds, page=page, total=total,
                           page_size=PAGE_SIZE)


@bp.route("/feedback/moderation/<int:response_id>", methods=["GET", "POST"])
@allow("qa_officer", owner=own_response)
def moderate(response_id: int):
    response = owned()
    form = ModerateForm() if request.method == "POST" else ModerateForm(data={"redacted": response.comment})
    if form.validate_on_submit():
        try:
            feedback.moderate(current_user, response, form.decision.data, form.redacted.data)
        except FeedbackError as exc:
            db.session.rollback()
            (form.redacted if form.decision.data == "redacted" else form.decision).errors = [str(exc)]
        else:
            db.commit()
            flash(DONE[form.decision.data], "success")
            return redirect(url_for("feedback.moderation"))
    audit.viewed("feedback_response", response_id)  # the comment as written, before any redaction
    return render_template("quality/feedback_moderate.html", form=form, response=db.session.get(
        FeedbackResponse, response_id), labels=COMMENT_LABELS, tags=COMMENT_TAGS,
        respondent_types=RESPONDENT_TYPES, kinds=_kinds()), (200 if not form.errors else 400)


def _kinds():
    from portal.models import SETTING_KINDS
    return SETTING_KINDS


def _problem(reason: str):
    return render_template("quality/feedback_link_problem.html", reason=reason), 410


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@public
def respond(token: str):
    try:
        link = feedback.open_request(token)
    except LinkUnusable as exc:
        return _problem(exc.reason)
    respondent_type = link.respondent_type
    form = response_form(respondent_type)
    if form.validate_on_submit():
        try:
            feedback.commit_response(token, scores_from(form), form.comment.data)
        except LinkUnusable as exc:
            return _problem(exc.reason)
        except FeedbackError as exc:
            form.comment.errors = [str(exc)]
        else:
            return redirect(url_for("feedback.thanks", who="child" if respondent_type == "child" else "adult"))
    return render_template("quality/feedback_form.html", form=form, words=themes.page(respondent_type),
                           child=respondent_type == "child"), (200 if not form.errors else 400)


@bp.get("/feedback/thank-you")
@public
def thanks():
    words = themes.page("child" if request.args.get("who") == "child" else "carer")
    return render_template("quality/feedback_thanks.html", words=words)
