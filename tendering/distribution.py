"""Matching and distribution (DESIGN.md "Matching and distribution").

`distribute(referral, actor)` runs once, when a referral is published: it considers every provider that
has at least one setting, writes one `ReferralProvider` row for each (invited or not, and why), and
queues ONE job, `send_invitations(referral_id)`, that tells every active provider_admin and provider_staff
user of an invited provider, once, in the portal inbox and by email (idempotent keys per user, so a retry
sends nothing twice). Publishing therefore costs the evaluation and one INSERT, however many recipients.
A second call is a no-op that returns the rows already written.

Queries are few and independent of the number of settings and providers: one statement evaluates every
setting rule in SQL and returns one row per provider (rule failure counts, matching settings and their
rank, admission, suspension, preference: tendering/distribution_bulk.py), one bulk INSERT writes the
distribution list, and the fan-out job finds the recipients and lets portal.core.bulk_mail.notify_many write their
inbox rows, emails and jobs with a few multi-row INSERTs (rendering the template once per referral).

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

from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import lazyload

from portal.core import db
from portal.core.audit import record
from portal.core.db import utcnow
from portal.core.bulk_mail import notify_many
from portal.core.jobs import enqueue
from portal.core.models import Organisation, User, UserRole
from portal.models import LOT_KINDS, DpsApplication, Setting, dps_application_lot, setting_need
from portal.preferences import accepts
from tendering import distribution_bulk as bulk
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


def rows_query(referral: Referral):
    """The distribution list: invited first, best rank first, then by provider name (provider id breaks ties)."""
    return (select(ReferralProvider).join(Organisation, Organisation.id == ReferralProvider.provider_id)
            .where(ReferralProvider.referral_id == referral.id)
            .order_by(ReferralProvider.invited.desc(), ReferralProvider.rank, Organisation.name, Organisation.id))


def existing_rows(referral: Referral) -> list[ReferralProvider]:
    return list(db.session.scalars(rows_query(referral)))


def counts(referral: Referral) -> dict[str, int]:
    """Providers considered, invited, not invited and declined for the referral: one query, every row."""
    considered, invited, declined = db.session.execute(
        select(func.count(), func.count().filter(ReferralProvider.invited),
               func.count().filter(ReferralProvider.declined_at.is_not(None)))
        .where(ReferralProvider.referral_id == referral.id)).one()
    return {"considered": considered, "invited": invited, "not_invited": considered - invited, "declined": declined}


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


def evaluate(referral: Referral) -> list[dict]:
    """The decision for every provider with settings, without writing anything (the bench times this).

    The setting rules run in SQL (tendering/distribution_bulk.py): one statement returns, per provider,
    how many of its settings fail each rule and its matching settings with their rank; the reasons are
    worded here from those counts."""
    lot = referral.lot
    setting_kinds = LOT_KINDS[lot.kind][1] if lot else ()
    lot_label = lot.name if lot else "referral's"
    essential = {n.need_code: n.need.label for n in referral.needs if n.essential}
    rules = _rules(referral, lot_label, essential)
    now = utcnow()
    rows, names = bulk.provider_rows(referral, setting_kinds, list(essential), now, [r.key for r in rules])
    essential_set = set(essential)
    decisions = []
    for row in rows:
        reasons: list[str] = []
        if row.is_suspended:
            reasons.append("Suspended from new referrals")
        elif not row.is_admitted:
            reasons.append(f"Not admitted to the {lot_label} lot")
        if row.has_pref and lot is not None and not accepts(
                row, lot.kind, referral.age if referral.age is not None else row.min_age, essential_set):
            reasons.append("Its referral preferences exclude this lot/age/need")
        ranked = bulk.parse_matched(row.matched)
        if not ranked:
            for rule in rules:
                failing = row._mapping[names[rule.key]]
                if failing:
                    reasons.append(rule.message(int(failing), row.total))
        invited = not reasons
        if not invited:
            ranked = []
        decisions.append({"provider_id": row.provider_id, "provider_name": row.provider_name, "invited": invited,
                          "reasons": reasons, "setting_ids": [sid for _rank_, sid in ranked],
                          "rank": ranked[0][0] if ranked else None})
    decisions.sort(key=lambda d: (not d["invited"], d["rank"] if d["rank"] is not None else 9,
                                  d["provider_name"], d["provider_id"]))
    return decisions


def recipients(provider_ids, *, light: bool = False) -> list[User]:
    """Active provider_admin and provider_staff users of these providers, each once.

    light: do not eager-load the users' organisation and roles (the invitation needs id, email, name)."""
    if not provider_ids:
        return []
    stmt = (select(User).where(User.status == "active", User.organisation_id.in_(list(provider_ids)),
                               User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(RECIPIENT_ROLES))))
            .order_by(User.id))
    if light:
        stmt = stmt.options(lazyload("*"))
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Considered:
    """One provider on a referral's distribution list, as written (the ReferralProvider row's values)."""

    referral_id: int
    provider_id: int
    invited: bool
    reasons: list
    setting_ids: list
    rank: int | None


def _considered(row) -> Considered:
    return Considered(row.referral_id, row.provider_id, row.invited, list(row.reasons or []),
                      list(row.setting_ids or []), row.rank)


def distribute(referral: Referral, actor: User | None, *, send: bool = True) -> list[Considered]:
    """Write the distribution list for a just-published referral and queue the invitations' fan-out job.

    Runs in the caller's transaction (the caller commits; the job runs after the commit). Idempotent: if
    rows exist, returns them. Returns one record per provider considered, invited first, best first."""
    existing = existing_rows(referral)
    if existing:
        return [_considered(row) for row in existing]
    now = utcnow()
    decisions = evaluate(referral)
    bulk.insert_rows(referral.id, decisions, now, load=False)
    invited = sum(1 for d in decisions if d["invited"])
    if send and invited:
        enqueue(send_invitations, referral.id, key=f"referral_invitations:{referral.id}")
    record("referral.distributed", "referral", referral.id, actor=actor, organisation_id=referral.council_id,
           after={"considered": len(decisions), "invited": invited, "not_invited": len(decisions) - invited})
    return [Considered(referral.id, d["provider_id"], d["invited"], d["reasons"], d["setting_ids"], d["rank"])
            for d in decisions]


def send_invitations(referral_id: int) -> int:
    """Job: tell every active user of every invited provider, once (inbox + email). Safe to retry: each
    message has an idempotency key per user and referral. Returns how many users were told."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.status == "draft":
        return 0
    invited_ids = list(db.session.scalars(select(ReferralProvider.provider_id).where(
        ReferralProvider.referral_id == referral_id, ReferralProvider.invited.is_(True))))
    users = recipients(invited_ids, light=True)
    if users:
        link = _link("invitations.detail", referral_id=referral.id)
        context = {"age": referral.age, "lot_name": referral.lot.name if referral.lot else None,
                   "deadline": referral.response_deadline, "emergency": referral.emergency}
        notify_many(users, "referral_invitation", "referral", referral.id, link=link, **context)
    record("referral.invitations_sent", "referral", referral.id, organisation_id=referral.council_id,
           after={"providers": len(invited_ids), "notified_users": len(users)})
    return len(users)  # the job runner commits these rows with the run's success, then sends the emails


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
