"""The compliance rules (DESIGN.md "Quality — Compliance rules"): each a small function of one subject.

A rule takes the subject (a Setting, or a provider Organisation) and a Context, and returns None when it
passes or a Result (its status and a reason a provider can read) when it fails. Rules never write; the
engine (quality.compliance) combines them, keeps `failing_since`, and acts on the worst result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import or_, select

from portal.core import db
from portal.core.models import Organisation
from portal.models import DOCUMENT_KINDS, INSURANCE_KINDS, Document, DpsApplication, Setting
from quality import returns
from quality.models import QaAction

INSURANCE_GRACE = timedelta(days=14)
VACANCY_UNCONFIRMED = timedelta(days=30)
COMPLIANCE_PREFIX = "Compliance: "  # marks a suspension written by the engine (Setting / DpsApplication reason)


@dataclass(frozen=True)
class Result:
    rule: str
    status: str
    reason: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "status": self.status, "reason": self.reason}


@dataclass
class Prefetch:
    """What the setting rules would query one setting at a time, fetched once for a batch of settings."""
    actions: dict[int, list[QaAction]]  # setting id → overdue high-priority actions, oldest due first
    returns_done: set[tuple[int, date]]  # (setting id, month) with a submitted return

    @classmethod
    def for_settings(cls, setting_ids: list[int], today: date) -> "Prefetch":
        actions: dict[int, list[QaAction]] = {}
        for action in _overdue_actions(today, QaAction.setting_id.in_(setting_ids)):
            actions.setdefault(action.setting_id, []).append(action)
        return cls(actions, returns.submitted_months(setting_ids, returns.recent_months(today)))


@dataclass
class Context:
    now: datetime
    today: date  # the UK date
    failing_since: dict[str, str] = field(default_factory=dict)
    prefetch: Prefetch | None = None

    def since(self, rule: str) -> datetime:
        value = self.failing_since.get(rule)
        return datetime.fromisoformat(value) if value else self.now


def _long(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


# --- setting rules ----------------------------------------------------------------------------------

def ofsted(setting: Setting, ctx: Context) -> Result | None:
    """Rated Inadequate, or registration not active → suspended from new referrals."""
    if setting.overall_effectiveness == "Inadequate":
        when = f" on {_long(setting.inspection_date)}" if setting.inspection_date else ""
        return Result("ofsted", "suspended", f"Rated Inadequate by Ofsted{when}")
    if (setting.registration_status or "active") != "active":
        return Result("ofsted", "suspended", f"Ofsted registration is {setting.registration_status}")
    return None


def held_setting_suspension(setting: Setting, ctx: Context) -> Result | None:
    """A suspension someone else made (the Ofsted import, a DPS manager) stands until a DPS manager lifts it."""
    if setting.suspended and not (setting.suspended_reason or "").startswith(COMPLIANCE_PREFIX):
        why = f": {setting.suspended_reason}" if setting.suspended_reason else ""
        return Result("held_suspension", "suspended", f"Suspended from new referrals{why}")
    return None


def _overdue_actions(today: date, *conditions) -> list[QaAction]:
    return list(db.session.scalars(select(QaAction).where(
        *conditions, QaAction.priority == "high",
        or_(QaAction.status == "overdue",
            QaAction.status.in_(("open", "provider_responded")) & (QaAction.due_on < today)))
        .order_by(QaAction.due_on, QaAction.id)))


def _action_result(actions: list[QaAction]) -> Result | None:
    if not actions:
        return None
    first = actions[0]
    more = f" and {len(actions) - 1} more" if len(actions) > 1 else ""
    return Result("action_overdue", "at_risk",
                  f"High-priority action overdue since {_long(first.due_on)}: {first.description[:120]}{more}")


def setting_action_overdue(setting: Setting, ctx: Context) -> Result | None:
    """A high-priority QA action overdue → at risk."""
    if ctx.prefetch is not None:
        return _action_result(ctx.prefetch.actions.get(setting.id, []))
    return _action_result(_overdue_actions(ctx.today, QaAction.setting_id == setting.id))


def return_overdue(setting: Setting, ctx: Context) -> Result | None:
    """A monthly return overdue (after the 10th of the following month) → at risk."""
    months = returns.overdue_months(setting, ctx.today, ctx.prefetch.returns_done if ctx.prefetch else None)
    if not months:
        return None
    names = ", ".join(f"{m:%B %Y}" for m in months)
    return Result("return_overdue", "at_risk", f"Monthly return overdue for {names}")


def vacancy_unconfirmed(setting: Setting, ctx: Context) -> Result | None:
    """An open home's vacancy not confirmed for 30 days → warning."""
    vacancy = setting.vacancy
    if setting.status != "open" or vacancy is None or ctx.now - vacancy.confirmed_at < VACANCY_UNCONFIRMED:
        return None
    return Result("vacancy_unconfirmed", "warning",
                  f"Vacancy not confirmed since {_long(vacancy.confirmed_at.date())}")


SETTING_RULES: list[Callable[[Setting, Context], Result | None]] = [
    ofsted, held_setting_suspension, setting_action_overdue, return_overdue, vacancy_unconfirmed]


# --- provider rules ---------------------------------------------------------------------------------

def insurance(provider: Organisation, ctx: Context) -> Result | None:
    """Each required insurance needs a current document with expiry on or after today. Missing or expired →
    non-compliant; still failing after 14 days' grace → suspended from new referrals."""
    docs = {d.kind: d for d in db.session.scalars(
        select(Document).where(Document.organisation_id == provider.id, Document.status == "current",
                               Document.kind.in_(INSURANCE_KINDS)).order_by(Document.uploaded_at, Document.id))}
    problems = []
    for kind in INSURANCE_KINDS:
        doc = docs.get(kind)
        label = DOCUMENT_KINDS[kind]
        if doc is None:
            problems.append(f"{label} missing")
        elif doc.expires_on is not None and doc.expires_on < ctx.today:
            problems.append(f"{label} expired on {_long(doc.expires_on)}")
    if not problems:
        return None
    grace_ends = ctx.since("insurance") + INSURANCE_GRACE
    if ctx.now >= grace_ends:
        return Result("insurance", "suspended", "; ".join(problems) + " (14 days' grace has ended)")
    return Result("insurance", "non_compliant",
                  "; ".join(problems) + f". Suspended from new referrals on {_long(grace_ends.date())} "
                                        "unless put right")


def provider_action_overdue(provider: Organisation, ctx: Context) -> Result | None:
    """A high-priority QA action overdue at any of its homes → the provider is at risk too."""
    return _action_result(_overdue_actions(ctx.today, QaAction.provider_id == provider.id))


def held_admission_suspension(provider: Organisation, ctx: Context) -> Result | None:
    """A suspended DPS admission stands until a DPS manager reinstates it."""
    held = db.session.scalars(select(DpsApplication).where(
        DpsApplication.provider_id == provider.id, DpsApplication.status == "suspended")
        .order_by(DpsApplication.id)).all()
    if not held:
        return None
    names = ", ".join(a.dps.name for a in held)
    why = held[0].decision_reason or ""
    why = why[len(COMPLIANCE_PREFIX):] if why.startswith(COMPLIANCE_PREFIX) else why
    return Result("held_suspension", "suspended",
                  f"Suspended from new referrals on {names}" + (f": {why}" if why else ""))


PROVIDER_RULES: list[Callable[[Organisation, Context], Result | None]] = [
    insurance, provider_action_overdue, held_admission_suspension]
