"""CLI commands: `flask --app portal db upgrade`, `demo seed`, `users create`, `jobs scheduler`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core import db
from portal.core.models import ROLES, Organisation

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="User accounts.")
jobs_cli = AppGroup("jobs", help="Background jobs.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: head)."""
    from portal.core.migrate import upgrade

    upgrade(current_app, revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from portal.core.migrate import downgrade

    downgrade(current_app, revision)
    click.echo(f"Database at {revision}.")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the demo market (idempotent) and print one login per role."""
    from portal.seed import DEMO_PASSWORD, seed

    from portal.core.auth import find_user

    logins = seed()
    click.echo("\nDemo logins (password for all: %s)" % DEMO_PASSWORD)
    for role, email in logins:
        user = find_user(email)
        secret = f"  authenticator key {user.totp_secret}" if user is not None and user.totp_secret else ""
        click.echo(f"  {ROLES[role]:<20} {email:<40}{secret}")
    click.echo("\nCouncil users and the system admin also need a code from an authenticator app: add the key above "
               "to one, or run\n  flask --app portal demo code EMAIL\nto print the current code.")


@demo_cli.command("code")
@click.argument("email")
def demo_code(email: str) -> None:
    """Print the current two-factor code of a demo user (development only)."""
    from portal.core.auth import find_user
    from portal.core.services import ServiceError
    from portal.two_factor import current_code

    if current_app.config["HOMEFINDER_ENV"] != "development":
        raise click.ClickException("`demo code` only works when HOMEFINDER_ENV=development")
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No user with email {email}")
    try:
        click.echo(current_code(user))
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", "organisation_name", required=True, help="Name of an existing organisation")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(sorted(ROLES)))
@click.password_option()
def users_create(email: str, name: str, organisation_name: str, roles: tuple[str, ...], password: str) -> None:
    from portal.core.auth import create_user, find_user

    org = db.session.scalar(select(Organisation).where(Organisation.name == organisation_name))
    if org is None:
        raise click.ClickException(f"No organisation called {organisation_name!r}")
    if find_user(email):
        raise click.ClickException(f"A user with email {email} already exists")
    try:
        user = create_user(org, email, name, list(roles), password=password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.commit()
    click.echo(f"Created {user.email} ({', '.join(roles)}) in {org.name}.")


@jobs_cli.command("scheduler")
@click.option("--interval", default=30.0, help="Seconds between ticks")
@click.option("--once", is_flag=True, help="Run one tick and exit")
def jobs_scheduler(interval: float, once: bool) -> None:
    """Queue periodic jobs and re-dispatch due retries (the Procfile's scheduler process)."""
    from portal.core.worker import scheduler_loop

    scheduler_loop(current_app._get_current_object(), interval=interval, once=once)


def register(app: Flask) -> None:
    for group in (db_cli, demo_cli, users_cli, jobs_cli):
        app.cli.add_command(group)
