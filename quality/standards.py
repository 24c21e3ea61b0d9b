"""The QA framework's editable lists. The nine Children's Homes standards are fixed by regulation; QA
officers may add, rename, deactivate and reactivate the fostering and supported accommodation standards.
A visit already recorded keeps its judgements (rows refer to the standard by id)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.core import db
from portal.core.audit import record
from portal.core.models import User
from portal.core.services import ServiceError
from quality.models import FRAMEWORKS, QualityStandard

EDITABLE = ("fostering", "supported_accommodation")
MAX_TITLE = 200


class StandardError(ServiceError):
    """A framework rule refused the change; nothing was written."""


def by_framework() -> dict[str, list[QualityStandard]]:
    rows = db.session.scalars(select(QualityStandard).order_by(QualityStandard.framework, QualityStandard.position,
                                                               QualityStandard.id))
    out: dict[str, list[QualityStandard]] = {f: [] for f in FRAMEWORKS}
    for row in rows:
        out.setdefault(row.framework, []).append(row)
    return out


def _check(actor: User, framework: str, title: str | None) -> str:
    if not actor.has_role("qa_officer"):
        raise StandardError("Only a QA officer can change the quality standards")
    if framework not in EDITABLE:
        raise StandardError("The Children's Homes standards are set by regulation and cannot be changed")
    title = (title or "").strip()
    if not title:
        raise StandardError("Enter the standard")
    if len(title) > MAX_TITLE:
        raise StandardError(f"The standard must be {MAX_TITLE} characters or fewer")
    return title


def _duplicate(framework: str, title: str, exclude: int | None = None) -> bool:
    stmt = select(QualityStandard.id).where(QualityStandard.framework == framework,
                                            func.lower(QualityStandard.title) == title.lower())
    if exclude:
        stmt = stmt.where(QualityStandard.id != exclude)
    return db.session.scalar(stmt) is not None


def add(actor: User, framework: str, title: str | None) -> QualityStandard:
    title = _check(actor, framework, title)
    if _duplicate(framework, title):
        raise StandardError(f"{FRAMEWORKS[framework]} already has a standard called {title!r}")
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:50] or "standard"
    code, n = base, 2
    while db.session.scalar(select(QualityStandard.id).where(QualityStandard.framework == framework,
                                                             QualityStandard.code == code)):
        code, n = f"{base}_{n}", n + 1
    position = (db.session.scalar(select(func.max(QualityStandard.position))
                                  .where(QualityStandard.framework == framework)) or 0) + 1
    row = QualityStandard(framework=framework, code=code, title=title, position=position, active=True)
    db.session.add(row)
    db.session.flush()
    record("standard.added", "quality_standard", row.id, actor=actor,
           after={"framework": framework, "code": code, "title": title})
    return row


def rename(actor: User, standard: QualityStandard, title: str | None) -> QualityStandard:
    title = _check(actor, standard.framework, title)
    if _duplicate(standard.framework, title, exclude=standard.id):
        raise StandardError(f"{FRAMEWORKS[standard.framework]} already has a standard called {title!r}")
    before = standard.title
    standard.title = title
    record("standard.renamed", "quality_standard", standard.id, actor=actor, before={"title": before},
           after={"title": title})
    return standard


def set_active(actor: User, standard: QualityStandard, active: bool) -> QualityStandard:
    _check(actor, standard.framework, standard.title)
    if standard.active == active:
        raise StandardError("The standard is already " + ("active" if active else "inactive"))
    standard.active = active
    record("standard.activated" if active else "standard.deactivated", "quality_standard", standard.id,
           actor=actor, before={"active": not active}, after={"active": active})
    return standard
