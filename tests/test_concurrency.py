"""Races on PostgreSQL, from real threads with their own sessions and connections:

* providers submitting proposals as the response deadline passes (and the closing job firing at that
  moment): each is accepted exactly once or refused as late with a friendly message, never two live
  proposals for one provider, never a submitted proposal the closed referral's blind order left out;
* two QA officers closing one action at once: one wins, the other is told it changed, one audit row;
* two provider users updating one home's vacancy at once: no lost update, history matches the vacancy.
"""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal import services as portal_services
from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent, User
from portal.models import Setting, Vacancy, VacancyHistory
from quality import actions
from quality.models import QaAction
from tendering import closing, proposals
from tendering.models import LIVE_PROPOSAL_STATUSES, OUTCOMES, Proposal, Referral, ReferralProvider
from tendering.proposal_forms import parse
from tests import factories
from tests.conftest import make_app

pytestmark = pytest.mark.postgres

LATE = {"The response deadline has passed. Proposals can no longer be changed",
        "This referral is no longer open for proposals"}
START = date.today() + timedelta(days=20)


@pytest.fixture
def pg_app(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.fail("this test needs PostgreSQL: run `make test`")
    application = make_app(database_url, tmp_path, DATABASE_POOL_SIZE=12)
    yield application
    application.extensions["homefinder.engine"].dispose()


def _run_threads(targets) -> None:
    threads = [threading.Thread(target=fn, args=args) for fn, args in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"


def _raw(home_id: int) -> dict:
    raw = {"setting": str(home_id), "staffing": "Two staff by day, one waking night",
           "education_offer": "Transport to her current school", "start_date-day": str(START.day),
           "start_date-month": str(START.month), "start_date-year": str(START.year), "core_fee": "1250.50",
           "notice_period": "4", "need-autism": "Staff trained in autism"}
    raw.update({f"outcome-{code}": f"Our plan to help her {label.lower()}" for code, label in OUTCOMES.items()})
    return raw


# --- proposals at the deadline ---------------------------------------------------------------------------

def test_proposals_racing_the_deadline_and_the_closing_job(pg_app):
    singles, pairs = 39, 5  # 39 + 2×5 = 49 submitting threads, plus the closing job: 50
    with pg_app.app_context():
        council = factories.organisation("council")
        referral = factories.referral(council, status="published", response_deadline=utcnow() + timedelta(days=1))
        providers = []
        for _ in range(singles + pairs):
            org = factories.organisation("provider")
            home = factories.setting(org)
            factories.invite(referral, org, home)
            user = factories.user("provider_admin", org=org)
            providers.append((org.id, home.id, user.id))
        db.commit()
        ref_id = referral.id

    barrier = threading.Barrier(singles + 2 * pairs + 2)
    outcomes: dict[int, list[str]] = {p[0]: [] for p in providers}
    clock: dict[str, object] = {}

    def submit(provider_id, home_id, user_id, offset):
        with pg_app.app_context():
            data, errors = parse(_raw(home_id), ["autism"])
            assert errors == {}
            barrier.wait(timeout=30)
            time.sleep(offset)
            try:
                row = db.session.get(ReferralProvider, (ref_id, provider_id))
                proposals.save(row, db.session.get(User, user_id), data, submit=True)
                db.commit()
                outcomes[provider_id].append("accepted")
            except proposals.ProposalError as exc:
                db.session.rollback()
                outcomes[provider_id].append(str(exc))
            except Exception as exc:  # noqa: BLE001 - anything else is a 500 for the user: the test fails
                db.session.rollback()
                outcomes[provider_id].append(f"unexpected {type(exc).__name__}: {exc}")

    def close_at_deadline():
        with pg_app.app_context():
            barrier.wait(timeout=30)
            time.sleep(max(0.0, (clock["deadline"] - utcnow()).total_seconds()) + 0.002)
            try:
                clock["closed"] = closing.close_due_referrals()
                db.commit()
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                clock["closed"] = f"unexpected {type(exc).__name__}: {exc}"

    targets = []
    spread = 1.0  # submissions from 0 to 1,000 ms after release; the deadline is at 500 ms
    for i, (provider_id, home_id, user_id) in enumerate(providers):
        offset = spread * i / (singles + pairs)
        copies = 2 if i >= singles else 1
        if copies == 2:
            offset = 0.05 * (i - singles) / pairs  # the same provider twice at once, well before the deadline
        targets += [(submit, (provider_id, home_id, user_id, offset))] * copies
    targets.append((close_at_deadline, ()))

    threads = [threading.Thread(target=fn, args=args) for fn, args in targets]
    for thread in threads:
        thread.start()
    with pg_app.app_context():  # the deadline is set while every thread waits at the barrier
        deadline = utcnow() + timedelta(milliseconds=500)
        db.session.get(Referral, ref_id).response_deadline = deadline
        db.commit()
        clock["deadline"] = deadline
    barrier.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"

    assert clock["closed"] == 1, clock
    accepted = {pid for pid, results in outcomes.items() if "accepted" in results}
    for pid, results in outcomes.items():
        copies = 2 if pid in {p[0] for p in providers[singles:]} else 1
        assert len(results) == copies, (pid, results)
        allowed = {"accepted"} | LATE | ({proposals.ALREADY} if copies == 2 else set())
        assert set(results) <= allowed, (pid, results)
    assert accepted and len(accepted) < singles + pairs, f"the race did not straddle the deadline: {outcomes}"
    assert {p[0] for p in providers[singles:]} & accepted  # the pairs raced well before the deadline

    with pg_app.app_context():
        referral = db.session.get(Referral, ref_id)
        assert referral.status == "closed"
        live = db.session.scalars(select(Proposal).where(Proposal.referral_id == ref_id,
                                                         Proposal.status.in_(LIVE_PROPOSAL_STATUSES))).all()
        assert sorted(p.provider_id for p in live) == sorted(accepted)  # one each, none for the late
        assert all(p.status == "submitted" and p.submitted_at < referral.response_deadline for p in live)
        # The closing job gave every accepted proposal its place in the blind order: none slipped in after it.
        assert sorted(p.blind_position for p in live if p.blind_position is not None) == list(range(len(live)))


# --- QA action closed by two officers --------------------------------------------------------------------

def test_two_qa_officers_closing_one_action_at_once(pg_app):
    with pg_app.app_context():
        council = factories.organisation("council")
        action = factories.qa_action(council=council)
        officers = [factories.user("qa_officer", org=council).id for _ in range(2)]
        db.commit()
        action_id, version = action.id, action.version

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close(officer_id, note):
        with pg_app.app_context():
            act = db.session.get(QaAction, action_id)
            officer = db.session.get(User, officer_id)
            barrier.wait(timeout=20)
            try:
                actions.transition(act, "closed", officer, reason=note, version=version)
                db.commit()
                outcomes.append(note)
            except actions.ActionError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            except Exception as exc:  # noqa: BLE001
                db.session.rollback()
                outcomes.append(f"unexpected {type(exc).__name__}: {exc}")

    _run_threads([(close, (officers[0], "Closed by the first")), (close, (officers[1], "Closed by the second"))])

    assert actions.CONFLICT in outcomes and len(outcomes) == 2, outcomes
    winner = next(o for o in outcomes if o != actions.CONFLICT)
    with pg_app.app_context():
        act = db.session.get(QaAction, action_id)
        assert (act.status, act.close_note, act.version) == ("closed", winner, version + 1)
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "action.closed",
                                                            AuditEvent.object_id == str(action_id))).all()
        assert len(audit) == 1 and audit[0].after["reason"] == winner


