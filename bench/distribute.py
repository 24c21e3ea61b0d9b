"""Benchmark matching and distribution: 1,500 providers, 10,000 settings, 50,000 vacancy-history rows.

    . .services/env && .venv/bin/python bench/distribute.py     # a throwaway database on TEST_DATABASE_URL
    DATABASE_URL=postgresql://…/throwaway .venv/bin/python bench/distribute.py
    .venv/bin/python bench/distribute.py            # neither set: a temporary SQLite file
    … bench/distribute.py --profile                 # also print a cProfile of each distribute()

Use a throwaway database: the script migrates it and bulk-inserts the market (it refuses if the
benchmark's providers are there already). With TEST_DATABASE_URL (and no DATABASE_URL) it creates its own
database on that server and drops it afterwards. Every provider has an active provider_admin and an active
provider_staff user. It publishes three referrals of different shapes and prints, for each, the time for
distribute() plus the commit (writing every ReferralProvider row, the audit and the one fan-out job; jobs
are handed to a recording dispatcher, as they would be to the RQ queue), then, separately, the fan-out job
as a worker runs it (for every recipient the inbox row, the rendered email and its send job) beside one SQL query that selects the same eligible settings (distance
and preferences aside, which the query cannot express), measured in the same run.

Target: distribute() <= 200 ms and <= 3x the SQL query.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.databases import create_database, drop_database  # noqa: E402
from portal import create_app  # noqa: E402
from portal.core import db  # noqa: E402
from portal.core.db import utcnow  # noqa: E402
from portal.core.jobs import execute_job  # noqa: E402
from portal.core.migrate import upgrade  # noqa: E402
from portal.core.models import EmailMessage, JobRun, Organisation, User, UserRole  # noqa: E402
from portal.geography import known_districts  # noqa: E402
from portal.models import (RATINGS, Dps, DpsApplication, Lot, LOT_KINDS, Need, ReferralPreference, Setting,  # noqa: E402
                           Vacancy, VacancyHistory, dps_application_lot, setting_need)
from tendering.distribution import distribute, eligible_settings_query  # noqa: E402
from tendering.lifecycle import transition  # noqa: E402
from tendering.models import Referral, ReferralNeed  # noqa: E402

PROVIDERS, SETTINGS, HISTORY = 1_500, 10_000, 50_000
NAME = "Bench Distribution Provider"
TARGET_SECONDS, TARGET_RATIO = 0.200, 3.0


class RecordingDispatcher:
    """Stands in for the RQ queue: records the dispatch, runs nothing."""

    def __init__(self):
        self.dispatched = 0

    def dispatch(self, run_id: int, key: str, delay: float = 0) -> None:
        self.dispatched += 1


def build(rng: random.Random) -> tuple[Organisation, Dps]:
    if db.session.scalar(select(func.count()).where(Organisation.name == f"{NAME} 0")):
        sys.exit("This database already has the benchmark's providers: use a fresh one.")
    council = Organisation(name="Bench Distribution Council", kind="council")
    dps = Dps(name="Bench Distribution DPS", councils=[council])
    db.session.add_all([council, dps])
    for kind, (label, _kinds) in LOT_KINDS.items():
        db.session.add(Lot(dps=dps, kind=kind, name=label))
    db.session.flush()
    lots = {lot.kind: lot.id for lot in dps.lots}
    db.session.execute(insert(Organisation), [dict(name=f"{NAME} {n}", kind="provider") for n in range(PROVIDERS)])
    provider_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.name.like(f"{NAME} %"))))
    now = utcnow()
    apps = [dict(dps_id=dps.id, provider_id=pid, status="suspended" if rng.random() < 0.02 else "admitted",
                 questionnaire={}, submitted_at=now) for pid in provider_ids if rng.random() < 0.85]
    db.session.execute(insert(DpsApplication), apps)
    app_rows = db.session.execute(select(DpsApplication.id).where(DpsApplication.dps_id == dps.id)).scalars().all()
    db.session.execute(insert(dps_application_lot), [
        dict(application_id=aid, lot_id=lots[kind]) for aid in app_rows
        for kind in rng.sample(list(lots), rng.randint(1, 3))])
    districts = sorted(known_districts())
    london = [d for d in districts if d[:2] in ("SE", "SW", "BR", "CR", "DA") or d[:1] in ("E", "N", "W")]
    kinds = ["childrens_home"] * 6 + ["independent_fostering", "supported_accommodation", "secure", "parent_and_child"]
    settings = []
    for n in range(SETTINGS):
        district = rng.choice(london) if rng.random() < 0.5 else rng.choice(districts)
        low = rng.choice([0, 8, 11, 13])
        settings.append(dict(
            provider_id=rng.choice(provider_ids), name=f"Bench Home {n}", kind=rng.choice(kinds),
            registration_status="active" if rng.random() < 0.97 else "cancelled",
            overall_effectiveness=rng.choice(RATINGS) if rng.random() < 0.9 else None, registered_places=4,
            min_age=low, max_age=rng.choice([16, 17]), accepts_male=rng.random() < 0.8,
            accepts_female=True, postcode=f"{district} 1AA", district=district,
            status="open" if rng.random() < 0.95 else "closed", suspended=rng.random() < 0.02))
    db.session.execute(insert(Setting), settings)
    setting_ids = list(db.session.scalars(select(Setting.id).where(Setting.name.like("Bench Home %"))))
    needs = list(db.session.scalars(select(Need.code)))
    db.session.execute(insert(setting_need), [dict(setting_id=sid, need_code=code) for sid in setting_ids
                                              for code in rng.sample(needs, rng.randint(0, 8))])
    with_vacancy = rng.sample(setting_ids, int(SETTINGS * 0.7))
    db.session.execute(insert(Vacancy), [dict(setting_id=sid, places_free=rng.randint(0, 2), version=1,
                                              confirmed_at=now - timedelta(days=rng.randint(0, 14)))
                                         for sid in with_vacancy])
    db.session.execute(insert(VacancyHistory), [dict(setting_id=rng.choice(with_vacancy), places_free=rng.randint(0, 2),
                                                     change="updated", recorded_at=now - timedelta(hours=n))
                                                for n in range(HISTORY)])
    db.session.execute(insert(User), [
        dict(organisation_id=pid, email=f"bench-{role}-{pid}@provider.example", name=f"Bench {role} {pid}",
             status="active") for pid in provider_ids for role in ("admin", "staff")])
    db.session.execute(insert(UserRole), [
        dict(user_id=uid, role="provider_admin" if email.startswith("bench-admin") else "provider_staff")
        for uid, email in db.session.execute(select(User.id, User.email).where(User.email.like("bench-%")))])
    db.session.execute(insert(ReferralPreference), [
        dict(provider_id=pid, lot_kinds=["residential", "solo_bespoke"], min_age=10, max_age=17,
             need_codes=rng.sample(needs, 10)) for pid in rng.sample(provider_ids, PROVIDERS // 5)])
    db.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))  # statistics, as a live database has (autovacuum lags a bulk load)
        db.commit()
    return council, dps


SHAPES = {
    "residential, 15, girl, SE6 within 20 miles, autism": dict(
        lot="residential", age=15, sex="female", preferred_district="SE6", max_distance_miles=20,
        avoid_districts=["E1"], needs={"autism": True, "self_harm": False}),
    "residential, 14, boy, no location limit, 2 essential needs": dict(
        lot="residential", age=14, sex="male", preferred_district=None, max_distance_miles=None,
        avoid_districts=[], needs={"emotional_mental_health": True, "trauma_attachment": True}),
    "fostering, 9, no needs, within 50 miles of M1": dict(
        lot="fostering", age=9, sex="female", preferred_district="M1", max_distance_miles=50,
        avoid_districts=[], needs={}),
}


def referral(council: Organisation, dps: Dps, shape: dict) -> Referral:
    lot = next(lot for lot in dps.lots if lot.kind == shape["lot"])
    obj = Referral(council_id=council.id, dps_id=dps.id, lot_id=lot.id, age=shape["age"], sex=shape["sex"],
                   preferred_district=shape["preferred_district"], max_distance_miles=shape["max_distance_miles"],
                   avoid_districts=shape["avoid_districts"])
    db.session.add(obj)
    db.session.flush()
    known = set(db.session.scalars(select(Need.code)))
    for code, essential in shape["needs"].items():
        if code in known:
            db.session.add(ReferralNeed(referral_id=obj.id, need_code=code, essential=essential))
    transition(obj, "published", None)
    db.commit()
    db.session.expire_all()
    return db.session.get(Referral, obj.id)


def main() -> None:
    profile = "--profile" in sys.argv[1:]
    server = None if os.environ.get("DATABASE_URL") else os.environ.get("TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or (create_database(server, f"homefinder_bench_{os.getpid()}") if server else f"sqlite:///{tmp}/bench.db")
        try:
            lines, ok = run(url, tmp, profile)
        finally:
            if server:
                drop_database(server, url)
    backend = url.split(":", 1)[0]
    print(f"Distribution benchmark on {backend}: {PROVIDERS:,} providers, {SETTINGS:,} settings, "
          f"{HISTORY:,} vacancy-history rows")
    print("\n".join(lines))
    print(f"Target (<= {TARGET_SECONDS * 1000:.0f} ms and <= {TARGET_RATIO:g}x the SQL query): "
          f"{'met' if ok else 'NOT met'}")


def run(url: str, tmp: str, profile: bool) -> tuple[list[str], bool]:
    ok = True
    app = create_app({"HOMEFINDER_ENV": "test", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "DOCUMENTS_DIR": f"{tmp}/documents", "REDIS_URL": None, "MAIL_SERVER": None})
    upgrade(app)
    recorder = RecordingDispatcher()
    app.extensions["homefinder.dispatcher"] = recorder
    rng = random.Random(2026)
    lines = []
    with app.app_context():
        start = time.perf_counter()
        council, dps = build(rng)
        lines.append(f"  build: {time.perf_counter() - start:6.2f} s")
        for label, shape in SHAPES.items():
            obj = referral(council, dps, shape)
            essential = [n.need_code for n in obj.needs if n.essential]
            start = time.perf_counter()
            eligible = db.session.execute(eligible_settings_query(obj, essential)).scalars().all()
            sql = time.perf_counter() - start
            dispatched = recorder.dispatched
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            start = time.perf_counter()
            rows = distribute(obj, None)
            db.commit()
            seconds = time.perf_counter() - start
            if profiler:
                profiler.disable()
                print(f"--- profile: {label}")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            dispatched = recorder.dispatched - dispatched
            fan_out = db.session.scalar(select(JobRun).where(JobRun.key == f"referral_invitations:{obj.id}"))
            if dispatched != 1 or fan_out is None:
                sys.exit(f"{label}: expected one fan-out job dispatched after commit, got {dispatched}")
            start = time.perf_counter()
            execute_job(fan_out.id)  # what a worker does next: inbox rows, emails and their send jobs (batches)
            fan_seconds = time.perf_counter() - start
            jobs = db.session.scalar(select(func.count()).select_from(EmailMessage).where(
                EmailMessage.key.like(f"referral_invitation:%:referral:{obj.id}")))
            invited = [r for r in rows if r.invited]
            matched = sum(len(r.setting_ids) for r in invited)
            if not {sid for r in invited for sid in r.setting_ids} <= set(eligible):
                sys.exit(f"{label}: distribute() matched settings the SQL query does not select")
            if jobs == 0 and invited:
                sys.exit(f"{label}: the fan-out job wrote no invitation emails")
            ok = ok and seconds <= TARGET_SECONDS and seconds <= TARGET_RATIO * sql
            lines.append(f"  {label}:\n    distribute(): {seconds:6.3f} s ({len(rows):,} providers considered, "
                         f"{len(invited):,} invited, {matched:,} settings matched, 1 fan-out job enqueued)\n"
                         f"    fan-out job (worker): {fan_seconds:6.3f} s ({jobs:,} inbox items and emails queued)\n"
                         f"    one SQL query: {sql:6.3f} s ({len(eligible):,} settings, before distance "
                         f"and preferences); ratio {seconds / sql:4.1f}x")
    app.extensions["homefinder.engine"].dispose()
    return lines, ok


if __name__ == "__main__":
    main()
