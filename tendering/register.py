"""How the tendering package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from tendering import cli, jobs  # noqa: F401 - importing tendering.jobs registers its scheduled jobs
    from tendering.tabs import tabs_for

    cli.register(app)
    app.jinja_env.globals["referral_tabs"] = lambda referral: tabs_for(referral, app.view_functions)

    from portal.core import navigation
    from tendering import views as referral_views

    app.register_blueprint(referral_views.bp)
    navigation.add(app, "Referrals", "referrals.referrals", "placements_officer", order=15)

    from tendering import distribution_views, invitation_views

    app.register_blueprint(distribution_views.bp)
    app.register_blueprint(invitation_views.bp)
    navigation.add(app, "Referrals", "invitations.index", "provider_admin", "provider_staff", order=12)
