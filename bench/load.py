"""bench/run.py P2: gunicorn (4 workers, production config) under locust on loopback, beside a bare route.

Accounts: the provider organisation with the most invitations (its admin), the busiest council's placements
officer and DPS manager get a password (and, for council users, a TOTP secret, in case sign-in asks for a
code); the officer's evaluation matrix cycles over the council's priced referrals with the most proposals.
Phases, each with `users` locust users and no think time: the bare route alone, each page alone (its
throughput beside the bare route's), then all four pages together for `seconds` (the latencies reported).
Peak RSS of each gunicorn worker is sampled throughout.
"""
from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.mail_workers import RssMonitor, _free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAGES = {"provider inbox": ("Provider", "inbox"), "referral list": ("Officer", "list"),
         "evaluation matrix": ("Officer", "matrix"), "dashboard": ("Manager", "dashboard")}


def prepare_accounts(url: str, officer_id: int, manager_id: int) -> dict[str, str]:
    """Passwords (and TOTP secrets for council users) for the three accounts; the locust environment."""
    import pyotp
    from sqlalchemy import func, select, update

    from portal import create_app
    from portal.core import db
    from portal.core.auth import hash_password
    from portal.core.db import utcnow
    from portal.core.models import User
    from tendering.models import Proposal, Referral, ReferralProvider

    app = create_app({"HOMEFINDER_ENV": "test", "SECRET_KEY": "bench", "DATABASE_URL": url, "REDIS_URL": None,
                      "MAIL_SERVER": None, "DOCUMENTS_DIR": "/tmp/homefinder-bench-documents"})
    password = "bench-" + secrets.token_urlsafe(12)
    with app.app_context():
        # What the scheduler (Procfile) would have done by now: close referrals past their deadline and
        # bring the dashboard's summary rows up to date (for the councils it shows: the whole market takes long).
        from tendering.jobs import close_referrals_past_their_deadline

        from portal.models import dps_council
        from tendering.competition_summary import refresh_stale

        start = time.perf_counter()
        closed = close_referrals_past_their_deadline()
        council = db.session.get(User, manager_id).organisation_id
        consortium = list(db.session.scalars(select(dps_council.c.council_id).where(dps_council.c.dps_id.in_(
            select(dps_council.c.dps_id).where(dps_council.c.council_id == council))).distinct()))
        refreshed = refresh_stale(consortium)  # the summary job's work for the councils the dashboard shows
        jobs = (f"scheduled jobs first: {closed:,} referrals closed, {refreshed:,} summary rows of the "
                f"{len(consortium)} councils refreshed in {time.perf_counter() - start:.1f} s")
        provider = db.session.scalar(select(ReferralProvider.provider_id).where(ReferralProvider.invited.is_(True))
                                     .group_by(ReferralProvider.provider_id)
                                     .order_by(func.count().desc(), ReferralProvider.provider_id).limit(1))
        invitations = db.session.scalar(select(func.count()).select_from(ReferralProvider).where(
            ReferralProvider.provider_id == provider, ReferralProvider.invited.is_(True)))
        admin = db.session.scalar(select(User).where(User.organisation_id == provider).order_by(User.id).limit(1))
        officer, manager = db.session.get(User, officer_id), db.session.get(User, manager_id)
        council_referrals = db.session.scalar(select(func.count()).select_from(Referral).where(
            Referral.council_id == officer.organisation_id))
        matrix_ids = list(db.session.scalars(
            select(Referral.id).join(Proposal, Proposal.referral_id == Referral.id)
            .where(Referral.council_id == officer.organisation_id,
                   Referral.status.in_(("price_evaluated", "awarded", "placed")), Proposal.status == "submitted")
            .group_by(Referral.id).order_by(func.count().desc(), Referral.id).limit(20)))
        env = {"BENCH_PASSWORD": password, "BENCH_PROVIDER": admin.email, "BENCH_OFFICER": officer.email,
               "BENCH_MANAGER": manager.email, "BENCH_MATRIX_IDS": ",".join(map(str, matrix_ids))}
        hashed = hash_password(password)
        db.session.execute(update(User).where(User.id.in_([admin.id, officer.id, manager.id]))
                           .values(password_hash=hashed, password_changed_at=utcnow()))
        for role, user in (("OFFICER", officer), ("MANAGER", manager)):
            if hasattr(User, "totp_secret"):
                user.totp_secret = user.totp_secret or pyotp.random_base32()
                if hasattr(User, "totp_enabled_at"):
                    user.totp_enabled_at = user.totp_enabled_at or utcnow()
                env[f"BENCH_TOTP_{role}"] = user.totp_secret
        db.commit()
    app.extensions["homefinder.engine"].dispose()
    env["_sizes"] = (f"provider inbox {invitations:,} invitations; referral list {council_referrals:,} referrals; "
                     f"{jobs}")
    return env


