"""QA officers' pages for the QA framework: see every list; add, rename, deactivate or reactivate the
fostering and supported accommodation standards (reference data shared by every council)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow
from quality import standards
from quality.models import FRAMEWORKS, QualityStandard
from quality.standards import StandardError
from quality.visit_forms import StandardForm, ToggleStandardForm

bp = Blueprint("standards", __name__)


@bp.get("/quality/standards")
@allow("qa_officer")
def standards_list():
    lists = standards.by_framework()
    file = tabular.maybe_download(request, ("Framework", "Standard", "Status"), lambda: [  # every framework's table
        (FRAMEWORKS[framework], s.title, "Active" if s.active else "Inactive")
        for framework, rows in lists.items() for s in rows], "quality-standards")
    if file:
        return file
    return render_template("quality/standards.html", lists=lists, frameworks=FRAMEWORKS,
                           editable=standards.EDITABLE, toggle=ToggleStandardForm())


@bp.route("/quality/standards/<framework>/new", methods=["GET", "POST"])
@allow("qa_officer")
def standards_new(framework: str):
    if framework not in standards.EDITABLE:
        abort(404)
    form = StandardForm()
    if form.validate_on_submit():
        try:
            row = standards.add(current_user, framework, form.title.data)
        except StandardError as exc:
            db.session.rollback()
            form.title.errors = [str(exc)]
        else:
            db.commit()
            flash(f"Standard added: {row.title}.", "success")
            return redirect(url_for("standards.standards_list"))
    return render_template("quality/standard_form.html", form=form, framework=FRAMEWORKS[framework],
                           heading="Add a standard"), (200 if not form.errors else 400)


def _editable(standard_id: int) -> QualityStandard:
    row = db.session.get(QualityStandard, standard_id)
    if row is None or row.framework not in standards.EDITABLE:
        abort(404)
    return row


@bp.route("/quality/standards/<int:standard_id>/edit", methods=["GET", "POST"])
@allow("qa_officer")
def standards_edit(standard_id: int):
    row = _editable(standard_id)
    form = StandardForm(obj=row)
    if form.validate_on_submit():
        try:
            standards.rename(current_user, row, form.title.data)
        except StandardError as exc:
            db.session.rollback()
            form.title.errors = [str(exc)]
        else:
            db.commit()
            flash("Standard renamed.", "success")
            return redirect(url_for("standards.standards_list"))
    return render_template("quality/standard_form.html", form=form, framework=FRAMEWORKS[row.framework],
                           heading="Rename a standard"), (200 if not form.errors else 400)


@bp.post("/quality/standards/<int:standard_id>/toggle")
@allow("qa_officer")
def standards_toggle(standard_id: int):
    row = _editable(standard_id)
    form = ToggleStandardForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        standards.set_active(current_user, row, not row.active)
    except StandardError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(f"{row.title} is now {'active' if row.active else 'inactive'}.", "success")
    return redirect(url_for("standards.standards_list"))
