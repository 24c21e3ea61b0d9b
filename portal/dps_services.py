"""The DPS manager's side: DPSs and lots, the decision queue and its clock, the providers views.

A DPS manager sees only what belongs to DPSs their council is a member of (Dps.councils): another
DPS's application, lot or provider is "not found". Drafts are the provider's own business until
submitted, so a manager never sees them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.admissions import dps_ids_for
from portal.core import db
from portal.core.audit import record
from portal.core.models import AuditEvent, Organisation, User
from portal.core.services import ServiceError
from portal.models import LOT_KINDS, Document, Dps, DpsApplication, Lot, Setting, dps_application_lot
from portal.workdays import working_days_between

AWAITING = ("submitted", "clarification_requested")
VISIBLE = ("submitted", "clarification_requested", "admitted", "rejected", "suspended", "withdrawn")
AREA_RE = re.compile(r"^[A-Z]{1,2}$")
NOT_INSPECTED = "not_inspected"


# --- DPSs and lots ----------------------------------------------------------------------------------

def dpss_for(user: User) -> list[Dps]:
    ids = dps_ids_for(user)
    return list(db.session.scalars(select(Dps).where(Dps.id.in_(ids)).order_by(Dps.name))) if ids else []


def own_lot(user: User, lot_id: int, **_) -> Lot | None:
    lot = db.session.get(Lot, lot_id)
    return lot if lot is not None and lot.dps_id in dps_ids_for(user) else None


def create_dps(actor: User, name: str) -> Dps:
    name = (name or "").strip()
    if not name:
        raise ServiceError("Enter a name for the DPS")
    if db.session.scalar(select(Dps.id).where(func.lower(Dps.name) == name.lower())) is not None:
        raise ServiceError("There is already a DPS with that name")
    dps = Dps(name=name, councils=[actor.organisation])
    db.session.add(dps)
    for kind, (label, _kinds) in LOT_KINDS.items():
        db.session.add(Lot(dps=dps, kind=kind, name=label))
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ServiceError("There is already a DPS with that name") from None
    record("dps.created", "dps", dps.id, actor=actor,
           after={"name": dps.name, "councils": [actor.organisation_id], "lots": list(LOT_KINDS)})
    return dps


def rename_lot(actor: User, lot: Lot, name: str) -> Lot:
    name = (name or "").strip()
    if not name:
        raise ServiceError("Enter a name for the lot")
    if lot.dps_id not in dps_ids_for(actor):
        raise ServiceError("You cannot rename this lot")
    if name != lot.name:
        record("lot.renamed", "lot", lot.id, before={"name": lot.name}, after={"name": name}, actor=actor)
        lot.name = name
    return lot


# --- applications and the decision clock ------------------------------------------------------------

def own_managed_application(user: User, application_id: int, **_) -> DpsApplication | None:
    application = db.session.get(DpsApplication, application_id)
    if application is None or application.status == "draft" or application.dps_id not in dps_ids_for(user):
        return None
    return application


@dataclass(frozen=True)
class Clock:
    text: str
    tag: str  # govuk-tag modifier class
    overdue: bool


def clock(due: date | None, today: date) -> Clock | None:
    """How long is left to decide: 'N working days left', 'Due today' or 'Overdue by N working days'."""
    if due is None:
        return None
    if due == today:
        return Clock("Due today", "govuk-tag--orange", False)
    if due > today:
        left = working_days_between(today, due)
        return Clock(f"{left} working day{'s' if left != 1 else ''} left",
                     "govuk-tag--orange" if left <= 2 else "govuk-tag--blue", False)
    late = working_days_between(due, today)
    text = f"Overdue by {late} working day{'s' if late != 1 else ''}" if late else "Overdue"
    return Clock(text, "govuk-tag--red", True)


def queue_query(user: User, statuses: tuple[str, ...] = AWAITING) -> Select:
    """Applications to the user's DPSs in these statuses, the most urgent first (id as the tie-breaker)."""
    return (select(DpsApplication).join(Organisation, Organisation.id == DpsApplication.provider_id)
            .where(DpsApplication.dps_id.in_(dps_ids_for(user) or [-1]), DpsApplication.status.in_(statuses))
            .order_by(DpsApplication.decision_due_on.asc().nulls_last(), DpsApplication.submitted_at,
                      DpsApplication.id))


def queue(user: User, statuses: tuple[str, ...] = AWAITING) -> list[DpsApplication]:
    return list(db.session.scalars(queue_query(user, statuses)))


