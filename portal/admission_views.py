"""Provider pages for DPS applications: start one, fill in the questionnaire task list, submit,
answer a clarification question and resubmit, withdraw. Provider staff can look; admins act."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from portal import admissions
from portal.admission_forms import (SECTION_FORMS, ChooseDpsForm, ChooseLotsForm, ResubmitForm,
                                    SubmitApplicationForm, WithdrawForm)
from portal.admissions import SECTIONS, AdmissionError
from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.models import Dps, DpsApplication

bp = Blueprint("applications", __name__)
PROVIDER = ("provider_admin", "provider_staff")


def own_application(user: User, application_id: int, **_) -> DpsApplication | None:
    application = db.session.get(DpsApplication, application_id)
    return application if application is not None and application.provider_id == user.organisation_id else None


def own_application_section(user: User, application_id: int, section: str) -> DpsApplication | None:
    return own_application(user, application_id) if section in SECTIONS else None


@bp.get("/applications")
@allow(*PROVIDER)
def applications():
    rows = db.session.scalars(select(DpsApplication).where(DpsApplication.provider_id == current_user.organisation_id)
                              .order_by(DpsApplication.created_at.desc(), DpsApplication.id.desc())).all()
    file = tabular.maybe_download(request, ("DPS", "Lots", "Status", "Submitted", "Decision due"), lambda: [(
        a.dps.name, ", ".join(lot.name for lot in a.lots), admissions.STATUS_LABELS[a.status], a.submitted_at,
        a.decision_due_on if a.decision_due_on and a.status in ("submitted", "clarification_requested") else None)
        for a in rows], "dps-applications")
    if file:
        return file
    return render_template("portal/applications.html", applications=rows, labels=admissions.STATUS_LABELS,
                           tags=admissions.STATUS_TAGS)


@bp.route("/applications/new", methods=["GET", "POST"])
@allow("provider_admin")
def applications_new():
    all_dps = db.session.scalars(select(Dps).order_by(Dps.name)).all()
    form = ChooseDpsForm()
    form.dps.choices = [SelectChoice(str(d.id), d.name) for d in all_dps]
    if len(all_dps) == 1 and not form.is_submitted():
        return redirect(url_for("applications.applications_new_lots", dps_id=all_dps[0].id))
    if form.validate_on_submit():
        return redirect(url_for("applications.applications_new_lots", dps_id=int(form.dps.data)))
    return render_template("portal/application_new.html", form=form, any_dps=bool(all_dps)), \
        (200 if not form.errors else 400)


@bp.route("/applications/new/<int:dps_id>", methods=["GET", "POST"])
@allow("provider_admin")
def applications_new_lots(dps_id: int):
    dps = db.session.get(Dps, dps_id)
    if dps is None:
        abort(404)
    existing = admissions.in_progress(current_user.organisation_id, dps.id)
    if existing is not None:
        flash(f"You already have an application in progress for {dps.name}.", "error")
        return redirect(url_for("applications.applications_detail", application_id=existing.id))
    lots = admissions.open_lots(current_user.organisation_id, dps)
    form = ChooseLotsForm()
    form.lots.choices = [SelectChoice(lot.id, lot.name) for lot in lots]
    if form.validate_on_submit():
        try:
            application = admissions.create_application(current_user, dps, form.lots.data)
        except AdmissionError as exc:
            db.session.rollback()
            form.lots.errors = [str(exc)]
        else:
            db.commit()
            flash("Your application has been started. Complete each section, then submit it.", "success")
            return redirect(url_for("applications.applications_detail", application_id=application.id))
    return render_template("portal/application_lots.html", form=form, dps=dps, lots=lots), \
        (200 if not form.errors else 400)


def _detail(application: DpsApplication, **forms):
    admin = admissions.is_provider_admin_of(current_user, application)
    context = dict(
        application=application, sections=SECTIONS, admin=admin,
        editable=admin and application.status in ("draft", "clarification_requested"),
        complete={name: admissions.section_complete(application, name) for name in SECTIONS},
        labels=admissions.STATUS_LABELS, tags=admissions.STATUS_TAGS, show_answer=admissions.show_answer,
        submit_form=forms.get("submit_form") or SubmitApplicationForm(),
        resubmit_form=forms.get("resubmit_form") or ResubmitForm(),
        form=forms.get("form"),
    )
    return render_template("portal/application.html", **context)


@bp.get("/applications/<int:application_id>")
@allow(*PROVIDER, owner=own_application)
def applications_detail(application_id: int):
    return _detail(owned())


@bp.route("/applications/<int:application_id>/sections/<section>", methods=["GET", "POST"])
@allow("provider_admin", owner=own_application_section)
def applications_section(application_id: int, section: str):
    application = owned()
    if application.status not in ("draft", "clarification_requested"):
        flash("This application has been submitted and cannot be changed.", "error")
        return redirect(url_for("applications.applications_detail", application_id=application.id))
    form_class = SECTION_FORMS[section]
    stored = (application.questionnaire or {}).get(section) or {}
    form = form_class() if request.method == "POST" else form_class(data=stored)
    if form.validate_on_submit():
        answers = form.answers()
        problems = {} if form.is_draft else admissions.section_errors(section, answers)
        for key, message in problems.items():
            form[key].errors = [message]
        if not problems:
            try:
                complete = admissions.save_section(current_user, application, section, answers)
            except AdmissionError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                return redirect(url_for("applications.applications_detail", application_id=application.id))
            db.commit()
            state = "completed" if complete else "saved as a draft"
            flash(f"{SECTIONS[section].title} {state}.", "success")
            return redirect(url_for("applications.applications_detail", application_id=application.id))
    return render_template("portal/application_section.html", form=form, application=application,
                           section=section, title=SECTIONS[section].title), (200 if not form.errors else 400)


@bp.post("/applications/<int:application_id>/submit")
@allow("provider_admin", owner=own_application)
def applications_submit(application_id: int):
    application = owned()
    form = SubmitApplicationForm()
    if not form.validate_on_submit():
        return _detail(application, submit_form=form), 400
    try:
        admissions.transition(application, "submitted", current_user)
    except AdmissionError as exc:
        db.session.rollback()
        form.submit.errors = [str(exc)]
        return _detail(db.session.get(DpsApplication, application_id), submit_form=form, form=form), 400
    db.commit()
    flash(f"Your application has been submitted. The DPS manager will decide by "
          f"{application.decision_due_on.strftime('%-d %B %Y')}.", "success")
    return redirect(url_for("applications.applications_detail", application_id=application.id))


@bp.post("/applications/<int:application_id>/resubmit")
@allow("provider_admin", owner=own_application)
def applications_resubmit(application_id: int):
    application = owned()
    form = ResubmitForm()
    if form.validate_on_submit():
        try:
            admissions.transition(application, "submitted", current_user, reason=form.answer.data)
        except AdmissionError as exc:
            db.session.rollback()
            form.answer.errors = [str(exc)]
            application = db.session.get(DpsApplication, application_id)
        else:
            db.commit()
            flash("Your answer has been sent and your application resubmitted.", "success")
            return redirect(url_for("applications.applications_detail", application_id=application.id))
    return _detail(application, resubmit_form=form, form=form), 400


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@allow("provider_admin", owner=own_application)
def applications_withdraw(application_id: int):
    application = owned()
    if application.status != "admitted":
        flash("Only an admitted provider can withdraw from the DPS.", "error")
        return redirect(url_for("applications.applications_detail", application_id=application.id))
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            admissions.transition(application, "withdrawn", current_user, reason=form.reason.data)
        except AdmissionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("applications.applications_detail", application_id=application_id))
        db.commit()
        flash(f"You have withdrawn from {application.dps.name}.", "success")
        return redirect(url_for("applications.applications_detail", application_id=application.id))
    return render_template("portal/application_withdraw.html", form=form, application=application), \
        (200 if not form.errors else 400)
