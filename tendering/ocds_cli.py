"""CLI: `flask --app portal export ocds --out PATH [--prefix P]` — the OCDS release package of every awarded
competition (the whole installation), validated against the vendored schema before it is written."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

export_cli = AppGroup("export", help="Open data and finance exports.")


@export_cli.command("ocds")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Where to write the release package (JSON).")
@click.option("--prefix", default=None, help="ocid prefix (default: the OCDS_PREFIX setting, else ocds-hfdemo).")
@click.option("--no-spot", is_flag=True, help="Leave out spot purchases (limited-method awards).")
def export_ocds(out: Path, prefix: str | None, no_spot: bool) -> None:
    from tendering import ocds

    prefix = prefix or ocds.default_prefix()
    package = ocds.package(ocds.referrals_for(include_spot=not no_spot), prefix)
    if not package["releases"]:
        raise click.ClickException("There are no awarded competitions to export")
    problems = ocds.errors(package)
    if problems:
        raise click.ClickException("The package does not validate:\n" + "\n".join(problems[:20]))
    out.write_text(ocds.dumps(package), encoding="utf-8")
    click.echo(f"Wrote {len(package['releases'])} releases to {out}")


@export_cli.command("finance")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_finance(out: Path) -> None:
    """Every placement, in the layout of docs/finance-export.md (CSV)."""
    from tendering import exports_tabular, finance

    rows = finance.rows()
    out.write_text(exports_tabular.to_csv(finance.HEADERS, rows), encoding="utf-8", newline="")
    click.echo(f"Wrote {len(rows)} placements to {out}")


def register(app: Flask) -> None:
    app.cli.add_command(export_cli)
