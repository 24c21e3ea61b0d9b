"""Issue #5 (quality assurance): rules that are built but had no test of their own.

- compliance runs by itself when an action falls overdue (the hourly job) and when it is closed;
- a fresh insurance upload ends non-compliance at once (document upload trigger);
- the nightly compliance job catches what only the calendar changes (insurance expiry, grace ending,
  returns falling overdue, vacancies going unconfirmed), and is registered with the scheduler;
- a compliance change is emailed as well as put in the inbox;
- the supported accommodation framework has its four standards and is editable;
- carer and social worker forms are worded for them;
- a rejected comment is never shown in the forum;
- the QA officer's overdue-actions list and the calendar-style upcoming list (grouped by month);
- a provider's quality history shows each home's Ofsted rating and next visit due;
- the demo seed's feedback leaves some forum groups below 5 (suppressed) and comments to moderate.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import EmailMessage, InboxMessage
from portal.models import Document, DpsApplication
from quality import compliance, feedback, forums, schedule, standards, visits
from quality.models import ComplianceChange, FeedbackResponse
from quality.themes import CARER, CHILD, PROFESSIONAL, THEMES
from tests import factories
from tests.conftest import sign_in
from tests.test_compliance import LONG_AGO, NOW, TODAY, world  # noqa: F401 - world is a fixture


def _compliant(world):
    """tests/test_compliance.py's provider and home, evaluated once: both compliant to begin with."""
    with freeze_time(NOW):
        compliance.evaluate_provider_and_settings(world.provider.id)
    assert compliance.status_for("provider", world.provider.id).status == "compliant"
    assert compliance.status_for("setting", world.home.id).status == "compliant"


def _status(subject_type, subject_id):
    return compliance.status_for(subject_type, subject_id).status


# --- triggers: "run on every relevant change" ---------------------------------------------------------

def test_an_action_falling_overdue_puts_home_and_provider_at_risk_at_once_and_closing_it_clears_it(world):
    _compliant(world)
    from quality import actions
    from quality.jobs_visits import mark_actions_overdue

    action = factories.qa_action(world.home, world.council, priority="high", due_on=TODAY - timedelta(days=1),
                                 description="Replace the broken fire door", created_by_id=world.qa.id)
    # Nothing has re-evaluated yet: the hourly job marking it overdue must do so by itself.
    with freeze_time(NOW):
        assert mark_actions_overdue() == 1
    assert _status("setting", world.home.id) == "at_risk"
    assert _status("provider", world.provider.id) == "at_risk"
    reason = compliance.status_for("setting", world.home.id).reasons[0]["reason"]
    assert reason.startswith("High-priority action overdue since 19 November 2026: Replace the broken fire door")

    # The change reaches the provider and the QA officer by email as well as in the inbox.
    emails = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "compliance_changed")).all()
    assert {world.admin.email, world.qa.email} <= {e.to_address for e in emails}
    inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "compliance_changed")).all()
    assert {world.admin.id, world.qa.id} <= {m.user_id for m in inbox}

    # The officer closes the action: the "at risk" status ends without anyone re-running the rules.
    action = db.session.get(type(action), action.id)
    with freeze_time(NOW + timedelta(hours=1)):
        actions.transition(action, "closed", world.qa, reason="Fire door replaced; certificate seen",
                           today=TODAY)
    assert _status("setting", world.home.id) == "compliant"
    assert _status("provider", world.provider.id) == "compliant"


def test_uploading_a_current_insurance_certificate_ends_non_compliance_at_once(world):
    _compliant(world)
    from portal import documents

    doc = db.session.scalar(select(Document).where(Document.organisation_id == world.provider.id,
                                                   Document.kind == "employers_liability"))
    doc.expires_on = TODAY - timedelta(days=3)
    db.session.flush()
    with freeze_time(NOW):
        compliance.evaluate_provider(world.provider)
    row = compliance.status_for("provider", world.provider.id)
    assert row.status == "non_compliant" and "Employer's liability insurance expired" in row.reasons[0]["reason"]
    with freeze_time(NOW):
        documents.upload_document(world.admin, documents.UploadInput(
            kind="employers_liability", data=factories.PDF_BYTES, filename="EL certificate.pdf",
            cover_pence=1_000_000_000, expires_on=date(2027, 11, 1)), today=TODAY)
    row = compliance.status_for("provider", world.provider.id)
    assert (row.status, row.reasons) == ("compliant", [])


