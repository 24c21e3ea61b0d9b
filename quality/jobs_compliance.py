"""Scheduled jobs for monthly returns and compliance. Imported by quality.register so they are registered."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core import db
from portal.core.jobs import periodic
from portal.core.mail import notify
from portal.core.models import PROVIDER_ROLES, User, UserRole
from quality import returns


@periodic(timedelta(hours=24))
def evaluate_compliance_nightly() -> int:
    """Run every compliance rule (dates move: insurance expires, grace ends, returns and actions fall due)."""
    from quality.compliance import evaluate_all

    changes = evaluate_all()
    db.commit()
    return len(changes)


@periodic(timedelta(hours=6))
def remind_monthly_returns() -> int:
    """From the 8th to the 10th (UK date), remind the provider's users of last month's missing returns.
    Keyed per setting and month, so each user hears once, even if the job runs several times."""
    today = returns.uk_today()
    if not returns.REMIND_DAY <= today.day <= returns.DUE_DAY:
        return 0
    month = returns.previous_month(returns.month_start(today))
    sent = 0
    by_provider: dict[int, list] = {}
    from portal.models import Setting

    settings = db.session.scalars(select(Setting).where(Setting.status == "open").order_by(Setting.id)).all()
    done = returns.submitted_months([s.id for s in settings], [month])
    for setting in settings:
        if returns.required(setting, month) and (setting.id, month) not in done:
            by_provider.setdefault(setting.provider_id, []).append(setting)
    for provider_id, missing in by_provider.items():
        people = db.session.scalars(select(User).join(UserRole).where(
            User.organisation_id == provider_id, User.status == "active", UserRole.role.in_(PROVIDER_ROLES))
            .distinct().order_by(User.id)).all()
        for setting in missing:
            link = returns_link(setting.id, month)
            for user in people:
                notify(user, "return_overdue", "monthly_return", f"{setting.id}-{month:%Y-%m}", link=link,
                       setting=setting, month=month, due_on=returns.due_on(month))
                sent += 1
    db.commit()
    return sent


def returns_link(setting_id: int, month) -> str:
    from quality.compliance import _link

    return _link("returns.submit", setting_id=setting_id, month=f"{month:%Y-%m}")