# --- one home's vacancy updated twice at once ------------------------------------------------------------

def test_simultaneous_vacancy_updates_lose_nothing(pg_app):
    with pg_app.app_context():
        provider = factories.organisation("provider")
        home = factories.setting(provider, registered_places=4)
        users = [factories.user("provider_admin", org=provider).id, factories.user("provider_staff", org=provider).id]
        portal_services.update_vacancy(db.session.get(User, users[0]), home,
                                       portal_services.VacancyInput(1, None, None, None))
        db.commit()
        home_id, version = home.id, home.vacancy.version

    rounds = []
    for places in ((2, 3), (0, 4)):  # two rounds: a conflict each time, never a silent overwrite
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def update(user_id, places_free, expected):
            with pg_app.app_context():
                setting = db.session.get(Setting, home_id)
                actor = db.session.get(User, user_id)
                _ = setting.vacancy
                barrier.wait(timeout=20)
                try:
                    portal_services.update_vacancy(actor, setting, portal_services.VacancyInput(
                        places_free, None, f"Set to {places_free}", expected))
                    db.commit()
                    outcomes.append(places_free)
                except portal_services.ServiceError as exc:
                    db.session.rollback()
                    outcomes.append(str(exc))
                except Exception as exc:  # noqa: BLE001
                    db.session.rollback()
                    outcomes.append(f"unexpected {type(exc).__name__}: {exc}")

        _run_threads([(update, (users[0], places[0], version)), (update, (users[1], places[1], version))])
        winners = [o for o in outcomes if isinstance(o, int)]
        losers = [o for o in outcomes if not isinstance(o, int)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert losers[0].startswith("Someone else changed the vacancy for"), losers
        with pg_app.app_context():
            vacancy = db.session.scalar(select(Vacancy).where(Vacancy.setting_id == home_id))
            assert (vacancy.places_free, vacancy.version) == (winners[0], version + 1)
            version = vacancy.version
        rounds.append(winners[0])

    with pg_app.app_context():
        history = db.session.scalars(select(VacancyHistory).where(VacancyHistory.setting_id == home_id)
                                     .order_by(VacancyHistory.id)).all()
        vacancy = db.session.scalar(select(Vacancy).where(Vacancy.setting_id == home_id))
        assert [h.places_free for h in history] == [1, *rounds]  # one row per saved change, none for losers
        last = history[-1]
        assert (last.places_free, last.note, last.recorded_at) == (vacancy.places_free, vacancy.note,
                                                                   vacancy.confirmed_at)
        audited = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "vacancy.updated", AuditEvent.object_id == str(home_id)))
        assert audited == 3
