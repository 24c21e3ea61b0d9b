"""Clarification questions: asked until the cut-off, answered to every invitee that has not declined, never
saying who asked."""
from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent, EmailMessage, InboxMessage, User
from tendering import clarifications
from tendering.clarifications import ClarificationError
from tendering.models import Clarification, ReferralProvider
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


def _scenario(app, **referral_fields):
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        referral = factories.referral(council, status="published", **referral_fields)
        ids = {"referral": referral.id}
        for key, name in (("oak", "Oakfield Care"), ("elm", "Elm Care"), ("ash", "Ash Homes")):
            org = factories.organisation("provider", name=name)
            factories.invite(referral, org, factories.setting(org))
            user = factories.user("provider_staff", org=org)
            ids[key], ids[f"{key}_user"], ids[f"{key}_id"] = org.id, user.email, user.id
        ash_admin = factories.user("provider_admin", org=db.session.get(type(council), ids["ash"]))
        ids["ash_admin_id"] = ash_admin.id
        row = db.session.get(ReferralProvider, (referral.id, ids["ash"]))
        row.declined_at, row.decline_reason = utcnow(), "no_vacancy"
        outsider = factories.organisation("provider", name="Pine Care")
        ids["pine_user_id"] = factories.user("provider_admin", org=outsider).id
        officer = factories.user("placements_officer", org=council)
        ids["officer"], ids["officer_id"] = officer.email, officer.id
        db.commit()
        return ids


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _ask(ids, text="Is there a garden?", who="oak"):
    row = db.session.get(ReferralProvider, (ids["referral"], ids[who]))
    return clarifications.ask(row, db.session.get(User, ids[f"{who}_id"]), text)


def test_questions_are_allowed_until_the_cutoff(app):
    cutoff = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, clarification_cutoff=cutoff)
    with app.app_context():
        with freeze_time(cutoff - timedelta(seconds=1)):
            _ask(ids)
            db.commit()
        with freeze_time(cutoff):
            with pytest.raises(ClarificationError, match="deadline for questions has passed"):
                _ask(ids, "Another?")
            db.session.rollback()
        with pytest.raises(ClarificationError, match="declined"):
            _ask(ids, who="ash")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Clarification)) == 1
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clarification.asked")) is not None


def test_without_a_cutoff_questions_close_at_the_deadline(app):
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, clarification_cutoff=None, response_deadline=deadline)
    with app.app_context():
        with freeze_time(deadline):
            with pytest.raises(ClarificationError, match="deadline for questions"):
                _ask(ids)


def test_answer_goes_to_every_invitee_except_decliners_without_the_askers_name(app):
    cutoff = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, clarification_cutoff=cutoff)
    with app.app_context():
        question = _ask(ids, "Is there a garden for the child?")
        db.commit()
        with freeze_time(cutoff + timedelta(minutes=5)):  # answers may follow the cut-off
            clarifications.answer(question, db.session.get(User, ids["officer_id"]), "Yes, she loves gardening.")
            db.commit()
        inbox = list(db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "clarification_answer")))
        assert {m.user_id for m in inbox} == {ids["oak_id"], ids["elm_id"]}  # not Ash (declined), not Pine
        for message in inbox:
            assert "Is there a garden for the child?" in message.body_text
            assert "Yes, she loves gardening." in message.body_text
            assert "Oakfield" not in message.body_text and "Oakfield" not in message.subject
        for email in db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "clarification_answer")):
            assert "Oakfield" not in email.body_text and "Oakfield" not in email.body_html
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clarification.answered"))
        assert event.after["notified_users"] == 2
        with pytest.raises(ClarificationError, match="already been answered"):
            clarifications.answer(question, db.session.get(User, ids["officer_id"]), "Again")


def test_no_answers_after_the_deadline(app):
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, response_deadline=deadline)
    with app.app_context():
        question = _ask(ids)
        db.commit()
        with freeze_time(deadline):
            with pytest.raises(ClarificationError, match="deadline has passed"):
                clarifications.answer(question, db.session.get(User, ids["officer_id"]), "Too late")


def test_provider_sees_published_answers_and_only_its_own_open_questions(app):
    ids = _scenario(app)
    with app.app_context():
        answered = _ask(ids, "Published question from Oak")
        _ask(ids, "Oak's open question")
        _ask(ids, "Elm's open question", who="elm")
        db.commit()
        clarifications.answer(answered, db.session.get(User, ids["officer_id"]), "The published answer")
        db.commit()
    body = _client(app, ids["elm_user"]).get(f"/invitations/{ids['referral']}").get_data(as_text=True)
    assert "The published answer" in body and "Elm&#39;s open question" in body
    assert "Oak&#39;s open question" not in body and "Oakfield" not in body
    questions = _client(app, ids["elm_user"]).get(f"/invitations/{ids['referral']}/questions")
    assert questions.status_code == 200 and "Oakfield" not in questions.get_data(as_text=True)


def test_ask_through_the_page_and_bad_input_is_400(app):
    ids = _scenario(app)
    client = _client(app, ids["oak_user"])
    url = f"/invitations/{ids['referral']}/questions"
    response = submit(client, url, {"question": "x" * 2001})
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)
    assert "2000 characters or fewer" in response.get_data(as_text=True)
    assert submit(client, url, {"question": "  "}).status_code == 400
    assert submit(client, url, {"question": "Is there a garden?"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Clarification)) == 1


def test_officer_sees_who_asked_and_answers(app):
    ids = _scenario(app)
    with app.app_context():
        question_id = _ask(ids, "Is there a garden?").id
        db.commit()
    client = _client(app, ids["officer"])
    page = client.get(f"/referrals/{ids['referral']}/questions")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Oakfield Care" in body and "Is there a garden?" in body
    url = f"/referrals/{ids['referral']}/questions/{question_id}/answer"
    token = csrf_from(body)
    bad = client.post(url, data={f"q{question_id}-csrf_token": token, f"q{question_id}-answer": ""})
    assert bad.status_code == 400 and "Enter an answer" in bad.get_data(as_text=True)
    good = client.post(url, data={f"q{question_id}-csrf_token": token, f"q{question_id}-answer": "Yes, a big one"})
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(Clarification, question_id).answer == "Yes, a big one"


def test_a_question_of_another_referral_is_404(app):
    ids = _scenario(app)
    other = _scenario(app)
    with app.app_context():
        question_id = _ask(other).id
        db.commit()
    client = _client(app, ids["officer"])
    token = csrf_from(client.get(f"/referrals/{ids['referral']}/questions").get_data(as_text=True))
    response = client.post(f"/referrals/{ids['referral']}/questions/{question_id}/answer",
                           data={f"q{question_id}-csrf_token": token, f"q{question_id}-answer": "Hi"})
    assert response.status_code == 404
