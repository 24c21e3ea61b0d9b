"""Sealed and blind (issue #7 item 2): one referral is taken through every lifecycle status by the real services
and, at each status, every GET page the app has (app.url_map, ids substituted from the referral's world), every
CSV/XLSX/PDF/JSON download those pages link to, and every email and inbox message is read as each role. Distinct
markers in two providers' proposals, the child's case reference and the council's budget notes must never reach
anyone the design says must not see them (DESIGN.md "Evaluation — outcomes before price", "Referral").

Table-driven: a route added later that takes a <referral_id> (or any id below) is swept without editing this
file; test_every_referral_page_was_actually_read fails if a referral route was never successfully read."""
from __future__ import annotations

import html
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import or_, select

from portal.core import db
from portal.core.access import rule_for
from portal.core.db import utcnow
from portal.core.models import EmailMessage, InboxMessage
from tests import factories
from tests.conftest import sign_in
from tests.test_exports import _pdf_text

STATIC = {"static", "assets", "govuk_dist"}
PARAM = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_]+)>")
FORMAT_HREF = re.compile(r'href="([^"]*[?&]format=[^"]*)"')

CASE = "CASE-ZX-9913"
NOTES = "WOMBAT budget note: keep under the ceiling"
BUDGET = 777_123  # £7,771.23 a week


def money(pence: int) -> list[str]:
    """Every way a page, CSV, XLSX, PDF or JSON might print an amount: 4321.09, 4,321.09, 432109, £4,321."""
    pounds = pence / 100
    return [f"{pounds:.2f}", f"{pounds:,.2f}", str(pence), f"{int(pounds):,}"]


@dataclass
class Bidder:
    key: str
    provider: str
    home: str
    plan: str
    fee: int
    org_id: int = 0
    proposal_id: int = 0

    def markers(self) -> dict[str, list[str]]:
        return {f"content:{self.key}": [self.plan], f"price:{self.key}": money(self.fee),
                f"identity:{self.key}": [self.provider, self.home]}


BIDDERS = (Bidder("Z", "Zanzibar Care", "Zanzibar Lodge", "QUOKKA-PLAN-ZAN", 432_109),  # cheaper: ranked 1, wins
           Bidder("Y", "Yarrowbay Homes", "Yarrowbay Court", "QUOKKA-PLAN-YAR", 587_613))
REFERRAL_MARKERS = {"case": [CASE], "notes": ["WOMBAT"], "budget": money(BUDGET)}
OUTSIDERS = ("other_officer", "uninvited")
ROLES = ("officer", "panel", "other_officer", "provider_Z", "provider_Y", "uninvited", "qa", "dps_manager")


@dataclass
class World:
    referral_id: int
    users: dict[str, tuple[int, str]]  # role -> (user id, email)
    bidders: dict[str, Bidder]
    values: dict[str, list] = field(default_factory=dict)  # url parameter -> candidate values


def forbidden(role: str, sealed: bool, revealed: bool) -> set[str]:
    """The marker groups this role must not see at this point of the lifecycle."""
    out: set[str] = set()
    for key in ("Z", "Y"):
        if role == f"provider_{key}":
            continue  # a provider always sees its own proposal
        if sealed:  # before the deadline nobody but the author sees a proposal's content or price
            out |= {f"content:{key}", f"price:{key}"}
        if not revealed:  # no price to anyone before quality is locked and prices are revealed
            out.add(f"price:{key}")
        if role.startswith("provider_") or role == "uninvited" or role == "other_officer":
            out |= {f"content:{key}", f"price:{key}"}  # a rival's or another council's proposal: never
        if role.startswith("provider_"):
            out.add(f"identity:{key}")  # unsuccessful providers never learn the winner's name
        if role == "panel":
            out |= {f"price:{key}", f"identity:{key}"}  # blind panel: never a price or a provider
    if role.startswith("provider_") or role in OUTSIDERS:
        out |= {"case", "notes", "budget"}
    return out  # (provider names are public on the DPS: only the blind panel and rival bidders must not see them)


# --- the world: a council, its people, two bidders, one outsider, one referral -----------------------------

