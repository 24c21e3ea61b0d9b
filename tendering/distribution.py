"""Matching and distribution (DESIGN.md "Matching and distribution").

`distribute(referral, actor)` runs once, when a referral is published: it considers every provider that
has at least one setting, writes one `ReferralProvider` row for each (invited or not, and why), and tells
every active provider_admin and provider_staff user of an invited provider, once, in the portal inbox and
by email. A second call is a no-op that returns the rows already written.

Queries are few and independent of the number of settings: one for the settings (joined to their
vacancy and organisation), one for the essential needs they cover, one for admissions, one for
preferences, one for recipients; the rules then run in Python over plain tuples.

Decisions:
- Preferences: `accepts(pref, lot.kind, age, essential_need_codes)`. Only the needs marked essential are
  passed, as for the setting specialisms: a non-essential need is something the council would like
  covered, and letting it silently exclude a provider would narrow the market more than the officer asked.
- A setting whose district (or the referral's preferred district) has no known centroid cannot be shown to
  be within the distance, so it is excluded when a distance limit applies.
- Rank: 0 a matching setting has places_free > 0 confirmed within STALE_AFTER; 1 a matching setting has
  places_free > 0 but the figure is stale; 2 otherwise (no vacancy row, or none free).
- A provider is suspended when any of its applications to this DPS is "suspended" (a suspended provider
  receives no new referrals from the DPS), whatever its other applications say.
- A non-invited provider keeps `setting_ids == []` and `rank is None`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, or_, select

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.core.models import Organisation, User, UserRole
from portal.geography import distance_miles
from portal.models import (LOT_KINDS, STALE_AFTER, DpsApplication, ReferralPreference, Setting, Vacancy,
                           dps_application_lot, setting_need)
from portal.preferences import accepts
from tendering.models import Referral, ReferralProvider

RECIPIENT_ROLES = ("provider_admin", "provider_staff")
RANK_CURRENT, RANK_STALE, RANK_NONE = 0, 1, 2


@dataclass(frozen=True)
class Rule:
    """One setting-level rule: `all_` when every home of the provider fails it, `some` otherwise."""

    key: str
    all_: str
    some: str

    def message(self, failing: int, total: int) -> str:
        return self.all_ if failing == total else f"{failing} of {total} homes: {self.some}"


def _link(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def existing_rows(referral: Referral) -> list[ReferralProvider]:
    rows = db.session.scalars(
        select(ReferralProvider).join(Organisation, Organisation.id == ReferralProvider.provider_id)
        .where(ReferralProvider.referral_id == referral.id)
        .order_by(ReferralProvider.invited.desc(), ReferralProvider.rank, Organisation.name, Organisation.id))
    return list(rows)


def _rules(referral: Referral, lot_label: str, essential: dict[str, str]) -> list[Rule]:
    age, sex, near, miles = referral.age, referral.sex, referral.preferred_district, referral.max_distance_miles
    rules = [
        Rule("kind", f"No home is of a kind in the {lot_label} lot", f"not of a kind in the {lot_label} lot"),
        Rule("open", "No home is open", "closed"),
        Rule("registration", "No home has an active registration", "registration not active"),
        Rule("suspended", "Every home is suspended from new referrals", "suspended from new referrals"),
        Rule("inadequate", "Home rated Inadequate", "rated Inadequate"),
    ]
    if age is not None:
        rules.append(Rule("age", f"No home accepts age {age}", f"age {age} not accepted"))
    if sex in ("female", "male"):
        who = "girls" if sex == "female" else "boys"
        rules.append(Rule("sex", f"No home accepts {who}", f"{who} not accepted"))
    if near and miles:
        rules.append(Rule("distance", f"No home within {miles} miles of {near}", f"more than {miles} miles from {near}"))
    if referral.avoid_districts:
        rules.append(Rule("avoid", "Every home is in an avoided district", "in an avoided district"))
    for code, label in essential.items():
        rules.append(Rule(f"need:{code}", f"No home covers essential need: {label}",
                          f"does not cover essential need: {label}"))
    return rules


def _failures(row, referral: Referral, setting_kinds, covered: set[str], essential) -> set[str]:
    """The keys of every rule this setting fails (an empty set: it matches)."""
    failed = set()
    if row.kind not in setting_kinds:
        failed.add("kind")
    if row.status != "open":
        failed.add("open")
    if row.registration_status != "active":
        failed.add("registration")
    if row.suspended:
        failed.add("suspended")
    if row.overall_effectiveness == "Inadequate":
        failed.add("inadequate")
    if referral.age is not None and not row.min_age <= referral.age <= row.max_age:
        failed.add("age")
    if (referral.sex == "female" and not row.accepts_female) or (referral.sex == "male" and not row.accepts_male):
        failed.add("sex")
    if referral.preferred_district and referral.max_distance_miles:
        miles = distance_miles(referral.preferred_district, row.district)
        if miles is None or miles > referral.max_distance_miles:
            failed.add("distance")
    if row.district.upper() in {d.upper() for d in referral.avoid_districts or ()}:
        failed.add("avoid")
    for code in essential:
        if code not in covered:
            failed.add(f"need:{code}")
    return failed


def _rank(row, now) -> int:
    if row.places_free and row.places_free > 0:
        return RANK_STALE if now - row.confirmed_at >= STALE_AFTER else RANK_CURRENT
    return RANK_NONE


def _admissions(referral: Referral) -> tuple[set[int], set[int]]:
    """(providers admitted to the referral's lot, providers suspended in the referral's DPS)."""
    admitted, suspended = set(), set()
    stmt = (select(DpsApplication.provider_id, DpsApplication.status, dps_application_lot.c.lot_id)
            .join(dps_application_lot, dps_application_lot.c.application_id == DpsApplication.id, isouter=True)
            .where(DpsApplication.dps_id == referral.dps_id, DpsApplication.status.in_(("admitted", "suspended"))))
    for provider_id, status, lot_id in db.session.execute(stmt):
        if status == "suspended":
            suspended.add(provider_id)
        elif lot_id == referral.lot_id:
            admitted.add(provider_id)
    return admitted, suspended


def evaluate(referral: Referral) -> list[dict]:
    """The decision for every provider with settings, without writing anything (the bench times this)."""
    lot = referral.lot
    setting_kinds = LOT_KINDS[lot.kind][1] if lot else ()
    lot_label = lot.name if lot else "referral's"
    essential = {n.need_code: n.need.label for n in referral.needs if n.essential}
    rules = _rules(referral, lot_label, essential)
    now = utcnow()

    settings = db.session.execute(
        select(Setting.id, Setting.provider_id, Setting.kind, Setting.status, Setting.registration_status,
               Setting.suspended, Setting.overall_effectiveness, Setting.min_age, Setting.max_age,
               Setting.accepts_male, Setting.accepts_female, Setting.district, Vacancy.places_free,
               Vacancy.confirmed_at, Organisation.name.label("provider_name"))
        .join(Organisation, Organisation.id == Setting.provider_id)
        .outerjoin(Vacancy, Vacancy.setting_id == Setting.id)
        .where(Organisation.kind == "provider")).all()
    covered: dict[int, set[str]] = defaultdict(set)
    if essential:
        for setting_id, code in db.session.execute(
                select(setting_need.c.setting_id, setting_need.c.need_code)
                .where(setting_need.c.need_code.in_(list(essential)))):
            covered[setting_id].add(code)
    admitted, suspended = _admissions(referral)
    prefs = {p.provider_id: p for p in db.session.scalars(select(ReferralPreference))}

    by_provider: dict[int, list] = defaultdict(list)
    for row in settings:
        by_provider[row.provider_id].append(row)
    decisions = []
    for provider_id, rows in by_provider.items():
        reasons: list[str] = []
        if provider_id in suspended:
            reasons.append("Suspended from new referrals")
        elif provider_id not in admitted:
            reasons.append(f"Not admitted to the {lot_label} lot")
        pref = prefs.get(provider_id)
        if pref is not None and lot is not None and not accepts(
                pref, lot.kind, referral.age if referral.age is not None else pref.min_age, set(essential)):
            reasons.append("Its referral preferences exclude this lot/age/need")
        failures = {row.id: _failures(row, referral, setting_kinds, covered[row.id], essential) for row in rows}
        matching = [row for row in rows if not failures[row.id]]
        if not matching:
            for rule in rules:
                failing = sum(1 for f in failures.values() if rule.key in f)
                if failing:
                    reasons.append(rule.message(failing, len(rows)))
        invited = not reasons
        ranked = sorted(((_rank(row, now), row.id) for row in matching)) if invited else []
        decisions.append({"provider_id": provider_id, "provider_name": rows[0].provider_name, "invited": invited,
                          "reasons": reasons, "setting_ids": [sid for _rank_, sid in ranked],
                          "rank": ranked[0][0] if ranked else None})
    decisions.sort(key=lambda d: (not d["invited"], d["rank"] if d["rank"] is not None else 9,
                                  d["provider_name"], d["provider_id"]))
    return decisions


def recipients(provider_ids) -> list[User]:
    """Active provider_admin and provider_staff users of these providers, each once."""
    if not provider_ids:
        return []
    return list(db.session.scalars(
        select(User).where(User.status == "active", User.organisation_id.in_(list(provider_ids)),
                           User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(RECIPIENT_ROLES))))
        .order_by(User.id)))


def distribute(referral: Referral, actor: User | None, *, send: bool = True) -> list[ReferralProvider]:
    """Write the distribution list for a just-published referral and invite the matching providers.

    Runs in the caller's transaction (the caller commits). Idempotent: if rows exist, returns them."""
    existing = existing_rows(referral)
    if existing:
        return existing
    now = utcnow()
    decisions = evaluate(referral)
    rows = [ReferralProvider(referral_id=referral.id, provider_id=d["provider_id"], invited=d["invited"],
                             reasons=d["reasons"], setting_ids=d["setting_ids"], rank=d["rank"],
                             invited_at=now if d["invited"] else None) for d in decisions]
    db.session.add_all(rows)
    db.session.flush()
    invited_ids = [d["provider_id"] for d in decisions if d["invited"]]
    users = recipients(invited_ids) if send else []
    if users:
        link = _link("invitations.detail", referral_id=referral.id)
        context = {"age": referral.age, "lot_name": referral.lot.name if referral.lot else None,
                   "deadline": referral.response_deadline, "emergency": referral.emergency}
        for user in users:
            notify(user, "referral_invitation", "referral", referral.id, link=link, **context)
    record("referral.distributed", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"considered": len(rows), "invited": len(invited_ids), "not_invited": len(rows) - len(invited_ids),
                  "notified_users": len(users)})
    return rows


