"""`flask --app portal ofsted import PATH`: the Ofsted import, run synchronously from a shell."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.core import db
from portal.models import OfstedImport
from portal.ofsted import MAX_BYTES, create_import, run_import

ofsted_cli = AppGroup("ofsted", help="Ofsted data.")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@ofsted_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ofsted_import(path: Path) -> None:
    """Import Ofsted's provider-level CSV at PATH. Prints a summary, then one JSON line per item."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise click.ClickException(f"{path.name} is larger than 10MB")
    imp = create_import(data, path.name)
    db.commit()
    import_id = imp.id
    run_import(import_id)
    db.session.expire_all()
    imp = db.session.get(OfstedImport, import_id)
    if imp.status != "completed":
        raise click.ClickException(f"Import {import_id} of {path.name} failed: {imp.error}")
    report = imp.report or {}
    click.echo(f"Import {import_id} of {path.name}: {_plural(imp.total_rows, 'row')}, "
               f"{_plural(imp.changes_count, 'change')}, {_plural(imp.unknown_count, 'unknown URN')}, "
               f"{_plural(imp.rejected_count, 'rejected row')}, "
               f"{_plural(len(report.get('suspended', [])), 'setting')} suspended.")
    for c in report.get("changes", []):
        click.echo(json.dumps({"type": "change", "urn": c["urn"], "field": c["field"],
                               "before": c["before"], "after": c["after"]}))
    for u in report.get("unknown", []):
        click.echo(json.dumps({"type": "unknown_urn", "urn": u["urn"], "row": u["row"]}))
    rejected = sorted(report.get("rejected", []) + report.get("duplicates", []), key=lambda r: r["row"])
    for r in rejected:
        click.echo(json.dumps({"type": "rejected", "row": r["row"], "reason": r["reason"]}))


def register(app: Flask) -> None:
    app.cli.add_command(ofsted_cli)
