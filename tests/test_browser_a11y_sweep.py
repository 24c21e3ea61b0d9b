"""Accessibility sweep (issue #7 item 10): on the real demo seed (a consortium market with referrals in every
lifecycle state, visits, compliance and feedback), every GET page of the app is opened in Chromium and checked
with axe-core; one readable report of every violation per role is asserted empty.

Table-driven from app.url_map and the access rules (portal.core.access.rule_for): each page is assigned to the
first role in PREFERENCE that may use it (pages for any signed-in user — dashboard, inbox, account — to every
role; HF_A11Y_EVERY_ROLE=1 gives every page to every role that may use it: ~40% more page loads). URL ids
are filled from seeded rows the role's owner check accepts, trying the next one until the page answers 200 HTML
without a redirect. Downloads (CSV, XLSX, PDF, JSON) are listed in DOWNLOADS and their Content-Type is checked;
a page its role could not open fails that role's test, and a GET route given to no role that is not EXCUSED fails
test_every_get_route_is_assigned — so a page added later is swept or explained. The authenticator-code, recovery
and first-sign-in set-up pages are checked on the way through signing in (SIGN_IN_STEPS).

Also: the provider's proposal form is completed and submitted with the keyboard alone (Tab, typing, Space, Enter)."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core import db
from portal.core.access import rule_for
from portal.seed import DEMO_PASSWORD, DEMO_USERS
from tests import factories
from tests.browser import AXE_JS, LiveServer, sign_in_browser
from tests.conftest import _create_database, _drop_database, make_app

pytestmark = pytest.mark.browser

STATIC = {"static", "assets", "govuk_dist"}
PARAM = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_]+)>")
QUERY = {"returns.submit": f"?month={(date.today().replace(day=1) - timedelta(days=1)):%Y-%m}"}  # last month
ROLES = tuple(role for role, *_ in DEMO_USERS)
ANONYMOUS = "anonymous"
PREFERENCE = ("provider_admin", "placements_officer", "qa_officer", "dps_manager", "panel_member", "provider_staff",
              "system_admin")  # who reads a page several roles may use: the one seeing the most
EVERY_ROLE = os.environ.get("HF_A11Y_EVERY_ROLE") == "1"
EVERY_VALUE = {"section", "framework"}  # each value is a different page (a form section, a framework)
STATUS_ORDER = ("awarded", "placed", "price_evaluated", "quality_evaluated", "closed", "published",
                "no_suitable_proposal", "cancelled", "draft")  # richest pages first
WANTS = {  # pages that open only in one state of the referral: try that state first (saves wasted page loads)
    "referrals.referrals_section": "draft", "referrals.referrals_publish": "draft", "award.cancel": "published",
    "award.reveal": "quality_evaluated", "proposals.edit": "published", "invitations.decline": "published",
}
DOWNLOADS = {  # GET routes that answer a file, not a page: Content-Type checked, no axe
    "exports.finance_export": "text/csv", "exports.ocds_package": "application/json",
    "award.results_csv": "text/csv", "award.results_pdf": "application/pdf",
    "award.results_xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "forums.pack": "application/pdf", "visits.visits_report_pdf": "application/pdf",
}
ONLY = {  # pages for any signed-in user that only some people can use
    "two_factor.set_up": ("provider_admin",),  # without an authenticator app (council staff must have one)
    "two_factor.turn_off": ("provider_staff",),  # a provider who set one up (the market fixture does)
}
SIGN_IN_STEPS = {  # pages reached only half-way through signing in: read on the way, by this role
    "two_factor.code": "placements_officer", "two_factor.recovery": "placements_officer",
    "two_factor.enrol": ANONYMOUS,  # a council user without an authenticator app, at their first sign-in
}
NEW_COUNCIL_USER = "new.panel@a11y.example"
EXCUSED = {  # GET routes no browser visit here covers, and why
    "core.document_download": "a presigned document link: answers the file itself (not HTML)",
    "table_exports.download": "a prepared CSV/XLSX file (not HTML)",
    "documents.documents_download": "redirects to the presigned link of the file itself (not HTML)",
    "history.history_own": "redirects to the provider's own history page (swept as history.history_provider)",
    "applications.applications_new": "redirects when there is one DPS; axe-checked in test_browser_admissions.py",
    "applications.applications_new_lots": "redirects once the provider has applied (the demo provider has); "
                                          "axe-checked in tests/test_browser_admissions.py",
    "ofsted.imports_detail": "the demo seed has no Ofsted import run; axe-checked in tests/test_browser_ofsted.py",
    "compliance.lift": "the demo seed suspends no provider; axe-checked in tests/test_browser_compliance.py",
    "table_exports.progress": "needs a background export run; axe-checked in tests/test_browser_table_exports.py",
}


def get_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in STATIC and "GET" in r.methods),
                  key=lambda r: r.rule)


def assignments(app, every_role: bool = EVERY_ROLE) -> dict[str, list]:
    """role -> the GET rules it reads (public ones: the anonymous visitor)."""
    out: dict[str, list] = {role: [] for role in PREFERENCE + (ANONYMOUS,)}
    for rule in get_rules(app):
        access = rule_for(app, rule.endpoint)
        if rule.endpoint in EXCUSED or rule.endpoint in SIGN_IN_STEPS or access is None:
            continue
        if access.public:
            out[ANONYMOUS].append(rule)
            continue
        allowed = [role for role in PREFERENCE if (not access.roles or role in access.roles)
                   and role in ONLY.get(rule.endpoint, PREFERENCE)]
        for role in allowed if every_role or not access.roles else allowed[:1]:
            out[role].append(rule)
    return out


# --- the seeded world ------------------------------------------------------------------------------------------

@dataclass
class Market:
    app: object
    url: str
    emails: dict[str, str]
    tokens: dict[str, str]


def _ids(model, *where) -> list[int]:
    return list(db.session.scalars(select(model.id).where(*where).order_by(model.id)))


def _values(user, rule, name: str, chosen: dict) -> list:
    """Candidate values for one URL parameter, given the ones already chosen (left to right)."""
    from portal.core.models import EmailMessage, InboxMessage, JobRun, Organisation
    from portal.models import Document, Dps, DpsApplication, Lot, OfstedImport, Setting
    from quality.models import (FRAMEWORKS, ComplianceStatus, FeedbackResponse, ForumMeeting, MonitoringVisit,
                                QaAction, QualityStandard)
    from tendering.models import Clarification, Placement, Proposal, ProposalRevision, Referral

    if name == "referral_id":
        order = (WANTS[rule.endpoint],) + STATUS_ORDER if rule.endpoint in WANTS else STATUS_ORDER
        rows = sorted(db.session.execute(select(Referral.id, Referral.status)).all(),
                      key=lambda r: (order.index(r[1]), r[0]))
        firsts = list({status: i for i, status in reversed(rows)}.values())[::-1]  # one of each status first
        return firsts + [i for i, _s in rows if i not in firsts]
    if name == "proposal_id":
        return _ids(Proposal, Proposal.referral_id == chosen["referral_id"])
    if name == "label":
        return sorted({p.label for p in db.session.scalars(select(Proposal).where(
            Proposal.referral_id == chosen["referral_id"], Proposal.blind_position.is_not(None)))})
    if name == "number":
        return sorted(set(db.session.scalars(select(ProposalRevision.number).join(Proposal).where(
            Proposal.referral_id == chosen["referral_id"], Proposal.provider_id == user.organisation_id))))
    if name == "section":
        from portal.admission_questionnaire import SECTIONS as APPLICATION_SECTIONS
        from tendering.authoring import SECTIONS as REFERRAL_SECTIONS
        return list(REFERRAL_SECTIONS if "referral_id" in chosen else APPLICATION_SECTIONS)
    if name == "message_id":
        return _ids(InboxMessage, InboxMessage.user_id == user.id)
    if name == "provider_id":
        return _ids(Organisation, Organisation.kind == "provider")
    if name == "framework":
        return sorted(FRAMEWORKS)
    if name == "fmt":
        return ["pdf"]
    simple = {"question_id": Clarification, "placement_id": Placement, "email_id": EmailMessage,
              "application_id": DpsApplication, "dps_id": Dps, "document_id": Document, "status_id": ComplianceStatus,
              "lot_id": Lot, "import_id": OfstedImport, "run_id": JobRun, "response_id": FeedbackResponse,
              "meeting_id": ForumMeeting, "action_id": QaAction, "setting_id": Setting, "visit_id": MonitoringVisit,
              "standard_id": QualityStandard}
    return _ids(simple[name]) if name in simple else []


def candidate_urls(app, rule, user):
    """Yield (url, args) for the rule, only with ids the route's owner check accepts for this user."""
    names = PARAM.findall(rule.rule)
    access = rule_for(app, rule.endpoint)

    def walk(i: int, chosen: dict):
        if i == len(names):
            yield dict(chosen)
            return
        for value in _values(user, rule, names[i], chosen):
            chosen[names[i]] = value
            yield from walk(i + 1, chosen)
        chosen.pop(names[i], None)

    for args in walk(0, {}):
        if access.owner is not None:
            with app.test_request_context():
                if access.owner(user, **args) is None:
                    continue
        url = PARAM.sub(lambda _m, it=iter(args.values()): str(next(it)), rule.rule)
        yield url + QUERY.get(rule.endpoint, ""), args


