"""Exports page (blueprint "exports"): the OCDS release package of awarded competitions and the finance
CSV/XLSX of placements. A placements officer gets their own council's; a DPS manager the consortium's
(every council of their DPS). No object ids in the URLs: the scope comes from the signed-in user."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from portal.core import db
from portal.core.access import allow
from portal.core.audit import record
from tendering import exports_tabular, finance, ocds
from tendering.sufficiency import Scope, scope_for

bp = Blueprint("exports", __name__)
ROLES = ("placements_officer", "dps_manager")


def _council_ids(scope: Scope) -> tuple[int, ...]:
    return tuple(c.id for c in scope.councils) if scope.consortium else (scope.councils[0].id,)


def _referrals(scope: Scope):
    if scope.consortium:
        return ocds.referrals_for(dps_ids=scope.dps_ids)
    return ocds.referrals_for(council_ids=_council_ids(scope))


def _page(scope: Scope, errors: dict | None = None, status: int = 200):
    return render_template("tendering/exports.html", scope=scope, errors=errors or {},
                           awarded=len(_referrals(scope)), placements=len(finance.placements_for(_council_ids(scope))),
                           prefix=ocds.default_prefix()), status


@bp.get("/exports")
@allow(*ROLES)
def index():
    return _page(scope_for(current_user))


@bp.get("/exports/ocds.json")
@allow(*ROLES)
def ocds_package():
    scope = scope_for(current_user)
    package = ocds.package(_referrals(scope))
    if not package["releases"]:
        return _page(scope, {"ocds": "There are no awarded competitions to export yet"}, 400)
    record("export.ocds", "organisation", current_user.organisation_id, actor=current_user,
           organisation_id=current_user.organisation_id, after={"releases": len(package["releases"])})
    db.commit()
    response = Response(ocds.dumps(package), content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exports_tabular.safe_filename(f"ocds-{date.today().isoformat()}", "json")}"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/finance")
@allow(*ROLES)
def finance_export():
    scope = scope_for(current_user)
    fmt = request.args.get("format", "csv")
    if fmt not in exports_tabular.FORMATS:
        return _page(scope, {"finance": "Choose CSV or XLSX"}, 400)
    rows = finance.rows(_council_ids(scope))
    record("export.finance", "organisation", current_user.organisation_id, actor=current_user,
           organisation_id=current_user.organisation_id, after={"rows": len(rows), "format": fmt})
    db.commit()
    return exports_tabular.download(finance.HEADERS, rows, f"finance-placements-{date.today().isoformat()}", fmt,
                                    sheet_title="Placements")
