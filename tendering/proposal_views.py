"""Provider pages for its own proposal to a referral: the one-page form, the read-only view with its revisions,
withdrawing. Council users never reach these (provider roles only); proposals stay sealed."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.core import db
from portal.core.access import allow, owned
from tendering import invitations, proposals
from tendering.invitation_views import PROVIDER, own_invitation
from tendering.models import OUTCOMES, ProposalRevision
from tendering.proposal_forms import SERVICE_ROWS, ProposalCsrfForm, WithdrawForm, parse
from tendering.proposals import ProposalError

bp = Blueprint("proposals", __name__)


def _errors(errors: dict[str, str], page_id: str = "proposal-form") -> list[tuple[str, str]]:
    return [(field or page_id, message) for field, message in errors.items()]


def _render_form(row, values: dict, errors: dict[str, str], status: int = 200, form=None):
    proposal = proposals.live_proposal(row)
    return render_template(
        "tendering/proposal_form.html", row=row, referral=row.referral, proposal=proposal,
        homes=invitations.matched_homes(row), needs=proposals.essential_needs(row), outcomes=OUTCOMES,
        values=values, errors=_errors(errors), service_rows=range(1, SERVICE_ROWS + 1),
        form=form or ProposalCsrfForm(), labels=proposals.STATUS_LABELS, tags=proposals.STATUS_TAGS), status


@bp.route("/invitations/<int:referral_id>/proposal", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_invitation)
def edit(referral_id: int):
    row = owned()
    if request.method == "GET":
        if proposals.refusal(row):
            if proposals.latest_proposal(row) is not None:
                return redirect(url_for("proposals.detail", referral_id=referral_id))
            flash(proposals.refusal(row) + ".", "error")
            return redirect(url_for("invitations.detail", referral_id=referral_id))
        return _render_form(row, proposals.form_values(proposals.live_proposal(row)), {})
    form = ProposalCsrfForm()
    values = request.form.to_dict()
    if not form.validate_on_submit():
        return _render_form(row, values, {}, 400, form)
    if proposals.refusal(row):  # late, declined or no longer published: refused before anything else
        return _render_form(row, values, {"": proposals.refusal(row)}, 400)
    submit = request.form.get("action") == "submit"
    data, errors = parse(request.form, [n.need_code for n in proposals.essential_needs(row)])
    if errors:
        return _render_form(row, values, errors, 400)
    try:
        proposal = proposals.save(row, current_user, data, submit=submit)
    except ProposalError as exc:
        db.session.rollback()
        return _render_form(row, values, exc.errors, 400)
    db.commit()
    if submit:
        flash(f"Proposal submitted (revision {proposal.revision}). You can change it until the deadline.", "success")
        return redirect(url_for("proposals.detail", referral_id=referral_id))
    flash(f"Draft saved (revision {proposal.revision}). It has not been submitted.", "success")
    return redirect(url_for("proposals.edit", referral_id=referral_id))


@bp.get("/invitations/<int:referral_id>/proposal/view")
@allow(*PROVIDER, owner=own_invitation)
def detail(referral_id: int):
    row = owned()
    proposal = proposals.latest_proposal(row)
    if proposal is None:
        abort(404)
    return render_template("tendering/proposal.html", row=row, referral=row.referral, proposal=proposal,
                           content=proposals.readable(proposals.snapshot(proposal)),
                           revisions=proposals.revisions(proposal),
                           refusal=proposals.refusal(row), **_labels(row))


@bp.get("/invitations/<int:referral_id>/proposal/revisions/<int:number>")
@allow(*PROVIDER, owner=own_invitation)
def revision(referral_id: int, number: int):
    row = owned()
    proposal = proposals.latest_proposal(row)
    found = proposal and db.session.scalar(select(ProposalRevision).where(
        ProposalRevision.proposal_id == proposal.id, ProposalRevision.number == number))
    if not found:
        abort(404)
    return render_template("tendering/proposal_revision.html", row=row, referral=row.referral, proposal=proposal,
                           revision=found, content=proposals.readable(found.content), **_labels(row))


def _labels(row) -> dict:
    return dict(outcomes=OUTCOMES, need_labels={n.need_code: n.need.label for n in row.referral.needs},
                labels=proposals.STATUS_LABELS, tags=proposals.STATUS_TAGS)


@bp.route("/invitations/<int:referral_id>/proposal/withdraw", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_invitation)
def withdraw(referral_id: int):
    row = owned()
    proposal = proposals.live_proposal(row)
    if proposal is None:
        flash("Your organisation has no proposal to withdraw.", "error")
        return redirect(url_for("invitations.detail", referral_id=referral_id))
    form = WithdrawForm()
    error = None
    if form.validate_on_submit():
        try:
            proposals.withdraw(row, current_user)
        except ProposalError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.commit()
            flash("Your proposal has been withdrawn. You can start a new one until the deadline.", "success")
            return redirect(url_for("invitations.detail", referral_id=referral_id))
    status = 400 if (error or form.errors) else 200
    return render_template("tendering/proposal_withdraw.html", form=form, row=row, referral=row.referral,
                           proposal=proposal, errors=[("withdraw", error)] if error else []), status
