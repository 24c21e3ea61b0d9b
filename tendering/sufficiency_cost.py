"""The cost and market-gap figures of the sufficiency picture (see tendering/sufficiency.py for scope and
filters). Mode and mean weekly cost by kind of home in the shape of the council papers' table; the ten most
expensive current placements against their lot's median; savings from competition; spot purchases;
the needs × kind × area where referrals drew fewer than three suitable proposals."""
from __future__ import annotations

from collections import defaultdict
from statistics import median

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from portal.core import db
from portal.models import SETTING_KINDS, Lot, Need, Setting
from tendering.models import Award, Placement, Referral, ReferralNeed
from tendering.models import ReferralCompetition as RC
from tendering.sufficiency import (Chart, Filters, Table, competition_conditions, lot_label, month_of, percent,
                                   placement_conditions, pounds, referral_conditions)

GAP_THRESHOLD = 3
EVALUATED = ("quality_evaluated", "price_evaluated", "awarded", "placed", "no_suitable_proposal")


def cost_by_kind(f: Filters) -> Table:
    """Kind, number, mode and mean weekly cost. Mode: the most frequent weekly cost (ties: the lowest)."""
    grouped = db.session.execute(
        select(Setting.kind, Placement.weekly_cost_pence, func.count())
        .join(Setting, Setting.id == Placement.setting_id).where(*placement_conditions(f))
        .group_by(Setting.kind, Placement.weekly_cost_pence)).all()
    by_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for kind, cost, n in grouped:
        by_kind[kind].append((cost, n))
    rows = []
    for kind in sorted(by_kind, key=lambda k: list(SETTING_KINDS).index(k) if k in SETTING_KINDS else 99):
        pairs = by_kind[kind]
        number = sum(n for _cost, n in pairs)
        mode = min(pairs, key=lambda p: (-p[1], p[0]))[0]
        mean = sum(cost * n for cost, n in pairs) / number
        rows.append([SETTING_KINDS.get(kind, kind), number, pounds(mode), pounds(mean)])
    return Table("cost_kind", "Weekly cost by kind of home", ["Kind of home", "Number", "Mode (GBP a week)",
                                                               "Mean (GBP a week)"],
                 ["text", "number", "money", "money"], rows,
                 Chart("bar", [r[0] for r in rows], [float(r[3]) * 100 for r in rows], unit="money"),
                 note="Placements starting in the date range. The chart shows the mean; a single very expensive "
                      "placement pulls the mean far above the mode.")


def most_expensive(f: Filters, limit: int = 10) -> Table:
    """The most expensive current placements (no end date, whatever their start date) and the gap to the
    median weekly cost of current placements in the same lot."""
    current = [*placement_conditions(f, dated=False), Placement.end_date.is_(None)]
    lot_costs: dict[str | None, list[int]] = defaultdict(list)
    for kind, cost in db.session.execute(
            select(Lot.kind, Placement.weekly_cost_pence).join(Referral, Referral.id == Placement.referral_id)
            .outerjoin(Lot, Lot.id == Referral.lot_id).where(*current)).all():
        lot_costs[kind].append(cost)
    medians = {kind: median(costs) for kind, costs in lot_costs.items()}
    placements = db.session.scalars(
        select(Placement).where(*current).options(joinedload(Placement.provider), joinedload(Placement.setting),
                                                  joinedload(Placement.referral).joinedload(Referral.lot))
        .order_by(Placement.weekly_cost_pence.desc(), Placement.id).limit(limit)).all()
    rows = []
    for p in placements:
        kind = p.referral.lot.kind if p.referral.lot else None
        rows.append([p.code, p.provider.name, p.setting.name, lot_label(kind), pounds(p.weekly_cost_pence),
                     pounds(medians[kind]), pounds(p.weekly_cost_pence - medians[kind])])
    return Table("cost_top", f"The {limit} most expensive current placements",
                 ["Placement", "Provider", "Home", "Lot", "Weekly cost (GBP)", "Lot median (GBP)",
                  "Above lot median (GBP)"], ["text", "text", "text", "text", "money", "money", "money"], rows,
                 Chart("bar", [r[0] for r in rows], [p.weekly_cost_pence for p in placements], unit="money"),
                 note="Current placements (no end date), whatever their start date.")


