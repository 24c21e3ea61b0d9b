"""Scheduled jobs of the portal package. Imported by portal.register so that they are registered."""
from __future__ import annotations

from datetime import timedelta, timezone

from flask import current_app, url_for
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.jobs import periodic
from portal.core.mail import notify
from portal.core.models import PROVIDER_ROLES, User, UserRole
from portal.models import REMIND_AFTER, STALE_AFTER, Setting, Vacancy


def _link(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@periodic(timedelta(hours=1))
def remind_vacancies_about_to_go_stale() -> int:
    """Day 6 after a confirmation, before the vacancy goes stale on day 7: remind the provider's
    admins and staff once. The key carries confirmed_at, so a re-run (or a retry) sends nothing new
    and the next confirmation starts a fresh reminder."""
    now = utcnow()
    due = db.session.scalars(
        select(Vacancy).join(Setting).where(
            Setting.status == "open",
            Vacancy.confirmed_at <= now - REMIND_AFTER,
            Vacancy.confirmed_at > now - STALE_AFTER,
        ).order_by(Vacancy.id)).all()
    sent = 0
    for vacancy in due:
        setting = vacancy.setting
        people = db.session.scalars(
            select(User).join(UserRole).where(
                User.organisation_id == setting.provider_id, User.status == "active",
                UserRole.role.in_(PROVIDER_ROLES)).distinct().order_by(User.id)).all()
        confirmed_at = vacancy.confirmed_at.astimezone(timezone.utc)
        for user in people:
            notify(user, "vacancy_reminder", "vacancy", vacancy.id, key_suffix=f":{confirmed_at.isoformat()}",
                   link=_link("settings.vacancies"), setting=setting, vacancy=vacancy,
                   stale_at=confirmed_at + STALE_AFTER)
            sent += 1
    db.commit()
    return sent


@periodic(timedelta(hours=1))
def delete_old_exports() -> int:
    """Delete background export files (and their progress records) whose job finished more than
    EXPORT_RETENTION_HOURS ago. The JobRun stays as the record; its link and page then say "expired"."""
    from portal.core.jobs import function_path
    from portal.core.models import JobRun
    from portal.export_views import delete_files, retention, run_export

    cutoff = utcnow() - retention()
    old = db.session.scalars(select(JobRun).where(
        JobRun.function == function_path(run_export), JobRun.finished_at.is_not(None), JobRun.finished_at <= cutoff,
        JobRun.finished_at > cutoff - timedelta(days=7)).order_by(JobRun.id)).all()
    for run in old:
        delete_files(run)
    return len(old)
