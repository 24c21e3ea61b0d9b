"""The sufficiency picture's figures: pure query functions taking a Filters value, each returning a Table
(header, rows of plain values, and the chart that draws it). Aggregation happens in SQL (GROUP BY); Python
only folds a few grouped rows (postcode districts into areas) and takes medians, which SQLite lacks.

Scope: a placements officer sees only their own council's referrals and placements; a DPS manager also sees
every council of the DPS(s) their council belongs to. Supply (vacancies) is the market of those DPSs.
Nothing here identifies a child: no case reference, no referral free text; placements show only their code."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from statistics import median

from sqlalchemy import and_, case, func, or_, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import Organisation, User
from portal.models import (LOT_KINDS, RATINGS, STALE_AFTER, DpsApplication, Lot, Setting, Vacancy,
                           dps_application_lot, dps_council)
from tendering.models import DECLINE_REASONS, Referral, ReferralNeed, ReferralProvider
from tendering.models import ReferralCompetition as RC

CLOSED_OR_LATER = ("closed", "quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal")
AGE_BANDS = ("0–4", "5–10", "11–15", "16–17", "18+", "Not known")
PROPOSAL_BUCKETS = ("0", "1", "2", "3", "4", "5–10", "11+")
DEVON_BUCKET = "5–10"
NOT_INSPECTED = "Not yet inspected"


@dataclass(frozen=True)
class Filters:
    council_ids: tuple[int, ...]
    dps_ids: tuple[int, ...]
    date_from: date | None = None
    date_to: date | None = None
    lot_kind: str | None = None


@dataclass
class Chart:
    kind: str  # "bar" or "line"
    labels: list[str]
    values: list[float]
    unit: str = "number"  # number, money (pence), percent
    highlight: set[str] = field(default_factory=set)
    highlight_note: str = ""


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    kinds: list[str]  # per column: text, number, money (GBP as Decimal), percent
    rows: list[list]
    chart: Chart | None = None
    note: str = ""


@dataclass(frozen=True)
class Scope:
    councils: list[Organisation]  # the councils this user may see (their own first)
    dps_ids: tuple[int, ...]
    consortium: bool  # a DPS manager: may choose a council


def scope_for(user: User) -> Scope:
    own = db.session.get(Organisation, user.organisation_id)
    dps_ids = tuple(db.session.scalars(select(dps_council.c.dps_id).where(dps_council.c.council_id == own.id)))
    if not user.has_role("dps_manager"):
        return Scope([own], dps_ids, False)
    others = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(select(dps_council.c.council_id)
                                                       .where(dps_council.c.dps_id.in_(dps_ids))),
                                   Organisation.id != own.id).order_by(Organisation.name)).all()
    return Scope([own, *others], dps_ids, True)


# --- helpers ----------------------------------------------------------------------------------------

def pounds(pence) -> Decimal | None:
    return None if pence is None else (Decimal(int(round(pence))) / 100).quantize(Decimal("0.01"))


def percent(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def area(district: str | None) -> str:
    """The postcode area letters of a district: "SE6" → "SE"."""
    match = re.match(r"[A-Za-z]+", district or "")
    return match.group(0).upper() if match else "Not known"


def lot_label(kind: str | None) -> str:
    return LOT_KINDS[kind][0] if kind in LOT_KINDS else "No lot"


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def month_of(column):
    """'YYYY-MM' of a UTC timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def referral_conditions(f: Filters) -> list:
    conditions = [Referral.council_id.in_(f.council_ids), Referral.status != "draft"]
    if f.date_from:
        conditions.append(Referral.published_at >= _start(f.date_from))
    if f.date_to:
        conditions.append(Referral.published_at < _start(f.date_to + timedelta(days=1)))
    if f.lot_kind:
        conditions.append(Referral.lot_id.in_(select(Lot.id).where(Lot.kind == f.lot_kind)))
    return conditions