def start_gunicorn(url: str, redis_url: str, workers: int = 4) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "HOMEFINDER_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "REDIS_URL": redis_url, "SESSION_COOKIE_SECURE": "false", "LOGIN_LIMIT": "10000 per minute",
           "PYTHONPATH": str(ROOT)}
    env.pop("MAIL_SERVER", None)
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                             "bench.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{host}/bench-bare", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("P2: gunicorn did not start: " + (proc.stderr.read() or "")[-3000:])
        time.sleep(0.2)
    # every worker up (each imports and builds the app): a few requests more
    for _ in range(workers * 4):
        urllib.request.urlopen(f"{host}/bench-bare", timeout=10).read()
    return proc, host


def locust(host: str, classes: list[str], pages: str, env: dict[str, str], users: int, seconds: int,
           tmp: str) -> dict[str, dict]:
    prefix = f"{tmp}/locust-{pages}-{time.monotonic_ns()}"
    full_env = {**os.environ, **{k: v for k, v in env.items() if not k.startswith("_")}, "BENCH_PAGES": pages,
                "BENCH_SECONDS": str(seconds), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                           "-u", str(users), "-r", str(users), "-t", f"{seconds + 180}s", "--host", host,
                           "--csv", prefix, "--only-summary", "--loglevel", "WARNING", *classes],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=seconds + 240)
    stats = {}
    try:
        with open(f"{prefix}_stats.csv", newline="") as f:
            for row in csv.DictReader(f):
                stats[row["Name"]] = row
    except FileNotFoundError:
        raise SystemExit(f"P2: locust wrote no statistics:\n{done.stderr[-3000:]}") from None
    if "SIGN-IN FAILED" in done.stderr:
        raise SystemExit(f"P2: a locust user could not sign in:\n{done.stderr[-3000:]}")
    failures = {name: row for name, row in stats.items() if name not in ("Aggregated", "sign-in")
                and int(row["Failure Count"])}
    if failures or "Error" in done.stderr and "Traceback" in done.stderr:
        raise SystemExit(f"P2: requests failed: { {n: r['Failure Count'] for n, r in failures.items()} }\n"
                         f"{done.stderr[-3000:]}")
    return stats


def cpu_seconds(gunicorn_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the gunicorn workers, by every PostgreSQL process and by
    this script's finished children (the locust runs)."""
    import psutil

    def used(proc) -> float:
        times = proc.cpu_times()
        return times.user + times.system

    web = db = 0.0
    try:
        web = sum(used(child) for child in psutil.Process(gunicorn_pid).children(recursive=True))
    except psutil.Error:
        pass
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] in ("postgres", "postmaster"):
            try:
                db += used(proc)
            except psutil.Error:
                pass
    mine = os.times()
    return {"web": web, "db": db, "load": mine.children_user + mine.children_system}


def run_load(url: str, redis_url: str, officer_id: int, manager_id: int, users: int = 20, seconds: int = 60,
             alone_seconds: int = 10, workers: int = 4) -> dict:
    env = prepare_accounts(url, officer_id, manager_id)
    proc, host = start_gunicorn(url, redis_url, workers)
    monitor = RssMonitor([proc.pid])
    out = {"sizes": env["_sizes"], "pages": {}, "workers": workers, "users": users, "seconds": seconds,
           "alone_seconds": alone_seconds}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bare = locust(host, ["Bare"], "bare", env, users, alone_seconds, tmp)["bare route"]
            out["bare_rps"] = float(bare["Requests/s"])
            out["bare_p95"] = float(bare["95%"])
            for name, (cls, pages) in PAGES.items():
                out["pages"][name] = {"alone_rps": float(locust(host, [cls], pages, env, users, alone_seconds,
                                                                tmp)[name]["Requests/s"])}
            before, started = cpu_seconds(proc.pid), time.monotonic()
            mix = locust(host, ["Provider", "Officer", "Manager"], "mix", env, users, seconds, tmp)
            after, wall = cpu_seconds(proc.pid), time.monotonic() - started
            requests = sum(int(row["Request Count"]) for name, row in mix.items() if name in PAGES)
            out["cpu"] = {part: (after[part] - before[part]) / max(requests, 1) for part in before}
            out["cpu_busy"] = sum(after[part] - before[part] for part in before) / wall
            for name in PAGES:
                row = mix[name]
                out["pages"][name].update(p50=float(row["50%"]), p95=float(row["95%"]), p99=float(row["99%"]),
                                          rps=float(row["Requests/s"]), count=int(row["Request Count"]))
            out["mix_rps"] = float(mix["Aggregated"]["Requests/s"])
    finally:
        out["peak_master"], out["peak_worker"] = monitor.stop()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out
