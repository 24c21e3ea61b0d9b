"""The provider's home page lists what needs attention, most urgent first."""
from __future__ import annotations

from datetime import date, timedelta

from freezegun import freeze_time

from portal.core import db
from portal.core.db import utcnow
from portal.core.mail import notify
from portal.dashboard import provider_tasks
from portal.models import Document, Dps, DpsApplication, Vacancy
from tests import factories


def _doc(org, kind, expires_on, n=[0]):
    n[0] += 1
    db.session.add(Document(organisation_id=org.id, kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                            size_bytes=100, storage_key=f"documents/{org.id}/{n[0]}.pdf", cover_amount_pence=500_000_00,
                            expires_on=expires_on))


@freeze_time("2026-11-22 10:00:00")
def test_tasks_cover_suspensions_clarifications_vacancies_insurance_and_inbox(ctx):
    admin = factories.user("provider_admin")
    org = admin.organisation
    current = factories.setting(org, name="Fresh House")
    stale = factories.setting(org, name="Old House")
    factories.setting(org, name="Shut House", suspended=True, suspended_reason="Rated Inadequate by Ofsted")
    db.session.add_all([Vacancy(setting=current, places_free=1, confirmed_at=utcnow() - timedelta(days=1)),
                        Vacancy(setting=stale, places_free=1, confirmed_at=utcnow() - timedelta(days=8))])
    today = date(2026, 11, 22)
    _doc(org, "public_liability", today + timedelta(days=200))
    _doc(org, "employers_liability", today + timedelta(days=10))
    dps = Dps(name="Test DPS")
    db.session.add(DpsApplication(dps=dps, provider=org, status="clarification_requested", submitted_at=utcnow(),
                                  clarification_request="Please send your latest accounts."))
    db.commit()
    notify(admin, "password_reset", "user", admin.id, link="http://localhost/x", minutes=60)
    db.commit()

    tasks = provider_tasks(org.id, admin.id)
    titles = [(t.title, t.status) for t in tasks]
    assert titles[:2] == [("Shut House is suspended from new referrals", "attention"),
                          ("Answer a clarification question", "attention")]
    by_title = {t.title: t for t in tasks}
    assert by_title["Confirm your vacancies"].hint.startswith("1 stale and 1 not recorded of 3 homes")
    assert by_title["Upload your professional indemnity insurance certificate"].status == "attention"
    assert by_title["Renew your employer's liability insurance"].status == "warning"
    assert "Renew your public liability insurance" not in by_title
    assert by_title["Read your messages"].hint == "1 unread."
    assert "Please send your latest accounts." in by_title["Answer a clarification question"].hint


def test_a_provider_with_nothing_to_do_sees_done_items(ctx):
    admin = factories.user("provider_admin")
    home = factories.setting(admin.organisation)
    db.session.add(Vacancy(setting=home, places_free=0, confirmed_at=utcnow()))
    for kind in ("public_liability", "employers_liability", "professional_indemnity"):
        _doc(admin.organisation, kind, date.today() + timedelta(days=365))
    db.commit()
    tasks = provider_tasks(admin.organisation_id, admin.id)
    assert {t.status for t in tasks} == {"done"}


def test_the_home_page_shows_the_task_list_with_links(app):
    from tests.conftest import sign_in

    with app.app_context():
        admin = factories.user("provider_admin")
        home = factories.setting(admin.organisation, name="Shut House", suspended=True,
                                 suspended_reason="Ofsted registration cancelled")
        db.commit()
        email, home_id = admin.email, home.id
    client = app.test_client()
    sign_in(client, email, factories.PASSWORD)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "What needs your attention" in page
    assert f'href="/settings/{home_id}"' in page and "Ofsted registration cancelled" in page
    assert 'href="/documents"' in page and "Upload your public liability insurance certificate" in page
    assert 'href="/vacancies"' in page and "Needs attention" in page
