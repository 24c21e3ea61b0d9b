"""Backups and restore of the database and the local documents directory (`flask --app portal backup …`).

A backup is a directory BACKUP_DIR/homefinder-YYYYMMDDTHHMMSSZ/ holding
- database.dump    PostgreSQL: `pg_dump -Fc` (restored with `pg_restore --clean --if-exists --single-transaction`);
- database.sqlite3 SQLite: a copy made with SQLite's online backup API (consistent while the app is writing,
                   unlike copying the file, which can catch a half-written page or miss the WAL);
- documents/       a copy of DOCUMENTS_DIR when documents are on local disk (with S3, the bucket's versioning is the
                   backup: README "Backups and restore");
- manifest.json    when, which database kind, the schema revision and the number of document files.
It is written under a ".partial" name and renamed when complete, so a directory without that suffix is whole.
pg_dump/pg_restore come from PG_BIN if set, else the /usr/lib/postgresql/N/bin matching the server's major
version (as scripts/services.sh finds the test server's), else the newest there, else PATH.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
DOCUMENTS = "documents"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def _kind(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {backend}")
    return backend


# --- PostgreSQL --------------------------------------------------------------------------------------

def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it (never on a command line)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _server_major(database_url: str) -> int:
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    finally:
        engine.dispose()


def pg_tool(name: str, database_url: str) -> str:
    """The path of pg_dump or pg_restore to use against this server."""
    if os.environ.get("PG_BIN"):
        path = Path(os.environ["PG_BIN"]) / name
        if not os.access(path, os.X_OK):
            raise BackupError(f"PG_BIN has no {name}: {path}")
        return str(path)
    installed = {}
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if bin_dir.parent.name.isdigit() and os.access(bin_dir / name, os.X_OK):
            installed[int(bin_dir.parent.name)] = str(bin_dir / name)
    if installed:
        major = _server_major(database_url)
        return installed.get(major) or installed[max(installed)]
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client or set PG_BIN")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {(result.stderr or result.stdout).strip()[-2000:]}")


def _pg_dump(database_url: str, target: Path) -> None:
    uri, env = _libpq(database_url)
    _run([pg_tool("pg_dump", database_url), "--format=custom", f"--file={target}", f"--dbname={uri}"], env)


def _pg_restore(database_url: str, source: Path) -> None:
    uri, env = _libpq(database_url)
    # --clean --if-exists drops what the dump recreates (works on an empty database too); one transaction means
    # a failed restore leaves the database as it was.
    _run([pg_tool("pg_restore", database_url), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(source)], env)


# --- SQLite ------------------------------------------------------------------------------------------

def _sqlite_path(database_url: str) -> Path:
    name = make_url(database_url).database
    if not name or name == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up")
    return Path(name)


def _sqlite_copy(source: Path, target: Path, *, standalone: bool = False) -> None:
    """Copy page by page with SQLite's online backup API (consistent even while others write). standalone: make
    the copy one self-contained file (rollback journal, not the live database's write-ahead log)."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        if standalone:
            dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


# --- backup and restore ------------------------------------------------------------------------------

def _revision(database_url: str) -> str | None:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database never migrated still backs up
        return None
    finally:
        engine.dispose()


def _files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def create_backup(database_url: str, backup_dir: str | Path, documents_dir: str | Path | None,
                  now: datetime | None = None) -> Path:
    """Back up the database (and the local documents directory unless None: S3). Returns the backup's path."""
    kind = _kind(database_url)
    now = now or datetime.now(timezone.utc)
    root = Path(backup_dir)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"homefinder-{now:%Y%m%dT%H%M%SZ}"
    final, n = root / stem, 1
    while final.exists() or final.with_name(final.name + ".partial").exists():
        n += 1
        final = root / f"{stem}-{n}"
    partial = final.with_name(final.name + ".partial")
    partial.mkdir()
    try:
        if kind == "postgresql":
            _pg_dump(database_url, partial / PG_DUMP_FILE)
        else:
            source = _sqlite_path(database_url)
            if not source.is_file():
                raise BackupError(f"There is no SQLite database at {source}")
            _sqlite_copy(source, partial / SQLITE_FILE, standalone=True)
        documents = None
        if documents_dir is not None:
            docs = Path(documents_dir)
            if docs.is_dir():
                shutil.copytree(docs, partial / DOCUMENTS)
            documents = _files(partial / DOCUMENTS)
        manifest = {"created_at": now.isoformat(), "database": kind, "revision": _revision(database_url),
                    "documents": documents if documents is not None else "not copied (S3)"}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def read_manifest(path: str | Path) -> dict:
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        raise BackupError(f"{path} is not a complete Homefinder backup (no {MANIFEST})")
    return json.loads(manifest.read_text(encoding="utf-8"))


def restore_backup(path: str | Path, database_url: str, documents_dir: str | Path | None) -> dict:
    """Replace the database with the backup's and copy its documents back. Returns the manifest."""
    path = Path(path)
    manifest = read_manifest(path)
    kind = _kind(database_url)
    if manifest.get("database") != kind:
        raise BackupError(f"This is a {manifest.get('database')} backup; the database here is {kind}")
    if kind == "postgresql":
        _pg_restore(database_url, path / PG_DUMP_FILE)
    else:
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(path / SQLITE_FILE, target)
    if documents_dir is not None and (path / DOCUMENTS).is_dir():
        # Files added since the backup stay: document files are never deleted (rows only mark them deleted).
        shutil.copytree(path / DOCUMENTS, Path(documents_dir), dirs_exist_ok=True)
    return manifest
