"""Background export files are deleted EXPORT_RETENTION_HOURS after the job finished (portal.jobs
.delete_old_exports, hourly); the JobRun stays, and its progress page and inbox link then say the file has
expired (a GOV.UK page with 410, never a 500)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.jobs import PERIODIC
from portal.core.models import InboxMessage, JobRun
from portal.core.storage import StorageError, storage
from portal.jobs import delete_old_exports
from tests.conftest import csrf_from
from tests.test_table_exports_background import _client, _manager_with_providers


def _export(client, fmt):
    page = client.get("/dps/providers").get_data(as_text=True)
    response = client.post("/exports/dps-providers", data={"format": fmt, "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    return response.headers["Location"]


def test_old_export_files_are_deleted_and_their_link_and_page_say_expired(app):
    app.config["EXPORT_SYNC_LIMIT"] = 3
    app.config["EXPORT_RETENTION_HOURS"] = 24
    email, _, user_id = _manager_with_providers(app)
    client = _client(app, email)
    old_page, new_page = _export(client, "csv"), _export(client, "xlsx")
    with app.app_context():
        old, new = db.session.scalars(select(JobRun).where(JobRun.key.like("export:%")).order_by(JobRun.id)).all()
        links = [m.link.replace("http://localhost", "") for m in db.session.scalars(
            select(InboxMessage).where(InboxMessage.kind == "export_ready").order_by(InboxMessage.id))]
        assert "within 1 day" in db.session.scalars(select(InboxMessage.body_text)).first()
        old.finished_at = utcnow() - timedelta(hours=24, minutes=1)  # controlled time: finished a day ago
        new.finished_at = utcnow() - timedelta(hours=23)
        db.commit()
        old_key, new_key = f"exports/{user_id}/{old.id}.csv", f"exports/{user_id}/{new.id}.xlsx"
        assert storage().get(old_key)

    # past the retention, before the clean-up has run: already expired for the user
    response = client.get(links[0])
    assert response.status_code == 410 and "This download has expired" in response.get_data(as_text=True)

    with app.app_context():
        assert PERIODIC["portal.jobs:delete_old_exports"] == (delete_old_exports, timedelta(hours=1))
        assert delete_old_exports() == 1
        with pytest.raises(StorageError):
            storage().get(old_key)
        with pytest.raises(StorageError):
            storage().get(old_key + ".progress")
        assert storage().get(new_key)  # 23 hours old: kept
        assert db.session.get(JobRun, old.id) is not None  # the record of who exported what stays

    response = client.get(links[0])
    text = response.get_data(as_text=True)
    assert response.status_code == 410 and "This file has expired" in text and "24 hours" in text
    progress = client.get(old_page).get_data(as_text=True)
    assert "Expired" in progress and "Download the CSV file" not in progress
    fresh = client.get(new_page).get_data(as_text=True)
    assert "Download the XLSX file" in fresh and "ready until" in fresh
    assert client.get(links[1]).status_code == 200


def test_a_shorter_retention_from_config_is_used(app):
    app.config["EXPORT_SYNC_LIMIT"] = 3
    app.config["EXPORT_RETENTION_HOURS"] = 2
    email, _, user_id = _manager_with_providers(app)
    client = _client(app, email)
    _export(client, "csv")
    with app.app_context():
        run = db.session.scalar(select(JobRun).where(JobRun.key.like("export:%")))
        assert delete_old_exports() == 0
        run.finished_at = utcnow() - timedelta(hours=3)
        db.commit()
        assert delete_old_exports() == 1
        with pytest.raises(StorageError):
            storage().get(f"exports/{user_id}/{run.id}.csv")
