"""Benchmark the Ofsted import: 10,000 settings, a 10,000-row Ofsted CSV.

    DATABASE_URL=postgresql://…/throwaway .venv/bin/python bench/ofsted_import.py
    .venv/bin/python bench/ofsted_import.py            # a temporary SQLite file

Use a throwaway database: the script migrates it and adds 10,000 settings (it refuses if they are
there already). The file changes 10% of the settings (ratings, dates, places), 20 of them to
Inadequate (suspension, emails to the provider admin and the DPS manager). Prints seconds for the
first import, the re-import (no changes) and plain parsing of the same file, measured in the same
run. Targets on PostgreSQL: first import ≤ 3 s, re-import ≤ 2 s.
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.core import db  # noqa: E402
from portal.core.auth import create_user  # noqa: E402
from portal.core.migrate import upgrade  # noqa: E402
from portal.core.models import Organisation  # noqa: E402
from portal.models import RATINGS, OfstedImport, Setting  # noqa: E402
from portal.ofsted import create_import, run_import  # noqa: E402
from portal.ofsted_csv import parse_ofsted_csv  # noqa: E402
from tests.factories_ofsted import make_ofsted_csv, ofsted_row  # noqa: E402

SETTINGS = 10_000
CHANGED = 1_000
TO_INADEQUATE = 20
URN_BASE = 3_000_000  # SC3000000…: 7-digit URNs, clear of the demo seed's 6-digit ones


def build(rng: random.Random) -> list[dict]:
    """Insert the settings (one statement) and return their rows as Ofsted would publish them."""
    if db.session.scalar(select(func.count()).where(Setting.urn == f"SC{URN_BASE}")):
        sys.exit("This database already has the benchmark's settings: use a fresh one.")
    provider = Organisation(name="Benchmark Care Ltd", kind="provider")
    council = Organisation(name="Benchmark Borough Council", kind="council")
    db.session.add_all([provider, council])
    db.session.flush()
    create_user(provider, "bench.admin@example.org", "Bench Admin", ["provider_admin"], password="bench-password-1")
    create_user(council, "bench.dps@example.org", "Bench DPS", ["dps_manager"], password="bench-password-1")
    ratings = [r for r in RATINGS if r != "Inadequate"]
    values = []
    for n in range(SETTINGS):
        values.append(dict(
            provider_id=provider.id, name=f"Bench Home {n}", urn=f"SC{URN_BASE + n}", kind="childrens_home",
            registration_status="active", overall_effectiveness=rng.choice(ratings),
            inspection_date=date(2024, 1, 1) + timedelta(days=rng.randint(0, 600)),
            registered_places=rng.randint(1, 6), min_age=0, max_age=17, accepts_male=True, accepts_female=True,
            postcode="SE6 4RU", district="SE6", status="open", suspended=False,
        ))
    db.session.execute(insert(Setting), values)
    db.commit()
    return values


def ofsted_file(values: list[dict], rng: random.Random) -> bytes:
    changed = set(rng.sample(range(SETTINGS), CHANGED))
    inadequate = set(rng.sample(sorted(changed), TO_INADEQUATE))
    rows = []
    for n, v in enumerate(values):
        fields = dict(urn=v["urn"], name=v["name"], registration_status="Active", places=v["registered_places"],
                      inspection_date=v["inspection_date"], overall_effectiveness=v["overall_effectiveness"])
        if n in inadequate:
            fields.update(overall_effectiveness="Inadequate", inspection_date=date(2026, 3, 3))
        elif n in changed:
            fields.update(overall_effectiveness=rng.choice(["Good", "Outstanding", "Requires improvement"]),
                          inspection_date=date(2026, 2, 1) + timedelta(days=n % 28), places=1 + n % 6)
        rows.append(ofsted_row(n, **fields))
    return make_ofsted_csv(rows)


def timed_import(data: bytes) -> tuple[float, OfstedImport]:
    start = time.perf_counter()
    imp = create_import(data, "bench.csv")
    db.commit()
    run_import(imp.id)
    elapsed = time.perf_counter() - start
    db.session.expire_all()
    return elapsed, db.session.get(OfstedImport, imp.id)


def measure(url: str, documents_dir: str) -> dict:
    """Build the settings and the file in the (migrated or empty) database at url, import twice, parse once.
    Returns seconds and counts; exits if the imports did not complete as expected."""
    app = create_app({"HOMEFINDER_ENV": "test", "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "DOCUMENTS_DIR": documents_dir, "REDIS_URL": None, "MAIL_SERVER": None})
    upgrade(app)
    rng = random.Random(2026)
    with app.app_context():
        data = ofsted_file(build(rng), rng)
        first, imp1 = timed_import(data)
        again, imp2 = timed_import(data)
        start = time.perf_counter()
        parsed = parse_ofsted_csv(data)
        parse = time.perf_counter() - start
        ok = imp1.status == imp2.status == "completed" and imp2.changes_count == 0
        result = dict(first=first, again=again, parse=parse, rows=len(parsed.rows), bytes=len(data),
                      changes=imp1.changes_count, suspended=len(imp1.report["suspended"]),
                      changes2=imp2.changes_count)
    app.extensions["homefinder.engine"].dispose()
    if not ok:
        sys.exit("The imports did not complete as expected")
    return result


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        r = measure(url, f"{tmp}/documents")
    backend = url.split(":", 1)[0]
    print(f"Ofsted import benchmark on {backend}: {SETTINGS:,} settings, {r['rows']:,}-row file "
          f"({r['bytes'] / 1e6:.1f} MB)")
    print(f"  first import: {r['first']:6.2f} s  ({r['changes']:,} field changes, {r['suspended']} suspended; "
          "target <= 3 s on PostgreSQL)")
    print(f"  re-import:    {r['again']:6.2f} s  ({r['changes2']:,} changes; target <= 2 s on PostgreSQL)")
    print(f"  parsing only: {r['parse']:6.2f} s  (baseline: the same file through parse_ofsted_csv)")


if __name__ == "__main__":
    main()
