"""The officer's results page after the quality lock: reveal prices, the ranked matrix and its downloads,
award, the placement, and the ways a referral ends without a competition award (re-run, spot purchase,
cancel)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from tendering import award as awards
from tendering import closing, exports, placements
from tendering.award import AwardError
from tendering.award_forms import AwardForm, CancelForm, ConfirmForm, EndedForm, MovedInForm, SpotPurchaseForm
from tendering.models import OUTCOMES, Referral
from tendering.services import STATUS_LABELS, STATUS_TAGS

bp = Blueprint("award", __name__)
OFFICER = "placements_officer"
AFTER_LOCK = ("quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal")


def own_council_referral(user, referral_id: int, **_) -> Referral | None:
    referral = db.session.get(Referral, referral_id)
    return referral if referral is not None and referral.council_id == user.organisation_id else None


def _award_form(referral: Referral, rows, form: AwardForm | None = None) -> AwardForm:
    form = form or AwardForm()
    ranked = [r for r in rows if r.priced]
    form.proposal.choices = [SelectChoice(str(r.proposal.id), f"Proposal {r.label}: {r.proposal.provider.name} "
                                                              f"(rank {r.proposal.rank})") for r in ranked]
    form.top_id = next((str(r.proposal.id) for r in ranked if r.proposal.rank == 1), None)
    return form


def _spot_form(form: SpotPurchaseForm | None = None) -> SpotPurchaseForm:
    form = form or SpotPurchaseForm()
    form.setting.choices = [SelectChoice("", "Select a provider and home")] + [
        SelectChoice(str(s.id), f"{s.provider.name} – {s.name} ({s.district})") for s in placements.spot_settings()]
    return form


def _render(referral: Referral, status: int = 200, **forms):
    rows = awards.matrix(referral)
    context = dict(referral=referral, rows=rows, outcomes=OUTCOMES, labels=STATUS_LABELS, tags=STATUS_TAGS,
                   revealed=awards.revealed(referral), award=awards.active_award(referral),
                   placement=placements.placement_for(referral), rerun=placements.rerun_of(referral),
                   confirm_form=ConfirmForm(), moved_in_form=forms.get("moved_in_form") or MovedInForm(),
                   ended_form=forms.get("ended_form") or EndedForm())
    if referral.status == "price_evaluated":
        context["award_form"] = _award_form(referral, rows, forms.get("award_form"))
    if referral.status == "no_suitable_proposal":
        context["spot_form"] = _spot_form(forms.get("spot_form"))
    context["form"] = next((f for f in forms.values() if f is not None and f.errors), None)  # the error summary
    return render_template("tendering/results.html", **context), status


def _results(referral_id: int):
    return redirect(url_for("award.results", referral_id=referral_id))


@bp.get("/referrals/<int:referral_id>/results")
@allow(OFFICER, owner=own_council_referral)
def results(referral_id: int):
    referral = owned()
    if closing.close_if_due(referral):
        db.commit()
    if referral.status not in AFTER_LOCK:
        return render_template("tendering/results_pending.html", referral=referral, labels=STATUS_LABELS)
    return _render(referral)


@bp.route("/referrals/<int:referral_id>/reveal", methods=["GET", "POST"])
@allow(OFFICER, owner=own_council_referral)
def reveal(referral_id: int):
    referral = owned()
    if referral.status != "quality_evaluated":
        flash("Prices can only be revealed once quality is locked, and only once.", "error")
        return _results(referral_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            ranked = awards.reveal_prices(referral, current_user)
        except AwardError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash("Prices revealed for the suitable proposals." if ranked else
                  "No proposal was suitable. Re-run the referral or record a spot purchase.", "success")
        return _results(referral_id)
    return render_template("tendering/results_reveal.html", referral=referral, form=form,
                           suitable=sum(1 for r in awards.matrix(referral) if r.proposal.suitable))


@bp.post("/referrals/<int:referral_id>/award")
@allow(OFFICER, owner=own_council_referral)
def award(referral_id: int):
    referral = owned()
    if referral.status != "price_evaluated":
        flash(awards.ALREADY_AWARDED if referral.status in ("awarded", "placed")
              else "A referral can only be awarded after prices are revealed.", "error")
        return _results(referral_id)
    form = _award_form(referral, awards.matrix(referral))
    if form.validate_on_submit():
        try:
            awards.award(referral, int(form.proposal.data), form.reason.data, current_user)
            db.commit()
        except (AwardError, IntegrityError) as exc:
            db.session.rollback()
            if isinstance(exc, IntegrityError) or str(exc) == awards.ALREADY_AWARDED:
                exc = AwardError(awards.ALREADY_AWARDED)
                flash(str(exc) + ".", "error")
                return _results(referral_id)
            form.proposal.errors = [str(exc)]
        else:
            flash("Proposal awarded. The providers have been told.", "success")
            return _results(referral_id)
    return _render(referral, 400, award_form=form)


@bp.get("/referrals/<int:referral_id>/results.csv")
@allow(OFFICER, owner=own_council_referral)
def results_csv(referral_id: int):
    referral = owned()
    if not awards.revealed(referral):
        abort(404)
    return tabular.download(exports.headers(), exports.rows(referral), f"referral-{referral.id}-results", "csv")


@bp.get("/referrals/<int:referral_id>/results.xlsx")
@allow(OFFICER, owner=own_council_referral)
def results_xlsx(referral_id: int):
    """The same ranked matrix as results.csv, as a workbook (numbers as numbers)."""
    referral = owned()
    if not awards.revealed(referral):
        abort(404)
    return tabular.download(exports.headers(), exports.rows(referral), f"referral-{referral.id}-results", "xlsx",
                            "Ranked results")


@bp.get("/referrals/<int:referral_id>/results.pdf")
@allow(OFFICER, owner=own_council_referral)
def results_pdf(referral_id: int):
    referral = owned()
    if not awards.revealed(referral):
        abort(404)
    return Response(exports.to_pdf(referral), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="referral-{referral.id}-results.pdf"'})


@bp.post("/referrals/<int:referral_id>/moved-in")
@allow(OFFICER, owner=own_council_referral)
def moved_in(referral_id: int):
    referral = owned()
    form = MovedInForm()
    if form.validate_on_submit():
        try:
            placements.record_moved_in(referral, current_user, form.start_date.data)
        except AwardError as exc:
            db.session.rollback()
            form.start_date.errors = [str(exc)]
        else:
            db.commit()
            flash("Recorded that the child has moved in.", "success")
            return _results(referral_id)
    if referral.status not in AFTER_LOCK:
        return _results(referral_id)
    return _render(referral, 400, moved_in_form=form)


@bp.post("/referrals/<int:referral_id>/ended")
@allow(OFFICER, owner=own_council_referral)
def ended(referral_id: int):
    referral = owned()
    form = EndedForm()
    if form.validate_on_submit():
        try:
            placements.record_ending(referral, current_user, form.end_date.data, form.planned.data == "yes")
        except AwardError as exc:
            db.session.rollback()
            form.end_date.errors = [str(exc)]
        else:
            db.commit()
            flash("Recorded the end of the placement.", "success")
            return _results(referral_id)
    if referral.status not in AFTER_LOCK:
        return _results(referral_id)
    return _render(referral, 400, ended_form=form)


@bp.post("/referrals/<int:referral_id>/rerun")
@allow(OFFICER, owner=own_council_referral)
def rerun(referral_id: int):
    referral = owned()
    if not ConfirmForm().validate_on_submit():
        return _results(referral_id)
    try:
        copy = placements.rerun(referral, current_user)
    except AwardError as exc:
        db.session.rollback()
        flash(str(exc) + ".", "error")
        return _results(referral_id)
    db.commit()
    flash(f"Referral {copy.id} is a copy of referral {referral.id}. Widen its criteria, set a new deadline, "
          "then publish it.", "success")
    return redirect(url_for("referrals.referrals_detail", referral_id=copy.id))


@bp.post("/referrals/<int:referral_id>/spot-purchase")
@allow(OFFICER, owner=own_council_referral)
def spot_purchase(referral_id: int):
    referral = owned()
    if referral.status != "no_suitable_proposal":
        flash("A spot purchase can only be recorded when no proposal was suitable.", "error")
        return _results(referral_id)
    form = _spot_form()
    if form.validate_on_submit():
        try:
            placements.spot_purchase(referral, current_user, int(form.setting.data), form.weekly_pence,
                                     form.start_date.data, form.rationale.data)
        except AwardError as exc:
            db.session.rollback()
            form.rationale.errors = [str(exc)]
        else:
            db.commit()
            flash("Spot purchase recorded.", "success")
            return _results(referral_id)
    return _render(referral, 400, spot_form=form)


@bp.route("/referrals/<int:referral_id>/cancel", methods=["GET", "POST"])
@allow(OFFICER, owner=own_council_referral)
def cancel(referral_id: int):
    referral = owned()
    if closing.close_if_due(referral):
        db.commit()
    if referral.status not in ("published", "closed"):
        flash("Only a referral that is open for proposals or closed can be cancelled.", "error")
        return redirect(url_for("referrals.referrals_detail", referral_id=referral_id))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            placements.cancel(referral, current_user, form.reason.data)
        except AwardError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.commit()
            flash("Referral cancelled. The invited providers have been told.", "success")
            return redirect(url_for("referrals.referrals_detail", referral_id=referral_id))
    return render_template("tendering/results_cancel.html", referral=referral, form=form), \
        (400 if form.errors else 200)
