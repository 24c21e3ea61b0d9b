"""Monitoring visits: the lifecycle, recording judgements, the report page and PDF, the standards lists."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, InboxMessage, Organisation
from quality import schedule, standards, visits
from quality.models import MonitoringVisit, QualityStandard
from quality.visits import ALLOWED, STATUS_LABELS, VisitError
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


@pytest.fixture(autouse=True)
def _standards(app):
    with app.app_context():
        factories.quality_standards()
        db.commit()


class World(dict):
    """Objects built for a test, re-loaded in whatever app context asks for them."""

    def __getitem__(self, name):
        model, obj_id = dict.__getitem__(self, name)
        return db.session.get(model, obj_id)

    def id(self, name):
        return dict.__getitem__(self, name)[1]


@pytest.fixture
def world(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("qa_officer", org=council)
        provider = factories.organisation("provider")
        admin = factories.user("provider_admin", org=provider)
        home = factories.setting(provider)
        db.commit()
        objs = {"council": council, "officer": officer, "provider": provider, "admin": admin, "home": home}
        return World({k: (type(v), v.id) for k, v in objs.items()})


def _client(app, world, name):
    with app.app_context():
        email = world[name].email
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _record_data(home, *, overall="good", evidence="Seen in the records"):
    data = {"visited_on": ["2", "3", "2026"], "overall": overall,
            "summary": "A good home", "complete": "Save and complete the visit"}
    for s in visits.standards_for(home):
        data[f"judgement_{s.id}"] = "met"
        data[f"evidence_{s.id}"] = evidence
    return data


def test_children_home_framework_has_nine_standards(ctx):
    home = factories.setting(factories.organisation("provider"))
    assert len(visits.standards_for(home)) == 9
    foster = factories.setting(factories.organisation("provider"), kind="independent_fostering", urn="1234567")
    assert all(s.framework == "fostering" for s in visits.standards_for(foster))


def test_plan_record_complete_and_issue_through_the_pages(app, world):
    with app.app_context():
        home = world["home"]
        urn, name, home_id, data = home.urn, home.name, home.id, _record_data(home)
    client = _client(app, world, "officer")
    found = client.get(f"/quality/visits/new?q={urn}").get_data(as_text=True)
    assert name in found
    response = submit(client, f"/quality/settings/{home_id}/visits/new",
                      {"kind": "planned", "planned_for": ["2", "3", "2026"]})
    assert response.status_code == 302
    with app.app_context():
        visit_id = db.session.scalar(select(MonitoringVisit.id))
    response = submit(client, f"/quality/visits/{visit_id}/record", data)
    assert response.status_code == 302
    response = submit(client, f"/quality/visits/{visit_id}/actions/new",
                      {"description": "Fix the fire door", "owner": "provider", "priority": "high",
                       "due_on": ["1", "6", "2026"]})
    assert response.status_code == 302
    page = client.get(f"/quality/visits/{visit_id}").get_data(as_text=True)
    assert "Fix the fire door" in page and "Issue the report" in page
    response = client.post(f"/quality/visits/{visit_id}/issue", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.get(MonitoringVisit, visit_id)
        assert visit.status == "report_issued" and visit.overall_judgement == "good"
        inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "visit_report_issued")).all()
        assert [m.user_id for m in inbox] == [world["admin"].id]
        assert f"/quality/visits/{visit_id}/report" in inbox[0].link
        assert db.session.scalar(select(EmailMessage).where(EmailMessage.kind == "visit_report_issued"))
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "monitoring_visit", AuditEvent.object_id == str(visit_id))
            .order_by(AuditEvent.id))]
        assert actions == ["visit.planned", "visit.recorded", "visit.completed", "visit.report_issued"]
    provider = _client(app, world, "admin")
    report = provider.get(f"/quality/visits/{visit_id}/report")
    assert report.status_code == 200 and "Fix the fire door" in report.get_data(as_text=True)
    pdf = provider.get(f"/quality/visits/{visit_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"


def test_provider_cannot_see_a_report_before_it_is_issued(app, world):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"], status="completed")
        db.commit()
        visit_id = visit.id
    provider = _client(app, world, "admin")
    assert provider.get(f"/quality/visits/{visit_id}/report").status_code == 404
    assert provider.get(f"/quality/visits/{visit_id}/report.pdf").status_code == 404


def test_completing_needs_every_standard_with_evidence(app, world):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"])
        db.commit()
        visit_id, data = visit.id, _record_data(world["home"], evidence="")
    client = _client(app, world, "officer")
    response = submit(client, f"/quality/visits/{visit_id}/record", data)
    assert response.status_code == 400
    assert "Enter the evidence for the quality and purpose of care standard" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MonitoringVisit, visit_id).status == "planned"
        assert not db.session.get(MonitoringVisit, visit_id).judgements


def test_draft_saves_partial_judgements(app, world):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"])
        db.commit()
        visit_id = visit.id
        first = visits.standards_for(world["home"])[0].id
    client = _client(app, world, "officer")
    response = submit(client, f"/quality/visits/{visit_id}/record",
                      {f"judgement_{first}": "partly_met", f"evidence_{first}": "Half", "save": "Save as draft"})
    assert response.status_code == 302
    with app.app_context():
        visit = db.session.get(MonitoringVisit, visit_id)
        assert visit.status == "planned" and [j.judgement for j in visit.judgements] == ["partly_met"]


def test_triggered_visit_needs_a_reason(app, world):
    client = _client(app, world, "officer")
    response = submit(client, f"/quality/settings/{world.id('home')}/visits/new",
                      {"kind": "triggered", "planned_for": ["2", "3", "2026"]})
    assert response.status_code == 400 and "Enter the concern that triggered the visit" in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MonitoringVisit.id)) is None


@pytest.mark.parametrize("data", [
    {"kind": "weekly", "planned_for": ["2", "3", "2026"]},
    {"kind": "planned", "planned_for": ["31", "2", "2026"]},
    {"kind": "planned"},
])
def test_bad_plan_input_is_a_400_and_writes_nothing(app, world, data):
    client = _client(app, world, "officer")
    response = submit(client, f"/quality/settings/{world.id('home')}/visits/new", data)
    assert response.status_code == 400 and "govuk-error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MonitoringVisit.id)) is None


ILLEGAL = [(a, b) for a in STATUS_LABELS for b in STATUS_LABELS if b not in ALLOWED[a]]


@pytest.mark.parametrize("current,target", ILLEGAL)
def test_illegal_visit_transitions_are_refused(app, world, current, target):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"], status=current)
        db.commit()
        officer = world["officer"]
        with pytest.raises(VisitError):
            visits.transition(visit, target, officer, reason="Because")
        db.session.rollback()
        assert db.session.get(MonitoringVisit, visit.id).status == current


def test_only_the_visiting_councils_officer_may_transition(app, world):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"], status="completed")
        stranger = factories.user("qa_officer")
        with pytest.raises(VisitError, match="You cannot issue the report for this visit"):
            visits.transition(visit, "report_issued", stranger)


def test_cancel_needs_a_reason_and_is_audited(app, world):
    with app.app_context():
        visit = factories.monitoring_visit(world["home"], world["council"])
        db.commit()
        visit_id = visit.id
    client = _client(app, world, "officer")
    assert submit(client, f"/quality/visits/{visit_id}/cancel", {"reason": ""}).status_code == 400
    assert submit(client, f"/quality/visits/{visit_id}/cancel", {"reason": "Home closed"}).status_code == 302
    with app.app_context():
        assert db.session.get(MonitoringVisit, visit_id).status == "cancelled"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "visit.cancelled"))
        assert event.after["reason"] == "Home closed"


def test_standards_lists_can_be_edited_but_not_childrens_homes(app, world):
    client = _client(app, world, "officer")
    assert submit(client, "/quality/standards/fostering/new", {"title": "Matching"}).status_code == 302
    assert submit(client, "/quality/standards/fostering/new", {"title": "matching"}).status_code == 400
    assert client.get("/quality/standards/childrens_home/new").status_code == 404
    with app.app_context():
        row = db.session.scalar(select(QualityStandard).where(QualityStandard.title == "Matching"))
        fixed = db.session.scalar(select(QualityStandard).where(QualityStandard.framework == "childrens_home"))
        row_id, fixed_id = row.id, fixed.id
    assert submit(client, f"/quality/standards/{row_id}/edit", {"title": "Matching and moves"}).status_code == 302
    assert client.get(f"/quality/standards/{fixed_id}/edit").status_code == 404
    page = client.get("/quality/standards").get_data(as_text=True)
    assert client.post(f"/quality/standards/{row_id}/toggle", data={"csrf_token": csrf_from(page)}).status_code == 302
    with app.app_context():
        row = db.session.get(QualityStandard, row_id)
        assert row.title == "Matching and moves" and row.active is False
        home = factories.setting(factories.organisation("provider"), kind="independent_fostering", urn="7654321")
        assert row_id not in [s.id for s in visits.standards_for(home)]
        with pytest.raises(standards.StandardError):
            standards.rename(world["officer"],
                             db.session.get(QualityStandard, fixed_id), "New")


def test_provider_history_page(app, world):
    with app.app_context():
        factories.monitoring_visit(world["home"], world["council"], status="report_issued", overall="outstanding",
                                   visited_on=date(2026, 1, 5))
        factories.monitoring_visit(world["home"], world["council"], status="completed", overall="inadequate")
        factories.qa_action(world["home"], world["council"], due_on=date(2020, 1, 1))
        db.commit()
    provider = _client(app, world, "admin")
    page = provider.get("/quality/history", follow_redirects=True).get_data(as_text=True)
    assert "Outstanding" in page and "Inadequate" not in page  # provider: issued reports only
    assert "actions overdue" in page
    officer = _client(app, world, "officer")
    page = officer.get(f"/quality/providers/{world.id('provider')}/history").get_data(as_text=True)
    assert "Inadequate" in page and "Outstanding" in page


def test_seed_visits_is_deterministic_and_idempotent(app):
    from portal.core.auth import create_user
    from portal.seed import COUNCILS, seed_market
    from quality.models import QaAction
    from quality.seed_visits import seed_visits

    with app.app_context():
        seed_market()
        council = db.session.scalar(select(Organisation).where(Organisation.name == COUNCILS[0]))
        oakfield = db.session.scalar(select(Organisation).where(Organisation.name == "Oakfield Care"))
        create_user(council, "qa@lewisham.example", "Fatima Begum", ["qa_officer"], password=factories.PASSWORD)
        create_user(oakfield, "provider.admin@oakfield-care.example", "Priya Shah", ["provider_admin"],
                    password=factories.PASSWORD)
        db.commit()
        seed_visits()
        db.commit()
        rows = db.session.scalars(select(MonitoringVisit)).all()
        assert {v.overall_judgement for v in rows if v.overall_judgement} == {
            "outstanding", "good", "requires_improvement", "inadequate"}
        assert {v.status for v in rows} == {"planned", "completed", "report_issued"}
        assert any(v.kind == "triggered" for v in rows)
        assert any(v.status == "report_issued" and v.provider_id == oakfield.id for v in rows)
        assert {a.status for a in db.session.scalars(select(QaAction))} == {
            "open", "overdue", "provider_responded", "closed"}
        assert schedule.overdue_visits()
        count = len(rows)
        seed_visits()
        db.commit()
        assert len(db.session.scalars(select(MonitoringVisit)).all()) == count


def test_pdf_survives_text_outside_latin_1(ctx):
    from quality import report

    visit = factories.monitoring_visit(status="completed", summary="Children’s “voice” – strong 😀 ✓")
    factories.qa_action(visit=visit, description="Review the ‘missing’ protocol — soon")
    data = report.pdf_bytes(report.build(visit))
    assert data.startswith(b"%PDF") and len(data) > 1000


def test_feedback_trend_is_suppressed_below_five_responses(app, world):
    from datetime import datetime, timezone

    from quality.history_views import feedback_trend

    with app.app_context():
        placement = factories.placement(setting_obj=world["home"])
        for n in range(5):
            factories.feedback_response(placement, scores=4 if n else 2,
                                        submitted_at=datetime(2026, 2, 1 + n, tzinfo=timezone.utc))
        for n in range(4):
            factories.feedback_response(placement, scores=5, submitted_at=datetime(2026, 4, 1 + n, tzinfo=timezone.utc))
        db.commit()
        trend = feedback_trend(world.id("provider"))
    assert trend == [{"quarter": "2026 Q1", "responses": 5, "average": 3.6},
                     {"quarter": "2026 Q2", "responses": None, "average": None}]
    page = _client(app, world, "admin").get(f"/quality/providers/{world.id('provider')}/history").get_data(
        as_text=True)
    assert "3.6" in page and "Fewer than 5" in page
