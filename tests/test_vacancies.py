"""Vacancies: one home, the bulk page, confirmations, staleness, optimistic locking, history, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, text, update

from portal.core import db
from portal.core.models import AuditEvent, InboxMessage, Organisation, User
from portal.models import Setting, Vacancy, VacancyHistory
from portal.services import VacancyConflict, VacancyInput, update_vacancy
from tests import factories
from tests.conftest import csrf_from, sign_in, submit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _client(app, role="provider_admin", org_id=None):
    with app.app_context():
        org = db.session.get(Organisation, org_id) if org_id else None
        user = factories.user(role, org=org)
        db.commit()
        email, org_id, user_id = user.email, user.organisation_id, user.id
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client, org_id, user_id


def _homes(app, org_id, *names, places=4, vacancy=None):
    ids = []
    with app.app_context():
        org = db.session.get(Organisation, org_id)
        for name in names:
            setting = factories.setting(org, name=name, registered_places=places)
            if vacancy is not None:
                factories.vacancy(setting, **vacancy)
            ids.append(setting.id)
        db.commit()
    return ids


def _history(app):
    with app.app_context():
        return [(h.setting_id, h.places_free, h.change, h.recorded_by_id)
                for h in db.session.scalars(select(VacancyHistory).order_by(VacancyHistory.id))]


def test_stale_boundary_six_days_23_hours_is_current_seven_days_is_stale(app):
    with app.app_context():
        staff = factories.user("provider_staff")
        factories.vacancy(factories.setting(staff.organisation, name="Oak"), places_free=1, confirmed_at=T0)
        db.commit()
        email = staff.email
        v = db.session.scalar(select(Vacancy))
        assert not v.is_stale(T0 + timedelta(days=6, hours=23))
        assert v.is_stale(T0 + timedelta(days=7))
    for at, shown, hidden in ((T0 + timedelta(days=6, hours=23), ">Current<", ">Stale<"),
                              (T0 + timedelta(days=7), ">Stale<", ">Current<")):
        with freeze_time(at):
            client = app.test_client()
            assert sign_in(client, email, factories.PASSWORD).status_code == 302
            for path in ("/dashboard", "/vacancies", "/settings", "/settings"):
                page = client.get(path).get_data(as_text=True)
                assert shown in page and hidden not in page, (at, path)


def test_staff_record_update_and_confirm_a_vacancy_with_history(app):
    client, org_id, user_id = _client(app, "provider_staff")
    (home,) = _homes(app, org_id, "Oak")
    assert "None recorded" in client.get(f"/settings/{home}").get_data(as_text=True)
    response = submit(client, f"/settings/{home}/vacancy", {"places_free": "2", "free_from": ["1", "4", "2026"],
                                                             "note": "One solo placement", "version": ""})
    assert response.status_code == 302
    response = submit(client, f"/settings/{home}/vacancy", {"places_free": "3", "free_from": ["", "", ""],
                                                             "note": "", "version": "1"})
    assert response.status_code == 302
    with app.app_context():
        v = db.session.scalar(select(Vacancy))
        assert (v.places_free, v.free_from, v.note, v.version) == (3, None, None, 2)
        first_confirmed = v.confirmed_at
    response = submit(client, f"/settings/{home}/vacancy/confirm", {"version": "2"}, page=f"/settings/{home}")
    assert response.status_code == 302
    assert "has not changed" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        v = db.session.scalar(select(Vacancy))
        assert v.confirmed_at > first_confirmed and v.version == 3
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "setting")
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["vacancy.updated", "vacancy.updated", "vacancy.confirmed"]
    assert _history(app) == [(home, 2, "updated", user_id), (home, 3, "updated", user_id),
                             (home, 3, "confirmed", user_id)]


def test_places_free_cannot_exceed_registered_places(app):
    client, org_id, _ = _client(app)
    (home,) = _homes(app, org_id, "Oak", places=2)
    response = submit(client, f"/settings/{home}/vacancy", {"places_free": "3", "version": ""})
    assert response.status_code == 400
    assert "Places free must be between 0 and 2" in response.get_data(as_text=True)
    assert _history(app) == []


def test_another_providers_vacancy_is_404(app):
    client, _, _ = _client(app)
    with app.app_context():
        other_setting = factories.setting(factories.organisation("provider"))
        factories.vacancy(other_setting)
        db.commit()
        other = other_setting.id
    token = csrf_from(client.get("/vacancies").get_data(as_text=True))
    assert client.get(f"/settings/{other}/vacancy").status_code == 404
    assert client.post(f"/settings/{other}/vacancy", data={"csrf_token": token, "places_free": "0"}).status_code == 404
    assert client.post(f"/settings/{other}/vacancy/confirm", data={"csrf_token": token}).status_code == 404
    # the bulk pages only ever touch the signed-in provider's homes
    client.post("/vacancies/confirm-all", data={"csrf_token": token, f"v-{other}": "1"})
    assert _history(app) == []


def test_bulk_page_saves_every_row_in_one_go(app):
    client, org_id, user_id = _client(app)
    a, b = _homes(app, org_id, "Ash House", "Beech House", vacancy={"places_free": 1})
    (c,) = _homes(app, org_id, "Cedar House")  # no vacancy yet, left blank
    page = client.get("/vacancies").get_data(as_text=True)
    assert "Ash House" in page and "Beech House" in page and "None recorded" in page
    response = submit(client, "/vacancies", {
        f"s{a}-places_free": "0", f"s{a}-free_from": ["", "", ""], f"s{a}-note": "", f"s{a}-version": "1",
        f"s{b}-places_free": "1", f"s{b}-free_from": ["", "", ""], f"s{b}-note": "", f"s{b}-version": "1",
        f"s{c}-places_free": "", f"s{c}-free_from": ["", "", ""], f"s{c}-note": "", f"s{c}-version": "",
    })
    assert response.status_code == 302
    assert sorted(_history(app)) == [(a, 0, "updated", user_id), (b, 1, "confirmed", user_id)]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vacancy)) == 2


def test_bulk_page_saves_nothing_if_any_row_is_invalid_and_names_the_row(app):
    client, org_id, _ = _client(app)
    a, b = _homes(app, org_id, "Ash House", "Beech House", vacancy={"places_free": 1})
    response = submit(client, "/vacancies", {
        f"s{a}-places_free": "2", f"s{a}-free_from": ["", "", ""], f"s{a}-version": "1",
        f"s{b}-places_free": "9", f"s{b}-free_from": ["", "", ""], f"s{b}-version": "1",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "govuk-error-summary" in html and "Beech House: Places free must be between 0 and 4" in html
    assert f'href="#s{b}-places_free"' in html and "<title>Error:" in html
    assert 'value="2"' in html  # the valid row keeps what was typed
    assert _history(app) == []
    with app.app_context():
        assert sorted(db.session.scalars(select(Vacancy.places_free))) == [1, 1]


def test_a_blank_row_with_a_note_is_an_error(app):
    client, org_id, _ = _client(app)
    (a,) = _homes(app, org_id, "Ash House")
    response = submit(client, "/vacancies", {f"s{a}-places_free": "", f"s{a}-note": "call us"})
    assert response.status_code == 400
    assert "Ash House: Enter the number of places free" in response.get_data(as_text=True)


def _someone_else_sets(app, setting_id, places):
    with app.app_context():
        user = factories.user("provider_staff", org=db.session.get(Setting, setting_id).provider)
        setting = db.session.get(Setting, setting_id)
        update_vacancy(user, setting, VacancyInput(places, None, None, setting.vacancy.version))
        db.commit()


def test_bulk_update_after_someone_else_changed_a_row_gives_a_clear_message(app):
    client, org_id, _ = _client(app)
    a, b = _homes(app, org_id, "Ash House", "Beech House", vacancy={"places_free": 1})
    client.get("/vacancies")  # the user loads the page at version 1 ...
    _someone_else_sets(app, b, 3)  # ... a colleague saves Beech House (version 2) ...
    response = submit(client, "/vacancies", {  # ... and the user saves what they saw
        f"s{a}-places_free": "2", f"s{a}-version": "1", f"s{b}-places_free": "0", f"s{b}-version": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Someone else changed the vacancy for Beech House while you were editing it. Check it and try again" in html
    with app.app_context():
        assert {s: p for s, p in db.session.execute(select(Vacancy.setting_id, Vacancy.places_free))} == {a: 1, b: 3}
    assert f'name="s{b}-version" type="hidden" value="2"' in html  # the row now shows what is stored
    response = submit(client, "/vacancies", {
        f"s{a}-places_free": "2", f"s{a}-version": "1", f"s{b}-places_free": "0", f"s{b}-version": "2"})
    assert response.status_code == 302


def test_single_update_after_someone_else_changed_it_gives_a_clear_message(app):
    client, org_id, _ = _client(app)
    (a,) = _homes(app, org_id, "Ash House", vacancy={"places_free": 1})
    _someone_else_sets(app, a, 3)
    response = submit(client, f"/settings/{a}/vacancy", {"places_free": "0", "version": "1"})
    assert response.status_code == 400
    assert "Someone else changed the vacancy for Ash House" in response.get_data(as_text=True)
    response = submit(client, f"/settings/{a}/vacancy/confirm", {"version": "1"}, page=f"/settings/{a}")
    assert "Someone else changed the vacancy for Ash House" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Vacancy.places_free)) == 3


def test_a_concurrent_write_between_load_and_flush_raises_a_conflict(app):
    """The race the version check cannot see: SQLAlchemy's version counter turns it into a conflict."""
    _, org_id, user_id = _client(app)
    (a,) = _homes(app, org_id, "Ash House", vacancy={"places_free": 1})
    with app.app_context():
        user = db.session.get(User, user_id)
        setting = db.session.get(Setting, a)
        assert setting.vacancy.version == 1  # loaded by this session
        with db.engine().begin() as other:  # another request commits in between
            other.execute(update(Vacancy).where(Vacancy.setting_id == a).values(places_free=4, version=2))
        with pytest.raises(VacancyConflict, match="Ash House"):
            update_vacancy(user, setting, VacancyInput(0, None, None, 1))
        db.session.rollback()
        assert db.session.scalar(select(Vacancy.places_free)) == 4
        assert db.session.scalar(select(func.count()).select_from(VacancyHistory)) == 0