def build_world(app) -> World:
    with app.app_context():
        council = factories.organisation("council", name="Quokka Borough Council")
        other = factories.organisation("council", name="Neighbour Borough Council")
        dps = factories.dps(council, other)  # a consortium: the other council shares the DPS
        users = {"officer": factories.user("placements_officer", org=council),
                 "panel": factories.user("panel_member", org=council),
                 "qa": factories.user("qa_officer", org=council),
                 "dps_manager": factories.user("dps_manager", org=council),
                 "other_officer": factories.user("placements_officer", org=other)}
        second_panel = factories.user("panel_member", org=council)
        bidders = {}
        for template in BIDDERS:
            bidder = Bidder(**{**template.__dict__})
            org = factories.organisation("provider", name=bidder.provider)
            factories.admitted(org, dps)
            factories.setting(org, name=bidder.home)
            users[f"provider_{bidder.key}"] = factories.user("provider_admin", org=org)
            bidder.org_id = org.id
            bidders[bidder.key] = bidder
        outsider = factories.organisation("provider", name="Outsider Fostering")
        factories.admitted(outsider, dps)
        factories.setting(outsider)
        users["uninvited"] = factories.user("provider_admin", org=outsider)
        ref = factories.referral(council, dps_obj=dps, case_reference=CASE, internal_notes=NOTES,
                                 budget_ceiling_pence=BUDGET)
        world = World(ref.id, {role: (u.id, u.email) for role, u in users.items()}, bidders)
        world.values["second_panel"] = [second_panel.id]
        db.commit()
    return world


def _user(world: World, role: str):
    from portal.core.models import User
    return db.session.get(User, world.users[role][0])


def _referral(world: World):
    from tendering.models import Referral
    return db.session.get(Referral, world.referral_id)


def publish(world: World) -> None:
    """Published and sent to the two bidders (invited directly: matching has its own tests); both submit."""
    from tendering import distribution, proposals
    from tendering.lifecycle import transition
    from tendering.models import OUTCOMES, Clarification

    ref, officer = _referral(world), _user(world, "officer")
    transition(ref, "published", officer)
    for bidder in world.bidders.values():
        from portal.models import Setting
        home = db.session.scalar(select(Setting).where(Setting.provider_id == bidder.org_id))
        row = factories.invite(ref, db.session.get(type(ref.council), bidder.org_id), home)
        data = {"setting_id": home.id, "outcome_answers": {code: f"{bidder.plan} for {code}" for code in OUTCOMES},
                "need_answers": {n.need_code: f"{bidder.plan}: trained staff" for n in proposals.essential_needs(row)},
                "staffing": f"{bidder.plan} two staff by day", "education_offer": "Transport to her school",
                "start_date": ref.start_date, "weekly_core_fee_pence": bidder.fee, "notice_period_weeks": 4,
                "services": []}
        bidder.proposal_id = proposals.save(row, _user(world, f"provider_{bidder.key}"), data, submit=True).id
    db.session.add(Clarification(referral_id=ref.id, provider_id=world.bidders["Y"].org_id,
                                 question="Is there a garden?", answer="Yes, a large one", answered_at=utcnow()))
    distribution.send_invitations(ref.id)


def close(world: World) -> None:
    """The deadline passes (moved into the past, as the demo seed does); the panel scores both proposals."""
    from tendering import closing, evaluation
    from tendering.models import OUTCOMES

    ref, now = _referral(world), utcnow()
    ref.published_at, ref.clarification_cutoff = now - timedelta(days=9), now - timedelta(days=4)
    ref.response_deadline = now - timedelta(days=2)
    db.session.flush()
    assert closing.close_if_due(ref)
    members = [_user(world, "panel"), db.session.get(type(_user(world, "panel")), world.values["second_panel"][0])]
    evaluation.set_panel(ref, [m.id for m in members], _user(world, "officer"))
    for member in members:
        assignment = evaluation.assignment_for(member, ref.id)
        for proposal in evaluation.submitted_proposals(ref):
            evaluation.save_scores(assignment, proposal, {c: (3, "Good evidence in the plan") for c in OUTCOMES},
                                   member)
        evaluation.submit_scores(assignment, member)


