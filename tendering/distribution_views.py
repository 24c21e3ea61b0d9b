"""The officer's distribution list: every provider considered for a referral, invited or not, and why."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from portal.core import db, tabular
from portal.core.access import allow, owned
from portal.core.db import utcnow
from portal.core.paging import PAGE_SIZE, page_number, page_of
from portal.models import STALE_AFTER, Setting
from tendering import distribution as matching  # the module; `distribution` is this page's view
from tendering.models import Referral

bp = Blueprint("distribution", __name__)


def own_council_referral(user, referral_id: int, **_) -> Referral | None:
    referral = db.session.get(Referral, referral_id)
    return referral if referral is not None and referral.council_id == user.organisation_id else None


def _vacancy_state(setting: Setting, now) -> str:
    vacancy = setting.vacancy
    if vacancy is None or vacancy.places_free <= 0:
        return "No vacancy"
    places = f"{vacancy.places_free} place{'s' if vacancy.places_free != 1 else ''} free"
    return f"{places} (not confirmed for over {STALE_AFTER.days} days)" if now - vacancy.confirmed_at >= STALE_AFTER \
        else places


@bp.get("/referrals/<int:referral_id>/distribution")
@allow("placements_officer", owner=own_council_referral)
def distribution(referral_id: int):
    referral = owned()
    if request.args.get("format") is not None:  # the download: every provider considered, not one page
        rows = matching.existing_rows(referral)
        homes = _homes(rows)
        return tabular.maybe_download(request, ("Provider", "Invited", "Declined",
                                                "Matching homes, or why not invited"), [
            (row.provider.name, row.invited, row.declined_at is not None,
             "; ".join(f"{d}: {v}" for d, v in homes[row.provider_id]) if row.invited else "; ".join(row.reasons))
            for row in rows], f"referral-{referral.id}-distribution")
    rows, total, page = page_of(matching.rows_query(referral), page_number())
    return render_template("tendering/distribution.html", referral=referral, rows=rows, homes=_homes(rows),
                           counts=matching.counts(referral), page=page, total=total, page_size=PAGE_SIZE)


def _homes(rows) -> dict[int, list[tuple[str, str]]]:
    """Each invited provider's matching homes: (district, vacancy) as the page words it."""
    setting_ids = [sid for row in rows for sid in row.setting_ids]
    settings = {s.id: s for s in db.session.scalars(select(Setting).where(Setting.id.in_(setting_ids)))} \
        if setting_ids else {}
    now = utcnow()
    return {row.provider_id: [(settings[sid].district, _vacancy_state(settings[sid], now))
                              for sid in row.setting_ids if sid in settings] for row in rows}