# Kept for readers who want the SQL shape of eligibility (used by bench/distribute.py).
def eligible_settings_query(referral: Referral, essential_codes: list[str]):
    """One SQL query selecting the same eligible settings as evaluate() (distance and preferences aside)."""
    lot = referral.lot
    stmt = (select(Setting.id)
            .join(DpsApplication, and_(DpsApplication.provider_id == Setting.provider_id,
                                       DpsApplication.dps_id == referral.dps_id, DpsApplication.status == "admitted"))
            .join(dps_application_lot, and_(dps_application_lot.c.application_id == DpsApplication.id,
                                            dps_application_lot.c.lot_id == referral.lot_id))
            .where(Setting.kind.in_(LOT_KINDS[lot.kind][1]), Setting.status == "open",
                   Setting.registration_status == "active", Setting.suspended.is_(False),
                   or_(Setting.overall_effectiveness.is_(None), Setting.overall_effectiveness != "Inadequate"),
                   ~Setting.provider_id.in_(select(DpsApplication.provider_id).where(
                       DpsApplication.dps_id == referral.dps_id, DpsApplication.status == "suspended")),
                   ~Setting.district.in_(referral.avoid_districts or [""])))
    if referral.age is not None:
        stmt = stmt.where(Setting.min_age <= referral.age, Setting.max_age >= referral.age)
    if referral.sex == "female":
        stmt = stmt.where(Setting.accepts_female.is_(True))
    elif referral.sex == "male":
        stmt = stmt.where(Setting.accepts_male.is_(True))
    for code in essential_codes:
        stmt = stmt.where(Setting.id.in_(select(setting_need.c.setting_id).where(setting_need.c.need_code == code)))
    return stmt.distinct()
