"""A provider's quality history on one page: its homes with Ofsted ratings and next visit due, visits and
judgements, actions (live and overdue counts) and the feedback trend by quarter. QA officers see any
provider; a provider sees only itself. Feedback figures from fewer than 5 responses are suppressed."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import Organisation, User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.models import Setting
from quality import actions, schedule, visits
from quality.models import OVERALL_JUDGEMENTS, VISIT_KINDS, FeedbackResponse, FeedbackScore, MonitoringVisit

bp = Blueprint("history", __name__)
PROVIDER = ("provider_admin", "provider_staff")
MIN_RESPONSES = 5


def visible_provider(user: User, provider_id: int, **_) -> Organisation | None:
    org = db.session.get(Organisation, provider_id)
    if org is None or not org.is_provider:
        return None
    if user.has_role("qa_officer") or (user.has_role(*PROVIDER) and user.organisation_id == org.id):
        return org
    return None


def quarter_of(moment) -> str:
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


def feedback_trend(provider_id: int) -> list[dict]:
    """Average score and response count per quarter; the average is None when fewer than 5 responded."""
    rows = db.session.execute(
        select(FeedbackResponse.id, FeedbackResponse.submitted_at, func.avg(FeedbackScore.score))
        .join(FeedbackScore, FeedbackScore.response_id == FeedbackResponse.id)
        .where(FeedbackResponse.provider_id == provider_id)
        .group_by(FeedbackResponse.id, FeedbackResponse.submitted_at)).all()
    quarters: dict[str, list[float]] = {}
    for _id, submitted_at, average in rows:
        quarters.setdefault(quarter_of(submitted_at), []).append(float(average))
    out = []
    for quarter in sorted(quarters):
        values = quarters[quarter]
        shown = len(values) >= MIN_RESPONSES
        out.append({"quarter": quarter, "responses": len(values) if shown else None,
                    "average": round(sum(values) / len(values), 1) if shown else None})
    return out


@bp.get("/quality/providers")
@allow("qa_officer")
def history_providers():
    query = (select(Organisation, func.count(Setting.id)).join(Setting, Setting.provider_id == Organisation.id)
             .where(Organisation.kind == "provider", Setting.status == "open")
             .group_by(Organisation.id).order_by(Organisation.name, Organisation.id))
    file = tabular.maybe_download(request, ("Provider", "Open homes"), lambda: [
        (o.name, n) for o, n in db.session.execute(query)], "providers-quality-history")
    if file:
        return file
    rows, total, page = page_of(query, page_number(), scalars=False)
    return render_template("quality/history_providers.html", rows=rows, page=page, total=total, page_size=PAGE_SIZE)


@bp.get("/quality/history")
@allow(*PROVIDER)
def history_own():
    return redirect(url_for("history.history_provider", provider_id=current_user.organisation_id))


@bp.get("/quality/providers/<int:provider_id>/history")
@allow("qa_officer", *PROVIDER, owner=visible_provider)
def history_provider(provider_id: int):
    provider = owned()
    homes_query = (select(Setting).where(Setting.provider_id == provider.id)
                   .order_by(Setting.status.desc(), Setting.name, Setting.id))
    stmt = select(MonitoringVisit).where(MonitoringVisit.provider_id == provider.id,
                                         MonitoringVisit.status != "cancelled")
    if not current_user.has_role("qa_officer"):  # a provider sees visits once their report is issued
        stmt = stmt.where(MonitoringVisit.status == "report_issued")
    visits_query = stmt.order_by(MonitoringVisit.planned_for.desc(), MonitoringVisit.id.desc())
    trend = feedback_trend(provider.id)
    if request.args.get("format") is not None:  # a download has every row, not one page
        homes = list(db.session.scalars(homes_query))
        due = schedule.due_for_settings([h for h in homes if h.status == "open"])
        return tabular.maybe_download_table(request, _history_tables(
            homes, due, list(db.session.scalars(visits_query)), trend), f"quality-history-{provider.id}")
    homes, homes_total, page = page_of(homes_query, page_number())
    visit_rows, visits_total, visits_page = page_of(visits_query, page_number("visits_page"))
    due = schedule.due_for_settings([h for h in homes if h.status == "open"])
    return render_template("quality/history.html", provider=provider, homes=homes, due=due, visits=visit_rows,
                           page=page, homes_total=homes_total, visits_page=visits_page, visits_total=visits_total,
                           page_size=PAGE_SIZE, counts=actions.counts_for_provider(provider.id), trend=trend,
                           labels=visits.STATUS_LABELS, tags=visits.STATUS_TAGS, kinds=VISIT_KINDS,
                           overall=OVERALL_JUDGEMENTS, min_responses=MIN_RESPONSES, today=date.today(),
                           is_officer=current_user.has_role("qa_officer"))


def _history_tables(homes, due, visit_rows, trend) -> dict:
    """The page's tables (?table=homes|visits|feedback). The feedback trend keeps the page's rule: a quarter
    with fewer than 5 responses has words, never its count or average."""
    today = date.today()
    suppressed = f"Fewer than {MIN_RESPONSES}"
    return {
        "homes": (("Home", "Closed", "Ofsted rating", "Next QA visit due", "Overdue"), lambda: [
            (h.name, h.status == "closed", h.overall_effectiveness or "Not yet inspected",
             due[h.id].due_on if h.id in due else None, due[h.id].due_on < today if h.id in due else None)
            for h in homes]),
        "visits": (("Date", "Home", "Kind", "Judgement", "Status"), lambda: [
            (v.visited_on or v.planned_for, v.setting.name, VISIT_KINDS[v.kind],
             OVERALL_JUDGEMENTS.get(v.overall_judgement, None), visits.STATUS_LABELS[v.status]) for v in visit_rows]),
        "feedback": (("Quarter", "Responses", "Average score"), lambda: [
            (row["quarter"], row["responses"] if row["responses"] is not None else suppressed,
             row["average"] if row["average"] is not None else "Not shown") for row in trend]),
    }