def test_confirm_all_unchanged(app):
    client, org_id, user_id = _client(app)
    a, b = _homes(app, org_id, "Ash House", "Beech House", vacancy={"places_free": 1})
    (c,) = _homes(app, org_id, "Cedar House")
    page = client.get("/vacancies").get_data(as_text=True)
    assert "Confirm all unchanged" in page
    response = client.post("/vacancies/confirm-all", data={"csrf_token": csrf_from(page), f"v-{a}": "1",
                                                           f"v-{b}": "1"})
    assert response.status_code == 302
    assert sorted(_history(app)) == [(a, 1, "confirmed", user_id), (b, 1, "confirmed", user_id)]
    # a stale page confirms nothing at all
    response = client.post("/vacancies/confirm-all", data={"csrf_token": csrf_from(page), f"v-{a}": "2",
                                                           f"v-{b}": "1"})
    assert "Someone else changed the vacancy for Beech House" in client.get("/vacancies").get_data(as_text=True)
    assert len(_history(app)) == 2
    assert c


# --- the day-6 reminder ---------------------------------------------------------------------------

def _run_reminders(app, at):
    from portal.jobs import remind_vacancies_about_to_go_stale

    with freeze_time(at), app.app_context():
        remind_vacancies_about_to_go_stale()
        return sorted((m.user_id, m.kind) for m in db.session.scalars(select(InboxMessage)))


