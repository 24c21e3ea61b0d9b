"""Routes every user shares: sign in/out, passwords, inbox, users, admin outbox and jobs, downloads."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from portal.core import db, paging, services, sessions, tabular
from portal.core.access import allow, owned, public, signed_in
from portal.core.auth import (LOCKED_MESSAGE, TokenError, authenticate, is_locked, limiter, login_key, read_token,
                              requires_two_factor)
from portal.core.auth import signed_in as finish_sign_in
from portal.core.forms import ForgotPasswordForm, InviteUserForm, LoginForm, SetPasswordForm
from portal.core.models import ROLES, ROLES_FOR_KIND, EmailMessage, InboxMessage, JobRun, User
from portal.core.storage import S3Storage, StorageError, attachment_disposition, storage

bp = Blueprint("core", __name__)
PAGE_SIZE = 50


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("portal.dashboard")


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT"], key_func=login_key, methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        # A locked account gets the same answer whether or not the password is right.
        user = None if is_locked(form.email.data) else authenticate(form.email.data, form.password.data)
        db.commit()  # a wrong password counts towards the lockout
        next_url = _safe_next(request.args.get("next"))
        if user is not None and requires_two_factor(user):
            # Password right; the authenticator code (or setting one up) comes next, on a fresh session.
            enrol = user.totp_enabled_at is None
            sessions.start_pending(user, next_url, enrol=enrol)
            return redirect(url_for("two_factor.enrol" if enrol else "two_factor.code"))
        if user is not None:
            finish_sign_in(user)
            db.commit()
            sessions.begin(user)
            return redirect(next_url)
        form.email.errors.append(LOCKED_MESSAGE if is_locked(form.email.data)
                                 else "Enter a correct email address and password")
    return render_template("portal/login.html", form=form), (200 if not form.errors else 400)


@bp.post("/sign-out")
@signed_in
def logout():
    sessions.end()
    flash("You have signed out.", "success")
    return redirect(url_for("core.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(form.email.data)
        db.commit()
        return render_template("portal/password_link_sent.html", email=form.email.data)
    return render_template("portal/password_forgot.html", form=form), (200 if not form.errors else 400)


def _password_page(token: str, purpose: str, max_age: int, title: str):
    try:
        user = read_token(token, purpose, max_age)
    except TokenError as exc:
        return render_template("portal/link_problem.html", message=str(exc), title=title), 400
    form = SetPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.commit()
        flash("Your password has been saved. Sign in with your new password.", "success")
        return redirect(url_for("core.login"))
    return render_template("portal/password_set.html", form=form, title=title, user=user), (
        200 if not form.errors else 400)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _password_page(token, "reset", current_app.config["PASSWORD_RESET_SECONDS"], "Reset your password")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _password_page(token, "invite", current_app.config["INVITE_SECONDS"], "Create your password")


@bp.get("/inbox")
@signed_in
def inbox():
    page = _page()
    query = select(InboxMessage).where(InboxMessage.user_id == current_user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc())
    file = tabular.maybe_download(request, ("Message", "Received", "Status"), lambda: [  # every page, own only
        (m.subject, m.created_at, "Read" if m.read_at else "New") for m in db.session.scalars(query)], "inbox")
    if file:
        return file
    messages = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("portal/inbox.html", messages=messages, page=page, total=total, page_size=PAGE_SIZE)


def own_inbox_message(user: User, message_id: int) -> InboxMessage | None:
    message = db.session.get(InboxMessage, message_id)
    return message if message is not None and message.user_id == user.id else None


@bp.get("/inbox/<int:message_id>")
@allow(*ROLES, owner=own_inbox_message)
def inbox_message(message_id: int):
    message = owned()
    services.mark_read(message)
    db.commit()
    return render_template("portal/inbox_message.html", message=message)


ORG_ADMIN_ROLES = ("provider_admin", "dps_manager", "system_admin")


def _invite_form() -> InviteUserForm:
    form = InviteUserForm()
    kind = current_user.organisation.kind
    form.roles.choices = [SelectChoice(r, ROLES[r]) for r in ROLES if r in ROLES_FOR_KIND[kind]]
    return form


@bp.get("/organisation/users")
@allow(*ORG_ADMIN_ROLES)
def users():
    query = select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.name, User.id)
    file = tabular.maybe_download(request, ("Name", "Email", "Roles", "Status"), lambda: [
        (p.name, p.email, ", ".join(ROLES.get(r, r) for r in sorted(p.roles)), p.status.capitalize())
        for p in db.session.scalars(query)], "users")
    if file:
        return file
    people, total, page = paging.page_of(query, _page(), PAGE_SIZE)
    return render_template("portal/users.html", people=people, roles=ROLES, page=page, total=total,
                           page_size=PAGE_SIZE)


@bp.route("/organisation/users/invite", methods=["GET", "POST"])
@allow(*ORG_ADMIN_ROLES)
def invite_user():
    form = _invite_form()
    if form.validate_on_submit():
        try:
            user = services.invite_user(current_user, form.name.data, form.email.data, form.roles.data)
        except services.ServiceError as exc:
            form.email.errors.append(str(exc))
        else:
            db.commit()
            flash(f"Invitation sent to {user.email}.", "success")
            return redirect(url_for("core.users"))
    return render_template("portal/user_invite.html", form=form), (200 if not form.errors else 400)


def own_colleague(user: User, user_id: int) -> User | None:
    other = db.session.get(User, user_id)
    return other if other is not None and other.organisation_id == user.organisation_id else None


@bp.post("/organisation/users/<int:user_id>/remove")
@allow(*ORG_ADMIN_ROLES, owner=own_colleague)
def remove_user(user_id: int):
    try:
        services.remove_user(current_user, owned())
    except services.ServiceError as exc:
        flash(str(exc), "error")
        return redirect(url_for("core.users"))
    db.commit()
    flash(f"{owned().name} has been removed and can no longer sign in.", "success")
    return redirect(url_for("core.users"))


@bp.get("/admin/outbox")
@allow("system_admin")
def outbox():
    page = _page()
    query = select(EmailMessage).where(EmailMessage.transport == "outbox")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(EmailMessage.id.desc())
    file = tabular.maybe_download(request, ("To", "Subject", "Kind", "Sent"), lambda: [
        (e.to_address, e.subject, e.kind, e.sent_at) for e in db.session.scalars(query)], "outbox")
    if file:
        return file
    emails = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("portal/outbox.html", emails=emails, page=page, total=total, page_size=PAGE_SIZE)


def any_email(user: User, email_id: int) -> EmailMessage | None:
    return db.session.get(EmailMessage, email_id)


@bp.get("/admin/outbox/<int:email_id>")
@allow("system_admin", owner=any_email)
def outbox_email(email_id: int):
    return render_template("portal/outbox_email.html", email=owned())


@bp.get("/admin/jobs")
@allow("system_admin")
def jobs():
    status = request.args.get("status") or None
    status = status if status in ("queued", "running", "retrying", "succeeded", "failed") else None
    query = select(JobRun)
    if status:
        query = query.where(JobRun.status == status)
    query = query.order_by(JobRun.id.desc())
    file = tabular.maybe_download(request, ("Job", "Key", "Status", "Attempts", "Maximum attempts", "Last error"),
                                  lambda: [  # every run with this status, not just the page
        (r.function.split(":")[-1], r.key, r.status.capitalize(), r.attempts, r.max_attempts, r.last_error or "")
        for r in db.session.scalars(query)], f"jobs-{status or 'all'}")
    if file:
        return file
    runs, total, page = paging.page_of(query, _page(), PAGE_SIZE)
    counts = dict(db.session.execute(select(JobRun.status, func.count()).group_by(JobRun.status)).all())
    return render_template("portal/jobs.html", runs=runs, counts=counts, status=status, page=page, total=total,
                           page_size=PAGE_SIZE)


def any_job(user: User, run_id: int) -> JobRun | None:
    return db.session.get(JobRun, run_id)


@bp.post("/admin/jobs/<int:run_id>/retry")
@allow("system_admin", owner=any_job)
def retry_job(run_id: int):
    services.retry_job(owned())
    db.commit()
    flash("The job has been queued again.", "success")
    return redirect(url_for("core.jobs", status="failed"))


@bp.get("/documents/download/<token>")
@public
def document_download(token: str):
    """The signed, expiring token is the permission, like an S3 presigned URL (which S3 gets)."""
    backend = storage()
    try:
        info = backend.open_link(token, current_app.config["DOCUMENT_LINK_SECONDS"])
        if isinstance(backend, S3Storage):
            return redirect(backend.presigned_url(info["k"], info["f"], info["t"]))
        data = backend.get(info["k"])
    except StorageError as exc:
        return render_template("portal/link_problem.html", message=str(exc), title="Download a document"), 410
    return Response(data, mimetype=info["t"], headers={
        "Content-Disposition": attachment_disposition(info["f"]), "Cache-Control": "private, no-store"})
