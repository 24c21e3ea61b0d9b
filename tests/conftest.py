"""Shared fixtures. The suite runs against the throwaway PostgreSQL and Redis that `make test`
starts (TEST_DATABASE_URL, TEST_REDIS_URL). In CI a missing service is a failure, never a skip.
Outside CI, without TEST_DATABASE_URL, the suite falls back to a SQLite file."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.core import db
from portal.core.migrate import alembic_config

IN_CI = os.environ.get("CI", "").lower() == "true"
REFERENCE_TABLES = {"alembic_version", "need", "quality_standard"}
SECRET = "test-secret-key-not-for-production"


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test`, which starts the service")
    return value


def _drop_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def _create_database(server_url: str, name: str) -> str:
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_env("TEST_REDIS_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, pg_server_url_or_none):
    """One migrated database for the session; tables are emptied after each test."""
    from alembic import command

    if pg_server_url_or_none:
        # One database per pytest process, so parallel runs on one server never collide.
        url = _create_database(pg_server_url_or_none, f"homefinder_test_{os.getpid()}")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    command.upgrade(alembic_config(url), "head")
    yield url
    if pg_server_url_or_none:
        _drop_database(pg_server_url_or_none, url)


@pytest.fixture(scope="session")
def pg_server_url_or_none() -> str | None:
    if IN_CI:
        return require_env("TEST_DATABASE_URL")
    return os.environ.get("TEST_DATABASE_URL")


def _empty_tables(engine) -> None:
    names = [t for t in inspect(engine).get_table_names() if t not in REFERENCE_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # The audit trail is append-only for the application; only the test harness (a superuser
            # tidying its own throwaway database) switches triggers off for this one transaction.
            # DELETE on small tables is ~20 times faster than TRUNCATE's fixed per-table cost.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.exec_driver_sql("; ".join(f"DELETE FROM {name}" for name in names))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("PRAGMA foreign_keys=ON"))


def make_app(database_url: str, tmp_path: Path, **overrides):
    config = {
        "HOMEFINDER_ENV": "test",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "DOCUMENTS_DIR": str(tmp_path / "documents"),
        "JOB_BACKOFF_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "BASE_URL": "http://localhost",
        "PASSWORD_HASH_CHEAP": True,
        # Tests change data and look again at once; tests/test_dashboard_cache.py covers the cache itself.
        "DASHBOARD_CACHE_SECONDS": 0,
        # Tests jump the clock by days while signed in; tests/test_account_security.py sets real limits.
        "SESSION_IDLE_MINUTES": 10 * 365 * 24 * 60,
        "PERMANENT_SESSION_LIFETIME": 10 * 365 * 24 * 3600,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(database_url, tmp_path):
    application = make_app(database_url, tmp_path)
    from portal.core.auth import limiter

    with application.app_context():
        limiter.reset()
    yield application
    application.extensions["homefinder.engine"].dispose()


@pytest.fixture(autouse=True)
def _empty_database_after_test(request):
    """Every test that touched the database leaves it empty for the next (reference data stays)."""
    yield
    if "database_url" in request.fixturenames:
        url = request.getfixturevalue("database_url")
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        _empty_tables(engine)
        engine.dispose()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def submit(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """POST a form the way a browser does: fetch the page first for its CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_from(html)}, **kwargs)


def current_totp(app, email: str) -> str:
    """The code the user's authenticator app shows now (read straight from the database, no app context)."""
    import pyotp

    with app.extensions["homefinder.engine"].connect() as conn:
        secret = conn.execute(text("SELECT totp_secret FROM user_account WHERE email = :email"),
                              {"email": email.strip().lower()}).scalar()
    assert secret, f"{email} has no authenticator app set up"
    return pyotp.TOTP(secret).now()


def sign_in(client, email: str, password: str):
    """Sign in; when the service asks for the authenticator code, enter the current one. A client still signed in
    (sessions outlive the clock jumps tests make) signs out first, as a person at a shared computer would."""
    if client.get("/sign-in").status_code == 302:
        submit(client, "/sign-out", {}, page="/account")
    response = submit(client, "/sign-in", {"email": email, "password": password})
    if response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/sign-in/code"):
        response = submit(client, "/sign-in/code", {"code": current_totp(client.application, email)})
    return response


def signed_in_client(app, role: str, **user_fields):
    """A test client signed in as a new user holding `role` (in a new organisation of the right kind)."""
    from portal.core import db
    from tests import factories

    with app.app_context():
        user = factories.user(role, **user_fields)
        db.commit()
        email = user.email
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


# --- Playwright: Debian's Chromium (a browser download is impossible here) ------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture
def live(app):
    """The app served on a loopback port for Playwright."""
    from tests.browser import LiveServer

    with LiveServer(app) as server:
        yield server
