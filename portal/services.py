"""State changes for settings (homes) and vacancies. Views call these, then db.commit().

Every change writes its audit row in the same transaction. Vacancies use optimistic locking: the
page carries the version the user saw; a different version now (or a concurrent flush, which
SQLAlchemy's version counter turns into StaleDataError) raises VacancyConflict and nothing is saved.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.models import User
from portal.core.services import ServiceError
from portal.core.signals import emit
from portal.geography import district_of, known_districts, normalise_postcode
from portal.models import Need, Setting, Vacancy, VacancyHistory

SETTING_FIELDS = ("name", "urn", "kind", "registration_status", "overall_effectiveness", "inspection_date",
                  "registered_places", "min_age", "max_age", "accepts_male", "accepts_female", "postcode")
CONFLICT = "Someone else changed the vacancy for {name} while you were editing it. Check it and try again"


class FieldError(ServiceError):
    """A rule about one field refused the change; the view shows it against that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class VacancyConflict(ServiceError):
    """Someone else changed the vacancy since the user loaded it."""

    def __init__(self, setting: Setting):
        super().__init__(CONFLICT.format(name=setting.name))
        self.setting_id = setting.id


def _json(value):
    return value.isoformat() if isinstance(value, date) else value


def _snapshot(setting: Setting) -> dict:
    data = {f: _json(getattr(setting, f)) for f in SETTING_FIELDS}
    data["needs"] = sorted(n.code for n in setting.needs)
    data["status"] = setting.status
    return data


def _apply(setting: Setting, values: dict) -> None:
    values = dict(values)
    urn = values.pop("urn")
    taken = db.session.scalar(select(Setting.id).where(Setting.urn == urn, Setting.id != setting.id))
    if taken is not None:
        raise FieldError("urn", f"URN {urn} is already registered on Homefinder. Check the URN, or contact us "
                                "if this home is yours")
    postcode = normalise_postcode(values.pop("postcode"))
    district = district_of(postcode)
    if district not in known_districts():
        raise FieldError("postcode", f"We do not recognise the postcode district {district}. Check the postcode")
    if values["min_age"] > values["max_age"]:
        raise FieldError("max_age", "Oldest age must be the same as or older than the youngest age")
    if not (values["accepts_male"] or values["accepts_female"]):
        raise FieldError("sexes", "Select at least one sex the home accepts")
    codes = values.pop("needs")
    needs = list(db.session.scalars(select(Need).where(Need.code.in_(codes)))) if codes else []
    if len(needs) != len(set(codes)):
        raise FieldError("needs", "Select specialisms from the list")
    for name, value in values.items():
        setattr(setting, name, value)
    setting.urn, setting.postcode, setting.district, setting.needs = urn, postcode, district, needs


