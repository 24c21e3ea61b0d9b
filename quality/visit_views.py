"""QA officer pages for monitoring visits: find a home, plan, record, complete, cancel, issue the report;
the overdue and upcoming schedule. The report page and PDF are also open to the provider once issued."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of, slice_of
from portal.models import Setting
from quality import report as visit_report
from quality import schedule, visits
from quality.actions import PRIORITY_TAGS, STATUS_LABELS as ACTION_LABELS, STATUS_TAGS as ACTION_TAGS, \
    actions_for, effective_status
from quality.models import JUDGEMENTS, OVERALL_JUDGEMENTS, VISIT_KINDS, MonitoringVisit
from quality.visit_forms import CancelVisitForm, IssueReportForm, PlanVisitForm, SearchSettingsForm, \
    record_form_class
from quality.visits import VisitError

bp = Blueprint("visits", __name__)
PROVIDER = ("provider_admin", "provider_staff")


def own_visit(user: User, visit_id: int, **_) -> MonitoringVisit | None:
    visit = db.session.get(MonitoringVisit, visit_id)
    return visit if visit is not None and visit.council_id == user.organisation_id else None


def visible_report(user: User, visit_id: int, **_) -> MonitoringVisit | None:
    """The visiting council's QA officers; the provider once the report is issued (its own settings only)."""
    visit = db.session.get(MonitoringVisit, visit_id)
    if visit is None:
        return None
    if user.has_role("qa_officer") and visit.council_id == user.organisation_id:
        return visit
    if user.has_role(*PROVIDER) and visit.provider_id == user.organisation_id and visit.status == "report_issued":
        return visit
    return None


def _labels() -> dict:
    return dict(labels=visits.STATUS_LABELS, tags=visits.STATUS_TAGS, kinds=VISIT_KINDS, judgements=JUDGEMENTS,
                judgement_tags=visits.JUDGEMENT_TAGS, overall=OVERALL_JUDGEMENTS, action_labels=ACTION_LABELS,
                action_tags=ACTION_TAGS, priority_tags=PRIORITY_TAGS, effective_status=effective_status)


@bp.get("/quality/visits")
@allow("qa_officer")
def visits_list():
    status = request.args.get("status")
    status = status if status in visits.STATUS_LABELS else None
    council_id = current_user.organisation_id
    file = tabular.maybe_download(request, ("Home", "Provider", "Kind", "Date", "Judgement", "Status"), lambda: [
        (v.setting.name, v.provider.name, VISIT_KINDS[v.kind], v.visited_on or v.planned_for,
         OVERALL_JUDGEMENTS.get(v.overall_judgement, ""), visits.STATUS_LABELS[v.status])
        for v in visits.visits_for_council(council_id, status)], f"visits-{status or 'all'}")
    if file:
        return file
    rows, total, page = page_of(visits.visits_query(council_id, status), page_number())
    overdue_actions = actions_for(council_id=council_id, status="overdue")
    overdue_visits = schedule.overdue_visits(council_id=council_id)
    planned = visits.planned_count(council_id) if status in (None, "planned") else 0
    return render_template("quality/visits.html", visits=rows, status=status, overdue_visits=overdue_visits,
                           overdue_actions=overdue_actions, planned=planned, page=page, total=total,
                           page_size=PAGE_SIZE, **_labels())


@bp.get("/quality/visits/new")
@allow("qa_officer")
def visits_new():
    form = SearchSettingsForm(request.args)
    form.validate()
    query = form.q.data if not form.errors else ""
    results = visits.search_settings(query) if query else []
    return render_template("quality/visit_new.html", form=form, results=results, query=query), \
        (200 if not form.errors else 400)


@bp.route("/quality/settings/<int:setting_id>/visits/new", methods=["GET", "POST"])
@allow("qa_officer")
def visits_plan(setting_id: int):
    home = db.session.get(Setting, setting_id)  # any open home may be visited: no owner check
    if home is None or home.status != "open":
        abort(404)
    form = PlanVisitForm()
    if form.validate_on_submit():
        try:
            visit = visits.plan_visit(current_user, home, kind=form.kind.data, planned_for=form.planned_for.data,
                                      trigger_reason=form.trigger_reason.data)
        except VisitError as exc:
            db.session.rollback()
            field = form.trigger_reason if "concern" in str(exc) else form.planned_for
            field.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Visit to {home.name} planned.", "success")
            return redirect(url_for("visits.visits_detail", visit_id=visit.id))
    return render_template("quality/visit_plan.html", form=form, home=home,
                           due=schedule.due_for_settings([home])[home.id]), (200 if not form.errors else 400)


def _detail(visit: MonitoringVisit, status_code: int = 200, **forms):
    rep = visit_report.build(visit)
    return render_template("quality/visit.html", visit=visit, report=rep,
                           cancel_form=forms.get("cancel_form") or CancelVisitForm(),
                           issue_form=forms.get("issue_form") or IssueReportForm(), form=forms.get("form"),
                           **_labels()), status_code


@bp.get("/quality/visits/<int:visit_id>")
@allow("qa_officer", owner=own_visit)
def visits_detail(visit_id: int):
    return _detail(owned())


