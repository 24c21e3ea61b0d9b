"""State changes for users and the shared machinery; views call these, never the models directly."""
from __future__ import annotations

from flask import current_app, url_for

from portal.core import auth, jobs
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import queue_email
from portal.core.models import ROLES_FOR_KIND, InboxMessage, JobRun, User


class ServiceError(Exception):
    """A rule refused the change; the message is fit to show the user."""


def _external(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def send_password_reset(email: str) -> None:
    """Email a reset link if the account exists; say nothing either way (no account enumeration)."""
    user = auth.find_user(email)
    if user is None or user.status == "removed":
        return
    token = auth.make_token(user, "reset" if user.status == "active" else "invite")
    endpoint = "core.reset_password" if user.status == "active" else "core.accept_invitation"
    queue_email(user.email, "password_reset", key=f"password_reset:{user.id}:{token[-16:]}", user_id=user.id,
                user=user, link=_external(endpoint, token=token),
                minutes=current_app.config["PASSWORD_RESET_SECONDS"] // 60)


def set_password(user: User, password: str) -> None:
    auth.set_password(user, password)


def invite_user(actor: User, name: str, email: str, roles: list[str]) -> User:
    email = email.strip().lower()
    if auth.find_user(email) is not None:
        raise ServiceError("There is already a Homefinder account with that email address")
    allowed = ROLES_FOR_KIND[actor.organisation.kind]
    if not roles or set(roles) - allowed:
        raise ServiceError("Select roles that your organisation's users can hold")
    user = auth.create_user(actor.organisation, email, name, roles, actor=actor)
    token = auth.make_token(user, "invite")
    queue_email(user.email, "invitation", key=f"invitation:{user.id}", user_id=user.id, user=user, inviter=actor,
                link=_external("core.accept_invitation", token=token),
                days=current_app.config["INVITE_SECONDS"] // 86400)
    return user


def remove_user(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise ServiceError("You cannot remove yourself. Ask another admin in your organisation.")
    if user.status == "removed":
        raise ServiceError(f"{user.name} has already been removed")
    before = user.status
    user.status = "removed"
    record("user.removed", "user", user.id, before={"status": before}, after={"status": "removed"}, actor=actor)


def mark_read(message: InboxMessage) -> None:
    if message.read_at is None:
        message.read_at = utcnow()


def retry_job(run: JobRun) -> None:
    if run.status != "failed":
        raise ServiceError("Only failed jobs can be retried")
    record("job.retried", "job_run", run.id, before={"status": run.status}, after={"status": "retrying"})
    jobs.retry_failed(run.id)
