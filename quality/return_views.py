"""Monthly returns: a provider's settings × recent months, the return form, and the QA officers' list of
overdue returns across the providers on their council's DPSs."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of, slice_of
from portal.models import Setting
from quality import returns
from quality.compliance import provider_ids_for
from quality.return_forms import MonthlyReturnForm
from quality.returns import ReturnError

bp = Blueprint("returns", __name__)
PROVIDER = ("provider_admin", "provider_staff")


def own_setting(user: User, setting_id: int, **_) -> Setting | None:
    setting = db.session.get(Setting, setting_id)
    return setting if setting is not None and setting.provider_id == user.organisation_id else None


@bp.get("/returns")
@allow(*PROVIDER)
def returns_list():
    today, provider_id = returns.uk_today(), current_user.organisation_id
    months = returns.recent_months(today)
    file = tabular.maybe_download(request, ("Home",) + tuple(m.strftime("%B %Y") for m in months), lambda: [
        (row.setting.name,) + tuple(returns.STATUS_LABELS[status] for _m, status in row.cells)
        for row in returns.grid(provider_id, today)[1]], "monthly-returns")
    if file:
        return file
    settings, total, page = page_of(returns.open_settings_query(provider_id), page_number())
    months, rows = returns.grid(provider_id, today, settings)
    return render_template("quality/returns.html", months=months, rows=rows, labels=returns.STATUS_LABELS,
                           tags=returns.STATUS_TAGS, due_on=returns.due_on, page=page, total=total,
                           page_size=PAGE_SIZE)


@bp.route("/returns/<int:setting_id>", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_setting)
def submit(setting_id: int):
    setting = owned()
    today = returns.uk_today()
    month = returns.parse_month(request.args.get("month"))
    if month is None or month not in returns.recent_months(today):
        abort(404)
    existing = returns.find(setting.id, month)
    problem = returns.can_submit(setting, month, today)
    form = MonthlyReturnForm() if request.method == "POST" or existing is None else MonthlyReturnForm(obj=existing)
    if request.method == "POST" and problem:
        flash(problem, "error")
        return redirect(url_for("returns.returns_list"))
    if form.validate_on_submit():
        try:
            returns.submit_return(current_user, setting, month, form.values(), today)
        except ReturnError as exc:
            db.session.rollback()
            form.incidents.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Return for {setting.name}, {month:%B %Y} sent.", "success")
            return redirect(url_for("returns.returns_list"))
    return render_template("quality/return_form.html", form=form, setting=setting, month=month,
                           existing=existing, problem=problem, due_on=returns.due_on(month)), \
        (400 if form.errors else 200)


@bp.get("/returns/overdue")
@allow("qa_officer", "dps_manager")
def overdue():
    today = returns.uk_today()
    every = returns.overdue_across(today, provider_ids_for(current_user))  # worked out in Python: sliced here
    file = tabular.maybe_download(request, ("Provider", "Home", "Month", "Was due"), lambda: [
        (r["provider"].name, r["setting"].name, r["month"].strftime("%B %Y"), r["due_on"]) for r in every],
        "returns-overdue")
    rows, total, page = slice_of(every, page_number())
    return file or render_template("quality/returns_overdue.html", rows=rows, page=page, total=total,
                                   page_size=PAGE_SIZE)