def competition_conditions(f: Filters) -> list:
    """The same filter as referral_conditions, on the referral_competition summary rows."""
    conditions = [RC.council_id.in_(f.council_ids)]
    if f.date_from:
        conditions.append(RC.published_at >= _start(f.date_from))
    if f.date_to:
        conditions.append(RC.published_at < _start(f.date_to + timedelta(days=1)))
    if f.lot_kind:
        conditions.append(RC.lot_kind == f.lot_kind)
    return conditions


def _fold(rows, key_index: int, value_indexes: tuple[int, ...], fold) -> dict:
    """Sum grouped SQL rows after mapping one key column (e.g. district → area)."""
    out: dict = {}
    for row in rows:
        key = tuple(fold(v) if i == key_index else v for i, v in enumerate(row) if i not in value_indexes)
        sums = out.setdefault(key, [0] * len(value_indexes))
        for n, i in enumerate(value_indexes):
            sums[n] += row[i] or 0
    return out


# --- supply -----------------------------------------------------------------------------------------

def _supply_pairs(f: Filters):
    """(lot kind, setting id) for every open home of a provider admitted to a lot of these DPSs."""
    kind_matches = or_(*[and_(Lot.kind == lot, Setting.kind.in_(kinds)) for lot, (_label, kinds) in LOT_KINDS.items()])
    query = (select(Lot.kind.label("lot_kind"), Setting.id.label("setting_id")).distinct()
             .select_from(Setting)
             .join(DpsApplication, and_(DpsApplication.provider_id == Setting.provider_id,
                                        DpsApplication.status == "admitted"))
             .join(dps_application_lot, dps_application_lot.c.application_id == DpsApplication.id)
             .join(Lot, Lot.id == dps_application_lot.c.lot_id)
             .where(Lot.dps_id.in_(f.dps_ids), kind_matches, Setting.status == "open"))
    if f.lot_kind:
        query = query.where(Lot.kind == f.lot_kind)
    return query.subquery()


def supply(f: Filters) -> Table:
    pairs = _supply_pairs(f)
    stale_before = utcnow() - STALE_AFTER
    rows = db.session.execute(
        select(pairs.c.lot_kind, Setting.district, Setting.overall_effectiveness, func.count(),
               func.sum(Vacancy.places_free), func.sum(case((Vacancy.confirmed_at <= stale_before, 1), else_=0)))
        .select_from(pairs).join(Setting, Setting.id == pairs.c.setting_id)
        .join(Vacancy, Vacancy.setting_id == Setting.id)
        .where(Vacancy.places_free > 0)
        .group_by(pairs.c.lot_kind, Setting.district, Setting.overall_effectiveness)).all()
    folded = _fold(rows, 1, (3, 4, 5), area)
    rating_order = {r: i for i, r in enumerate((*RATINGS, None))}
    out, by_lot = [], {}
    for (lot, where, rating), (homes, places, stale) in sorted(
            folded.items(), key=lambda kv: (lot_label(kv[0][0]), kv[0][1], rating_order.get(kv[0][2], 9))):
        out.append([lot_label(lot), where, rating or NOT_INSPECTED, homes, places, stale, percent(stale, homes)])
        by_lot[lot_label(lot)] = by_lot.get(lot_label(lot), 0) + places
    total = sum(r[3] for r in out)
    stale_total = sum(r[5] for r in out)
    return Table("supply", "Vacancies by lot, area and Ofsted rating",
                 ["Lot", "Area", "Ofsted rating", "Homes with vacancies", "Places free", "Stale", "Stale share (%)"],
                 ["text", "text", "text", "number", "number", "number", "percent"], out,
                 Chart("bar", list(by_lot), list(by_lot.values())),
                 note=f"{total} homes with vacancies; {stale_total} stale ({percent(stale_total, total) or 0}%), "
                      f"not confirmed for {STALE_AFTER.days} days or more. Current figures: the date range does not "
                      f"apply.")


