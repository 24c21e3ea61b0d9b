"""Smoke run of the national-market generator (bench/market.py) at a tiny scale in its own throwaway database:
the real migrated schema accepts every row (check constraints, foreign keys, partial unique indexes), the
counts are the planned ones, and the lifecycle invariants the dashboard relies on hold."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from bench.databases import create_database, drop_database, migrate
from bench.market import build_market, plan

from tests.conftest import require_env

pytestmark = pytest.mark.postgres

SCALE = 0.001


@pytest.fixture
def market_url():
    server = require_env("TEST_DATABASE_URL")  # the generator uses COPY: PostgreSQL or fail, never skip
    url = create_database(server, f"homefinder_market_test_{os.getpid()}")
    try:
        migrate(url)
        yield url
    finally:
        drop_database(server, url)


def test_market_generator_loads_the_planned_counts_within_every_constraint(market_url):
    market = build_market(market_url, SCALE, seed=7)
    want = plan(SCALE)
    engine = create_engine(market_url)
    try:
        with engine.connect() as conn:
            def one(sql: str) -> int:
                return conn.execute(text(sql)).scalar()

            assert one("SELECT count(*) FROM organisation WHERE kind = 'council'") == want["councils"]
            assert one("SELECT count(*) FROM organisation WHERE kind = 'provider'") == want["providers"]
            for table, name in (("setting", "settings"), ("vacancy_history", "vacancy_history"),
                                ("referral", "referrals"), ("audit_event", "audit")):
                assert one(f"SELECT count(*) FROM {table}") == want[name] == market.counts[table]
            # At this scale there are too few providers for ten invitations per referral: capped, and reported.
            for table in ("referral_provider", "proposal", "panel_score", "award", "placement"):
                assert one(f"SELECT count(*) FROM {table}") == market.counts[table] > 0
            assert market.counts["referral_provider"] <= want["invitations"]
            assert market.counts["panel_score"] <= want["scores"]

            # Constraints held: PostgreSQL enforced them while loading; all are validated.
            assert one("SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                       "WHERE n.nspname = 'public' AND NOT c.convalidated") == 0
            assert one("SELECT count(*) FROM (SELECT referral_id, provider_id FROM proposal "
                       "WHERE status IN ('draft', 'submitted') GROUP BY 1, 2 HAVING count(*) > 1) x") == 0
            assert one("SELECT count(*) FROM (SELECT referral_id FROM award WHERE status = 'active' "
                       "GROUP BY 1 HAVING count(*) > 1) x") == 0
            # Lifecycle: every awarded or placed referral has its one active award; placements only for placed.
            assert one("SELECT count(*) FROM referral r WHERE r.status IN ('awarded', 'placed') AND NOT EXISTS "
                       "(SELECT 1 FROM award a WHERE a.referral_id = r.id AND a.status = 'active')") == 0
            assert one("SELECT count(*) FROM placement p JOIN referral r ON r.id = p.referral_id "
                       "WHERE r.status <> 'placed'") == 0
            # Proposals come from invited providers; scores from the referral council's panel.
            assert one("SELECT count(*) FROM proposal p LEFT JOIN referral_provider rp ON rp.referral_id = "
                       "p.referral_id AND rp.provider_id = p.provider_id AND rp.invited "
                       "WHERE rp.referral_id IS NULL") == 0
            # The sequences were moved on: the application can insert.
            assert one("SELECT nextval(pg_get_serial_sequence('referral', 'id'))") > want["referrals"]
    finally:
        engine.dispose()

    # The first council sends the most referrals (weighted), so the benchmarks time a busy council.
    assert market.council_id == 1
