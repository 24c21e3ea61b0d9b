"""Feedback links (single use, expiring, no account), the respondent's form and comment moderation."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, InboxMessage
from quality import feedback
from quality.feedback import FeedbackError, LinkUnusable
from quality.models import FeedbackRequest, FeedbackResponse
from quality.themes import CHILD, THEMES
from tests import factories
from tests.conftest import csrf_from, sign_in

ALL_FOUR = {f"theme_{t}": "4" for t in THEMES}


@pytest.fixture
def world(app):
    with app.app_context():
        council = factories.organisation("council")
        qa = factories.user("qa_officer", org=council)
        officer = factories.user("placements_officer", org=council)
        placement = factories.placement(council)
        db.commit()
        return {"council_id": council.id, "qa": qa.email, "officer": officer.email, "placement_id": placement.id,
                "qa_id": qa.id}


def _send(app, world, respondent_type="child", email="young.person@example.org") -> str:
    from portal.core.models import User
    from tendering.models import Placement

    with app.test_request_context():
        actor = db.session.get(User, world["qa_id"])
        _, token = feedback.send_request(actor, db.session.get(Placement, world["placement_id"]), respondent_type,
                                         email)
        db.commit()
    return token


def _responses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FeedbackResponse))


def test_officer_sends_a_link_by_email_only_the_hash_is_stored(app, client, world):
    sign_in(client, world["officer"], factories.PASSWORD)
    url = f"/feedback/placements/{world['placement_id']}/request"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data={"respondent_type": "carer", "email": "Carer@Example.org",
                                      "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    with app.app_context():
        request = db.session.scalar(select(FeedbackRequest))
        email = db.session.scalar(select(EmailMessage).where(EmailMessage.kind == "feedback_request"))
        assert email.to_address == "carer@example.org" and email.key == f"feedback_request:{request.id}"
        assert db.session.scalar(select(func.count()).select_from(InboxMessage)) == 0
        token = re.search(r"/feedback/([A-Za-z0-9_-]{30,})", email.body_text).group(1)
        assert request.token_hash == feedback.hash_token(token) and token not in request.token_hash
        assert (request.expires_at - request.created_at) == timedelta(days=28)
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.requested"))


@pytest.mark.parametrize("data, message", [
    ({"respondent_type": "", "email": "a@example.org"}, "Select who you are asking"),
    ({"respondent_type": "child", "email": "not-an-email"}, "Enter an email address in the correct format"),
    ({"respondent_type": "parent", "email": "a@example.org"}, "Select who you are asking"),
])
def test_bad_send_input_is_a_400_and_nothing_written(app, client, world, data, message):
    sign_in(client, world["qa"], factories.PASSWORD)
    url = f"/feedback/placements/{world['placement_id']}/request"
    response = client.post(url, data={**data, "csrf_token": csrf_from(client.get(url).get_data(as_text=True))})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackRequest)) == 0


def test_child_form_needs_no_account_and_speaks_of_my_home(app, client, world):
    token = _send(app, world)
    page = client.get(f"/feedback/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tell us about your home" in html and CHILD["feels_like_home"] in html
    assert "placement" not in html.lower()
    assert "Most of the time" in html and html.count('type="radio"') == 5 * len(THEMES)


def test_adult_forms_are_worded_for_adults(app, client, world):
    token = _send(app, world, "iro")
    html = client.get(f"/feedback/{token}").get_data(as_text=True)
    assert "Strongly agree" in html and "Feedback about a child" in html


def test_submitting_writes_everything_once_and_the_link_then_shows_a_kind_page(app, client, world):
    token = _send(app, world)
    url = f"/feedback/{token}"
    csrf = csrf_from(client.get(url).get_data(as_text=True))
    response = client.post(url, data={**ALL_FOUR, "theme_safe": "5", "comment": "I like cooking with staff.",
                                      "csrf_token": csrf})
    assert response.status_code == 302 and "/feedback/thank-you" in response.headers["Location"]
    assert "Thank you for telling us about your home" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        saved = db.session.scalar(select(FeedbackResponse))
        assert {s.theme: s.score for s in saved.scores}["safe"] == 5 and len(saved.scores) == len(THEMES)
        assert saved.comment_status == "pending" and saved.comment_shown is None
        assert db.session.get(FeedbackRequest, saved.request_id).used_at is not None
    again = client.get(url)
    assert again.status_code == 410 and "already answered" in again.get_data(as_text=True)
    resubmit = client.post(url, data={**ALL_FOUR, "csrf_token": csrf})
    assert resubmit.status_code == 410
    assert _responses(app) == 1


def test_a_racing_double_submit_cannot_make_two_responses(app, world, monkeypatch):
    token = _send(app, world)
    with app.test_request_context():
        feedback.commit_response(token, {t: 3 for t in THEMES}, None)
        used = db.session.scalar(select(FeedbackRequest))
        monkeypatch.setattr(feedback, "open_request", lambda _token: used)  # as if both requests passed the check
        with pytest.raises(LinkUnusable) as caught:
            feedback.commit_response(token, {t: 3 for t in THEMES}, None)
        assert caught.value.reason == "used"
    assert _responses(app) == 1


def test_an_expired_link_shows_a_kind_page(app, client, world):
    with freeze_time("2026-01-01 09:00:00"):
        token = _send(app, world)
    with freeze_time("2026-01-28 09:00:00"):
        assert client.get(f"/feedback/{token}").status_code == 200
    with freeze_time("2026-01-29 09:00:01"):
        page = client.get(f"/feedback/{token}")
        assert page.status_code == 410
        assert "stopped working" in page.get_data(as_text=True)
        assert "Error" not in page.get_data(as_text=True).split("<title>")[1].split("</title>")[0]


def test_an_unknown_link_shows_a_kind_page(client, app):
    page = client.get("/feedback/not-a-real-token")
    assert page.status_code == 410 and "does not work" in page.get_data(as_text=True)


def test_missing_answers_are_a_400_with_errors_and_nothing_is_written(app, client, world):
    token = _send(app, world)
    url = f"/feedback/{token}"
    data = {**ALL_FOUR, "csrf_token": csrf_from(client.get(url).get_data(as_text=True))}
    del data["theme_safe"]
    data["theme_culture"] = "9"
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in html
    assert "Choose an answer for" in html and CHILD["safe"] in html
    assert _responses(app) == 0
    with app.app_context():
        assert db.session.scalar(select(FeedbackRequest)).used_at is None


def test_csrf_is_checked_on_the_public_form(app, client, world):
    token = _send(app, world)
    assert client.post(f"/feedback/{token}", data=ALL_FOUR).status_code == 400
    assert _responses(app) == 0


# --- moderation -----------------------------------------------------------------------------------

def _submit(app, world, comment):
    token = _send(app, world)
    with app.test_request_context():
        response = feedback.commit_response(token, {t: 4 for t in THEMES}, comment)
        return response.id


def test_pii_in_a_comment_is_held_back_and_approval_refused_until_redacted(app, client, world):
    response_id = _submit(app, world, "My key worker Sarah Jones is lovely, ring me on 07700 900123")
    with app.app_context():
        saved = db.session.get(FeedbackResponse, response_id)
        assert saved.comment_status == "pending" and saved.pii_findings
        assert {f["kind"] for f in saved.pii_findings} >= {"phone"}
    sign_in(client, world["qa"], factories.PASSWORD)
    queue = client.get("/feedback/moderation").get_data(as_text=True)
    assert f"/feedback/moderation/{response_id}" in queue
    url = f"/feedback/moderation/{response_id}"
    csrf = csrf_from(client.get(url).get_data(as_text=True))
    refused = client.post(url, data={"decision": "approved", "csrf_token": csrf})
    assert refused.status_code == 400 and "Redact it" in refused.get_data(as_text=True)
    still_pii = client.post(url, data={"decision": "redacted", "redacted": "Ring me on 07700 900123",
                                       "csrf_token": csrf})
    assert still_pii.status_code == 400 and "Remove the phone number" in still_pii.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FeedbackResponse, response_id).comment_status == "pending"
    done = client.post(url, data={"decision": "redacted", "redacted": "My key worker is lovely.", "csrf_token": csrf})
    assert done.status_code == 302
    with app.app_context():
        saved = db.session.get(FeedbackResponse, response_id)
        assert saved.comment_status == "redacted" and saved.comment_shown == "My key worker is lovely."
        assert saved.moderated_at is not None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback.comment_redacted"))


def test_a_clean_comment_can_be_approved_as_written(app, world):
    response_id = _submit(app, world, "The staff always make time to listen to me.")
    from portal.core.models import User
    with app.test_request_context():
        saved = db.session.get(FeedbackResponse, response_id)
        feedback.moderate(db.session.get(User, world["qa_id"]), saved, "approved")
        db.commit()
        assert saved.comment_shown == saved.comment and saved.comment_status == "approved"


@pytest.mark.parametrize("status", ["none", "approved", "redacted", "rejected"])
@pytest.mark.parametrize("decision", ["approved", "redacted", "rejected"])
def test_only_a_pending_comment_can_be_moderated(app, world, status, decision):
    from portal.core.models import User
    from tendering.models import Placement
    with app.test_request_context():
        placement = db.session.get(Placement, world["placement_id"])
        response = factories.feedback_response(placement, comment=None if status == "none" else "Fine.",
                                               comment_status=status)
        with pytest.raises(FeedbackError):
            feedback.moderate(db.session.get(User, world["qa_id"]), response, decision, "Fine.")


def test_another_councils_qa_officer_cannot_moderate(app, world):
    response_id = _submit(app, world, "All good.")
    with app.test_request_context():
        stranger = factories.user("qa_officer")
        with pytest.raises(FeedbackError):
            feedback.moderate(stranger, db.session.get(FeedbackResponse, response_id), "approved")


def test_an_officer_of_another_council_cannot_send(app, world):
    from tendering.models import Placement
    with app.test_request_context():
        stranger = factories.user("placements_officer")
        with pytest.raises(FeedbackError):
            feedback.send_request(stranger, db.session.get(Placement, world["placement_id"]), "child",
                                  "a@example.org")


def test_overview_lists_placements_and_links(app, client, world):
    _send(app, world)
    sign_in(client, world["qa"], factories.PASSWORD)
    html = client.get("/feedback").get_data(as_text=True)
    assert f"PL-{world['placement_id']:06d}" in html and "Waiting" in html


def test_reading_a_childs_comment_or_a_placement_is_audited_refusals_are_not(app, client, world):
    """DESIGN.md, Audit: every view of a child-related record — the comment as the child wrote it, before any
    redaction, and the placement a feedback link is sent about — is recorded with who looked."""
    response_id = _submit(app, world, "I like my room")

    def views(action):
        with app.app_context():
            return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()

    sign_in(client, world["qa"], factories.PASSWORD)
    assert client.get("/feedback/moderation").status_code == 200
    assert views("feedback_response.viewed") == []  # the queue shows no comment text
    assert client.get(f"/feedback/moderation/{response_id}").status_code == 200
    assert client.get(f"/feedback/placements/{world['placement_id']}/request").status_code == 200
    [seen] = views("feedback_response.viewed")
    assert seen.object_id == str(response_id) and seen.actor_id == world["qa_id"]
    assert seen.organisation_id == world["council_id"] and seen.after == {"page": "feedback.moderate"}
    [placement_seen] = views("placement.viewed")
    assert placement_seen.object_id == str(world["placement_id"]) and placement_seen.actor_id == world["qa_id"]

    with app.app_context():  # another council's QA officer is refused, and nothing is recorded for them
        stranger = factories.user("qa_officer")
        db.commit()
        email, stranger_id = stranger.email, stranger.id
    other = app.test_client()
    sign_in(other, email, factories.PASSWORD)
    assert other.get(f"/feedback/moderation/{response_id}").status_code == 404
    assert [e.actor_id for e in views("feedback_response.viewed")] == [world["qa_id"]]
    assert stranger_id not in {e.actor_id for e in views("placement.viewed")}