def suspended_settings(f: Filters) -> int:
    pairs = _supply_pairs(f)
    return db.session.scalar(select(func.count(func.distinct(pairs.c.setting_id))).select_from(pairs)
                             .join(Setting, Setting.id == pairs.c.setting_id).where(Setting.suspended)) or 0


# --- demand -----------------------------------------------------------------------------------------

def demand_by_month(f: Filters) -> Table:
    month = month_of(RC.published_at)
    rows = db.session.execute(
        select(month, RC.lot_kind, func.count()).where(*competition_conditions(f))
        .group_by(month, RC.lot_kind).order_by(month, RC.lot_kind)).all()
    totals: dict[str, int] = {}
    for m, _kind, n in rows:
        totals[m] = totals.get(m, 0) + n
    totals = {m: totals.get(m, 0) for m in _months_between(min(totals), max(totals))} if totals else {}
    return Table("demand_month", "Referrals per month by kind", ["Month", "Lot", "Referrals"],
                 ["text", "text", "number"], [[m, lot_label(k), n] for m, k, n in rows],
                 Chart("line", list(totals), list(totals.values())))


def _months_between(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' from first to last, so the line chart shows months without referrals as zero."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _age_band():
    return case((Referral.age.is_(None), "Not known"), (Referral.age <= 4, "0–4"), (Referral.age <= 10, "5–10"),
                (Referral.age <= 15, "11–15"), (Referral.age <= 17, "16–17"), else_="18+")


def demand_by_age(f: Filters) -> Table:
    band = _age_band()
    counts = dict(db.session.execute(select(band, func.count()).select_from(Referral)
                                     .where(*referral_conditions(f)).group_by(band)).all())
    bands = [b for b in AGE_BANDS if b != "Not known" or counts.get(b)]
    return Table("demand_age", "Referrals by age band", ["Age band", "Referrals"], ["text", "number"],
                 [[b, counts.get(b, 0)] for b in bands], Chart("bar", bands, [counts.get(b, 0) for b in bands]))


def demand_by_need(f: Filters) -> Table:
    from portal.models import Need

    referrals = func.count(func.distinct(RC.referral_id))
    rows = db.session.execute(
        select(Need.label, referrals)
        .select_from(ReferralNeed).join(RC, RC.referral_id == ReferralNeed.referral_id)
        .join(Need, Need.code == ReferralNeed.need_code)
        .where(*competition_conditions(f)).group_by(Need.label, Need.position)
        .order_by(referrals.desc(), Need.position)).all()
    return Table("demand_need", "Referrals by need", ["Need", "Referrals"], ["text", "number"],
                 [[label, n] for label, n in rows], Chart("bar", [r[0] for r in rows], [r[1] for r in rows]))


# --- competition ------------------------------------------------------------------------------------

def proposals_per_referral(f: Filters) -> Table:
    counts = (select(RC.submitted.label("n")).where(*competition_conditions(f), RC.status.in_(CLOSED_OR_LATER))
              .subquery())
    n = counts.c.n
    bucket = case((n == 0, "0"), (n == 1, "1"), (n == 2, "2"), (n == 3, "3"), (n == 4, "4"), (n <= 10, "5–10"),
                  else_="11+")
    got = dict(db.session.execute(select(bucket, func.count()).select_from(counts).group_by(bucket)).all())
    values = [got.get(b, 0) for b in PROPOSAL_BUCKETS]
    return Table("competition_proposals", "Submitted proposals per referral",
                 ["Proposals per referral", "Referrals", "Devon's range (5 to 10)"], ["text", "number", "text"],
                 [[b, v, "yes" if b == DEVON_BUCKET else ""] for b, v in zip(PROPOSAL_BUCKETS, values)],
                 Chart("bar", list(PROPOSAL_BUCKETS), values, highlight={DEVON_BUCKET},
                       highlight_note="Devon's option appraisals drew 5 to 10 proposals per referral"),
                 note="Referrals whose deadline has passed (closed or later).")


def declines(f: Filters) -> Table:
    got = dict(db.session.execute(
        select(ReferralProvider.decline_reason, func.count()).select_from(ReferralProvider)
        .join(Referral, Referral.id == ReferralProvider.referral_id)
        .where(*referral_conditions(f), ReferralProvider.declined_at.is_not(None))
        .group_by(ReferralProvider.decline_reason)).all())
    labels = list(DECLINE_REASONS.values())
    values = [got.get(code, 0) for code in DECLINE_REASONS]
    return Table("competition_declines", "Declines by reason", ["Reason", "Declines"], ["text", "number"],
                 [[label, v] for label, v in zip(labels, values)], Chart("bar", labels, values))


def _days(start: datetime | date, end: datetime | date) -> float:
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds() / 86400
    return ((end.date() if isinstance(end, datetime) else end) - (start.date() if isinstance(start, datetime)
                                                                   else start)).days


def _median(values) -> float | None:
    values = list(values)
    return round(median(values), 1) if values else None


def competition_summary(f: Filters) -> Table:
    from tendering.models import Placement

    conditions = competition_conditions(f)
    closed, none_suitable = db.session.execute(
        select(func.count(), func.sum(case((RC.status == "no_suitable_proposal", 1), else_=0)))
        .where(*conditions, RC.status.in_(CLOSED_OR_LATER))).one()
    closed, none_suitable = closed or 0, none_suitable or 0
    to_award = db.session.execute(select(RC.published_at, RC.awarded_at)
                                  .where(*conditions, RC.awarded_at.is_not(None))).all()
    to_start = db.session.execute(select(RC.awarded_at, Placement.start_date)
                                  .join(Placement, Placement.referral_id == RC.referral_id)
                                  .where(*conditions, RC.awarded_at.is_not(None))).all()
    rows = [["Referrals closed or later", closed],
            ["Ended with no suitable proposal", none_suitable],
            ["Share ending with no suitable proposal (%)", percent(none_suitable, closed)],
            ["Median days from publishing to award", _median(_days(a, b) for a, b in to_award)],
            ["Median days from award to placement start", _median(_days(a, b) for a, b in to_start)]]
    return Table("competition_summary", "Competition outcomes and timing", ["Measure", "Value"], ["text", "number"],
                 rows)


# --- outcomes ---------------------------------------------------------------------------------------

def placement_conditions(f: Filters, dated: bool = True) -> list:
    from tendering.models import Placement

    conditions = [Placement.council_id.in_(f.council_ids)]
    if dated and f.date_from:
        conditions.append(Placement.start_date >= f.date_from)
    if dated and f.date_to:
        conditions.append(Placement.start_date <= f.date_to)
    if f.lot_kind:
        conditions.append(Placement.referral_id.in_(
            select(Referral.id).join(Lot, Lot.id == Referral.lot_id).where(Lot.kind == f.lot_kind)))
    return conditions


def outcomes(f: Filters) -> Table:
    from tendering.models import Placement

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    inside, inside_known, near, near_known, unplanned, ended = (v or 0 for v in db.session.execute(
        select(count_if(Placement.inside_council.is_(True)), count_if(Placement.inside_council.is_not(None)),
               count_if(Placement.distance_miles <= 20), count_if(Placement.distance_miles.is_not(None)),
               count_if(Placement.ended_planned.is_(False)), count_if(Placement.end_date.is_not(None)))
        .where(*placement_conditions(f))).one())
    rows = [["Inside the council's area", inside, inside_known, percent(inside, inside_known)],
            ["Within 20 miles of the home district", near, near_known, percent(near, near_known)],
            ["Unplanned endings", unplanned, ended, percent(unplanned, ended)]]
    return Table("outcomes", "Where children live and how placements end",
                 ["Measure", "Placements", "Out of", "Share (%)"], ["text", "number", "number", "percent"], rows,
                 Chart("bar", [r[0] for r in rows], [r[3] or 0 for r in rows], unit="percent"),
                 note="Placements starting in the date range; shares are of placements where the figure is known "
                      "(endings: of placements that have ended).")
