"""Live server and accessibility helpers for the Playwright tests (Debian's Chromium)."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from werkzeug.serving import make_server

LIVE_APPS: dict = {}  # base URL -> the app it serves, so sign_in_browser can read the user's TOTP secret
AXE_JS = (Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js").read_text()


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        LIVE_APPS[self.url] = app

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


def assert_accessible(page) -> None:
    """Run axe-core (WCAG 2.2 A and AA rules) on the page and fail on any violation."""
    # A click that navigates returns once the new page has started loading: let it finish, or axe may check a
    # half-built document (a helper once saw "no main landmark" on a page that has one, under load).
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
    violations = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert violations == [], f"axe-core violations on {page.url}:\n{json.dumps(violations, indent=2)}"


def sign_in_browser(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if page.url.split("?")[0].endswith("/sign-in/code"):  # two-factor: enter the code the user's app shows now
        from tests.conftest import current_totp

        page.get_by_label("Code from your authenticator app").fill(current_totp(LIVE_APPS[base_url], email))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
