"""Proposals: draft, submit, revise, withdraw and start again, only until the deadline (server clock), blind
answers, sealed audit rows, and one live proposal per provider enforced by the database."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent, User
from tendering import proposals
from tendering.models import OUTCOMES, Proposal, ProposalRevision, ReferralProvider
from tendering.proposal_forms import parse, parse_pounds, parse_service
from tendering.proposals import ProposalError
from tests import factories
from tests.conftest import csrf_from, sign_in, submit

START = date.today() + timedelta(days=20)


def _scenario(app, **referral_fields):
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        referral = factories.referral(council, status="published", **referral_fields)
        oakfield = factories.organisation("provider", name="Oakfield Care")
        home = factories.setting(oakfield, name="Acacia House")
        other_home = factories.setting(oakfield, name="Birch Lodge")  # not matched
        factories.invite(referral, oakfield, home)
        admin = factories.user("provider_admin", org=oakfield)
        elm = factories.organisation("provider", name="Elm Care")
        factories.invite(referral, elm, factories.setting(elm, name="Cedar View"))
        elm_user = factories.user("provider_staff", org=elm)
        officer = factories.user("placements_officer", org=council)
        db.commit()
        return {"referral": referral.id, "oakfield": oakfield.id, "home": home.id, "other_home": other_home.id,
                "admin": admin.email, "admin_id": admin.id, "elm": elm.id, "elm_user": elm_user.email,
                "officer": officer.email}


def _raw(ids, **overrides) -> dict:
    raw = {"setting": str(ids["home"]), "staffing": "Two staff by day, one waking night",
           "education_offer": "Transport to her current school", "start_date-day": str(START.day),
           "start_date-month": str(START.month), "start_date-year": str(START.year), "core_fee": "1250.50",
           "notice_period": "4", "need-autism": "Staff trained in autism",
           "service-1-description": "Therapy", "service-1-unit": "session", "service-1-price": "40",
           "service-1-quantity": "2", "service-1-weeks": "12"}
    raw.update({f"outcome-{code}": f"Our plan to help her {label.lower()}" for code, label in OUTCOMES.items()})
    raw.update(overrides)
    return raw


def _save(ids, submit_=True, **overrides):
    row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
    data, errors = parse(_raw(ids, **overrides), ["autism"])
    assert errors == {}
    actor = db.session.get(User, ids["admin_id"])
    return proposals.save(row, actor, data, submit=submit_)


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


# --- parsing -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,pence", [("1250.50", 125050), ("£1,250.5", 125050), ("4500", 450000),
                                        (" 0.01 ", 1), ("", None)])
def test_fee_parsing(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize("text,message", [("0", "more than £0"), ("0.00", "more than £0"),
                                          ("12.345", "no more than 2 decimal places"), ("-5", "amount in pounds"),
                                          ("twelve", "amount in pounds"), ("2000000", "£1,000,000 or less")])
def test_fee_validation_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_pounds(text)


def test_service_rows_are_blank_or_complete_and_valid():
    assert parse_service(1, {}) == (None, {})
    row, errors = parse_service(2, {"service-2-description": "Therapy", "service-2-unit": "session",
                                    "service-2-price": "40.00", "service-2-quantity": "1.5", "service-2-weeks": "10"})
    assert errors == {} and row == {"description": "Therapy", "unit": "session", "unit_price_pence": 4000,
                                    "quantity_per_week": "1.5", "weeks": 10}
    _, errors = parse_service(3, {"service-3-description": "Therapy"})
    assert set(errors) == {"service-3-unit", "service-3-price", "service-3-quantity", "service-3-weeks"}
    _, errors = parse_service(1, {"service-1-description": "x", "service-1-unit": "u", "service-1-price": "1.999",
                                  "service-1-quantity": "0", "service-1-weeks": "521"})
    assert set(errors) == {"service-1-price", "service-1-quantity", "service-1-weeks"}


def test_notice_period_and_date_must_be_valid_even_in_a_draft():
    _, errors = parse({"notice_period": "53", "start_date-day": "31", "start_date-month": "2",
                       "start_date-year": "2027"}, [])
    assert "between 0 and 52" in errors["notice_period"] and "real date" in errors["start_date"]


# --- services ------------------------------------------------------------------------------------------------

def test_draft_submit_revise_keeps_every_revision(app):
    ids = _scenario(app)
    with app.app_context():
        draft = _save(ids, submit_=False, staffing="", core_fee="")  # a draft need not be complete
        db.commit()
        assert (draft.status, draft.revision, draft.weekly_core_fee_pence) == ("draft", 1, None)
        submitted = _save(ids)
        db.commit()
        assert (submitted.id, submitted.status, submitted.revision) == (draft.id, "submitted", 2)
        assert submitted.weekly_core_fee_pence == 125050 and submitted.services[0].unit_price_pence == 4000
        revised = _save(ids, core_fee="1300")
        db.commit()
        assert (revised.status, revised.revision, revised.weekly_core_fee_pence) == ("submitted", 3, 130000)
        revisions = proposals.revisions(revised)
        assert [(r.number, r.status) for r in revisions] == [(3, "submitted"), (2, "submitted"), (1, "draft")]
        assert revisions[1].content["weekly_core_fee_pence"] == 125050
        assert revisions[0].content["services"] == [{"description": "Therapy", "unit": "session",
                                                     "unit_price_pence": 4000, "quantity_per_week": "2",
                                                     "weeks": 12}]
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "proposal")
                                          .order_by(AuditEvent.id)))
        assert [e.action for e in events] == ["proposal.saved", "proposal.submitted", "proposal.submitted"]
        for event in events:  # sealed: ids, status and revision only
            assert set(event.after) == {"referral_id", "proposal_id", "provider_id", "status", "revision"}
            assert "125050" not in str(event.after) and "Our plan" not in str(event.after)


def test_a_submitted_proposal_cannot_go_back_to_draft(app):
    ids = _scenario(app)
    with app.app_context():
        _save(ids)
        db.commit()
        with pytest.raises(ProposalError, match="has been submitted"):
            _save(ids, submit_=False)


def test_withdraw_then_start_a_new_proposal(app):
    ids = _scenario(app)
    with app.app_context():
        first = _save(ids)
        db.commit()
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        proposals.withdraw(row, db.session.get(User, ids["admin_id"]))
        db.commit()
        assert first.status == "withdrawn" and first.withdrawn_at is not None
        second = _save(ids, submit_=False)
        db.commit()
        assert second.id != first.id and (second.status, second.revision) == ("draft", 1)
        assert proposals.latest_proposal(row).id == second.id
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.withdrawn")) is not None


def test_submit_needs_everything(app):
    ids = _scenario(app)
    with app.app_context():
        with pytest.raises(ProposalError) as caught:
            _save(ids, **{"outcome-stay_safe": "", "need-autism": "", "core_fee": "", "setting": ""})
        assert {"outcome-stay_safe", "need-autism", "core_fee", "setting"} <= set(caught.value.errors)


def test_only_the_providers_matched_homes_can_be_offered(app):
    ids = _scenario(app)
    with app.app_context():
        with pytest.raises(ProposalError) as caught:
            _save(ids, submit_=False, setting=str(ids["other_home"]))
        assert "setting" in caught.value.errors


@pytest.mark.parametrize("field,text", [("staffing", "Oakfield care staff are trained"),
                                        ("outcome-be_healthy", "At ACACIA HOUSE she will see a GP"),
                                        ("service-1-description", "Oakfield Care therapy")])
def test_blindness_guard_refuses_the_providers_or_homes_name(app, field, text):
    ids = _scenario(app)
    with app.app_context():
        with pytest.raises(ProposalError) as caught:
            _save(ids, **{field: text})
        assert "score proposals without knowing who sent them" in caught.value.errors[field]
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_one_second_late_is_refused_and_nothing_written(app):
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, response_deadline=deadline)
    with app.app_context():
        with freeze_time(deadline - timedelta(seconds=1)):
            _save(ids, submit_=False)
            db.commit()
        with freeze_time(deadline + timedelta(seconds=1)):
            with pytest.raises(ProposalError, match="deadline has passed"):
                _save(ids)
            db.session.rollback()
            row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
            with pytest.raises(ProposalError, match="deadline has passed"):
                proposals.withdraw(row, db.session.get(User, ids["admin_id"]))
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ProposalRevision)) == 1
        assert db.session.scalar(select(Proposal)).status == "draft"


def test_declined_or_unpublished_is_refused(app):
    ids = _scenario(app)
    with app.app_context():
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        row.declined_at, row.decline_reason = utcnow(), "no_vacancy"
        db.commit()
        with pytest.raises(ProposalError, match="declined"):
            _save(ids)
        db.session.rollback()
        row.declined_at = row.decline_reason = None
        row.referral.status = "cancelled"
        db.commit()
        with pytest.raises(ProposalError, match="no longer open"):
            _save(ids)


def test_database_refuses_a_second_live_proposal(app):
    ids = _scenario(app)
    with app.app_context():
        db.session.add(Proposal(referral_id=ids["referral"], provider_id=ids["oakfield"], status="draft"))
        db.session.flush()
        db.session.add(Proposal(referral_id=ids["referral"], provider_id=ids["oakfield"], status="draft"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_concurrent_start_is_refused_politely(app, monkeypatch):
    ids = _scenario(app)
    with app.app_context():
        db.session.add(Proposal(referral_id=ids["referral"], provider_id=ids["oakfield"], status="draft"))
        db.commit()
        monkeypatch.setattr(proposals, "live_proposal", lambda row, lock=False: None)  # the other request won
        with pytest.raises(ProposalError, match="already has a proposal"):
            _save(ids, submit_=False)


# --- views ---------------------------------------------------------------------------------------------------

def test_form_shows_only_matched_homes_and_the_desired_outcomes(app):
    ids = _scenario(app)
    body = _client(app, ids["admin"]).get(f"/invitations/{ids['referral']}/proposal").get_data(as_text=True)
    assert "Acacia House" in body and "Birch Lodge" not in body and "Cedar View" not in body
    assert "The council wants: Support to stay safe" in body and "Autism" in body


def test_bad_input_is_400_with_an_error_summary_and_nothing_written(app):
    ids = _scenario(app)
    client = _client(app, ids["admin"])
    url = f"/invitations/{ids['referral']}/proposal"
    response = submit(client, url, {**_raw(ids, core_fee="12.345", **{"service-2-description": "Extra"}),
                                    "action": "draft"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "govuk-error-summary" in body
    assert "no more than 2 decimal places" in body and "Service 2: enter the unit" in body
    assert 'value="12.345"' in body  # what they typed is kept
    response = submit(client, url, {**_raw(ids, staffing="Oakfield Care staff"), "action": "submit"})
    assert response.status_code == 400 and "without knowing who sent them" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_save_submit_view_and_withdraw_through_the_pages(app):
    ids = _scenario(app)
    client = _client(app, ids["admin"])
    url = f"/invitations/{ids['referral']}/proposal"
    assert submit(client, url, {**_raw(ids), "action": "draft"}).status_code == 302
    assert submit(client, url, {**_raw(ids), "action": "submit"}).status_code == 302
    body = client.get(url + "/view").get_data(as_text=True)
    assert "Submitted" in body and "Revision 2" in body and "£1,250.50" in body and "Therapy" in body
    assert client.get(url + "/revisions/1").status_code == 200
    assert client.get(url + "/revisions/9").status_code == 404
    assert "Change your proposal" in client.get(f"/invitations/{ids['referral']}").get_data(as_text=True)
    assert submit(client, url + "/withdraw", {}).status_code == 302
    assert "Withdrawn" in client.get(url + "/view").get_data(as_text=True)


def test_after_the_deadline_the_provider_sees_its_own_proposal_read_only(app):
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _scenario(app, response_deadline=deadline)
    client = _client(app, ids["admin"])
    url = f"/invitations/{ids['referral']}/proposal"
    token = csrf_from(client.get(url).get_data(as_text=True))
    assert submit(client, url, {**_raw(ids), "action": "submit"}).status_code == 302
    with freeze_time(deadline + timedelta(seconds=1)):
        response = client.post(url, data={**_raw(ids, core_fee="999"), "action": "submit", "csrf_token": token})
        assert response.status_code == 400 and "deadline has passed" in response.get_data(as_text=True)
        assert client.get(url).status_code == 302
        body = client.get(url + "/view").get_data(as_text=True)
        assert "£1,250.50" in body and "Change your proposal" not in body
    with app.app_context():
        assert db.session.scalar(select(Proposal)).weekly_core_fee_pence == 125050


def test_another_provider_and_council_users_cannot_see_it(app):
    ids = _scenario(app)
    with app.app_context():
        _save(ids)
        db.commit()
    elm = _client(app, ids["elm_user"])
    assert elm.get(f"/invitations/{ids['referral']}/proposal/view").status_code == 404  # Elm has none
    assert "1,250.50" not in elm.get(f"/invitations/{ids['referral']}").get_data(as_text=True)
    assert _client(app, ids["officer"]).get(f"/invitations/{ids['referral']}/proposal/view").status_code == 403