def _moderate_and_lock(world: World, score: int) -> None:
    from tendering import evaluation
    from tendering.models import OUTCOMES

    ref, officer = _referral(world), _user(world, "officer")
    for proposal in evaluation.submitted_proposals(ref):
        evaluation.moderate(ref, proposal, {c: (score, "Agreed at moderation") for c in OUTCOMES}, officer)
    evaluation.lock_quality(ref, officer)


def lock(world: World) -> None:
    _moderate_and_lock(world, 3)


def lock_nothing_suitable(world: World) -> None:
    _moderate_and_lock(world, 1)


def reveal(world: World) -> None:
    from tendering import award
    award.reveal_prices(_referral(world), _user(world, "officer"))


def award_winner(world: World) -> None:
    from tendering import award
    award.award(_referral(world), world.bidders["Z"].proposal_id, None, _user(world, "officer"))


def moved_in(world: World) -> None:
    from tendering import placements
    placements.record_moved_in(_referral(world), _user(world, "officer"), date.today())


def cancel(world: World) -> None:
    from tendering import placements
    placements.cancel(_referral(world), _user(world, "officer"), "The child is returning home to family")


PATHS = {  # (status reached, how): every status of tendering/lifecycle.py ALLOWED is reached by one path
    "main": [("draft", None), ("published", publish), ("closed", close), ("quality_evaluated", lock),
             ("price_evaluated", reveal), ("awarded", award_winner), ("placed", moved_in)],
    "cancelled": [("published", publish), ("cancelled", cancel)],
    "no_suitable": [("published", publish), ("closed", close), ("no_suitable_proposal", lock_nothing_suitable)],
}


# --- url generation (shared with tests/test_security_headers.py) -------------------------------------------

def get_rules(app):
    """Every GET route but static files and signing out."""
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in STATIC and "GET" in r.methods),
                  key=lambda r: r.rule)


def expand(rule, values: dict[str, list]) -> list[str]:
    """The rule's URLs for every combination of candidate values; [] if a parameter has no candidate."""
    names = PARAM.findall(rule.rule)
    if any(not values.get(name) for name in names):
        return []
    urls = []
    for combo in itertools.product(*(values[name] for name in names)):
        chosen = iter(combo)
        urls.append(PARAM.sub(lambda _m: str(next(chosen)), rule.rule))
    return urls


def may_try(app, rule, roles: set[str]) -> bool:
    access = rule_for(app, rule.endpoint)
    return access is not None and (access.public or not access.roles or bool(access.roles & roles))


def candidate_values(world: World, user_id: int, everything: bool = True) -> dict[str, list]:
    """Ids from this world for every url parameter the app uses about a referral (and its user's own rows)."""
    from tendering.authoring import SECTIONS as REFERRAL_SECTIONS
    from tendering.models import Clarification, Placement, Proposal

    ref_id = world.referral_id
    proposals = list(db.session.scalars(select(Proposal).where(Proposal.referral_id == ref_id)))
    placements = list(db.session.scalars(select(Placement.id).where(Placement.referral_id == ref_id)))
    return {
        "referral_id": [ref_id],
        "proposal_id": [p.id for p in proposals],
        "label": sorted({p.label for p in proposals if p.label}) or ["A"],
        "number": [1],
        "question_id": list(db.session.scalars(select(Clarification.id).where(Clarification.referral_id == ref_id))),
        "section": sorted(REFERRAL_SECTIONS)[:None if everything else 1],  # the referral's own fields only
        "placement_id": placements,
        "provider_id": [b.org_id for b in world.bidders.values()],
        "message_id": list(db.session.scalars(select(InboxMessage.id).where(InboxMessage.user_id == user_id))),
        "fmt": ["pdf", "csv", "xlsx"],
    }


AGGREGATES = {"sufficiency.dashboard"}  # market-wide tables (about 30 downloads): read once, at the end


def about_referrals(app, rule) -> bool:
    """Pages that read referrals, proposals and their messages (tendering/, the inbox, the dashboard); the rest
    (homes, documents, DPS, quality) can only show a referral's data through its placement, so the sweep reads
    them once, when the referral is placed."""
    if rule.endpoint in AGGREGATES:
        return False
    module = app.view_functions[rule.endpoint].__module__
    return (module.startswith("tendering.") or "<int:referral_id>" in rule.rule
            or rule.endpoint in ("core.inbox", "core.inbox_message", "portal.dashboard"))


