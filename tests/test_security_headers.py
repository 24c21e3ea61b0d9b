"""Security headers on every page (issue #7 item 8), as portal/core/security.py promises them: a CSP whose
scripts need the per-request nonce (no 'unsafe-inline'), nosniff, no framing, a Referrer-Policy, a
Permissions-Policy, no-store caching, HSTS when the request came over HTTPS, and a session cookie that is
HttpOnly, SameSite=Lax and Secure when configured.

Every GET route of app.url_map is read (with the sealed/blind sweep's url generation and world: a placed
referral), by a role that may use it and anonymously; a route added later is checked without editing this file."""
from __future__ import annotations

import re

from portal.core import db
from tests import factories
from tests.conftest import make_app, sign_in
from tests.test_sealed_blind_sweep import PATHS, build_world, candidate_values, expand, get_rules, may_try

MISSING = 987654321
NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)


def problems(response, url: str) -> list[str]:
    """What is wrong with one response's headers (and, for HTML, with scripts the CSP would block)."""
    h, out = response.headers, []
    csp = h.get("Content-Security-Policy", "")
    nonce = NONCE.search(csp)
    for needed in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        if needed not in csp:
            out.append(f"CSP lacks {needed}")
    if not nonce or "unsafe-inline" in csp or "unsafe-eval" in csp:
        out.append(f"CSP scripts are not nonce-only: {csp!r}")
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                "Cross-Origin-Opener-Policy": "same-origin"}
    out += [f"{name}: {h.get(name)!r}" for name, value in expected.items() if h.get(name) != value]
    if "camera=()" not in h.get("Permissions-Policy", ""):
        out.append(f"Permissions-Policy: {h.get('Permissions-Policy')!r}")
    if "no-store" not in h.get("Cache-Control", ""):
        out.append(f"Cache-Control: {h.get('Cache-Control')!r}")
    if "Strict-Transport-Security" in h:
        out.append("HSTS over plain HTTP")
    if response.mimetype == "text/html" and nonce:
        page = response.get_data(as_text=True)
        for attrs in SCRIPT_TAG.findall(page):
            if "src=" not in attrs and f'nonce="{nonce.group(1)}"' not in attrs:
                out.append(f"inline <script{attrs}> without this request's nonce (the CSP blocks it)")
        if INLINE_HANDLER.search(page):
            out.append(f"inline event handler (the CSP blocks it): {INLINE_HANDLER.search(page).group(0)[:80]}")
        if INLINE_STYLE.search(page):
            out.append(f"inline style (style-src 'self' blocks it): {INLINE_STYLE.search(page).group(0)[:80]}")
    return [f"{url} ({response.status_code}): {p}" for p in out]


def _placed_world(app):
    world = build_world(app)
    for _status, step in PATHS["main"]:
        if step is not None:
            with app.test_request_context():
                step(world)
                db.commit()
    return world


def test_every_page_carries_the_security_headers(app):
    world = _placed_world(app)
    clients = {}
    for role, (_user_id, email) in world.users.items():
        clients[role] = app.test_client()
        assert sign_in(clients[role], email, factories.PASSWORD).status_code == 302
    with app.app_context():
        from portal.core.models import User

        roles_of = {role: set(db.session.get(User, user_id).roles) for role, (user_id, _e) in world.users.items()}
        values = {role: candidate_values(world, user_id) for role, (user_id, _e) in world.users.items()}
    anonymous, found, read = app.test_client(), [], 0
    for rule in get_rules(app):
        if rule.endpoint == "core.logout":
            continue
        fallback = re.sub(r"<[^>]+>", str(MISSING), rule.rule)
        found += problems(anonymous.get(fallback), f"{fallback} anonymously")
        for role, client in clients.items():  # the first role that may use the route and is let in
            if not may_try(app, rule, roles_of[role]):
                continue
            url = (expand(rule, values[role]) or [fallback])[0]
            response = client.get(url)
            found += problems(response, f"{url} as {role}")
            if response.status_code == 200:
                read += 1
                break
    assert not found, "\n".join(sorted(set(found))[:40])
    assert read >= 60  # most pages were really rendered, not just refused


def test_static_files_carry_the_headers_and_may_be_cached(app):
    client = app.test_client()
    for url in ("/static/app.css", "/govuk/govuk-frontend.min.css", "/assets/images/favicon.svg"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert [p for p in problems(response, url) if "Cache-Control" not in p] == []
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_hsts_only_over_https(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    for response in (client.get("/sign-in", base_url="https://localhost"),
                     client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})):
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _session_cookie(app, base_url: str) -> str:
    with app.app_context():
        user = factories.user("provider_admin")
        db.commit()
        email = user.email
    client = app.test_client()
    sign_in_page = client.get("/sign-in", base_url=base_url)
    assert sign_in_page.status_code == 200
    from tests.conftest import csrf_from

    response = client.post("/sign-in", base_url=base_url, headers={"Referer": f"{base_url}/sign-in"}, data={
        "email": email, "password": factories.PASSWORD, "csrf_token": csrf_from(sign_in_page.get_data(as_text=True))})
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(app.config["SESSION_COOKIE_NAME"])]
    assert cookies, "signing in set no session cookie"
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite(app):
    cookie = _session_cookie(app, "http://localhost")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_configured(database_url, tmp_path):
    app = make_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True, BASE_URL="https://localhost")
    try:
        cookie = _session_cookie(app, "https://localhost")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["homefinder.engine"].dispose()


def test_the_header_check_can_fail(app):
    """problems() really reports a missing header, HSTS over HTTP and a script the CSP would block."""
    from flask import Response

    bare = Response('<p>hi</p><script>alert(1)</script>', mimetype="text/html",
                    headers={"Content-Security-Policy": "default-src 'self'; script-src 'self' 'nonce-abc'",
                             "Strict-Transport-Security": "max-age=1"})
    found = " | ".join(problems(bare, "/x"))
    for expected in ("frame-ancestors", "X-Content-Type-Options", "HSTS over plain HTTP", "inline <script>",
                     "Cache-Control"):
        assert expected in found
