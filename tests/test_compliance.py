"""The compliance engine: each rule passing and failing, grace boundaries, worst-of, history, audit,
notifications, lifting a suspension, the portal change signal and `flask compliance evaluate`."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.models import AuditEvent, InboxMessage
from portal.models import INSURANCE_KINDS, Document
from quality import compliance
from quality import compliance_rules as rules
from quality.compliance import ComplianceError
from quality.models import ComplianceChange, MonthlyReturn
from quality.returns import recent_months
from tests import factories

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TODAY = NOW.date()
LONG_AGO = datetime(2026, 1, 1, tzinfo=timezone.utc)


def add_returns(setting, months):
    for month in months:
        db.session.add(MonthlyReturn(setting_id=setting.id, provider_id=setting.provider_id, month=month, incidents=0,
                                     missing_episodes=0, education_attendance_percent=95, unplanned_endings=0,
                                     staff_vacancies=0))
    db.session.flush()


@pytest.fixture
def world(ctx):
    """A compliant provider admitted to a council's DPS, with one home; its admin, QA officer, DPS manager."""
    with freeze_time(NOW):
        council = factories.organisation("council")
        dps = factories.dps(council)
        provider = factories.organisation("provider")
        application = factories.admitted(provider, dps)
        for kind in INSURANCE_KINDS:
            factories.document(provider, kind, expires_on=date(2027, 6, 1))
        home = factories.setting(provider, created_at=LONG_AGO)
        factories.vacancy(home)
        add_returns(home, recent_months(TODAY))
        admin = factories.user("provider_admin", org=provider)
        qa = factories.user("qa_officer", org=council)
        manager = factories.user("dps_manager", org=council)
    return SimpleNamespace(council=council, dps=dps, provider=provider, application=application, home=home,
                           admin=admin, qa=qa, manager=manager)


def ctx_at(now=NOW, **since):
    return rules.Context(now=now, today=now.date(), failing_since={k: v.isoformat() for k, v in since.items()})


# --- each rule: a passing and a failing case ---------------------------------------------------------

def test_ofsted_rule(world):
    assert rules.ofsted(world.home, ctx_at()) is None
    world.home.overall_effectiveness = "Inadequate"
    assert rules.ofsted(world.home, ctx_at()).status == "suspended"
    world.home.overall_effectiveness, world.home.registration_status = "Good", "cancelled"
    result = rules.ofsted(world.home, ctx_at())
    assert (result.status, result.reason) == ("suspended", "Ofsted registration is cancelled")


def test_held_setting_suspension_rule(world):
    assert rules.held_setting_suspension(world.home, ctx_at()) is None
    world.home.suspended, world.home.suspended_reason = True, rules.COMPLIANCE_PREFIX + "Rated Inadequate"
    assert rules.held_setting_suspension(world.home, ctx_at()) is None  # the engine's own: not "held"
    world.home.suspended_reason = "Rated Inadequate by Ofsted"
    assert rules.held_setting_suspension(world.home, ctx_at()).status == "suspended"


@pytest.mark.parametrize("fields,failing", [
    ({"priority": "high", "due_on": TODAY}, False),  # due today: not yet overdue
    ({"priority": "medium", "due_on": TODAY - timedelta(days=3)}, False),
    ({"priority": "high", "due_on": TODAY - timedelta(days=3), "status": "closed"}, False),
    ({"priority": "high", "due_on": TODAY - timedelta(days=1)}, True),
    ({"priority": "high", "due_on": TODAY - timedelta(days=1), "status": "provider_responded"}, True),
    ({"priority": "high", "due_on": TODAY + timedelta(days=5), "status": "overdue"}, True),
])
def test_high_priority_action_overdue_rules(world, fields, failing):
    factories.qa_action(world.home, world.council, **fields)
    for rule, subject in ((rules.setting_action_overdue, world.home), (rules.provider_action_overdue, world.provider)):
        result = rule(subject, ctx_at())
        assert (result is not None) == failing
        if failing:
            assert result.status == "at_risk"


def test_return_overdue_rule(world):
    db.session.execute(MonthlyReturn.__table__.delete().where(MonthlyReturn.month == date(2026, 10, 1)))
    on_due_date = datetime(2026, 11, 10, 23, 0, tzinfo=timezone.utc)  # 10 Nov in the UK (GMT)
    assert rules.return_overdue(world.home, ctx_at(on_due_date)) is None
    result = rules.return_overdue(world.home, ctx_at(on_due_date + timedelta(hours=1)))
    assert (result.status, result.reason) == ("at_risk", "Monthly return overdue for October 2026")


