"""A national market in PostgreSQL, deterministic (seeded), loaded with COPY.

    . .services/env && .venv/bin/python bench/market.py                 # full size, throwaway database, dropped
    . .services/env && .venv/bin/python bench/market.py --scale 0.01    # smoke run
    .venv/bin/python bench/market.py --url postgresql://…/empty_db --keep   # into a database you name, kept

Full size (scale 1.0): 150 councils, 1,500 provider organisations, 10,000 settings (7,000 vacancies),
50,000 vacancy-history rows, 100,000 referrals, 1,000,000 invitations (referral_provider rows), 300,000
proposals, 1,500,000 panel scores, 200,000 audit rows, plus DPS admissions, needs, panel assignments,
awards (competition, spot purchase, a few rescinded) and placements for a share of the referrals.
`--scale` multiplies every count (at least one of each); where a tiny scale makes a count impossible
(e.g. ten invitations per referral with only two providers) it is capped, and the printed counts say so.

The database is migrated with Alembic first (the real schema: every check constraint, foreign key and
partial unique index applies while loading — one live proposal per provider per referral, one active award
per referral, quality locked before price, …). Ids are written explicitly; sequences are moved past them
afterwards, so the application can insert as usual. Ends with VACUUM ANALYZE, as a live database has its
statistics and visibility map. Without --url it creates its own database on TEST_DATABASE_URL and drops it
unless --keep. Prints seconds per table and the total.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.databases import create_database, drop_database, libpq_url, migrate  # noqa: E402

BASE = dict(councils=150, providers=1_500, settings=10_000, vacancy_history=50_000, referrals=100_000,
            invitations=1_000_000, proposals=300_000, scores=1_500_000, audit=200_000)
COUNCILS_PER_DPS = 10
PANEL_MEMBERS = 3  # per council; each scores every outcome of each scored proposal
OUTCOMES = ("be_healthy", "stay_safe", "enjoy_and_achieve", "positive_contribution", "economic_wellbeing")
LOTS = ("residential", "fostering", "supported_16_17", "parent_and_child", "solo_bespoke")
LOT_WEIGHTS = (50, 30, 10, 5, 5)
LOT_NAMES = {"residential": "Residential children's homes", "fostering": "Independent fostering",
             "supported_16_17": "Supported accommodation 16 to 17", "parent_and_child": "Parent and child",
             "solo_bespoke": "Solo and bespoke"}
SETTING_KINDS = ["childrens_home"] * 6 + ["independent_fostering"] * 2 + ["supported_accommodation", "secure",
                                                                           "parent_and_child"]
RATINGS = ("Outstanding", "Good", "Requires improvement to be good", "Inadequate")
LOT_FEE = {"residential": (400_000, 900_000), "solo_bespoke": (700_000, 1_500_000), "fostering": (80_000, 150_000),
           "supported_16_17": (150_000, 350_000), "parent_and_child": (200_000, 500_000)}
STATUS_WEIGHTS = {"draft": 3, "published": 7, "closed": 5, "quality_evaluated": 4, "price_evaluated": 3,
                  "awarded": 10, "placed": 45, "cancelled": 5, "no_suitable_proposal": 18}
CLOSED_OR_LATER = {"closed", "quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal"}
EVALUATED = {"quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal"}
PRICED = {"price_evaluated", "awarded", "placed"}
DECLINES = ("no_vacancy", "cannot_meet_needs", "location", "other")
AUDIT_ACTIONS = ("referral.published", "referral.closed", "proposal.submitted", "proposal.saved", "panel.scored",
                 "award.made", "vacancy.updated", "user.login")
AREAS = ["B", "BS", "CV", "DE", "E", "L", "LS", "M", "N", "NE", "NG", "S", "SE", "SW", "W", "WV", "BN", "CR", "EX",
         "HU", "LE", "NR", "OX", "PL", "PO", "RG", "SO", "ST", "TS", "YO"]
NULL = "\\N"


def plan(scale: float) -> dict[str, int]:
    """The target count of each headline table at this scale (before any cap a tiny scale forces)."""
    return {name: max(1, round(n * scale)) for name, n in BASE.items()}


# --- values -----------------------------------------------------------------------------------------

def ts(value: datetime | None) -> str:
    return NULL if value is None else value.strftime("%Y-%m-%d %H:%M:%S+00")


def d(value: date | None) -> str:
    return NULL if value is None else value.isoformat()


def v(value) -> str:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def allocate(rng: random.Random, caps: list[int], total: int, low: int, high: int) -> list[int]:
    """Per-item counts in [0, cap], each drawn from low..high, then nudged so they sum to total (capped at
    sum(caps))."""
    counts = [min(cap, rng.randint(low, high)) for cap in caps]
    total = min(total, sum(caps))
    diff = total - sum(counts)
    n = len(caps)
    while diff:
        i = rng.randrange(n)
        if diff > 0 and counts[i] < caps[i]:
            step = min(diff, caps[i] - counts[i], 1 + diff // n)
            counts[i] += step
            diff -= step
        elif diff < 0 and counts[i] > 0:
            step = min(-diff, counts[i], 1 + (-diff) // n)
            counts[i] -= step
            diff += step
    return counts


@dataclass
class Loader:
    conn: psycopg.Connection
    timings: list[tuple[str, int, float]] = field(default_factory=list)

    def copy(self, table: str, columns: tuple[str, ...], rows, started: float | None = None) -> int:
        """COPY rows (tuples of already-formatted text values) into table; records rows and seconds
        (generation included when started is given)."""
        start = time.perf_counter() if started is None else started
        n = 0
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                buffer = io.StringIO()
                for row in rows:
                    buffer.write("\t".join(row))
                    buffer.write("\n")
                    n += 1
                    if n % 50_000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        self.conn.commit()
        self.timings.append((table, n, time.perf_counter() - start))
        return n


# --- the market -------------------------------------------------------------------------------------

@dataclass
class Market:
    """What the benchmarks need to know about the generated market."""

    counts: dict[str, int]
    timings: list[tuple[str, int, float]]
    seconds: float
    dps_manager_id: int  # of the council with the most referrals
    placements_officer_id: int
    council_id: int


def build_market(url: str, scale: float = 1.0, seed: int = 2026, today: date | None = None) -> Market:
    """Generate the market into an empty, migrated database at url."""
    started = time.perf_counter()
    rng = random.Random(seed)
    target = plan(scale)
    today = today or datetime.now(timezone.utc).date()
    now = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)
    conn = psycopg.connect(libpq_url(url))
    conn.execute("SET synchronous_commit = off")
    if conn.execute("SELECT count(*) FROM organisation").fetchone()[0]:
        conn.close()
        raise SystemExit("This database already has organisations: use an empty, migrated one.")
    load = Loader(conn)
    C, P = target["councils"], target["providers"]
    n_dps = max(1, -(-C // COUNCILS_PER_DPS))

    # Organisations: councils 1..C, providers C+1..C+P.
    t = time.perf_counter()
    council_ids = list(range(1, C + 1))
    provider_ids = list(range(C + 1, C + P + 1))
    council_areas = {c: rng.sample(AREAS, 2) for c in council_ids}
    council_district = {c: [f"{a}{rng.randint(1, 20)}" for a in council_areas[c] for _ in range(3)]
                        for c in council_ids}
    org_rows = [(str(c), f"Bench Council {c}", "council", ts(now - timedelta(days=900)),
                 json.dumps(council_district[c])) for c in council_ids]
    org_rows += [(str(p), f"Bench Provider {p}", "provider", ts(now - timedelta(days=rng.randint(100, 900))), "[]")
                 for p in provider_ids]
    load.copy("organisation", ("id", "name", "kind", "created_at", "area_districts"), org_rows, t)

    # Users: per council a DPS manager, a placements officer and panel members; per provider an admin.
    t = time.perf_counter()
    users, roles = [], []
    council_users: dict[int, dict[str, list[int]]] = {}
    uid = 0
    for c in council_ids:
        mine = council_users[c] = {"dps_manager": [], "placements_officer": [], "panel_member": []}
        for role, k in (("dps_manager", 1), ("placements_officer", 1), ("panel_member", PANEL_MEMBERS)):
            for j in range(k):
                uid += 1
                users.append((str(uid), str(c), f"bench-{role.replace('_', '-')}-{j}-{c}@council.example",
                              f"Bench {role} {j} of {c}", "active", ts(now - timedelta(days=800))))
                roles.append((str(uid), str(uid), role))
                mine[role].append(uid)
    provider_user = {}
    for p in provider_ids:
        uid += 1
        provider_user[p] = uid
        users.append((str(uid), str(p), f"bench-admin-{p}@provider.example", f"Bench admin {p}", "active",
                      ts(now - timedelta(days=800))))
        roles.append((str(uid), str(uid), "provider_admin"))
    load.copy("user_account", ("id", "organisation_id", "email", "name", "status", "created_at"), users, t)
    load.copy("user_role", ("id", "user_id", "role"), roles)
    all_council_users = [u for c in council_ids for us in council_users[c].values() for u in us]

    # DPSs (one per ten councils, a regional consortium), their councils and five lots each.
    t = time.perf_counter()
    dps_ids = list(range(1, n_dps + 1))
    council_dps = {c: dps_ids[(c - 1) // COUNCILS_PER_DPS] for c in council_ids}
    load.copy("dps", ("id", "name", "created_at"),
              ((str(x), f"Bench Regional DPS {x}", ts(now - timedelta(days=900))) for x in dps_ids), t)
    load.copy("dps_council", ("dps_id", "council_id"), ((str(council_dps[c]), str(c)) for c in council_ids))
    lot_id = {(x, kind): (x - 1) * len(LOTS) + i + 1 for x in dps_ids for i, kind in enumerate(LOTS)}
    load.copy("lot", ("id", "dps_id", "kind", "name"),
              ((str(i), str(x), kind, LOT_NAMES[kind]) for (x, kind), i in lot_id.items()))

    # Admissions: each provider admitted to one to four DPSs (a few suspended), to some lots.
    t = time.perf_counter()
    apps, app_lots = [], []
    admitted: dict[int, list[int]] = {x: [] for x in dps_ids}
    for p in provider_ids:
        for x in rng.sample(dps_ids, min(n_dps, rng.randint(1, 4))):
            aid = len(apps) + 1
            status = "suspended" if rng.random() < 0.02 else "admitted"
            at = now - timedelta(days=rng.randint(30, 800))
            apps.append((str(aid), str(x), str(p), status, "{}", ts(at), ts(at + timedelta(days=10)), "f", ts(at),
                         ts(at)))
            if status == "admitted":
                admitted[x].append(p)
            app_lots += [(str(aid), str(lot_id[(x, kind)])) for kind in rng.sample(LOTS, rng.randint(1, 3))]
    load.copy("dps_application", ("id", "dps_id", "provider_id", "status", "questionnaire", "submitted_at",
                                  "decided_at", "extended", "created_at", "updated_at"), apps, t)
    load.copy("dps_application_lot", ("application_id", "lot_id"), app_lots)

    # Settings: every provider has at least one; 70% have a vacancy row.
    t = time.perf_counter()
    needs = [r[0] for r in conn.execute("SELECT code FROM need ORDER BY position, code")]
    S = target["settings"]
    setting_provider = [provider_ids[i % P] if i < P else rng.choice(provider_ids) for i in range(S)]
    provider_settings: dict[int, list[int]] = {p: [] for p in provider_ids}
    setting_rows, setting_needs = [], []
    for i in range(S):
        sid, p = i + 1, setting_provider[i]
        provider_settings[p].append(sid)
        district = f"{rng.choice(AREAS)}{rng.randint(1, 20)}"
        low = rng.choice([0, 8, 11, 13])
        setting_rows.append((
            str(sid), str(p), f"Bench Home {sid}", rng.choice(SETTING_KINDS),
            "active" if rng.random() < 0.97 else "cancelled",
            rng.choice(RATINGS) if rng.random() < 0.9 else NULL, str(rng.randint(1, 6)), str(low),
            str(rng.choice([16, 17])), v(rng.random() < 0.8), "t", f"{district} 1AA", district,
            "open" if rng.random() < 0.95 else "closed", v(rng.random() < 0.02), ts(now - timedelta(days=700))))
        setting_needs += [(str(sid), code) for code in rng.sample(needs, rng.randint(0, 8))]
    load.copy("setting", ("id", "provider_id", "name", "kind", "registration_status", "overall_effectiveness",
                          "registered_places", "min_age", "max_age", "accepts_male", "accepts_female", "postcode",
                          "district", "status", "suspended", "created_at"), setting_rows, t)
    load.copy("setting_need", ("setting_id", "need_code"), setting_needs)
    t = time.perf_counter()
    with_vacancy = sorted(rng.sample(range(1, S + 1), max(1, int(S * 0.7))))
    load.copy("vacancy", ("id", "setting_id", "places_free", "confirmed_at", "version"),
              ((str(i + 1), str(sid), str(rng.randint(0, 2)), ts(now - timedelta(hours=rng.randint(0, 24 * 20))), "1")
               for i, sid in enumerate(with_vacancy)), t)
    load.copy("vacancy_history", ("id", "setting_id", "places_free", "change", "recorded_at"),
              ((str(n + 1), str(rng.choice(with_vacancy)), str(rng.randint(0, 2)),
                "updated" if rng.random() < 0.6 else "confirmed", ts(now - timedelta(minutes=17 * n)))
               for n in range(target["vacancy_history"])))

    # Referrals over the last two years.
    t = time.perf_counter()
    R = target["referrals"]
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=R)
    # Bigger councils send more referrals (a skewed share), so one council has a realistic busy view.
    council_weight = [1 + 4 * (c % 7 == 0) + 10 * (c == 1) for c in council_ids]
    r_council = rng.choices(council_ids, weights=council_weight, k=R)
    r_lot = rng.choices(LOTS, weights=LOT_WEIGHTS, k=R)
    r_published: list[datetime | None] = []
    r_awarded: list[datetime | None] = []
    referral_rows, referral_needs = [], []
    for i in range(R):
        rid, status, c = i + 1, statuses[i], r_council[i]
        published = None if status == "draft" else now - timedelta(minutes=rng.randint(60, 730 * 24 * 60))
        if status == "published":  # still open: published within the last two days (deadline: three days on)
            published = now - timedelta(minutes=60 + int((now - published).total_seconds()) // 60 % (2 * 24 * 60))
        closed = published + timedelta(days=3) if status in CLOSED_OR_LATER else None
        locked = closed + timedelta(days=2) if status in EVALUATED else None
        revealed = locked + timedelta(hours=4) if status in PRICED else None
        awarded = revealed + timedelta(days=1) if status in ("awarded", "placed") else None
        placed = awarded + timedelta(days=rng.randint(1, 10)) if status == "placed" else None
        ended = (published or now) + timedelta(days=5) if status in ("cancelled", "no_suitable_proposal") else None
        r_published.append(published)
        r_awarded.append(awarded)
        age = rng.randint(0, 17) if rng.random() < 0.97 else (None if rng.random() < 0.5 else rng.randint(18, 20))
        home = rng.choice(council_district[c])
        referral_rows.append((
            str(rid), str(c), str(council_dps[c]), str(lot_id[(council_dps[c], r_lot[i])]),
            str(council_users[c]["placements_officer"][0]), status, v(age), rng.choice(("female", "male")), "1",
            home if rng.random() < 0.6 else NULL, home, "[]", v(rng.random() < 0.1),
            ts(published + timedelta(days=3)) if published else NULL, "2", "60", "quality_price", "70",
            json.dumps({code: 20 for code in OUTCOMES}),
            ts((published or now) - timedelta(hours=2)), ts(ended or placed or awarded or locked or closed or published
                                                            or now),
            ts(published), ts(closed), ts(ended if status == "cancelled" else None), ts(locked), ts(revealed),
            ts(awarded), ts(placed), ts(ended)))
        referral_needs += [(str(rid), code, rng.choice(("low", "medium", "high")), v(rng.random() < 0.4))
                           for code in rng.sample(needs, rng.randint(1, 4))]
    load.copy("referral", (
        "id", "council_id", "dps_id", "lot_id", "created_by_id", "status", "age", "sex", "group_size",
        "preferred_district", "home_district", "avoid_districts", "emergency", "response_deadline",
        "min_outcome_score", "quality_threshold", "price_method", "quality_weight", "outcome_weights", "created_at",
        "updated_at", "published_at", "closed_at", "cancelled_at", "quality_locked_at", "price_revealed_at",
        "awarded_at", "placed_at", "ended_at"), referral_rows, t)
    load.copy("referral_need", ("referral_id", "need_code", "severity", "essential"), referral_needs)
    del referral_rows, referral_needs

    # Invitations: the providers considered for each published referral (mostly invited), from the DPS's
    # admitted providers (all providers where a DPS has too few).
    t = time.perf_counter()
    live = [i for i in range(R) if statuses[i] != "draft"]
    pools = {x: admitted[x] if len(admitted[x]) >= 20 else provider_ids for x in dps_ids}
    caps = [len(pools[council_dps[r_council[i]]]) for i in live]
    per = allocate(rng, caps, target["invitations"], 4, 16)
    invited: dict[int, list[int]] = {}
    considered: dict[int, list[int]] = {}
    for i, k in zip(live, per):
        chosen = rng.sample(pools[council_dps[r_council[i]]], k)
        considered[i] = chosen
        invited[i] = [p for p in chosen if rng.random() < 0.9]
    # Proposals: from invited providers, one each (so never two live ones per provider and referral).
    proposal_caps = [len(invited[i]) for i in live]
    n_proposals = allocate(rng, proposal_caps, target["proposals"], 0, 6)
    proposers: dict[int, list[int]] = {i: invited[i][:k] for i, k in zip(live, n_proposals)}

    def invitation_rows():
        for i in live:
            proposing = set(proposers[i])
            invited_set = set(invited[i])
            at = r_published[i]
            for p in considered[i]:
                if p in invited_set:
                    declined = p not in proposing and rng.random() < 0.3
                    yield (str(i + 1), str(p), "t", "[]", json.dumps(provider_settings[p][:3]), str(rng.randint(0, 2)),
                           ts(at), ts(at + timedelta(hours=rng.randint(1, 60))) if declined else NULL,
                           rng.choice(DECLINES) if declined else NULL)
                else:
                    yield (str(i + 1), str(p), "f", json.dumps([rng.choice(("lot", "age", "needs", "distance"))]),
                           "[]", NULL, NULL, NULL, NULL)

    load.copy("referral_provider", ("referral_id", "provider_id", "invited", "reasons", "setting_ids", "rank",
                                    "invited_at", "declined_at", "decline_reason"), invitation_rows(), t)

    # Proposals (and what quality and price evaluation wrote).
    t = time.perf_counter()
    proposal_rows = []
    scored: list[tuple[int, int]] = []  # (proposal id, council) for submitted proposals of evaluated referrals
    best: dict[int, tuple[int, int, int, int]] = {}  # referral index -> (proposal, provider, setting, cost)
    second: dict[int, tuple[int, int, int, int]] = {}
    suitable_costs: dict[int, int] = {}
    pid = 0
    for i in live:
        status = statuses[i]
        at = r_published[i]
        lot = r_lot[i]
        submitted_ones = []
        for position, p in enumerate(proposers[i]):
            pid += 1
            roll = rng.random()
            if status == "published":
                pstatus = "submitted" if roll < 0.5 else "draft"
            elif status == "cancelled":
                pstatus = "withdrawn" if roll < 0.5 else "submitted"
            else:
                pstatus = "submitted" if roll < 0.85 else ("withdrawn" if roll < 0.95 else "draft")
            if status in ("awarded", "placed") and position == 0:
                pstatus = "submitted"  # the winner
            setting = rng.choice(provider_settings[p])
            low, high = LOT_FEE[lot]
            fee = rng.randrange(low, high, 5_000)
            created = at + timedelta(hours=rng.randint(1, 40))
            submitted = created + timedelta(hours=rng.randint(1, 24)) if pstatus == "submitted" else None
            withdrawn = created + timedelta(hours=30) if pstatus == "withdrawn" else None
            quality = suitable = cost = price_score = final = rank = blind = None
            if pstatus == "submitted":
                submitted_ones.append(pid)
                if status in CLOSED_OR_LATER:
                    blind = len(submitted_ones) - 1
                if status in EVALUATED:
                    if status == "no_suitable_proposal":
                        quality = rng.randint(1000, 5999) / 100
                    elif status in ("awarded", "placed") and position == 0:
                        quality = rng.randint(7000, 10000) / 100
                    else:
                        quality = rng.randint(3000, 10000) / 100
                    suitable = quality >= 60
                    scored.append((pid, r_council[i]))
                if status in PRICED and suitable:
                    cost = fee + rng.choice((0, 0, 0, 10_000, 25_000, 50_000))
                    price_score = rng.randint(5000, 10000) / 100
                    final = round(0.7 * quality + 0.3 * price_score, 2)
                    rank = position + 1
                    if i not in best:
                        best[i] = (pid, p, setting, cost)
                    elif i not in second:
                        second[i] = (pid, p, setting, cost)
            proposal_rows.append((
                str(pid), str(i + 1), str(p), str(setting) if pstatus != "draft" or roll < 0.5 else NULL, pstatus,
                str(1 if pstatus == "draft" else 2), "{}", "{}", d(at.date() + timedelta(days=7)),
                str(fee) if pstatus != "draft" or roll < 0.5 else NULL, "4", str(provider_user[p]), ts(created),
                ts(withdrawn or submitted or created), ts(submitted), ts(withdrawn), v(blind), v(quality), v(suitable),
                v(cost), v(price_score), v(final), v(rank)))
        if status in PRICED and i in best:
            suitable_costs[i] = best[i][3]
    load.copy("proposal", ("id", "referral_id", "provider_id", "setting_id", "status", "revision",
                           "outcome_answers", "need_answers", "start_date", "weekly_core_fee_pence",
                           "notice_period_weeks", "created_by_id", "created_at", "updated_at", "submitted_at",
                           "withdrawn_at", "blind_position", "quality_percent", "suitable", "weekly_cost_pence",
                           "price_score", "final_score", "rank"), proposal_rows, t)
    del proposal_rows

    # Panel: the council's panel members score every outcome of the submitted proposals of evaluated
    # referrals, until the planned number of scores is reached.
    t = time.perf_counter()
    S_target = target["scores"]

    def score_rows():
        n = 0
        for proposal, c in scored:
            for member in council_users[c]["panel_member"]:
                for outcome in OUTCOMES:
                    if n >= S_target:
                        return
                    n += 1
                    yield (str(proposal), str(member), outcome, str(rng.randint(0, 4)), "Evidence in the proposal",
                           ts(now - timedelta(days=1)))

    load.copy("panel_score", ("proposal_id", "user_id", "outcome", "score", "reason", "updated_at"), score_rows(), t)
    load.copy("panel_assignment", ("referral_id", "user_id", "assigned_at", "submitted_at"),
              ((str(i + 1), str(m), ts(r_published[i]), ts(r_published[i] + timedelta(days=4)))
               for i in live if statuses[i] in EVALUATED for m in council_users[r_council[i]]["panel_member"]))

    # Awards: awarded and placed referrals (competition when a proposal was suitable, else a spot purchase
    # with its rationale); a few earlier awards rescinded. Placements for placed referrals.
    t = time.perf_counter()
    award_rows, placement_rows = [], []
    awid = 0
    for i in live:
        if statuses[i] not in ("awarded", "placed"):
            continue
        c = r_council[i]
        officer = council_users[c]["placements_officer"][0]
        if i in second and rng.random() < 0.03:
            awid += 1
            prop, prov, setting, cost = second[i]
            award_rows.append((str(awid), str(i + 1), str(prop), "competition", "rescinded", str(prov), str(setting),
                               str(cost), "Provider could no longer offer the place", str(officer),
                               ts(r_awarded[i] - timedelta(hours=6))))
        awid += 1
        if i in best:
            prop, prov, setting, cost = best[i]
            kind, reason = "competition", None
        else:
            prov = rng.choice(proposers[i] or provider_ids)
            setting, prop = rng.choice(provider_settings[prov]), None
            cost = rng.randrange(*LOT_FEE[r_lot[i]], 5_000)
            kind, reason = "spot_purchase", "No suitable proposal; urgent placement needed"
        award_rows.append((str(awid), str(i + 1), v(prop), kind, "active", str(prov), str(setting), str(cost),
                           v(reason), str(officer), ts(r_awarded[i])))
        if statuses[i] == "placed":
            start = r_awarded[i].date() + timedelta(days=rng.randint(0, 14))
            core = max(5_000, cost - rng.choice((0, 0, 10_000)))
            ended = rng.random() < 0.3
            end = start + timedelta(days=rng.randint(20, 400)) if ended else None
            distance = rng.randint(0, 1200) / 10 if rng.random() < 0.9 else None
            placement_rows.append((
                str(len(placement_rows) + 1), str(awid), str(i + 1), str(c), str(prov), str(setting), d(start),
                str(core), "[]", str(cost), v(distance), v(None if distance is None else distance < 15),
                v(kind == "spot_purchase"), ts(datetime.combine(start, datetime.min.time(), tzinfo=timezone.utc)),
                d(end), v(None if end is None else rng.random() < 0.7), ts(r_awarded[i])))
    load.copy("award", ("id", "referral_id", "proposal_id", "kind", "status", "provider_id", "setting_id",
                        "weekly_cost_pence", "reason", "awarded_by_id", "awarded_at"), award_rows, t)
    load.copy("placement", ("id", "award_id", "referral_id", "council_id", "provider_id", "setting_id", "start_date",
                            "weekly_core_fee_pence", "additional_services", "weekly_cost_pence", "distance_miles",
                            "inside_council", "spot_purchase", "moved_in_at", "end_date", "ended_planned",
                            "created_at"), placement_rows)

    # Audit: a trail over referrals, proposals and users.
    t = time.perf_counter()
    load.copy("audit_event", ("id", "occurred_at", "actor_id", "organisation_id", "action", "object_type",
                              "object_id", "after"),
              ((str(n + 1), ts(now - timedelta(seconds=300 * n)), str(rng.choice(all_council_users)),
                str(rng.choice(council_ids)), action, action.split(".")[0], str(rng.randint(1, R)),
                '{"bench": true}') for n in range(target["audit"]) for action in (rng.choice(AUDIT_ACTIONS),)), t)

    # Sequences past the explicit ids; statistics and visibility map, as on a live database.
    t = time.perf_counter()
    for table in ("organisation", "user_account", "user_role", "dps", "lot", "dps_application", "setting",
                  "vacancy", "vacancy_history", "referral", "proposal", "award", "placement", "audit_event"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                     f"GREATEST((SELECT max(id) FROM {table}), 1))")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    load.timings.append(("(sequences, VACUUM ANALYZE)", 0, time.perf_counter() - t))
    counts = {table: n for table, n, _s in load.timings if n}
    busiest = conn.execute("SELECT council_id FROM referral GROUP BY council_id ORDER BY count(*) DESC, council_id "
                           "LIMIT 1").fetchone()[0]
    conn.close()
    return Market(counts, load.timings, time.perf_counter() - started,
                  council_users[busiest]["dps_manager"][0], council_users[busiest]["placements_officer"][0], busiest)


HEADLINE = dict(councils=("organisation", "councils"), providers=("organisation", "providers"),
                settings=("setting", None), vacancy_history=("vacancy_history", None), referrals=("referral", None),
                invitations=("referral_provider", None), proposals=("proposal", None), scores=("panel_score", None),
                audit=("audit_event", None))


def report(market: Market, scale: float) -> str:
    lines = [f"{'table':<30} {'rows':>11} {'seconds':>8}"]
    lines += [f"{table:<30} {n:>11,} {s:>8.2f}" for table, n, s in market.timings]
    lines.append(f"{'total (migration excluded)':<30} {sum(n for _t, n, _s in market.timings):>11,} "
                 f"{market.seconds:>8.2f}")
    capped = [f"{name} {market.counts.get(HEADLINE[name][0], 0):,} of {want:,}"
              for name, want in plan(scale).items() if HEADLINE[name][1] is None
              and market.counts.get(HEADLINE[name][0], 0) != want]
    if capped:
        lines.append("capped at this scale: " + ", ".join(capped))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count (0.01: smoke run)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--url", help="an empty database to migrate and fill (default: a throwaway one on "
                                      "TEST_DATABASE_URL)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database (its URL is printed)")
    args = parser.parse_args(argv)
    server = None if args.url else os.environ.get("TEST_DATABASE_URL")
    if not args.url and not server:
        sys.exit("Give --url or set TEST_DATABASE_URL (. .services/env)")
    url = args.url or create_database(server, f"homefinder_market_{os.getpid()}")
    try:
        start = time.perf_counter()
        migrate(url)
        migrated = time.perf_counter() - start
        market = build_market(url, args.scale, args.seed)
        print(f"Market at scale {args.scale:g} (seed {args.seed}); migration {migrated:.2f} s")
        print(report(market, args.scale))
        if args.keep:
            print(f"kept: {make_url(url).render_as_string(hide_password=True)}")
    finally:
        if server and not args.keep:
            drop_database(server, url)


if __name__ == "__main__":
    main()
