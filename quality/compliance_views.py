"""Compliance pages: the dashboard for QA officers and DPS managers (by provider and by lot), a provider's
compliance page with its history, lifting a suspension (DPS managers, with a reason), and the provider's own
"Compliance" page."""
from __future__ import annotations

from collections import Counter, defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import Organisation, User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.models import DpsApplication, Lot, Setting, dps_application_lot
from quality import compliance
from quality.compliance import LABELS, TAGS, ComplianceError
from quality.models import COMPLIANCE_STATUSES, ComplianceChange, ComplianceStatus
from quality.return_forms import LiftSuspensionForm, StatusFilterForm

bp = Blueprint("compliance", __name__)
COUNCIL = ("qa_officer", "dps_manager")
PROVIDER = ("provider_admin", "provider_staff")
LISTED_HEADERS = ("Provider or home", "Type", "Provider", "Status", "Reasons")


def dps_provider(user: User, provider_id: int, **_) -> Organisation | None:
    provider = db.session.get(Organisation, provider_id)
    if provider is None or provider.kind != "provider" or provider_id not in compliance.provider_ids_for(user):
        return None
    return provider


def dps_status(user: User, status_id: int, **_) -> ComplianceStatus | None:
    row = db.session.get(ComplianceStatus, status_id)
    return row if row is not None and row.provider_id in compliance.provider_ids_for(user) else None


def _statuses(provider_ids) -> list[ComplianceStatus]:
    if not provider_ids:
        return []
    return list(db.session.scalars(select(ComplianceStatus).where(ComplianceStatus.provider_id.in_(provider_ids))))


def _status_counts(provider_ids) -> dict[str, Counter]:
    """How many providers and homes are in each status (all of them: one GROUP BY query)."""
    counts = {"provider": Counter(), "setting": Counter()}
    if provider_ids:
        for subject_type, status, n in db.session.execute(
                select(ComplianceStatus.subject_type, ComplianceStatus.status, func.count())
                .where(ComplianceStatus.provider_id.in_(provider_ids))
                .group_by(ComplianceStatus.subject_type, ComplianceStatus.status)):
            counts.setdefault(subject_type, Counter())[status] = n
    return counts


def _listed_query(provider_ids, chosen: str):
    """The dashboard's list: the chosen status (or non-compliant and suspended), worst first, then by provider
    and subject, id as the tie-breaker."""
    wanted = (chosen,) if chosen else ("non_compliant", "suspended")
    worst = case({s: -i for s, i in compliance.ORDER.items()}, value=ComplianceStatus.status, else_=0)
    return (select(ComplianceStatus).where(ComplianceStatus.provider_id.in_(provider_ids or [-1]),
                                           ComplianceStatus.status.in_(wanted))
            .order_by(worst, ComplianceStatus.provider_id, ComplianceStatus.subject_type,
                      ComplianceStatus.subject_id, ComplianceStatus.id))


def _history_query(provider_id: int):
    return (select(ComplianceChange).where(ComplianceChange.provider_id == provider_id)
            .order_by(ComplianceChange.changed_at.desc(), ComplianceChange.id.desc()))


def _names(rows) -> dict[tuple[str, int], str]:
    setting_ids = [r.subject_id for r in rows if r.subject_type == "setting"]
    org_ids = {r.provider_id for r in rows}
    names = {("setting", s.id): s.name for s in db.session.scalars(select(Setting).where(Setting.id.in_(setting_ids)))
             } if setting_ids else {}
    names.update({("provider", o.id): o.name for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(org_ids)))} if org_ids else {})
    return names


def _by_lot(provider_ids, rows) -> list[dict]:
    """For each lot of the council's DPSs: how many admitted (or suspended) providers in each status."""
    status = {r.subject_id: r.status for r in rows if r.subject_type == "provider"}
    counts: dict[int, Counter] = defaultdict(Counter)
    lots = {}
    for lot, provider_id in db.session.execute(
            select(Lot, DpsApplication.provider_id)
            .join(dps_application_lot, dps_application_lot.c.lot_id == Lot.id)
            .join(DpsApplication, DpsApplication.id == dps_application_lot.c.application_id)
            .where(DpsApplication.provider_id.in_(provider_ids),
                   DpsApplication.status.in_(("admitted", "suspended")))):
        lots[lot.id] = lot
        counts[lot.id][status.get(provider_id, "compliant")] += 1
    return [{"lot": lots[i], "counts": counts[i]} for i in sorted(lots, key=lambda i: (lots[i].dps_id, i))]


