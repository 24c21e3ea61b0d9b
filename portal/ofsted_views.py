"""Ofsted import pages for the DPS manager: upload, progress and report, past imports."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField
from wtforms.validators import ValidationError

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.jobs import enqueue
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.ofsted import (FIELD_LABELS, MAX_BYTES, create_import, imports_for, imports_query, long_date, own_import,
                           run_import)

bp = Blueprint("ofsted", __name__, url_prefix="/dps/ofsted-imports")
SHOW_AT_MOST = 1000  # rows per list on the page; the command line prints everything


def _csv_file(form, field):
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        raise ValidationError("Select a CSV file")
    if not upload.filename.lower().endswith(".csv"):
        raise ValidationError("The selected file must be a CSV")
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError("The selected file must be smaller than 10MB")
    if not data.strip():
        raise ValidationError("The selected file is empty")
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError("The selected file must be a CSV, not an Excel workbook: save it as CSV and try again")
    form.file_bytes = data


class OfstedUploadForm(FlaskForm):
    file = FileField("Upload a file", widget=GovFileInput(), validators=[_csv_file])
    submit = SubmitField("Upload and import", widget=GovSubmitInput())


def _show(field: str, value) -> str:
    if value is None or value == "":
        return "None"
    if field == "inspection_date":
        return long_date(date.fromisoformat(value))
    if field == "registration_status":
        return str(value).capitalize()
    return str(value)


@bp.get("")
@allow("dps_manager")
def imports():
    file = tabular.maybe_download(request, ("File", "Uploaded", "Uploaded by", "Status", "Changes", "Unknown URNs",
                                            "Rejected rows"), lambda: [
        (i.filename, i.created_at, i.uploaded_by.name if i.uploaded_by else "Command line", i.status.capitalize(),
         i.changes_count, i.unknown_count, i.rejected_count) for i in imports_for(current_user)], "ofsted-imports")
    if file:
        return file
    rows, total, page = page_of(imports_query(current_user), page_number())
    return render_template("portal/ofsted_imports.html", imports=rows, page=page, total=total, page_size=PAGE_SIZE)


@bp.route("/new", methods=["GET", "POST"])
@allow("dps_manager")
def imports_new():
    form = OfstedUploadForm()
    if form.validate_on_submit():
        imp = create_import(form.file_bytes, form.file.data.filename, uploaded_by=current_user)
        enqueue(run_import, imp.id, key=f"ofsted-import:{imp.id}")
        db.commit()
        return redirect(url_for("ofsted.imports_detail", import_id=imp.id))
    return render_template("portal/ofsted_import_new.html", form=form), (200 if not form.errors else 400)


@bp.get("/<int:import_id>")
@allow("dps_manager", owner=own_import)
def imports_detail(import_id: int):
    imp = owned()
    db.session.refresh(imp)
    file = tabular.maybe_download_table(request, report_tables(imp.report or {} if imp.finished else {}),
                                        f"ofsted-import-{imp.id}")
    if file:
        return file
    return render_template("portal/ofsted_import.html", imp=imp, report=imp.report or {}, labels=FIELD_LABELS,
                           show=_show, limit=SHOW_AT_MOST)


def _cell(field: str, value):
    """A Before or After value typed for a file: dates as dates, the rest as the page words it."""
    if value is None or value == "":
        return None
    if field == "inspection_date":
        return date.fromisoformat(value)
    return _show(field, value)


def report_tables(report: dict) -> dict:
    """The import report's tables (?table=changes|unknown|rejected|duplicates): every row, where the page
    shows the first SHOW_AT_MOST."""
    return {
        "changes": (("Home", "URN", "Field", "Before", "After"), lambda: [
            (c["setting"], c["urn"], FIELD_LABELS.get(c["field"], c["field"]), _cell(c["field"], c["before"]),
             _cell(c["field"], c["after"])) for c in report.get("changes", [])]),
        "unknown": (("Row", "URN", "Name in the file"), lambda: [
            (u["row"], u["urn"], u.get("name") or None) for u in report.get("unknown", [])]),
        "rejected": (("Row", "Reason"), lambda: [(r["row"], r["reason"]) for r in report.get("rejected", [])]),
        "duplicates": (("Row", "URN", "First seen on row"), lambda: [
            (d["row"], d["urn"], d["first_row"]) for d in report.get("duplicates", [])]),
    }
