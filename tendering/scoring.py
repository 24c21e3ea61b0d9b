"""The arithmetic of evaluation (DESIGN.md, "Evaluation — outcomes before price"), as pure functions.

Quality: each outcome scored 0–4; weighted quality % = Σ(score/4 × weight) ÷ Σweight × 100.
Suitable: every moderated score ≥ the referral's minimum and quality % ≥ its threshold.
Price: weekly cost = core fee + additional services per week; price score = lowest suitable weekly cost ÷
this weekly cost × 100. Final score: quality/price weighting (default 70/30), or lowest price among suitable.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tendering.models import OUTCOMES

TWO_PLACES = Decimal("0.01")
DISAGREEMENT = 2  # panel scores this far apart are flagged for moderation


def _round(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def weights_or_equal(weights: Mapping[str, int] | None) -> dict[str, int]:
    """The referral's outcome weights; equal weights when none (or all zero) are set."""
    chosen = {code: int((weights or {}).get(code, 0) or 0) for code in OUTCOMES}
    return chosen if sum(chosen.values()) > 0 else {code: 1 for code in OUTCOMES}


def quality_percent(scores: Mapping[str, int], weights: Mapping[str, int] | None) -> Decimal:
    """Weighted quality percentage of a full set of outcome scores (0–4 each), to two decimal places."""
    chosen = weights_or_equal(weights)
    missing = [code for code in OUTCOMES if code not in scores]
    if missing:
        raise ValueError(f"No score for {', '.join(missing)}")
    total = sum(Decimal(scores[code]) / 4 * chosen[code] for code in OUTCOMES)
    return _round(total / sum(chosen.values()) * 100)


def is_suitable(scores: Mapping[str, int], weights: Mapping[str, int] | None, minimum: int, threshold: int) -> bool:
    return (all(scores[code] >= minimum for code in OUTCOMES)
            and quality_percent(scores, weights) >= Decimal(threshold))


def service_per_week_pence(unit_price_pence: int, quantity_per_week) -> int:
    return int((Decimal(unit_price_pence) * Decimal(str(quantity_per_week))).quantize(Decimal(1), ROUND_HALF_UP))


def weekly_cost_pence(core_fee_pence: int, services: Iterable) -> int:
    """Core fee plus every additional service's cost per week (unit price × quantity per week)."""
    return core_fee_pence + sum(service_per_week_pence(s.unit_price_pence, s.quantity_per_week) for s in services)


def price_score(lowest_pence: int, cost_pence: int) -> Decimal:
    return _round(Decimal(lowest_pence) / Decimal(cost_pence) * 100)


def final_score(method: str, quality_weight: int, quality: Decimal, price: Decimal) -> Decimal:
    if method == "lowest_price":
        return price
    return _round((Decimal(quality_weight) * quality + Decimal(100 - quality_weight) * price) / 100)


@dataclass
class Priced:
    """One suitable proposal's figures for the ranked matrix."""

    key: object
    quality: Decimal
    weekly_cost_pence: int
    price_score: Decimal | None = None
    final_score: Decimal | None = None
    rank: int | None = None


def rank(rows: list[Priced], method: str, quality_weight: int) -> list[Priced]:
    """Price scores, final scores and ranks (1 = best) for suitable proposals, best first.
    Ties: lowest price ranks on weekly cost then quality; weighting ranks on final score then quality then cost."""
    if not rows:
        return []
    lowest = min(row.weekly_cost_pence for row in rows)
    for row in rows:
        row.price_score = price_score(lowest, row.weekly_cost_pence)
        row.final_score = final_score(method, quality_weight, row.quality, row.price_score)
    if method == "lowest_price":
        ordered = sorted(rows, key=lambda r: (r.weekly_cost_pence, -r.quality))
    else:
        ordered = sorted(rows, key=lambda r: (-r.final_score, -r.quality, r.weekly_cost_pence))
    for position, row in enumerate(ordered, start=1):
        row.rank = position
    return ordered


def disagreement(scores: Iterable[int]) -> bool:
    """True when panel members' scores for one outcome differ by 2 points or more."""
    values = list(scores)
    return len(values) >= 2 and max(values) - min(values) >= DISAGREEMENT