def _tokens(app, emails: dict[str, str]) -> dict[str, str]:
    """Real tokens for the emailed links, as a person who got the email opens them."""
    from portal import accounts
    from portal.core import auth
    from portal.core.models import Organisation
    from quality.feedback import send_request
    from tendering.models import Placement

    with app.test_request_context():
        user = auth.find_user(emails["provider_staff"])
        org = db.session.scalar(select(Organisation).where(Organisation.kind == "provider"))
        waiting = auth.create_user(org, "new.admin@a11y.example", "Nia Waiting", ["provider_admin"],
                                   password=DEMO_PASSWORD)
        waiting.status = "invited"  # registered, waiting for the confirmation link
        auth.create_user(auth.find_user(emails["panel_member"]).organisation, NEW_COUNCIL_USER, "Ola New",
                         ["panel_member"], password=DEMO_PASSWORD)  # no authenticator app yet
        officer = auth.find_user(emails["placements_officer"])
        placement = db.session.scalar(select(Placement).where(Placement.council_id == officer.organisation_id))
        _request, feedback_token = send_request(officer, placement, "child", "child@a11y.example")
        tokens = {"core.reset_password": auth.make_token(user, "reset"),
                  "core.accept_invitation": auth.make_token(user, "invite"),
                  "two_factor.unlock": auth.make_token(user, auth.UNLOCK_PURPOSE),
                  "accounts.confirm": auth.make_token(waiting, accounts.CONFIRM_PURPOSE),
                  "feedback.respond": feedback_token}
        db.commit()
    return tokens


