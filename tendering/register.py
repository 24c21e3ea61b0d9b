"""How the tendering package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from tendering import cli, jobs  # noqa: F401 - importing tendering.jobs registers its scheduled jobs
    from tendering.tabs import tabs_for

    cli.register(app)
    from tendering import view_audit

    view_audit.register(app)
    from tendering.seed import seed_referrals

    app.extensions.setdefault("homefinder.seed_hooks", []).append(seed_referrals)
    app.jinja_env.globals["referral_tabs"] = lambda referral: tabs_for(referral, app.view_functions)

    from portal.core import navigation
    from tendering import views as referral_views

    app.register_blueprint(referral_views.bp)
    navigation.add(app, "Referrals", "referrals.referrals", "placements_officer", order=15)

    from tendering import distribution_views, invitation_views

    app.register_blueprint(distribution_views.bp)
    app.register_blueprint(invitation_views.bp)
    navigation.add(app, "Referrals", "invitations.index", "provider_admin", "provider_staff", order=12)

    from tendering import award_views, outcome_views  # noqa: F401 - outcome_views adds the provider's page to it
    from tendering.placements import is_spot_purchase

    app.register_blueprint(award_views.bp)
    app.jinja_env.globals["is_spot_purchase"] = is_spot_purchase

    from tendering import evaluation_views, panel_views

    app.register_blueprint(evaluation_views.bp)
    app.register_blueprint(panel_views.bp)
    navigation.add(app, "Panel", "panel.index", "panel_member", order=16)

    from tendering import clarification_views, proposal_views

    app.register_blueprint(proposal_views.bp)
    app.register_blueprint(clarification_views.bp)

    from tendering import sufficiency_views

    app.register_blueprint(sufficiency_views.bp)
    navigation.add(app, "Sufficiency", "sufficiency.dashboard", "placements_officer", "dps_manager", order=40)

    from tendering import ocds_cli, ocds_views

    ocds_cli.register(app)
    app.register_blueprint(ocds_views.bp)
    navigation.add(app, "Exports", "exports.index", "placements_officer", "dps_manager", order=41)
