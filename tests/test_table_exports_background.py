"""Tables over EXPORT_SYNC_LIMIT rows export in a background job: the request is only JobRun args, the file
goes through storage under exports/<user>/<job>.<format>, the inbox gets an expiring link (issue 6 item 5)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time
from sqlalchemy import select

from portal.core import db
from portal.core.models import InboxMessage, JobRun
from portal.core.storage import storage
from tests import factories
from tests.conftest import csrf_from, sign_in


def _client(app, email):
    client = app.test_client()
    assert sign_in(client, email, factories.PASSWORD).status_code == 302
    return client


def _manager_with_providers(app, n=4):
    with app.app_context():
        mine, theirs = factories.dps(), factories.dps()
        manager = factories.user("dps_manager", org=mine.councils[0])
        other = factories.user("dps_manager", org=theirs.councils[0])
        for i in range(n):
            factories.admitted(factories.organisation("provider", f"Provider {i:02d}"), mine)
        factories.admitted(factories.organisation("provider", "Not Yours Ltd"), theirs)
        db.commit()
        return manager.email, other.email, manager.id


def test_big_provider_list_exports_in_the_background_with_an_expiring_inbox_link(app):
    app.config["EXPORT_SYNC_LIMIT"] = 3
    email, other_email, user_id = _manager_with_providers(app)
    client = _client(app, email)
    page = client.get("/dps/providers").get_data(as_text=True)
    assert "Prepare CSV" in page and "Download CSV" not in page
    assert "Download a large table" in client.get("/dps/providers?format=csv").get_data(as_text=True)

    response = client.post("/exports/dps-providers", data={"format": "csv", "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    progress_url = response.headers["Location"]
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.key.like("export:%")))
        assert run.status == "succeeded" and run.args[:3] == [user_id, "dps-providers", "csv"]
        assert all(isinstance(a, (int, str)) for a in run.args)
        data = storage().get(f"exports/{user_id}/{run.id}.csv").decode()
        inbox = db.session.scalar(select(InboxMessage).where(InboxMessage.kind == "export_ready"))
        assert inbox.user_id == user_id and inbox.link and "expires" in inbox.body_text
        link = inbox.link.replace("http://localhost", "")
    assert [r[0] for r in csv.reader(io.StringIO(data))] == ["Provider"] + [f"Provider {i:02d}" for i in range(4)]

    progress = client.get(progress_url).get_data(as_text=True)
    assert "Ready" in progress and "Download the CSV file" in progress
    download = client.get(link)
    assert download.status_code == 200 and download.get_data(as_text=True) == data
    assert "Not Yours" not in data

    other = _client(app, other_email)
    assert other.get(link).status_code == 404  # the link is for its owner only
    assert other.get(progress_url).status_code == 404

    with freeze_time(datetime.now(timezone.utc) + timedelta(days=8)):
        expired = client.get(link)
    assert expired.status_code in (302, 410)  # expired (or the session itself ran out)
    if expired.status_code == 410:
        assert "expired" in expired.get_data(as_text=True)


def test_referral_list_background_export_keeps_the_filter_and_the_council(app):
    app.config["EXPORT_SYNC_LIMIT"] = 3
    with app.app_context():
        d = factories.dps()
        officer = factories.user("placements_officer", org=d.councils[0])
        mine = [factories.referral(d.councils[0], dps_obj=d).id for _ in range(4)]
        factories.referral(d.councils[0], dps_obj=d, status="published")
        factories.referral()
        db.commit()
        email, user_id = officer.email, officer.id
    client = _client(app, email)
    page = client.get("/referrals?status=draft").get_data(as_text=True)
    assert 'name="status" value="draft"' in page
    response = client.post("/exports/referrals", data={"format": "xlsx", "status": "draft",
                                                        "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.key.like("export:%")))
        from openpyxl import load_workbook
        sheet = load_workbook(io.BytesIO(storage().get(f"exports/{user_id}/{run.id}.xlsx"))).active
    ids = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(mine)


def test_an_export_a_user_may_not_run_is_not_found(app):
    app.config["EXPORT_SYNC_LIMIT"] = 3
    with app.app_context():
        provider = factories.user("provider_admin")
        db.commit()
        email = provider.email
    client = _client(app, email)
    page = client.get("/inbox").get_data(as_text=True)
    token = csrf_from(page) if re.search("csrf_token", page) else ""
    assert client.post("/exports/dps-providers", data={"format": "csv", "csrf_token": token}).status_code == 404
    assert client.post("/exports/nope", data={"format": "csv", "csrf_token": token}).status_code == 404