# --- providers --------------------------------------------------------------------------------------

def _relevant(ids: list[int]):
    """Providers with an application (not a draft) to one of these DPSs."""
    return exists().where(DpsApplication.provider_id == Organisation.id, DpsApplication.dps_id.in_(ids),
                          DpsApplication.status.in_(VISIBLE))


def own_provider(user: User, provider_id: int, **_) -> Organisation | None:
    ids = dps_ids_for(user)
    if not ids:
        return None
    return db.session.scalar(select(Organisation).where(Organisation.id == provider_id,
                                                        Organisation.kind == "provider", _relevant(ids)))


def _area_clause(area: str):
    return (Setting.district.like(f"{area}%")) & func.substr(Setting.district, len(area) + 1, 1).in_(
        list("0123456789"))


def provider_query(user: User, *, lot_id: int | None = None, kind: str | None = None, rating: str | None = None,
                   suspended: str | None = None, area: str | None = None) -> Select:
    ids = dps_ids_for(user) or [-1]
    query = select(Organisation).where(Organisation.kind == "provider", _relevant(ids))

    def has_setting(*conditions):
        return exists().where(Setting.provider_id == Organisation.id, *conditions)

    if lot_id is not None:
        query = query.where(exists().where(
            DpsApplication.provider_id == Organisation.id, DpsApplication.status == "admitted",
            DpsApplication.dps_id.in_(ids), dps_application_lot.c.application_id == DpsApplication.id,
            dps_application_lot.c.lot_id == lot_id))
    if kind:
        query = query.where(has_setting(Setting.kind == kind))
    if rating == NOT_INSPECTED:
        query = query.where(has_setting(Setting.overall_effectiveness.is_(None)))
    elif rating:
        query = query.where(has_setting(Setting.overall_effectiveness == rating))
    suspension = or_(has_setting(Setting.suspended.is_(True)), exists().where(
        DpsApplication.provider_id == Organisation.id, DpsApplication.dps_id.in_(ids),
        DpsApplication.status == "suspended"))
    if suspended == "suspended":
        query = query.where(suspension)
    elif suspended == "clear":
        query = query.where(~suspension)
    if area:
        query = query.where(has_setting(_area_clause(area)))
    return query.order_by(Organisation.name, Organisation.id)


def page_of_providers(query: Select, page: int, size: int) -> tuple[list[Organisation], int]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(size).offset((page - 1) * size)))
    return rows, total


def areas_for(user: User) -> list[str]:
    """Postcode areas (the letters of the district, e.g. SE, ME) where relevant providers have settings."""
    ids = dps_ids_for(user) or [-1]
    districts = db.session.scalars(select(Setting.district).distinct().join(
        Organisation, Organisation.id == Setting.provider_id).where(_relevant(ids)))
    return sorted({m.group(0) for d in districts if (m := re.match(r"[A-Z]+", d or ""))})


def lots_for(user: User) -> list[Lot]:
    ids = dps_ids_for(user)
    return list(db.session.scalars(select(Lot).where(Lot.dps_id.in_(ids)).order_by(Lot.dps_id, Lot.id))) if ids \
        else []


def provider_summary(provider: Organisation, user: User) -> dict:
    """Everything the provider detail page shows; applications only to the user's DPSs."""
    ids = dps_ids_for(user)
    settings = list(db.session.scalars(select(Setting).where(Setting.provider_id == provider.id)
                                       .order_by(Setting.status.desc(), Setting.name, Setting.id)))
    applications = list(db.session.scalars(select(DpsApplication).where(
        DpsApplication.provider_id == provider.id, DpsApplication.dps_id.in_(ids),
        DpsApplication.status.in_(VISIBLE)).order_by(DpsApplication.submitted_at.desc(), DpsApplication.id.desc())))
    documents = list(db.session.scalars(select(Document).where(
        Document.organisation_id == provider.id, Document.status == "current").order_by(Document.kind,
                                                                                       Document.uploaded_at)))
    objects = [("dps_application", str(a.id)) for a in applications] + [("setting", str(s.id)) for s in settings]
    objects.append(("organisation", str(provider.id)))
    conditions = [(AuditEvent.object_type == t) & (AuditEvent.object_id == i) for t, i in objects]
    trail = list(db.session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id).where(or_(*conditions))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(200)))
    return {"settings": settings, "applications": applications, "documents": documents, "trail": trail}
