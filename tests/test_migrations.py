"""The schema exists only through Alembic migrations: one head, no drift, and each step reversible."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import portal.models  # noqa: F401
import quality.models  # noqa: F401
import tendering.models  # noqa: F401
from portal.core.db import Base
from portal.core.migrate import alembic_config
from tests.conftest import _create_database

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def test_single_head_and_names_match_revision_ids():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    for rev in script.walk_revisions():
        path = Path(rev.path)
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.py", path.name), path.name
        assert rev.revision == path.stem, f"{path.name} must have revision id {path.stem!r}"
    numbers = sorted(int(p.name[:4]) for p in VERSIONS.glob("*.py"))
    assert numbers == list(range(1, len(numbers) + 1)), "migrations are numbered 0001, 0002, … without gaps"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path, pg_server_url_or_none):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    if not pg_server_url_or_none:
        pytest.fail("TEST_DATABASE_URL is needed for the PostgreSQL migration test; run `make test`")
    return _create_database(pg_server_url_or_none, f"homefinder_migrations_{os.getpid()}")


def _diff(url: str) -> list:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    return diff


def test_models_match_migrations_and_every_step_reverses(fresh_url):
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "head")
    assert _diff(fresh_url) == [], "models and migrations have drifted: add a migration"
    command.downgrade(cfg, "-1")
    command.upgrade(cfg, "head")
    assert _diff(fresh_url) == []
    command.downgrade(cfg, "base")
    engine = create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg://", 1))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(cfg, "head")


def test_the_dashboard_and_matching_indexes_exist(database_url):
    """bench/dashboard.py and bench/distribute.py rely on these; a migration must not lose them."""
    from sqlalchemy import inspect as sa_inspect

    from portal.core.db import make_engine

    engine = make_engine(database_url)
    inspector = sa_inspect(engine)
    expected = {"referral": {"ix_referral_council_published", "ix_referral_council_status",
                             "ix_referral_council_created"},
                "referral_provider": {"ix_referral_provider_declined", "ix_referral_provider_provider_invited"},
                "proposal": {"ix_proposal_referral_submitted", "uq_proposal_live"},
                "award": {"ix_award_active_kind", "uq_award_active_referral"},
                "placement": {"ix_placement_council_current"},
                "setting": {"ix_setting_matching"}}
    for table, names in expected.items():
        assert names <= {index["name"] for index in inspector.get_indexes(table)}, table
    engine.dispose()


def test_every_foreign_key_is_indexed_in_the_migrated_database(database_url):
    """A foreign key no index leads with makes every lookup by it, and every delete of the row it points to, a scan
    of the whole table (a re-run's earlier referral among 100,000 took 30 ms that way). Checked in the database the
    migrations built, so a model's `index=True` without its migration fails here as well as in the drift test."""
    from sqlalchemy import inspect as sa_inspect

    from portal.core.db import make_engine

    engine = make_engine(database_url)
    inspector = sa_inspect(engine)
    missing = []
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        leading = {tuple(inspector.get_pk_constraint(table)["constrained_columns"][:1])}
        leading |= {tuple(index["column_names"][:1]) for index in inspector.get_indexes(table)}
        leading |= {tuple(unique["column_names"][:1]) for unique in inspector.get_unique_constraints(table)}
        for fk in inspector.get_foreign_keys(table):
            if tuple(fk["constrained_columns"][:1]) not in leading:
                missing.append(f"{table}.{fk['constrained_columns'][0]}")
    engine.dispose()
    assert missing == [], f"foreign keys without an index: {missing}"
