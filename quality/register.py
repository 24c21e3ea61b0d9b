"""How the quality package plugs into the app factory: blueprints, CLI commands, scheduled jobs."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Each area of the quality package registers its own blueprints, navigation, jobs and seed hooks."""
    _register_visits(app)
    _register_feedback(app)
    _register_compliance(app)


def _register_visits(app: Flask) -> None:
    """Monitoring visits, actions, the schedule, the standards lists and providers' quality history."""
    from portal.core import navigation
    from quality import action_views, history_views, jobs_visits, standards_views, visit_views  # noqa: F401
    from quality.seed_visits import seed_visits

    for module in (visit_views, action_views, standards_views, history_views):
        app.register_blueprint(module.bp)
    navigation.add(app, "Visits", "visits.visits_list", "qa_officer", order=30)
    navigation.add(app, "Actions", "actions.actions_list", "qa_officer", "provider_admin", "provider_staff", order=32)
    navigation.add(app, "Quality history", "history.history_own", "provider_admin", "provider_staff", order=34)
    app.extensions.setdefault("homefinder.seed_hooks", []).append(seed_visits)


def _register_feedback(app: Flask) -> None:
    """Feedback links, responses and moderation; provider forums, the forum pack and forum meetings."""
    from portal.core import navigation
    from quality import feedback_views, forum_views
    from quality.seed_feedback import seed_feedback

    app.register_blueprint(feedback_views.bp)
    app.register_blueprint(forum_views.bp)
    navigation.add(app, "Feedback", "feedback.overview", "qa_officer", "placements_officer", order=36)
    navigation.add(app, "Forum", "forums.forum", "provider_admin", "provider_staff", "placements_officer",
                   "panel_member", "qa_officer", "dps_manager", order=38)
    app.extensions.setdefault("homefinder.seed_hooks", []).append(seed_feedback)


def _register_compliance(app: Flask) -> None:
    """Monthly returns and the compliance rules engine (subscribed to portal's change signal)."""
    from portal.core import navigation
    from portal.core.signals import changed
    from quality import compliance, compliance_cli, compliance_views, jobs_compliance, return_views  # noqa: F401
    from quality.seed_compliance import seed_compliance

    app.register_blueprint(return_views.bp)
    app.register_blueprint(compliance_views.bp)
    compliance_cli.register(app)
    changed.connect(compliance.on_portal_change, weak=False)
    navigation.add(app, "Returns", "returns.returns_list", "provider_admin", "provider_staff", order=35)
    navigation.add(app, "Compliance", "compliance.mine", "provider_admin", "provider_staff", order=37)
    navigation.add(app, "Compliance", "compliance.dashboard", "qa_officer", "dps_manager", order=31)
    app.extensions.setdefault("homefinder.seed_hooks", []).append(seed_compliance)