@bp.route("/quality/visits/<int:visit_id>/record", methods=["GET", "POST"])
@allow("qa_officer", owner=own_visit)
def visits_record(visit_id: int):
    visit = owned()
    if visit.status != "planned":
        flash(f"This visit is {visits.STATUS_LABELS[visit.status].lower()} and cannot be changed.", "error")
        return redirect(url_for("visits.visits_detail", visit_id=visit.id))
    standards = visits.standards_for(visit.setting)
    form_class = record_form_class(standards)
    if request.method == "POST":
        form = form_class()
    else:
        data = {"visited_on": visit.visited_on or visit.planned_for, "overall": visit.overall_judgement,
                "summary": visit.summary}
        for j in visit.judgements:
            data[f"judgement_{j.standard_id}"], data[f"evidence_{j.standard_id}"] = j.judgement, j.evidence
        form = form_class(data=data)
    if form.validate_on_submit():
        judged = {s.id: (form[f"judgement_{s.id}"].data, form[f"evidence_{s.id}"].data) for s in standards}
        completing = bool(form.complete.data)
        if completing:
            for s in standards:
                if not form[f"judgement_{s.id}"].data:
                    form[f"judgement_{s.id}"].errors = [f"Select a judgement for {s.title.lower()}"]
                if not (form[f"evidence_{s.id}"].data or "").strip():
                    form[f"evidence_{s.id}"].errors = [f"Enter the evidence for {s.title.lower()}"]
            if not form.overall.data:
                form.overall.errors = ["Select an overall judgement"]
            if not form.visited_on.data:
                form.visited_on.errors = ["Enter the date of the visit"]
        if not any(f.errors for f in form):
            try:
                visits.record_judgements(current_user, visit, judgements=judged, overall=form.overall.data,
                                         summary=form.summary.data, visited_on=form.visited_on.data)
                if completing:
                    visits.transition(visit, "completed", current_user)
            except VisitError as exc:
                db.session.rollback()
                form.visited_on.errors = [str(exc)]
                visit = db.session.get(MonitoringVisit, visit_id)
            else:
                db.commit()
                flash("Visit completed. Add any actions, then issue the report." if completing
                      else "Visit saved as a draft.", "success")
                return redirect(url_for("visits.visits_detail", visit_id=visit.id))
    return render_template("quality/visit_record.html", form=form, visit=visit, standards=standards), \
        (200 if not form.errors and not any(f.errors for f in form) else 400)


@bp.route("/quality/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@allow("qa_officer", owner=own_visit)
def visits_cancel(visit_id: int):
    visit = owned()
    form = CancelVisitForm()
    if form.validate_on_submit():
        try:
            visits.transition(visit, "cancelled", current_user, reason=form.reason.data)
        except VisitError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("visits.visits_detail", visit_id=visit_id))
        db.commit()
        flash("Visit cancelled.", "success")
        return redirect(url_for("visits.visits_detail", visit_id=visit.id))
    return render_template("quality/visit_cancel.html", form=form, visit=visit), (200 if not form.errors else 400)


@bp.post("/quality/visits/<int:visit_id>/issue")
@allow("qa_officer", owner=own_visit)
def visits_issue(visit_id: int):
    visit = owned()
    form = IssueReportForm()
    if not form.validate_on_submit():
        return _detail(visit, 400, issue_form=form)
    try:
        visits.transition(visit, "report_issued", current_user)
    except VisitError as exc:
        db.session.rollback()
        form.submit.errors = [str(exc)]
        return _detail(db.session.get(MonitoringVisit, visit_id), 400, issue_form=form, form=form)
    db.commit()
    flash(f"Report issued to {visit.provider.name}.", "success")
    return redirect(url_for("visits.visits_detail", visit_id=visit.id))


@bp.get("/quality/visits/<int:visit_id>/report")
@allow("qa_officer", *PROVIDER, owner=visible_report)
def visits_report(visit_id: int):
    visit = owned()
    return render_template("quality/visit_report.html", visit=visit, report=visit_report.build(visit), **_labels())


@bp.get("/quality/visits/<int:visit_id>/report.pdf")
@allow("qa_officer", *PROVIDER, owner=visible_report)
def visits_report_pdf(visit_id: int):
    visit = owned()
    data = visit_report.pdf_bytes(visit_report.build(visit))
    filename = f"visit-report-{visit.setting.urn}-{visit.id}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/quality/visits/overdue")
@allow("qa_officer")
def visits_overdue():
    every = schedule.overdue_visits(council_id=current_user.organisation_id)
    file = tabular.maybe_download(request, ("Home", "Provider", "Ofsted rating", "Last visit", "Due", "Why",
                                            "Next planned"), lambda: [
        (d.setting.name, d.setting.provider.name, d.setting.overall_effectiveness or "Not yet inspected",
         d.last_visited_on, d.due_on, d.reason, d.planned_for) for d in every], "visits-overdue")
    rows, total, page = slice_of(every, page_number())  # the schedule is worked out in Python, so sliced here
    return file or render_template("quality/schedule_overdue.html", rows=rows, page=page, total=total,
                                   page_size=PAGE_SIZE)


@bp.get("/quality/visits/upcoming")
@allow("qa_officer")
def visits_upcoming():
    every = schedule.upcoming(council_id=current_user.organisation_id)
    file = tabular.maybe_download(request, ("Month", "Due", "Home", "Provider", "Why", "Planned"), lambda: [
        (d.due_on.strftime("%B %Y"), d.due_on, d.setting.name, d.setting.provider.name, d.reason, d.planned_for)
        for d in every], "visits-upcoming")
    rows, total, page = slice_of(every, page_number())
    return file or render_template("quality/schedule_upcoming.html", months=schedule.by_month(rows), page=page,
                                   total=total, page_size=PAGE_SIZE)