def test_reminder_goes_once_on_day_six_to_admins_and_staff(app):
    with app.app_context():
        admin = factories.user("provider_admin")
        staff = factories.user("provider_staff", org=admin.organisation)
        factories.user("provider_staff", org=admin.organisation, password=None)  # invited, not active
        factories.user("provider_admin")  # another provider
        setting = factories.setting(admin.organisation, name="Ash House")
        factories.vacancy(setting, confirmed_at=T0)
        closed = factories.setting(admin.organisation, status="closed")
        factories.vacancy(closed, confirmed_at=T0)
        db.commit()
        admin_id, staff_id, setting_id = admin.id, staff.id, setting.id
    both = [(admin_id, "vacancy_reminder"), (staff_id, "vacancy_reminder")]

    assert _run_reminders(app, T0 + timedelta(days=5, hours=23, minutes=59)) == []
    assert _run_reminders(app, T0 + timedelta(days=6)) == both
    assert _run_reminders(app, T0 + timedelta(days=6, hours=1)) == both  # the next hourly run: no repeat
    assert _run_reminders(app, T0 + timedelta(days=6, hours=1)) == both  # a re-run of the same slot
    with app.app_context():
        emails = db.session.execute(text("SELECT subject, status FROM email_message")).all()
        assert len(emails) == 2 and all(s == "sent" for _subject, s in emails)
        assert "Ash House" in emails[0][0]

    # confirmed again on day 8: a fresh reminder on day 14, once
    with freeze_time(T0 + timedelta(days=8)), app.app_context():
        s = db.session.get(Setting, setting_id)
        from portal.services import confirm_vacancy
        confirm_vacancy(db.session.get(User, admin_id), s, s.vacancy.version)
        db.commit()
    assert _run_reminders(app, T0 + timedelta(days=13, hours=23)) == both
    assert len(_run_reminders(app, T0 + timedelta(days=14))) == 4
    assert len(_run_reminders(app, T0 + timedelta(days=14, hours=5))) == 4


def test_reminder_job_is_registered_hourly(app):
    from portal.core.jobs import PERIODIC

    assert PERIODIC["portal.jobs:remind_vacancies_about_to_go_stale"][1] == timedelta(hours=1)
