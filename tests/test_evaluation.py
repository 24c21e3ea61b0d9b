"""Evaluation up to the quality lock: sealed proposals, the panel, moderation, locking quality, the audit tab."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import AuditEvent, InboxMessage, User
from tendering.models import OUTCOMES, PanelAssignment, Proposal, Referral
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


def scenario(app, *, status: str = "closed", proposals: int = 2, panel: bool = True, **referral_fields) -> dict:
    """A Lewisham referral with two panel members and `proposals` submitted proposals (blind order set)."""
    with app.app_context():
        council = factories.organisation("council", name="Lewisham")
        dps = factories.dps(council)
        fields = dict(response_deadline=utcnow() + timedelta(days=3))
        if status != "published":
            fields.update(response_deadline=utcnow() - timedelta(hours=1), closed_at=utcnow())
        fields.update(referral_fields)
        referral = factories.referral(council, dps_obj=dps, status=status, **fields)
        officer = factories.user("placements_officer", org=council, name="Sam Okoro")
        members = [factories.user("panel_member", org=council, name=name) for name in ("Ada Lovelace", "Ben Jones")]
        rows = []
        for n in range(proposals):
            provider = factories.organisation("provider", name=f"Oakfield Care {n}")
            home = factories.setting(provider, name=f"Acacia House {n}")
            p = factories.proposal(referral, provider, home, core_fee_pence=473_125 + n * 10_000,
                                   services=[("Therapy sessions", "session", 4_321, 2, 12)],
                                   staffing=f"Staffing plan {n}",
                                   blind_position=None if status == "published" else n)
            rows.append(p)
        if panel:
            factories.panel(referral, *members)
        db.commit()
        return {"referral": referral.id, "officer": officer.email, "officer_id": officer.id,
                "members": [m.email for m in members], "member_ids": [m.id for m in members],
                "proposals": [p.id for p in rows], "council": council.id}


def client_for(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def score_all(app, ids, values_by_member):
    """values_by_member: [(member index, {proposal index: score or {outcome: score}})]; then mark submitted."""
    with app.app_context():
        for index, per_proposal in values_by_member:
            member = db.session.get(User, ids["member_ids"][index])
            for p_index, values in per_proposal.items():
                factories.scores(db.session.get(Proposal, ids["proposals"][p_index]), member, values)
            db.session.get(PanelAssignment, (ids["referral"], member.id)).submitted_at = utcnow()
        db.commit()


def moderation_data(values, reason="Agreed at moderation"):
    values = values if isinstance(values, dict) else {code: values for code in OUTCOMES}
    data = {}
    for code, score in values.items():
        data[f"score_{code}"], data[f"reason_{code}"] = str(score), reason
    return data


def test_sealed_before_deadline_shows_counts_only(app):
    ids = scenario(app, status="published", proposals=2)
    with app.app_context():
        factories.proposal(db.session.get(Referral, ids["referral"]), status="draft", staffing="Draft plan")
        decliner = factories.organisation("provider")
        row = factories.invite(db.session.get(Referral, ids["referral"]), decliner)
        row.declined_at, row.decline_reason = utcnow(), "no_vacancy"
        db.commit()
    client = client_for(app, ids["officer"])
    body = client.get(f"/referrals/{ids['referral']}/proposals").get_data(as_text=True)
    assert "Proposals received" in body and "<dd class=\"govuk-summary-list__value\">2</dd>" in body
    assert "<dd class=\"govuk-summary-list__value\">1</dd>" in body  # declined
    for text in ("Staffing plan 0", "Our plan to help her", "Oakfield Care", "Acacia House", "Draft plan", "4,731.25"):
        assert text not in body
    # The audit tab shows no proposal content before the deadline either.
    audit = client.get(f"/referrals/{ids['referral']}/audit").get_data(as_text=True)
    assert "Oakfield Care" not in audit and "Staffing plan" not in audit


def test_after_closing_officer_sees_providers_but_no_price(app):
    ids = scenario(app, status="published", proposals=2)
    with app.app_context():
        db.session.get(Referral, ids["referral"]).response_deadline = utcnow() - timedelta(seconds=1)
        db.commit()
    client = client_for(app, ids["officer"])
    body = client.get(f"/referrals/{ids['referral']}/proposals").get_data(as_text=True)
    assert "Oakfield Care 0" in body and "Acacia House 1" in body and "Proposal A" in body and "Proposal B" in body
    assert "4,731.25" not in body and "4731.25" not in body and "473125" not in body
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == "closed"


def test_panel_assignment_needs_two_is_audited_and_notifies(app):
    ids = scenario(app, status="published", panel=False)
    client = client_for(app, ids["officer"])
    url = f"/referrals/{ids['referral']}/panel"
    response = submit(client, url, {"members": [str(ids["member_ids"][0])]})
    assert response.status_code == 400 and "Select at least 2 panel members" in response.get_data(as_text=True)
    response = submit(client, url, {"members": [str(i) for i in ids["member_ids"]]})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(PanelAssignment).where(PanelAssignment.referral_id == ids["referral"]))
        assert {r.user_id for r in rows} == set(ids["member_ids"])
        inbox = db.session.scalars(select(InboxMessage).where(InboxMessage.kind == "panel_assigned")).all()
        assert {m.user_id for m in inbox} == set(ids["member_ids"])
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "referral.panel_member_assigned")).all()) == 2
    # Someone from another council, or without the role, cannot be chosen.
    with app.app_context():
        outsider = factories.user("panel_member", org=factories.organisation("council"))
        db.commit()
        outsider_id = outsider.id
    response = submit(client, url, {"members": [str(ids["member_ids"][0]), str(outsider_id)]})
    assert response.status_code == 400


def test_moderation_only_after_all_submitted_and_disagreement_flagged(app):
    ids = scenario(app, proposals=1)
    client = client_for(app, ids["officer"])
    url = f"/referrals/{ids['referral']}/moderation/{ids['proposals'][0]}"
    score_all(app, ids, [(0, {0: 4})])  # only the first member has submitted
    response = submit(client, url, moderation_data(3), page=f"/referrals/{ids['referral']}/moderation")
    assert response.status_code == 400
    assert "every panel member has submitted" in response.get_data(as_text=True)
    score_all(app, ids, [(1, {0: {**{code: 3 for code in OUTCOMES}, "stay_safe": 1}})])
    body = client.get(f"/referrals/{ids['referral']}/moderation").get_data(as_text=True)
    assert body.count("Disagreement") == 1  # stay safe: 4 against 1; the others 4 against 3
    assert "Submitted" in body and "Ada Lovelace" in body and "Clear evidence in the proposal" in body
    bad = submit(client, url, {**moderation_data(3), "reason_stay_safe": ""})
    assert bad.status_code == 400 and "Enter a reason for the score for stay safe" in bad.get_data(as_text=True)
    assert submit(client, url, moderation_data(3)).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.moderated")).one()


def _ready_to_lock(app, moderated_values, **referral_fields):
    ids = scenario(app, proposals=len(moderated_values), **referral_fields)
    score_all(app, ids, [(0, {i: 2 for i in range(len(moderated_values))}),
                         (1, {i: 2 for i in range(len(moderated_values))})])
    with app.app_context():
        officer = db.session.get(User, ids["officer_id"])
        for pid, values in zip(ids["proposals"], moderated_values):
            factories.moderated(db.session.get(Proposal, pid), officer, values)
        db.commit()
    return ids


def test_lock_computes_suitability_by_the_rules(app):
    weights = {"be_healthy": 40, "stay_safe": 30, "enjoy_and_achieve": 10, "positive_contribution": 10,
               "economic_wellbeing": 10}
    values = [
        {"be_healthy": 3, "stay_safe": 3, "enjoy_and_achieve": 2, "positive_contribution": 2, "economic_wellbeing": 2},
        {"be_healthy": 4, "stay_safe": 4, "enjoy_and_achieve": 4, "positive_contribution": 4, "economic_wellbeing": 1},
        {"be_healthy": 2, "stay_safe": 2, "enjoy_and_achieve": 4, "positive_contribution": 4, "economic_wellbeing": 4},
    ]
    ids = _ready_to_lock(app, values, outcome_weights=weights, min_outcome_score=2, quality_threshold=65)
    client = client_for(app, ids["officer"])
    page = client.get(f"/referrals/{ids['referral']}/lock").get_data(as_text=True)
    assert "This cannot be undone" in page
    assert submit(client, f"/referrals/{ids['referral']}/lock", {}).status_code == 302
    with app.app_context():
        got = [db.session.get(Proposal, pid) for pid in ids["proposals"]]
        # (3/4·40 + 3/4·30 + 2/4·30) / 100 = 67.5% ≥ 65, all ≥ 2 → suitable
        assert (got[0].quality_percent, got[0].suitable) == (Decimal("67.50"), True)
        # 92.5% but one score below the minimum → not suitable
        assert (got[1].quality_percent, got[1].suitable) == (Decimal("92.50"), False)
        # (20 + 15 + 30) = 65% exactly reaches the threshold → suitable
        assert (got[2].quality_percent, got[2].suitable) == (Decimal("65.00"), True)
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == "quality_evaluated" and referral.quality_locked_at is not None
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.quality_locked")).one()
        assert [p["suitable"] for p in event.after["proposals"]] == [True, False, True]
    # Irreversible: a second lock and further moderation are refused.
    again = submit(client, f"/referrals/{ids['referral']}/lock", {}, page=f"/referrals/{ids['referral']}/audit")
    assert again.status_code == 400
    response = submit(client, f"/referrals/{ids['referral']}/moderation/{ids['proposals'][0]}", moderation_data(0),
                      page=f"/referrals/{ids['referral']}/audit")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Proposal, ids["proposals"][0]).quality_percent == Decimal("67.50")


def test_lock_with_nothing_suitable_ends_the_referral(app):
    ids = _ready_to_lock(app, [2, 1], quality_threshold=60)
    client = client_for(app, ids["officer"])
    assert submit(client, f"/referrals/{ids['referral']}/lock", {}).status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        assert referral.status == "no_suitable_proposal" and referral.quality_locked_at is not None
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral.no_suitable_proposal")).one()
        assert event.after["reason"] == "No proposal met the quality threshold"


def test_lock_refused_until_everything_is_moderated(app):
    ids = scenario(app, proposals=2)
    score_all(app, ids, [(0, {0: 3, 1: 3}), (1, {0: 3, 1: 3})])
    with app.app_context():
        factories.moderated(db.session.get(Proposal, ids["proposals"][0]), db.session.get(User, ids["officer_id"]), 3)
        db.commit()
    client = client_for(app, ids["officer"])
    page = client.get(f"/referrals/{ids['referral']}/lock").get_data(as_text=True)
    assert "Record moderated scores for Proposal B" in page
    response = submit(client, f"/referrals/{ids['referral']}/lock", {}, page=f"/referrals/{ids['referral']}/audit")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == "closed"


def test_zero_proposals_can_end_as_no_suitable_proposal(app):
    ids = scenario(app, proposals=0)
    client = client_for(app, ids["officer"])
    page = client.get(f"/referrals/{ids['referral']}/moderation").get_data(as_text=True)
    assert "End with no suitable proposal" in page
    response = client.post(f"/referrals/{ids['referral']}/no-proposals", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Referral, ids["referral"]).status == "no_suitable_proposal"


def test_audit_tab_lists_the_story_with_actor_names(app):
    ids = _ready_to_lock(app, [3, 3])
    member = client_for(app, ids["members"][0])
    client = client_for(app, ids["officer"])
    submit(client, f"/referrals/{ids['referral']}/moderation/{ids['proposals'][0]}", moderation_data(3))
    assert submit(client, f"/referrals/{ids['referral']}/lock", {}).status_code == 302
    body = client.get(f"/referrals/{ids['referral']}/audit").get_data(as_text=True)
    for text in ("Referral: quality locked", "Proposal: moderated", "Referral: quality evaluated", "Sam Okoro",
                 "Lewisham"):
        assert text in body, text
    assert member.get(f"/referrals/{ids['referral']}/audit").status_code == 403


def test_score_saves_and_submission_are_audited(app):
    ids = scenario(app, proposals=1)
    member = client_for(app, ids["members"][0])
    url = f"/panel/{ids['referral']}/proposals/A"
    assert submit(member, url, moderation_data(3, "Good evidence")).status_code == 302
    assert submit(member, f"/panel/{ids['referral']}/submit", {}).status_code == 302
    officer = client_for(app, ids["officer"])
    body = officer.get(f"/referrals/{ids['referral']}/audit").get_data(as_text=True)
    assert "Proposal: panel score saved" in body and "Ada Lovelace" in body
    assert "Referral: panel scores submitted" in body
