"""The second sign-in step (authenticator code or recovery code), setting up and turning off two-factor,
the account security page and the emailed unlock link.

The sign-in pages are @public but work only for a browser holding a "pending" sign-in (password right,
second step to come, at most TWO_FACTOR_PENDING_SECONDS old): anyone else is sent back to /sign-in.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal import two_factor
from portal.core import auth, db, sessions
from portal.core.access import public, signed_in
from portal.core.models import User
from portal.core.services import ServiceError
from portal.two_factor_forms import CodeForm, ConfirmForm, RecoveryCodeForm, SetUpForm, TurnOffForm

bp = Blueprint("two_factor", __name__)
CANDIDATE = "hf_totp_candidate"  # the secret being set up, until the first right code stores it
TIMED_OUT = "Your sign-in timed out. Sign in again."


def _status(form) -> int:
    return 400 if form.errors else 200


def _timed_out():
    flash(TIMED_OUT, "info")
    return redirect(url_for("core.login"))


def _locked():
    sessions.clear_pending()
    flash(auth.LOCKED_MESSAGE + ".", "info")
    return redirect(url_for("core.login"))


def _finish(user: User, next_url: str):
    auth.signed_in(user)
    db.commit()
    sessions.begin(user)
    return redirect(next_url)


def _wrong(user: User, form, message: str, *, signed_in_now: bool = False):
    """Keep the failure count (and a lock, if this was the last try); say what went wrong."""
    db.commit()
    if user.locked_at is not None:
        if signed_in_now:
            sessions.end()
        return _locked()
    form.code.errors.append(message)
    return None


def _candidate() -> str:
    secret = session.get(CANDIDATE)
    if not secret:
        secret = session[CANDIDATE] = two_factor.new_secret()
    return secret


def _set_up_page(user: User, form, **context):
    secret = _candidate()
    return render_template("portal/two_factor_set_up.html", form=form, qr=two_factor.qr_data_uri(user, secret),
                           secret=two_factor.grouped(secret), **context), _status(form)


# --- the second sign-in step -----------------------------------------------------------------------

@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
def code():
    user, step = sessions.pending_user(), sessions.pending()
    if user is None:
        return _timed_out()
    if step["enrol"]:
        return redirect(url_for("two_factor.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data):
            return _finish(user, step["next"])
        if (done := _wrong(user, form, two_factor.WRONG_CODE)) is not None:
            return done
    return render_template("portal/two_factor_code.html", form=form), _status(form)


@bp.route("/sign-in/recovery-code", methods=["GET", "POST"])
@public
def recovery():
    user, step = sessions.pending_user(), sessions.pending()
    if user is None:
        return _timed_out()
    if step["enrol"]:
        return redirect(url_for("two_factor.enrol"))
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        if two_factor.check_recovery_code(user, form.code.data):
            left = two_factor.codes_left(user)
            response = _finish(user, step["next"])
            flash(f"You used a recovery code. You have {left} left: set up your authenticator app again from "
                  "Your account if you have lost it.", "info")
            return response
        if (done := _wrong(user, form, two_factor.WRONG_RECOVERY)) is not None:
            return done
    return render_template("portal/two_factor_recovery.html", form=form), _status(form)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@public
def enrol():
    """Council users and system admins without an app: set one up now; there is no way round this page."""
    user, step = sessions.pending_user(), sessions.pending()
    if user is None:
        return _timed_out()
    if not step["enrol"]:
        return redirect(url_for("two_factor.code"))
    form = SetUpForm()
    if form.validate_on_submit():
        codes = two_factor.enable(user, _candidate(), form.code.data)
        if codes is not None:
            auth.signed_in(user)
            db.commit()
            sessions.begin(user)
            return render_template("portal/two_factor_codes.html", codes=codes, next_url=step["next"])
        if (done := _wrong(user, form, two_factor.WRONG_CODE)) is not None:
            return done
    return _set_up_page(user, form, cancel_form=ConfirmForm(), required=True)


@bp.post("/sign-in/cancel")
@public
def cancel():
    """Abandon a half-finished sign-in (for example on a shared computer)."""
    if ConfirmForm().validate_on_submit():
        sessions.clear_pending()
        session.pop(CANDIDATE, None)
    return redirect(url_for("core.login"))


# --- the account security page ---------------------------------------------------------------------

@bp.get("/account")
@signed_in
def security():
    return render_template("portal/account_security.html", user=current_user,
                           must_use=two_factor.must_use(current_user),
                           codes_left=two_factor.codes_left(current_user) if current_user.totp_enabled_at else 0)


@bp.route("/account/two-factor/set-up", methods=["GET", "POST"])
@signed_in
def set_up():
    user = current_user._get_current_object()
    if user.totp_enabled_at is not None:
        flash("Two-factor authentication is already on.", "info")
        return redirect(url_for("two_factor.security"))
    form = SetUpForm()
    if form.validate_on_submit():
        codes = two_factor.enable(user, _candidate(), form.code.data)
        if codes is not None:
            db.commit()
            session.pop(CANDIDATE, None)
            return render_template("portal/two_factor_codes.html", codes=codes,
                                   next_url=url_for("two_factor.security"))
        if (done := _wrong(user, form, two_factor.WRONG_CODE, signed_in_now=True)) is not None:
            return done
    return _set_up_page(user, form, required=False)


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@signed_in
def turn_off():
    user = current_user._get_current_object()
    if two_factor.must_use(user) or user.totp_enabled_at is None:
        flash(two_factor.MUST_KEEP + "." if two_factor.must_use(user) else "Two-factor authentication is off.",
              "info")
        return redirect(url_for("two_factor.security"))
    form = TurnOffForm()
    if form.validate_on_submit():
        try:
            done = two_factor.disable(user, form.code.data)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "info")
            return redirect(url_for("two_factor.security"))
        if done:
            db.commit()
            flash("Two-factor authentication is off. Your recovery codes no longer work.", "success")
            return redirect(url_for("two_factor.security"))
        if (locked := _wrong(user, form, two_factor.WRONG_CODE, signed_in_now=True)) is not None:
            return locked
    return render_template("portal/two_factor_turn_off.html", form=form), _status(form)


# --- unlocking an account --------------------------------------------------------------------------

@bp.route("/account/unlock/<token>", methods=["GET", "POST"])
@public
def unlock(token: str):
    """The emailed link shows a button (link checkers that follow links change nothing); the button unlocks."""
    try:
        user = auth.read_token(token, auth.UNLOCK_PURPOSE, auth.UNLOCK_SECONDS)
    except auth.TokenError as exc:
        return render_template("portal/link_problem.html", message=str(exc), title="Unlock your account"), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            auth.unlock(token)
        except auth.TokenError as exc:
            db.session.rollback()
            flash(str(exc), "info")
            return redirect(url_for("core.login"))
        db.commit()
        flash("Your account is unlocked. Sign in.", "success")
        return redirect(url_for("core.login"))
    return render_template("portal/account_unlock.html", form=form, user=user)