@pytest.fixture(scope="module")
def market(pg_server_url_or_none, tmp_path_factory):
    """The demo seed, once per module (and pytest worker), in its own database: the suite's per-test emptying of
    the shared test database never touches it."""
    from alembic import command

    from portal.core.auth import find_user
    from portal.core.migrate import alembic_config
    from portal.seed import seed
    from portal.two_factor import enrol_for_demo

    tmp = tmp_path_factory.mktemp("a11y")
    if pg_server_url_or_none:
        url = _create_database(pg_server_url_or_none, f"homefinder_a11y_{os.getpid()}")
    else:
        url = f"sqlite:///{tmp / 'a11y.db'}"
    command.upgrade(alembic_config(url), "head")
    app = make_app(url, tmp)
    with app.app_context():
        emails = dict(seed())
        enrol_for_demo(find_user(emails["provider_staff"]))  # a provider may use an authenticator app, and turn it off
        db.commit()
    tokens = _tokens(app, emails)
    with LiveServer(app) as server:
        yield Market(app, server.url, emails, tokens)
    app.extensions["homefinder.engine"].dispose()
    if pg_server_url_or_none:
        _drop_database(pg_server_url_or_none, url)


# --- the sweep -------------------------------------------------------------------------------------------------

AXE_RUN = ("async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
           "'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})).violations.map(v => ({id: v.id, impact: v.impact, "
           "help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")


