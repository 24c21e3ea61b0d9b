"""The whole competition in a real browser (issue #4), with real email over SMTP to an aiosmtpd sink.

Officer (one browser context) writes "what matters to me" with a child's name, is refused at publishing, fixes it
and publishes; three matching providers are invited by email and in their inbox (a second context); one declines,
two submit proposals with different fees; the deadline passes (set in the database: no freezegun in a live
server) and the server refuses a further change; two panel members (a third context) score blind; the officer
moderates, locks quality, reveals prices, sees the ranked matrix and awards the top proposal. The loser's email
shows its own and the winning scores, never the winner's name, home or price. axe-core: 0 violations on every
page visited."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.core import db
from portal.core.db import utcnow
from portal.models import Need
from tendering.models import OUTCOMES, Proposal, Referral
from tests import factories
from tests.browser import LiveServer, assert_accessible, sign_in_browser
from tests.conftest import make_app
from tests.smtp import start_sink, text_of

pytestmark = pytest.mark.browser

OFFICER = "sam@lewisham.example"
PANEL = (("ada@lewisham.example", "Ada Lovelace"), ("ben@lewisham.example", "Ben Jones"))
# key: (provider name, home name, user email, weekly fee typed, as shown)
PROVIDERS = {
    "win": ("Oakfield Care", "Acacia House", "priya@oakfield.example", "4200", "£4,200.00"),
    "lose": ("Elm Care", "Cedar View", "tom@elm.example", "3900", "£3,900.00"),
    "decline": ("Birch Homes", "Birch Lodge", "lee@birch.example", None, None),
}


@pytest.fixture
def mail():
    sink, port, controller = start_sink()
    yield sink, port
    controller.stop()


@pytest.fixture
def mail_app(database_url, tmp_path, mail):
    from portal.core.auth import limiter

    _, port = mail
    application = make_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    with application.app_context():
        limiter.reset()
    yield application
    application.extensions["homefinder.engine"].dispose()


@pytest.fixture
def mail_live(mail_app):
    with LiveServer(mail_app) as server:
        yield server


@pytest.fixture
def contexts(browser):
    opened = []

    def new():
        context = browser.new_context()
        opened.append(context)
        return context.new_page()

    yield new
    for context in opened:
        context.close()


def _market(app) -> int:
    with app.app_context():
        council = factories.organisation("council", name="London Borough of Lewisham")
        dps = factories.dps(council, name="South East London DPS")
        autism = db.session.get(Need, "autism")
        for name, home, email, _, _ in PROVIDERS.values():
            provider = factories.organisation("provider", name=name)
            factories.admitted(provider, dps)
            setting = factories.setting(provider, name=home, min_age=12, max_age=17)
            setting.needs = [autism]
            factories.vacancy(setting)
            factories.user("provider_admin", org=provider, email=email, name=f"{name} Manager")
        factories.user("placements_officer", org=council, email=OFFICER, name="Sam Okoro")
        for email, name in PANEL:
            factories.user("panel_member", org=council, email=email, name=name)
        # Every section but "What matters to me" is prefilled (clean); that one and publishing go through the UI.
        referral = factories.referral(council, dps_obj=dps, status="draft", what_matters=None)
        db.commit()
        return referral.id


def _fill_proposal(page, home: str, fee: str) -> None:
    start = date.today() + timedelta(days=21)
    page.get_by_label(home).check()
    for label in OUTCOMES.values():
        page.get_by_label(label).fill(f"A clear plan to help her {label.lower()}")
    page.get_by_label("Autism").fill("Every member of staff has autism training")
    page.get_by_label("Staffing", exact=True).fill("Two staff by day, one waking night")
    page.get_by_label("Education offer").fill("Transport to her current school")
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_label("Notice period").fill("4")
    page.get_by_label("Weekly core fee").fill(fee)


def _fill_scores(page, score: int, reason: str) -> None:
    text = {3: "3 – Good", 4: "4 – Excellent"}[score]
    for label in OUTCOMES.values():
        page.get_by_role("group", name=label).get_by_label(text).check()
        page.get_by_label(f"Reason for your score for {label.lower()}").fill(reason)


def _assert_blind(page) -> None:
    content = page.content()
    for name, home, _, _, shown in PROVIDERS.values():
        assert name not in content and home not in content
        if shown:
            assert shown not in content and shown.lstrip("£") not in content


def test_the_whole_competition_across_browsers_with_real_email(mail_app, mail_live, mail, page, contexts):
    app, live, (sink, _) = mail_app, mail_live, mail
    rid = _market(app)

    # --- Officer: "what matters to me" with a name is refused at publishing; fixed, published. ---------------
    officer = page
    sign_in_browser(officer, live.url, OFFICER, factories.PASSWORD)
    officer.get_by_role("link", name="Referrals").first.click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Referrals")
    assert_accessible(officer)
    officer.get_by_role("link", name=re.compile(rf"^Referral {rid}\b")).click()
    expect(officer.get_by_text("You have completed 9 of 10 sections")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_role("link", name="What matters to me", exact=True).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("What matters to me")
    assert_accessible(officer)
    officer.get_by_label("What matters to me").fill("Jayden wants to keep seeing his little brother every week")
    officer.get_by_role("button", name="Save and continue").click()
    expect(officer.get_by_text("You have completed 10 of 10 sections")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_role("link", name="Check and publish").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Check your referral before publishing")
    assert_accessible(officer)
    officer.get_by_role("button", name="Publish referral").click()
    summary = officer.locator(".govuk-error-summary")
    expect(summary).to_contain_text('What matters to me: Remove the name "Jayden"')
    assert_accessible(officer)
    summary.get_by_role("link", name=re.compile("What matters to me")).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("What matters to me")
    assert_accessible(officer)
    officer.get_by_label("What matters to me").fill("I want to keep seeing my little brother every week")
    officer.get_by_role("button", name="Save and continue").click()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text("What matters to me completed")
    officer.get_by_role("link", name="Check and publish").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Check your referral before publishing")
    assert_accessible(officer)
    officer.get_by_role("button", name="Publish referral").click()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text("Referral published to 3 providers")
    expect(officer.get_by_text("Open for proposals")).to_be_visible()
    assert_accessible(officer)

    # --- Every invited provider's user gets the email (over SMTP) and the inbox item. ------------------------
    for _, _, email, _, _ in PROVIDERS.values():
        message = sink.wait_for(email, "New referral")
        assert f"/invitations/{rid}" in text_of(message)
        assert "Jayden" not in text_of(message)

    # --- Providers (second context): one declines, two submit different fees. --------------------------------
    provider = contexts()
    for key in ("decline", "win", "lose"):
        name, home, email, fee, shown = PROVIDERS[key]
        sign_in_browser(provider, live.url, email, factories.PASSWORD)
        provider.goto(f"{live.url}/inbox")
        expect(provider.get_by_role("heading", level=1)).to_have_text("Inbox")
        expect(provider.get_by_role("link", name=re.compile("New referral"))).to_be_visible()
        assert_accessible(provider)
        provider.get_by_role("link", name="Referrals").first.click()
        expect(provider.get_by_role("heading", level=1)).to_have_text("Referrals")
        assert_accessible(provider)
        provider.get_by_role("link", name=f"Referral {rid}").click()
        expect(provider.get_by_text("I want to keep seeing my little brother every week")).to_be_visible()
        expect(provider.get_by_text("LCS-123456")).to_have_count(0)
        assert_accessible(provider)
        if key == "decline":
            provider.get_by_role("link", name="Decline this referral").click()
            expect(provider.get_by_role("heading", level=1)).to_have_text("Decline this referral")
            assert_accessible(provider)
            provider.get_by_label("No vacancy", exact=True).check()
            provider.get_by_role("button", name="Decline referral").click()
            expect(provider.locator(".govuk-notification-banner")).to_contain_text("You have declined this referral")
            assert_accessible(provider)
        else:
            provider.get_by_role("link", name="Start a proposal").click()
            expect(provider.get_by_role("heading", level=1)).to_have_text("Your proposal")
            assert_accessible(provider)
            _fill_proposal(provider, home, fee)
            provider.get_by_role("button", name="Submit proposal").click()
            expect(provider.locator(".govuk-notification-banner")).to_contain_text("Proposal submitted")
            expect(provider.get_by_text(shown)).to_be_visible()
            assert_accessible(provider)
        if key != "lose":
            provider.context.clear_cookies()

    # --- The deadline passes (set in the database); the server refuses the loser's next change. -------------
    provider.get_by_role("link", name="Change your proposal").click()
    expect(provider.get_by_role("button", name="Submit changes")).to_be_visible()
    assert_accessible(provider)
    with app.app_context():
        referral = db.session.get(Referral, rid)
        referral.clarification_cutoff = utcnow() - timedelta(minutes=1)
        referral.response_deadline = utcnow() - timedelta(seconds=1)
        db.commit()
    provider.get_by_label("Weekly core fee").fill("100")
    provider.get_by_role("button", name="Submit changes").click()
    expect(provider.locator(".govuk-error-summary")).to_contain_text("The response deadline has passed")
    assert_accessible(provider)
    provider.context.clear_cookies()

    # --- Officer: the referral has closed by the clock; panel of two. ----------------------------------------
    officer.goto(f"{live.url}/referrals/{rid}/proposals")
    expect(officer.get_by_role("heading", level=1)).to_have_text("Proposals")
    expect(officer.get_by_text("Oakfield Care", exact=True)).to_be_visible()
    assert_accessible(officer)
    with app.app_context():
        proposals = db.session.query(Proposal).filter_by(referral_id=rid).all()
        labels = {p.provider.name: p.label for p in proposals}
        assert sorted(labels.values()) == ["A", "B"]
        # The refused late change wrote nothing: the loser's fee is still the one it submitted.
        fees = {p.provider.name: (p.weekly_core_fee_pence, p.revision) for p in proposals}
        assert fees[PROVIDERS["lose"][0]] == (390_000, 1)
    score_of = {labels[PROVIDERS["win"][0]]: 4, labels[PROVIDERS["lose"][0]]: 3}
    officer.goto(f"{live.url}/referrals/{rid}/panel")
    assert_accessible(officer)
    for _, name in PANEL:
        officer.get_by_label(name).check()
    officer.get_by_role("button", name="Save panel").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Panel and moderation")
    assert_accessible(officer)

    # --- Panel (third context): each member scores blind and submits. ----------------------------------------
    panel = contexts()
    for email, _ in PANEL:
        sign_in_browser(panel, live.url, email, factories.PASSWORD)
        panel.get_by_role("link", name="Panel", exact=True).first.click()
        expect(panel.get_by_role("heading", level=1)).to_have_text("Panel")
        assert_accessible(panel)
        panel.get_by_role("link", name=f"Referral {rid}").click()
        expect(panel.get_by_role("link", name="Proposal B")).to_be_visible()
        _assert_blind(panel)
        assert_accessible(panel)
        for label in ("A", "B"):
            panel.get_by_role("link", name=f"Proposal {label}").click()
            expect(panel.get_by_role("heading", level=1)).to_have_text(f"Proposal {label}")
            _assert_blind(panel)
            assert_accessible(panel)
            _fill_scores(panel, score_of[label], "Evidence in the proposal")
            panel.get_by_role("button", name="Save scores").click()
            expect(panel.locator(".govuk-notification-banner")).to_contain_text(f"Proposal {label}")
            _assert_blind(panel)
        panel.get_by_role("link", name="Submit your scores").click()
        expect(panel.get_by_role("button", name="Submit scores")).to_be_visible()
        assert_accessible(panel)
        panel.get_by_role("button", name="Submit scores").click()
        expect(panel.locator(".govuk-notification-banner")).to_contain_text("Your scores have been submitted")
        _assert_blind(panel)
        assert_accessible(panel)
        panel.context.clear_cookies()

    # --- Officer: moderate, lock, reveal prices, award the top-ranked proposal. -----------------------------
    officer.goto(f"{live.url}/referrals/{rid}/moderation")
    expect(officer.get_by_text("Submitted", exact=True)).to_have_count(2)
    assert_accessible(officer)
    for label in ("A", "B"):
        officer.get_by_role("link", name=f"Moderate Proposal {label}").click()
        expect(officer.get_by_role("button", name="Save moderated scores")).to_be_visible()
        assert_accessible(officer)
        _fill_scores(officer, score_of[label], f"Moderated reason for {label}")
        officer.get_by_role("button", name="Save moderated scores").click()
        expect(officer.locator(".govuk-notification-banner")).to_contain_text(f"Proposal {label}")
        assert_accessible(officer)
    officer.get_by_role("link", name="Lock quality").click()
    expect(officer.get_by_text("This cannot be undone")).to_be_visible()
    assert_accessible(officer)
    officer.get_by_role("button", name="Lock quality").click()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text("2 of 2 proposals are suitable")
    assert_accessible(officer)

    officer.goto(f"{live.url}/referrals/{rid}/results")
    expect(officer.get_by_role("heading", level=1)).to_have_text("Results and award")
    expect(officer.get_by_text("£4,200.00")).to_have_count(0)
    assert_accessible(officer)
    officer.get_by_role("link", name="Reveal prices").click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Are you sure you want to reveal prices?")
    assert_accessible(officer)
    officer.get_by_role("button", name="Reveal prices").click()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text("Prices revealed")
    matrix = officer.get_by_role("table")
    expect(matrix).to_contain_text("£4,200.00")
    expect(matrix).to_contain_text("£3,900.00")
    assert_accessible(officer)
    officer.get_by_label(PROVIDERS["win"][0]).check()
    officer.get_by_role("button", name="Award").click()
    expect(officer.locator(".govuk-notification-banner")).to_contain_text("Proposal awarded")
    expect(officer.get_by_text("Acacia House (SE6)")).to_be_visible()
    assert_accessible(officer)

    # --- Emails: winner told; loser sees its scores and the winning scores, not who won or at what price. ----
    winner = sink.wait_for(PROVIDERS["win"][2], f"Your proposal for referral {rid} was successful")
    assert "£4,200.00" in text_of(winner)
    loser = text_of(sink.wait_for(PROVIDERS["lose"][2], "was not successful"))
    assert "Be healthy: your score 3, winning score 4" in loser
    assert "Moderated reason for" in loser
    for secret in ("Oakfield", "Acacia", "4,200", "4200"):
        assert secret not in loser, secret
    sink.wait_for(PROVIDERS["decline"][2], f"Referral {rid} has been awarded")

    # --- The loser reads the same outcome in the portal. -----------------------------------------------------
    sign_in_browser(provider, live.url, PROVIDERS["lose"][2], factories.PASSWORD)
    provider.goto(f"{live.url}/invitations/{rid}")
    provider.get_by_role("link", name="See the outcome of this referral").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Outcome")
    expect(provider.get_by_text("Your proposal was not successful this time.")).to_be_visible()
    expect(provider.get_by_text("Oakfield")).to_have_count(0)
    expect(provider.get_by_text("£4,200.00")).to_have_count(0)
    assert_accessible(provider)