# --- the nightly run ------------------------------------------------------------------------------

def test_the_nightly_job_is_scheduled_daily_and_catches_what_only_the_calendar_changes(world):
    _compliant(world)
    from portal.core.jobs import PERIODIC
    from quality.jobs_compliance import evaluate_compliance_nightly

    assert (evaluate_compliance_nightly, timedelta(hours=24)) in PERIODIC.values()

    doc = db.session.scalar(select(Document).where(Document.organisation_id == world.provider.id,
                                                   Document.kind == "public_liability"))
    doc.expires_on = date(2026, 11, 21)  # valid through Saturday 21 November
    db.session.commit()
    with freeze_time(NOW):
        assert evaluate_compliance_nightly() == 0  # nothing has changed yet

    # Two days on the insurance has expired: nobody touched anything, the nightly run notices.
    with freeze_time(NOW + timedelta(days=2)):
        assert evaluate_compliance_nightly() >= 1
    row = compliance.status_for("provider", world.provider.id)
    assert row.status == "non_compliant"
    assert "Public liability insurance expired on 21 November 2026" in row.reasons[0]["reason"]
    assert db.session.get(DpsApplication, world.application.id).status == "admitted"  # within its grace

    # A month later: the grace is over (suspended from new referrals), November's return is overdue and
    # the vacancy has gone unconfirmed for more than 30 days.
    with freeze_time(NOW + timedelta(days=31)):
        evaluate_compliance_nightly()
    assert _status("provider", world.provider.id) == "suspended"
    assert db.session.get(DpsApplication, world.application.id).status == "suspended"
    home = compliance.status_for("setting", world.home.id)
    assert home.status == "at_risk"
    assert {r["rule"] for r in home.reasons} == {"return_overdue", "vacancy_unconfirmed"}
    assert any(r["reason"] == "Monthly return overdue for November 2026" for r in home.reasons)
    history = [(c.subject_type, c.from_status, c.to_status) for c in db.session.scalars(
        select(ComplianceChange).where(ComplianceChange.provider_id == world.provider.id)
        .order_by(ComplianceChange.changed_at, ComplianceChange.id))]
    assert ("provider", "compliant", "non_compliant") in history
    assert ("provider", "non_compliant", "suspended") in history
    assert ("setting", "compliant", "at_risk") in history


# --- the QA framework -----------------------------------------------------------------------------

SUPPORTED = ["The leadership and management standard", "The protection standard", "The accommodation standard",
             "The support standard"]


def test_supported_accommodation_has_its_four_standards_and_they_can_be_extended(ctx):
    factories.quality_standards()
    home = factories.setting(factories.organisation("provider"), kind="supported_accommodation")
    assert [s.title for s in visits.standards_for(home)] == SUPPORTED
    officer = factories.user("qa_officer")
    standards.add(officer, "supported_accommodation", "Move-on planning")
    assert [s.title for s in visits.standards_for(home)] == SUPPORTED + ["Move-on planning"]
    with pytest.raises(standards.StandardError):
        standards.add(officer, "childrens_home", "A tenth standard")


# --- feedback forms and moderation ------------------------------------------------------------------

@pytest.mark.parametrize("respondent_type,wording", [("carer", CARER), ("social_worker", PROFESSIONAL)])
def test_carer_and_social_worker_forms_are_worded_for_them(app, client, respondent_type, wording):
    with app.test_request_context():
        council = factories.organisation("council")
        qa = factories.user("qa_officer", org=council)
        _, token = feedback.send_request(qa, factories.placement(council), respondent_type, "adult@example.org")
        db.commit()
    html = client.get(f"/feedback/{token}").get_data(as_text=True).replace("&#39;", "'")
    assert all(statement in html for statement in wording.values())
    assert CHILD["feels_like_home"] not in html and "Strongly agree" in html


