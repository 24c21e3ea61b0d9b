"""The panel member's pages: their referrals, the anonymised specification and blind scoring.

Blind: proposals are known only by label ("Proposal A") in every URL, title and form. Nothing here passes a
provider, a setting or a price to a template: `_blind()` copies only the fields a panel member may read."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from tendering import closing, evaluation, services
from tendering.evaluation import EvaluationError
from tendering.evaluation_forms import ConfirmForm, ScoreForm, initial
from tendering.models import OUTCOMES, SCORES, PanelAssignment, Proposal

bp = Blueprint("panel", __name__)
PANEL = "panel_member"


def own_assignment(user: User, referral_id: int, **_) -> PanelAssignment | None:
    return evaluation.assignment_for(user, referral_id)


def _assignment() -> PanelAssignment:
    assignment = owned()
    if closing.close_if_due(assignment.referral):
        db.commit()
    return assignment


def _blind(proposal: Proposal) -> dict:
    """What a panel member may read of a proposal: its content without provider, setting or any price."""
    needs = {n.need_code: (n.need.label if n.need else n.need_code) for n in proposal.referral.needs}
    return {
        "label": proposal.label,
        "outcome_answers": [(OUTCOMES[code], (proposal.outcome_answers or {}).get(code)) for code in OUTCOMES],
        "need_answers": [(needs.get(code, code), answer) for code, answer in (proposal.need_answers or {}).items()],
        "staffing": proposal.staffing,
        "education_offer": proposal.education_offer,
        "start_date": proposal.start_date,
        "notice_period_weeks": proposal.notice_period_weeks,
        "services": [{"description": s.description, "unit": s.unit, "quantity_per_week": s.quantity_per_week,
                      "weeks": s.weeks} for s in proposal.services],
    }


def _member_numbers(assignment: PanelAssignment) -> dict[int, str]:
    """Other members are shown as "Panel member 2, 3…"; the reader is "You"."""
    others = [a.user_id for a in evaluation.assignments(assignment.referral) if a.user_id != assignment.user_id]
    return {assignment.user_id: "You", **{uid: f"Panel member {n}" for n, uid in enumerate(others, start=2)}}


@bp.get("/panel")
@allow(PANEL)
def index():
    file = tabular.maybe_download(  # what the page shows: never a provider, a home or a price
        request, ("Referral", "Lot", "Response deadline", "Status", "Your scores"), lambda: [
            (a.referral_id, a.referral.lot.name if a.referral.lot else None, a.referral.response_deadline,
             services.STATUS_LABELS[a.referral.status], "Submitted" if a.submitted_at else "Not submitted")
            for a in evaluation.my_panels(current_user)], "panel-referrals")
    if file:
        return file
    rows, total, page = page_of(evaluation.my_panels_query(current_user), page_number())
    return render_template("tendering/panel_index.html", rows=rows, page=page, total=total, page_size=PAGE_SIZE,
                           labels=services.STATUS_LABELS, tags=services.STATUS_TAGS)


@bp.get("/panel/<int:referral_id>")
@allow(PANEL, owner=own_assignment)
def referral(referral_id: int):
    assignment = _assignment()
    ref = assignment.referral
    proposals = [] if evaluation.is_sealed(ref) else evaluation.submitted_proposals(ref)
    mine = evaluation.scores_by(ref, assignment.user_id)
    progress = {p.label: sum(1 for by_user in mine[p.id].values() if by_user) for p in proposals}
    done, total = evaluation.member_progress(assignment) if proposals else (0, 0)
    file = tabular.maybe_download(request, ("Proposal", "Outcomes you have scored", "Outcomes"), lambda: [
        (f"Proposal {p.label}", progress[p.label], len(OUTCOMES)) for p in proposals], f"panel-referral-{ref.id}")
    if file:
        return file
    return render_template("tendering/panel_referral.html", assignment=assignment, spec=services.provider_view(ref),
                           labels=[p.label for p in proposals], progress=progress, done=done, total=total,
                           can_score=evaluation.can_score(ref), sealed=evaluation.is_sealed(ref), outcomes=OUTCOMES,
                           status_labels=services.STATUS_LABELS, status_tags=services.STATUS_TAGS)


@bp.route("/panel/<int:referral_id>/proposals/<label>", methods=["GET", "POST"])
@allow(PANEL, owner=own_assignment)
def proposal(referral_id: int, label: str):
    assignment = _assignment()
    ref = assignment.referral
    found = None if evaluation.is_sealed(ref) else evaluation.proposal_by_label(ref, label)
    if found is None:
        abort(404)
    matrix = evaluation.scores_by(ref)[found.id]
    mine = {code: by_user.get(assignment.user_id) for code, by_user in matrix.items()}
    editable = evaluation.can_score(ref) and assignment.submitted_at is None
    form = ScoreForm(data=initial(mine))
    if editable and form.validate_on_submit():
        try:
            evaluation.save_scores(assignment, found, form.values(), current_user)
        except EvaluationError as exc:
            db.session.rollback()
            form.submit.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Your scores for Proposal {label} have been saved.", "success")
            return redirect(url_for("panel.referral", referral_id=referral_id))
    elif not editable and form.is_submitted():
        form.submit.errors = ["Scoring is closed: you have submitted your scores or quality has been locked"
                              if evaluation.can_score(ref) or ref.quality_locked_at else
                              "Scoring opens after the response deadline"]
    show_all = assignment.submitted_at is not None
    others = None
    if show_all:
        names = _member_numbers(assignment)
        others = [(OUTCOMES[code], [(names.get(uid, "Former panel member"), row) for uid, row in
                                    sorted(matrix[code].items(), key=lambda kv: names.get(kv[0], "~"))])
                  for code in OUTCOMES]
    return render_template("tendering/panel_proposal.html", assignment=assignment, referral=ref,
                           proposal=_blind(found), form=form, editable=editable, mine=mine, others=others,
                           outcomes=OUTCOMES, scores_labels=SCORES), (400 if form.errors else 200)


@bp.route("/panel/<int:referral_id>/submit", methods=["GET", "POST"])
@allow(PANEL, owner=own_assignment)
def submit(referral_id: int):
    assignment = _assignment()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            evaluation.submit_scores(assignment, current_user)
        except EvaluationError as exc:
            db.session.rollback()
            form.submit.errors = [str(exc)]
        else:
            db.commit()
            flash("Your scores have been submitted. You can now see the other panel members' scores.", "success")
            return redirect(url_for("panel.referral", referral_id=referral_id))
    done, total = evaluation.member_progress(assignment)
    return render_template("tendering/panel_submit.html", form=form, assignment=assignment,
                           referral=assignment.referral, done=done, total=total,
                           can_score=evaluation.can_score(assignment.referral)), (400 if form.errors else 200)
