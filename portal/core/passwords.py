"""The password policy, applied wherever a password is set (registration, invitation, reset, the CLI).

At least MIN_LENGTH characters, not the account's email address, and not in the bundled list of common
passwords (portal/data/common-passwords.txt; compared case-insensitively, also with digits and symbols
trimmed from either end and as the unit of a repeat, so "Summer2026!" and "dragondragon" are refused).
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from wtforms.validators import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 200
COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"

TOO_SHORT = f"Password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Password must be {MAX_LENGTH} characters or fewer"
IS_EMAIL = "Your password must not be your email address"
IS_COMMON = "Choose a password that is harder to guess: that one is on a list of common passwords"


class PasswordError(ValueError):
    """The password breaks the policy; the message is fit to show the user."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with COMMON_FILE.open(encoding="utf-8") as lines:
        return frozenset(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


def problem(password: str | None, email: str | None = None) -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = password.strip().casefold()
    if email:
        email = email.strip().casefold()
        if folded in {email, email.partition("@")[0]}:
            return IS_EMAIL
    if any(v in common_passwords() for v in _variants(folded)):
        return IS_COMMON
    return None


_PADDING = string.digits + string.punctuation + string.whitespace


def _variants(folded: str) -> set[str]:
    """The password, without digits and symbols stuck on either end ("Summer2026!"), and the unit of a repeat
    ("passwordpassword"): each is checked against the list."""
    core = folded.strip(_PADDING)
    found = {folded, core}
    for word in (folded, core):
        for size in range(1, len(word) // 2 + 1):
            if len(word) % size == 0 and word[:size] * (len(word) // size) == word:
                found.add(word[:size])
                break
    return {v for v in found if len(v) >= 4}


def check(password: str | None, email: str | None = None) -> None:
    message = problem(password, email)
    if message:
        raise PasswordError(message)


class Policy:
    """WTForms validator. The email comes from another field of the form, or from `form.account_email`."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field) -> None:
        if field.errors:  # the length rule has already spoken
            return
        if self.email_field:
            email = form[self.email_field].data
        else:
            email = getattr(form, "account_email", None)
        message = problem(field.data, email)
        if message:
            raise ValidationError(message)
