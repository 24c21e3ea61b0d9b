"""`flask --app portal backup create` and `flask --app portal backup restore PATH` (`make backup`, `make restore`)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.backup import BackupError, create_backup, read_manifest, restore_backup

backup_cli = AppGroup("backup", help="Back up and restore the database and documents.")


def _documents_dir() -> str | None:
    """The local documents directory, or None when documents live in S3 (versioned bucket: README)."""
    return None if current_app.config.get("S3_BUCKET") else current_app.config["DOCUMENTS_DIR"]


def _engine_dispose() -> None:
    engine = current_app.extensions.get("homefinder.engine")
    if engine is not None:
        engine.dispose()  # no pooled connection holds a lock on, or a stale view of, the replaced tables


@backup_cli.command("create")
def backup_create() -> None:
    """Back up the database (and local documents) to a new timestamped directory under BACKUP_DIR."""
    try:
        path = create_backup(current_app.config["DATABASE_URL"], current_app.config["BACKUP_DIR"], _documents_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = read_manifest(path)
    click.echo(f"Backup written to {path} ({manifest['database']}, schema {manifest['revision']}, "
               f"documents: {manifest['documents']}).")
    if _documents_dir() is None:
        click.echo("Documents are in S3: the bucket's versioning keeps them (README, Backups and restore).")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def backup_restore(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH and copy its documents back. Stop the web and worker
    processes first."""
    try:
        manifest = read_manifest(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(f"Replace every row in the database with the backup made {manifest['created_at']}?",
                      abort=True)
    _engine_dispose()
    try:
        restore_backup(path, current_app.config["DATABASE_URL"], _documents_dir())
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    _engine_dispose()
    click.echo(f"Restored the backup made {manifest['created_at']} (schema {manifest['revision']}). "
               "Run `flask --app portal db upgrade` if this code is newer than the backup.")


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
