"""Security headers, a per-request CSP nonce and GOV.UK error pages."""
from __future__ import annotations

import secrets

from flask import Flask, g, has_request_context, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

csrf = CSRFProtect()

ERRORS = {
    400: ("Sorry, there is a problem with your request", "Go back, check what you entered and try again."),
    403: ("You do not have permission to see this page", "If you think you should, ask your organisation's admin."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check you copied "
                            "the entire address."),
    405: ("Sorry, there is a problem with your request", "That action is not available on this page."),
    413: ("The file is too large", "Files must be smaller than 10MB."),
    429: ("Too many attempts", "You have tried to sign in too many times. Wait 15 minutes, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you entered has been saved."),
}


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _headers(response):
    nonce = _nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure or request.headers.get("X-Forwarded-Proto") == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint not in ("static", "assets"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def error_page(code: int, message: str | None = None):
    title, body = ERRORS.get(code, ERRORS[500])
    return render_template("error.html", title=title, body=message or body, code=code), code


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` ids outside PostgreSQL's integer range simply do not match (404), never a 500."""

    def __init__(self, url_map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse_nul_bytes():
    """PostgreSQL text cannot hold NUL; no legitimate form or query value, or uploaded file's name, contains one."""
    def every(multidict) -> list[str]:  # every value of repeated names too (date inputs, checkboxes)
        return [value for values in multidict.listvalues() for value in values]

    values = every(request.args) + (every(request.form) + [f.filename or "" for f in every(request.files)]
                                     if request.method == "POST" else [])
    if any("\x00" in v for v in values):
        return error_page(400, "Your request contained characters that are not allowed. Go back, remove them and "
                               "try again.")
    return None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(_refuse_nul_bytes)
    csrf.init_app(app)
    app.after_request(_headers)
    app.context_processor(lambda: {"cspNonce": _nonce()} if has_request_context() else {})

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return error_page(400, "Your form was missing its security token or it expired. Go back, reload the page "
                               "and try again.")

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda exc, code=code: error_page(code))

    @app.errorhandler(500)
    def _server_error(exc):
        from portal.core import db

        db.session.rollback()
        return error_page(500)
