"""Finance export (issue #6, item 4): one row per placement, in the layout documented in
docs/finance-export.md, for loading into a council's payments system. Money is decimal pounds with
2 decimal places and no currency sign; dates are ISO 8601 (YYYY-MM-DD); yes/no flags."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core import db
from tendering import scoring
from tendering.models import Placement

HEADERS = ["placement_code", "council", "provider", "provider_companies_house_number", "setting_name", "setting_urn",
           "weekly_core_fee_gbp", "additional_services_per_week_gbp", "weekly_cost_gbp", "start_date", "end_date",
           "ended_planned", "spot_purchase"]


def pounds(pence: int) -> Decimal:
    return (Decimal(int(pence)) / 100).quantize(Decimal("0.01"))


def additional_per_week_pence(placement: Placement) -> int:
    """The agreed additional services' cost per week, summed (as stored on the placement at award)."""
    total = 0
    for service in placement.additional_services or []:
        per_week = service.get("per_week_pence")
        if per_week is None:
            per_week = scoring.service_per_week_pence(service["unit_price_pence"], service["quantity_per_week"])
        total += int(per_week)
    return total


def placements_for(council_ids: tuple[int, ...] | None = None) -> list[Placement]:
    stmt = select(Placement).options(selectinload(Placement.council), selectinload(Placement.provider),
                                     selectinload(Placement.setting))
    if council_ids is not None:
        stmt = stmt.where(Placement.council_id.in_(council_ids))
    return list(db.session.scalars(stmt.order_by(Placement.id)))


def row(placement: Placement) -> list:
    return [placement.code, placement.council.name, placement.provider.name,
            placement.provider.companies_house_number, placement.setting.name, placement.setting.urn,
            pounds(placement.weekly_core_fee_pence), pounds(additional_per_week_pence(placement)),
            pounds(placement.weekly_cost_pence), placement.start_date, placement.end_date, placement.ended_planned,
            bool(placement.spot_purchase)]


def rows(council_ids: tuple[int, ...] | None = None) -> list[list]:
    return [row(p) for p in placements_for(council_ids)]
