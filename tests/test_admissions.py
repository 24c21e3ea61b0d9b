"""The admission lifecycle: every illegal transition from every status is refused and writes nothing;
every legal one changes the status, writes its audit row and tells the right people."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.admissions import ALLOWED, REASON_REQUIRED, STATUS_LABELS, AdmissionError, extend, transition
from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, InboxMessage, Organisation
from portal.models import APPLICATION_STATUSES, Dps, DpsApplication
from tests import factories
from tests.conftest import signed_in_client, submit

STATUSES = list(APPLICATION_STATUSES)
ILLEGAL = [(a, b) for a in STATUSES for b in STATUSES if b not in ALLOWED[a]]


@pytest.fixture
def market(ctx):
    """One DPS of two councils, a manager in each, a provider with two admins and one staff member."""
    council_a, council_b = factories.organisation("council"), factories.organisation("council")
    dps = factories.dps(council_a, council_b, name="South East London DPS")
    provider = factories.organisation("provider", name="Oakfield Care")
    people = {
        "manager": factories.user("dps_manager", org=council_a, name="Sarah Collins"),
        "manager_b": factories.user("dps_manager", org=council_b, name="Ben Ade"),
        "admin": factories.user("provider_admin", org=provider, name="Priya Shah"),
        "admin_2": factories.user("provider_admin", org=provider, name="Jo Bloggs"),
        "staff": factories.user("provider_staff", org=provider, name="Tom Okafor"),
        "officer": factories.user("placements_officer", org=council_a),
    }
    db.commit()
    return dps, provider, people


def _audit_rows(application_id) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "dps_application", AuditEvent.object_id == str(application_id))
        .order_by(AuditEvent.id)))


def _inbox(user) -> list[InboxMessage]:
    return list(db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == user.id)
                                   .order_by(InboxMessage.id)))


def _actor_for(to_status, people):
    return people["admin"] if to_status == "submitted" else people["manager"]


def test_the_allowed_map_is_exactly_the_design():
    assert {a: set(b) for a, b in ALLOWED.items()} == {
        "draft": {"submitted"},
        "submitted": {"clarification_requested", "admitted", "rejected"},
        "clarification_requested": {"submitted"},
        "admitted": {"suspended", "withdrawn"},
        "suspended": {"admitted"},
        "rejected": set(),
        "withdrawn": set(),
    }
    assert len(ILLEGAL) == 49 - 8


@pytest.mark.parametrize("from_status,to_status", ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_an_illegal_transition_is_refused_and_writes_nothing(market, from_status, to_status):
    dps, provider, people = market
    application = factories.application(dps, provider, from_status)
    db.commit()
    before = dict(application.questionnaire)
    with pytest.raises(AdmissionError) as refused:
        transition(application, to_status, _actor_for(to_status, people), reason="Because")
    assert STATUS_LABELS[from_status].lower() in str(refused.value)
    assert not db.session.new and not db.session.dirty
    db.session.rollback()
    fresh = db.session.get(DpsApplication, application.id)
    assert fresh.status == from_status and fresh.questionnaire == before
    assert _audit_rows(application.id) == []
    assert db.session.scalar(select(func.count()).select_from(InboxMessage)) == 0


LEGAL = [
    # from, to, actor, notified, email kind, reason
    ("draft", "submitted", "admin", ("manager", "manager_b"), "application_submitted", None),
    ("submitted", "clarification_requested", "manager", ("admin", "admin_2"), "application_clarification",
     "Please send your latest audited accounts"),
    ("clarification_requested", "submitted", "admin", ("manager", "manager_b"), "application_resubmitted",
     "Attached to the financial section"),
    ("submitted", "admitted", "manager", ("admin", "admin_2"), "application_admitted", None),
    ("submitted", "rejected", "manager", ("admin", "admin_2"), "application_rejected", "No safeguarding lead"),
    ("admitted", "suspended", "manager", ("admin", "admin_2"), "application_suspended", "Insurance lapsed"),
    ("suspended", "admitted", "manager", ("admin", "admin_2"), "application_reinstated", "Insurance renewed"),
    ("admitted", "withdrawn", "admin", ("manager", "manager_b"), "application_withdrawn", "Closing our homes"),
    ("admitted", "withdrawn", "manager", ("manager_b", "admin", "admin_2"), "application_withdrawn",
     "Contract ended"),
]


@pytest.mark.parametrize("from_status,to_status,actor,notified,kind,reason", LEGAL,
                         ids=[f"{row[0]}->{row[1]} by {row[2]}" for row in LEGAL])
def test_a_legal_transition_is_audited_and_notifies(market, from_status, to_status, actor, notified, kind, reason):
    dps, provider, people = market
    application = factories.application(dps, provider, from_status)
    db.commit()
    received = application.submitted_at
    transition(application, to_status, people[actor], reason=reason)
    db.commit()

    fresh = db.session.get(DpsApplication, application.id)
    assert fresh.status == to_status
    (row,) = _audit_rows(application.id)
    assert row.action == f"application.{to_status}"
    assert row.before == {"status": from_status}
    assert row.after["status"] == to_status and row.after["reason"] == reason
    assert row.actor_id == people[actor].id
    for name, person in people.items():
        messages = _inbox(person)
        if name in notified:
            assert [m.kind for m in messages] == [kind], name
            if reason:
                assert reason in messages[0].body_text
            email = db.session.scalar(select(EmailMessage).where(EmailMessage.user_id == person.id))
            assert email.kind == kind and email.status == "sent"  # dispatched after the commit
        else:
            assert messages == [], name
    if (from_status, to_status) == ("draft", "submitted"):
        assert fresh.submitted_at is not None and fresh.decision_due_on is not None
    if (from_status, to_status) == ("clarification_requested", "submitted"):
        assert fresh.submitted_at == received  # the receipt date stays
        assert row.after["resubmitted"] is True
        assert fresh.questionnaire["clarifications"][-1]["answer"] == reason
    if from_status == "suspended":
        assert row.after["reinstated"] is True


@pytest.mark.parametrize("from_status,to_status", [(a, b) for a, bs in ALLOWED.items() for b in bs
                                                   if b in REASON_REQUIRED])
@pytest.mark.parametrize("reason", [None, "   "])
def test_a_reason_is_required_for_clarification_rejection_suspension_and_withdrawal(market, from_status,
                                                                                   to_status, reason):
    dps, provider, people = market
    application = factories.application(dps, provider, from_status)
    db.commit()
    with pytest.raises(AdmissionError, match="Enter the"):
        transition(application, to_status, people["manager"], reason=reason)
    assert application.status == from_status and not db.session.dirty
    assert _audit_rows(application.id) == []


def test_a_resubmission_needs_an_answer(market):
    dps, provider, people = market
    application = factories.application(dps, provider, "clarification_requested")
    db.commit()
    with pytest.raises(AdmissionError, match="Enter your answer"):
        transition(application, "submitted", people["admin"], reason="")
    assert application.status == "clarification_requested"


@pytest.mark.parametrize("actor,to_status", [
    ("admin", "admitted"), ("staff", "submitted"), ("officer", "rejected"), ("manager", "submitted"),
    ("admin", "clarification_requested")])
def test_only_the_right_side_may_make_each_move(market, actor, to_status):
    dps, provider, people = market
    start = "draft" if to_status == "submitted" else "submitted"
    application = factories.application(dps, provider, start)
    db.commit()
    with pytest.raises(AdmissionError, match="You cannot"):
        transition(application, to_status, people[actor], reason="x")
    assert application.status == start and _audit_rows(application.id) == []


def test_a_manager_of_a_council_outside_the_dps_cannot_decide(market):
    dps, provider, people = market
    outsider = factories.user("dps_manager")
    application = factories.application(dps, provider, "submitted")
    db.commit()
    with pytest.raises(AdmissionError):
        transition(application, "admitted", outsider)
    assert application.status == "submitted"


def test_an_incomplete_questionnaire_cannot_be_submitted(market):
    dps, provider, people = market
    application = factories.application(dps, provider, "draft", complete=False)
    db.commit()
    with pytest.raises(AdmissionError, match="Complete every section before you submit: organisation details"):
        transition(application, "submitted", people["admin"])
    assert application.status == "draft" and application.submitted_at is None


def test_each_clarification_round_notifies_again(market):
    dps, provider, people = market
    application = factories.application(dps, provider, "submitted")
    db.commit()
    for n in range(2):
        transition(application, "clarification_requested", people["manager"], reason=f"Question {n}")
        db.commit()
        transition(application, "submitted", people["admin"], reason=f"Answer {n}")
        db.commit()
    assert [m.kind for m in _inbox(people["admin_2"])] == ["application_clarification"] * 2
    assert [m.kind for m in _inbox(people["manager_b"])] == ["application_resubmitted"] * 2
    assert [c["answer"] for c in application.questionnaire["clarifications"]] == ["Answer 0", "Answer 1"]


def test_first_submission_starts_the_clock_from_receipt(market):
    dps, provider, people = market
    application = factories.application(dps, provider, "draft")
    transition(application, "submitted", people["admin"], now=datetime(2025, 12, 19, 16, 30, tzinfo=timezone.utc))
    db.commit()
    assert application.decision_due_on.isoformat() == "2026-01-07"


def test_extension_is_once_only_and_audited(market):
    dps, provider, people = market
    application = factories.application(dps, provider, "submitted",
                                        submitted_at=datetime(2025, 12, 19, 10, tzinfo=timezone.utc))
    db.commit()
    with pytest.raises(AdmissionError, match="Enter the reason"):
        extend(application, people["manager"], " ")
    extend(application, people["manager"], "Waiting for references")
    db.commit()
    assert application.decision_due_on.isoformat() == "2026-01-14"
    with pytest.raises(AdmissionError, match="already been extended once"):
        extend(application, people["manager"], "Again")
    (row,) = _audit_rows(application.id)
    assert row.action == "application.extended"
    assert row.before["decision_due_on"] == "2026-01-07" and row.after["decision_due_on"] == "2026-01-14"


# --- the provider's pages -----------------------------------------------------------------------------

def _provider_client(app):
    with app.app_context():
        provider = factories.organisation("provider", name="Oakfield Care")
        council = factories.organisation("council")
        dps = factories.dps(council, name="South East London DPS")
        manager = factories.user("dps_manager", org=council)
        admin = factories.user("provider_admin", org=provider)
        db.commit()
        ids = {"dps": dps.id, "lots": [lot.id for lot in dps.lots], "manager": manager.id, "provider": provider.id,
               "admin_email": admin.email}
    client = app.test_client()
    submit(client, "/sign-in", {"email": ids["admin_email"], "password": factories.PASSWORD})
    return client, ids


def test_provider_admin_applies_completes_the_task_list_and_submits(app):
    client, ids = _provider_client(app)
    assert client.get("/applications/new").status_code == 302  # one DPS: straight to its lots
    page = f"/applications/new/{ids['dps']}"
    assert "Residential children&#39;s homes" in client.get(page).get_data(as_text=True)
    response = submit(client, page, {"lots": []})
    assert response.status_code == 400 and "Select at least one lot" in response.get_data(as_text=True)
    response = submit(client, page, {"lots": [str(ids["lots"][0]), str(ids["lots"][2])]})
    assert response.status_code == 302
    url = response.headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert "You have completed 0 of 5 sections" in html and html.count("Incomplete") == 5

    # A second application to the same DPS while one is in progress goes back to the first.
    assert client.get(page).headers["Location"].endswith(url)

    # Save a half-finished section as a draft: saved, still Incomplete.
    response = submit(client, url + "/sections/financial", {"turnover_band": "1m_to_5m", "draft": "y"})
    assert response.status_code == 302
    html = client.get(url + "/sections/financial").get_data(as_text=True)
    assert 'value="1m_to_5m" checked' in html
    # "Save and continue" with something missing: 400, error summary, nothing written.
    response = submit(client, url + "/sections/financial", {"turnover_band": "1m_to_5m", "save": "y"})
    assert response.status_code == 400
    assert "Select yes if your accounts are filed and up to date" in response.get_data(as_text=True)

    for section, answers in factories.COMPLETE_QUESTIONNAIRE.items():
        response = submit(client, f"{url}/sections/{section}", {**answers, "save": "y"})
        assert response.status_code == 302, (section, response.get_data(as_text=True)[:2000])
    html = client.get(url).get_data(as_text=True)
    assert "You have completed 5 of 5 sections" in html and "Incomplete" not in html

    response = submit(client, url + "/submit", {}, page=url, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Your application has been submitted" in html and "Submitted" in html
    with app.app_context():
        application = db.session.scalar(select(DpsApplication))
        assert application.status == "submitted" and len(application.lots) == 2
        assert [m.kind for m in db.session.scalars(select(InboxMessage).where(
            InboxMessage.user_id == ids["manager"]))] == ["application_submitted"]
    # Submitted: the sections can no longer be changed.
    response = submit(client, url + "/sections/financial", {"turnover_band": "under_1m", "save": "y"}, page=url)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(DpsApplication)).questionnaire["financial"]["turnover_band"] == "1m_to_5m"


def test_submitting_with_sections_incomplete_shows_an_error(app):
    client, ids = _provider_client(app)
    response = submit(client, f"/applications/new/{ids['dps']}", {"lots": [str(ids["lots"][0])]})
    url = response.headers["Location"]
    response = submit(client, url + "/submit", {}, page=url)
    assert response.status_code == 400
    assert "Complete every section before you submit" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DpsApplication)).status == "draft"


def test_an_exclusion_answered_yes_needs_an_explanation(app):
    client, ids = _provider_client(app)
    url = submit(client, f"/applications/new/{ids['dps']}", {"lots": [str(ids["lots"][0])]}).headers["Location"]
    response = submit(client, url + "/sections/exclusions", {"mandatory": "no", "discretionary": "yes", "save": "y"})
    assert response.status_code == 400
    assert "Explain the discretionary exclusion grounds" in response.get_data(as_text=True)
    response = submit(client, url + "/sections/exclusions", {"mandatory": "no", "discretionary": "yes",
                                                              "discretionary_explanation": "Insolvent in 2019; "
                                                              "new owners since", "save": "y"})
    assert response.status_code == 302


def test_provider_staff_can_look_but_not_change(app):
    with app.app_context():
        application = factories.application(status="draft")
        staff = factories.user("provider_staff", org=application.provider)
        db.commit()
        app_id, email = application.id, staff.email
    client = app.test_client()
    submit(client, "/sign-in", {"email": email, "password": factories.PASSWORD})
    assert client.get("/applications").status_code == 200
    html = client.get(f"/applications/{app_id}").get_data(as_text=True)
    assert "Only a provider admin can complete and submit it" in html
    assert client.get(f"/applications/{app_id}/sections/financial").status_code == 403
    assert client.get("/applications/new").status_code == 403


def test_another_providers_application_section_is_not_found(app):
    with app.app_context():
        other = factories.application(status="draft")
        db.commit()
        other_id = other.id
    client = signed_in_client(app, "provider_admin")
    assert client.get(f"/applications/{other_id}/sections/financial").status_code == 404
    assert client.get(f"/applications/{other_id}").status_code == 404


def test_provider_answers_a_clarification_and_resubmits(app):
    client, ids = _provider_client(app)
    with app.app_context():
        application = factories.application(db.session.get(Dps, ids["dps"]),
                                            db.session.get(Organisation, ids["provider"]), "clarification_requested")
        db.commit()
        url = f"/applications/{application.id}"
    html = client.get(url).get_data(as_text=True)
    assert "The DPS manager has a question" in html and "Send your latest accounts" in html
    response = submit(client, url + "/resubmit", {"answer": ""}, page=url)
    assert response.status_code == 400 and "Enter your answer" in response.get_data(as_text=True)
    response = submit(client, url + "/resubmit", {"answer": "Uploaded to documents"}, page=url,
                      follow_redirects=True)
    assert "Your answer has been sent and your application resubmitted" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(DpsApplication, application.id).status == "submitted"
