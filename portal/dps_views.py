"""DPS manager pages: the DPS and its lots, the admissions queue with its decision clock, one form per
decision, and the providers list and detail. (/dps/ofsted-imports belongs to portal.ofsted_views.)"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from portal import admissions, dps_services
from portal.admission_forms import DECISION_FORMS, NewDpsForm, ProviderFilterForm, QueueFilterForm, RenameLotForm
from portal.admissions import SECTIONS, STATUS_LABELS, STATUS_TAGS, AdmissionError
from portal.core import db, paging, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.services import ServiceError
from portal.models import RATINGS, SETTING_KINDS, DpsApplication

bp = Blueprint("dps", __name__)
MANAGER = "dps_manager"
PAGE_SIZE = 25
AWAITING = "awaiting"
# Which decisions each status offers, in the order the page shows them.
DECISIONS = {"submitted": ("admit", "reject", "clarify", "extend"), "clarification_requested": ("extend",),
             "admitted": ("suspend", "withdraw"), "suspended": ("reinstate",)}
DONE = {"admit": "{p} has been admitted to {d}.", "reject": "The application from {p} has been rejected.",
        "clarify": "Your question has been sent to {p}.", "extend": "The decision period has been extended to {due}.",
        "suspend": "{p} has been suspended from {d}.", "reinstate": "{p} has been reinstated to {d}.",
        "withdraw": "{p} has been withdrawn from {d}."}


def own_decision(user: User, application_id: int, decision: str) -> DpsApplication | None:
    return dps_services.own_managed_application(user, application_id) if decision in DECISION_FORMS else None


# --- the DPS and its lots ---------------------------------------------------------------------------

@bp.get("/dps")
@allow(MANAGER)
def overview():
    dpss = dps_services.dpss_for(current_user)
    file = tabular.maybe_download(request, ("DPS", "Lot", "Kinds of home"), lambda: [
        (d.name, lot.name, ", ".join(SETTING_KINDS[k] for k in lot.setting_kinds)) for d in dpss for lot in d.lots],
        "dps-lots")
    if file:
        return file
    return render_template("portal/dps_overview.html", dpss=dpss, kinds=SETTING_KINDS)


@bp.route("/dps/new", methods=["GET", "POST"])
@allow(MANAGER)
def overview_new():
    form = NewDpsForm()
    if form.validate_on_submit():
        try:
            dps = dps_services.create_dps(current_user, form.name.data)
        except ServiceError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.commit()
            flash(f"{dps.name} has been created with {len(dps.lots)} lots.", "success")
            return redirect(url_for("dps.overview"))
    return render_template("portal/dps_new.html", form=form), (200 if not form.errors else 400)


@bp.route("/dps/lots/<int:lot_id>/rename", methods=["GET", "POST"])
@allow(MANAGER, owner=dps_services.own_lot)
def overview_rename_lot(lot_id: int):
    lot = owned()
    form = RenameLotForm(data={"name": lot.name}) if request.method == "GET" else RenameLotForm()
    if form.validate_on_submit():
        try:
            dps_services.rename_lot(current_user, lot, form.name.data)
        except ServiceError as exc:
            db.session.rollback()
            form.name.errors = [str(exc)]
        else:
            db.commit()
            flash(f"The lot has been renamed to {lot.name}.", "success")
            return redirect(url_for("dps.overview"))
    return render_template("portal/dps_lot_rename.html", form=form, lot=lot), (200 if not form.errors else 400)


# --- admissions -------------------------------------------------------------------------------------

@bp.get("/dps/applications")
@allow(MANAGER)
def applications():
    form = QueueFilterForm(formdata=request.args)
    form.status.choices = [SelectChoice(AWAITING, "Awaiting a decision")] + [
        SelectChoice(s, STATUS_LABELS[s]) for s in dps_services.VISIBLE]
    if not form.validate():
        return render_template("portal/dps_applications.html", form=form, rows=[], labels=STATUS_LABELS,
                               tags=STATUS_TAGS), 400
    status = form.status.data or AWAITING
    form.status.data = status
    statuses = dps_services.AWAITING if status == AWAITING else (status,)
    today = admissions.uk_today()

    def with_clock(found):
        return [(a, dps_services.clock(a.decision_due_on, today) if a.status in dps_services.AWAITING else None)
                for a in found]

    file = tabular.maybe_download(request, QUEUE_HEADERS, lambda: [  # every application, not just the page
        _queue_row(a, c) for a, c in with_clock(dps_services.queue(current_user, statuses))], f"admissions-{status}")
    if file:
        return file
    found, total, page = paging.page_of(dps_services.queue_query(current_user, statuses), paging.page_number())
    return render_template("portal/dps_applications.html", form=form, rows=with_clock(found), labels=STATUS_LABELS,
                           tags=STATUS_TAGS, today=today, page=page, total=total, page_size=paging.PAGE_SIZE,
                           status=status)


QUEUE_HEADERS = ("Provider", "DPS", "Lots", "Status", "Received", "Decision due", "Extended", "Clock", "Decided")


def _queue_row(a: DpsApplication, clock) -> tuple:
    return (a.provider.name, a.dps.name, ", ".join(lot.name for lot in a.lots), STATUS_LABELS[a.status],
            a.submitted_at, a.decision_due_on if clock else None, bool(a.extended) if clock else None,
            clock.text if clock else None, a.decided_at)


def _decision_page(application: DpsApplication, failed: tuple[str, object] | None = None):
    forms = {name: DECISION_FORMS[name](prefix=name, formdata=None) for name in DECISIONS.get(application.status, ())
             if not (name == "extend" and application.extended)}
    if failed is not None:
        forms[failed[0]] = failed[1]
    today = admissions.uk_today()
    return render_template(
        "portal/dps_application.html", application=application, sections=SECTIONS, forms=forms,
        form=failed[1] if failed else None, labels=STATUS_LABELS, tags=STATUS_TAGS,
        show_answer=admissions.show_answer,
        clock=dps_services.clock(application.decision_due_on, today)
        if application.status in dps_services.AWAITING else None)


@bp.get("/dps/applications/<int:application_id>")
@allow(MANAGER, owner=dps_services.own_managed_application)
def applications_detail(application_id: int):
    return _decision_page(owned())


def _apply(application: DpsApplication, decision: str, form) -> None:
    if decision == "extend":
        admissions.extend(application, current_user, form.reason.data)
        return
    to_status = {"admit": "admitted", "reject": "rejected", "clarify": "clarification_requested",
                 "suspend": "suspended", "reinstate": "admitted", "withdraw": "withdrawn"}[decision]
    reason = form.note.data if decision in ("admit", "reinstate") else form.reason.data
    admissions.transition(application, to_status, current_user, reason=reason)


@bp.post("/dps/applications/<int:application_id>/<decision>")
@allow(MANAGER, owner=own_decision)
def applications_decide(application_id: int, decision: str):
    application = owned()
    form = DECISION_FORMS[decision](prefix=decision)
    if form.validate_on_submit():
        try:
            _apply(application, decision, form)
        except AdmissionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("dps.applications_detail", application_id=application_id))
        db.commit()
        due = application.decision_due_on.strftime("%-d %B %Y") if application.decision_due_on else ""
        flash(DONE[decision].format(p=application.provider.name, d=application.dps.name, due=due), "success")
        return redirect(url_for("dps.applications_detail", application_id=application.id))
    return _decision_page(application, (decision, form)), 400


# --- providers --------------------------------------------------------------------------------------

def _provider_filters(user: User | None = None, formdata=None) -> ProviderFilterForm:
    user = user or current_user
    form = ProviderFilterForm(formdata=request.args if formdata is None else formdata, meta={"csrf": False})
    any_ = [SelectChoice("", "Any")]
    form.lot.choices = any_ + [SelectChoice(str(lot.id), lot.name) for lot in dps_services.lots_for(user)]
    form.kind.choices = any_ + [SelectChoice(k, v) for k, v in SETTING_KINDS.items()]
    form.rating.choices = any_ + [SelectChoice(r, r) for r in RATINGS] + [
        SelectChoice(dps_services.NOT_INSPECTED, "Not yet inspected")]
    form.compliance.choices = any_ + [SelectChoice("suspended", "Has a suspension"),
                                      SelectChoice("clear", "No suspensions")]
    form.area.choices = any_ + [SelectChoice(a, a) for a in dps_services.areas_for(user)]
    return form


PROVIDER_HEADERS = ("Provider", "Contact name", "Contact email")
FILTERS = ("lot", "kind", "rating", "compliance", "area")


def _provider_query(user: User, form: ProviderFilterForm):
    filters = {k: form[k].data for k in FILTERS if form[k].data}
    return filters, dps_services.provider_query(
        user, lot_id=int(filters["lot"]) if "lot" in filters else None, kind=filters.get("kind"),
        rating=filters.get("rating"), suspended=filters.get("compliance"), area=filters.get("area"))


@tabular.register_export("dps-providers", MANAGER)
def provider_table(user: User, params: dict):
    """Every provider the page lists for these filters (all pages), as the manager sees them."""
    form = _provider_filters(user, MultiDict(params))
    if not form.validate():
        return PROVIDER_HEADERS, []
    _, query = _provider_query(user, form)
    return PROVIDER_HEADERS, ((p.name, p.contact_name, p.contact_email) for p in db.session.scalars(query))


@bp.get("/dps/providers")
@allow(MANAGER)
def providers():
    form = _provider_filters()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    if not form.validate():
        return render_template("portal/dps_providers.html", form=form, providers=[], total=0, page=1,
                               page_size=PAGE_SIZE, filters={}), 400
    filters, query = _provider_query(current_user, form)
    rows, total = dps_services.page_of_providers(query, page, PAGE_SIZE)
    file = tabular.maybe_download(request, *provider_table(current_user, filters), "providers",
                                  export="dps-providers", params=filters, count=total)
    if file:
        return file
    return render_template("portal/dps_providers.html", form=form, providers=rows, total=total, page=page,
                           page_size=PAGE_SIZE, filters=filters)


@bp.get("/dps/providers/<int:provider_id>")
@allow(MANAGER, owner=dps_services.own_provider)
def providers_detail(provider_id: int):
    provider = owned()
    summary = dps_services.provider_summary(provider, current_user)
    file = tabular.maybe_download_table(request, provider_tables(summary), f"provider-{provider.id}")
    if file:
        return file
    return render_template("portal/dps_provider.html", provider=provider,
                           labels=STATUS_LABELS, tags=STATUS_TAGS, **summary)


def _details(after: dict | None) -> str:
    """The audit event's Details cell as the page prints it, one "Key: value" per line."""
    return "\n".join(f"{k.replace('_', ' ').capitalize()}: {v}" for k, v in (after or {}).items()
                     if k != "answers" and v is not None)


