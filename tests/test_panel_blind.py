"""Blind scoring: panel members never see a provider, a home or a price, and score independently."""
from __future__ import annotations

import re
from datetime import timedelta

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import User
from tendering.models import OUTCOMES, PanelAssignment, PanelScore, Proposal, Referral
from tests import factories
from tests.conftest import submit
from tests.test_evaluation import client_for, moderation_data, scenario, score_all

URL_RE = re.compile(r'(?:href|action)="([^"]*)"')


def _forbidden(app, ids) -> tuple[list[str], list[str]]:
    """Every provider name, home name and price format of the referral's proposals; and their ids."""
    texts = []
    with app.app_context():
        for pid in ids["proposals"]:
            p = db.session.get(Proposal, pid)
            fee = p.weekly_core_fee_pence
            texts += [p.provider.name, p.setting.name, f"{fee / 100:,.2f}", f"{fee / 100:.2f}", str(fee),
                      f"{fee // 100:,}", f"£{fee / 100:,.0f}"]
            for s in p.services:
                texts += [f"{s.unit_price_pence / 100:.2f}", str(s.unit_price_pence)]
    return texts, [str(pid) for pid in ids["proposals"]]


def _assert_blind(body: str, forbidden: list[str], proposal_ids: list[str], referral_id: int) -> None:
    for text in forbidden:
        assert text not in body, f"{text!r} shown to a panel member"
    for url in URL_RE.findall(body):
        segments = url.split("?")[0].split("/")
        for pid in proposal_ids:
            assert pid not in segments or pid == str(referral_id), f"proposal id in {url}"
    assert "data-proposal" not in body and "proposal_id" not in body


def test_every_panel_page_is_blind(app):
    ids = scenario(app, proposals=3)
    forbidden, proposal_ids = _forbidden(app, ids)
    member = client_for(app, ids["members"][0])
    rid = ids["referral"]
    pages = ["/panel", f"/panel/{rid}", f"/panel/{rid}/submit"] + [f"/panel/{rid}/proposals/{x}" for x in "ABC"]
    for url in pages:
        response = member.get(url)
        assert response.status_code == 200, url
        _assert_blind(response.get_data(as_text=True), forbidden, proposal_ids, rid)
    body = member.get(f"/panel/{rid}/proposals/B").get_data(as_text=True)
    assert "Staffing plan 1" in body and "Therapy sessions" in body and "Our plan to help her be healthy" in body
    # An error page and the pages after submitting are blind too.
    bad = submit(member, f"/panel/{rid}/proposals/A", {"score_be_healthy": "3"})
    assert bad.status_code == 400
    _assert_blind(bad.get_data(as_text=True), forbidden, proposal_ids, rid)
    for x in "ABC":
        assert submit(member, f"/panel/{rid}/proposals/{x}", moderation_data(3)).status_code == 302
    assert submit(member, f"/panel/{rid}/submit", {}).status_code == 302
    for url in pages:
        _assert_blind(member.get(url).get_data(as_text=True), forbidden, proposal_ids, rid)


def test_labels_follow_the_blind_order(app):
    ids = scenario(app, proposals=2)
    with app.app_context():
        first, second = (db.session.get(Proposal, pid) for pid in ids["proposals"])
        first.blind_position, second.blind_position = 5, 6
        db.session.flush()
        first.blind_position, second.blind_position = 1, 0
        db.commit()
    member = client_for(app, ids["members"][0])
    body = member.get(f"/panel/{ids['referral']}/proposals/A").get_data(as_text=True)
    assert "Staffing plan 1" in body and "Staffing plan 0" not in body
    assert member.get(f"/panel/{ids['referral']}/proposals/C").status_code == 404


