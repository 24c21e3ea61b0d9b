"""Provider self-registration, confirming the emailed link, and the organisation profile.

Views call these, then db.commit(). Every change writes its audit row in the same transaction.

A self-registered admin chooses their password at sign-up but stays "invited" (cannot sign in)
until they follow the emailed confirmation link. The link is signed with the "confirm" purpose and
expires after 48 hours; once the account is active the same link counts as used.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core import auth, db, passwords
from portal.core.audit import record
from portal.core.mail import queue_email
from portal.core.models import Organisation, User, UserRole
from portal.core.services import ServiceError

CONFIRM_PURPOSE = "confirm"
CONFIRM_SECONDS = 48 * 3600
PROFILE_FIELDS = ("name", "companies_house_number", "address", "postcode", "contact_name", "contact_email",
                  "contact_phone")
USED_LINK = "This link has already been used. Your account is confirmed: sign in to Homefinder."


class FieldError(ServiceError):
    """A rule about one field refused the change; the view shows it against that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Registration:
    organisation_name: str
    companies_house_number: str
    address: str
    postcode: str
    contact_name: str
    email: str
    phone: str
    password: str


def confirm_seconds() -> int:
    return int(current_app.config.get("REGISTRATION_CONFIRM_SECONDS", CONFIRM_SECONDS))


def _external(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _ch_taken(number: str | None, except_id: int | None = None) -> bool:
    if not number:
        return False
    query = select(Organisation.id).where(Organisation.companies_house_number == number)
    if except_id is not None:
        query = query.where(Organisation.id != except_id)
    return db.session.scalar(query) is not None


def _ch_message(number: str) -> str:
    return (f"Companies House number {number} is already registered on Homefinder. Ask your organisation's admin "
            "to invite you, or contact us if you think this is wrong")


EMAIL_TAKEN = "There is already a Homefinder account with that email address. Sign in or reset your password instead"


def _flush(field: str, message: str) -> None:
    """Write now inside a savepoint, so a concurrent duplicate becomes a field error, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise FieldError(field, message) from None


def profile(org: Organisation) -> dict:
    return {f: getattr(org, f) for f in PROFILE_FIELDS}


def register_provider(data: Registration) -> User:
    """Create the provider organisation and its first admin (invited), and email the confirmation link."""
    email = data.email.strip().lower()
    if (weak := passwords.problem(data.password, email)) is not None:
        raise FieldError("password", weak)
    if _ch_taken(data.companies_house_number):
        raise FieldError("companies_house_number", _ch_message(data.companies_house_number))
    if auth.find_user(email) is not None:
        raise FieldError("email", EMAIL_TAKEN)
    org = Organisation(kind="provider", name=data.organisation_name.strip(),
                       companies_house_number=data.companies_house_number, address=data.address.strip(),
                       postcode=data.postcode, contact_name=data.contact_name.strip(), contact_email=email,
                       contact_phone=data.phone)
    db.session.add(org)
    _flush("companies_house_number", _ch_message(data.companies_house_number))
    user = User(organisation=org, email=email, name=data.contact_name.strip(), status="invited",
                password_hash=auth.hash_password(data.password))
    user.role_rows = [UserRole(role="provider_admin")]
    db.session.add(user)
    _flush("email", EMAIL_TAKEN)
    record("organisation.registered", "organisation", org.id, after=profile(org), actor=None,
           organisation_id=org.id)
    record("user.created", "user", user.id, after={"email": user.email, "roles": ["provider_admin"],
                                                    "status": "invited", "self_registered": True},
           actor=None, organisation_id=org.id)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    token = auth.make_token(user, CONFIRM_PURPOSE)
    queue_email(user.email, "registration_confirm", key=f"registration_confirm:{user.id}:{token[-16:]}",
                user_id=user.id, user=user, organisation=user.organisation,
                link=_external("accounts.confirm", token=token), hours=confirm_seconds() // 3600)


def awaiting_confirmation(user: User | None) -> bool:
    """A self-registered admin who has not yet followed their link (invited users have no password yet)."""
    return user is not None and user.status == "invited" and bool(user.password_hash)


def resend_confirmation(email: str) -> None:
    """Send a fresh link if this address is waiting for one; say nothing either way (no enumeration)."""
    user = auth.find_user(email)
    if awaiting_confirmation(user):
        send_confirmation(user)


def confirm(token: str) -> User:
    """Activate the account the link was sent to. Raises auth.TokenError for a bad, expired or used link."""
    user = auth.read_token(token, CONFIRM_PURPOSE, confirm_seconds())
    if user.status == "active":
        raise auth.TokenError(USED_LINK)
    if not awaiting_confirmation(user):
        raise auth.TokenError("This link is no longer valid. Ask for a new one.")
    user.status = "active"
    record("user.confirmed", "user", user.id, before={"status": "invited"}, after={"status": "active"}, actor=user,
           organisation_id=user.organisation_id)
    return user


def update_profile(actor: User, org: Organisation, values: dict) -> bool:
    """Change the organisation's profile. Returns False (and audits nothing) when nothing changed."""
    if org.id != actor.organisation_id:
        raise ServiceError("You can only change your own organisation")
    values = dict(values)
    if not org.is_provider:
        values.pop("companies_house_number", None)  # only providers are companies on Homefinder
    number = values.get("companies_house_number")
    if number and _ch_taken(number, except_id=org.id):
        raise FieldError("companies_house_number", f"Companies House number {number} is already registered to "
                                                   "another organisation on Homefinder")
    before = profile(org)
    for name, value in values.items():
        if name in PROFILE_FIELDS:
            setattr(org, name, value)
    after = profile(org)
    changed = sorted(k for k in after if after[k] != before[k])
    if not changed:
        return False
    _flush("companies_house_number", f"Companies House number {number} is already registered to another "
                                     "organisation on Homefinder")
    record("organisation.updated", "organisation", org.id, before={k: before[k] for k in changed},
           after={k: after[k] for k in changed}, actor=actor, organisation_id=org.id)
    return True
