"""The referral_competition summary rows behind the sufficiency picture: built for every published referral,
rebuilt when the referral's status moves on (by the periodic job, and by the dashboard for its own councils),
never for drafts, and the same answer however often it is refreshed."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.core import db
from portal.core.jobs import PERIODIC
from tendering import competition_summary as summary
from tendering import sufficiency as s
from tendering.models import Award, Proposal, ReferralCompetition
from tests import factories
from tests.conftest import sign_in


def _row(referral_id) -> ReferralCompetition | None:
    db.session.expire_all()
    return db.session.get(ReferralCompetition, referral_id)


def _evaluated(council, dps_obj, costs=(3_000, 3_400, 4_000), unsuitable=(1_000,)):
    ref = factories.referral(council, dps_obj=dps_obj, status="price_evaluated", preferred_district="SE6")
    for cost, suitable in [(c, True) for c in costs] + [(c, False) for c in unsuitable]:
        p = factories.proposal(ref)
        p.suitable, p.weekly_cost_pence = suitable, cost * 100
    factories.proposal(ref, status="withdrawn")  # never counted
    db.session.flush()
    return ref


def test_rows_hold_what_the_competition_drew_and_go_stale_when_the_status_moves(ctx):
    council = factories.organisation("council")
    dps = factories.dps(council)
    ref = _evaluated(council, dps)
    draft = factories.referral(council, dps_obj=dps)
    db.commit()

    assert summary.stale_referral_ids([council.id]) == [ref.id]  # drafts never get a row
    assert summary.refresh_stale([council.id]) == 1
    row = _row(ref.id)
    assert (row.status, row.submitted, row.suitable, row.median_suitable_pence, row.area) == \
        ("price_evaluated", 4, 3, 340_000, "SE")
    assert row.award_kind is None and _row(draft.id) is None
    assert summary.refresh_stale([council.id]) == 0  # nothing moved: nothing to do

    winner = db.session.scalar(select(Proposal).where(Proposal.referral_id == ref.id,
                                                      Proposal.weekly_cost_pence == 300_000))
    db.session.add(Award(referral_id=ref.id, proposal_id=winner.id, kind="competition",
                         provider_id=winner.provider_id, setting_id=winner.setting_id, weekly_cost_pence=300_000))
    ref.status = "awarded"
    db.commit()
    assert summary.stale_referral_ids() == [ref.id]
    assert summary.refresh(summary.stale_referral_ids()) == 1
    assert summary.refresh([ref.id]) == 1  # an upsert: refreshing twice leaves one row
    db.commit()
    row = _row(ref.id)
    assert (row.status, row.award_kind, row.awarded_cost_pence) == ("awarded", "competition", 300_000)
    assert db.session.scalar(select(func.count()).select_from(ReferralCompetition)) == 1


def test_the_periodic_job_refreshes_every_council(ctx):
    job, _every = PERIODIC["tendering.jobs:refresh_competition_summary"]
    first, second = factories.organisation("council"), factories.organisation("council")
    refs = [_evaluated(first, factories.dps(first)), _evaluated(second, factories.dps(second))]
    db.commit()
    assert job() == 2
    assert {r.referral_id for r in db.session.scalars(select(ReferralCompetition))} == {r.id for r in refs}
    assert job() == 0


def test_the_dashboard_shows_a_referral_that_closed_a_moment_ago(app):
    with app.app_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        officer = factories.user("placements_officer", org=council)
        ref = factories.referral(council, dps_obj=dps, status="published")
        for _ in range(6):
            factories.proposal(ref)
        db.commit()
        summary.refresh_stale()  # the job ran while the referral was still open
        ref.status = "closed"  # ...and then it closed
        db.commit()
        email, ref_id, council_id = officer.email, ref.id, council.id
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    rows = client.get("/sufficiency?format=csv&panel=competition_proposals").get_data(as_text=True).splitlines()
    assert "5–10,1,yes" in rows  # six proposals: in Devon's range, counted straight away
    with app.app_context():
        assert _row(ref_id).status == "closed"
        f = s.Filters(council_ids=(council_id,), dps_ids=())
        assert [r[:2] for r in s.proposals_per_referral(f).rows if r[1]] == [["5–10", 1]]