def test_return_not_required_before_the_home_existed(world):
    world.home.created_at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    db.session.execute(MonthlyReturn.__table__.delete())
    assert rules.return_overdue(world.home, ctx_at()) is None


def test_vacancy_unconfirmed_rule(world):
    confirmed = world.home.vacancy.confirmed_at
    assert rules.vacancy_unconfirmed(world.home, ctx_at(confirmed + timedelta(days=29, hours=23))) is None
    assert rules.vacancy_unconfirmed(world.home, ctx_at(confirmed + timedelta(days=30))).status == "warning"
    world.home.status = "closed"
    assert rules.vacancy_unconfirmed(world.home, ctx_at(confirmed + timedelta(days=60))) is None


@pytest.mark.parametrize("change,expected", [
    (None, None),
    ({"expires_on": TODAY}, None),  # expires today: still current
    ({"expires_on": TODAY - timedelta(days=1)}, "non_compliant"),
    ({"status": "superseded"}, "non_compliant"),
    ({"status": "deleted"}, "non_compliant"),
])
def test_insurance_rule(world, change, expected):
    if change:
        doc = db.session.scalar(select(Document).where(Document.organisation_id == world.provider.id,
                                                       Document.kind == "employers_liability"))
        for key, value in change.items():
            setattr(doc, key, value)
        db.session.flush()
    result = rules.insurance(world.provider, ctx_at())
    assert (result.status if result else None) == expected
    if result:
        assert "Employer's liability insurance" in result.reason


def test_held_admission_suspension_rule(world):
    assert rules.held_admission_suspension(world.provider, ctx_at()) is None
    world.application.status, world.application.decision_reason = "suspended", "Late accounts"
    result = rules.held_admission_suspension(world.provider, ctx_at())
    assert result.status == "suspended" and "Late accounts" in result.reason


# --- grace period, worst-of, history --------------------------------------------------------------

def _expire_insurance(world, when):
    doc = db.session.scalar(select(Document).where(Document.organisation_id == world.provider.id,
                                                   Document.kind == "public_liability"))
    doc.expires_on = when.date() - timedelta(days=1)
    db.session.flush()


@pytest.mark.parametrize("after,status,application", [
    (timedelta(days=13, hours=23), "non_compliant", "admitted"),
    (timedelta(days=14), "suspended", "suspended"),
])
def test_insurance_grace_period_boundary(world, after, status, application):
    _expire_insurance(world, NOW)
    with freeze_time(NOW):
        compliance.evaluate_provider(world.provider)
    assert compliance.status_for("provider", world.provider.id).status == "non_compliant"
    with freeze_time(NOW + after):
        compliance.evaluate_provider(world.provider)
    row = compliance.status_for("provider", world.provider.id)
    assert row.status == status
    assert row.failing_since["insurance"] == NOW.isoformat()
    assert world.application.status == application
    if application == "suspended":
        assert world.application.decision_reason.startswith(rules.COMPLIANCE_PREFIX)
        trail = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.suspended")).all()
        assert len(trail) == 1 and trail[0].organisation_id == world.council.id


def test_failing_since_resets_when_the_rule_passes(world):
    _expire_insurance(world, NOW)
    with freeze_time(NOW):
        compliance.evaluate_provider(world.provider)
    factories.document(world.provider, "public_liability", expires_on=date(2027, 6, 1))
    db.session.execute(Document.__table__.update().where(Document.expires_on < TODAY).values(status="superseded"))
    with freeze_time(NOW + timedelta(days=1)):
        compliance.evaluate_provider(world.provider)
    row = compliance.status_for("provider", world.provider.id)
    assert (row.status, row.failing_since, row.reasons) == ("compliant", {}, [])


def test_status_is_the_worst_result(world):
    assert compliance.worst([]) == "compliant"
    assert compliance.worst([rules.Result("a", "warning", ""), rules.Result("b", "non_compliant", ""),
                             rules.Result("c", "at_risk", "")]) == "non_compliant"
    world.home.vacancy.confirmed_at = NOW - timedelta(days=31)
    db.session.execute(MonthlyReturn.__table__.delete().where(MonthlyReturn.month == date(2026, 10, 1)))
    with freeze_time(NOW):
        change = compliance.evaluate_setting(world.home)
    assert change.to_status == "at_risk"
    assert [r["rule"] for r in change.reasons] == ["return_overdue", "vacancy_unconfirmed"]


