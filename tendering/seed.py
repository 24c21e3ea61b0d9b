"""Demo competitions: referrals of the demo council in every lifecycle state, run through the same services
officers, providers and panel members use, so every tendering screen has data on `make demo`.

Deterministic and idempotent: does nothing once the demo referrals exist. Deadlines that have "passed" are
moved into the past after the proposals are in (the services refuse late proposals, rightly)."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.core import db
from portal.core.auth import create_user, find_user
from portal.core.db import utcnow
from portal.core.models import Organisation, User
from portal.models import Lot, Setting
from tendering import award, closing, evaluation, invitations, placements, proposals
from tendering.models import OUTCOMES, Clarification, Referral, ReferralNeed, ReferralProvider
from tendering.services import publish

COUNCIL = "London Borough of Lewisham"
OFFICER = "placements@lewisham.example"
PANEL = ("panel@lewisham.example", "panel2@lewisham.example")
SECOND_PANEL_NAME = "Joanne Hart"
DEMO_PASSWORD = "homefinder-demo-2026"
CONTACTS = {
    "London Borough of Lewisham": ("Placements team", "placements.team@lewisham.example", "020 8314 6000",
                                   "Laurence House, 1 Catford Road, London", "SE6 4RU",
                                   ["SE4", "SE6", "SE8", "SE12", "SE13", "SE14", "SE23", "SE26", "BR1"]),
    "Royal Borough of Greenwich": ("Placements service", "placements@greenwich.example", "020 8854 8888",
                                   "The Woolwich Centre, 35 Wellington Street, London", "SE18 6HQ",
                                   ["SE2", "SE3", "SE7", "SE9", "SE10", "SE18", "SE28"]),
    "London Borough of Southwark": ("Commissioning team", "commissioning@southwark.example", "020 7525 5000",
                                    "160 Tooley Street, London", "SE1 2QH",
                                    ["SE1", "SE5", "SE15", "SE16", "SE17", "SE21", "SE22"]),
}
# (status to reach, label used in internal notes)
PLAN = ["draft", "draft_blocked", "published", "published_oakfield_draft", "closed_scoring", "closed_moderation",
        "quality_evaluated", "price_evaluated", "awarded_oakfield", "placed", "cancelled", "no_suitable",
        "spot_purchase"]
WHAT_MATTERS = [
    "I want to stay near my friends and keep going to my football club on Saturdays.",
    "I would like a quiet room of my own and adults who listen when I am upset.",
    "Keeping in touch with my younger sister is the most important thing to me.",
    "I want to finish my GCSE courses and I like drawing and music.",
]
ANSWERS = ["We will build on her strengths with a key worker she chooses and weekly one-to-one time.",
           "Our therapeutic model uses trauma-informed routines agreed with her and reviewed monthly.",
           "A named link worker liaises with school daily and we fund tutoring where it helps.",
           "She will be supported to join local clubs and volunteering she chooses.",
           "We offer a staged independence programme: budgeting, cooking and travel training."]


def _user(org: Organisation, email: str, name: str, role: str) -> User:
    return find_user(email) or create_user(org, email, name, [role], password=DEMO_PASSWORD)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _bidder(provider: Organisation) -> User:
    """A provider user to act for providers that have no demo login (Oakfield Care has Priya Shah)."""
    if provider.name == "Oakfield Care":
        return find_user("provider.admin@oakfield-care.example")
    return _user(provider, f"bids@{_slug(provider.name)}.example", f"{provider.name} bids team", "provider_admin")


def _anchor(rng: random.Random) -> list[Setting]:
    """Oakfield Care's open homes: referrals are written so that Oakfield (the demo provider) is invited."""
    return list(db.session.scalars(
        select(Setting).join(Organisation, Organisation.id == Setting.provider_id)
        .where(Organisation.name == "Oakfield Care", Setting.status == "open", Setting.kind == "childrens_home",
               Setting.suspended.is_(False)).order_by(Setting.id)))


