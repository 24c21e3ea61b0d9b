"""`flask --app portal compliance evaluate`: run every rule now and print one JSON line per status change."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

compliance_cli = AppGroup("compliance", help="Compliance rules.")


@compliance_cli.command("evaluate")
def evaluate() -> None:
    """Evaluate every provider and setting; print {"subject_type", "subject_id", "provider_id", "from", "to",
    "reasons"} for each change."""
    from portal.core import db
    from quality.compliance import change_line, evaluate_all

    changes = evaluate_all()
    lines = [change_line(c) for c in changes]
    db.commit()
    for line in lines:
        click.echo(json.dumps(line))


def register(app: Flask) -> None:
    app.cli.add_command(compliance_cli)