def savings(f: Filters) -> Table:
    """Per month of award: Σ (median weekly cost of the referral's suitable proposals − awarded weekly cost).
    Positive: the award cost less than the typical suitable offer. Read from the referral_competition rows."""
    month = month_of(RC.awarded_at)
    per_month: dict[str, list] = {}
    for m, n, total in db.session.execute(
            select(month, func.count(), func.sum(RC.median_suitable_pence - RC.awarded_cost_pence))
            .where(*competition_conditions(f), RC.award_kind == "competition",
                   RC.median_suitable_pence.is_not(None), RC.awarded_at.is_not(None)).group_by(month)):
        per_month[m] = [n, total or 0]
    months = sorted(per_month)
    rows = [[m, per_month[m][0], pounds(per_month[m][1])] for m in months]
    total = sum(per_month[m][1] for m in months)
    return Table("cost_savings", "Savings against the median suitable proposal, per month of award",
                 ["Month", "Competitions awarded", "Savings a week (GBP)"], ["text", "number", "money"], rows,
                 Chart("bar", months, [per_month[m][1] for m in months], unit="money"),
                 note=f"Weekly savings across these months: £{pounds(total) or 0:,}. A negative figure means the "
                      f"award cost more than the median suitable proposal (for example, a better-quality choice).")


def awards_by_kind(f: Filters) -> Table:
    got = dict(db.session.execute(
        select(RC.award_kind, func.count()).where(*competition_conditions(f), RC.award_kind.is_not(None))
        .group_by(RC.award_kind)).all())
    total = sum(got.values())
    rows = [["Competition", got.get("competition", 0), percent(got.get("competition", 0), total)],
            ["Spot purchase", got.get("spot_purchase", 0), percent(got.get("spot_purchase", 0), total)]]
    return Table("cost_awards", "Awards by route", ["Route", "Awards", "Share (%)"], ["text", "number", "percent"],
                 rows, Chart("bar", [r[0] for r in rows], [r[1] for r in rows]),
                 note="Statutory guidance treats spot purchasing as a last resort needing a written rationale.")


def spot_purchases(f: Filters) -> Table:
    rows = db.session.execute(
        select(Award.awarded_at, Lot.kind, Award.provider_id, Setting.name, Award.weekly_cost_pence, Award.reason)
        .join(Referral, Referral.id == Award.referral_id).outerjoin(Lot, Lot.id == Referral.lot_id)
        .join(Setting, Setting.id == Award.setting_id)
        .where(*referral_conditions(f), Award.status == "active", Award.kind == "spot_purchase")
        .order_by(Award.awarded_at.desc())).all()
    from portal.core.models import Organisation

    names = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                    .where(Organisation.id.in_({r[2] for r in rows}))).all()) if rows else {}
    return Table("cost_spot", "Spot purchases and their rationale",
                 ["Awarded on", "Lot", "Provider", "Home", "Weekly cost (GBP)", "Rationale"],
                 ["date", "text", "text", "text", "money", "text"],
                 [[at.date(), lot_label(kind), names.get(pid, ""), home, pounds(cost), reason]
                  for at, kind, pid, home, cost, reason in rows])


def market_gaps(f: Filters) -> Table:
    """Needs × kind × area where evaluated referrals drew fewer than three suitable proposals, ranked."""
    grouped = db.session.execute(
        select(Need.label, RC.lot_kind, RC.area, func.count(), func.sum(case((RC.suitable == 0, 1), else_=0)))
        .select_from(RC).join(ReferralNeed, ReferralNeed.referral_id == RC.referral_id)
        .join(Need, Need.code == ReferralNeed.need_code)
        .where(*competition_conditions(f), RC.status.in_(EVALUATED), RC.suitable < GAP_THRESHOLD)
        .group_by(Need.label, RC.lot_kind, RC.area)).all()
    rows = sorted(([need, lot_label(kind), where, n, none or 0] for need, kind, where, n, none in grouped),
                  key=lambda r: (-r[3], -r[4], r[0], r[1], r[2]))
    top = rows[:10]
    return Table("market_gaps", f"Market gaps: fewer than {GAP_THRESHOLD} suitable proposals",
                 ["Need", "Lot", "Area", f"Referrals with fewer than {GAP_THRESHOLD} suitable proposals",
                  "Of which none suitable"], ["text", "text", "text", "number", "number"], rows,
                 Chart("bar", [f"{r[0]}, {r[1]}, {r[2]}" for r in top], [r[3] for r in top]),
                 note="Referrals whose quality evaluation is complete. A referral with several needs counts under "
                      "each need.")
