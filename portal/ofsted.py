"""Ofsted import: reconcile Ofsted's provider-level CSV with our settings, by URN.

    imp = create_import(data, "ofsted.csv", uploaded_by=user)   # stores the file, adds the row
    enqueue(run_import, imp.id, key=f"ofsted-import:{imp.id}"); db.commit()

run_import() is the background job (also run synchronously by `flask ofsted import PATH`). It
claims the import with one conditional UPDATE (queued → running; a claim older than the job
lease, JOB_CLAIM_SECONDS, may be taken over), parses the file (portal.ofsted_csv) and applies it in
batches of BATCH_SIZE rows, committing progress, counts and the report after each batch, so the page's
progress bar moves and a restarted job resumes after the last committed batch. A completed or
failed import is never run again.

Rules (apply_rows):
* Rows are matched to settings by exact URN. Unknown URNs are listed, never created.
* overall_effectiveness, inspection_date, registration_status and registered_places are compared;
  each difference is applied, listed (before → after) and audited ("setting.ofsted_updated", one
  audit row per setting, in the same transaction). A blank value in the file ("not yet
  inspected", no places, no status) never clears what we hold.
* A change to "Inadequate", or to a registration status other than "active", suspends the setting
  at once (if it is not suspended already) and notifies the provider's admins and every DPS
  manager (inbox and email, keyed on the import, so at most once per import).
* Suspensions are never lifted here: when a suspended setting improves the report says so and a
  person decides.
"""
from __future__ import annotations

import secrets
from datetime import date
from typing import Any, Iterable

from sqlalchemy import and_, or_, select, update

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.jobs import claim_lease
from portal.core.bulk_mail import notify_many
from portal.core.models import User, UserRole
from portal.core.signals import emit
from portal.core.storage import storage
from portal.models import OfstedImport, Setting
from portal.ofsted_csv import DuplicateRow, OfstedFormatError, OfstedRow, RejectedRow, iter_ofsted_csv

BATCH_SIZE = 500
MAX_BYTES = 10 * 1024 * 1024
INADEQUATE = "Inadequate"
RATING_ORDER = {"Outstanding": 4, "Good": 3, "Requires improvement to be good": 2, INADEQUATE: 1}
FIELD_LABELS = {
    "overall_effectiveness": "Overall effectiveness",
    "inspection_date": "Inspection date",
    "registration_status": "Registration status",
    "registered_places": "Registered places",
}
# OfstedRow attribute for each Setting field we reconcile.
FIELDS = {"overall_effectiveness": "overall_effectiveness", "inspection_date": "inspection_date",
          "registration_status": "registration_status", "registered_places": "places"}
REPORT_LISTS = ("changes", "unknown", "rejected", "duplicates", "suspended", "improved")


def empty_report() -> dict[str, list]:
    return {name: [] for name in REPORT_LISTS}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def long_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def create_import(data: bytes, filename: str, uploaded_by: User | None = None) -> OfstedImport:
    """Store the file and add a queued import row (in the caller's transaction)."""
    imp = OfstedImport(filename=filename[:255] or "ofsted.csv", storage_key="-", status="queued",
                       uploaded_by_id=uploaded_by.id if uploaded_by else None, report=empty_report())
    db.session.add(imp)
    db.session.flush()
    imp.storage_key = f"ofsted-imports/{imp.id}-{secrets.token_hex(8)}.csv"
    storage().put(imp.storage_key, data, "text/csv")
    record("ofsted_import.created", "ofsted_import", imp.id, after={"filename": imp.filename},
           actor=uploaded_by)
    return imp


# --- Applying rows ------------------------------------------------------------------------------

