"""The audit trail is written with the change, in the same transaction, and cannot be rewritten."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from portal.core import db
from portal.core.audit import record, trail
from portal.core.models import AuditEvent
from tests import factories


def test_audit_row_commits_and_rolls_back_with_the_change(ctx):
    user = factories.user("provider_admin")
    record("thing.changed", "thing", 1, before={"a": 1}, after={"a": 2}, actor=user)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    user = factories.user("provider_admin")
    record("thing.changed", "thing", 1, before={"a": 1}, after={"a": 2}, actor=user)
    db.commit()
    events = trail("thing", 1)
    assert [(e.action, e.before, e.after, e.actor_id) for e in events] == [
        ("thing.changed", {"a": 1}, {"a": 2}, user.id)]


def test_postgres_refuses_update_delete_and_truncate_of_audit_rows(ctx, database_url):
    if not database_url.startswith("postgresql"):
        pytest.fail("this test needs PostgreSQL: run `make test`")
    record("thing.created", "thing", 9, after={"ok": True})
    db.commit()
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event",
                      "TRUNCATE audit_event"):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    engine.dispose()
    assert [e.action for e in trail("thing", 9)] == ["thing.created"]
