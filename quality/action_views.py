"""QA actions: QA officers add them (from a visit or for a home), see their council's actions and close
them with a note; providers see their own actions and respond."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.models import User
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.models import Setting
from quality import actions
from quality.actions import ActionError
from quality.models import ACTION_OWNERS, ACTION_PRIORITIES, MonitoringVisit, QaAction
from quality.visit_forms import ActionForm, CloseActionForm, RespondForm
from quality.visit_views import own_visit

bp = Blueprint("actions", __name__)
PROVIDER = ("provider_admin", "provider_staff")
FILTERS = {"live": "Not closed", "overdue": "Overdue", "open": "Open", "provider_responded": "Provider responded",
           "closed": "Closed", "all": "All"}


def visible_action(user: User, action_id: int, **_) -> QaAction | None:
    action = db.session.get(QaAction, action_id)
    if action is None:
        return None
    if user.has_role("qa_officer") and action.council_id == user.organisation_id:
        return action
    if user.has_role(*PROVIDER) and action.provider_id == user.organisation_id:
        return action
    return None


def _labels() -> dict:
    return dict(labels=actions.STATUS_LABELS, tags=actions.STATUS_TAGS, priority_tags=actions.PRIORITY_TAGS,
                priorities=ACTION_PRIORITIES, owners=ACTION_OWNERS, effective_status=actions.effective_status)


@bp.get("/quality/actions")
@allow("qa_officer", *PROVIDER)
def actions_list():
    status = request.args.get("status") or "live"
    status = status if status in FILTERS else "live"
    scope = ({"council_id": current_user.organisation_id} if current_user.has_role("qa_officer")
             else {"provider_id": current_user.organisation_id})
    wanted = None if status == "all" else status
    officer = current_user.has_role("qa_officer")
    headers = ("Action", "Home") + (("Provider",) if officer else ()) + ("Priority", "Due", "Status")
    file = tabular.maybe_download(request, headers, lambda: [
        (a.description, a.setting.name) + ((a.provider.name,) if officer else ())
        + (ACTION_PRIORITIES[a.priority], a.due_on, actions.STATUS_LABELS[actions.effective_status(a)])
        for a in actions.actions_for(status=wanted, **scope)], f"actions-{status}")
    if file:
        return file
    rows, total, page = page_of(actions.actions_query(status=wanted, **scope), page_number())
    return render_template("quality/actions.html", actions=rows, status=status, filters=FILTERS, page=page,
                           total=total, page_size=PAGE_SIZE, **_labels())


def _new(home: Setting, visit: MonitoringVisit | None):
    form = ActionForm()
    back = (url_for("visits.visits_detail", visit_id=visit.id) if visit else url_for("actions.actions_list"))
    if form.validate_on_submit():
        try:
            action = actions.create_action(current_user, home, visit=visit, owner=form.owner.data,
                                           priority=form.priority.data, description=form.description.data,
                                           due_on=form.due_on.data)
        except ActionError as exc:
            db.session.rollback()
            form.description.errors = [str(exc)]
        else:
            db.commit()
            flash("Action added.", "success")
            return redirect(back if visit else url_for("actions.actions_detail", action_id=action.id))
    return render_template("quality/action_new.html", form=form, home=home, visit=visit, back=back), \
        (200 if not form.errors else 400)


@bp.route("/quality/visits/<int:visit_id>/actions/new", methods=["GET", "POST"])
@allow("qa_officer", owner=own_visit)
def actions_new_for_visit(visit_id: int):
    visit = owned()
    return _new(visit.setting, visit)


@bp.route("/quality/settings/<int:setting_id>/actions/new", methods=["GET", "POST"])
@allow("qa_officer")
def actions_new_for_setting(setting_id: int):
    home = db.session.get(Setting, setting_id)  # any open home: no owner check
    if home is None or home.status != "open":
        abort(404)
    return _new(home, None)


def _detail(action: QaAction, status_code: int = 200, **forms):
    version = str(action.version)
    return render_template("quality/action.html", action=action,
                           respond_form=forms.get("respond_form") or RespondForm(version=version),
                           close_form=forms.get("close_form") or CloseActionForm(version=version),
                           form=forms.get("form"), is_officer=actions.is_officer_of(current_user, action),
                           is_provider=actions.is_provider_of(current_user, action), **_labels()), status_code


@bp.get("/quality/actions/<int:action_id>")
@allow("qa_officer", *PROVIDER, owner=visible_action)
def actions_detail(action_id: int):
    return _detail(owned())


def _version(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _change(action_id: int, form, to_status: str, text: str, done: str, form_key: str):
    action = owned()
    if not form.validate_on_submit():
        return _detail(action, 400, form=form, **{form_key: form})
    try:
        actions.transition(action, to_status, current_user, reason=text, version=_version(form.version.data))
        db.commit()
    except ActionError as exc:
        db.session.rollback()
        action = db.session.get(QaAction, action_id)
        fresh = type(form)(formdata=None, version=str(action.version))
        fresh.submit.errors = [str(exc)]
        return _detail(action, 409 if isinstance(exc, actions.ActionConflict) else 400, form=fresh,
                       **{form_key: fresh})
    flash(done, "success")
    return redirect(url_for("actions.actions_detail", action_id=action_id))


@bp.post("/quality/actions/<int:action_id>/respond")
@allow(*PROVIDER, owner=visible_action)
def actions_respond(action_id: int):
    form = RespondForm()
    return _change(action_id, form, "provider_responded", form.response.data, "Your response has been sent.",
                   "respond_form")


@bp.post("/quality/actions/<int:action_id>/close")
@allow("qa_officer", owner=visible_action)
def actions_close(action_id: int):
    form = CloseActionForm()
    return _change(action_id, form, "closed", form.note.data, "Action closed.", "close_form")
