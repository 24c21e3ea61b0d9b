"""CLI: `flask --app portal pii scan PATH` — the referral anonymisation scanner over a text file."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from tendering.anonymiser import scan_lines

pii_cli = AppGroup("pii", help="Personal information scanner used by the referral publish gate.")


@pii_cli.command("scan")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def pii_scan(path: Path) -> None:
    """Print one JSON object per line of PATH (UTF-8): {"line": N, "findings": [{"kind", "text"}]}."""
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            for result in scan_lines(stream):
                click.echo(json.dumps(result, ensure_ascii=False))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start})") from exc


def register(app: Flask) -> None:
    app.cli.add_command(pii_cli)
