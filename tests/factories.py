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
         name: str | None = None, totp: bool | None = None) -> User:
    """totp: an authenticator app set up (user.totp_secret); by default council roles and system admins have one,
    as they must. totp=False makes one who will be sent to set it up at sign-in."""
    import pyotp

    from portal.core.db import utcnow
    from portal.core.models import COUNCIL_ROLES, OPERATOR_ROLES, ROLES_FOR_KIND

    if org is None:
        kind = next(k for k, allowed in ROLES_FOR_KIND.items() if set(roles) <= allowed)
        org = organisation(kind)
    n = next(_seq)
    made = create_user(org, email or f"user{n}@example.org", name or f"Test User {n}", list(roles), password=password)
    if totp if totp is not None else bool(set(roles) & (COUNCIL_ROLES | OPERATOR_ROLES)):
        made.totp_secret, made.totp_enabled_at = pyotp.random_base32(), utcnow()
    return made


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


# --- after the quality lock (tendering/award.py) -------------------------------------------------

def evaluated_referral(*, price_method: str = "quality_price", quality_weight: int = 70, **fields):
    """A quality_evaluated referral in council "Lewisham Council" (area SE6, SE13; contact details set) with:
    A (quality 80, £4,000.00/week, suitable), B (quality 60, £3,500 + 2 × £50 = £3,600.00/week, suitable),
    C (quality 40, £1,234.56/week, NOT suitable), D invited and declined, E invited and silent.
    Each provider has one provider_admin user. Returns a dict of everything."""
    from portal.core.db import utcnow

    council = organisation("council", name="Lewisham Council")
    council.area_districts = ["SE6", "SE13"]
    council.contact_name, council.contact_email = "Jo Placements", "placements@lewisham.example"
    council.contact_phone, council.address, council.postcode = "020 8314 0000", "1 Catford Road\nLondon", "SE6 4RU"
    officer = user("placements_officer", org=council, name="Olive Officer")
    values = dict(status="quality_evaluated", price_method=price_method, quality_weight=quality_weight,
                  home_district="SE6", preferred_district="SE13")
    values.update(fields)
    ref = referral(council, **values)
    out = {"council": council, "officer": officer, "referral": ref}
    plans = [("A", "Acorn Care Ltd", "Acorn House", "SE13", 400_000, [], 80, True, 4),
             ("B", "Birch Homes Ltd", "Birch Lodge", "SE6", 350_000, [("Therapy", "session", 5_000, 2, 10)], 60,
              True, 3),
             ("C", "Cedar Living Ltd", "Cedar View", "SE6", 123_456, [], 40, False, 1)]
    for position, (key, org_name, home, district, fee, services, quality, suitable, score) in enumerate(plans):
        provider = organisation("provider", name=org_name)
        home_obj = setting(provider, name=home, district=district)
        prop = proposal(ref, provider, home_obj, core_fee_pence=fee, services=services, blind_position=position)
        prop.quality_percent, prop.suitable = quality, suitable
        moderated(prop, officer, score, reason=f"Moderated reason for {key}")
        out[key] = prop
        out[f"user_{key}"] = user("provider_admin", org=provider, email=f"{key.lower()}@provider.example")
    for key in ("D", "E"):
        provider = organisation("provider", name=f"Provider {key}")
        row = invite(ref, provider, setting(provider))
        if key == "D":
            row.declined_at, row.decline_reason = utcnow(), "no_vacancy"
        out[f"user_{key}"] = user("provider_admin", org=provider, email=f"{key.lower()}@provider.example")
    db.session.flush()
    return out


# --- placements (tendering.models.Placement; spot-purchase award, bypassing the lifecycle) ----------

