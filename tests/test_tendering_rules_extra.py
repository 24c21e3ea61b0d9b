"""Issue #4 audit: rules of DESIGN.md's tendering section that are built but had no test that would fail if they
broke. Each test checks behaviour a user would notice (a page, a stored decision, an email)."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import EmailMessage, User
from tendering import closing, proposals, scoring
from tendering.models import (DECLINE_REASONS, OUTCOMES, Award, PanelScore, Proposal, ProposalRevision, Referral,
                              ReferralProvider)
from tendering.proposals import ProposalError
from tests import factories
from tests.conftest import sign_in, submit
from tests.test_award import _award, _reveal, _scenario as _evaluated
from tests.test_evaluation import moderation_data, scenario as _closed_scenario, score_all
from tests.test_invitations import _scenario as _invited
from tests.test_proposals import _save, _scenario as _proposal_scenario


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


# --- Matching and distribution: decline with each reason ----------------------------------------------------

@pytest.mark.parametrize("reason", ["no_vacancy", "cannot_meet_needs", "location"])
def test_decline_with_each_listed_reason_is_stored_and_shown_back(app, reason):
    ids = _invited(app)
    client = _client(app, ids["staff"])
    response = submit(client, f"/invitations/{ids['referral']}/decline", {"reason": reason, "text": ""})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(ReferralProvider, (ids["referral"], ids["oakfield"]))
        assert (row.decline_reason, row.declined_at is not None) == (reason, True)
    body = client.get(f"/invitations/{ids['referral']}").get_data(as_text=True)
    assert "declined this referral on" in body and DECLINE_REASONS[reason] in body


# --- Proposals: saving a draft is refused after the deadline too -------------------------------------------

def test_saving_a_draft_one_second_after_the_deadline_is_refused(app):
    deadline = utcnow().replace(microsecond=0) + timedelta(hours=1)
    ids = _proposal_scenario(app, response_deadline=deadline)
    with app.app_context():
        with freeze_time(deadline - timedelta(seconds=1)):
            first = _save(ids, submit_=False, staffing="First draft")
            db.commit()
            assert first.revision == 1
        with freeze_time(deadline + timedelta(seconds=1)):
            with pytest.raises(ProposalError, match="deadline has passed"):
                _save(ids, submit_=False, staffing="A late draft")
            db.session.rollback()
        proposal = db.session.scalar(select(Proposal))
        assert (proposal.status, proposal.revision, proposal.staffing) == ("draft", 1, "First draft")
        assert db.session.scalar(select(func.count()).select_from(ProposalRevision)) == 1


# --- Evaluation: panel scoring needs a reason and a score from 0 to 4 --------------------------------------

def test_a_panel_score_without_a_reason_or_outside_0_to_4_is_refused(app):
    ids = _closed_scenario(app, proposals=1)
    member = _client(app, ids["members"][0])
    url = f"/panel/{ids['referral']}/proposals/A"
    response = submit(member, url, {"score_be_healthy": "3", "reason_be_healthy": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Enter a reason for the score for be healthy" in body
    response = submit(member, url, {"score_be_healthy": "5", "reason_be_healthy": "Excellent"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PanelScore)) == 0
    assert submit(member, url, {"score_be_healthy": "0", "reason_be_healthy": "No evidence"}).status_code == 302
    with app.app_context():
        row = db.session.scalar(select(PanelScore))
        assert (row.outcome, row.score, row.reason) == ("be_healthy", 0, "No evidence")


# --- Evaluation: blind order is random, fixed at closing ------------------------------------------------

def test_closing_gives_a_random_blind_order_that_stays_fixed(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        referral_ids = []
        for _ in range(8):
            ref = factories.referral(council, dps_obj=dps, status="published",
                                     response_deadline=utcnow() + timedelta(days=1),
                                     clarification_cutoff=utcnow() + timedelta(hours=1))
            for n in range(4):
                factories.proposal(ref, staffing=f"Plan {ref.id}-{n}", blind_position=None)
            ref.response_deadline = utcnow() - timedelta(seconds=1)
            referral_ids.append(ref.id)
        db.commit()
        assert closing.close_due_referrals() == 8
        orders = []
        for rid in referral_ids:
            rows = db.session.scalars(select(Proposal).where(Proposal.referral_id == rid)).all()
            assert sorted(p.blind_position for p in rows) == [0, 1, 2, 3]
            orders.append([p.id for p in sorted(rows, key=lambda p: p.blind_position)])
        # Random, not submission order: the chance that 8 shuffles of 4 all come out in id order is 1 in 24^8.
        assert any(order != sorted(order) for order in orders)
        # Fixed: the job running again changes nothing.
        assert closing.close_due_referrals() == 0
        again = [[p.id for p in sorted(db.session.scalars(select(Proposal).where(Proposal.referral_id == rid)),
                                       key=lambda p: p.blind_position)] for rid in referral_ids]
        assert again == orders


# --- Moderation: a disagreement of exactly 2 points is flagged ---------------------------------------------

def test_a_disagreement_of_exactly_two_points_is_flagged_and_one_is_not(app):
    assert scoring.disagreement([4, 2]) and scoring.disagreement([0, 2]) and not scoring.disagreement([3, 2])
    ids = _closed_scenario(app, proposals=1)
    score_all(app, ids, [(0, {0: 3}), (1, {0: {**{code: 2 for code in OUTCOMES}, "stay_safe": 1}})])
    body = _client(app, ids["officer"]).get(f"/referrals/{ids['referral']}/moderation").get_data(as_text=True)
    assert body.count("Disagreement") == 1  # stay safe: 3 against 1; the others 3 against 2


# --- Lock before price: no reveal and no award before quality is locked ------------------------------------

def test_prices_cannot_be_revealed_nor_a_proposal_awarded_before_the_lock(app):
    ids = _closed_scenario(app, proposals=2)
    score_all(app, ids, [(0, {0: 3, 1: 3}), (1, {0: 3, 1: 3})])
    officer = _client(app, ids["officer"])
    rid = ids["referral"]
    response = submit(officer, f"/referrals/{rid}/reveal", {}, page=f"/referrals/{rid}/results")
    assert response.status_code == 302
    response = submit(officer, f"/referrals/{rid}/award", {"proposal": str(ids["proposals"][0]), "reason": "x"},
                      page=f"/referrals/{rid}/results")
    assert response.status_code == 302
    body = officer.get(f"/referrals/{rid}/results", follow_redirects=True).get_data(as_text=True)
    assert "4,731.25" not in body and "4,831.25" not in body
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert referral.status == "closed" and referral.price_revealed_at is None
        assert all(p.weekly_cost_pence is None and p.rank is None
                   for p in db.session.scalars(select(Proposal).where(Proposal.referral_id == rid)))
        assert db.session.scalar(select(func.count()).select_from(Award)) == 0


# --- Cancel: from closed too (notifying every invitee), never after the lock -------------------------------

def test_a_closed_referral_can_be_cancelled_and_every_invitee_is_told(app):
    with app.app_context():
        council = factories.organisation("council")
        officer = factories.user("placements_officer", org=council)
        ref = factories.referral(council, status="closed", response_deadline=utcnow() - timedelta(hours=1),
                                 closed_at=utcnow())
        emails = []
        for n in range(2):
            provider = factories.organisation("provider")
            factories.invite(ref, provider, factories.setting(provider))
            emails.append(factories.user("provider_admin", org=provider).email)
        locked = factories.referral(council, status="quality_evaluated")
        db.commit()
        ref_id, locked_id, officer_email = ref.id, locked.id, officer.email
    client = _client(app, officer_email)
    response = submit(client, f"/referrals/{ref_id}/cancel", {"reason": "The child returned home"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Referral, ref_id).status == "cancelled"
        sent = {(m.to_address, m.kind) for m in db.session.scalars(select(EmailMessage))}
        assert sent == {(e, "referral_cancelled") for e in emails}
    # After the quality lock it is refused.
    response = client.get(f"/referrals/{locked_id}/cancel")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Referral, locked_id).status == "quality_evaluated"


# --- Audit trail tab: the reveal and the award, with who ----------------------------------------------------

def test_audit_tab_shows_the_price_reveal_and_the_award_with_who_and_why(app):
    s = _evaluated(app)
    officer = _client(app, s["officer_email"])
    _reveal(officer, s["referral"])
    assert _award(officer, s["referral"], s["B"], "Closer to her brother").status_code == 302
    body = officer.get(f"/referrals/{s['referral']}/audit").get_data(as_text=True)
    for text in ("Referral: prices revealed", "Referral: awarded", "Award: created", "Olive Officer",
                 "Closer to her brother"):
        assert text in body, text


# --- Referral authoring: the design's evaluation defaults ---------------------------------------------------

def test_a_new_referral_starts_with_the_designs_evaluation_defaults(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        officer = factories.user("placements_officer", org=council)
        db.commit()
        email, lot_id = officer.email, dps.lots[0].id
    client = _client(app, email)
    response = submit(client, "/referrals/new", {"lot": str(lot_id)})
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.scalar(select(Referral))
        assert (referral.min_outcome_score, referral.quality_threshold) == (2, 60)
        assert referral.outcome_weights == {code: 20 for code in OUTCOMES}  # equal
        assert (referral.price_method, referral.quality_weight) == ("quality_price", 70)
        rid = referral.id
    form = client.get(f"/referrals/{rid}/sections/evaluation").get_data(as_text=True)
    assert 'value="70"' in form and 'value="60"' in form
    # With no weights set the arithmetic weighs outcomes equally.
    assert scoring.weights_or_equal(None) == {code: 1 for code in OUTCOMES}


# --- Anonymisation gate: there is no "publish anyway" --------------------------------------------------------

def test_the_gate_has_no_override(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        officer = factories.user("placements_officer", org=council)
        ref = factories.referral(council, dps_obj=dps, what_matters="Jayden loves football")
        db.commit()
        rid, email = ref.id, officer.email
    client = _client(app, email)
    for extra in ({}, {"override": "yes", "publish_anyway": "1", "force": "true", "confirm": "y"}):
        response = submit(client, f"/referrals/{rid}/publish", extra)
        body = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400 and 'Remove the name "Jayden"' in body
        assert "anyway" not in body.lower()
    with app.app_context():
        assert db.session.get(Referral, rid).status == "draft"
        assert db.session.scalar(select(func.count()).select_from(ReferralProvider)) == 0