def readable(response) -> str:
    """The text a person would read in the response, whatever its format."""
    data = response.get_data()
    if data.startswith(b"%PDF"):
        return _pdf_text(data)
    if data.startswith(b"PK"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(" ".join("" if v is None else str(v) for v in row)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return html.unescape(data.decode("utf-8", "replace"))


# --- the sweep ------------------------------------------------------------------------------------------------

@dataclass
class Sweep:
    app: object
    world: World
    clients: dict
    leaks: list = field(default_factory=list)
    read: dict = field(default_factory=dict)  # endpoint -> how many times it answered 200
    errors: list = field(default_factory=list)

    seen: set = field(default_factory=set)  # (status, role, group) shown where allowed: the sweep can see
    messages: dict = field(default_factory=dict)  # role -> emails and inbox messages read

    def check(self, role: str, where: str, text: str, groups: set[str], markers: dict[str, list[str]]) -> None:
        for group in sorted(markers):
            marker = next((m for m in markers[group] if m in text), None)
            if marker is None:
                continue
            if group in groups:
                self.leaks.append(f"{where} as {role}: {group} {marker!r}")
            else:
                self.seen.add((where.split("]")[0].strip("["), role, group))

    def run(self, status: str, everything: bool) -> None:
        from tendering.models import Referral

        with self.app.app_context():
            ref = db.session.get(Referral, self.world.referral_id)
            assert ref.status == status
            sealed = status in ("draft", "published") or ref.closed_at is None
            revealed = ref.price_revealed_at is not None
        markers = dict(REFERRAL_MARKERS)
        for bidder in self.world.bidders.values():
            markers.update(bidder.markers())
        for role in ROLES:
            groups = forbidden(role, sealed, revealed)
            self.sweep_pages(role, status, groups, markers, everything)
            self.sweep_messages(role, status, groups, markers)

    def sweep_pages(self, role: str, status: str, groups: set[str], markers, everything: bool) -> None:
        client = self.clients[role]
        user_id, _email = self.world.users[role]
        with self.app.app_context():
            values = candidate_values(self.world, user_id, everything or status == "draft")
            user_roles = set(_user(self.world, role).roles)
        for rule in get_rules(self.app):
            if not may_try(self.app, rule, user_roles) or not (everything or about_referrals(self.app, rule)):
                continue
            if role in OUTSIDERS and status != "published" and not everything and "<int:referral_id>" in rule.rule:
                continue  # another organisation's referral is a 404 (tests/test_access.py); read once, then lists
            for url in expand(rule, values):
                response = client.get(url)
                where = f"[{status}] GET {url}"
                if response.status_code >= 500:
                    self.errors.append(f"{where} as {role}: {response.status_code}")
                    continue
                if response.status_code != 200:
                    continue
                self.read[rule.endpoint] = self.read.get(rule.endpoint, 0) + 1
                extra = {"case", "notes", "budget"} if rule.endpoint == "exports.ocds_package" else set()
                text = readable(response)
                self.check(role, where, text, groups | extra, markers)
                if response.mimetype == "text/html":
                    for href in sorted(set(FORMAT_HREF.findall(response.get_data(as_text=True)))):
                        if "format=xlsx" in href and not (status == "closed" or (everything and about_referrals(
                                self.app, rule))):  # the CSV's rows (portal/core/tabular.py): read where blind
                            continue
                        download = client.get(html.unescape(href))
                        if download.status_code >= 500:
                            self.errors.append(f"{where} → {href} as {role}: {download.status_code}")
                        elif download.status_code == 200:
                            self.check(role, f"{where} → {href}", readable(download), groups, markers)

    def sweep_messages(self, role: str, status: str, groups: set[str], markers) -> None:
        user_id, email = self.world.users[role]
        with self.app.app_context():
            emails = db.session.scalars(select(EmailMessage).where(
                or_(EmailMessage.user_id == user_id, EmailMessage.to_address == email)))
            for message in emails:
                self.messages[role] = self.messages.get(role, 0) + 1
                self.check(role, f"[{status}] email {message.kind}",
                           "\n".join([message.subject, message.body_text, html.unescape(message.body_html)]),
                           groups, markers)
            for message in db.session.scalars(select(InboxMessage).where(InboxMessage.user_id == user_id)):
                self.check(role, f"[{status}] inbox {message.kind}", f"{message.subject}\n{message.body_text}",
                           groups, markers)


def _run_path(app, path: str) -> Sweep:
    world = build_world(app)
    clients = {}
    for role, (_uid, email) in world.users.items():
        clients[role] = app.test_client()
        assert sign_in(clients[role], email, factories.PASSWORD).status_code == 302, role
    sweep = Sweep(app, world, clients)
    steps = PATHS[path]
    for n, (status, step) in enumerate(steps):
        if step is not None:
            with app.test_request_context():
                step(world)
                db.commit()
        last = n == len(steps) - 1
        if path == "main" or last:  # the other paths share main's earlier statuses: read only where they end
            sweep.run(status, everything=path == "main" and last)
    return sweep


@pytest.mark.parametrize("path", sorted(PATHS))
def test_no_marker_reaches_anyone_it_must_not(app, path):
    sweep = _run_path(app, path)
    assert not sweep.errors, "\n".join(sweep.errors[:20])
    assert not sweep.leaks, f"{len(sweep.leaks)} leaks:\n" + "\n".join(sweep.leaks[:40])
    expected = {  # what each role legitimately sees: proof that the sweep reads the places markers would be
        "main": {("draft", "officer", "case"), ("published", "provider_Z", "content:Z"),
                 ("published", "provider_Y", "price:Y"), ("closed", "officer", "identity:Y"),
                 ("closed", "panel", "content:Z"), ("closed", "panel", "content:Y"),
                 ("price_evaluated", "officer", "price:Z"), ("awarded", "officer", "identity:Z"),
                 ("placed", "dps_manager", "price:Z")},
        "cancelled": {("cancelled", "provider_Y", "content:Y"), ("cancelled", "officer", "notes")},
        "no_suitable": {("no_suitable_proposal", "officer", "identity:Z"),
                        ("no_suitable_proposal", "panel", "content:Y")},
    }[path]
    assert expected <= sweep.seen, f"never seen where allowed: {sorted(expected - sweep.seen)} (seen: {sweep.seen})"
    if path == "main":  # invitations, panel and award notices were really read, by email and inbox
        assert all(sweep.messages.get(role) for role in ("provider_Z", "provider_Y", "panel")), sweep.messages
        referral_pages = {r.endpoint for r in get_rules(app) if "<int:referral_id>" in r.rule}
        never_read = sorted(referral_pages - set(sweep.read))
        assert not never_read, f"referral pages the sweep never managed to read (give it the state they need): " \
                               f"{never_read}"


def test_lifecycle_paths_cover_every_status():
    from tendering.lifecycle import ALLOWED

    reached = {status for steps in PATHS.values() for status, _ in steps}
    assert reached == set(ALLOWED)


def test_the_markers_are_found_when_shown():
    """The sweep's own check can fail: a page that prints a marker in any of its formats is caught."""
    sweep = Sweep(app=None, world=None, clients={})
    markers = {**REFERRAL_MARKERS, **BIDDERS[0].markers()}
    for shown in ("Weekly fee £4,321.09", "4321.09", "fee,432109", "£4,321 a week", "Ref CASE-ZX-9913"):
        sweep.check("panel", "[closed] page", shown, {"price:Z", "case"}, markers)
    assert len(sweep.leaks) == 5 and not sweep.seen
    sweep.check("officer", "[closed] page", "QUOKKA-PLAN-ZAN at Zanzibar Lodge", {"price:Z"}, markers)
    assert sweep.seen == {("closed", "officer", "content:Z"), ("closed", "officer", "identity:Z")}


def test_downloads_are_decoded_before_searching():
    from fpdf import FPDF
    from openpyxl import Workbook

    class Download:
        def __init__(self, data):
            self.data = data

        def get_data(self):
            return self.data

    book, buffer = Workbook(), io.BytesIO()
    book.active.append(["Proposal A", 4321.09])
    book.save(buffer)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    pdf.cell(text="Weekly cost 4,321.09")
    assert "4321.09" in readable(Download(buffer.getvalue()))
    assert "4,321.09" in readable(Download(bytes(pdf.output())))
    assert "£4,321" in readable(Download("<td>&pound;4,321</td>".encode()))