def _referral(council: Organisation, officer: User, lot: Lot, home: Setting, n: int, rng: random.Random,
              **fields) -> Referral:
    now = utcnow()
    age = max(home.min_age, min(home.max_age, 12 + n % 5))
    sex = "female" if home.accepts_female and (n % 2 or not home.accepts_male) else "male"
    essential = [need.code for need in home.needs[:1]]
    values = dict(
        council_id=council.id, dps_id=lot.dps_id, lot_id=lot.id, created_by_id=officer.id, status="draft", age=age,
        sex=sex, legal_status=rng.choice(["care_order", "section_20", "interim_care_order"]), group_size=1,
        cultural_needs="Enjoys cooking food from her family's heritage" if sex == "female" else
        "Enjoys cooking food from his family's heritage",
        religious_needs="Would like to attend a place of worship on Fridays" if n % 3 == 0 else "None stated",
        language_needs="Speaks English and some Somali" if n % 4 == 0 else "Speaks English",
        education_status="in_school", education_notes="Attends a mainstream secondary school in Year 10",
        what_matters=WHAT_MATTERS[n % len(WHAT_MATTERS)], preferred_district=home.district, max_distance_miles=25,
        avoid_districts=["E1"] if n % 2 else [], emergency=False, start_date=date.today() + timedelta(days=21),
        expected_duration="long_term", response_deadline=now + timedelta(days=6),
        clarification_cutoff=now + timedelta(days=4), case_reference=f"LCS-{700100 + n}",
        budget_ceiling_pence=rng.choice([550_000, 650_000, 750_000]),
        internal_notes=f"Demo referral {n}: {PLAN[n] if n < len(PLAN) else 'completed last year'}", home_district=council_home(council, n),
        **{f"outcome_{code}": f"Support to {label.lower()} with consistent adults" for code, label in OUTCOMES.items()})
    values.update(fields)
    referral = Referral(**values)
    db.session.add(referral)
    db.session.flush()
    for code in essential:
        db.session.add(ReferralNeed(referral_id=referral.id, need_code=code, severity="high", essential=True))
    db.session.add(ReferralNeed(referral_id=referral.id, need_code="trauma_attachment" if essential != [
        "trauma_attachment"] else "missing_episodes", severity="medium", essential=False))
    db.session.flush()
    db.session.refresh(referral)
    return referral


def council_home(council: Organisation, n: int) -> str:
    districts = CONTACTS.get(council.name, (None,) * 5 + (["SE6"],))[5]
    return districts[n % len(districts)]


def _propose(referral: Referral, rng: random.Random, *, submit_count: int, oakfield: str | None = "submitted",
             fees: list[int] | None = None) -> list:
    """Invited providers answer: Oakfield as asked (submitted / draft / None), then others up to submit_count."""
    rows = list(db.session.scalars(select(ReferralProvider).where(ReferralProvider.referral_id == referral.id,
                                                                   ReferralProvider.invited.is_(True))
                                   .order_by(ReferralProvider.rank, ReferralProvider.provider_id)))
    rows.sort(key=lambda r: r.provider.name != "Oakfield Care")
    made, fees = [], list(fees or [])
    for row in rows:
        is_oakfield = row.provider.name == "Oakfield Care"
        if is_oakfield and oakfield is None:
            continue
        submitting = (oakfield == "submitted") if is_oakfield else True
        if not is_oakfield and sum(1 for p in made if p.status == "submitted") >= submit_count:
            break
        homes = invitations.matched_homes(row)
        if not homes:
            continue
        fee = fees.pop(0) if fees else rng.randrange(420_000, 720_000, 2_500)
        data = {"setting_id": homes[0].id,
                "outcome_answers": {code: ANSWERS[i] for i, code in enumerate(OUTCOMES)},
                "need_answers": {n.need_code: "Our staff are trained and supervised by a clinical lead."
                                 for n in proposals.essential_needs(row)},
                "staffing": "Two staff on each day shift and one waking night; a stable core team of six.",
                "education_offer": "We keep her current school place and provide transport and a homework tutor.",
                "start_date": referral.start_date, "weekly_core_fee_pence": fee, "notice_period_weeks": 4,
                "services": [{"description": "Therapeutic sessions", "unit": "session", "unit_price_pence": 6_500,
                              "quantity_per_week": 1, "weeks": 26}] if rng.random() < 0.6 else []}
        made.append(proposals.save(row, _bidder(row.provider), data, submit=submitting))
    return made


def _close(referral: Referral) -> None:
    """Move the deadline into the past (the proposals are in) and close by the clock."""
    now = utcnow()
    referral.published_at = now - timedelta(days=9)
    referral.clarification_cutoff = now - timedelta(days=4)
    referral.response_deadline = now - timedelta(days=2)
    db.session.flush()
    closing.close_if_due(referral)


