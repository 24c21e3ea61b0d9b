"""Scheduled job: mark QA actions overdue once their due date has passed (hourly, idempotent)."""
from __future__ import annotations

from datetime import timedelta

from portal.core import db
from portal.core.jobs import periodic
from quality.actions import mark_overdue


@periodic(timedelta(hours=1))
def mark_actions_overdue() -> int:
    ids = mark_overdue()
    db.commit()
    return len(ids)
