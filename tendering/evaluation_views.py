"""The officer's evaluation pages: sealed proposals, the panel, moderation, locking quality, the audit trail."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from tendering import closing, evaluation
from tendering.evaluation import EvaluationError
from tendering.evaluation_forms import ConfirmForm, ModerationForm, PanelForm, initial
from tendering.models import OUTCOMES, SCORES, Referral

bp = Blueprint("evaluation", __name__)
OFFICER = "placements_officer"


def own_published_referral(user: User, referral_id: int, **_) -> Referral | None:
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.council_id != user.organisation_id or referral.status == "draft":
        return None
    return referral


def _referral() -> Referral:
    referral = owned()
    if closing.close_if_due(referral):
        db.commit()
    return referral


def _common(referral: Referral) -> dict:
    return dict(referral=referral, outcomes=OUTCOMES, scores_labels=SCORES, sealed=evaluation.is_sealed(referral),
                locked=referral.quality_locked_at is not None)


@bp.get("/referrals/<int:referral_id>/proposals")
@allow(OFFICER, owner=own_published_referral)
def proposals(referral_id: int):
    referral = _referral()
    sealed = evaluation.is_sealed(referral)
    rows = [] if sealed else evaluation.submitted_proposals(referral)
    counts = evaluation.counts(referral)
    file = tabular.maybe_download(request, *_proposal_table(referral, sealed, counts, rows),
                                  f"referral-{referral.id}-proposals")
    if file:
        return file
    return render_template("tendering/evaluation_proposals.html", counts=counts, rows=rows, **_common(referral))


def _proposal_table(referral: Referral, sealed: bool, counts: dict, rows: list) -> tuple[tuple, list]:
    """Exactly what the page shows: while sealed only the counts; after closing the blind list, with
    quality and suitability once locked; never a price (the page shows none)."""
    if sealed:
        return ("Measure", "Value"), [("Proposals received", counts["submitted"]), ("Declined", counts["declined"]),
                                      ("Response deadline", referral.response_deadline)]
    headers = ("Label", "Provider", "Home", "Submitted")
    locked = referral.quality_locked_at is not None
    if locked:
        headers += ("Quality (%)", "Suitable")
    return headers, [(f"Proposal {p.label}", p.provider.name, p.setting.name if p.setting else None, p.submitted_at)
                     + ((p.quality_percent, p.suitable) if locked else ()) for p in rows]


@bp.route("/referrals/<int:referral_id>/panel", methods=["GET", "POST"])
@allow(OFFICER, owner=own_published_referral)
def panel(referral_id: int):
    referral = _referral()
    eligible = evaluation.eligible_members(referral)
    current = evaluation.assignments(referral)
    form = PanelForm(data={"members": [a.user_id for a in current]})
    form.members.choices = [SelectChoice(u.id, u.name) for u in eligible]
    if form.validate_on_submit():
        try:
            added = evaluation.set_panel(referral, form.members.data, current_user)
        except EvaluationError as exc:
            db.session.rollback()
            form.members.errors = [str(exc)]
        else:
            db.commit()
            flash("Panel saved." + (f" {len(added)} new member{'s' if len(added) != 1 else ''} told by email."
                                     if added else ""), "success")
            return redirect(url_for("evaluation.moderation", referral_id=referral_id)
                            if not evaluation.is_sealed(referral) else url_for("evaluation.panel",
                                                                                 referral_id=referral_id))
    return render_template("tendering/evaluation_panel.html", form=form, assignments=current, eligible=eligible,
                           **_common(referral)), (400 if form.errors else 200)


@bp.get("/referrals/<int:referral_id>/moderation")
@allow(OFFICER, owner=own_published_referral)
def moderation(referral_id: int):
    referral = _referral()
    rows = [] if evaluation.is_sealed(referral) else evaluation.submitted_proposals(referral)
    assignments, matrix = evaluation.assignments(referral), evaluation.scores_by(referral)
    flags, moderated = evaluation.disagreements(referral), evaluation.moderated_by_proposal(referral)
    file = tabular.maybe_download(request, *_moderation_table(rows, assignments, matrix, flags, moderated),
                                  f"referral-{referral.id}-moderation")
    if file:
        return file
    return render_template("tendering/evaluation_moderation.html", rows=rows,
                           assignments=assignments, matrix=matrix, flags=flags, moderated=moderated,
                           refusal=evaluation.moderation_refusal(referral),
                           lock_problems=evaluation.lock_problems(referral), end_form=ConfirmForm(),
                           **_common(referral))


def _moderation_table(rows, assignments, matrix, flags, moderated) -> tuple[tuple, list]:
    """The score tables the page shows, one row per proposal and outcome (blind labels; none while sealed)."""
    headers = ("Proposal", "Outcome", "Disagreement")
    for a in assignments:
        headers += (f"{a.user.name}: score", f"{a.user.name}: reason")
    headers += ("Moderated score", "Moderated reason")
    table = []
    for p in rows:
        for code, label in OUTCOMES.items():
            line = (f"Proposal {p.label}", label, code in flags[p.id])
            for a in assignments:
                score = matrix[p.id][code].get(a.user_id)
                line += (score.score, score.reason) if score else (None, "Not scored")
            m = moderated[p.id].get(code)
            table.append(line + ((m.score, m.reason) if m else (None, "Not moderated")))
    return headers, table


AUDIT_HEADERS = ("When", "Who", "Organisation", "What", "Object", "Before", "After")


@bp.route("/referrals/<int:referral_id>/moderation/<int:proposal_id>", methods=["GET", "POST"])
@allow(OFFICER, owner=own_published_referral)
def moderate(referral_id: int, proposal_id: int):
    referral = _referral()
    proposal = next((p for p in ([] if evaluation.is_sealed(referral) else evaluation.submitted_proposals(referral))
                     if p.id == proposal_id), None)
    if proposal is None:
        abort(404)
    saved = evaluation.moderated_by_proposal(referral)[proposal.id]
    form = ModerationForm(data=initial(saved))
    refusal = evaluation.moderation_refusal(referral)
    if form.validate_on_submit():
        try:
            evaluation.moderate(referral, proposal, form.values(), current_user)
        except EvaluationError as exc:
            db.session.rollback()
            form.submit.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Moderated scores for Proposal {proposal.label} saved.", "success")
            return redirect(url_for("evaluation.moderation", referral_id=referral_id))
    return render_template("tendering/evaluation_moderate.html", form=form, proposal=proposal, refusal=refusal,
                           assignments=evaluation.assignments(referral),
                           scores=evaluation.scores_by(referral)[proposal.id],
                           flags=evaluation.disagreements(referral)[proposal.id], **_common(referral)), \
        (400 if form.errors else 200)


@bp.route("/referrals/<int:referral_id>/lock", methods=["GET", "POST"])
@allow(OFFICER, owner=own_published_referral)
def lock(referral_id: int):
    referral = _referral()
    form = ConfirmForm()
    problems = evaluation.lock_problems(referral)
    if form.validate_on_submit():
        try:
            results = evaluation.lock_quality(referral, current_user)
        except EvaluationError as exc:
            db.session.rollback()
            form.submit.errors = [str(exc)]
        else:
            db.commit()
            suitable = sum(1 for r in results if r["suitable"])
            flash(f"Quality locked. {suitable} of {len(results)} proposals are suitable." if suitable
                  else "Quality locked. No proposal met the quality threshold, so the referral has ended with "
                       "no suitable proposal.", "success")
            return redirect(url_for("evaluation.moderation", referral_id=referral_id))
    return render_template("tendering/evaluation_lock.html", form=form, problems=problems,
                           rows=evaluation.submitted_proposals(referral) if not evaluation.is_sealed(referral) else [],
                           **_common(referral)), (400 if form.errors else 200)


@bp.post("/referrals/<int:referral_id>/no-proposals")
@allow(OFFICER, owner=own_published_referral)
def no_proposals(referral_id: int):
    referral = _referral()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            evaluation.end_without_proposals(referral, current_user)
        except EvaluationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash("The referral has ended with no suitable proposal.", "success")
    else:
        flash("The form expired. Try again.", "error")
    return redirect(url_for("evaluation.moderation", referral_id=referral_id))


@bp.get("/referrals/<int:referral_id>/audit")
@allow(OFFICER, owner=own_published_referral)
def audit(referral_id: int):
    referral = _referral()
    file = tabular.maybe_download(request, AUDIT_HEADERS, lambda: [  # every event, sealed ones reduced as on the page
        (r["event"].occurred_at, r["who"], r["organisation"], r["what"], r["object"].capitalize(), r["before"],
         r["after"]) for r in evaluation.audit_rows(referral)], f"referral-{referral.id}-audit")
    if file:
        return file
    events, total, page = page_of(evaluation.audit_query(referral), page_number())
    return render_template("tendering/evaluation_audit.html", rows=evaluation.audit_rows(referral, events),
                           page=page, total=total, page_size=PAGE_SIZE, **_common(referral))
