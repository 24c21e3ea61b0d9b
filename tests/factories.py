"""Factories: build just the objects a test needs (call inside an app context)."""
from __future__ import annotations

import itertools

from portal.core import db
from portal.core.auth import create_user
from portal.core.models import Organisation, User
from portal.models import Setting, Vacancy

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def organisation(kind: str = "provider", name: str | None = None) -> Organisation:
    org = Organisation(name=name or f"{kind.title()} {next(_seq)}", kind=kind)
    db.session.add(org)
    db.session.flush()
    return org


def user(*roles: str, org: Organisation | None = None, email: str | None = None, password: str | None = PASSWORD,
         name: str | None = None) -> User:
    from portal.core.models import ROLES_FOR_KIND

    if org is None:
        kind = next(k for k, allowed in ROLES_FOR_KIND.items() if set(roles) <= allowed)
        org = organisation(kind)
    n = next(_seq)
    return create_user(org, email or f"user{n}@example.org", name or f"Test User {n}", list(roles), password=password)


def setting(provider: Organisation, **fields) -> Setting:
    n = next(_seq)
    values = dict(name=f"Home {n}", urn=f"SC{100000 + n}", kind="childrens_home", registered_places=4,
                  postcode="SE6 4RU", district="SE6", overall_effectiveness="Good")
    values.update(fields)
    obj = Setting(provider=provider, **values)
    db.session.add(obj)
    db.session.flush()
    return obj


def vacancy(setting: Setting, **fields) -> Vacancy:
    values = dict(places_free=1)
    values.update(fields)
    obj = Vacancy(setting=setting, **values)
    db.session.add(obj)
    db.session.flush()
    return obj


