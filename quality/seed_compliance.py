"""Demo data for monthly returns and compliance (a seed hook; deterministic; does nothing if it ran before).

On the demo market it leaves: most returns sent and some overdue (homes at risk), stale vacancies (warnings),
the market's Inadequate homes suspended, one provider non-compliant within its insurance grace period and one
suspended from new referrals after the grace ended; the demo provider Oakfield Care has one home at risk (an
overdue return) and one with a warning (a vacancy unconfirmed for five weeks).
"""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import Organisation
from portal.models import INSURANCE_KINDS, Document, DpsApplication, Setting
from quality import returns
from quality.compliance import evaluate_all
from quality.models import ComplianceStatus, MonthlyReturn

DEMO_PROVIDER = "Oakfield Care"


def _backdate_settings(now) -> None:
    """The demo homes have been on Homefinder for months, so their returns are due (seeded homes are new)."""
    for setting in db.session.scalars(select(Setting).where(Setting.created_at > now - timedelta(days=100))):
        setting.created_at = now - timedelta(days=200)


def _returns(rng: random.Random, today) -> None:
    settings = db.session.scalars(select(Setting).where(Setting.status == "open").order_by(Setting.id)).all()
    oakfield_missed = None
    for setting in settings:
        oakfield = setting.provider.name == DEMO_PROVIDER
        for month in returns.recent_months(today):
            if oakfield and oakfield_missed is None and today > returns.due_on(month):
                oakfield_missed = setting.id  # the demo provider's first home misses one return
                continue
            if not oakfield and rng.random() < 0.08:
                continue
            db.session.add(MonthlyReturn(
                setting_id=setting.id, provider_id=setting.provider_id, month=month,
                incidents=rng.choice([0, 0, 0, 1, 2]), missing_episodes=rng.choice([0, 0, 1]),
                education_attendance_percent=Decimal(rng.randint(7000, 10000)) / 100,
                unplanned_endings=rng.choice([0, 0, 0, 1]), staff_vacancies=rng.choice([0, 1, 2]),
                submitted_at=utcnow()))


def _oakfield_stale_vacancy(now) -> None:
    oakfield = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_PROVIDER))
    if oakfield is None:
        return
    homes = db.session.scalars(select(Setting).where(Setting.provider_id == oakfield.id, Setting.status == "open")
                               .order_by(Setting.id)).all()
    with_vacancy = [s for s in homes if s.vacancy is not None]
    if len(with_vacancy) > 1:
        with_vacancy[-1].vacancy.confirmed_at = now - timedelta(days=35)


def _insurance_case(provider: Organisation, days_ago: int, today, now) -> None:
    """Expire the provider's public liability cover `days_ago` days ago, failing since then."""
    doc = db.session.scalar(select(Document).where(Document.organisation_id == provider.id,
                                                   Document.kind == INSURANCE_KINDS[0], Document.status == "current"))
    if doc is not None:
        doc.expires_on = today - timedelta(days=days_ago + 1)
    since = (now - timedelta(days=days_ago)).isoformat()
    db.session.add(ComplianceStatus(subject_type="provider", subject_id=provider.id, provider_id=provider.id,
                                    status="non_compliant", failing_since={"insurance": since},
                                    reasons=[{"rule": "insurance", "status": "non_compliant",
                                              "reason": "Public liability insurance expired"}]))


def seed_compliance() -> None:
    if db.session.scalar(select(ComplianceStatus.id).limit(1)) is not None:
        return
    if db.session.scalar(select(Setting.id).limit(1)) is None:
        return
    rng = random.Random(20261130)
    now = utcnow()
    today = returns.uk_today()
    _backdate_settings(now)
    db.session.flush()
    if db.session.scalar(select(MonthlyReturn.id).limit(1)) is None:
        _returns(rng, today)
    _oakfield_stale_vacancy(now)
    admitted_ids = select(DpsApplication.provider_id).where(DpsApplication.status == "admitted")
    admitted = db.session.scalars(
        select(Organisation).where(Organisation.id.in_(admitted_ids), Organisation.name != DEMO_PROVIDER,
                                   Organisation.council_id.is_(None)).order_by(Organisation.name)).all()
    if len(admitted) >= 2:
        _insurance_case(admitted[0], 20, today, now)  # grace over: suspended from new referrals
        _insurance_case(admitted[1], 3, today, now)  # within its 14 days' grace: non-compliant
    db.session.flush()
    evaluate_all(now)
    db.session.flush()
