"""Portal pages: the signed-in home page for each role."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.core import db, tabular
from portal.core.access import public, signed_in
from portal.core.models import InboxMessage
from portal.dashboard import provider_tasks
from portal.models import Setting, Vacancy

bp = Blueprint("portal", __name__)


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("portal.dashboard"))
    return render_template("portal/start.html")


@bp.get("/dashboard")
@signed_in
def dashboard():
    unread = db.session.scalar(
        select(func.count()).where(InboxMessage.user_id == current_user.id, InboxMessage.read_at.is_(None)))
    recent = db.session.scalars(
        select(InboxMessage).where(InboxMessage.user_id == current_user.id)
        .order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(5)).all()
    settings, tasks = [], []
    if current_user.organisation.is_provider:
        tasks = provider_tasks(current_user.organisation_id, current_user.id)
        settings = db.session.scalars(
            select(Setting).where(Setting.provider_id == current_user.organisation_id, Setting.status == "open")
            .outerjoin(Vacancy).order_by(Setting.name)).all()
    file = tabular.maybe_download(request, ("Home", "URN", "District", "Ofsted", "Places free", "Vacancy",
                                            "Confirmed"), lambda: [  # the provider's own open homes, as shown
        (s.name, s.urn, s.district, s.overall_effectiveness or "Not yet inspected",
         s.vacancy.places_free if s.vacancy else 0, _vacancy_text(s.vacancy),
         s.vacancy.confirmed_at if s.vacancy else None) for s in settings], "homes-and-vacancies")
    if file:
        return file
    return render_template("portal/dashboard.html", unread=unread, recent=recent, settings=settings,
                           tasks=tasks)


def _vacancy_text(vacancy) -> str:
    if vacancy is None:
        return "None recorded"
    return "Stale" if vacancy.is_stale() else "Current"