def _score(referral: Referral, members: list[User], rng: random.Random, *, submit: bool = True,
           partial: bool = False) -> None:
    evaluation.set_panel(referral, [m.id for m in members], _officer())
    for m_index, member in enumerate(members):
        assignment = evaluation.assignment_for(member, referral.id)
        subs = evaluation.submitted_proposals(referral)
        for p_index, proposal in enumerate(subs):
            if partial and p_index > 0:
                break
            base = 1 + (p_index * 7 + referral.id) % 4  # some proposals weak, some strong
            values = {code: (max(0, min(4, base + rng.choice([-1, 0, 0, 1]) + (2 if m_index and i == 0 and p_index == 1
                                                                                  else 0))),
                             "Evidence in the proposal: " + ANSWERS[i][:60].lower())
                      for i, code in enumerate(OUTCOMES)}
            evaluation.save_scores(assignment, proposal, values, member)
        if submit and not partial:
            evaluation.submit_scores(assignment, member)


def _moderate(referral: Referral, officer: User, *, floor: int | None = None) -> None:
    panel_scores = evaluation.scores_by(referral)
    for proposal in evaluation.submitted_proposals(referral):
        values = {}
        for code in OUTCOMES:
            given = [s.score for s in panel_scores[proposal.id][code].values()]
            score = round(sum(given) / len(given)) if given else 2
            values[code] = (score if floor is None else min(score, floor), "Agreed at moderation from both scores")
        evaluation.moderate(referral, proposal, values, officer)


def _officer() -> User:
    return find_user(OFFICER)


def seed_referrals() -> None:
    council = db.session.scalar(select(Organisation).where(Organisation.name == COUNCIL))
    officer = _officer()
    if council is None or officer is None:
        return
    if db.session.scalar(select(func.count()).select_from(Referral).where(Referral.council_id == council.id)):
        return
    rng = random.Random(4022)
    for name, (contact, email, phone, address, postcode, districts) in CONTACTS.items():
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        if org is not None:
            org.contact_name, org.contact_email, org.contact_phone = contact, email, phone
            org.address, org.postcode, org.area_districts = address, postcode, districts
    members = [find_user(PANEL[0]) or _user(council, PANEL[0], "Dr Alan Reid", "panel_member"),
               _user(council, PANEL[1], SECOND_PANEL_NAME, "panel_member")]
    homes = _anchor(rng)
    lot = db.session.scalar(select(Lot).where(Lot.kind == "residential").order_by(Lot.id))
    if not homes or lot is None:
        return
    db.session.flush()
    for n, step in enumerate(PLAN):
        home = homes[n % len(homes)]
        if step == "draft":
            referral = _referral(council, officer, lot, home, n, rng, what_matters=None, outcome_be_healthy=None,
                                 response_deadline=None, clarification_cutoff=None)
            continue
        if step == "draft_blocked":
            _referral(council, officer, lot, home, n, rng,
                      what_matters="My name is Jayden Okoro and I want to stay at Forest Hill School.")
            continue
        referral = _referral(council, officer, lot, home, n, rng)
        publish(referral, officer)
        db.session.flush()
        if step == "cancelled":
            placements.cancel(referral, officer, "The child is returning home to family under a new plan.")
            continue
        if step.startswith("published"):
            _propose(referral, rng, submit_count=2, oakfield="draft" if step.endswith("draft") else None)
            _questions(referral, officer)
            continue
        _propose(referral, rng, submit_count=4 if step != "no_suitable" else 3,
                 fees=[520_000, 610_000, 575_000, 690_000, 480_000])
        _close(referral)
        if step == "closed_scoring":
            _score(referral, members, rng, partial=True)
            continue
        _score(referral, members, rng)
        if step == "closed_moderation":
            continue
        _moderate(referral, officer, floor=1 if step in ("no_suitable", "spot_purchase") else None)
        evaluation.lock_quality(referral, officer)
        if referral.status == "no_suitable_proposal":
            if step == "spot_purchase":
                spot = next(s for s in placements.spot_settings() if s.provider.name != "Oakfield Care")
                placements.spot_purchase(referral, officer, spot.id, 695_000, date.today() - timedelta(days=3),
                                         "No suitable proposal and the child needed a home within 48 hours; "
                                         "this home had a vacancy and the social worker visited it.")
            continue
        if step == "quality_evaluated":
            continue
        award.reveal_prices(referral, officer)
        if step == "price_evaluated":
            continue
        ranked = sorted((p for p in evaluation.submitted_proposals(referral) if p.rank), key=lambda p: p.rank)
        winner = next((p for p in ranked if p.provider.name == "Oakfield Care"), ranked[0]) \
            if step == "awarded_oakfield" else next((p for p in ranked if p.provider.name != "Oakfield Care"),
                                                    ranked[0])
        reason = None if winner.rank == 1 else ("The second-ranked home is closer to her school and her sister; "
                                                "the panel agreed stability outweighs the price difference.")
        award.award(referral, winner.id, reason, officer)
        if step == "placed":
            placements.record_moved_in(referral, officer, date.today())
    seed_history(council, officer, members, rng)
    db.session.flush()


