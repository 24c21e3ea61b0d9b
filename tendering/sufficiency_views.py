"""The commissioner's sufficiency dashboard: supply, demand, competition, outcomes, cost and market gaps,
each table with its chart and CSV/XLSX download (same URL and filters plus ?format=csv|xlsx&panel=<name>).

Placements officers see their own council; DPS managers also the whole consortium of their DPS(s) and may
filter by council. Choosing a council outside that scope is a 404, as for any object that is not theirs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from portal.core import cache
from portal.core.access import allow
from portal.models import LOT_KINDS
from tendering import competition_summary, exports_tabular, sufficiency, sufficiency_cost
from tendering.sufficiency_charts import render as render_chart

bp = Blueprint("sufficiency", __name__)
ROLES = ("placements_officer", "dps_manager")
PAGE_ROWS = 25  # longer tables (market gaps, supply, spot purchases) show their top rows; downloads have all

SECTIONS = (
    ("supply", "Supply", (sufficiency.supply,)),
    ("demand", "Demand", (sufficiency.demand_by_month, sufficiency.demand_by_age, sufficiency.demand_by_need)),
    ("competition", "Competition",
     (sufficiency.proposals_per_referral, sufficiency.declines, sufficiency.competition_summary)),
    ("outcomes", "Outcomes", (sufficiency.outcomes,)),
    ("cost", "Cost", (sufficiency_cost.cost_by_kind, sufficiency_cost.most_expensive, sufficiency_cost.savings,
                      sufficiency_cost.awards_by_kind, sufficiency_cost.spot_purchases)),
    ("gaps", "Market gaps", (sufficiency_cost.market_gaps,)),
)
PANELS = {
    "supply": sufficiency.supply, "demand_month": sufficiency.demand_by_month,
    "demand_age": sufficiency.demand_by_age, "demand_need": sufficiency.demand_by_need,
    "competition_proposals": sufficiency.proposals_per_referral, "competition_declines": sufficiency.declines,
    "competition_summary": sufficiency.competition_summary, "outcomes": sufficiency.outcomes,
    "cost_kind": sufficiency_cost.cost_by_kind, "cost_top": sufficiency_cost.most_expensive,
    "cost_savings": sufficiency_cost.savings, "cost_awards": sufficiency_cost.awards_by_kind,
    "cost_spot": sufficiency_cost.spot_purchases, "market_gaps": sufficiency_cost.market_gaps,
}


@dataclass
class FilterForm:
    date_from: str = ""
    date_to: str = ""
    lot: str = ""
    council: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _date(form: FilterForm, name: str, label: str) -> date | None:
    raw = getattr(form, name).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        form.errors[name] = f"{label} must be a real date, like 2026-04-01"
        return None


def _parse(scope: sufficiency.Scope) -> tuple[FilterForm, sufficiency.Filters | None]:
    today = date.today()
    args = request.args
    form = FilterForm(date_from=args.get("date_from", (today - timedelta(days=365)).isoformat()),
                      date_to=args.get("date_to", today.isoformat()), lot=args.get("lot", ""),
                      council=args.get("council", ""))
    date_from = _date(form, "date_from", "From")
    date_to = _date(form, "date_to", "To")
    if date_from and date_to and date_from > date_to:
        form.errors["date_to"] = "To must be the same as or after From"
    if form.lot and form.lot not in LOT_KINDS:
        form.errors["lot"] = "Select a lot from the list"
    allowed = [c.id for c in scope.councils]
    council_ids = tuple(allowed) if scope.consortium else (allowed[0],)
    if form.council:
        try:
            chosen = int(form.council)
        except ValueError:
            chosen = None
        if chosen not in allowed or (chosen != allowed[0] and not scope.consortium):
            abort(404)  # another council's figures: not theirs, as for any object
        council_ids = (chosen,)
    if form.errors:
        return form, None
    return form, sufficiency.Filters(council_ids=council_ids, dps_ids=scope.dps_ids, date_from=date_from,
                                     date_to=date_to, lot_kind=form.lot or None)


def _query() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k not in ("format", "panel")}


def _page(form: FilterForm, scope: sufficiency.Scope, sections_html: str = "", as_at=None, status: int = 200):
    return render_template("tendering/sufficiency.html", filter_form=form, scope=scope, lots=LOT_KINDS,
                           query=_query(), sections_html=Markup(sections_html), as_at=as_at,
                           cache_seconds=current_app.config["DASHBOARD_CACHE_SECONDS"]), status


def _sections_html(filters: sufficiency.Filters) -> str:
    """Every section's tables and charts, rendered. The same for everyone allowed these filters (the scope was
    checked in _parse), so the result is cached per filters and query string."""
    competition_summary.refresh_stale(filters.council_ids)  # usually nothing: the periodic job keeps it current
    sections = [(key, heading, [build(filters) for build in builders]) for key, heading, builders in SECTIONS]
    return render_template("tendering/_sufficiency_sections.html", sections=sections, chart=render_chart,
                           query=_query(), cell=_cell, page_rows=PAGE_ROWS,
                           suspended=sufficiency.suspended_settings(filters))


def _cell(value, kind: str) -> str:
    """A table cell as shown on the page (downloads keep the raw numbers)."""
    if value is None or value == "":
        return "Not known" if kind in ("number", "money", "percent") else ""
    if kind == "money":
        return f"−£{abs(value):,.2f}" if value < 0 else f"£{value:,.2f}"
    if kind == "percent":
        return f"{value:g}%"
    if kind == "date":
        return value.strftime("%-d %B %Y")
    if kind == "number" and isinstance(value, float):
        return f"{value:,.1f}"
    if kind == "number":
        return f"{value:,}"
    return str(value)


@bp.get("/sufficiency")
@allow(*ROLES)
def dashboard():
    scope = sufficiency.scope_for(current_user)
    form, filters = _parse(scope)
    fmt, panel = request.args.get("format"), request.args.get("panel")
    if filters is None:
        return _page(form, scope, status=400)
    if fmt is not None or panel is not None:
        if fmt not in exports_tabular.FORMATS or panel not in PANELS:
            form.errors["download"] = "Choose a table to download as CSV or XLSX"
            return _page(form, scope, status=400)
        competition_summary.refresh_stale(filters.council_ids)
        table = PANELS[panel](filters)
        return exports_tabular.download(table.headers, table.rows, f"sufficiency-{panel}-{date.today().isoformat()}",
                                        fmt, sheet_title=table.title)
    parts = ("sufficiency", filters, tuple(sorted(_query().items())))
    html, as_at = cache.remember(parts, current_app.config["DASHBOARD_CACHE_SECONDS"], lambda: _sections_html(filters))
    return _page(form, scope, html, as_at)