def test_a_change_is_recorded_audited_and_notified_once(world):
    factories.qa_action(world.home, world.council, priority="high", due_on=TODAY - timedelta(days=2))
    with freeze_time(NOW):
        change = compliance.evaluate_setting(world.home)
        again = compliance.evaluate_setting(world.home)
    assert again is None
    assert (change.from_status, change.to_status) == (None, "at_risk")
    history = db.session.scalars(select(ComplianceChange)).all()
    assert [(c.subject_type, c.to_status) for c in history] == [("setting", "at_risk")]
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "compliance.changed")).all()
    assert len(audit) == 1 and audit[0].after["status"] == "at_risk"
    inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "compliance_changed")).all()
    assert sorted(m.user_id for m in inbox) == sorted([world.admin.id, world.qa.id])
    assert all(f":compliance_change:{change.id}" in m.key for m in inbox)
    assert world.manager.id not in {m.user_id for m in inbox}


def test_engine_suspension_of_a_setting_is_lifted_automatically(world):
    world.home.registration_status = "suspended"
    with freeze_time(NOW):
        compliance.evaluate_setting(world.home)
    assert world.home.suspended and world.home.suspended_reason.startswith(rules.COMPLIANCE_PREFIX)
    world.home.registration_status = "active"
    with freeze_time(NOW + timedelta(days=1)):
        change = compliance.evaluate_setting(world.home)
    assert (world.home.suspended, world.home.suspended_reason) == (False, None)
    assert (change.from_status, change.to_status) == ("suspended", "compliant")


def test_ofsted_import_suspension_is_held_until_a_manager_lifts_it(world):
    world.home.suspended, world.home.suspended_reason = True, "Rated Inadequate by Ofsted on 1 May 2026"
    with freeze_time(NOW):
        compliance.evaluate_setting(world.home)  # rating now Good: the rule passes, the suspension stands
    row = compliance.status_for("setting", world.home.id)
    assert world.home.suspended and row.status == "suspended"
    assert row.reasons[0]["reason"] == "Suspended from new referrals: Rated Inadequate by Ofsted on 1 May 2026"


# --- lifting a suspension -------------------------------------------------------------------------

def _suspend_home(world):
    world.home.overall_effectiveness = "Inadequate"
    with freeze_time(NOW):
        compliance.evaluate_setting(world.home)
    row = compliance.status_for("setting", world.home.id)
    assert row.status == "suspended" and world.home.suspended
    return row


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_lift_requires_a_reason(world, reason):
    row = _suspend_home(world)
    with pytest.raises(ComplianceError, match="Enter the reason"):
        compliance.lift(row, world.manager, reason)
    assert world.home.suspended and row.lifted_at is None


def test_only_a_manager_of_the_providers_dps_may_lift(world):
    row = _suspend_home(world)
    with pytest.raises(ComplianceError, match="cannot lift"):
        compliance.lift(row, factories.user("dps_manager"), "Seen the action plan")
    with pytest.raises(ComplianceError, match="cannot lift"):
        compliance.lift(row, world.qa, "Seen the action plan")


def test_lift_reinstates_and_the_same_failure_does_not_resuspend(world):
    row = _suspend_home(world)
    with freeze_time(NOW + timedelta(hours=1)):
        compliance.lift(row, world.manager, "Action plan agreed with Ofsted")
    assert not world.home.suspended
    assert (row.lifted_reason, row.lifted_by_id, row.status) == ("Action plan agreed with Ofsted",
                                                                  world.manager.id, "non_compliant")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "compliance.lifted")).actor_id == \
        world.manager.id
    with freeze_time(NOW + timedelta(days=2)):
        compliance.evaluate_setting(world.home)
    assert not world.home.suspended and row.status == "non_compliant"
    # the rule passes, then fails afresh: a new failing_since, so it suspends again
    world.home.overall_effectiveness = "Good"
    with freeze_time(NOW + timedelta(days=3)):
        compliance.evaluate_setting(world.home)
    world.home.overall_effectiveness = "Inadequate"
    with freeze_time(NOW + timedelta(days=4)):
        compliance.evaluate_setting(world.home)
    assert world.home.suspended and row.status == "suspended"


