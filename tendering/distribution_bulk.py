"""The set-based half of distribution (tendering/distribution.py): one SQL statement evaluates every
setting rule for every provider, and one INSERT writes the distribution list.

The statement returns one row per provider that has at least one setting: how many of its settings fail
each rule, its matching settings with their rank, whether it is admitted to the lot or suspended in the
DPS, and its referral preference. Python then only words the reasons (1,500 rows, not 10,000).

Semantics are those of the per-setting rules documented in distribution.py; in particular:
- distance: the set of known districts within `max_distance_miles` of the preferred district is computed
  once per (district, miles) from the centroid table, and a setting passes when its district (stripped,
  upper-cased, as `portal.geography.centroid` looks it up) is in that set; an unknown district, or an
  unknown preferred district, fails;
- avoided districts compare upper-cased, as before;
- rank: 0 places_free > 0 confirmed less than STALE_AFTER ago, 1 places_free > 0 but stale, 2 otherwise.
"""
from __future__ import annotations

from datetime import datetime
import json
from functools import lru_cache

from sqlalchemy import String, and_, bindparam, case, cast, func, insert, literal, not_, select, text

from portal.core import db
from portal.core.db import UTCDateTime
from portal.core.models import Organisation
from portal.geography import distance_miles, known_districts
from portal.models import STALE_AFTER, DpsApplication, ReferralPreference, Setting, Vacancy, dps_application_lot, \
    setting_need
from tendering.models import ReferralProvider

RANK_CURRENT, RANK_STALE, RANK_NONE = 0, 1, 2


@lru_cache(maxsize=256)
def districts_within(near: str, miles: float) -> frozenset[str]:
    """Known districts (centroid keys) no further than `miles` from `near` (empty if `near` is unknown)."""
    return frozenset(d for d in known_districts() if (m := distance_miles(near, d)) is not None and m <= miles)


def _flag(condition):
    """1 when the setting fails the rule, else 0 (portable: no boolean aggregates)."""
    return case((condition, 1), else_=0)


def _string_agg(expr):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(expr, literal(","))
    return func.group_concat(expr, literal(","))


def provider_rows(referral, setting_kinds, essential_codes: list[str], now: datetime, rule_keys: list[str]):
    """One row per provider with settings: provider_id, provider_name, total, fail_<rule> counts,
    matched ("id:rank,id:rank" or None), is_suspended, is_admitted, has_pref and the preference columns."""
    age, sex = referral.age, referral.sex
    flags = {
        "kind": _flag(Setting.kind.not_in(list(setting_kinds))) if setting_kinds else literal(1),
        "open": _flag(Setting.status != "open"),
        "registration": _flag(Setting.registration_status != "active"),
        "suspended": _flag(Setting.suspended.is_(True)),
        "inadequate": _flag(func.coalesce(Setting.overall_effectiveness, "") == "Inadequate"),
    }
    if age is not None:
        flags["age"] = _flag(not_(and_(Setting.min_age <= age, Setting.max_age >= age)))
    if sex == "female":
        flags["sex"] = _flag(Setting.accepts_female.is_not(True))
    elif sex == "male":
        flags["sex"] = _flag(Setting.accepts_male.is_not(True))
    if referral.preferred_district and referral.max_distance_miles:
        near = districts_within(referral.preferred_district.strip().upper(), referral.max_distance_miles)
        key = func.upper(func.trim(Setting.district))
        flags["distance"] = _flag(key.not_in(sorted(near))) if near else literal(1)
    if referral.avoid_districts:
        flags["avoid"] = _flag(func.upper(Setting.district).in_(sorted({d.upper() for d in referral.avoid_districts})))
    coverage = None
    if essential_codes:
        coverage = (select(setting_need.c.setting_id,
                           *[func.max(case((setting_need.c.need_code == code, 1), else_=0)).label(f"c{i}")
                             for i, code in enumerate(essential_codes)])
                    .where(setting_need.c.need_code.in_(essential_codes))
                    .group_by(setting_need.c.setting_id).subquery("coverage"))
        for i, code in enumerate(essential_codes):
            flags[f"need:{code}"] = _flag(func.coalesce(coverage.c[f"c{i}"], 0) == 0)
    missing = [key for key in rule_keys if key not in flags]
    if missing:  # every rule worded by distribution._rules must be evaluated here
        raise AssertionError(f"rules without a SQL flag: {missing}")

    rank = case((func.coalesce(Vacancy.places_free, 0) > 0,
                 case((Vacancy.confirmed_at <= now - STALE_AFTER, RANK_STALE), else_=RANK_CURRENT)),
                else_=RANK_NONE)
    names = {key: f"f{i}" for i, key in enumerate(flags)}
    failing = sum(flags.values()) if flags else literal(0)
    per_setting = (select(Setting.id.label("setting_id"), Setting.provider_id.label("provider_id"),
                          rank.label("rank"), failing.label("failing"),
                          *[flag.label(names[key]) for key, flag in flags.items()])
                   .join(Organisation, Organisation.id == Setting.provider_id)
                   .outerjoin(Vacancy, Vacancy.setting_id == Setting.id)
                   .where(Organisation.kind == "provider"))
    if coverage is not None:
        per_setting = per_setting.outerjoin(coverage, coverage.c.setting_id == Setting.id)
    per_setting = per_setting.subquery("per_setting")
    s = per_setting.c
    pair = case((s.failing == 0, cast(s.setting_id, String) + literal(":") + cast(s.rank, String)), else_=None)
    per_provider = (select(s.provider_id, func.count().label("total"), _string_agg(pair).label("matched"),
                           *[func.sum(s[names[key]]).label(names[key]) for key in flags])
                    .group_by(s.provider_id).subquery("per_provider"))
    admissions = (select(DpsApplication.provider_id,
                         func.max(case((DpsApplication.status == "suspended", 1), else_=0)).label("is_suspended"),
                         func.max(case((and_(DpsApplication.status == "admitted",
                                             dps_application_lot.c.lot_id == referral.lot_id), 1),
                                       else_=0)).label("is_admitted"))
                  .outerjoin(dps_application_lot, dps_application_lot.c.application_id == DpsApplication.id)
                  .where(DpsApplication.dps_id == referral.dps_id,
                         DpsApplication.status.in_(("admitted", "suspended")))
                  .group_by(DpsApplication.provider_id).subquery("admissions"))
    p = per_provider.c
    stmt = (select(p.provider_id, Organisation.name.label("provider_name"), p.total, p.matched,
                   *[p[names[key]].label(names[key]) for key in flags],
                   func.coalesce(admissions.c.is_suspended, 0).label("is_suspended"),
                   func.coalesce(admissions.c.is_admitted, 0).label("is_admitted"),
                   ReferralPreference.provider_id.is_not(None).label("has_pref"),
                   ReferralPreference.lot_kinds, ReferralPreference.min_age, ReferralPreference.max_age,
                   ReferralPreference.need_codes)
            .join(Organisation, Organisation.id == p.provider_id)
            .outerjoin(admissions, admissions.c.provider_id == p.provider_id)
            .outerjoin(ReferralPreference, ReferralPreference.provider_id == p.provider_id))
    rows = db.session.execute(stmt).all()
    return rows, names


