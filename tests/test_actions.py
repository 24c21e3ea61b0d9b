"""QA actions: the lifecycle, overdue by date and by the hourly job, provider responses, officer closing,
and two officers closing the same action at once (version_id_col, PostgreSQL, two sessions)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.core import db
from portal.core.models import AuditEvent, InboxMessage, User
from quality import actions
from quality.actions import ALLOWED, STATUS_LABELS, ActionConflict, ActionError
from quality.jobs_visits import mark_actions_overdue
from quality.models import QaAction
from tests import factories
from tests.conftest import csrf_from, sign_in, submit

TODAY = date(2026, 5, 1)


@pytest.fixture
def world(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("qa_officer", org=council)
        provider = factories.organisation("provider")
        staff = factories.user("provider_staff", org=provider)
        home = factories.setting(provider)
        action = factories.qa_action(home, council, due_on=date(2099, 1, 1), created_by_id=officer.id)
        db.commit()
        return {"officer": officer.id, "officer_email": officer.email, "staff": staff.id,
                "staff_email": staff.email, "action": action.id, "home": home.id, "council": council.id}


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


ILLEGAL = [(a, b) for a in STATUS_LABELS for b in STATUS_LABELS if b not in ALLOWED[a]]


@pytest.mark.parametrize("current,target", ILLEGAL)
def test_illegal_action_transitions_are_refused(app, world, current, target):
    with app.app_context():
        action = factories.qa_action(status=current, due_on=date(2020, 1, 1))
        db.commit()
        officer = factories.user("qa_officer", org=db.session.get(type(action.provider), action.council_id))
        with pytest.raises(ActionError):
            actions.transition(action, target, officer, reason="Because", today=TODAY)
        db.session.rollback()
        assert db.session.get(QaAction, action.id).status == current


@pytest.mark.parametrize("current,target,who", [
    ("open", "provider_responded", "staff"), ("open", "closed", "officer"), ("open", "overdue", None),
    ("provider_responded", "closed", "officer"), ("provider_responded", "overdue", None),
    ("overdue", "provider_responded", "staff"), ("overdue", "closed", "officer"),
])
def test_allowed_action_transitions_are_audited(app, world, current, target, who):
    with app.app_context():
        action = db.session.get(QaAction, world["action"])
        action.status, action.due_on = current, date(2026, 4, 1)
        if current == "provider_responded":
            action.provider_response, action.responded_at = "Done", action.created_at
        db.commit()
        actor = db.session.get(User, world[who]) if who else None
        actions.transition(action, target, actor, reason="Text", today=TODAY)
        db.commit()
        assert db.session.get(QaAction, action.id).status == target
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == f"action.{target}"))
        assert event.before == {"status": current}


def test_provider_cannot_close_and_officer_cannot_respond(app, world):
    with app.app_context():
        action = db.session.get(QaAction, world["action"])
        with pytest.raises(ActionError, match="You cannot close this action"):
            actions.transition(action, "closed", db.session.get(User, world["staff"]), reason="x")
        with pytest.raises(ActionError, match="You cannot respond to this action"):
            actions.transition(action, "provider_responded", db.session.get(User, world["officer"]), reason="x")


def test_a_council_owned_action_is_not_the_providers_to_respond_to(app, world):
    with app.app_context():
        action = db.session.get(QaAction, world["action"])
        action.owner = "council"
        db.commit()
        with pytest.raises(ActionError, match="You cannot respond to this action"):
            actions.transition(action, "provider_responded", db.session.get(User, world["staff"]), reason="Done")
        db.session.rollback()
    page = _client(app, world["staff_email"]).get(f"/quality/actions/{world['action']}").get_data(as_text=True)
    assert "Respond to the action" not in page


def test_reading_treats_past_due_as_overdue_before_the_job_runs(app, world):
    with app.app_context():
        action = db.session.get(QaAction, world["action"])
        action.due_on = date(2026, 4, 30)
        db.commit()
        assert actions.effective_status(action, TODAY) == "overdue"
        assert actions.effective_status(action, date(2026, 4, 30)) == "open"
        assert [a.id for a in actions.actions_for(council_id=world["council"], status="overdue", today=TODAY)] == [
            action.id]


def test_the_hourly_job_marks_overdue_actions(app, world):
    with app.app_context():
        late = factories.qa_action(due_on=date(2020, 1, 1))
        responded = factories.qa_action(status="provider_responded", due_on=date(2020, 1, 1))
        closed = factories.qa_action(status="closed", due_on=date(2020, 1, 1))
        db.commit()
        assert mark_actions_overdue() == 2
        assert mark_actions_overdue() == 0
        statuses = {a.id: a.status for a in db.session.scalars(select(QaAction))}
        assert (statuses[late.id], statuses[responded.id], statuses[closed.id]) == ("overdue", "overdue", "closed")
        assert statuses[world["action"]] == "open"


def test_provider_responds_and_the_officer_is_told_then_closes(app, world):
    provider = _client(app, world["staff_email"])
    assert "Actions" in provider.get("/dashboard").get_data(as_text=True)
    listing = provider.get("/quality/actions").get_data(as_text=True)
    assert "Update the fire risk assessment" in listing
    url = f"/quality/actions/{world['action']}"
    response = submit(provider, url + "/respond", {"response": "", "version": "1"}, page=url)
    assert response.status_code == 400 and "Enter your response to the action" in response.get_data(as_text=True)
    response = submit(provider, url + "/respond", {"response": "Booked for Monday", "version": "1"}, page=url)
    assert response.status_code == 302
    with app.app_context():
        inbox = db.session.scalar(select(InboxMessage).where(InboxMessage.kind == "action_responded"))
        assert inbox.user_id == world["officer"] and url in inbox.link
    officer = _client(app, world["officer_email"])
    response = submit(officer, url + "/close", {"note": "Seen the certificate", "version": "2"}, page=url)
    assert response.status_code == 302
    with app.app_context():
        action = db.session.get(QaAction, world["action"])
        assert (action.status, action.close_note, action.version) == ("closed", "Seen the certificate", 3)


def test_a_stale_form_gets_a_clear_message(app, world):
    officer = _client(app, world["officer_email"])
    url = f"/quality/actions/{world['action']}"
    page = officer.get(url).get_data(as_text=True)
    with app.app_context():  # a colleague closes it first
        action = db.session.get(QaAction, world["action"])
        actions.transition(action, "closed", db.session.get(User, world["officer"]), reason="Done")
        db.commit()
    response = officer.post(url + "/close", data={"csrf_token": csrf_from(page), "note": "Me too", "version": "1"})
    assert response.status_code == 409
    assert "This action was changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(QaAction, world["action"]).close_note == "Done"


def test_two_officers_closing_at_once_one_wins(app, world):
    """Two sessions load the same action; the first commits; the second's UPDATE matches no row."""
    with app.app_context():
        if db.engine().dialect.name != "postgresql":
            pytest.fail("needs PostgreSQL: run the suite with `make test`, which starts it")
        first = db.session.get(QaAction, world["action"])
        officer = db.session.get(User, world["officer"])
        assert first.version == 1
        with Session(db.engine()) as other:
            second = other.get(QaAction, world["action"])
            assert second.version == 1
            second.status, second.close_note, second.closed_at = "closed", "Closed by a colleague", first.created_at
            other.commit()
        with pytest.raises(ActionConflict, match="This action was changed by someone else"):
            actions.transition(first, "closed", officer, reason="Closed by me")
        db.session.rollback()
        final = db.session.get(QaAction, world["action"])
        assert (final.close_note, final.version) == ("Closed by a colleague", 2)


def test_adding_an_action_validates_and_is_audited(app, world):
    officer = _client(app, world["officer_email"])
    url = f"/quality/settings/{world['home']}/actions/new"
    response = submit(officer, url, {"description": "", "owner": "provider", "priority": "urgent",
                                     "due_on": ["31", "2", "2026"]})
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)
    response = submit(officer, url, {"description": "Train staff", "owner": "council", "priority": "low",
                                     "due_on": ["1", "9", "2026"]})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(QaAction).where(QaAction.description == "Train staff")).owner == "council"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "action.created"))


def test_lists_show_only_the_users_own_actions(app, world):
    with app.app_context():
        factories.qa_action(description="Someone else's action")
        db.commit()
    for email in (world["staff_email"], world["officer_email"]):
        page = _client(app, email).get("/quality/actions?status=all").get_data(as_text=True)
        assert "Update the fire risk assessment" in page and "Someone else" not in page
