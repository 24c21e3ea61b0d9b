"""Configuration: embedded defaults, production switches, and safe defaults for cookies and headers."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.config import load_config
from portal.core.jobs import InProcessDispatcher, RQDispatcher
from portal.core.storage import LocalStorage, S3Storage


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("HOMEFINDER_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_embedded_defaults_need_no_servers(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "MAIL_SERVER", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOMEFINDER_ENV", "development")
    monkeypatch.setenv("HOMEFINDER_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'homefinder.db'}"
    assert isinstance(app.extensions["homefinder.dispatcher"], InProcessDispatcher)
    assert isinstance(app.extensions["homefinder.storage"], LocalStorage)
    assert app.config["MAIL_SERVER"] is None


def test_environment_switches_to_production_services(monkeypatch):
    monkeypatch.setenv("HOMEFINDER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.internal/homefinder")
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/0")
    monkeypatch.setenv("S3_BUCKET", "docs")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("MAIL_SERVER", "smtp.internal")
    app = create_app()  # nothing connects until used
    assert app.extensions["homefinder.engine"].dialect.name == "postgresql"
    assert app.extensions["homefinder.engine"].dialect.driver == "psycopg"
    assert isinstance(app.extensions["homefinder.dispatcher"], RQDispatcher)
    assert isinstance(app.extensions["homefinder.storage"], S3Storage)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("HOMEFINDER_ENV", "staging-ish")
    with pytest.raises(RuntimeError, match="HOMEFINDER_ENV"):
        load_config()


def test_security_headers_and_csp_allow_only_own_assets(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)  # the one inline script carries it
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_govuk_pages_for_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    assert 'class="govuk-template' in response.get_data(as_text=True)


def test_assets_served_locally(client):
    assert client.get("/govuk/govuk-frontend.min.css").status_code == 200
    assert client.get("/govuk/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200
    assert client.get("/govuk/package.json").status_code == 404


def test_a_fresh_checkout_creates_its_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOMEFINDER_ENV", "development")
    monkeypatch.setenv("HOMEFINDER_INSTANCE", str(tmp_path / "new" / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    with app.extensions["homefinder.engine"].connect():
        pass
    assert (tmp_path / "new" / "instance" / "homefinder.db").exists()


def test_cheap_password_hashing_is_refused_outside_tests(monkeypatch):
    monkeypatch.setenv("HOMEFINDER_ENV", "development")
    with pytest.raises(RuntimeError, match="PASSWORD_HASH_CHEAP"):
        create_app({"PASSWORD_HASH_CHEAP": True})