def test_lifting_a_provider_reinstates_its_admission(world):
    _expire_insurance(world, NOW)
    with freeze_time(NOW):
        compliance.evaluate_provider(world.provider)
    with freeze_time(NOW + timedelta(days=15)):
        compliance.evaluate_provider(world.provider)
        row = compliance.status_for("provider", world.provider.id)
        assert row.status == "suspended" and world.application.status == "suspended"
        compliance.lift(row, world.manager, "New certificate seen by email; upload to follow")
        compliance.evaluate_provider(world.provider)
    assert world.application.status == "admitted" and row.status == "non_compliant"
    with freeze_time(NOW + timedelta(days=20)):
        compliance.evaluate_provider(world.provider)
    assert world.application.status == "admitted"


def test_lift_page_needs_a_reason_and_then_lifts(app, client):
    from tests.conftest import sign_in, submit

    with app.app_context(), freeze_time(NOW):
        council = factories.organisation("council")
        dps = factories.dps(council)
        provider = factories.organisation("provider")
        factories.admitted(provider, dps)
        home = factories.setting(provider, overall_effectiveness="Inadequate")
        compliance.evaluate_setting(home)
        manager = factories.user("dps_manager", org=council)
        db.commit()
        row_id, home_id, email = compliance.status_for("setting", home.id).id, home.id, manager.email
    sign_in(client, email, factories.PASSWORD)
    url = f"/compliance/status/{row_id}/lift"
    bad = submit(client, url, {"reason": " "})
    assert bad.status_code == 400 and "Enter the reason for lifting the suspension" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(factories.Setting, home_id).suspended
    good = submit(client, url, {"reason": "Visited; improvement plan in place"})
    assert good.status_code == 302
    with app.app_context():
        assert not db.session.get(factories.Setting, home_id).suspended
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "Visited; improvement plan in place" in page


# --- triggers and the CLI ------------------------------------------------------------------------

def test_portal_changes_trigger_evaluation(world):
    from portal import documents, services

    doc = db.session.scalar(select(Document).where(Document.organisation_id == world.provider.id,
                                                   Document.kind == "professional_indemnity"))
    documents.remove_document(world.admin, doc)
    assert compliance.status_for("provider", world.provider.id).status == "non_compliant"
    world.home.vacancy.confirmed_at = NOW - timedelta(days=40)
    db.session.flush()
    with freeze_time(NOW):
        compliance.evaluate_setting(world.home)
        assert compliance.status_for("setting", world.home.id).status == "warning"
        services.confirm_vacancy(world.admin, world.home, world.home.vacancy.version)
    assert compliance.status_for("setting", world.home.id).status == "compliant"


def test_ofsted_import_feeds_compliance(world):
    from portal import ofsted
    from portal.ofsted_csv import OfstedRow

    row = OfstedRow(row_number=2, urn=world.home.urn, provision_type=None, name=None, registration_status="cancelled",
                    places=None, owner=None, local_authority=None, inspection_date=None, overall_effectiveness=None)
    ofsted.apply_rows([row], ofsted.empty_report(), import_id="t")
    assert world.home.suspended
    assert compliance.status_for("setting", world.home.id).status == "suspended"


def test_cli_prints_one_json_line_per_change(app):
    with app.app_context(), freeze_time(NOW):
        provider = factories.organisation("provider")
        home = factories.setting(provider, overall_effectiveness="Inadequate")
        db.commit()
        provider_id, home_id = provider.id, home.id
    with freeze_time(NOW):
        result = app.test_cli_runner().invoke(args=["compliance", "evaluate"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {"subject_type": "provider", "subject_id": provider_id, "provider_id": provider_id, "from": None,
            "to": "non_compliant",
            "reasons": ["Public liability insurance missing; Employer's liability insurance missing; "
                        "Professional indemnity insurance missing. Suspended from new referrals on "
                        "4 December 2026 unless put right"]} in lines
    setting_line = next(line for line in lines if line["subject_type"] == "setting")
    assert (setting_line["subject_id"], setting_line["to"]) == (home_id, "suspended")
    assert set(setting_line) == {"subject_type", "subject_id", "provider_id", "from", "to", "reasons"}
    with freeze_time(NOW):
        assert app.test_cli_runner().invoke(args=["compliance", "evaluate"]).output == ""

