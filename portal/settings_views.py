"""Provider pages for their homes (settings) and vacancies: parse the form, call a service, render."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.core.services import ServiceError
from portal.forms import (NOT_INSPECTED, BulkVacanciesForm, CloseSettingForm, ConfirmVacancyForm, SettingForm,
                          VacancyForm)
from portal.models import Need, Setting
from portal.services import (FieldError, VacancyConflict, VacancyInput, bulk_update_vacancies, close_setting,
                             confirm_all, confirm_vacancy, create_setting, edit_setting, update_vacancy)

bp = Blueprint("settings", __name__)
PROVIDER = ("provider_admin", "provider_staff")


def own_setting(user: User, setting_id: int) -> Setting | None:
    setting = db.session.get(Setting, setting_id)
    return setting if setting is not None and setting.provider_id == user.organisation_id else None


def _open_settings() -> list[Setting]:
    return list(db.session.scalars(
        select(Setting).where(Setting.provider_id == current_user.organisation_id, Setting.status == "open")
        .options(selectinload(Setting.vacancy)).order_by(Setting.name, Setting.id)))


# --- settings -------------------------------------------------------------------------------------

@bp.get("/settings")
@allow(*PROVIDER)
def settings():
    show_closed = request.args.get("closed") == "1"
    query = select(Setting).where(Setting.provider_id == current_user.organisation_id)
    if not show_closed:
        query = query.where(Setting.status == "open")
    query = query.options(selectinload(Setting.vacancy)).order_by(Setting.name, Setting.id)
    file = tabular.maybe_download(request, SETTING_HEADERS, lambda: map(_setting_row, db.session.scalars(query)),
                                  "homes-all" if show_closed else "homes")
    if file:
        return file
    homes, total, page = page_of(query, page_number())
    return render_template("portal/settings.html", homes=homes, show_closed=show_closed, page=page, total=total,
                           page_size=PAGE_SIZE)


SETTING_HEADERS = ("Home", "URN", "Postcode", "Status", "Kind", "Ofsted", "Places", "Vacancy")
VACANCY_HEADERS = ("Home", "Vacancy", "Confirmed", "Places free", "Free from", "Note")


def _vacancy_state(s: Setting) -> str | None:
    if s.status != "open":
        return None
    return "None recorded" if not s.vacancy else "Stale" if s.vacancy.is_stale() else "Current"


def _setting_row(s: Setting) -> tuple:
    return (s.name, s.urn, s.postcode, s.status.capitalize(), s.kind_label, s.overall_effectiveness or "Not yet inspected",
            s.registered_places, _vacancy_state(s))


def _vacancy_row(s: Setting) -> tuple:
    v = s.vacancy
    return (s.name, _vacancy_state(s), v.confirmed_at if v else None, v.places_free if v else None,
            v.free_from if v else None, v.note if v else None)


def _setting_form(setting: Setting | None = None) -> SettingForm:
    form = SettingForm(obj=setting) if setting is not None else SettingForm()
    form.needs.choices = [SelectChoice(n.code, n.label)
                          for n in db.session.scalars(select(Need).order_by(Need.position, Need.code))]
    if setting is not None and not form.is_submitted():
        form.overall_effectiveness.data = setting.overall_effectiveness or NOT_INSPECTED
        form.sexes.data = [s for s, ok in (("male", setting.accepts_male), ("female", setting.accepts_female)) if ok]
        form.needs.data = [n.code for n in setting.needs]
    return form


def _save_setting(form: SettingForm, save, template: str, **context):
    if form.validate_on_submit():
        try:
            setting = save(form.values())
        except FieldError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(f"{setting.name} has been saved.", "success")
            return redirect(url_for("settings.setting", setting_id=setting.id))
    return render_template(template, form=form, **context), (200 if not form.errors else 400)


@bp.route("/settings/new", methods=["GET", "POST"])
@allow("provider_admin")
def new_setting():
    form = _setting_form()
    return _save_setting(form, lambda values: create_setting(current_user, values), "portal/setting_form.html",
                         title="Add a home")


@bp.get("/settings/<int:setting_id>")
@allow(*PROVIDER, owner=own_setting)
def setting(setting_id: int):
    home = owned()
    confirm = ConfirmVacancyForm(version=str(home.vacancy.version) if home.vacancy else "")
    return render_template("portal/setting.html", home=home, confirm=confirm)


@bp.route("/settings/<int:setting_id>/edit", methods=["GET", "POST"])
@allow("provider_admin", owner=own_setting)
def edit(setting_id: int):
    home = owned()
    if home.status == "closed":
        flash(f"{home.name} is closed and cannot be changed.", "error")
        return redirect(url_for("settings.setting", setting_id=home.id))
    form = _setting_form(home)
    return _save_setting(form, lambda values: edit_setting(current_user, home, values), "portal/setting_form.html",
                         title=f"Change {home.name}", home=home)


@bp.route("/settings/<int:setting_id>/close", methods=["GET", "POST"])
@allow("provider_admin", owner=own_setting)
def close(setting_id: int):
    home = owned()
    form = CloseSettingForm()
    if form.validate_on_submit():
        try:
            close_setting(current_user, home)
        except ServiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("settings.setting", setting_id=home.id))
        db.commit()
        flash(f"{home.name} has been closed. It no longer appears in your list of homes.", "success")
        return redirect(url_for("settings.settings"))
    return render_template("portal/setting_close.html", form=form, home=home), (200 if not form.errors else 400)


# --- one home's vacancy ---------------------------------------------------------------------------

def _vacancy_form(home: Setting, formdata=None) -> VacancyForm:
    v = home.vacancy
    data = dict(places_free=v.places_free, free_from=v.free_from, note=v.note or "", version=str(v.version)) if v \
        else {"version": ""}
    return VacancyForm(formdata=formdata, data=data, max_places=home.registered_places)


@bp.route("/settings/<int:setting_id>/vacancy", methods=["GET", "POST"])
@allow(*PROVIDER, owner=own_setting)
def vacancy(setting_id: int):
    home = owned()
    if home.status != "open":
        flash(f"{home.name} is closed: its vacancy cannot be changed.", "error")
        return redirect(url_for("settings.setting", setting_id=home.id))
    form = _vacancy_form(home, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        data = VacancyInput(form.places_free.data, form.free_from.data, form.note.data, form.expected_version())
        try:
            update_vacancy(current_user, home, data)
        except VacancyConflict as exc:
            db.session.rollback()
            form = _vacancy_form(db.session.get(Setting, setting_id))
            form.places_free.errors = [str(exc)]
        except FieldError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
        else:
            db.commit()
            flash(f"The vacancy for {home.name} has been saved.", "success")
            return redirect(url_for("settings.setting", setting_id=home.id))
    return render_template("portal/vacancy_form.html", form=form, home=home), (200 if not form.errors else 400)


@bp.post("/settings/<int:setting_id>/vacancy/confirm")
@allow(*PROVIDER, owner=own_setting)
def confirm(setting_id: int):
    home = owned()
    form = ConfirmVacancyForm()
    back = request.form.get("next") == "vacancies"
    target = url_for("settings.vacancies") if back else url_for("settings.setting", setting_id=home.id)
    if not form.validate_on_submit():
        flash("Something went wrong. Try again.", "error")
        return redirect(target)
    version = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        confirm_vacancy(current_user, home, version)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc) + ".", "error")
        return redirect(target)
    db.commit()
    flash(f"You have confirmed that the vacancy for {home.name} has not changed.", "success")
    return redirect(target)


# --- every home's vacancy on one page -------------------------------------------------------------

def _row_input(row) -> VacancyInput | None:
    if row.is_blank():
        return None
    return VacancyInput(row.places_free.data, row.free_from.data, row.note.data, row.expected_version())


@bp.route("/vacancies", methods=["GET", "POST"])
@allow(*PROVIDER)
def vacancies():
    homes = _open_settings()
    if request.method == "GET" and (file := tabular.maybe_download(request, VACANCY_HEADERS,
                                                                   lambda: map(_vacancy_row, homes), "vacancies")):
        return file
    form = BulkVacanciesForm(homes)
    if form.validate_on_submit():
        try:
            counts = bulk_update_vacancies(current_user, [(s, _row_input(row)) for s, row in form.rows])
        except VacancyConflict as exc:
            db.session.rollback()
            fresh = db.session.get(Setting, exc.setting_id)
            form.refresh_row(fresh).places_free.errors = [str(exc)]
        except ServiceError as exc:  # the form already checked each row; this is a rule the service holds
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            saved = counts["updated"] + counts["confirmed"]
            flash(f"Vacancies saved for {saved} home{'s' if saved != 1 else ''}.", "success")
            return redirect(url_for("settings.vacancies"))
    status = 400 if form.errors else 200
    return render_template("portal/vacancies.html", form=form, confirm_form=ConfirmVacancyForm()), status


@bp.post("/vacancies/confirm-all")
@allow(*PROVIDER)
def vacancies_confirm_all():
    form = ConfirmVacancyForm()
    if not form.validate_on_submit():
        flash("Something went wrong. Try again.", "error")
        return redirect(url_for("settings.vacancies"))
    versions = {}
    for key, value in request.form.items():
        if key.startswith("v-") and key[2:].isdigit():
            versions[int(key[2:])] = int(value) if value.isdigit() else None
    try:
        confirmed = confirm_all(current_user, versions, _open_settings())
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc) + ". Nothing has been confirmed.", "error")
        return redirect(url_for("settings.vacancies"))
    db.commit()
    flash(f"You have confirmed that {confirmed} vacanc{'ies have' if confirmed != 1 else 'y has'} not changed.",
          "success")
    return redirect(url_for("settings.vacancies"))
