"""Providers' documents: insurance certificates and policies. Views call these, then db.commit().

    doc = upload_document(actor, UploadInput(kind, data, filename, setting_id, cover_pence, expires_on))
    remove_document(actor, doc)
    documents_for(provider_id)                 # current documents, as a provider or the DPS sees them
    insurance_status(provider_id, today)       # {kind: (missing|expired|current, document|None)}

A file is typed by its content (portal.filetypes) and stored under a generated key
(documents/<organisation id>/<uuid>.<ext>); the user's filename is only ever a display name.
A new upload of the same kind (and, for a statement of purpose, the same home) supersedes the
current one, which stays listed under "Previous versions". Removing marks the document deleted;
the file stays in storage for the audit trail. Every change is audited in the same transaction.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import select

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.jobs import periodic
from portal.core.mail import notify
from portal.core.models import Organisation, User, UserRole
from portal.core.services import ServiceError
from portal.core.signals import emit
from portal.core.storage import StorageError, storage
from portal.filetypes import UploadRefused, check_upload, display_name
from portal.models import DOCUMENT_KINDS, INSURANCE_KINDS, MAX_DOCUMENT_BYTES, Document, Setting
from portal.services import FieldError

LONDON = ZoneInfo("Europe/London")
REMINDER_DAYS = (30, 7)  # before expires_on; each sent once per document
EXPIRING_SOON_DAYS = 30
PER_SETTING_KINDS = ("statement_of_purpose",)
MAX_COVER_PENCE = 100_000_000_000 * 100  # £100bn: anything above is a typing mistake
KIND_ORDER = {kind: n for n, kind in enumerate(DOCUMENT_KINDS)}


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()


@dataclass(frozen=True)
class UploadInput:
    kind: str
    data: bytes
    filename: str
    setting_id: int | None = None
    cover_pence: int | None = None
    expires_on: date | None = None


def _snapshot(doc: Document) -> dict:
    return {"kind": doc.kind, "setting_id": doc.setting_id, "filename": doc.filename,
            "content_type": doc.content_type, "size_bytes": doc.size_bytes, "status": doc.status,
            "cover_amount_pence": doc.cover_amount_pence,
            "expires_on": doc.expires_on.isoformat() if doc.expires_on else None}


def _check(actor: User, data: UploadInput, today: date) -> Setting | None:
    """Rules the form also checks, held here too so that no caller can store a bad document."""
    if data.kind not in DOCUMENT_KINDS:
        raise FieldError("kind", "Select the kind of document")
    setting = None
    if data.kind in PER_SETTING_KINDS:
        setting = db.session.get(Setting, data.setting_id) if data.setting_id else None
        if setting is None or setting.provider_id != actor.organisation_id or setting.status != "open":
            raise FieldError("setting", "Select the home this statement of purpose is for")
    if data.kind in INSURANCE_KINDS:
        if data.cover_pence is None or not 0 < data.cover_pence <= MAX_COVER_PENCE:
            raise FieldError("cover", "Enter the cover amount in pounds, like 5,000,000")
        if data.expires_on is None:
            raise FieldError("expires_on", "Enter the date the insurance expires")
        if data.expires_on < today:
            raise FieldError("expires_on", "The insurance has already expired: upload the current certificate")
    return setting


def upload_document(actor: User, data: UploadInput, today: date | None = None) -> Document:
    """Store the file and add a current document, superseding the one it replaces."""
    today = today or london_today()
    setting = _check(actor, data, today)
    try:
        filetype = check_upload(data.data, MAX_DOCUMENT_BYTES)
    except UploadRefused as exc:
        raise FieldError("file", str(exc)) from None
    insurance = data.kind in INSURANCE_KINDS
    # One upload at a time per provider, so two at once cannot both stay current (a no-op on SQLite,
    # which serialises writers anyway).
    db.session.execute(select(Organisation.id).where(Organisation.id == actor.organisation_id).with_for_update())
    same_home = Document.setting_id == setting.id if setting else Document.setting_id.is_(None)
    previous = db.session.scalars(
        select(Document).where(Document.organisation_id == actor.organisation_id, Document.kind == data.kind,
                               Document.status == "current", same_home)).all()
    doc = Document(
        organisation_id=actor.organisation_id, setting_id=setting.id if setting else None, kind=data.kind,
        filename=display_name(data.filename, filetype), content_type=filetype.content_type,
        size_bytes=len(data.data), storage_key=f"documents/{actor.organisation_id}/{uuid.uuid4().hex}.{filetype.ext}",
        cover_amount_pence=data.cover_pence if insurance else None, expires_on=data.expires_on if insurance else None,
        status="current", uploaded_by_id=actor.id, uploaded_at=utcnow(),
    )
    db.session.add(doc)
    for old in previous:
        old.status = "superseded"
    db.session.flush()
    for old in previous:
        record("document.superseded", "document", old.id, before={"status": "current"},
               after={"status": "superseded", "superseded_by": doc.id}, actor=actor)
    record("document.uploaded", "document", doc.id, after=_snapshot(doc), actor=actor)
    emit("document", provider_id=doc.organisation_id)
    try:
        storage().put(doc.storage_key, data.data, doc.content_type)
    except (StorageError, OSError) as exc:
        current_app.logger.error("storing document %s failed: %s", doc.storage_key, exc)
        raise ServiceError("The document could not be saved. Try again.") from exc
    return doc


def remove_document(actor: User, doc: Document) -> None:
    """Mark the document deleted. The file is kept in storage for the audit trail."""
    if doc.organisation_id != actor.organisation_id:
        raise ServiceError("You can only remove your own organisation's documents")
    if doc.status == "deleted":
        raise ServiceError("This document has already been removed")
    before = doc.status
    doc.status = "deleted"
    record("document.deleted", "document", doc.id, before={"status": before}, after={"status": "deleted"},
           actor=actor)
    emit("document", provider_id=doc.organisation_id)


def download_link(doc: Document) -> str:
    """A short-lived signed link; the caller must already have checked who may see the document."""
    return storage().link(doc.storage_key, doc.filename, doc.content_type)


def _ordered(docs) -> list[Document]:
    return sorted(docs, key=lambda d: (KIND_ORDER[d.kind], d.setting.name if d.setting else "",
                                       -d.uploaded_at.timestamp(), -d.id))


def documents_for(provider_id: int, status: str = "current") -> list[Document]:
    """A provider's documents in one status, by kind then home (newest first within each)."""
    return _ordered(db.session.scalars(
        select(Document).where(Document.organisation_id == provider_id, Document.status == status)))


