"""Open Contracting Data Standard 1.1 release packages for awarded competitions (issue #6, item 3).

One release per awarded referral, ocid `<prefix>-<referral id>`, built ONLY from the anonymised
specification's coded fields (lot, age, sex, needs, expected duration) and from dates, organisations and
prices: never the case reference, budget, internal notes, home district or any free text the officer or a
provider wrote. Values are WEEKLY costs in GBP (pounds, as numbers). See docs/finance-export.md, "OCDS".

Validated offline against the vendored schema in tendering/data/ocds/: the core 1.1.5 release and
release-package schemas, patched (JSON Merge Patch) with the vendored bids and techniques extension schemas.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import Organisation
from portal.models import LOT_KINDS
from tendering.models import DURATIONS, SEXES, Award, Placement, Proposal, Referral

DATA = Path(__file__).parent / "data" / "ocds"
CORE_RELEASE_ID = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
EXTENSIONS = {  # declared in the package; their schemas are vendored in data/ocds/extensions/
    "bids-release-schema.json":
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
    "techniques-release-schema.json":
        "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/"
        "extension.json",
}
AWARDED_STATUSES = ("awarded", "placed")
WEEKLY = "Weekly cost in GBP"


# --- schema --------------------------------------------------------------------------------------

def _merge(target, patch):
    """RFC 7386 JSON Merge Patch (how OCDS extensions patch the release schema)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge(out.get(key), value)
    return out


@lru_cache(maxsize=1)
def schemas() -> tuple[dict, dict]:
    """(release-package schema, release schema patched with the vendored extensions), read from disk only."""
    release = json.loads((DATA / "release-schema.json").read_text(encoding="utf-8"))
    for name in EXTENSIONS:
        release = _merge(release, json.loads((DATA / "extensions" / name).read_text(encoding="utf-8")))
    package = json.loads((DATA / "release-package-schema.json").read_text(encoding="utf-8"))
    return package, release


def validator():
    """A jsonschema validator for release packages whose $refs resolve to the vendored files, never the network."""
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    package, release = schemas()
    registry = Registry().with_resources([
        (CORE_RELEASE_ID, Resource.from_contents(release, default_specification=DRAFT4)),
        (package["id"], Resource.from_contents(package, default_specification=DRAFT4)),
    ]).crawl()
    return Draft4Validator(package, registry=registry, format_checker=FormatChecker())


def errors(package_obj: dict) -> list[str]:
    """Every validation error, as "path: message"; empty when the package is valid."""
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in sorted(validator().iter_errors(package_obj), key=lambda e: list(map(str, e.absolute_path)))]


# --- building ------------------------------------------------------------------------------------

def _when(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return datetime.combine(value, time(), timezone.utc).isoformat().replace("+00:00", "Z")
    raise TypeError(value)


def _gbp(pence: int) -> dict:
    return {"amount": float(Decimal(pence) / 100), "currency": "GBP"}


def party_id(org: Organisation) -> str:
    return f"hf-org-{org.id}"


def _party(org: Organisation, roles: set[str]) -> dict:
    party = {"id": party_id(org), "name": org.name, "roles": sorted(roles)}
    if org.companies_house_number:
        party["identifier"] = {"scheme": "GB-COH", "id": org.companies_house_number, "legalName": org.name}
    return party


def _ref(org: Organisation) -> dict:
    return {"id": party_id(org), "name": org.name}


def tender_title(referral: Referral) -> str:
    """e.g. "Residential children's home for a 15-year-old" — lot and age only."""
    kind = LOT_KINDS[referral.lot.kind][0] if referral.lot is not None else "Placement"
    if kind.endswith("homes"):
        kind = kind[:-1]  # "Residential children's homes" -> "... home"
    return f"{kind} for a {referral.age}-year-old" if referral.age is not None else kind


def tender_description(referral: Referral) -> str:
    """Built from coded fields only (labels from fixed lists), never from text anyone typed."""
    parts = []
    if referral.sex in SEXES:
        parts.append(f"Sex: {SEXES[referral.sex]}.")
    needs = [f"{n.need.label} ({n.severity}{', essential' if n.essential else ''})" for n in referral.needs]
    if needs:
        parts.append("Needs: " + "; ".join(needs) + ".")
    if referral.expected_duration in DURATIONS:
        parts.append(f"Expected duration: {DURATIONS[referral.expected_duration]}.")
    return " ".join(parts)


def active_award(referral: Referral) -> Award | None:
    return db.session.scalar(select(Award).where(Award.referral_id == referral.id, Award.status == "active"))


def submitted(referral: Referral) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(Proposal.referral_id == referral.id,
                                                          Proposal.status == "submitted").order_by(Proposal.id)))


def bid_id(ocid: str, proposal: Proposal) -> str:
    return f"{ocid}-bid-{proposal.id}"


def bid_details(referral: Referral, ocid: str, proposals: list[Proposal], awarded: bool) -> list[dict]:
    """One bid per submitted proposal: status valid (suitable) or disqualified (not suitable). The value is
    given only once the referral is awarded, and only for a priced (suitable) proposal: an unsuitable
    proposal's price is never computed or published."""
    out = []
    for p in proposals:
        bid = {"id": bid_id(ocid, p), "date": _when(p.submitted_at),
               "status": "disqualified" if p.suitable is False else "valid", "tenderers": [_ref(p.provider)]}
        if awarded and p.suitable and p.weekly_cost_pence is not None:
            bid["value"] = _gbp(p.weekly_cost_pence)
        out.append(bid)
    return out