def provider_tables(summary: dict) -> dict:
    """The provider page's four tables (?table=applications|homes|documents|audit), as the page shows them."""
    return {
        "applications": (("DPS", "Lots", "Status", "Received"), lambda: [
            (a.dps.name, ", ".join(lot.name for lot in a.lots), STATUS_LABELS[a.status], a.submitted_at)
            for a in summary["applications"]]),
        "homes": (("Home", "URN", "Closed", "Kind", "Ofsted", "Registration", "Postcode", "Referrals",
                   "Suspended because"), lambda: [
            (s.name, s.urn, s.status == "closed", s.kind_label, s.overall_effectiveness or "Not yet inspected",
             s.registration_status, s.postcode, "Suspended" if s.suspended else "Open to referrals",
             s.suspended_reason if s.suspended else None) for s in summary["settings"]]),
        "documents": (("Document", "File", "Expires", "Uploaded"), lambda: [
            (d.kind_label, d.filename, d.expires_on, d.uploaded_at) for d in summary["documents"]]),
        "audit": (("When", "Who", "What", "Object", "Details"), lambda: [
            (e.occurred_at, who or "Homefinder", e.action, f"{e.object_type.replace('_', ' ')} {e.object_id}",
             _details(e.after)) for e, who in summary["trail"]]),
    }
