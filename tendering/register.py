"""How the tendering package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The tendering package adds no routes, commands or jobs yet; its issue builds them."""
    return None
