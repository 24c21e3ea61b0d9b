"""Provider self-registration, the organisation profile and referral preferences: parse, call a service, render."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import accounts
from portal.account_forms import OrganisationForm, PreferencesForm, RegistrationForm, ResendForm
from portal.core import db
from portal.core.access import allow, public
from portal.core.auth import TokenError, limiter
from portal.core.security import error_page
from portal.core.services import ServiceError
from portal.core.views import ORG_ADMIN_ROLES
from portal.models import LOT_KINDS, Need
from portal.preferences import preference_for, save_preferences

bp = Blueprint("accounts", __name__)


@bp.errorhandler(429)
def _too_many(exc):
    return error_page(429, "You have asked for this too many times. Wait an hour, then try again.")


def _status(form) -> int:
    return 400 if form.errors else 200


# --- registration ----------------------------------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config.get("REGISTRATION_LIMIT", "10 per hour"), methods=["POST"],
               deduct_when=lambda response: response.status_code == 200)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    form = RegistrationForm()
    if form.validate_on_submit():
        data = accounts.Registration(
            organisation_name=form.organisation_name.data, companies_house_number=form.companies_house_number.data,
            address=form.address.data, postcode=form.postcode.data, contact_name=form.contact_name.data,
            email=form.email.data, phone=form.phone.data, password=form.password.data)
        try:
            user = accounts.register_provider(data)
        except accounts.FieldError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        else:
            db.commit()
            return render_template("portal/register_sent.html", email=user.email,
                                   hours=accounts.confirm_seconds() // 3600)
    return render_template("portal/register.html", form=form), _status(form)


@bp.get("/register/confirm/<token>")
@public
def confirm(token: str):
    try:
        user = accounts.confirm(token)
    except TokenError as exc:
        db.session.rollback()
        used = str(exc) == accounts.USED_LINK
        return render_template("portal/register_link_problem.html", message=str(exc), used=used), 400
    db.commit()
    return render_template("portal/register_confirmed.html", user=user)


@bp.route("/register/resend", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def resend():
    form = ResendForm()
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        db.commit()
        return render_template("portal/register_sent.html", email=form.email.data.strip(), resent=True,
                               hours=accounts.confirm_seconds() // 3600)
    return render_template("portal/register_resend.html", form=form), _status(form)


# --- organisation profile --------------------------------------------------------------------------

@bp.get("/organisation")
@allow(*ORG_ADMIN_ROLES)
def organisation():
    org = current_user.organisation
    pref = preference_for(org.id) if org.is_provider else None
    needs = {n.code: n.label for n in db.session.scalars(select(Need))} if pref else {}
    return render_template("portal/organisation.html", org=org, pref=pref, lots=LOT_KINDS, needs=needs)


@bp.route("/organisation/edit", methods=["GET", "POST"])
@allow(*ORG_ADMIN_ROLES)
def organisation_edit():
    org = current_user.organisation
    form = OrganisationForm(obj=org, provider=org.is_provider)
    if form.validate_on_submit():
        try:
            changed = accounts.update_profile(current_user, org, form.values())
        except accounts.FieldError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash("Your organisation's details have been saved." if changed else "You did not change anything.",
                  "success")
            return redirect(url_for("accounts.organisation"))
    return render_template("portal/organisation_form.html", form=form, org=org), _status(form)


# --- referral preferences --------------------------------------------------------------------------

@bp.route("/organisation/referral-preferences", methods=["GET", "POST"])
@allow("provider_admin")
def organisation_preferences():
    org = current_user.organisation
    pref = preference_for(org.id)
    form = PreferencesForm()
    form.needs.choices = [SelectChoice(n.code, n.label)
                          for n in db.session.scalars(select(Need).order_by(Need.position, Need.code))]
    if not form.is_submitted():
        if pref is not None:
            form.lots.data, form.min_age.data = list(pref.lot_kinds), pref.min_age
            form.max_age.data, form.needs.data = pref.max_age, list(pref.need_codes)
        else:
            form.lots.data, form.min_age.data, form.max_age.data = list(LOT_KINDS), 0, 17
    if form.validate_on_submit():
        try:
            save_preferences(current_user, form.lots.data, form.min_age.data, form.max_age.data,
                             form.needs.data or [])
        except ServiceError as exc:
            db.session.rollback()
            form.lots.errors = [str(exc)]
        else:
            db.commit()
            flash("Your referral preferences have been saved.", "success")
            return redirect(url_for("accounts.organisation"))
    return render_template("portal/preferences.html", form=form, pref=pref), _status(form)
