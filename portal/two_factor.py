"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

Council roles and system admins must use it; providers may turn it on from their account page. A secret
is only stored on the user once they have proved their app with a first code; the codes shown then are
kept as argon2 hashes only. A wrong code counts towards the account lockout like a wrong password.

Decision: a code may be used again within its 30-second window (and the one either side, for clock
drift). Refusing replays would need a "last used time step" column; the lockout bounds guessing anyway.

Views call these, then db.commit(). Every change writes its audit row in the same transaction.
"""
from __future__ import annotations

import secrets

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from portal.core import auth, db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import COUNCIL_ROLES, OPERATOR_ROLES, RecoveryCode, User
from portal.core.services import ServiceError

ISSUER = "Homefinder"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
WRONG_CODE = "Enter the correct 6-digit code from your authenticator app"
CODE_FORMAT = "Enter the 6-digit code from your authenticator app, like 123456"
WRONG_RECOVERY = "Enter one of your recovery codes that you have not used before"
MUST_KEEP = "Council users and system admins must use two-factor authentication: it cannot be turned off"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(user: User, secret: str) -> str:
    """The setup QR code as an SVG data URI (the CSP allows data: images; no script, no inline style)."""
    return segno.make(provisioning_uri(user, secret), error="m").svg_data_uri(scale=5, dark="#0b0c0c",
                                                                              light="#ffffff")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalise_code(code: str | None) -> str:
    return "".join((code or "").split())


def _matches(secret: str | None, code: str | None) -> bool:
    code = normalise_code(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return False
    return pyotp.TOTP(secret).verify(code, valid_window=1)


def must_use(user: User) -> bool:
    return user.has_role(*COUNCIL_ROLES, *OPERATOR_ROLES)


def check_code(user: User, code: str) -> bool:
    """The sign-in step: True for a current code; otherwise one more failure towards the lockout."""
    if user.totp_enabled_at is not None and _matches(user.totp_secret, code):
        return True
    auth.register_failure(user)
    return False


def _normalise_recovery(code: str | None) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def check_recovery_code(user: User, code: str) -> bool:
    """Sign in with a recovery code instead: each works once. A wrong one counts towards the lockout."""
    code = _normalise_recovery(code)
    if len(code) == 10:
        unused = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                               RecoveryCode.used_at.is_(None))).all()
        for row in unused:
            try:
                auth.hasher.verify(row.code_hash, code)
            except (VerificationError, InvalidHashError):
                continue
            row.used_at = utcnow()
            record("user.recovery_code_used", "user", user.id, after={"codes_left": len(unused) - 1}, actor=user,
                   organisation_id=user.organisation_id)
            return True
    auth.register_failure(user)
    return False


def codes_left(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                RecoveryCode.used_at.is_(None))).all())


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=auth.hasher.hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Store the secret once the app has produced a right code; return the new recovery codes (shown once).
    A wrong code returns None and counts towards the lockout."""
    if not _matches(secret, code):
        auth.register_failure(user)
        return None
    was_enabled = user.totp_enabled_at is not None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    record("user.two_factor_enabled", "user", user.id, before={"enabled": was_enabled}, after={"enabled": True},
           actor=user, organisation_id=user.organisation_id)
    return codes


def disable(user: User, code: str) -> bool:
    """Turn two-factor off (providers only) after a current code. False for a wrong code."""
    if must_use(user):
        raise ServiceError(MUST_KEEP)
    if user.totp_enabled_at is None:
        raise ServiceError("Two-factor authentication is already off")
    if not check_code(user, code):
        return False
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record("user.two_factor_disabled", "user", user.id, before={"enabled": True}, after={"enabled": False},
           actor=user, organisation_id=user.organisation_id)
    return True


def enrol_for_demo(user: User) -> str:
    """Give a demo user an enrolled secret (the seed; recovery codes are not needed there)."""
    if user.totp_enabled_at is None:
        user.totp_secret = new_secret()
        user.totp_enabled_at = utcnow()
        record("user.two_factor_enabled", "user", user.id, before={"enabled": False}, after={"enabled": True},
               actor=None, organisation_id=user.organisation_id)
    return user.totp_secret


def current_code(user: User) -> str:
    """The code the user's app shows now (the development-only `flask demo code` command)."""
    if not user.totp_secret:
        raise ServiceError(f"{user.email} has no authenticator app set up")
    return pyotp.TOTP(user.totp_secret).now()
