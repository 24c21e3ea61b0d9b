"""Homefinder: provider portal and dynamic purchasing system for children's homes.

The app factory wires the shared plumbing (portal.core) and then lets each of the three packages
register its blueprints, CLI commands and scheduled jobs through its own register() function.
"""
from __future__ import annotations

import logging

from flask import Flask, send_from_directory
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from portal.config import ROOT, load_config

ASSETS_DIR = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static",
                template_folder=str(ROOT / "templates"))
    app.config.update(load_config(overrides))
    logging.basicConfig(level=logging.INFO)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(ROOT / "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    # govuk-frontend-jinja's page template calls macros without params; tolerate missing keys.
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.get("/assets/<path:filename>")
    def assets(filename: str):
        return send_from_directory(ASSETS_DIR / "assets", filename, max_age=86400)

    @app.get("/govuk/<path:filename>")
    def govuk_dist(filename: str):
        if filename not in {"govuk-frontend.min.css", "govuk-frontend.min.js"}:
            return ("", 404)
        return send_from_directory(ASSETS_DIR, filename, max_age=86400)

    from portal.core import access, audit, auth, cache, db, jobs, security, storage, templating

    db.init_app(app)
    jobs.init_app(app)
    storage.init_app(app)
    cache.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    auth.init_app(app)
    access.init_app(app, public_endpoints={"static", "assets", "govuk_dist"})

    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)

    import portal.register
    import quality.register
    import tendering.register

    for package in (portal.register, tendering.register, quality.register):
        package.register(app)
    return app
