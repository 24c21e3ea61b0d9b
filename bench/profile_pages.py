"""Where a page's time goes: the P2 pages in-process, with the production configuration, on a kept market.

    . .services/env && .venv/bin/python bench/market.py --scale 0.1 --keep     # prints the market's URL
    . .services/env && .venv/bin/python bench/profile_pages.py --url postgresql+psycopg://…/homefinder_market_NNN
    … --profile 'provider inbox'      # and a cProfile of that page (top functions by own time)

For each page (the same accounts and pages as bench/load.py: the busiest provider's inbox, the busiest council's
referral list and evaluation matrix, its DPS manager's dashboard) it prints the median time of a request through
the Flask test client, the time inside SQL statements and their number, so what is left is Python: routing,
session, access checks, building the view's data and rendering the GOV.UK templates.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class SqlTimer:
    def __init__(self, engine):
        from sqlalchemy import event

        self.seconds, self.count, self._start = 0.0, 0, 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *args):
        self._start = time.perf_counter()

    def _after(self, *args):
        self.seconds += time.perf_counter() - self._start
        self.count += 1


def accounts(app):
    """(provider admin, placements officer, DPS manager, matrix referral ids) as bench/load.py picks them."""
    from sqlalchemy import func, select

    from portal.core import db
    from portal.core.models import User, UserRole
    from tendering.models import Proposal, Referral, ReferralProvider

    with app.app_context():
        provider = db.session.scalar(select(ReferralProvider.provider_id).where(ReferralProvider.invited.is_(True))
                                     .group_by(ReferralProvider.provider_id)
                                     .order_by(func.count().desc(), ReferralProvider.provider_id).limit(1))
        admin = db.session.scalar(select(User.id).where(User.organisation_id == provider).order_by(User.id).limit(1))
        council = db.session.scalar(select(Referral.council_id).group_by(Referral.council_id)
                                    .order_by(func.count().desc(), Referral.council_id).limit(1))

        def role(name):
            return db.session.scalar(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                     .where(User.organisation_id == council, UserRole.role == name)
                                     .order_by(User.id).limit(1))

        matrix_ids = list(db.session.scalars(
            select(Referral.id).join(Proposal, Proposal.referral_id == Referral.id)
            .where(Referral.council_id == council,
                   Referral.status.in_(("price_evaluated", "awarded", "placed")), Proposal.status == "submitted")
            .group_by(Referral.id).order_by(func.count().desc(), Referral.id).limit(20)))
        return admin, role("placements_officer"), role("dps_manager"), matrix_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="a market kept by bench/market.py --keep")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="append", default=[], help="page name to cProfile (repeatable)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from bench.dashboard import client_for
    from portal import create_app

    app = create_app({"HOMEFINDER_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.url,
                      "REDIS_URL": os.environ.get("TEST_REDIS_URL"), "SESSION_COOKIE_SECURE": False,
                      "MAIL_SERVER": None})
    admin, officer, manager, matrix_ids = accounts(app)
    pages = {"provider inbox": (admin, lambda i: "/invitations"),
             "referral list": (officer, lambda i: "/referrals"),
             "evaluation matrix": (officer, lambda i: f"/referrals/{matrix_ids[i % len(matrix_ids)]}/results"),
             "dashboard": (manager, lambda i: "/sufficiency")}
    timer = SqlTimer(app.extensions["homefinder.engine"])
    print(f"{'page':<20} {'median':>9} {'in SQL':>9} {'statements':>11} {'Python':>9}")
    for name, (user_id, path) in pages.items():
        client = client_for(app, user_id)
        for i in range(3):  # warm-up: templates, statement caches
            assert client.get(path(i)).status_code == 200, name
        times, sql, count = [], [], []
        for i in range(args.runs):
            timer.seconds, timer.count = 0.0, 0
            start = time.perf_counter()
            client.get(path(i))
            times.append(time.perf_counter() - start)
            sql.append(timer.seconds)
            count.append(timer.count)
        median, in_sql = statistics.median(times), statistics.median(sql)
        print(f"{name:<20} {median * 1000:>7.1f}ms {in_sql * 1000:>7.1f}ms {statistics.median(count):>11.0f} "
              f"{(median - in_sql) * 1000:>7.1f}ms", flush=True)
        if name in args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(args.runs):
                client.get(path(i))
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            out.write("\n--- by cumulative time ---\n")
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