def placement(council: Organisation | None = None, setting_obj: Setting | None = None, *, dps_obj=None, **fields):
    """A placement by `council` (a new one if none) in `setting_obj` (a new children's home if none), made
    from a spot-purchase award of a referral set directly to 'placed'."""
    from datetime import date, timedelta

    from tendering.models import Award, Placement

    council = council or organisation("council")
    setting_obj = setting_obj or setting(organisation("provider"))
    ref = referral(council, dps_obj=dps_obj, status="placed")
    award = Award(referral_id=ref.id, kind="spot_purchase", provider_id=setting_obj.provider_id,
                  setting_id=setting_obj.id, weekly_cost_pence=450_000, reason="No suitable proposal: spot purchase")
    db.session.add(award)
    db.session.flush()
    values = dict(award_id=award.id, referral_id=ref.id, council_id=council.id, provider_id=setting_obj.provider_id,
                  setting_id=setting_obj.id, start_date=date.today() - timedelta(days=60),
                  weekly_core_fee_pence=450_000, weekly_cost_pence=450_000, spot_purchase=True)
    values.update(fields)
    obj = Placement(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


# --- feedback and forums (quality/feedback.py, quality/forum_meetings.py) ---------------------------

def feedback_response(placement_obj=None, *, respondent_type: str = "child", scores=4, comment: str | None = None,
                      comment_status: str | None = None, submitted_at=None, **fields):
    """A used feedback request and its response (scores: one int for every theme, or {theme: score})."""
    import secrets
    from datetime import timedelta

    from portal.core.db import utcnow
    from quality.feedback import hash_token
    from quality.models import FeedbackRequest, FeedbackResponse, FeedbackScore
    from quality.themes import THEMES

    placement_obj = placement_obj or placement()
    when = submitted_at or utcnow()
    request = FeedbackRequest(placement_id=placement_obj.id, respondent_type=respondent_type,
                              token_hash=hash_token(secrets.token_urlsafe(16)), sent_to="someone@example.org",
                              created_at=when - timedelta(days=1), expires_at=when + timedelta(days=27), used_at=when)
    db.session.add(request)
    db.session.flush()
    values = scores if isinstance(scores, dict) else {theme: scores for theme in THEMES}
    status = comment_status or ("pending" if comment else "none")
    obj = FeedbackResponse(request_id=request.id, placement_id=placement_obj.id, setting_id=placement_obj.setting_id,
                           provider_id=placement_obj.provider_id, setting_kind=placement_obj.setting.kind,
                           respondent_type=respondent_type, comment=comment, comment_status=status,
                           comment_shown=comment if status in ("approved", "redacted") else None, submitted_at=when,
                           scores=[FeedbackScore(theme=t, score=s) for t, s in values.items()], **fields)
    db.session.add(obj)
    db.session.flush()
    return obj


def forum_meeting(dps_obj=None, **fields):
    from datetime import timedelta

    from portal.core.db import utcnow
    from quality.models import ForumMeeting

    dps_obj = dps_obj or dps()
    values = dict(dps_id=dps_obj.id, title="Provider forum", meets_at=utcnow() + timedelta(days=14),
                  location="Town hall", agenda="1. Welcome")
    values.update(fields)
    obj = ForumMeeting(**values)
    db.session.add(obj)
    db.session.flush()
    return obj


# --- quality: monitoring visits and actions -----------------------------------------------------------

def monitoring_visit(setting_obj: Setting | None = None, council: Organisation | None = None, *,
                     status: str = "planned", overall: str = "good", **fields):
    """A visit in any status (completed ones judged on every active standard, all met)."""
    from datetime import date

    from portal.core.db import utcnow
    from quality.models import MonitoringVisit, VisitJudgement
    from quality.visits import standards_for

    setting_obj = setting_obj or setting(organisation("provider"))
    council = council or organisation("council")
    values = dict(kind="planned", planned_for=date(2026, 3, 2))
    values.update(fields)
    visit = MonitoringVisit(setting_id=setting_obj.id, provider_id=setting_obj.provider_id, council_id=council.id,
                            status=status, **values)
    if status in ("completed", "report_issued"):
        visit.visited_on = visit.visited_on or visit.planned_for
        visit.overall_judgement, visit.completed_at = overall, utcnow()
        visit.judgements = [VisitJudgement(standard_id=s.id, judgement="met", evidence="Seen and recorded")
                            for s in standards_for(setting_obj)]
    if status == "report_issued":
        visit.report_issued_at = utcnow()
    if status == "cancelled":
        visit.cancelled_at = utcnow()
    db.session.add(visit)
    db.session.flush()
    return visit


def qa_action(setting_obj: Setting | None = None, council: Organisation | None = None, *, visit=None,
              status: str = "open", **fields):
    from datetime import date

    from portal.core.db import utcnow
    from quality.models import QaAction

    if visit is not None:
        setting_obj, council_id = visit.setting, visit.council_id
    else:
        setting_obj = setting_obj or setting(organisation("provider"))
        council_id = (council or organisation("council")).id
    values = dict(owner="provider", priority="medium", description="Update the fire risk assessment",
                  due_on=date(2026, 6, 1))
    values.update(fields)
    action = QaAction(visit_id=visit.id if visit else None, setting_id=setting_obj.id,
                      provider_id=setting_obj.provider_id, council_id=council_id, status=status, **values)
    if status in ("provider_responded",):
        action.provider_response, action.responded_at = "Done", utcnow()
    if status == "closed":
        action.close_note, action.closed_at = "Done", utcnow()
    db.session.add(action)
    db.session.flush()
    return action


def quality_standards() -> None:
    """Put back the QA framework's reference rows (migration 0027) if the harness emptied the table: the
    per-test clean-up (tests/conftest.py REFERENCE_TABLES) keeps only alembic_version and need."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import select

    from quality.models import QualityStandard

    if db.session.scalar(select(QualityStandard.id).limit(1)) is not None:
        return
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0027_quality_standard.py"
    spec = importlib.util.spec_from_file_location("_migration_0027", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for framework, items in module.STANDARDS.items():
        for n, (code, title) in enumerate(items):
            db.session.add(QualityStandard(framework=framework, code=code, title=title, position=n, active=True))
    db.session.flush()
