"""Session lifecycle: a fresh session at each sign-in step, the half-signed-in "pending" state between the
password and the two-factor code, and expiry after inactivity or an absolute lifetime.

Flask keeps the session in a signed cookie, so "rotating the session id" means clearing everything the
browser brought and issuing a new cookie: nothing set before sign-in (by an attacker who planted a cookie,
or by a previous user of a shared computer) survives it.
"""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from portal.core.models import User

PENDING = "hf_pending"  # {"u": user id, "at": epoch seconds, "next": path, "enrol": bool}
SINCE = "hf_since"  # when the user finished signing in
SEEN = "hf_seen"  # last request, written at most once a minute
SEEN_RESOLUTION = 60
IDLE_MESSAGE = "You were signed out because you had not used Homefinder for {minutes} minutes. Sign in again."
ABSOLUTE_MESSAGE = "You were signed out because you signed in more than {hours} hours ago. Sign in again."
UNEXEMPT = frozenset({"static", "assets", "govuk_dist"})


def _fresh() -> None:
    session.clear()
    g.pop("csrf_token", None)  # flask-wtf caches the token per request; the next form gets a new one


def begin(user: User) -> None:
    """Both steps passed: a new session that holds only the signed-in user."""
    _fresh()
    login_user(user)
    now = time.time()
    session[SINCE] = session[SEEN] = now


def end() -> None:
    logout_user()
    _fresh()


def start_pending(user: User, next_url: str, enrol: bool) -> None:
    """Password right; the code (or, for a council user without an app, enrolment) is still to come."""
    _fresh()
    session[PENDING] = {"u": user.id, "at": time.time(), "next": next_url, "enrol": enrol}


def pending() -> dict | None:
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at", 0)) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return data


def pending_user() -> User | None:
    from portal.core import db

    data = pending()
    if data is None:
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or user.locked_at is not None:
        session.pop(PENDING, None)
        return None
    return user


def clear_pending() -> None:
    session.pop(PENDING, None)


def _expire():
    """Sign out an idle or too-old session; a half-finished sign-in cannot wander off the two-factor pages."""
    if request.endpoint in UNEXEMPT:
        return None
    if "_user_id" not in session:
        return _keep_pending_on_its_pages()
    now = time.time()
    since, seen = session.get(SINCE), session.get(SEEN)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    lifetime = lifetime.total_seconds() if hasattr(lifetime, "total_seconds") else float(lifetime)
    message = None
    if since is None or seen is None or now - since > lifetime:
        message = ABSOLUTE_MESSAGE.format(hours=round(lifetime / 3600))
    elif now - seen > idle:
        message = IDLE_MESSAGE.format(minutes=round(idle / 60))
    if message is None:
        if now - seen >= SEEN_RESOLUTION:
            session[SEEN] = now
        return None
    end()
    flash(message, "info")
    return redirect(url_for("core.login", next=request.full_path if request.method == "GET" else None))


PENDING_PAGES = {True: "two_factor.enrol", False: "two_factor.code"}
PENDING_FREE = frozenset({"core.login", "two_factor.code", "two_factor.recovery", "two_factor.enrol",
                          "two_factor.cancel", "two_factor.unlock"})


def _keep_pending_on_its_pages():
    """A user between the steps who opens any other page is sent back to the step they must finish."""
    if PENDING not in session or request.endpoint in PENDING_FREE or request.endpoint is None:
        return None
    data = pending()
    if data is None:
        return None
    return redirect(url_for(PENDING_PAGES[bool(data.get("enrol"))]))


def init_app(app: Flask) -> None:
    app.config.setdefault("SESSION_IDLE_MINUTES", 30)
    app.config.setdefault("TWO_FACTOR_PENDING_SECONDS", 300)
    app.before_request(_expire)
