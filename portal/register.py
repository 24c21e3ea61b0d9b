"""How the portal package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal import cli, jobs, settings_views, views  # noqa: F401 - importing portal.jobs registers them
    from portal.core import navigation, views as core_views

    app.register_blueprint(core_views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(settings_views.bp)
    cli.register(app)
    navigation.init_app(app)
    navigation.add(app, "Home", "portal.dashboard", order=0)
    navigation.add(app, "Homes", "settings.settings", "provider_admin", "provider_staff", order=10)
    navigation.add(app, "Vacancies", "settings.vacancies", "provider_admin", "provider_staff", order=11)
    navigation.add(app, "Users", "core.users", "provider_admin", "dps_manager", "system_admin", order=80)
    navigation.add(app, "Outbox", "core.outbox", "system_admin", order=85)
    navigation.add(app, "Jobs", "core.jobs", "system_admin", order=86)
    navigation.add(app, "Inbox", "core.inbox", order=90)

    from portal import ofsted_cli, ofsted_views

    app.register_blueprint(ofsted_views.bp)
    ofsted_cli.register(app)
    navigation.add(app, "Ofsted imports", "ofsted.imports", "dps_manager", order=30)

    from portal import document_views, documents  # noqa: F401 - importing portal.documents registers its job

    app.register_blueprint(document_views.bp)
    navigation.add(app, "Documents", "documents.documents", "provider_admin", "provider_staff", order=20)

    from portal import account_views

    app.register_blueprint(account_views.bp)
    navigation.add(app, "Organisation", "accounts.organisation", "provider_admin", "dps_manager", "system_admin",
                   order=70)

    from portal import admission_views, dps_views

    app.register_blueprint(admission_views.bp)
    app.register_blueprint(dps_views.bp)
    navigation.add(app, "Applications", "applications.applications", "provider_admin", "provider_staff", order=30)
    navigation.add(app, "DPS", "dps.overview", "dps_manager", order=25)
    navigation.add(app, "Providers", "dps.providers", "dps_manager", order=26)
    navigation.add(app, "Admissions", "dps.applications", "dps_manager", order=27)

    from portal import export_views

    app.register_blueprint(export_views.bp)

    from portal import two_factor_views

    app.register_blueprint(two_factor_views.bp)
    navigation.add(app, "Your account", "two_factor.security", order=95)

    from portal import backup_cli

    backup_cli.register(app)
