"""A day before a referral closes, invited providers that have neither declined nor submitted a proposal are
reminded once (inbox and email); nobody else is, and nothing is sent once the referral has closed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.jobs import PERIODIC, enqueue_due_periodic
from portal.core.models import EmailMessage, InboxMessage
from tendering import reminders
from tests import factories

PUBLISHED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
DEADLINE = PUBLISHED + timedelta(days=7)


def _market(app):
    """A referral open for a week, four invited providers: one still to answer, one with only a draft, one that
    declined and one that submitted; and one provider not invited at all."""
    with app.app_context():
        council = factories.organisation("council")
        referral = factories.referral(council, status="published", published_at=PUBLISHED,
                                      response_deadline=DEADLINE, clarification_cutoff=DEADLINE - timedelta(days=2))
        people = {}
        for name in ("waiting", "drafting", "declined", "submitted", "not_invited"):
            provider = factories.organisation("provider", name=f"{name.title()} Care")
            people[name] = (factories.user("provider_admin", org=provider).email,
                            factories.user("provider_staff", org=provider).email)
            if name == "not_invited":
                continue
            row = factories.invite(referral, provider, factories.setting(provider))
            if name == "declined":
                row.declined_at, row.decline_reason = PUBLISHED + timedelta(days=1), "no_vacancy"
            elif name in ("drafting", "submitted"):
                factories.proposal(referral, provider, status="draft" if name == "drafting" else "submitted")
        db.commit()
        return referral.id, people


def _reminded(app, referral_id):
    with app.app_context():
        emails = db.session.scalars(select(EmailMessage).where(EmailMessage.kind == "deadline_reminder")).all()
        inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "deadline_reminder")).all()
        assert sorted(e.user_id for e in emails) == sorted(i.user_id for i in inbox)
        assert all(f"/invitations/{referral_id}" in i.link for i in inbox)
        return sorted(e.to_address for e in emails), emails


def test_providers_still_to_answer_are_reminded_once_a_day_before_the_deadline(app):
    referral_id, people = _market(app)
    assert PERIODIC["tendering.jobs:remind_providers_before_deadlines"][1] == timedelta(minutes=15)
    with freeze_time(DEADLINE - timedelta(hours=25)), app.app_context():  # two days in: too early
        enqueue_due_periodic()
    assert _reminded(app, referral_id)[0] == []

    with freeze_time(DEADLINE - timedelta(hours=23)), app.app_context():  # the next slots, within the last day
        enqueue_due_periodic()
    with freeze_time(DEADLINE - timedelta(hours=22)), app.app_context():
        enqueue_due_periodic()
    addresses, emails = _reminded(app, referral_id)
    assert addresses == sorted([*people["waiting"], *people["drafting"]])  # a draft is not an answer
    assert all(e.status == "sent" for e in emails)
    assert "closes for proposals on 9 March 2026 at 9:00am" in emails[0].subject
    assert "has not sent a proposal or declined it yet" in emails[0].body_text


def test_a_short_referral_or_a_closed_one_gets_no_reminder(app):
    referral_id, _ = _market(app)
    with app.app_context():
        short = factories.referral(status="published", published_at=DEADLINE - timedelta(hours=30),
                                   response_deadline=DEADLINE, clarification_cutoff=DEADLINE - timedelta(hours=2))
        factories.invite(short, factories.organisation("provider"))
        db.commit()
        short_id = short.id
    with freeze_time(DEADLINE - timedelta(hours=20)), app.app_context():
        assert reminders.queue_due() == 1  # the week-long referral only
        db.session.rollback()
    with freeze_time(DEADLINE + timedelta(minutes=1)), app.test_request_context():  # a job that runs too late
        assert reminders.send_deadline_reminder(referral_id) == 0
        assert reminders.send_deadline_reminder(short_id) == 0
    assert _reminded(app, referral_id)[0] == []