def axe_violations(page) -> list[dict]:
    """The rule set of tests.browser.assert_accessible, returned rather than asserted (one report per role). The
    context loads axe-core into every page (add_init_script: faster than sending it to each page)."""
    return page.evaluate(AXE_RUN)


def password_step(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def sign_in_checking_steps(page, market: Market, role: str, checked: list, problems: list) -> None:
    """Sign in as the role's demo user; the authenticator-code and recovery-code pages are checked on the way."""
    from tests.conftest import current_totp

    password_step(page, market.url, market.emails[role])
    if page.url.split("?")[0].endswith("/sign-in/code"):
        if SIGN_IN_STEPS["two_factor.code"] == role:
            for url in ("/sign-in/code", "/sign-in/recovery-code", "/sign-in/code"):
                assert open_page(page, market.url + url), url
                checked.append(url)
                problems += [f"{url} (signing in): {json.dumps(v)}" for v in axe_violations(page)]
        page.get_by_label("Code from your authenticator app").fill(current_totp(market.app, market.emails[role]))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard"))


def open_page(page, url: str) -> bool:
    """Open the URL; True if it answered 200 HTML itself (no redirect, no error)."""
    try:
        response = page.goto(url, wait_until="load")
    except PlaywrightError as exc:
        if "Download is starting" in str(exc):
            return False
        raise
    return (response is not None and response.status == 200 and response.request.redirected_from is None
            and response.headers.get("content-type", "").startswith("text/html"))


@pytest.mark.parametrize("role", PREFERENCE + (ANONYMOUS,))
def test_every_page_passes_axe(market, browser, role):
    from portal.core.auth import find_user

    app = market.app
    context = browser.new_context()
    context.add_init_script(AXE_JS)
    page = context.new_page()
    problems, checked = [], []
    try:
        if role == ANONYMOUS:  # the check itself can fail: a page with an unlabelled field and an image without alt
            page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><img src="x.png"><input></main></html>')
            assert {v["id"] for v in axe_violations(page)} >= {"image-alt", "label"}
        else:
            sign_in_checking_steps(page, market, role, checked, problems)
        with app.app_context():
            user = find_user(market.emails[role]) if role != ANONYMOUS else None
            for rule in assignments(app)[role]:
                if rule.endpoint in DOWNLOADS:  # a file: its type is checked, there is no page to check
                    url = next((u for u, _ in candidate_urls(app, rule, user)), None)
                    got = context.request.get(market.url + url).headers.get("content-type", "") if url else ""
                    if not got.startswith(DOWNLOADS[rule.endpoint]):
                        problems.append(f"{rule.endpoint}: download {url} answered {got!r}")
                    continue
                if role == ANONYMOUS:
                    urls = [(PARAM.sub(lambda _m: market.tokens.get(rule.endpoint, "-"), rule.rule), {})]
                else:
                    urls = candidate_urls(app, rule, user)
                found, ids, failed = set(), None, set()  # ids: the other parameters of the first URL that opened
                for url, args in urls:
                    key = tuple(args.get(n) for n in sorted(EVERY_VALUE & set(args)))
                    combo = json.dumps({k: v for k, v in args.items() if k not in EVERY_VALUE}, sort_keys=True)
                    if key in found or (ids is not None and ids != combo) or (combo != "{}" and combo in failed):
                        continue
                    if len(failed) >= 15:
                        break
                    if not open_page(page, market.url + url):
                        failed.add(combo)  # (a referral in the wrong state fails for every section alike)
                        continue
                    found.add(key)
                    ids = combo
                    checked.append(url)
                    problems += [f"{url} ({rule.endpoint}): {json.dumps(v)}" for v in axe_violations(page)]
                    if not EVERY_VALUE & set(args):
                        break
                if not found and (not EVERY_ROLE or rule in assignments(app, every_role=False)[role]):
                    problems.append(f"{rule.rule} ({rule.endpoint}): no seeded URL opened as {role} "
                                    "(seed what it needs, or excuse it in EXCUSED)")
        if role == SIGN_IN_STEPS["two_factor.enrol"]:  # last: this leaves the visitor half signed in
            password_step(page, market.url, NEW_COUNCIL_USER)
            expect(page).to_have_url(re.compile(r"/sign-in/set-up-two-factor$"))
            checked.append(page.url)
            problems += [f"{page.url} (first sign-in): {json.dumps(v)}" for v in axe_violations(page)]
    finally:
        context.close()
    assert checked, f"{role} read no page"
    assert not problems, f"{len(problems)} problems on {len(checked)} pages as {role}:\n" + "\n".join(problems)


def test_every_get_route_is_assigned(app):
    """Every GET route is read by a role, or is a listed download, or has a written reason not to be read."""
    assigned = {rule.endpoint for rules in assignments(app).values() for rule in rules} | set(SIGN_IN_STEPS)
    routes = {rule.endpoint for rule in get_rules(app)}
    assert routes - assigned - set(EXCUSED) == set()
    assert set(DOWNLOADS) <= assigned and not set(EXCUSED) & assigned
    assert set(EXCUSED) <= routes, "an excused route no longer exists"
    assert sorted(PREFERENCE) == sorted(ROLES) and len(assigned) > 100


# --- keyboard only ---------------------------------------------------------------------------------------------

def test_proposal_form_completed_with_the_keyboard_alone(app, live, page):
    """An invited provider fills in and submits the whole proposal with Tab, typing, Space and Enter only."""
    from tendering.models import OUTCOMES, Proposal

    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        referral = factories.referral(council, status="published")
        provider = factories.organisation("provider", name="Oakfield Care")
        home = factories.setting(provider, name="Acacia House")
        factories.invite(referral, provider, home)
        factories.user("provider_admin", org=provider, email="priya@oakfield.example", name="Priya Shah")
        db.commit()
        referral_id, home_id = referral.id, home.id
    start = date.today() + timedelta(days=21)
    sign_in_browser(page, live.url, "priya@oakfield.example", factories.PASSWORD)
    page.goto(f"{live.url}/invitations/{referral_id}")

    def focused() -> dict:
        return page.evaluate("() => { const e = document.activeElement; return {tag: e.tagName.toLowerCase(), "
                             "type: e.type || '', id: e.id, name: e.name || '', text: (e.innerText || e.value || "
                             "'').trim(), checked: !!e.checked}; }")

    for _ in range(60):  # from the invitation to the form: Tab to the "Start a proposal" button-link, Enter
        page.keyboard.press("Tab")
        if focused()["text"] == "Start a proposal":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    expect(page.get_by_role("heading", level=1)).to_have_text("Your proposal")

    answers = {"core_fee": "4500.50", "notice_period": "4", "staffing": "Two staff by day",
               "education_offer": "Transport to her current school"}
    date_parts = {"day": str(start.day), "month": str(start.month), "year": str(start.year)}
    typed, submitted = [], False
    for _ in range(200):  # Tab through the page, answering each field the proposal needs
        page.keyboard.press("Tab")
        el = focused()
        if el["type"] == "radio" and el["name"] == "setting" and not el["checked"]:
            page.keyboard.press("Space")
            typed.append(el["name"])
        elif el["tag"] == "textarea" and el["name"].startswith(("outcome-", "need-")):
            page.keyboard.type(f"A clear plan for {el['name']}")
            typed.append(el["name"])
        elif el["tag"] in ("input", "textarea") and el["name"] in answers:
            page.keyboard.type(answers[el["name"]])
            typed.append(el["name"])
        elif el["tag"] == "input" and el["name"].startswith("start_date-"):
            page.keyboard.type(date_parts[el["name"].removeprefix("start_date-")])
            typed.append(el["name"])
        elif el["tag"] == "button" and el["text"] == "Submit proposal":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            submitted = True
            break
    assert submitted, f"never reached the Submit proposal button by Tab; answered {typed}"
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Proposal submitted")
    with app.app_context():
        proposal = db.session.scalar(select(Proposal).where(Proposal.referral_id == referral_id))
        assert proposal.status == "submitted" and proposal.setting_id == home_id
        assert proposal.weekly_core_fee_pence == 450_050
        assert set(proposal.outcome_answers) == set(OUTCOMES)
        assert proposal.start_date == start and proposal.notice_period_weeks == 4
        assert proposal.staffing == "Two staff by day"