def test_scoring_waits_for_the_deadline(app):
    ids = scenario(app, status="published", proposals=1)
    member = client_for(app, ids["members"][0])
    body = member.get(f"/panel/{ids['referral']}").get_data(as_text=True)
    assert "Scoring opens after the response deadline" in body
    assert member.get(f"/panel/{ids['referral']}/proposals/A").status_code == 404
    with app.app_context():
        db.session.get(Referral, ids["referral"]).response_deadline = utcnow() - timedelta(seconds=1)
        db.commit()
    assert member.get(f"/panel/{ids['referral']}/proposals/A").status_code == 200  # closed by the page


def test_cannot_see_others_scores_until_own_submission(app):
    ids = scenario(app, proposals=1)
    score_all(app, ids, [(1, {0: 1})])  # Ben has scored and submitted; "Clear evidence in the proposal"
    ada = client_for(app, ids["members"][0])
    url = f"/panel/{ids['referral']}/proposals/A"
    body = ada.get(url).get_data(as_text=True)
    assert "Clear evidence in the proposal" not in body and "All panel members" not in body
    assert submit(ada, url, moderation_data(4, "Strong plan")).status_code == 302
    body = ada.get(url).get_data(as_text=True)
    assert "Clear evidence in the proposal" not in body
    assert submit(ada, f"/panel/{ids['referral']}/submit", {}).status_code == 302
    body = ada.get(url).get_data(as_text=True)
    assert "All panel members" in body and "Clear evidence in the proposal" in body and "Strong plan" in body
    assert "Ben Jones" not in body  # colleagues are numbered, not named
    # Scores are final once submitted.
    assert submit(ada, url, moderation_data(0, "Changed my mind")).status_code == 400
    with app.app_context():
        assert {s.score for s in db.session.query(PanelScore).filter_by(user_id=ids["member_ids"][0])} == {4}


def test_submit_needs_every_outcome_scored(app):
    ids = scenario(app, proposals=2)
    ada = client_for(app, ids["members"][0])
    rid = ids["referral"]
    assert submit(ada, f"/panel/{rid}/proposals/A", moderation_data(3)).status_code == 302
    partial = {k: v for k, v in moderation_data(2).items() if "be_healthy" in k}
    assert submit(ada, f"/panel/{rid}/proposals/B", partial).status_code == 302  # save as you go
    response = ada.post(f"/panel/{rid}/submit", data={"csrf_token": _token(ada, rid)})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(PanelAssignment, (rid, ids["member_ids"][0])).submitted_at is None


def _token(client, rid):
    from tests.conftest import csrf_from
    return csrf_from(client.get(f"/panel/{rid}/proposals/A").get_data(as_text=True))


def test_scoring_refused_after_the_lock(app):
    ids = scenario(app, proposals=1)
    with app.app_context():
        referral = db.session.get(Referral, ids["referral"])
        referral.status, referral.quality_locked_at = "quality_evaluated", utcnow()
        db.commit()
    ada = client_for(app, ids["members"][0])
    assert submit(ada, f"/panel/{ids['referral']}/proposals/A", moderation_data(3)).status_code == 400
    with app.app_context():
        assert db.session.query(PanelScore).count() == 0


def test_panel_member_of_another_referral_gets_404(app):
    ids = scenario(app, proposals=1)
    with app.app_context():
        council = db.session.get(factories.Organisation, ids["council"])
        other = factories.referral(council, dps_obj=db.session.get(Referral, ids["referral"]).dps, status="closed",
                                   response_deadline=utcnow() - timedelta(hours=1), closed_at=utcnow())
        colleague = factories.user("panel_member", org=council)
        factories.panel(other, colleague, db.session.get(User, ids["member_ids"][1]))
        db.commit()
        other_id = other.id
    ada = client_for(app, ids["members"][0])
    for url in (f"/panel/{other_id}", f"/panel/{other_id}/proposals/A", f"/panel/{other_id}/submit"):
        assert ada.get(url).status_code == 404, url
    assert ada.get(f"/panel/{ids['referral']}").status_code == 200
    assert "Referral " + str(other_id) not in ada.get("/panel").get_data(as_text=True)
    assert set(OUTCOMES)  # outcomes exist for the forms above