def test_a_rejected_comment_is_never_shown_in_the_forum(app):
    with app.test_request_context():
        council = factories.organisation("council")
        qa = factories.user("qa_officer", org=council)
        placement = factories.placement(council)
        for _ in range(3):
            factories.feedback_response(placement)
        kind_words = factories.feedback_response(placement, comment="Staff always listen to me.")
        rude = factories.feedback_response(placement, comment="Nasty words about a named carer.")
        feedback.moderate(qa, kind_words, "approved")
        feedback.moderate(qa, rude, "rejected")
        db.commit()
        group = forums.market(forums.Filters(kind="childrens_home"))[0]
        assert group.responses.shown and group.responses.n == 5
        assert group.comments == ["Staff always listen to me."]


# --- QA officer's lists ---------------------------------------------------------------------------

def test_overdue_actions_list_and_calendar_style_upcoming_visits(app, client):
    today = visits.uk_today()
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("qa_officer", org=council)
        provider = factories.organisation("provider")
        soon = factories.setting(provider, name="Soon House", overall_effectiveness="Good")
        later = factories.setting(provider, name="Later Lodge", overall_effectiveness="Outstanding")
        factories.monitoring_visit(soon, council, status="completed", visited_on=schedule.add_months(today, -11))
        factories.monitoring_visit(later, council, status="completed", visited_on=schedule.add_months(today, -14))
        other = factories.setting(provider, name="Third Place")  # the actions' home (they move its visit forward)
        factories.qa_action(other, council, priority="high", due_on=today - timedelta(days=2),
                            description="Late: update the risk assessment")
        factories.qa_action(other, council, priority="low", due_on=today + timedelta(days=20),
                            description="Not yet due: repaint the lounge")
        db.commit()
        email = officer.email
    soon_month = schedule.add_months(today, 1).strftime("%B %Y")
    later_month = schedule.add_months(today, 4).strftime("%B %Y")
    sign_in(client, email, factories.PASSWORD)

    overdue = client.get("/quality/actions?status=overdue").get_data(as_text=True)
    assert "Late: update the risk assessment" in overdue and "Not yet due" not in overdue

    page = client.get("/quality/visits/upcoming").get_data(as_text=True)
    first, second = page.index(f">{soon_month}</h2>"), page.index(f">{later_month}</h2>")
    assert first < page.index("Soon House") < second < page.index("Later Lodge")


def test_provider_quality_history_shows_each_homes_rating_and_next_visit(app):
    with app.app_context():
        provider = factories.organisation("provider")
        admin = factories.user("provider_admin", org=provider)
        home = factories.setting(provider, name="Rowan House", overall_effectiveness="Requires improvement to be good",
                                 created_at=LONG_AGO)
        due_on = schedule.next_visit_due(home)
        factories.setting(provider, name="New Build House", overall_effectiveness=None)
        db.commit()
        email = admin.email
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    html = client.get("/quality/history", follow_redirects=True).get_data(as_text=True)
    assert "Requires improvement to be good" in html and "Not yet inspected" in html
    assert f"{due_on.day} {due_on:%B %Y}" in html
    assert html.count("Overdue</strong>") >= 1  # never visited since January 2026, 3-monthly: overdue


# --- the demo seed ------------------------------------------------------------------------------------

def test_demo_seed_feedback_shows_suppression_and_comments_to_moderate(app):
    from portal.seed import seed_market
    from quality.seed_feedback import seed_feedback

    assert seed_feedback in app.extensions["homefinder.seed_hooks"]  # so `flask demo seed` runs it
    with app.app_context():
        seed_market()
        seed_feedback()
        db.commit()
        count = db.session.scalar(select(func.count()).select_from(FeedbackResponse))
        groups = forums.market(forums.Filters())
        shown = [g for g in groups if g.responses.shown]
        suppressed = [g for g in groups if not g.responses.shown and g.responses.n > 0]
        assert shown and suppressed, [(g.kind, g.responses.n) for g in groups]
        assert all(g.comments == [] for g in suppressed)
        assert any(g.comments for g in shown)
        pending = db.session.scalars(select(FeedbackResponse).where(FeedbackResponse.comment_status == "pending"))
        assert any(r.pii_findings for r in pending)  # one held back for a name and phone number
        assert all(len(r.scores) == len(THEMES) for r in db.session.scalars(select(FeedbackResponse)))
        seed_feedback()  # idempotent
        assert db.session.scalar(select(func.count()).select_from(FeedbackResponse)) == count
