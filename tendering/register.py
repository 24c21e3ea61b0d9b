"""How the tendering package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from tendering import cli

    cli.register(app)
