"""Provider pages: the referrals its organisation was invited to, the anonymised specification, declining."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.db import utcnow
from tendering import clarifications, invitations, proposals
from tendering.invitation_forms import DeclineForm
from tendering.invitations import DeclineError
from tendering.models import (DECLINE_REASONS, DURATIONS, EDUCATION_STATUSES, LEGAL_STATUSES, OUTCOMES, SEXES)

bp = Blueprint("invitations", __name__)
PROVIDER = ("provider_admin", "provider_staff")
PAGE_SIZE = 50


def own_invitation(user, referral_id: int, **_):
    return invitations.invitation_for(user, referral_id)


def _labels() -> dict:
    return dict(sexes=SEXES, legal_statuses=LEGAL_STATUSES, education_statuses=EDUCATION_STATUSES,
                durations=DURATIONS, outcomes=OUTCOMES, decline_reasons=DECLINE_REASONS,
                state_labels=invitations.STATE_LABELS, state_tags=invitations.STATE_TAGS)


@bp.get("/invitations")
@allow(*PROVIDER)
def index():
    now = utcnow()
    file = tabular.maybe_download(  # the columns the page shows, nothing more of the referral
        request, ("Referral", "Kind of home", "Age", "Respond by", "State"), lambda: [
            (row.referral.id, row.referral.lot.name if row.referral.lot else None, row.referral.age,
             row.referral.response_deadline, invitations.STATE_LABELS[invitations.state(row, now)])
            for row in invitations.invitations(current_user)], "invitations")
    if file:
        return file
    page = max(1, request.args.get("page", 1, type=int) or 1)
    found, total = invitations.page_of_invitations(current_user, page, PAGE_SIZE)
    rows = [(row, invitations.state(row, now)) for row in found]
    return render_template("tendering/invitations.html", rows=rows, page=page, total=total, page_size=PAGE_SIZE,
                           **_labels())


@bp.get("/invitations/<int:referral_id>")
@allow(*PROVIDER, owner=own_invitation)
def detail(referral_id: int):
    row = owned()
    return render_template("tendering/invitation.html", row=row, referral=row.referral,
                           state=invitations.state(row), homes=invitations.matched_homes(row), **_labels(),
                           **proposals.invitation_context(row), **clarifications.invitation_context(row))


@bp.route("/invitations/<int:referral_id>/decline", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_invitation)
def decline(referral_id: int):
    row = owned()
    if invitations.state(row) != "open":
        flash("You can no longer decline this referral." if row.declined_at is None
              else "Your organisation has already declined this referral.", "error")
        return redirect(url_for("invitations.detail", referral_id=referral_id))
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            invitations.decline(row, current_user, form.reason.data, form.text.data)
        except DeclineError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.commit()
            flash("You have declined this referral. Your reason has been recorded.", "success")
            return redirect(url_for("invitations.detail", referral_id=referral_id))
    return render_template("tendering/invitation_decline.html", form=form, row=row, referral=row.referral,
                           **_labels()), (400 if form.errors else 200)
