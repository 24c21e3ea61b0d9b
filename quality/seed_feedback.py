"""Demo data for feedback and forums: responses across kinds of home (some groups below 5 so the forum
shows suppression), comments waiting for moderation, and one scheduled forum meeting. Deterministic and
idempotent: does nothing if feedback responses already exist."""
from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import Organisation, User
from portal.models import Dps, Setting
from quality.feedback import hash_token
from quality.forum_meetings import LONDON
from quality.models import FeedbackRequest, FeedbackResponse, FeedbackScore, ForumMeeting
from quality.themes import THEMES
from tendering.anonymiser import scan
from tendering.models import Award, Placement, Referral

COUNCIL = "London Borough of Lewisham"
# kind of home -> (placements, responses): supported accommodation and parent and child stay below 5.
PLAN = {"childrens_home": (6, 16), "independent_fostering": (3, 7), "supported_accommodation": (2, 3),
        "parent_and_child": (1, 2)}
TYPES = ("child", "carer", "social_worker", "iro", "child")
COMMENTS = [
    ("approved", "The staff always make time to listen to me and we cook together on Sundays."),
    ("approved", "Settled well; the home works closely with school and keeps family time going."),
    ("approved", "I like my room and I feel safe here."),
    ("pending", "They helped me open a bank account and learn to budget, which I was scared about."),
    ("pending", "My key worker Sarah Jones is kind but the night staff change a lot. Call me on 07700 900123."),
    ("pending", "Good communication with the social work team, but the review was postponed twice."),
]


def _placements(council: Organisation, dps: Dps, kind: str, count: int, officer: User | None) -> list[Placement]:
    existing = list(db.session.scalars(
        select(Placement).join(Setting, Setting.id == Placement.setting_id)
        .where(Placement.council_id == council.id, Setting.kind == kind).order_by(Placement.id).limit(count)))
    if len(existing) >= count:
        return existing
    homes = list(db.session.scalars(select(Setting).where(Setting.kind == kind, Setting.status == "open")
                                    .order_by(Setting.id)))
    oakfield = [h for h in homes if h.provider.name == "Oakfield Care"]
    homes = (oakfield + [h for h in homes if h not in oakfield])[:count - len(existing)]
    now = utcnow()
    for n, home in enumerate(homes):
        referral = Referral(council_id=council.id, dps_id=dps.id, status="placed", published_at=now, age=14,
                            case_reference=f"FB-DEMO-{kind[:4].upper()}-{n + 1}")
        db.session.add(referral)
        db.session.flush()
        award = Award(referral_id=referral.id, kind="spot_purchase", provider_id=home.provider_id, setting_id=home.id,
                      weekly_cost_pence=480_000, reason="Demo: placement made before Homefinder",
                      awarded_by_id=officer.id if officer else None)
        db.session.add(award)
        db.session.flush()
        placement = Placement(award_id=award.id, referral_id=referral.id, council_id=council.id,
                              provider_id=home.provider_id, setting_id=home.id, spot_purchase=True,
                              start_date=date.today() - timedelta(days=200 + 30 * n),
                              weekly_core_fee_pence=480_000, weekly_cost_pence=480_000)
        db.session.add(placement)
        existing.append(placement)
    db.session.flush()
    return existing


def seed_feedback() -> None:
    if db.session.scalar(select(func.count()).select_from(FeedbackResponse)):
        return
    council = db.session.scalar(select(Organisation).where(Organisation.name == COUNCIL))
    dps = db.session.scalar(select(Dps).join(Dps.councils).where(Organisation.id == council.id)) if council else None
    if council is None or dps is None:
        return
    qa = db.session.scalar(select(User).where(User.email == "qa@lewisham.example"))
    rng = random.Random(5_2026)
    now = utcnow()
    comments = list(COMMENTS)
    count = 0
    for kind, (places, responses) in PLAN.items():
        placements = _placements(council, dps, kind, places, qa)
        if not placements:
            continue
        for i in range(responses):
            placement = placements[i % len(placements)]
            respondent = TYPES[i % len(TYPES)]
            count += 1
            submitted = now - timedelta(days=rng.randint(5, 330), hours=rng.randint(0, 12))
            request = FeedbackRequest(placement_id=placement.id, respondent_type=respondent,
                                      token_hash=hash_token(f"demo-feedback-{count}"),
                                      sent_to=f"respondent{count}@example.org", created_by_id=qa.id if qa else None,
                                      created_at=submitted - timedelta(days=3),
                                      expires_at=submitted + timedelta(days=25), used_at=submitted)
            db.session.add(request)
            db.session.flush()
            status, text = comments.pop(0) if comments and kind == "childrens_home" and i % 2 == 0 else ("none", None)
            findings = [{"kind": f.kind, "text": f.text, "start": f.start, "end": f.end, "message": f.message()}
                        for f in scan(text)] if text else []
            if status == "approved" and findings:
                status = "pending"
            base = rng.choice((3, 4, 4, 5))
            db.session.add(FeedbackResponse(
                request_id=request.id, placement_id=placement.id, setting_id=placement.setting_id,
                provider_id=placement.provider_id, setting_kind=kind, respondent_type=respondent, comment=text,
                comment_status=status, comment_shown=text if status == "approved" else None, pii_findings=findings,
                moderated_by_id=qa.id if qa and status == "approved" else None,
                moderated_at=submitted + timedelta(days=2) if status == "approved" else None, submitted_at=submitted,
                scores=[FeedbackScore(theme=t, score=max(1, min(5, base + rng.choice((-1, 0, 0, 1)))))
                        for t in THEMES]))
    # Two links still waiting for an answer.
    first = db.session.scalar(select(Placement).where(Placement.council_id == council.id).order_by(Placement.id))
    if first is not None:
        for n, respondent in enumerate(("child", "carer")):
            db.session.add(FeedbackRequest(placement_id=first.id, respondent_type=respondent,
                                           token_hash=hashlib.sha256(f"demo-waiting-{n}".encode()).hexdigest(),
                                           sent_to=f"waiting{n}@example.org", created_by_id=qa.id if qa else None,
                                           created_at=now - timedelta(days=2), expires_at=now + timedelta(days=26)))
    manager = db.session.scalar(select(User).where(User.email == "dps@lewisham.example"))
    if db.session.scalar(select(func.count()).select_from(ForumMeeting)) == 0:
        day = (datetime.now(LONDON) + timedelta(days=21)).date()
        db.session.add(ForumMeeting(
            dps_id=dps.id, title="South East London provider forum", location="Laurence House, Catford",
            meets_at=datetime.combine(day, time(10, 0), tzinfo=LONDON),
            agenda="1. Welcome\n2. What children told us this quarter (forum pack)\n3. Placement stability\n"
                   "4. Any other business",
            created_by_id=manager.id if manager else None))
    db.session.flush()
