"""Two officers awarding one referral at the same moment: the partial unique index lets exactly one win,
and the other is told "This referral has already been awarded" (never a 500)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import User
from tendering import award as awards
from tendering.models import Award, Placement, Referral
from tests import factories

pytestmark = pytest.mark.postgres


def _setup(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.fail("this test needs PostgreSQL: run `make test`")
    with app.app_context():
        s = factories.evaluated_referral()
        second = factories.user("placements_officer", org=s["council"])
        awards.reveal_prices(s["referral"], s["officer"])
        db.commit()
        return s["referral"].id, [s["officer"].id, second.id], [s["A"].id, s["B"].id]


def _race(app, ref_id, officer_ids, proposal_ids, barrier, outcomes):
    def run(officer_id, proposal_id):
        with app.app_context():
            try:
                referral = db.session.get(Referral, ref_id)
                officer = db.session.get(User, officer_id)
                barrier.wait(timeout=20)
                awards.award(referral, proposal_id, "Chosen by the officer", officer)
                db.commit()
                outcomes.append("awarded")
            except awards.AwardError as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - the test fails on anything else
                db.session.rollback()
                outcomes.append(f"unexpected {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=run, args=pair) for pair in zip(officer_ids, proposal_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def _assert_one_award(app, ref_id, outcomes):
    assert sorted(outcomes) == sorted(["awarded", awards.ALREADY_AWARDED]), outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award).where(Award.referral_id == ref_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(Placement)) == 1
        assert db.session.get(Referral, ref_id).status == "awarded"


def test_two_officers_award_at_once_exactly_one_succeeds(app, database_url):
    ref_id, officer_ids, proposal_ids = _setup(app, database_url)
    outcomes: list[str] = []
    _race(app, ref_id, officer_ids, proposal_ids, threading.Barrier(2), outcomes)
    _assert_one_award(app, ref_id, outcomes)


def test_the_unique_index_decides_when_both_pass_the_checks(app, database_url, monkeypatch):
    """Both threads see no award yet (held at a barrier after the check), so both insert: the index refuses one."""
    ref_id, officer_ids, proposal_ids = _setup(app, database_url)
    checked = threading.Barrier(2)
    original = awards.active_award

    def check_then_wait(referral):
        found = original(referral)
        checked.wait(timeout=20)
        return found

    monkeypatch.setattr(awards, "active_award", check_then_wait)
    outcomes: list[str] = []
    _race(app, ref_id, officer_ids, proposal_ids, threading.Barrier(2), outcomes)
    _assert_one_award(app, ref_id, outcomes)
