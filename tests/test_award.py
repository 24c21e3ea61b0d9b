"""Price reveal, ranking, award, notices and the provider's outcome page (DESIGN.md, Evaluation steps 4–6)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.models import AuditEvent, EmailMessage, InboxMessage
from tendering import award as awards
from tendering.models import Award, Placement, Proposal, Referral
from tests import factories
from tests.conftest import sign_in, submit


def _scenario(app, **kwargs):
    with app.app_context():
        s = factories.evaluated_referral(**kwargs)
        db.commit()
        return {k: (v.id if hasattr(v, "id") else v) for k, v in s.items()} | {
            f"email_{k[5:]}": v.email for k, v in s.items() if k.startswith("user_")} | {
            "officer_email": s["officer"].email}


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _reveal(client, ref_id):
    return submit(client, f"/referrals/{ref_id}/reveal", {})


def _award(client, ref_id, proposal_id, reason=""):
    return submit(client, f"/referrals/{ref_id}/award", {"proposal": str(proposal_id), "reason": reason},
                  page=f"/referrals/{ref_id}/results")


@pytest.fixture
def s(app):
    return _scenario(app)


@pytest.fixture
def officer(app, s):
    return _client(app, s["officer_email"])


def test_quality_matrix_before_reveal_shows_no_prices(app, s, officer):
    html = officer.get(f"/referrals/{s['referral']}/results").get_data(as_text=True)
    assert "Quality results" in html and "Reveal prices" in html
    for fee in ("4,000.00", "3,500.00", "3,600.00", "1,234.56"):
        assert fee not in html
    assert officer.get(f"/referrals/{s['referral']}/results.csv").status_code == 404
    assert officer.get(f"/referrals/{s['referral']}/results.pdf").status_code == 404


def test_reveal_prices_for_suitable_only_and_ranks_quality_price(app, s, officer):
    assert "Are you sure" in officer.get(f"/referrals/{s['referral']}/reveal").get_data(as_text=True)
    assert _reveal(officer, s["referral"]).status_code == 302
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        a, b, c = (db.session.get(Proposal, s[k]) for k in "ABC")
        assert ref.status == "price_evaluated" and ref.price_revealed_at is not None
        # Lowest suitable weekly cost is B's £3,600. A: 360000/400000 = 90.00; final 0.7×80 + 0.3×90 = 83.00.
        # B: price 100.00; final 0.7×60 + 0.3×100 = 72.00.
        assert (a.weekly_cost_pence, a.price_score, a.final_score, a.rank) == (400_000, Decimal("90.00"),
                                                                              Decimal("83.00"), 1)
        assert (b.weekly_cost_pence, b.price_score, b.final_score, b.rank) == (360_000, Decimal("100.00"),
                                                                              Decimal("72.00"), 2)
        assert (c.weekly_cost_pence, c.price_score, c.final_score, c.rank) == (None, None, None, None)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.prices_revealed", AuditEvent.object_id == str(ref.id))) == 1
    html = officer.get(f"/referrals/{s['referral']}/results").get_data(as_text=True)
    assert "Ranked results" in html and "£4,000.00" in html and "£3,600.00" in html
    assert "1,234.56" not in html and "Not suitable: price not revealed" in html
    # Only once.
    submit(officer, f"/referrals/{s['referral']}/reveal", {}, page=f"/referrals/{s['referral']}/results")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.prices_revealed")) == 1


def test_lowest_price_method_ranks_on_weekly_cost(app):
    s = _scenario(app, price_method="lowest_price")
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    with app.app_context():
        a, b = db.session.get(Proposal, s["A"]), db.session.get(Proposal, s["B"])
        # Final score is the price score: B (£3,600) 100.00 rank 1; A (£4,000) 90.00 rank 2.
        assert (b.final_score, b.rank) == (Decimal("100.00"), 1)
        assert (a.final_score, a.rank) == (Decimal("90.00"), 2)


def test_reveal_with_nothing_suitable_ends_no_suitable_proposal(app, s, officer):
    with app.app_context():
        for k in "AB":
            db.session.get(Proposal, s[k]).suitable = False
        db.commit()
    _reveal(officer, s["referral"])
    with app.app_context():
        assert db.session.get(Referral, s["referral"]).status == "no_suitable_proposal"
        assert all(db.session.get(Proposal, s[k]).weekly_cost_pence is None for k in "ABC")


def test_award_other_than_top_needs_a_reason(app, s, officer):
    _reveal(officer, s["referral"])
    response = _award(officer, s["referral"], s["B"])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html and "Enter why you are not awarding the top-ranked proposal" in html
    response = _award(officer, s["referral"], s["C"])  # unsuitable: not a choice
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0
    assert _award(officer, s["referral"], s["B"], "B is nearer her brother's school").status_code == 302
    with app.app_context():
        obj = db.session.scalar(select(Award))
        assert (obj.proposal_id, obj.reason, obj.weekly_cost_pence) == (s["B"], "B is nearer her brother's school",
                                                                        360_000)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "referral.awarded"))
        assert event.after["reason"] == "B is nearer her brother's school"


def test_award_top_creates_award_placement_and_notices(app, s, officer):
    _reveal(officer, s["referral"])
    response = _award(officer, s["referral"], s["A"])
    assert response.status_code == 302
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        assert ref.status == "awarded"
        obj = db.session.scalar(select(Award))
        a = db.session.get(Proposal, s["A"])
        assert (obj.kind, obj.provider_id, obj.setting_id, obj.weekly_cost_pence, obj.reason) == (
            "competition", a.provider_id, a.setting_id, 400_000, None)
        placement = db.session.scalar(select(Placement))
        assert placement.start_date == a.start_date and placement.case_reference == "LCS-123456"
        emails = {(m.to_address, m.kind): m for m in db.session.scalars(select(EmailMessage))}
        assert ("a@provider.example", "award_winner") in emails
        assert ("b@provider.example", "award_unsuccessful") in emails
        assert ("c@provider.example", "award_unsuccessful") in emails
        assert ("d@provider.example", "referral_closed") in emails
        assert ("e@provider.example", "referral_closed") in emails
        assert len(emails) == 5
        assert db.session.scalar(select(func.count()).select_from(InboxMessage)) == 5
        winner = emails[("a@provider.example", "award_winner")]
        assert "£4,000.00" in winner.body_text and f"/invitations/{ref.id}/outcome" in winner.body_text
        for key in ("b", "c"):
            loser = emails[(f"{key}@provider.example", "award_unsuccessful")]
            for body in (loser.body_text, loser.body_html):
                assert f"Moderated reason for {key.upper()}" in body
                assert "winning score 4" in body or ">4</td>" in body
                for secret in ("Acorn", "£4,000.00", "4000", "4,000", "Moderated reason for A"):
                    assert secret not in body
        b_body = emails[("b@provider.example", "award_unsuccessful")].body_text
        assert "Be healthy: your score 3, winning score 4" in b_body
        # The lifecycle writes "referral.awarded" (with any reason); the award's details are "award.created".
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "referral.awarded")) == 1
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.created")).after[
            "placement_id"] == placement.id
    # A second award is refused cleanly.
    response = officer.post(f"/referrals/{s['referral']}/award", data={"proposal": s["B"], "reason": "x"})
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Award)) == 1


def test_award_service_refuses_a_second_award(app, s):
    with app.app_context():
        ref = db.session.get(Referral, s["referral"])
        from portal.core.models import User
        officer = db.session.get(User, s["officer"])
        awards.reveal_prices(ref, officer)
        awards.award(ref, s["A"], None, officer)
        db.commit()
        with pytest.raises(awards.AwardError, match="already been awarded"):
            awards.award(ref, s["B"], "because", officer)


def test_provider_outcome_pages(app, s, officer):
    loser = _client(app, s["email_B"])
    winner = _client(app, s["email_A"])
    html = winner.get(f"/invitations/{s['referral']}/outcome").get_data(as_text=True)
    assert "not made a decision yet" in html and "placements@lewisham.example" not in html
    _reveal(officer, s["referral"])
    _award(officer, s["referral"], s["A"])

    html = winner.get(f"/invitations/{s['referral']}/outcome").get_data(as_text=True)
    assert "Your proposal was successful" in html and "£4,000.00" in html
    for contact in ("Jo Placements", "placements@lewisham.example", "020 8314 0000", "1 Catford Road"):
        assert contact in html

    html = loser.get(f"/invitations/{s['referral']}/outcome").get_data(as_text=True)
    assert "not successful" in html and "Moderated reason for B" in html
    for secret in ("Acorn", "£4,000.00", "Moderated reason for A", "placements@lewisham.example", "Jo Placements",
                   "020 8314 0000"):
        assert secret not in html
    assert f"/invitations/{s['referral']}/outcome" in loser.get(f"/invitations/{s['referral']}").get_data(
        as_text=True)

    declined = _client(app, s["email_D"])
    html = declined.get(f"/invitations/{s['referral']}/outcome").get_data(as_text=True)
    assert "did not send a proposal" in html and "placements@lewisham.example" not in html and "Acorn" not in html


def test_unsuitable_provider_never_sees_a_price_in_its_notice(app, s, officer):
    _reveal(officer, s["referral"])
    _award(officer, s["referral"], s["A"])
    with app.app_context():
        body = db.session.scalar(select(EmailMessage.body_text).where(EmailMessage.to_address == "c@provider.example"))
        assert "1,234.56" not in body and "Cedar View" not in body
