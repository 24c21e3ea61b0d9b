"""The referral_competition summary table: one narrow row per published referral with what its competition
drew (submitted and suitable proposals, the median suitable weekly cost) and how it ended (award route and
cost). The sufficiency picture reads it instead of joining 300,000 proposals at national scale.

A row records the referral's status when it was built; a referral whose status has moved on (or that has no
row) is stale. Every fact the row holds changes only with a status change: proposals are sealed once the
referral closes, suitability is fixed by the quality lock, awards move it to awarded or placed. So:
- a periodic job refreshes stale rows across the market (the dashboard rarely finds any), and
- the dashboard refreshes the few stale rows of the councils it is about to show, so it is never behind.
Refreshing is an upsert, safe to run twice at once."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from statistics import median

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import db
from portal.core.db import utcnow
from portal.models import Lot
from tendering.models import Award, Proposal, Referral, ReferralCompetition
from tendering.sufficiency import area

CHUNK = 1000


def stale_referral_ids(council_ids: Iterable[int] | None = None) -> list[int]:
    rc = ReferralCompetition
    query = (select(Referral.id).outerjoin(rc, rc.referral_id == Referral.id)
             .where(Referral.status != "draft", or_(rc.referral_id.is_(None), rc.status != Referral.status)))
    if council_ids is not None:
        query = query.where(Referral.council_id.in_(list(council_ids)))
    return list(db.session.scalars(query.order_by(Referral.id)))


def _rows(ids: list[int]) -> list[dict]:
    facts = db.session.execute(
        select(Referral.id, Referral.council_id, Lot.kind,
               func.coalesce(Referral.preferred_district, Referral.home_district), Referral.status,
               Referral.published_at, Referral.awarded_at)
        .outerjoin(Lot, Lot.id == Referral.lot_id).where(Referral.id.in_(ids))).all()
    counts = {rid: (submitted, suitable or 0) for rid, submitted, suitable in db.session.execute(
        select(Proposal.referral_id, func.count(), func.sum(case((Proposal.suitable.is_(True), 1), else_=0)))
        .where(Proposal.referral_id.in_(ids), Proposal.status == "submitted").group_by(Proposal.referral_id))}
    offers: dict[int, list[int]] = defaultdict(list)
    for rid, cost in db.session.execute(
            select(Proposal.referral_id, Proposal.weekly_cost_pence)
            .where(Proposal.referral_id.in_(ids), Proposal.status == "submitted", Proposal.suitable.is_(True),
                   Proposal.weekly_cost_pence.is_not(None))):
        offers[rid].append(cost)
    awards = {rid: (kind, cost) for rid, kind, cost in db.session.execute(
        select(Award.referral_id, Award.kind, Award.weekly_cost_pence)
        .where(Award.referral_id.in_(ids), Award.status == "active"))}
    now = utcnow()
    out = []
    for rid, council_id, lot_kind, district, status, published_at, awarded_at in facts:
        submitted, suitable = counts.get(rid, (0, 0))
        kind, cost = awards.get(rid, (None, None))
        out.append({"referral_id": rid, "council_id": council_id, "lot_kind": lot_kind, "area": area(district),
                    "status": status, "published_at": published_at, "awarded_at": awarded_at,
                    "submitted": submitted, "suitable": suitable,
                    "median_suitable_pence": round(median(offers[rid])) if offers.get(rid) else None,
                    "award_kind": kind, "awarded_cost_pence": cost, "refreshed_at": now})
    return out


def _upsert(rows: list[dict]) -> None:
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReferralCompetition)
    updates = {column: statement.excluded[column] for column in rows[0] if column != "referral_id"}
    # executemany: one cached statement, sent in batches (not a 13,000-parameter VALUES list compiled each time)
    db.session.execute(statement.on_conflict_do_update(index_elements=["referral_id"], set_=updates), rows)


def refresh(ids: Iterable[int]) -> int:
    """Rebuild the rows of these referrals (in the caller's transaction). Returns how many were written."""
    ids = list(ids)
    written = 0
    for start in range(0, len(ids), CHUNK):
        rows = _rows(ids[start:start + CHUNK])
        if rows:
            _upsert(rows)
            written += len(rows)
    return written


def refresh_stale(council_ids: Iterable[int] | None = None) -> int:
    """Refresh every stale row (of these councils, or of the whole market) and commit."""
    written = refresh(stale_referral_ids(council_ids))
    if written:
        db.commit()
    return written
