"""Background exports of big tables (issue 6 item 5).

A table with more than EXPORT_SYNC_LIMIT rows is not built in the request: its download button POSTs
here, which queues run_export() with only the user id, the export name, the format and the page's filter
parameters (JobRun.args is the export request: no new table). The job asks the registered table function
(portal.core.tabular.register_export) for the rows as that user, writes the file through storage under
exports/<user>/<job>.<format>, records progress beside it, and puts an "export_ready" message in the
user's inbox with a signed link that expires after EXPORT_LINK_SECONDS (default 7 days). The progress
page reuses the Ofsted import pattern (data-ofsted-progress + static/ofsted-import.js; no inline script).

Files are kept EXPORT_RETENTION_HOURS (default 24) after the job finished: portal.jobs.delete_old_exports
deletes older ones every hour. The JobRun stays (it is the record of who exported what); an export is
expired when its finish is older than the retention, so the progress page and the inbox link say so
(a friendly 410 page) whether or not the clean-up has run yet."""
from __future__ import annotations

import json
import secrets

from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.core import db, tabular
from portal.core.db import utcnow
from portal.core.access import allow, owned, signed_in
from portal.core.jobs import enqueue, function_path
from portal.core.mail import notify
from portal.core.models import ROLES, JobRun, User
from portal.core.storage import S3Storage, StorageError, storage

bp = Blueprint("table_exports", __name__)
DEFAULT_LINK_SECONDS = 7 * 24 * 3600
PROGRESS_EVERY = 500
RESERVED = {"csrf_token", "format", "page", "submit"}


def _key(user_id: int, run_id: int, fmt: str, suffix: str = "") -> str:
    return f"exports/{user_id}/{run_id}.{fmt}{suffix}"


def _allowed(user: User, name: str) -> bool:
    entry = tabular.EXPORTS.get(name)
    return entry is not None and user.has_role(*entry[1])


def _link_seconds() -> int:
    return int(current_app.config.get("EXPORT_LINK_SECONDS", DEFAULT_LINK_SECONDS))


def retention() -> timedelta:
    return timedelta(hours=int(current_app.config.get("EXPORT_RETENTION_HOURS", 24)))


def expires_at(run: JobRun) -> datetime | None:
    return run.finished_at + retention() if run.finished_at else None


def is_expired(run: JobRun, now: datetime | None = None) -> bool:
    return run.status == "succeeded" and run.finished_at is not None and expires_at(run) <= (now or utcnow())


def _run_id(key: str) -> int | None:
    """The JobRun id in an export's storage key exports/<user>/<run>.<format>."""
    name = key.rsplit("/", 1)[-1].split(".", 1)[0]
    return int(name) if name.isdigit() else None


def delete_files(run: JobRun) -> None:
    """Delete an export's file and its progress record (missing files are fine)."""
    backend = storage()
    for suffix in ("", ".progress"):
        backend.delete(_key(run.args[0], run.id, run.args[2], suffix))


