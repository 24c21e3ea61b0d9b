"""How the portal package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal import cli, views
    from portal.core import navigation, views as core_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(views.bp)
    cli.register(app)
    navigation.init_app(app)
    navigation.add(app, "Home", "portal.dashboard", order=0)
    navigation.add(app, "Users", "core.users", "provider_admin", "dps_manager", "system_admin", order=80)
    navigation.add(app, "Outbox", "core.outbox", "system_admin", order=85)
    navigation.add(app, "Jobs", "core.jobs", "system_admin", order=86)
    navigation.add(app, "Inbox", "core.inbox", order=90)