def insurance_status(provider_id: int, today: date) -> dict[str, tuple[str, Document | None]]:
    """Each required insurance: ("missing", None), ("expired", doc) or ("current", doc)."""
    current = {d.kind: d for d in db.session.scalars(
        select(Document).where(Document.organisation_id == provider_id, Document.status == "current",
                               Document.kind.in_(INSURANCE_KINDS)).order_by(Document.uploaded_at, Document.id))}
    result: dict[str, tuple[str, Document | None]] = {}
    for kind in INSURANCE_KINDS:
        doc = current.get(kind)
        if doc is None:
            result[kind] = ("missing", None)
        elif doc.expires_on is not None and doc.expires_on < today:
            result[kind] = ("expired", doc)
        else:
            result[kind] = ("current", doc)
    return result


def expiry_tag(doc: Document | None, today: date) -> tuple[str, str] | None:
    """(text, colour) for a GOV.UK tag about the document's expiry, or None if nothing to say."""
    if doc is None:
        return ("Missing", "red")
    if doc.expires_on is None:
        return None
    days = (doc.expires_on - today).days
    if days < 0:
        return ("Expired", "red")
    if days == 0:
        return ("Expires today", "orange")
    if days <= EXPIRING_SOON_DAYS:
        return (f"Expires in {days} day{'s' if days != 1 else ''}", "orange")
    return ("Current", "green")


# --- expiry reminders -----------------------------------------------------------------------------

def reminder_due(expires_on: date, today: date) -> int | None:
    """Which reminder (30 or 7 days) is due today, catching up on a missed run: the 30-day one from
    30 days down to 8, the 7-day one from 7 days down to the expiry date. None outside those."""
    days = (expires_on - today).days
    if days < 0:
        return None
    for threshold in sorted(REMINDER_DAYS):
        if days <= threshold:
            return threshold
    return None


def _external(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@periodic(timedelta(hours=6))
def send_document_expiry_reminders() -> int:
    """Tell each provider's active admins that an insurance certificate expires in 30 and in 7 days.
    notify() is keyed on (user, document, threshold), so each is sent once; a run that missed the
    day still sends the reminder that is due, and never the 30-day one once the 7-day one is."""
    today = london_today()
    docs = db.session.scalars(
        select(Document).where(Document.status == "current", Document.kind.in_(INSURANCE_KINDS),
                               Document.expires_on >= today,
                               Document.expires_on <= today + timedelta(days=max(REMINDER_DAYS)))
        .order_by(Document.id)).all()
    sent = 0
    for doc in docs:
        threshold = reminder_due(doc.expires_on, today)
        if threshold is None:
            continue
        admins = db.session.scalars(
            select(User).join(UserRole).where(User.organisation_id == doc.organisation_id, User.status == "active",
                                               UserRole.role == "provider_admin").order_by(User.id)).all()
        for user in admins:
            notify(user, "document_expiry", "document", doc.id, key_suffix=f":{threshold}",
                   link=_external("documents.documents"), document=doc,
                   days_left=(doc.expires_on - today).days)
            sent += 1
    db.commit()
    return sent


def human_size(size_bytes: int) -> str:
    if size_bytes < 1024 * 1024:
        return f"{max(1, round(size_bytes / 1024))}KB"
    return f"{size_bytes / (1024 * 1024):.1f}MB"