@bp.get("/compliance")
@allow(*COUNCIL)
def dashboard():
    form = StatusFilterForm(request.args)
    chosen = form.status.data if form.status.data in COMPLIANCE_STATUSES else ""
    provider_ids = compliance.provider_ids_for(current_user)
    counts = _status_counts(provider_ids)
    lots = _by_lot(provider_ids, [r for r in _statuses(provider_ids) if r.subject_type == "provider"])
    if request.args.get("table") and "format" in request.args:  # the summaries: ?table=status|lots
        return tabular.maybe_download_table(request, {
            "status": (("Status", "Providers", "Homes"), [
                (LABELS[s], counts["provider"][s], counts["setting"][s]) for s in COMPLIANCE_STATUSES]),
            "lots": (("DPS", "Lot") + tuple(LABELS[s] for s in COMPLIANCE_STATUSES), [
                (item["lot"].dps.name, item["lot"].name) + tuple(item["counts"][s] for s in COMPLIANCE_STATUSES)
                for item in lots])}, "compliance") or abort(404)
    file = tabular.maybe_download(request, LISTED_HEADERS, lambda: _listed_rows(
        list(db.session.scalars(_listed_query(provider_ids, chosen)))),
        f"compliance-{chosen or 'non-compliant-and-suspended'}")
    if file:
        return file
    listed, total, page = page_of(_listed_query(provider_ids, chosen), page_number())
    return render_template("quality/compliance_dashboard.html", form=form, chosen=chosen, counts=counts,
                           statuses=COMPLIANCE_STATUSES, labels=LABELS, tags=TAGS, listed=listed,
                           names=_names(listed), lots=lots, page=page, total=total, page_size=PAGE_SIZE)


def _listed_rows(listed) -> list[tuple]:
    names = _names(listed)
    return [(names.get((r.subject_type, r.subject_id), ""), "Home" if r.subject_type == "setting" else "Provider",
             names.get(("provider", r.provider_id), ""), LABELS[r.status],
             "; ".join(x["reason"] for x in r.reasons or ())) for r in listed]


def _provider_context(provider: Organisation, paged: bool = True) -> dict:
    """The provider's homes and compliance history: one page of each (?page=, ?history_page=), or every row
    for a download (paged=False)."""
    settings_query = select(Setting).where(Setting.provider_id == provider.id).order_by(Setting.name, Setting.id)
    if paged:
        settings, settings_total, page = page_of(settings_query, page_number())
        history, history_total, history_page = page_of(_history_query(provider.id), page_number("history_page"))
    else:
        settings = db.session.scalars(settings_query).all()
        history = db.session.scalars(_history_query(provider.id)).all()
        settings_total, history_total, page, history_page = len(settings), len(history), 1, 1
    rows = db.session.scalars(select(ComplianceStatus).where(
        ComplianceStatus.provider_id == provider.id,
        (ComplianceStatus.subject_type == "provider")
        | ComplianceStatus.subject_id.in_([s.id for s in settings] or [-1]))).all()
    by_subject = {(r.subject_type, r.subject_id): r for r in rows}
    return dict(provider=provider, own=by_subject.get(("provider", provider.id)), settings=settings,
                setting_rows={s.id: by_subject.get(("setting", s.id)) for s in settings}, history=history,
                names=_names(history), labels=LABELS, tags=TAGS, page=page, settings_total=settings_total,
                history_page=history_page, history_total=history_total, page_size=PAGE_SIZE)


@bp.get("/compliance/providers/<int:provider_id>")
@allow(*COUNCIL, owner=dps_provider)
def provider(provider_id: int):
    provider = owned()
    return _provider_download(provider, f"compliance-{provider.id}") or render_template(
        "quality/compliance_provider.html", **_provider_context(provider),
        may_lift=compliance.manages(current_user, provider.id))


@bp.route("/compliance/status/<int:status_id>/lift", methods=["GET", "POST"])
@allow("dps_manager", owner=dps_status)
def lift(status_id: int):
    row = owned()
    back = url_for("compliance.provider", provider_id=row.provider_id)
    if row.status != "suspended":
        flash("This is not suspended, so there is nothing to lift.", "error")
        return redirect(back)
    form = LiftSuspensionForm()
    if form.validate_on_submit():
        try:
            compliance.lift(row, current_user, form.reason.data)
        except ComplianceError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.commit()
            flash("The suspension has been lifted.", "success")
            return redirect(back)
    name = compliance.subject_name(row.subject_type, row.subject_id)
    return render_template("quality/compliance_lift.html", form=form, row=row, name=name, back=back), \
        (400 if form.errors else 200)


@bp.get("/compliance/mine")
@allow(*PROVIDER)
def mine():
    provider = db.session.get(Organisation, current_user.organisation_id)
    return _provider_download(provider, "compliance") or render_template("quality/compliance_mine.html",
                                                                         **_provider_context(provider))


def _reasons(row) -> str:
    return "; ".join(r["reason"] for r in (row.reasons or ())) if row else ""


def _provider_download(provider: Organisation, stem: str):
    """?format=&table=homes|history on a provider's compliance page: the two tables as the page shows them,
    every row (not one page)."""
    if request.args.get("format") is None:
        return None
    context = _provider_context(provider, paged=False)
    rows, names = context["setting_rows"], context["names"]
    return tabular.maybe_download_table(request, {
        "homes": (("Home", "Status", "Reasons"), lambda: [
            (s.name, LABELS[rows[s.id].status if rows[s.id] else "compliant"], _reasons(rows[s.id]) or "None")
            for s in context["settings"]]),
        "history": (("When", "What", "From", "To", "Reasons"), lambda: [
            (c.changed_at, names.get((c.subject_type, c.subject_id), c.subject_type),
             LABELS[c.from_status] if c.from_status else "Not assessed", LABELS[c.to_status or "compliant"],
             _reasons(c) or "None") for c in context["history"]]),
    }, stem)