class _Recipients:
    """Who hears about a suspension: the provider's admins and every DPS manager (cached per run)."""

    def __init__(self) -> None:
        self._dps: list[User] | None = None
        self._admins: dict[int, list[User]] = {}

    @staticmethod
    def _users(role: str, organisation_id: int | None = None) -> list[User]:
        stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role, User.status == "active").order_by(User.id))
        if organisation_id is not None:
            stmt = stmt.where(User.organisation_id == organisation_id)
        return list(db.session.scalars(stmt).unique())

    def for_setting(self, setting: Setting) -> list[User]:
        if self._dps is None:
            self._dps = self._users("dps_manager")
        if setting.provider_id not in self._admins:
            self._admins[setting.provider_id] = self._users("provider_admin", setting.provider_id)
        seen: dict[int, User] = {}
        for user in self._admins[setting.provider_id] + self._dps:
            seen.setdefault(user.id, user)
        return list(seen.values())


def _suspension_reason(setting: Setting, row: OfstedRow, rating_now_inadequate: bool) -> str:
    if rating_now_inadequate:
        when = row.inspection_date or setting.inspection_date
        return "Rated Inadequate by Ofsted" + (f" on {long_date(when)}" if when else "")
    return f"Ofsted registration {setting.registration_status}"


def _improvement(setting: Setting, before: dict[str, Any]) -> str | None:
    notes = []
    if "overall_effectiveness" in before:
        old = RATING_ORDER.get(before["overall_effectiveness"] or "", 0)
        new = RATING_ORDER.get(setting.overall_effectiveness or "", 0)
        if new > old:
            notes.append(f"now rated {setting.overall_effectiveness}")
    if "registration_status" in before and setting.registration_status == "active":
        notes.append("registration now active")
    return " and ".join(notes) or None


def apply_rows(rows: Iterable[OfstedRow], report: dict[str, list], *, import_id: int | str,
               actor: User | None = None, recipients: _Recipients | None = None) -> int:
    """Reconcile one batch of parsed rows (distinct URNs) with the settings they name.

    Loads all matching settings in one query, applies and audits the differences, suspends and
    notifies where needed, and appends to ``report``'s lists. Returns the number of field changes.
    Does not commit.
    """
    rows = list(rows)
    recipients = recipients or _Recipients()
    urns = [row.urn for row in rows]
    by_urn = {s.urn: s for s in db.session.scalars(select(Setting).where(Setting.urn.in_(urns)))} if urns else {}
    changes, changed = 0, []
    for row in rows:
        setting = by_urn.get(row.urn)
        if setting is None:
            report["unknown"].append({"urn": row.urn, "row": row.row_number, "name": row.name})
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for field, attr in FIELDS.items():
            new = getattr(row, attr)
            old = getattr(setting, field)
            if new is None or new == old:
                continue
            before[field], after[field] = _json(old), _json(new)
            setattr(setting, field, new)
            report["changes"].append({"urn": row.urn, "setting_id": setting.id, "setting": setting.name,
                                      "row": row.row_number, "field": field,
                                      "before": _json(old), "after": _json(new)})
        if not after:
            continue
        changes += len(after)
        now_inadequate = after.get("overall_effectiveness") == INADEQUATE
        deregistered = "registration_status" in after and setting.registration_status != "active"
        if (now_inadequate or deregistered) and not setting.suspended:
            reason = _suspension_reason(setting, row, now_inadequate)
            before.update(suspended=False, suspended_reason=setting.suspended_reason)
            after.update(suspended=True, suspended_reason=reason)
            setting.suspended, setting.suspended_reason = True, reason
            report["suspended"].append({"urn": row.urn, "setting_id": setting.id, "setting": setting.name,
                                        "reason": reason})
            notify_many(recipients.for_setting(setting), "ofsted_suspension", "setting", setting.id,
                        key_suffix=f":{import_id}", setting=setting, reason=reason, provider=setting.provider)
        elif setting.suspended and (note := _improvement(setting, before)):
            report["improved"].append({"urn": row.urn, "setting_id": setting.id, "setting": setting.name,
                                       "detail": note, "suspended_reason": setting.suspended_reason})
        record("setting.ofsted_updated", "setting", setting.id, before=before, after=after, actor=actor)
        changed.append(setting.id)
    if changed:
        emit("setting", setting_ids=changed)  # once per batch: listeners fetch what they need in bulk
    return changes


# --- The job ------------------------------------------------------------------------------------

