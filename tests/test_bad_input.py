"""Bad input gets a GOV.UK error, never a 500, and a refused request writes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.core import db
from portal.core.models import EmailMessage, User
from tests import factories
from tests.conftest import csrf_from, sign_in, submit


def _admin(app) -> str:
    with app.app_context():
        admin = factories.user("provider_admin")
        db.commit()
        return admin.email


def test_over_long_and_hostile_sign_in_values_get_an_error_summary(app, client):
    for email, password in [("a" * 10_000 + "@example.org", "x"), ("<script>alert(1)</script>", "' OR 1=1 --"),
                            ("\x00\x1f", "\u202e\ufeff"), ("", "")]:
        response = sign_in(client, email, password)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, email[:20]
        assert "There is a problem" in page or "characters that are not allowed" in page
        assert "<script>alert(1)</script>" not in page


def test_invalid_invitation_writes_nothing(app, client):
    sign_in(client, _admin(app), factories.PASSWORD)
    for data in [{"name": "N" * 201, "email": "ok@example.org", "roles": ["provider_staff"]},
                 {"name": "Name", "email": "not-an-email", "roles": ["provider_staff"]},
                 {"name": "Name", "email": "ok@example.org"},
                 {"name": "Name", "email": "ok@example.org", "roles": ["system_admin"]}]:
        response = submit(client, "/organisation/users/invite", data)
        assert response.status_code == 400 and "There is a problem" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert db.session.scalar(select(func.count()).select_from(EmailMessage)) == 0


def test_oversized_request_is_refused_with_a_clear_page(app, client):
    html = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in", data={"csrf_token": csrf_from(html), "email": "x" * (13 * 1024 * 1024)})
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)


def test_malformed_ids_and_unknown_pages_are_404(app, client):
    sign_in(client, _admin(app), factories.PASSWORD)
    for url in ["/inbox/abc", "/inbox/-1", "/inbox/99999999999999999999", "/organisation/users/x/remove"]:
        assert client.get(url).status_code in (404, 405), url
    assert client.get("/inbox/99999999999999999999").status_code == 404


def test_wrong_method_is_a_govuk_page_not_a_crash(app, client):
    response = client.get("/sign-out")
    assert response.status_code == 405 and "govuk-template" in response.get_data(as_text=True)