# --- documents (sample files are built in memory, typed by content) -------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def docx_bytes(main_type: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
               extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal Word document: a ZIP with [Content_Types].xml and word/document.xml."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="' + main_type + '"/></Types>'))
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def document(provider: Organisation, kind: str = "public_liability", **fields):
    """A stored-looking document row (no file in storage) for the provider."""
    import uuid
    from datetime import date, timedelta

    from portal.models import INSURANCE_KINDS, Document

    insurance = kind in INSURANCE_KINDS
    values = dict(organisation_id=provider.id, kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                  size_bytes=len(PDF_BYTES), storage_key=f"documents/{provider.id}/{uuid.uuid4().hex}.pdf",
                  cover_amount_pence=500_000_000 if insurance else None,
                  expires_on=date.today() + timedelta(days=200) if insurance else None, status="current")
    values.update(fields)
    obj = Document(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


# --- DPS applications (portal/admissions.py) --------------------------------------------------------

COMPLETE_QUESTIONNAIRE = {
    "organisation": {"legal_name": "Oakfield Care Ltd", "companies_house_number": "01234567",
                     "address": "1 Acacia Road\nLondon", "postcode": "SE6 4RU", "contact_name": "Priya Shah",
                     "contact_email": "priya@oakfield.example", "contact_phone": "020 7946 0000"},
    "financial": {"turnover_band": "1m_to_5m", "accounts_up_to_date": "yes",
                  "statement": "Profitable for five years with no borrowing."},
    "insurance": {"covers": ["public_liability", "employers_liability", "professional_indemnity"]},
    "safeguarding": {"lead_name": "Sam Lee, Registered Manager", "dbs_policy": "yes",
                     "statement": "Every concern goes to the lead the same day."},
    "exclusions": {"mandatory": "no", "discretionary": "no"},
}


def dps(*councils: Organisation, name: str | None = None):
    """A DPS with the five standard lots, shared by these councils (a new council if none given)."""
    from portal.models import LOT_KINDS, Dps, Lot

    obj = Dps(name=name or f"DPS {next(_seq)}", councils=list(councils) or [organisation("council")])
    db.session.add(obj)
    for kind, (label, _kinds) in LOT_KINDS.items():
        db.session.add(Lot(dps=obj, kind=kind, name=label))
    db.session.flush()
    return obj


def application(dps_obj=None, provider: Organisation | None = None, status: str = "draft", *, lots=None,
                complete: bool = True, submitted_at=None, **fields):
    """A DPS application in any status (set directly, bypassing the lifecycle, to start a test there)."""
    import copy
    from datetime import datetime, timezone

    from portal.models import DpsApplication
    from portal.workdays import decision_due

    dps_obj = dps_obj or dps()
    provider = provider or organisation("provider")
    if status != "draft" and submitted_at is None:
        submitted_at = datetime.now(timezone.utc)
    obj = DpsApplication(dps_id=dps_obj.id, provider_id=provider.id, status=status,
                         lots=list(lots) if lots is not None else dps_obj.lots[:1],
                         questionnaire=copy.deepcopy(COMPLETE_QUESTIONNAIRE) if complete else {},
                         submitted_at=submitted_at,
                         decision_due_on=decision_due(submitted_at, False) if submitted_at else None, **fields)
    if status == "clarification_requested":
        obj.clarification_request = "Send your latest accounts"
        obj.questionnaire["clarifications"] = [{"question": "Send your latest accounts", "asked_at": "x",
                                                "asked_by": "Manager"}]
    db.session.add(obj)
    db.session.flush()
    return obj


# --- referrals (tendering/) -------------------------------------------------------------------------

def admitted(provider: Organisation, dps_obj, *lot_kinds: str):
    """Admit the provider to these lots of the DPS (default: residential), bypassing the lifecycle."""
    lots = [lot for lot in dps_obj.lots if lot.kind in (lot_kinds or ("residential",))]
    return application(dps_obj, provider, status="admitted", lots=lots)


def referral(council: Organisation | None = None, *, dps_obj=None, lot_kind: str = "residential",
             status: str = "draft", needs: dict | None = None, **fields):
    """A complete, clean referral ready to publish (no identifying text); status set directly.

    needs: {need_code: (severity, essential)}; default one essential need, autism (high)."""
    from datetime import date, timedelta

    from portal.core.db import utcnow
    from tendering.models import OUTCOMES, Referral, ReferralNeed

    if dps_obj is None:
        dps_obj = dps(council) if council is not None else dps()
    council = council or dps_obj.councils[0]
    lot = next(lot for lot in dps_obj.lots if lot.kind == lot_kind)
    now = utcnow()
    values = dict(
        council_id=council.id, dps_id=dps_obj.id, lot_id=lot.id, status=status, age=15, sex="female",
        legal_status="care_order", group_size=1, cultural_needs="Enjoys cooking food from her heritage",
        religious_needs="None stated", language_needs="Speaks English", education_status="in_school",
        education_notes="Doing well at maths", what_matters="I want to keep seeing my little brother every week",
        preferred_district="SE6", max_distance_miles=20, avoid_districts=["E1"], emergency=False,
        start_date=date.today() + timedelta(days=14), expected_duration="long_term",
        response_deadline=now + timedelta(days=7), clarification_cutoff=now + timedelta(days=5),
        case_reference="LCS-123456", budget_ceiling_pence=650_000, internal_notes="Internal: sibling contact plan",
        published_at=None if status == "draft" else now,
        quality_locked_at=now if status in ("quality_evaluated", "price_evaluated", "awarded", "placed") else None,
        **{f"outcome_{code}": f"Support to {label.lower()}" for code, label in OUTCOMES.items()})
    values.update(fields)
    obj = Referral(**values)
    db.session.add(obj)
    db.session.flush()
    for code, (severity, essential) in (needs if needs is not None else {"autism": ("high", True)}).items():
        db.session.add(ReferralNeed(referral_id=obj.id, need_code=code, severity=severity, essential=essential))
    db.session.flush()
    db.session.refresh(obj)
    return obj


# --- proposals and evaluation (tendering/) ----------------------------------------------------------

def invite(referral_obj, provider: Organisation, *settings_: Setting):
    """Record the provider as invited to the referral (bypassing matching), listing these homes."""
    from portal.core.db import utcnow
    from tendering.models import ReferralProvider

    row = ReferralProvider(referral_id=referral_obj.id, provider_id=provider.id, invited=True, reasons=[],
                           setting_ids=[s.id for s in settings_], rank=0, invited_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def proposal(referral_obj, provider: Organisation | None = None, setting_obj: Setting | None = None, *,
             status: str = "submitted", core_fee_pence: int = 450_000, services=None, invite_too: bool = True,
             **fields):
    """A complete proposal (answers for every outcome and essential need). services: list of
    (description, unit, unit_price_pence, quantity_per_week, weeks); default one service of 2 × £40/week."""
    from datetime import date, timedelta

    from portal.core.db import utcnow
    from tendering.models import OUTCOMES, Proposal, ProposalService

    provider = provider or organisation("provider")
    setting_obj = setting_obj or setting(provider)
    if invite_too:
        from tendering.models import ReferralProvider
        if db.session.get(ReferralProvider, (referral_obj.id, provider.id)) is None:
            invite(referral_obj, provider, setting_obj)
    now = utcnow()
    values = dict(
        referral_id=referral_obj.id, provider_id=provider.id, setting_id=setting_obj.id, status=status, revision=1,
        outcome_answers={code: f"Our plan to help her {label.lower()}" for code, label in OUTCOMES.items()},
        need_answers={n.need_code: f"Staff trained in {n.need_code}" for n in referral_obj.needs if n.essential},
        staffing="Two staff by day, one waking night", education_offer="Transport to her current school",
        start_date=date.today() + timedelta(days=14), weekly_core_fee_pence=core_fee_pence, notice_period_weeks=4,
        submitted_at=now if status != "draft" else None, withdrawn_at=now if status == "withdrawn" else None)
    values.update(fields)
    obj = Proposal(**values)
    db.session.add(obj)
    db.session.flush()
    for position, (description, unit, price, quantity, weeks) in enumerate(
            services if services is not None else [("Therapeutic sessions", "session", 4_000, 2, 12)]):
        db.session.add(ProposalService(proposal_id=obj.id, position=position, description=description, unit=unit,
                                       unit_price_pence=price, quantity_per_week=quantity, weeks=weeks))
    db.session.flush()
    db.session.refresh(obj)
    return obj


def panel(referral_obj, *members):
    """Assign these council users to the referral's panel."""
    from tendering.models import PanelAssignment

    rows = [PanelAssignment(referral_id=referral_obj.id, user_id=m.id) for m in members]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def scores(proposal_obj, member, values, *, reason: str = "Clear evidence in the proposal"):
    """A panel member's scores for a proposal: values is {outcome: score} or one int for every outcome."""
    from tendering.models import OUTCOMES, PanelScore

    values = values if isinstance(values, dict) else {code: values for code in OUTCOMES}
    for code, score in values.items():
        db.session.add(PanelScore(proposal_id=proposal_obj.id, user_id=member.id, outcome=code, score=score,
                                  reason=reason))
    db.session.flush()


def moderated(proposal_obj, officer, values, *, reason: str = "Agreed at moderation"):
    from tendering.models import OUTCOMES, ModeratedScore

    values = values if isinstance(values, dict) else {code: values for code in OUTCOMES}
    for code, score in values.items():
        db.session.add(ModeratedScore(proposal_id=proposal_obj.id, outcome=code, score=score, reason=reason,
                                      moderated_by_id=officer.id))
    db.session.flush()