def _claim(import_id: int) -> bool:
    now = utcnow()
    claimed = db.session.execute(
        update(OfstedImport)
        .where(OfstedImport.id == import_id,
               or_(OfstedImport.status == "queued",
                   and_(OfstedImport.status == "running", OfstedImport.started_at < now - claim_lease())))
        .values(status="running", started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def _record_rejects(items: list, report: dict[str, list]) -> None:
    for item in items:
        if isinstance(item, DuplicateRow):
            report["duplicates"].append({"row": item.row_number, "urn": _raw_urn(item), "first_row":
                                         item.first_row_number, "reason": item.reason})
        else:
            report["rejected"].append({"row": item.row_number, "reason": item.reason})


def _raw_urn(item: RejectedRow) -> str:
    for key, value in item.raw.items():
        if key.strip().lower() in ("urn", "unique reference number"):
            return value.strip().upper()
    return ""


def run_import(import_id: int) -> None:
    """Job: process one Ofsted import. Restartable, and a no-op once completed or failed."""
    if not _claim(import_id):
        return
    imp = db.session.get(OfstedImport, import_id, populate_existing=True)
    try:
        try:
            items = list(iter_ofsted_csv(storage().get(imp.storage_key)))
        except OfstedFormatError as exc:
            imp.status, imp.error, imp.finished_at = "failed", str(exc), utcnow()
            record("ofsted_import.failed", "ofsted_import", imp.id, actor=imp.uploaded_by,
                   before={"status": "running"}, after={"status": "failed", "error": imp.error})
            db.commit()
            return
        report = {name: list(imp.report.get(name, [])) for name in REPORT_LISTS} if imp.report else empty_report()
        imp.total_rows, imp.error = len(items), None
        actor = imp.uploaded_by
        recipients = _Recipients()
        for start in range(imp.processed_rows, len(items), BATCH_SIZE):
            batch = items[start:start + BATCH_SIZE]
            _record_rejects([i for i in batch if isinstance(i, RejectedRow)], report)
            imp.changes_count += apply_rows([i for i in batch if isinstance(i, OfstedRow)], report,
                                            import_id=import_id, actor=actor, recipients=recipients)
            imp.processed_rows = start + len(batch)
            imp.unknown_count = len(report["unknown"])
            imp.rejected_count = len(report["rejected"]) + len(report["duplicates"])
            imp.report = {name: list(values) for name, values in report.items()}
            db.commit()
        imp.status, imp.finished_at = "completed", utcnow()
        record("ofsted_import.completed", "ofsted_import", imp.id, actor=actor,
               after={"changes": imp.changes_count, "unknown": imp.unknown_count, "rejected": imp.rejected_count})
        db.commit()
    except Exception as exc:
        # Hand the import back so the job's retry (or `flask ofsted import` again) can resume it.
        db.session.rollback()
        db.session.execute(
            update(OfstedImport).where(OfstedImport.id == import_id, OfstedImport.status == "running")
            .values(status="queued", error=f"The import stopped unexpectedly and will be retried: {exc}"[:2000])
            .execution_options(synchronize_session=False))
        db.session.commit()
        db.session.expire_all()
        raise


def imports_query(user: User):
    """Imports a DPS manager may see: their organisation's uploads and command-line imports, newest first."""
    return (select(OfstedImport).outerjoin(User, User.id == OfstedImport.uploaded_by_id)
            .where(or_(OfstedImport.uploaded_by_id.is_(None), User.organisation_id == user.organisation_id))
            .order_by(OfstedImport.created_at.desc(), OfstedImport.id.desc()))


def imports_for(user: User) -> list[OfstedImport]:
    return list(db.session.scalars(imports_query(user)))


def own_import(user: User, import_id: int) -> OfstedImport | None:
    """Owner loader for /dps/ofsted-imports/<id>: None (→ 404) unless it is one the user may see."""
    imp = db.session.get(OfstedImport, import_id)
    if imp is None:
        return None
    if imp.uploaded_by_id is not None and imp.uploaded_by.organisation_id != user.organisation_id:
        return None
    return imp
