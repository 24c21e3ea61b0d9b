"""Authentication: argon2 passwords, flask-login sessions, login throttling and emailed tokens."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import COUNCIL_ROLES, OPERATOR_ROLES, ROLES_FOR_KIND, Organisation, User, UserRole
from portal.core.passwords import MIN_LENGTH, check as check_password

hasher = PasswordHasher()
login_manager = LoginManager()
login_manager.login_view = "core.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)
MIN_PASSWORD_LENGTH = MIN_LENGTH
LOCKOUT_AFTER = 10  # consecutive failed passwords or two-factor codes
UNLOCK_PURPOSE = "unlock"
UNLOCK_SECONDS = 24 * 3600
LOCKED_MESSAGE = ("Your account is locked because of too many failed attempts to sign in. We have emailed you a "
                  "link to unlock it")


class TokenError(Exception):
    pass


def hash_password(password: str) -> str:
    return hasher.hash(password)


def _verify(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


_DUMMY_HASH = hasher.hash("not a real password; evens out timing for unknown emails")


def authenticate(email: str, password: str) -> User | None:
    """The active, unlocked user with this email and password, or None. A wrong password for an existing
    account counts towards its lockout (the caller commits either way); a locked account never matches."""
    user = find_user(email)
    if user is None:
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    if not user.is_active or user.locked_at is not None:
        return None
    if not _verify(user, password):
        register_failure(user)
        return None
    return user


def is_locked(email: str) -> bool:
    user = find_user(email)
    return user is not None and user.is_active and user.locked_at is not None


def requires_two_factor(user: User) -> bool:
    """Council roles and system admins must use an authenticator app; anyone who enabled one uses it."""
    return user.totp_enabled_at is not None or user.has_role(*COUNCIL_ROLES, *OPERATOR_ROLES)


def signed_in(user: User) -> None:
    """Both steps passed: reset the failure count."""
    user.failed_login_count = 0
    user.last_login_at = utcnow()


# --- lockout ---------------------------------------------------------------------------------------

def register_failure(user: User) -> None:
    """One more failed password or code; the LOCKOUT_AFTER-th locks the account and emails an unlock link."""
    from portal.core.audit import record

    user.failed_login_count = (user.failed_login_count or 0) + 1
    if user.failed_login_count >= LOCKOUT_AFTER and user.locked_at is None:
        user.locked_at = utcnow()
        record("user.locked", "user", user.id, after={"failed_attempts": user.failed_login_count}, actor=user,
               organisation_id=user.organisation_id)
        send_unlock_link(user)


def send_unlock_link(user: User) -> None:
    from flask import url_for

    from portal.core.mail import queue_email

    token = make_token(user, UNLOCK_PURPOSE)
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("two_factor.unlock", token=token)
    queue_email(user.email, "account_unlock", key=f"account_unlock:{user.id}:{token[-16:]}", user_id=user.id,
                user=user, link=link, hours=UNLOCK_SECONDS // 3600, attempts=LOCKOUT_AFTER)


def unlock(token: str) -> User:
    """Clear the lock and the count. Raises TokenError for a bad or expired link."""
    from portal.core.audit import record

    user = read_token(token, UNLOCK_PURPOSE, UNLOCK_SECONDS)
    if user.locked_at is None:
        raise TokenError("Your account is not locked: you can sign in.")
    user.locked_at = None
    user.failed_login_count = 0
    record("user.unlocked", "user", user.id, before={"locked": True}, after={"locked": False}, actor=user,
           organisation_id=user.organisation_id)
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    user_id, _, fragment = session_id.partition(":")
    if not user_id.isdigit():
        return None
    # One statement per request: the user with their organisation and roles (as a selectin load, the roles
    # cost a second round trip on every page).
    user = db.session.get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or not user.is_active or (user.password_hash or "")[-12:] != fragment:
        return None
    return user


def login_key() -> str:
    """Throttle per address and per account, so one attacker cannot lock out everyone."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{get_remote_address()}|{email}"


# --- emailed tokens (password reset, invitation) -------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"homefinder.{purpose}")


def make_token(user: User, purpose: str) -> str:
    # Binding the token to the current password hash makes it single-use: setting a password
    # changes the hash and so invalidates every earlier token.
    return _serializer(purpose).dumps({"u": user.id, "h": (user.password_hash or "")[-12:]})


def read_token(token: str, purpose: str, max_age: int) -> User:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("This link has expired. Ask for a new one.") from exc
    except BadSignature as exc:
        raise TokenError("This link is not valid. Check you copied the whole link from the email.") from exc
    user = db.session.get(User, data.get("u"))
    if user is None or user.status == "removed" or (user.password_hash or "")[-12:] != data.get("h"):
        raise TokenError("This link has already been used or is no longer valid. Ask for a new one.")
    return user


def set_password(user: User, password: str) -> None:
    from portal.core.audit import record

    check_password(password, user.email)
    was = user.status
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.locked_at = None  # the emailed reset link proves the same thing as the unlock link
    user.failed_login_count = 0
    if user.status == "invited":
        user.status = "active"
    record("user.password_set", "user", user.id, before={"status": was}, after={"status": user.status}, actor=user,
           organisation_id=user.organisation_id)


def create_user(organisation: Organisation, email: str, name: str, roles: list[str], password: str | None = None,
                actor: User | None = None) -> User:
    from portal.core.audit import record

    allowed = ROLES_FOR_KIND[organisation.kind]
    bad = set(roles) - allowed
    if bad:
        raise ValueError(f"a {organisation.kind} user cannot hold the roles {', '.join(sorted(bad))}")
    user = User(organisation=organisation, email=email.strip().lower(), name=name.strip(), status="invited")
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    if password is not None:
        check_password(password, email)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.status = "active"
    db.session.add(user)
    db.session.flush()
    record("user.created", "user", user.id, after={"email": user.email, "roles": sorted(roles)}, actor=actor,
           organisation_id=organisation.id)
    return user


def init_app(app: Flask) -> None:
    global hasher
    if app.config.get("PASSWORD_HASH_CHEAP"):
        # Test suites only (refused elsewhere): thousands of factory users at production cost take minutes.
        if app.config["HOMEFINDER_ENV"] != "test":
            raise RuntimeError("PASSWORD_HASH_CHEAP is only allowed when HOMEFINDER_ENV=test")
        hasher = PasswordHasher.from_parameters(argon2_profiles.CHEAPEST)
    login_manager.init_app(app)
    from portal.core import sessions

    sessions.init_app(app)  # before the access rules, so an expired session is treated as signed out
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "homefinder-limit")
    limiter.init_app(app)
