"""Backups (issue 7 item 11): `flask backup create`, wipe, `flask backup restore` gives back every row and document.

PostgreSQL (pg_dump -Fc / pg_restore) is tested against the test server, restoring into a dropped-and-recreated
database and then over a database changed since the backup; SQLite through the online backup API after dropping
every table. Every table's full row set is compared, and the referrals, audit rows and document file by name.
"""
from __future__ import annotations

import json
import os
import sqlite3

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from portal.core import db
from portal.core.audit import record
from portal.core.storage import storage
from tests import factories
from tests.conftest import _create_database, _drop_database, make_app, require_env

DOCUMENT = factories.PDF_BYTES + b"% the provider's insurance certificate\n"


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def snapshot(url: str) -> dict[str, list[str]]:
    """Every row of every table, as sorted reprs (types and all)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return {name: sorted(repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"')))
                    for name in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


def seed(app) -> dict:
    """Two referrals, their audit rows and one stored document; returns what must come back."""
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("placements_officer", org=council)
        drafted = factories.referral(council, case_reference="LCS-BACKUP-1")
        published = factories.referral(council, status="published", case_reference="LCS-BACKUP-2")
        record("referral.published", "referral", published.id, before={"status": "draft"},
               after={"status": "published", "note": "Zoë’s café — ünïcode"}, actor=officer)
        provider = factories.organisation("provider")
        doc = factories.document(provider)
        storage().put(doc.storage_key, DOCUMENT, "application/pdf")
        record("document.uploaded", "document", doc.id, after={"filename": doc.filename}, actor=officer)
        db.commit()
        return {"referrals": {drafted.id: "LCS-BACKUP-1", published.id: "LCS-BACKUP-2"},
                "document": doc.storage_key}


def referrals_and_audit(url: str):
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            referrals = dict(conn.execute(text("SELECT id, case_reference FROM referral")).all())
            audit = conn.execute(text("SELECT id, action, object_type, object_id, actor_id, occurred_at "
                                      "FROM audit_event ORDER BY id")).all()
            return referrals, audit
    finally:
        engine.dispose()


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["backup", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def only_backup(backup_dir) -> object:
    made = [p for p in backup_dir.iterdir()]
    assert len(made) == 1 and made[0].name.startswith("homefinder-") and not made[0].name.endswith(".partial")
    return made[0]


def test_postgres_backup_restores_into_a_new_database_and_over_a_changed_one(database_url, tmp_path):
    server = require_env("TEST_DATABASE_URL")
    if not database_url.startswith("postgresql"):
        pytest.fail("this test needs PostgreSQL: run `make test`")
    source = make_app(database_url, tmp_path / "live", BACKUP_DIR=str(tmp_path / "backups"))
    wanted = seed(source)
    before = snapshot(database_url)
    assert len(referrals_and_audit(database_url)[1]) == 3  # user.created, referral.published, document.uploaded

    assert "Backup written to" in run(source, "create")
    backup = only_backup(tmp_path / "backups")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == "postgresql" and manifest["documents"] == 1 and manifest["revision"]
    source.extensions["homefinder.engine"].dispose()

    # The server is lost: a new, empty database and an empty documents directory.
    url = _create_database(server, f"homefinder_restore_{os.getpid()}")
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    target = make_app(url, tmp_path / "new")
    try:
        run(target, "restore", str(backup), "--yes")
        assert snapshot(url) == before
        assert referrals_and_audit(url) == referrals_and_audit(database_url)
        assert dict(referrals_and_audit(url)[0]) == wanted["referrals"]
        assert (tmp_path / "new" / "documents" / wanted["document"]).read_bytes() == DOCUMENT

        # The restored audit trail is still append-only, and new rows follow the restored ones.
        engine = _engine(url)
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_event SET action = 'forged'"))
        engine.dispose()
        with target.app_context():
            extra = factories.referral(factories.organisation("council"), case_reference="LCS-AFTER-BACKUP")
            record("referral.created", "referral", extra.id, after={"late": True})
            db.commit()
        assert "LCS-AFTER-BACKUP" in referrals_and_audit(url)[0].values()

        # Restoring over a database changed since the backup puts it back exactly (pg_restore --clean).
        run(target, "restore", str(backup), "--yes")
        assert snapshot(url) == before
    finally:
        target.extensions["homefinder.engine"].dispose()
        _drop_database(server, url)


def test_sqlite_backup_uses_the_online_backup_api_and_restores_after_every_table_is_dropped(tmp_path):
    from portal.core.db import Base

    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = make_app(url, tmp_path / "live", BACKUP_DIR=str(tmp_path / "backups"))
    engine = app.extensions["homefinder.engine"]
    Base.metadata.create_all(engine)  # the models' schema: quicker than the migrations, and all a backup copies
    with engine.begin() as conn:  # the one reference row the referral factory needs (migrations seed the rest)
        conn.execute(text("INSERT INTO need (code, label, position) VALUES ('autism', 'Autism', 1)"))
    wanted = seed(app)
    before = snapshot(url)
    assert before["referral"] and before["audit_event"]

    # A request half-way through a change holds the live database: the backup still runs, and takes only what
    # was committed (a file copy could catch the half-written change, or miss commits still in the WAL).
    busy = sqlite3.connect(tmp_path / "live.db", isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")
    busy.execute("UPDATE referral SET case_reference = 'NOT COMMITTED'")
    with app.app_context():
        run(app, "create")
    busy.execute("ROLLBACK")
    busy.close()
    backup = only_backup(tmp_path / "backups")
    assert json.loads((backup / "manifest.json").read_text())["database"] == "sqlite"
    assert not list(backup.glob("*-wal")), "the backup is one self-contained file"

    Base.metadata.drop_all(engine)
    (tmp_path / "live" / "documents" / wanted["document"]).unlink()
    assert inspect(engine).get_table_names() == []

    run(app, "restore", str(backup), "--yes")
    assert snapshot(url) == before
    assert dict(referrals_and_audit(url)[0]) == wanted["referrals"]
    assert (tmp_path / "live" / "documents" / wanted["document"]).read_bytes() == DOCUMENT
    with app.app_context():  # the running app reads the restored database
        from tendering.models import Referral

        assert {r.id: r.case_reference for r in db.session.query(Referral)} == wanted["referrals"]
    engine.dispose()


def test_restore_refuses_a_directory_that_is_not_a_whole_backup_and_a_backup_of_the_other_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path)
    half = tmp_path / "homefinder-20260101T000000Z.partial"
    half.mkdir()
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(half), "--yes"])
    assert result.exit_code != 0 and "not a complete Homefinder backup" in result.output
    (half / "manifest.json").write_text(json.dumps({"database": "postgresql", "created_at": "x", "revision": "y"}))
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(half), "--yes"])
    assert result.exit_code != 0 and "This is a postgresql backup; the database here is sqlite" in result.output
    app.extensions["homefinder.engine"].dispose()