def parse_matched(text: str | None) -> list[tuple[int, int]]:
    """"12:0,7:2" -> [(0, 12), (2, 7)] sorted by (rank, setting id)."""
    if not text:
        return []
    pairs = []
    for item in text.split(","):
        sid, _, rank = item.partition(":")
        pairs.append((int(rank), int(sid)))
    pairs.sort()
    return pairs


_INSERT_PG = text("""
INSERT INTO referral_provider (referral_id, provider_id, invited, reasons, setting_ids, rank, invited_at)
SELECT :referral_id, x.provider_id, x.invited, x.reasons, x.setting_ids, x.rank,
       CASE WHEN x.invited THEN :now END
FROM json_to_recordset(CAST(:data AS json))
     AS x(provider_id integer, invited boolean, reasons json, setting_ids json, rank integer)
""").bindparams(bindparam("now", type_=UTCDateTime()))


def insert_rows(referral_id: int, decisions: list[dict], now: datetime, *,
                load: bool = True) -> list[ReferralProvider]:
    """Write one ReferralProvider per decision with one INSERT; returns them, persistent, in decision order
    (or nothing when load=False: loading 1,500 ORM objects costs more than the insert).

    On PostgreSQL the rows travel as one JSON parameter (json_to_recordset): a multi-row VALUES list
    of 1,500 rows x 7 parameters costs more to build and parse than the insert itself."""
    if not decisions:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        data = json.dumps([{"provider_id": d["provider_id"], "invited": d["invited"], "reasons": d["reasons"],
                            "setting_ids": d["setting_ids"], "rank": d["rank"]} for d in decisions])
        db.session.execute(_INSERT_PG, {"referral_id": referral_id, "now": now, "data": data})
        if not load:
            return []
        loaded = {row.provider_id: row for row in db.session.scalars(
            select(ReferralProvider).where(ReferralProvider.referral_id == referral_id))}
        return [loaded[d["provider_id"]] for d in decisions]
    params = [{"referral_id": referral_id, "provider_id": d["provider_id"], "invited": d["invited"],
               "reasons": d["reasons"], "setting_ids": d["setting_ids"], "rank": d["rank"],
               "invited_at": now if d["invited"] else None} for d in decisions]
    if not load:
        db.session.execute(insert(ReferralProvider), params)
        return []
    result = db.session.scalars(
        insert(ReferralProvider).returning(ReferralProvider, sort_by_parameter_order=True), params)
    return list(result)