def release(referral: Referral, prefix: str) -> dict | None:
    """The release for one awarded referral, or None if it has no active award."""
    award = active_award(referral)
    if award is None or referral.status not in AWARDED_STATUSES:
        return None
    ocid = f"{prefix}-{referral.id}"
    spot = award.kind == "spot_purchase"
    proposals = submitted(referral)
    placement = db.session.scalar(select(Placement).where(Placement.award_id == award.id))
    roles: dict[int, tuple[Organisation, set[str]]] = {referral.council_id: (referral.council, {"buyer"})}
    for p in proposals:
        roles.setdefault(p.provider_id, (p.provider, set()))[1].add("tenderer")
    roles.setdefault(award.provider_id, (award.provider, set()))[1].add("supplier")

    tender = {"id": f"{ocid}-tender", "title": tender_title(referral), "description": tender_description(referral),
              "status": "complete", "mainProcurementCategory": "services",
              "procurementMethod": "limited" if spot else "selective",
              "procurementMethodDetails": ("Spot purchase after no suitable proposal" if spot else
                                           "Mini-competition under a dynamic purchasing system"),
              "techniques": {"hasDynamicPurchasingSystem": not spot},
              "numberOfTenderers": len({p.provider_id for p in proposals})}
    if spot:
        tender["procurementMethodRationale"] = "No proposal received in the competition was suitable"
    if referral.published_at is not None:
        tender["tenderPeriod"] = {"startDate": _when(referral.published_at)}
        if referral.response_deadline is not None:
            tender["tenderPeriod"]["endDate"] = _when(referral.response_deadline)

    award_id = f"{ocid}-award-{award.id}"
    awards = [{"id": award_id, "title": "Award", "description": WEEKLY, "status": "active",
               "date": _when(award.awarded_at), "value": _gbp(award.weekly_cost_pence),
               "suppliers": [_ref(award.provider)]}]
    if award.proposal_id is not None:
        awards[0]["relatedBids"] = [f"{ocid}-bid-{award.proposal_id}"]
    for p in proposals:  # every other submitted proposal: an unsuccessful award for that bid, no supplier
        if p.id != award.proposal_id:
            awards.append({"id": f"{ocid}-unsuccessful-{p.id}", "status": "unsuccessful",
                           "date": _when(award.awarded_at), "relatedBids": [bid_id(ocid, p)]})

    out = {"ocid": ocid, "id": f"{ocid}-{award.id}", "date": _when(award.awarded_at), "tag": ["award"],
           "initiationType": "tender", "language": "en",
           "parties": [_party(org, r) for _, (org, r) in sorted(roles.items())],
           "buyer": _ref(referral.council), "tender": tender,
           "bids": {"details": bid_details(referral, ocid, proposals, awarded=True)}, "awards": awards}
    if placement is not None:
        contract = {"id": placement.code, "awardID": award_id, "title": "Placement", "description": WEEKLY,
                    "status": _contract_status(referral, placement), "value": _gbp(placement.weekly_cost_pence),
                    "period": {"startDate": _when(placement.start_date)}}
        if placement.end_date is not None:
            contract["period"]["endDate"] = _when(placement.end_date)
        out["contracts"] = [contract]
        out["tag"] = ["award", "contract"]
        out["id"] = f"{ocid}-{award.id}-{placement.id}"
        out["date"] = max(_when(award.awarded_at), _when(placement.moved_in_at or placement.created_at))
    return out


def _contract_status(referral: Referral, placement: Placement) -> str:
    if placement.end_date is not None and placement.end_date <= date.today():
        return "terminated"
    if referral.status == "placed" or placement.moved_in_at is not None:
        return "active"
    return "pending"


def referrals_for(council_ids: tuple[int, ...] | None = None, dps_ids: tuple[int, ...] | None = None,
                  include_spot: bool = True) -> list[Referral]:
    """Awarded or placed referrals with an active award, oldest first; optionally limited to councils or DPSs."""
    stmt = (select(Referral).join(Award, (Award.referral_id == Referral.id) & (Award.status == "active"))
            .where(Referral.status.in_(AWARDED_STATUSES)))
    if council_ids is not None:
        stmt = stmt.where(Referral.council_id.in_(council_ids))
    if dps_ids is not None:
        stmt = stmt.where(Referral.dps_id.in_(dps_ids))
    if not include_spot:
        stmt = stmt.where(Award.kind == "competition")
    return list(db.session.scalars(stmt.order_by(Referral.id)))


def default_prefix() -> str:
    return current_app.config.get("OCDS_PREFIX", "ocds-hfdemo")


def package(referrals: list[Referral], prefix: str | None = None, publisher: str = "Homefinder") -> dict:
    """A release package (OCDS 1.1) of the releases for these referrals. OCDS needs at least one release;
    with none, `releases` is empty and the package does not validate — callers say "nothing to export"."""
    prefix = prefix or default_prefix()
    releases = [r for r in (release(ref, prefix) for ref in referrals) if r is not None]
    base = current_app.config.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    return {"uri": f"{base}/exports/ocds.json", "version": "1.1",
            "extensions": list(EXTENSIONS.values()), "publishedDate": _when(utcnow()),
            "publisher": {"name": publisher}, "releases": releases}


def dumps(package_obj: dict) -> str:
    return json.dumps(package_obj, ensure_ascii=False, indent=2)
