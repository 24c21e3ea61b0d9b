"""Demo data for monitoring visits and actions (a `flask demo seed` hook; deterministic and idempotent).

Lewisham's QA officer has visited homes with each overall judgement, issued one report to Oakfield Care,
planned visits (one triggered by a concern), and left a home overdue for a visit; actions are open,
overdue, responded to and closed."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core import db
from portal.core.auth import find_user
from portal.core.models import Organisation
from portal.models import Setting
from quality import actions, visits
from quality.models import MonitoringVisit

QA_EMAIL = "qa@lewisham.example"
EVIDENCE = {
    "met": "Records, observation and conversations with staff and young people showed this standard is met.",
    "partly_met": "Mostly in place, but records were incomplete for two of the last six weeks.",
    "not_met": "No evidence this was in place; the manager agreed it needs urgent attention.",
}
PATTERN = {"outstanding": ["met"], "good": ["met", "met", "partly_met"],
           "requires_improvement": ["met", "partly_met", "not_met"], "inadequate": ["not_met", "partly_met"]}


def _complete(officer, home, overall: str, visited_on, *, issue: bool = False) -> MonitoringVisit:
    visit = visits.plan_visit(officer, home, kind="planned", planned_for=visited_on)
    pattern = PATTERN[overall]
    judged = {s.id: (pattern[i % len(pattern)], EVIDENCE[pattern[i % len(pattern)]])
              for i, s in enumerate(visits.standards_for(home))}
    visits.record_judgements(officer, visit, judgements=judged, overall=overall, visited_on=visited_on,
                             summary=f"A {overall.replace('_', ' ')} visit to {home.name}.")
    visits.transition(visit, "completed", officer)
    if issue:
        visits.transition(visit, "report_issued", officer)
    return visit


def seed_visits() -> None:
    officer = find_user(QA_EMAIL)
    oakfield = db.session.scalar(select(Organisation).where(Organisation.name == "Oakfield Care"))
    if officer is None or oakfield is None:
        return
    if db.session.scalar(select(MonitoringVisit.id).where(MonitoringVisit.council_id == officer.organisation_id)
                         .limit(1)) is not None:
        return
    own = list(db.session.scalars(select(Setting).where(Setting.provider_id == oakfield.id,
                                                        Setting.status == "open").order_by(Setting.id)))
    others = list(db.session.scalars(select(Setting).where(Setting.provider_id != oakfield.id,
                                                           Setting.status == "open").order_by(Setting.id).limit(30)))
    homes = own[:3] + others
    if len(homes) < 6:
        return
    today = visits.uk_today()
    issued = _complete(officer, homes[0], "requires_improvement", today - timedelta(days=20), issue=True)
    _complete(officer, homes[3], "outstanding", today - timedelta(days=60))
    _complete(officer, homes[4], "good", today - timedelta(days=90), issue=True)
    # The schedule reads Ofsted's rating: a home rated below Good and visited 5 months ago is overdue.
    risky = [h for h in homes[5:] if h.overall_effectiveness in (None, "Inadequate", "Requires improvement to be good")]
    _complete(officer, (risky or homes[5:])[0], "inadequate", today - timedelta(days=150))
    visits.plan_visit(officer, homes[1], kind="planned", planned_for=today + timedelta(days=21))
    visits.plan_visit(officer, homes[2], kind="triggered", planned_for=today + timedelta(days=5),
                      trigger_reason="A social worker raised a concern about night-time staffing.")

    def act(visit, home, priority, description, due_in_days, owner="provider"):
        return actions.create_action(officer, home, visit=visit, owner=owner, priority=priority,
                                     description=description, due_on=today + timedelta(days=due_in_days))

    act(issued, homes[0], "medium", "Update the missing-from-home protocol and share it with all staff.", 30)
    late = act(issued, homes[0], "high", "Complete the overdue fire risk assessment.", -7)
    actions.transition(late, "overdue", None, today=today)
    answered = act(issued, homes[0], "low", "Put the complaints procedure on the notice board in plain language.", 14)
    provider_user = find_user("provider.admin@oakfield-care.example")
    if provider_user is not None:
        actions.transition(answered, "provider_responded", provider_user,
                           reason="Done: a plain-language version is now on the board in the hall.")
    done = act(None, homes[4], "medium", "Review staff supervision records monthly.", 10)
    actions.transition(done, "closed", officer, reason="Seen at the visit: supervision is now monthly.")
    act(None, homes[3], "low", "Council to send the updated placement plan template.", 20, owner="council")
