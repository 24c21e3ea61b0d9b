"""Provider pages for documents: list, upload, view and download, remove. Thin: forms and services."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.services import ServiceError
from portal.document_forms import RemoveDocumentForm, UploadDocumentForm
from portal.documents import (UploadInput, documents_for, download_link, expiry_tag, human_size, insurance_status,
                              london_today, remove_document, upload_document)
from portal.models import DOCUMENT_KINDS, INSURANCE_KINDS, Document, Setting
from portal.services import FieldError

bp = Blueprint("documents", __name__)
PROVIDER = ("provider_admin", "provider_staff")


def own_document(user: User, document_id: int) -> Document | None:
    """The provider's own document; a removed one is gone for them (its file stays for the audit trail)."""
    doc = db.session.get(Document, document_id)
    if doc is None or doc.organisation_id != user.organisation_id or doc.status == "deleted":
        return None
    return doc


@bp.get("/documents")
@allow(*PROVIDER)
def documents():
    today = london_today()
    provider_id = current_user.organisation_id
    current = documents_for(provider_id)
    missing = [kind for kind, (status, _doc) in insurance_status(provider_id, today).items() if status == "missing"]
    file = tabular.maybe_download(request, DOCUMENT_HEADERS, lambda: _document_rows(current, missing, today),
                                  "documents")
    if file:
        return file
    return render_template("portal/documents.html", current=current, missing=missing, kinds=DOCUMENT_KINDS,
                           previous=documents_for(provider_id, "superseded"), today=today, expiry_tag=expiry_tag)


DOCUMENT_HEADERS = ("Document", "File", "Home", "Cover (GBP)", "Expires", "Status")


def _document_rows(current, missing, today) -> list[tuple]:
    """The page's "Current documents" table, in its order: each kind, a missing row first if missing."""
    rows = []
    for kind, label in DOCUMENT_KINDS.items():
        if kind in missing:
            rows.append((label, None, None, None, None, "Missing"))
        for doc in (d for d in current if d.kind == kind):
            tag = expiry_tag(doc, today)
            rows.append((doc.kind_label, doc.filename, doc.setting.name if doc.setting else None,
                         Decimal(doc.cover_amount_pence) / 100 if doc.cover_amount_pence is not None else None,
                         doc.expires_on, tag[0] if tag else None))
    return rows


def _upload_form() -> UploadDocumentForm:
    form = UploadDocumentForm()
    homes = db.session.scalars(select(Setting).where(Setting.provider_id == current_user.organisation_id,
                                                     Setting.status == "open").order_by(Setting.name, Setting.id))
    form.setting.choices = [SelectChoice("", "Select a home")] + [SelectChoice(str(h.id), h.name) for h in homes]
    return form


@bp.route("/documents/new", methods=["GET", "POST"])
@allow("provider_admin")
def documents_new():
    form = _upload_form()
    if form.validate_on_submit():
        setting_id = int(form.setting.data) if (form.setting.data or "").isdigit() else None
        data = UploadInput(kind=form.kind.data, data=form.file_bytes, filename=form.file.data.filename or "",
                           setting_id=setting_id, cover_pence=form.cover_pence, expires_on=form.expires_on.data)
        try:
            doc = upload_document(current_user, data)
        except FieldError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(f"{doc.kind_label} uploaded.", "success")
            return redirect(url_for("documents.documents_detail", document_id=doc.id))
    return render_template("portal/document_form.html", form=form, insurance_kinds=INSURANCE_KINDS), (
        200 if not form.errors else 400)


@bp.get("/documents/<int:document_id>")
@allow(*PROVIDER, owner=own_document)
def documents_detail(document_id: int):
    doc = owned()
    uploader = db.session.get(User, doc.uploaded_by_id) if doc.uploaded_by_id else None
    return render_template("portal/document.html", doc=doc, uploader=uploader, today=london_today(),
                           expiry_tag=expiry_tag, size=human_size(doc.size_bytes))


@bp.get("/documents/<int:document_id>/download")
@allow(*PROVIDER, owner=own_document)
def documents_download(document_id: int):
    """Ownership is checked here; the signed link it redirects to lives for a few minutes."""
    return redirect(download_link(owned()))


@bp.route("/documents/<int:document_id>/remove", methods=["GET", "POST"])
@allow("provider_admin", owner=own_document)
def documents_remove(document_id: int):
    doc = owned()
    form = RemoveDocumentForm()
    if form.validate_on_submit():
        try:
            remove_document(current_user, doc)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("documents.documents"))
        db.commit()
        flash(f"{doc.kind_label} ({doc.filename}) has been removed.", "success")
        return redirect(url_for("documents.documents"))
    return render_template("portal/document_remove.html", form=form, doc=doc), (200 if not form.errors else 400)
