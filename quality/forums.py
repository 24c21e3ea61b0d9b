"""Provider forum aggregates: feedback themes by kind of home, and a provider's own scores beside the market.

Nothing but aggregates leaves this module, and any figure from fewer than MIN_GROUP responses is
suppressed. Because filters (kind of home, respondent type, period) can narrow a group, every figure is
computed for exactly the group the filters describe, and is also suppressed when it could be subtracted
from a coarser figure to reveal a small group (the "differencing" guard): for each coarser view of the
same kind of home (all respondent types, and each longer period), the difference must be 0 or at least
MIN_GROUP. A provider looking at the market also never sees a market figure whose responses from other
providers number 1 to MIN_GROUP - 1 (it could subtract its own). Moderated comments (approved or
redacted) appear only under a kind of home whose group is shown.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.models import SETTING_KINDS
from quality.models import RESPONDENT_TYPES, FeedbackResponse, FeedbackScore
from quality.themes import THEMES

MIN_GROUP = 5
SUPPRESSED = "Fewer than 5 responses"
PERIODS = {"all": ("All time", None), "12m": ("Last 12 months", 365), "3m": ("Last 3 months", 91)}
PERIOD_ORDER = ("3m", "12m", "all")  # narrowest first


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    respondent_type: str | None = None
    period: str = "all"

    def __post_init__(self):
        if self.kind is not None and self.kind not in SETTING_KINDS:
            raise ValueError("kind")
        if self.respondent_type is not None and self.respondent_type not in RESPONDENT_TYPES:
            raise ValueError("respondent_type")
        if self.period not in PERIODS:
            raise ValueError("period")

    def describe(self) -> str:
        return "; ".join([SETTING_KINDS[self.kind] if self.kind else "All kinds of home",
                          RESPONDENT_TYPES[self.respondent_type] if self.respondent_type else "All respondents",
                          PERIODS[self.period][0]])


@dataclass(frozen=True)
class Figure:
    n: int
    mean: float | None = None
    median: float | None = None
    shown: bool = False

    def text(self, attr: str = "mean") -> str:
        if not self.shown:
            return SUPPRESSED
        return f"{getattr(self, attr):.1f}"

    @property
    def count_text(self) -> str:
        return str(self.n) if self.shown else SUPPRESSED


@dataclass
class KindGroup:
    kind: str
    label: str
    responses: Figure
    themes: dict[str, Figure] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    response_id: int
    kind: str
    provider_id: int
    respondent_type: str
    submitted_at: object
    theme: str
    score: int


def _rows() -> list[_Row]:
    stmt = (select(FeedbackResponse.id, FeedbackResponse.setting_kind, FeedbackResponse.provider_id,
                   FeedbackResponse.respondent_type, FeedbackResponse.submitted_at, FeedbackScore.theme,
                   FeedbackScore.score)
            .join(FeedbackScore, FeedbackScore.response_id == FeedbackResponse.id))
    return [_Row(*r) for r in db.session.execute(stmt)]


def _since(period: str):
    days = PERIODS[period][1]
    return None if days is None else utcnow() - timedelta(days=days)


def _select(rows, *, kind=None, respondent_type=None, period="all", provider_id=None, theme=None):
    since = _since(period)
    return [r for r in rows if (kind is None or r.kind == kind)
            and (respondent_type is None or r.respondent_type == respondent_type)
            and (since is None or r.submitted_at >= since)
            and (provider_id is None or r.provider_id == provider_id)
            and (theme is None or r.theme == theme)]


def _n(rows) -> int:
    return len({r.response_id for r in rows})


def _coarser(respondent_type: str | None, period: str) -> list[tuple[str | None, str]]:
    """Every coarser view of a group: all respondent types, and each longer period (and both)."""
    types = {respondent_type, None}
    periods = PERIOD_ORDER[PERIOD_ORDER.index(period):]
    return [(t, p) for t in types for p in periods if (t, p) != (respondent_type, period)]


def safe(rows, *, kind, respondent_type, period, provider_id=None, viewer_provider_id=None) -> bool:
    """May the figure for this group be shown? (rows: every score row in the market)"""
    group = _select(rows, kind=kind, respondent_type=respondent_type, period=period, provider_id=provider_id)
    n = _n(group)
    if n < MIN_GROUP:
        return False
    for t, p in _coarser(respondent_type, period):
        difference = _n(_select(rows, kind=kind, respondent_type=t, period=p, provider_id=provider_id)) - n
        if 0 < difference < MIN_GROUP:
            return False
    if viewer_provider_id is not None and provider_id is None:
        others = n - _n([r for r in group if r.provider_id == viewer_provider_id])
        if 0 < others < MIN_GROUP:
            return False
    return True


def _figure(scores: list[int], n: int, shown: bool) -> Figure:
    if not shown or not scores:
        return Figure(n=n)
    return Figure(n=n, mean=round(statistics.fmean(scores), 2), median=float(statistics.median(scores)), shown=True)


def market(filters: Filters, viewer_provider_id: int | None = None, rows=None) -> list[KindGroup]:
    """Themes by kind of home across the market, for these filters."""
    rows = _rows() if rows is None else rows
    kinds = [filters.kind] if filters.kind else list(SETTING_KINDS)
    groups = []
    for kind in kinds:
        group = _select(rows, kind=kind, respondent_type=filters.respondent_type, period=filters.period)
        n = _n(group)
        shown = safe(rows, kind=kind, respondent_type=filters.respondent_type, period=filters.period,
                     viewer_provider_id=viewer_provider_id)
        result = KindGroup(kind, SETTING_KINDS[kind], Figure(n=n, shown=shown))
        for theme in THEMES:
            scores = [r.score for r in group if r.theme == theme]
            result.themes[theme] = _figure(scores, n, shown)
        if shown:
            result.comments = _comments({r.response_id for r in group})
        groups.append(result)
    return groups


def provider_comparison(provider_id: int, filters: Filters, rows=None) -> dict:
    """The provider's own scores per theme beside the market median (for the same filters)."""
    rows = _rows() if rows is None else rows
    kind, rtype, period = filters.kind, filters.respondent_type, filters.period
    own = _select(rows, kind=kind, respondent_type=rtype, period=period, provider_id=provider_id)
    everyone = _select(rows, kind=kind, respondent_type=rtype, period=period)
    own_n, market_n = _n(own), _n(everyone)
    own_shown = safe(rows, kind=kind, respondent_type=rtype, period=period, provider_id=provider_id)
    market_shown = safe(rows, kind=kind, respondent_type=rtype, period=period, viewer_provider_id=provider_id)
    themes = {}
    for theme in THEMES:
        themes[theme] = {
            "own": _figure([r.score for r in own if r.theme == theme], own_n, own_shown),
            "market": _figure([r.score for r in everyone if r.theme == theme], market_n, market_shown),
        }
    return {"own_responses": Figure(n=own_n, shown=own_shown), "market_responses": Figure(n=market_n,
                                                                                          shown=market_shown),
            "themes": themes}


def _comments(response_ids: set[int]) -> list[str]:
    if not response_ids:
        return []
    return list(db.session.scalars(
        select(FeedbackResponse.comment_shown)
        .where(FeedbackResponse.id.in_(response_ids), FeedbackResponse.comment_status.in_(("approved", "redacted")),
               FeedbackResponse.comment_shown.is_not(None))
        .order_by(FeedbackResponse.submitted_at.desc(), FeedbackResponse.id.desc())))


def shown_figures(groups: list[KindGroup], comparison: dict | None = None) -> list[Figure]:
    """Every figure a page or pack would show (for tests and the pack)."""
    figures = [g.responses for g in groups] + [f for g in groups for f in g.themes.values()]
    if comparison:
        figures += [comparison["own_responses"], comparison["market_responses"]]
        figures += [f for pair in comparison["themes"].values() for f in pair.values()]
    return [f for f in figures if f.shown]
