"""The placements officer's referral pages: list, start, the task list of sections, check and publish."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.db import utcnow
from portal.core.models import User
from tendering import authoring, closing, services, summary
from tendering.placements import is_spot_purchase, spot_purchase_ids
from tendering.authoring import SECTIONS, AuthoringError
from tendering.forms import SECTION_FORMS, NeedsForm, NewReferralForm, PublishForm
from tendering.models import REFERRAL_STATUSES, SEVERITIES, Referral

bp = Blueprint("referrals", __name__)
OFFICER = "placements_officer"
PAGE_SIZE = 50


def own_referral(user: User, referral_id: int, **_) -> Referral | None:
    referral = db.session.get(Referral, referral_id)
    return referral if referral is not None and referral.council_id == user.organisation_id else None


def own_referral_section(user: User, referral_id: int, section: str) -> Referral | None:
    return own_referral(user, referral_id) if section in SECTIONS else None


def _labels() -> dict:
    return dict(labels=services.STATUS_LABELS, tags=services.STATUS_TAGS)


@bp.get("/referrals")
@allow(OFFICER)
def referrals():
    status = request.args.get("status")
    status = status if status in REFERRAL_STATUSES else None
    if any([closing.close_if_due(r) for r in services.due_council_referrals(current_user, utcnow())]):
        db.commit()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = services.page_of_council_referrals(current_user, status, page, PAGE_SIZE)
    file = tabular.maybe_download(request, REFERRAL_HEADERS,
                                  lambda: map(_referral_row, services.council_referrals(current_user, status)),
                                  f"referrals-{status or 'all'}", export="referrals", params={"status": status or ""},
                                  count=total)
    if file:
        return file
    spot = spot_purchase_ids([r.id for r in rows if r.status == "placed"])
    return render_template("tendering/referrals.html", referrals=rows, page=page, total=total, page_size=PAGE_SIZE,
                           is_spot_purchase=lambda r: r.id in spot,
                           status=status, statuses=REFERRAL_STATUSES, **_labels())


REFERRAL_HEADERS = ("Referral", "Case reference", "Lot", "Status", "Spot purchase", "Started", "Response deadline")


def _referral_row(r: Referral) -> tuple:
    return (r.id, r.case_reference, r.lot.name if r.lot else None, services.STATUS_LABELS[r.status],
            is_spot_purchase(r), r.created_at.date() if r.created_at else None, r.response_deadline)


@tabular.register_export("referrals", OFFICER)
def referral_table(user: User, params: dict):
    """The officer's referral list for their own council, with the page's status filter."""
    status = params.get("status") if params.get("status") in REFERRAL_STATUSES else None
    return REFERRAL_HEADERS, map(_referral_row, services.council_referrals(user, status))


@bp.route("/referrals/new", methods=["GET", "POST"])
@allow(OFFICER)
def referrals_new():
    lots = services.council_lots(current_user)
    form = NewReferralForm()
    form.lot.choices = [SelectChoice(lot.id, f"{lot.dps.name}: {lot.name}") for lot in lots]
    if form.validate_on_submit():
        try:
            referral = services.create_referral(current_user, form.lot.data)
        except services.ReferralError as exc:
            db.session.rollback()
            form.lot.errors = [str(exc)]
        else:
            db.commit()
            flash("Referral started. Complete each section, then publish it.", "success")
            return redirect(url_for("referrals.referrals_detail", referral_id=referral.id))
    return render_template("tendering/referral_new.html", form=form, any_lots=bool(lots)), \
        (200 if not form.errors else 400)


@bp.get("/referrals/<int:referral_id>")
@allow(OFFICER, owner=own_referral)
def referrals_detail(referral_id: int):
    referral = owned()
    if closing.close_if_due(referral):
        db.commit()
    return render_template("tendering/referral.html", referral=referral, sections=SECTIONS,
                           complete=authoring.completion(referral), rows=summary.rows(referral),
                           **_labels())


def _not_editable(referral: Referral):
    flash("This referral has been published and cannot be changed.", "error")
    return redirect(url_for("referrals.referrals_detail", referral_id=referral.id))


@bp.route("/referrals/<int:referral_id>/sections/<section>", methods=["GET", "POST"])
@allow(OFFICER, owner=own_referral_section)
def referrals_section(referral_id: int, section: str):
    referral = owned()
    if referral.status != "draft":
        return _not_editable(referral)
    if section == "needs":
        return _needs(referral)
    form_class = SECTION_FORMS[section]
    form = form_class() if request.method == "POST" else form_class(data=authoring.form_data(referral, section))
    if form.validate_on_submit():
        try:
            complete = authoring.save_section(current_user, referral, section, form.values())
        except AuthoringError:
            db.session.rollback()
            return _not_editable(referral)
        db.commit()
        return _saved(referral, section, complete)
    return render_template("tendering/referral_section.html", form=form, referral=referral, section=section,
                           title=SECTIONS[section].title), (200 if not form.errors else 400)


def _saved(referral: Referral, section: str, complete: bool):
    flash(f"{SECTIONS[section].title} {'completed' if complete else 'saved – it is not complete yet'}.", "success")
    return redirect(url_for("referrals.referrals_detail", referral_id=referral.id))


def _needs(referral: Referral):
    needs = authoring.all_needs()
    form = NeedsForm()
    errors: list[tuple[str, str]] = []
    chosen = {n.need_code: (n.severity, n.essential) for n in referral.needs}
    if form.validate_on_submit():
        chosen, errors = authoring.parse_needs(request.form, needs)
        if not errors:
            complete = authoring.save_needs(current_user, referral, chosen)
            db.commit()
            return _saved(referral, "needs", complete)
    elif form.is_submitted():
        errors = [("need", "Your session expired. Try again")]
    return render_template("tendering/referral_needs.html", form=form, referral=referral, needs=needs,
                           chosen=chosen, errors=errors, severities=SEVERITIES, title=SECTIONS["needs"].title), \
        (400 if errors else 200)


def _check(referral: Referral, form: PublishForm, problems: list | None = None):
    return render_template("tendering/referral_publish.html", referral=referral, form=form, problems=problems or [],
                           sections=SECTIONS, rows=summary.rows(referral), **_labels())


@bp.route("/referrals/<int:referral_id>/publish", methods=["GET", "POST"])
@allow(OFFICER, owner=own_referral)
def referrals_publish(referral_id: int):
    referral = owned()
    if referral.status != "draft":
        return _not_editable(referral)
    form = PublishForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return _check(referral, form, [services.Problem("", "Your session expired. Try again")]), 400
        return _check(referral, form)
    try:
        invited = services.publish(referral, current_user)
    except services.PublishRefused as refused:
        db.session.rollback()
        return _check(db.session.get(Referral, referral_id), form, refused.problems), 400
    db.commit()
    count = len(invited)
    flash(f"Referral published to {count} provider{'' if count == 1 else 's'}", "success")
    return redirect(url_for("referrals.referrals_detail", referral_id=referral.id))