def _lifetime_days() -> int:
    """How long the inbox link is any use: the shorter of the link's life and the file's, in whole days."""
    return max(1, min(_link_seconds(), int(retention().total_seconds())) // 86400)


def signed_link(run: JobRun) -> str:
    user_id, name, fmt = run.args[0], run.args[1], run.args[2]
    token = storage().signer.dumps({"k": _key(user_id, run.id, fmt), "f": tabular.safe_filename(
        f"{name}-{run.created_at.date().isoformat()}", fmt), "t": tabular.FORMATS[fmt]})
    return url_for("table_exports.download", token=token)


def _external(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _progress(run: JobRun) -> tuple[int, int]:
    try:
        done, _, total = storage().get(_key(run.args[0], run.id, run.args[2], ".progress")).decode().partition("/")
        return int(done), int(total)
    except (StorageError, ValueError):
        return 0, 0


# --- the job ----------------------------------------------------------------------------------------

def run_export(user_id: int, name: str, fmt: str, params_json: str, token: str) -> None:
    """Job: build one export as the user who asked for it, store it, tell them in their inbox."""
    run = db.session.scalar(select(JobRun).where(JobRun.key == f"export:{token}"))
    user = db.session.get(User, user_id)
    if run is None or user is None or not user.is_active or not _allowed(user, name) or fmt not in tabular.FORMATS:
        return  # the user has gone or lost the role since asking: nothing to build
    fn = tabular.EXPORTS[name][0]
    headers, rows = fn(user, json.loads(params_json))
    rows = list(rows)
    backend = storage()
    progress_key = _key(user_id, run.id, fmt, ".progress")

    def counted():
        for number, row in enumerate(rows, start=1):
            if number % PROGRESS_EVERY == 0:
                backend.put(progress_key, f"{number}/{len(rows)}".encode(), "text/plain")
            yield row

    backend.put(progress_key, f"0/{len(rows)}".encode(), "text/plain")
    body = (tabular.to_csv(headers, counted()).encode("utf-8") if fmt == "csv"
            else tabular.to_xlsx(headers, counted(), name))
    backend.put(_key(user_id, run.id, fmt), body, tabular.FORMATS[fmt])
    backend.put(progress_key, f"{len(rows)}/{len(rows)}".encode(), "text/plain")
    with current_app.test_request_context():
        link, page = _external(signed_link(run)), _external(url_for("table_exports.progress", run_id=run.id))
    notify(user, "export_ready", "job_run", run.id, link=link, page=page, rows=len(rows), fmt=fmt.upper(),
           days=_lifetime_days())


# --- pages ------------------------------------------------------------------------------------------

@bp.post("/exports/<name>")
@signed_in
def start(name: str):
    fmt = request.form.get("format")
    if not _allowed(current_user, name):
        abort(404)
    if fmt not in tabular.FORMATS:
        abort(400)
    params = {k: v for k, v in request.form.items() if k not in RESERVED and v}
    token = secrets.token_urlsafe(16)
    run = enqueue(run_export, current_user.id, name, fmt, json.dumps(params, sort_keys=True), token,
                  key=f"export:{token}", max_attempts=2)
    db.session.flush()
    run_id = run.id
    db.commit()
    return redirect(url_for("table_exports.progress", run_id=run_id), 303)


def own_export(user: User, run_id: int, **_) -> JobRun | None:
    run = db.session.get(JobRun, run_id)
    if run is None or run.function != function_path(run_export) or run.args[0] != user.id:
        return None
    return run


@bp.get("/exports/<int:run_id>")
@allow(*ROLES, owner=own_export)
def progress(run_id: int):
    run = owned()
    db.session.refresh(run)
    expired = is_expired(run)
    done, total = (0, 0) if expired else _progress(run)
    link = signed_link(run) if run.status == "succeeded" and not expired else None
    return render_template("portal/export_progress.html", run=run, done=done, total=total, link=link,
                           fmt=run.args[2].upper(), title="Your download", expired=expired,
                           expires=expires_at(run), retention_hours=int(retention().total_seconds() // 3600))


@bp.get("/exports/download/<token>")
@signed_in
def download(token: str):
    """The signed link from the inbox; valid for EXPORT_LINK_SECONDS and only for the user it was made for."""
    backend = storage()
    try:
        info = backend.open_link(token, _link_seconds())
        if not info["k"].startswith(f"exports/{current_user.id}/"):
            abort(404)
        run_id = _run_id(info["k"])
        run = db.session.get(JobRun, run_id) if run_id else None
        if run is None or is_expired(run):
            return _expired()
        if isinstance(backend, S3Storage):
            return redirect(backend.presigned_url(info["k"], info["f"], info["t"]))
        data = backend.get(info["k"])
    except StorageError as exc:
        if str(exc).startswith("no document"):  # deleted by the clean-up (or never written)
            return _expired()
        message = str(exc).replace("open the document again", "start the download again")
        return render_template("portal/export_expired.html", message=message, title="Download a table"), 410
    return Response(data, mimetype=info["t"].split(";")[0], headers={
        "Content-Disposition": f'attachment; filename="{info["f"]}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


@bp.app_template_global("export_too_big")
def _export_too_big(count: int, export: str | None) -> bool:
    """For templates/portal/_download.html: whether a table's download must go to the background."""
    return tabular.too_big(count, export)


def _expired():
    hours = int(retention().total_seconds() // 3600)
    return render_template("portal/export_expired.html", title="This download has expired",
                           message=f"This file has expired. We keep prepared downloads for {hours} hours."), 410