def _flush(field: str, message: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a concurrent request took the same URN a moment ago
        raise FieldError(field, message) from None


def create_setting(actor: User, values: dict) -> Setting:
    setting = Setting(provider_id=actor.organisation_id, status="open")
    _apply(setting, values)
    db.session.add(setting)
    _flush("urn", f"URN {setting.urn} is already registered on Homefinder")
    record("setting.created", "setting", setting.id, after=_snapshot(setting), actor=actor)
    return setting


def edit_setting(actor: User, setting: Setting, values: dict) -> Setting:
    if setting.status == "closed":
        raise ServiceError(f"{setting.name} is closed and cannot be changed")
    before = _snapshot(setting)
    _apply(setting, values)
    _flush("urn", f"URN {setting.urn} is already registered on Homefinder")
    after = _snapshot(setting)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        record("setting.updated", "setting", setting.id, before={k: before[k] for k in sorted(changed)},
               after={k: after[k] for k in sorted(changed)}, actor=actor)
    return setting


def close_setting(actor: User, setting: Setting) -> None:
    if setting.status == "closed":
        raise ServiceError(f"{setting.name} is already closed")
    setting.status = "closed"
    record("setting.closed", "setting", setting.id, before={"status": "open"}, after={"status": "closed"},
           actor=actor)


# --- vacancies ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VacancyInput:
    places_free: int
    free_from: date | None
    note: str | None
    expected_version: int | None  # the version the user saw; None: they saw no vacancy


def _vacancy_state(v: Vacancy | None) -> dict | None:
    if v is None:
        return None
    return {"places_free": v.places_free, "free_from": _json(v.free_from), "note": v.note,
            "confirmed_at": v.confirmed_at.isoformat(), "version": v.version}


def _check_version(setting: Setting, expected: int | None) -> None:
    current = setting.vacancy.version if setting.vacancy is not None else None
    if current != expected:
        raise VacancyConflict(setting)


def _history(actor: User, setting: Setting, change: str) -> None:
    v = setting.vacancy
    db.session.add(VacancyHistory(setting_id=setting.id, places_free=v.places_free, free_from=v.free_from,
                                  note=v.note, change=change, recorded_by_id=actor.id, recorded_at=v.confirmed_at))


def _save(actor: User, setting: Setting, data: VacancyInput) -> str:
    """Apply one home's vacancy (no flush). Returns "updated" or "confirmed" (same values again)."""
    if setting.status != "open":
        raise ServiceError(f"{setting.name} is closed: its vacancy cannot be changed")
    if not 0 <= data.places_free <= setting.registered_places:
        raise FieldError("places_free", f"Places free must be between 0 and {setting.registered_places}")
    if data.note is not None and len(data.note) > 500:
        raise FieldError("note", "Note must be 500 characters or fewer")
    _check_version(setting, data.expected_version)
    note = (data.note or "").strip() or None
    before = _vacancy_state(setting.vacancy)
    v = setting.vacancy
    if v is None:
        v = setting.vacancy = Vacancy(setting=setting)
        db.session.add(v)
    same = before is not None and (v.places_free, v.free_from, v.note) == (data.places_free, data.free_from, note)
    change = "confirmed" if same else "updated"
    v.places_free, v.free_from, v.note, v.confirmed_at = data.places_free, data.free_from, note, utcnow()
    _history(actor, setting, change)
    record(f"vacancy.{change}", "setting", setting.id, before=before,
           after={"places_free": v.places_free, "free_from": _json(v.free_from), "note": v.note,
                  "confirmed_at": v.confirmed_at.isoformat()}, actor=actor)
    return change


def _flush_vacancies(settings: list[Setting]) -> None:
    """Write now, so that a concurrent change surfaces here as VacancyConflict, naming the home.

    SQLAlchemy's version counter makes the UPDATE match no row if someone else saved in between
    (StaleDataError); two first-ever vacancies for one home collide on the unique setting_id. The
    transaction is rolled back here so that the stored versions can be read to find the home.
    """
    seen = {s.id: (s.vacancy.version if s.vacancy is not None else None) for s in settings}
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as exc:
        db.session.rollback()
        stored = dict(db.session.execute(
            select(Vacancy.setting_id, Vacancy.version).where(Vacancy.setting_id.in_(list(seen)))).all())
        loser = next((s for s in settings if stored.get(s.id) != seen[s.id]), settings[0])
        raise VacancyConflict(loser) from exc


def update_vacancy(actor: User, setting: Setting, data: VacancyInput) -> str:
    change = _save(actor, setting, data)
    _flush_vacancies([setting])
    emit("vacancy", setting_id=setting.id)
    return change


def confirm_vacancy(actor: User, setting: Setting, expected_version: int | None) -> None:
    """"No change": the stored vacancy is still right; refresh confirmed_at."""
    if setting.status != "open":
        raise ServiceError(f"{setting.name} is closed: its vacancy cannot be confirmed")
    if setting.vacancy is None:
        raise ServiceError(f"Record the vacancy for {setting.name} before confirming it")
    _check_version(setting, expected_version)
    _stamp_confirmed(actor, setting)
    _flush_vacancies([setting])
    emit("vacancy", setting_id=setting.id)


def _stamp_confirmed(actor: User, setting: Setting) -> None:
    """'No change': refresh confirmed_at, keep the history and audit it."""
    v = setting.vacancy
    before = v.confirmed_at.isoformat()
    v.confirmed_at = utcnow()
    _history(actor, setting, "confirmed")
    record("vacancy.confirmed", "setting", setting.id, before={"confirmed_at": before},
           after={"confirmed_at": v.confirmed_at.isoformat()}, actor=actor)


def bulk_update_vacancies(actor: User, rows: list[tuple[Setting, VacancyInput | None]]) -> dict[str, int]:
    """Save every row in this one transaction; any refusal raises and the caller rolls back all."""
    counts = {"updated": 0, "confirmed": 0}
    touched = []
    for setting, data in rows:
        if setting.provider_id != actor.organisation_id:
            raise ServiceError("You can only update your own homes")
        if data is None:  # a home with no vacancy yet, left blank
            if setting.vacancy is not None:
                raise VacancyConflict(setting)
            continue
        counts[_save(actor, setting, data)] += 1
        touched.append(setting)
    if touched:
        _flush_vacancies(touched)
        emit("vacancy", setting_ids=[s.id for s in touched])
    return counts


def confirm_all(actor: User, versions: dict[int, int | None], settings: list[Setting]) -> int:
    """Confirm every recorded vacancy shown on the page as unchanged, all or none."""
    confirmed = 0
    for setting in settings:
        if setting.provider_id != actor.organisation_id or setting.status != "open":
            continue
        if setting.id not in versions:
            continue  # no vacancy on the page the user saw, or added since: nothing to confirm
        _check_version(setting, versions[setting.id])  # also refuses one deleted or created since
        if setting.vacancy is None:
            continue
        _stamp_confirmed(actor, setting)
        confirmed += 1
    if confirmed:
        _flush_vacancies(settings)
        emit("vacancy", setting_ids=[s.id for s in settings])
    return confirmed
