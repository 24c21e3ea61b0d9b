"""Locust users for bench/run.py P2 (run headless by it; not meant to be run by hand).

Each simulated user signs in once through the real /sign-in form (CSRF token from the form; a one-time code
from BENCH_TOTP_* when the sign-in flow asks for one), then requests its pages with no think time (closed
loop: `-u 20` means 20 requests in flight at most). Statistics are reset once every user has signed in, so
sign-in (deliberately slow password hashing) is not in the figures, and the run stops BENCH_SECONDS later.

bench/run.py names the user classes to run (Provider, Officer, Manager, Bare). Environment (set by it):
BENCH_PAGES — "mix" (the officer alternates the referral list and the evaluation matrix), "list" or "matrix"; BENCH_PASSWORD;
BENCH_PROVIDER / BENCH_OFFICER / BENCH_MANAGER (emails); BENCH_TOTP_PROVIDER / … (TOTP secrets, optional);
BENCH_MATRIX_IDS (comma-separated referral ids with a ranked matrix, of the officer's council).
"""
from __future__ import annotations

import itertools
import os
import re
import sys

import gevent

from locust import HttpUser, constant, task

PAGES = os.environ.get("BENCH_PAGES", "mix")
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
MATRIX_IDS = [int(x) for x in os.environ.get("BENCH_MATRIX_IDS", "").split(",") if x]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CODE_INPUT = re.compile(r'<input[^>]*autocomplete="one-time-code"[^>]*>|<input[^>]*name="(?:code|totp|otp)"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
FORM_ACTION = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]*)"|<form[^>]*action="([^"]*)"[^>]*method="post"',
                         re.I)

_signed_in = itertools.count(1)


def _started(environment) -> None:
    """Once every user is signed in: reset the statistics and stop BENCH_SECONDS later."""
    if next(_signed_in) == environment.parsed_options.num_users:
        environment.runner.stats.reset_all()
        gevent.spawn_later(float(os.environ.get("BENCH_SECONDS", "60")), environment.runner.quit)


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    if not found:
        raise RuntimeError("no csrf_token on the page")
    return found.group(1) or found.group(2)


class Signed(HttpUser):
    abstract = True
    wait_time = constant(0)
    role = ""

    def on_start(self):
        try:
            self.sign_in()
        except Exception as exc:  # noqa: BLE001 - no figures without every user signed in: stop the run
            print(f"SIGN-IN FAILED: {exc}", file=sys.stderr, flush=True)
            self.environment.runner.quit()
            raise
        _started(self.environment)

    def sign_in(self):
        email = os.environ[f"BENCH_{self.role.upper()}"]
        page = self.client.get("/sign-in", name="sign-in")
        response = self.client.post("/sign-in", name="sign-in", data={
            "csrf_token": _csrf(page.text), "email": email, "password": PASSWORD})
        code_input = CODE_INPUT.search(response.text)
        if code_input:  # two-factor step: the code from the user's TOTP secret
            import pyotp

            secret = os.environ.get(f"BENCH_TOTP_{self.role.upper()}")
            if not secret:
                raise RuntimeError(f"{email}: the sign-in asks for a code but no TOTP secret was given")
            field = NAME.search(code_input.group(0)).group(1)
            action = FORM_ACTION.search(response.text)
            url = (action.group(1) or action.group(2)) if action and (action.group(1) or action.group(2)) else \
                response.url
            response = self.client.post(url, name="sign-in", data={
                "csrf_token": _csrf(response.text), field: pyotp.TOTP(secret).now()})
        if "/sign-in" in response.url or response.status_code >= 400:
            raise RuntimeError(f"{email}: sign-in failed ({response.status_code} at {response.url})")

    def get(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


class Provider(Signed):
    role = "provider"

    @task
    def inbox(self):
        self.get("/invitations", "provider inbox")


def referral_list(user):
    user.get("/referrals", "referral list")


def matrix(user):
    user.get(f"/referrals/{next(user.matrix_ids)}/results", "evaluation matrix")


class Officer(Signed):
    role = "officer"
    tasks = {"mix": [referral_list, matrix], "list": [referral_list], "matrix": [matrix]}.get(PAGES, [referral_list])

    def on_start(self):
        super().on_start()
        self.matrix_ids = itertools.cycle(MATRIX_IDS)


class Manager(Signed):
    role = "manager"

    @task
    def dashboard(self):
        self.get("/sufficiency", "dashboard")


class Bare(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        _started(self.environment)

    @task
    def bare(self):
        self.client.get("/bench-bare", name="bare route")
