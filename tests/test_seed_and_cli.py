"""The demo market and the CLI commands `make demo` relies on."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.core import db
from portal.core.models import Organisation, User
from portal.geography import centroid
from portal.models import APPLICATION_STATUSES, Document, Dps, DpsApplication, Setting, Vacancy
from portal.seed import DEMO_PASSWORD, DEMO_USERS
from tests.conftest import sign_in


def test_demo_seed_builds_a_consortium_market_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    for _, email, _, _ in DEMO_USERS:
        assert email in first.output
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        dps = db.session.scalar(select(Dps))
        assert sorted(c.name for c in dps.councils) == [
            "London Borough of Lewisham", "London Borough of Southwark", "Royal Borough of Greenwich"]
        assert len(dps.lots) == 5
        providers = db.session.scalar(select(func.count()).where(Organisation.kind == "provider"))
        inhouse = db.session.scalar(select(func.count()).where(Organisation.council_id.is_not(None)))
        settings = db.session.scalars(select(Setting)).all()
        assert 55 <= providers <= 65 and inhouse == 3
        assert len(settings) == 200
        assert all(centroid(s.district) for s in settings)
        ratings = [s.overall_effectiveness for s in settings]
        assert ratings.count("Good") > len(settings) / 2
        assert {"Outstanding", "Requires improvement to be good", "Inadequate"} <= set(ratings)
        vacancies = db.session.scalars(select(Vacancy)).all()
        stale = [v for v in vacancies if v.is_stale()]
        assert 0 < len(stale) < len(vacancies)
        emails = set(db.session.scalars(select(User.email)))
        assert {email for _, email, _, _ in DEMO_USERS} <= emails
        statuses = set(db.session.scalars(select(DpsApplication.status)))
        assert statuses == set(APPLICATION_STATUSES)
        assert db.session.scalar(select(func.count()).where(DpsApplication.status == "submitted",
                                                            DpsApplication.decision_due_on < date.today())) > 0
        expiries = [d.expires_on for d in db.session.scalars(select(Document).where(Document.expires_on.is_not(None)))]
        assert any(e < date.today() for e in expiries) and any(
            date.today() <= e <= date.today() + timedelta(days=30) for e in expiries)
        # Competitions in every lifecycle state, run through the real services, with a year of history.
        from tendering.models import REFERRAL_STATUSES, Award, Placement, Proposal, Referral
        assert set(db.session.scalars(select(Referral.status))) == set(REFERRAL_STATUSES)
        placements = db.session.scalars(select(Placement)).all()
        assert len(placements) >= 12 and min(p.start_date for p in placements) < date.today() - timedelta(days=300)
        assert db.session.scalar(select(func.count()).where(Award.kind == "spot_purchase")) >= 1
        assert db.session.scalar(select(func.count()).where(Proposal.rank.is_not(None))) > 0
        # The re-run of the demo seed added nothing.
        assert db.session.scalar(select(func.count()).select_from(Referral)) == len(
            set(db.session.scalars(select(Referral.id))))


def test_demo_logins_work(app):
    app.test_cli_runner().invoke(args=["demo", "seed"])
    client = app.test_client()
    assert sign_in(client, DEMO_USERS[0][1], DEMO_PASSWORD).status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Oakfield Care" in page and "Your homes and vacancies" in page and "Stale" in page
    assert "What needs your attention" in page and "Finish your application" in page
    assert "Renew your employer&#39;s liability insurance" in page


def test_users_create_command(app):
    runner = app.test_cli_runner()
    with app.app_context():
        db.session.add(Organisation(name="Kent County Council", kind="council"))
        db.commit()
    result = runner.invoke(args=["users", "create", "--email", "Officer@Kent.example", "--name", "Kim Officer",
                                 "--organisation", "Kent County Council", "--role", "placements_officer",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), "officer@kent.example", "a long enough password").status_code == 302
    wrong = runner.invoke(args=["users", "create", "--email", "x@kent.example", "--name", "X", "--organisation",
                                "Kent County Council", "--role", "provider_admin", "--password", "a long password!"])
    assert wrong.exit_code != 0 and "cannot hold the roles" in wrong.output