# Completed competitions over the past year, so dashboards and feedback have history: (lot kind, home kind).
HISTORY = [("residential", "childrens_home")] * 6 + [("fostering", "independent_fostering")] * 4 + [
    ("supported_16_17", "supported_accommodation")] * 2 + [("parent_and_child", "parent_and_child")]


def _backdate(referral: Referral, days: int) -> None:
    """Shift a finished competition `days` into the past (its audit rows keep their real times)."""
    shift = timedelta(days=days)
    for field in ("published_at", "closed_at", "quality_locked_at", "price_revealed_at", "awarded_at", "placed_at",
                  "response_deadline", "clarification_cutoff", "created_at"):
        if getattr(referral, field) is not None:
            setattr(referral, field, getattr(referral, field) - shift)
    placement = placements.placement_for(referral)
    if placement is not None:
        placement.start_date -= shift
        if placement.moved_in_at is not None:
            placement.moved_in_at -= shift
        placement.award.awarded_at -= shift


def seed_history(council: Organisation, officer: User, members: list[User], rng: random.Random) -> None:
    for n, (lot_kind, home_kind) in enumerate(HISTORY):
        lot = db.session.scalar(select(Lot).where(Lot.kind == lot_kind).order_by(Lot.id))
        homes = list(db.session.scalars(select(Setting).where(Setting.kind == home_kind, Setting.status == "open",
                                                              Setting.suspended.is_(False)).order_by(Setting.id)))
        if lot is None or not homes:
            continue
        home = homes[(n * 7) % len(homes)]
        referral = _referral(council, officer, lot, home, 20 + n, rng, max_distance_miles=40,
                             start_date=date.today() + timedelta(days=7))
        publish(referral, officer)
        if not _propose(referral, rng, submit_count=2 + n % 5, oakfield="submitted"):
            continue
        _close(referral)
        _score(referral, members, rng)
        _moderate(referral, officer)
        evaluation.lock_quality(referral, officer)
        if referral.status != "quality_evaluated":
            continue
        award.reveal_prices(referral, officer)
        ranked = sorted((p for p in evaluation.submitted_proposals(referral) if p.rank), key=lambda p: p.rank)
        award.award(referral, ranked[0].id, None, officer)
        placements.record_moved_in(referral, officer, date.today())
        _backdate(referral, 380 - n * 30)
        placement = placements.placement_for(referral)
        if n % 4 == 3:  # some have ended, one of them unplanned
            placement.end_date = placement.start_date + timedelta(days=120)
            placement.ended_planned = n != 3
    db.session.flush()


def _questions(referral: Referral, officer: User) -> None:
    rows = list(db.session.scalars(select(ReferralProvider).where(ReferralProvider.referral_id == referral.id,
                                                                   ReferralProvider.invited.is_(True))
                                   .order_by(ReferralProvider.provider_id).limit(2)))
    if not rows:
        return
    now = utcnow()
    answered = Clarification(referral_id=referral.id, provider_id=rows[0].provider_id,
                             asked_by_id=_bidder(rows[0].provider).id, asked_at=now - timedelta(hours=20),
                             question="Is contact with her sibling supervised, and how often is it planned?",
                             answer="Contact is weekly and supervised by the council's family time service.",
                             answered_at=now - timedelta(hours=2), answered_by_id=officer.id)
    db.session.add(answered)
    if len(rows) > 1:
        db.session.add(Clarification(referral_id=referral.id, provider_id=rows[1].provider_id,
                                     asked_by_id=_bidder(rows[1].provider).id, asked_at=now - timedelta(hours=1),
                                     question="Would you consider a home 30 miles away with a school place "
                                              "already agreed?"))
    db.session.flush()
