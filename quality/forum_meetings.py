"""Provider forum meetings: scheduled by a DPS manager or QA officer with an agenda (text and an optional
file); minutes attached afterwards. Files live in portal.core.storage and are offered only through its
signed, expiring links. Who sees a meeting: council staff of a council in the meeting's DPS and providers
admitted to it (a meeting with no DPS: every provider and council user)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from portal.core import db
from portal.core.audit import record
from portal.core.models import User
from portal.core.services import ServiceError
from portal.core.storage import storage
from portal.filetypes import UploadRefused, check_upload, display_name
from portal.models import MAX_DOCUMENT_BYTES, Dps, DpsApplication, dps_council
from quality.models import ForumMeeting

LONDON = ZoneInfo("Europe/London")
ORGANISERS = ("dps_manager", "qa_officer")


class MeetingError(ServiceError):
    """A rule refused the change; nothing was written."""


def dps_ids_for(user: User) -> set[int]:
    if user.organisation.is_council:
        return set(db.session.scalars(select(dps_council.c.dps_id).where(
            dps_council.c.council_id == user.organisation_id)))
    if user.organisation.is_provider:
        return set(db.session.scalars(select(DpsApplication.dps_id).where(
            DpsApplication.provider_id == user.organisation_id,
            DpsApplication.status.in_(("admitted", "suspended")))))
    return set()


def councils_dps(user: User) -> list[Dps]:
    ids = dps_ids_for(user) if user.organisation.is_council else set()
    return list(db.session.scalars(select(Dps).where(Dps.id.in_(ids)).order_by(Dps.name))) if ids else []


def visible(user: User, meeting: ForumMeeting) -> bool:
    if meeting.dps_id is None:
        return user.organisation.is_provider or user.organisation.is_council
    return meeting.dps_id in dps_ids_for(user)


def manageable(user: User, meeting: ForumMeeting) -> bool:
    if not user.has_role(*ORGANISERS):
        return False
    if meeting.dps_id is None:
        creator = db.session.get(User, meeting.created_by_id) if meeting.created_by_id else None
        return creator is not None and creator.organisation_id == user.organisation_id
    return meeting.dps_id in dps_ids_for(user)


def meetings_query(user: User):
    """Meetings the user may see (open to all, or for one of their DPSs), latest first, id as the tie-breaker."""
    ids = dps_ids_for(user)
    return (select(ForumMeeting).where(or_(ForumMeeting.dps_id.is_(None), ForumMeeting.dps_id.in_(ids or {-1})))
            .order_by(ForumMeeting.meets_at.desc(), ForumMeeting.id.desc()))


def meetings_for(user: User, limit: int | None = None) -> list[ForumMeeting]:
    return list(db.session.scalars(meetings_query(user).limit(limit)))


def meets_at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LONDON)


def _store(meeting: ForumMeeting, what: str, data: bytes, filename: str | None) -> tuple[str, str]:
    try:
        kind = check_upload(data, MAX_DOCUMENT_BYTES)
    except UploadRefused as exc:
        raise MeetingError(str(exc)) from None
    key = f"forum/{meeting.id}/{what}-{uuid.uuid4().hex}.{kind.ext}"
    storage().put(key, data, kind.content_type)
    return key, display_name(filename, kind)


def schedule(actor: User, *, title: str, when: datetime, location: str | None, agenda: str | None,
             dps_id: int | None, agenda_file: bytes | None = None, agenda_filename: str | None = None) -> ForumMeeting:
    if not actor.has_role(*ORGANISERS) or not actor.organisation.is_council:
        raise MeetingError("Only a DPS manager or QA officer can schedule a forum meeting")
    if dps_id is not None and dps_id not in dps_ids_for(actor):
        raise MeetingError("Select a DPS your council belongs to")
    title = (title or "").strip()
    if not title:
        raise MeetingError("Enter a title")
    meeting = ForumMeeting(dps_id=dps_id, title=title[:200], meets_at=when, location=(location or "").strip() or None,
                           agenda=(agenda or "").strip() or None, created_by_id=actor.id)
    db.session.add(meeting)
    db.session.flush()
    if agenda_file:
        meeting.agenda_key, meeting.agenda_filename = _store(meeting, "agenda", agenda_file, agenda_filename)
    record("forum_meeting.scheduled", "forum_meeting", meeting.id, actor=actor,
           after={"title": meeting.title, "meets_at": when.isoformat(), "dps_id": dps_id,
                  "agenda_file": meeting.agenda_filename})
    return meeting


def attach_minutes(actor: User, meeting: ForumMeeting, data: bytes, filename: str | None) -> ForumMeeting:
    if not manageable(actor, meeting):
        raise MeetingError("Only the organisers of this forum can attach minutes")
    before = {"minutes_file": meeting.minutes_filename}
    meeting.minutes_key, meeting.minutes_filename = _store(meeting, "minutes", data, filename)
    record("forum_meeting.minutes_attached", "forum_meeting", meeting.id, actor=actor, before=before,
           after={"minutes_file": meeting.minutes_filename})
    return meeting


def link(key: str | None, filename: str | None) -> str | None:
    if not key:
        return None
    from portal.filetypes import TYPES
    ext = key.rsplit(".", 1)[-1]
    content_type = next((t.content_type for t in TYPES if t.ext == ext), "application/octet-stream")
    return storage().link(key, filename or f"document.{ext}", content_type)
