"""Demo seed, part two: DPS applications in every state and providers' documents (some expiring).

Rows are written directly (the lifecycle's history is not replayed), so the demo starts with a
market that has already been running for a while.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import Organisation
from portal.core.storage import storage
from portal.models import IN_PROGRESS, INSURANCE_KINDS, LOT_KINDS, Document, Dps, DpsApplication, Lot, Setting
from portal.workdays import decision_due

# A minimal, valid one-page PDF, so seeded documents open like real ones.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
STATES = ["admitted"] * 34 + ["submitted"] * 6 + ["clarification_requested"] * 3 + ["draft"] * 3 + [
    "rejected"] * 3 + ["suspended"] * 3 + ["withdrawn"] * 2
CLARIFICATIONS = ["Send your most recent filed accounts.", "Name the deputy safeguarding lead.",
                  "Confirm the cover of your professional indemnity insurance."]


def questionnaire(org: Organisation) -> dict:
    return {
        "organisation": {"legal_name": f"{org.name} Ltd", "companies_house_number": org.companies_house_number,
                         "address": org.address, "postcode": org.postcode, "contact_name": org.contact_name,
                         "contact_email": org.contact_email, "contact_phone": org.contact_phone},
        "financial": {"turnover_band": "1m_to_5m", "accounts_up_to_date": "yes",
                      "statement": "Accounts filed on time; no borrowing against the homes."},
        "insurance": {"covers": list(INSURANCE_KINDS)},
        "safeguarding": {"lead_name": f"{org.contact_name}, Responsible Individual", "dbs_policy": "yes",
                         "statement": "Concerns go to the designated lead the same day and to the LADO within 24 hours."},
        "exclusions": {"mandatory": "no", "discretionary": "no"},
    }


def _profile(rng: random.Random, org: Organisation, index: int) -> None:
    setting = db.session.scalar(select(Setting).where(Setting.provider_id == org.id).limit(1))
    org.companies_house_number = org.companies_house_number or f"{10_000_000 + index * 7919:08d}"[-8:]
    org.address = org.address or f"{rng.randint(1, 180)} {rng.choice(['High Street', 'Station Road', 'Church Lane'])}"
    org.postcode = org.postcode or (setting.postcode if setting else None)
    org.contact_name = org.contact_name or rng.choice(["Alex Morgan", "Chidi Okoye", "Sian Davies", "Ravi Patel"])
    domain = org.name.lower().replace("'", "").replace(" ", "-")
    org.contact_email = org.contact_email or f"office@{domain}.example"
    org.contact_phone = org.contact_phone or f"020 7946 {rng.randint(0, 999):04d}"


def _lots_for(org: Organisation, lots: dict[str, Lot]) -> list[Lot]:
    kinds = set(db.session.scalars(select(Setting.kind).where(Setting.provider_id == org.id)))
    return [lot for kind, lot in lots.items() if kinds & set(LOT_KINDS[kind][1]) and kind != "solo_bespoke"]


def _application(rng: random.Random, dps: Dps, org: Organisation, lots: list[Lot], status: str) -> None:
    now = utcnow()
    app = DpsApplication(dps=dps, provider=org, status=status, lots=lots, questionnaire=questionnaire(org))
    if status != "draft":
        # Overdue, due soon and comfortable clocks all appear on the DPS manager's queue.
        submitted = now - timedelta(days=rng.choice([2, 5, 9, 13, 16] if status in IN_PROGRESS else [40, 120, 300]))
        app.submitted_at, app.decision_due_on = submitted, decision_due(submitted, extended=False)
    if status == "clarification_requested":
        app.clarification_request = rng.choice(CLARIFICATIONS)
        app.questionnaire["clarifications"] = [{"question": app.clarification_request,
                                                "asked_at": now.isoformat(), "asked_by": "Sarah Collins"}]
    if status in ("admitted", "rejected", "suspended", "withdrawn"):
        app.decided_at = app.submitted_at + timedelta(days=8)
        app.decision_reason = {"rejected": "Financial standing did not meet the threshold.",
                               "suspended": "Public liability insurance expired; suspended until renewed.",
                               "withdrawn": "The provider has closed its homes in the area."}.get(status)
    db.session.add(app)


def _documents(rng: random.Random, org: Organisation, today: date) -> None:
    for kind in (*INSURANCE_KINDS, "safeguarding_policy", "whistleblowing_policy"):
        if kind in INSURANCE_KINDS and rng.random() < 0.05:
            continue  # missing: shows on the provider's task list
        expires = None
        if kind in INSURANCE_KINDS:
            expires = today + timedelta(days=rng.choice([-20, 12, 25] if rng.random() < 0.15 else [120, 200, 330]))
        key = f"documents/{org.id}/seed-{kind}.pdf"
        storage().put(key, DEMO_PDF, "application/pdf")
        db.session.add(Document(organisation_id=org.id, kind=kind, filename=f"{kind.replace('_', '-')}.pdf",
                                content_type="application/pdf", size_bytes=len(DEMO_PDF), storage_key=key,
                                cover_amount_pence=rng.choice([5, 10]) * 100_000_000 if expires else None,
                                expires_on=expires))


def seed_applications_and_documents(rng: random.Random, dps: Dps, providers: list[Organisation]) -> None:
    db.session.flush()
    lots = {lot.kind: lot for lot in dps.lots}
    today = utcnow().date()
    for index, org in enumerate(providers):
        _profile(rng, org, index)
        _documents(rng, org, today)
        # The demo provider (first) is admitted and has a draft for the solo and bespoke lot.
        status = "admitted" if index == 0 else rng.choice(STATES)
        _application(rng, dps, org, _lots_for(org, lots) or [lots["residential"]], status)
        if index == 0:
            _application(rng, dps, org, [lots["solo_bespoke"]], "draft")
    # One of the demo provider's certificates is due for renewal, so its task list has work on it.
    oakfield = providers[0]
    doc = db.session.scalar(select(Document).where(Document.organisation_id == oakfield.id,
                                                   Document.kind == "employers_liability"))
    if doc is not None:
        doc.expires_on = today + timedelta(days=18)
