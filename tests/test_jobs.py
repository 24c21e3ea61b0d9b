"""Jobs: queued only after commit, idempotent per key, retried with backoff, failures visible."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.core import db, jobs
from portal.core.mail import notify
from portal.core.models import EmailMessage, InboxMessage, JobRun
from tests import factories
from tests.conftest import sign_in, submit

CALLS: list[tuple] = []
FAILURES = {"left": 0}


def record_call(*ids):
    """A job: remember the call; fail while FAILURES['left'] > 0."""
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("temporary failure")
    CALLS.append(ids)


def setup_function():
    CALLS.clear()
    FAILURES["left"] = 0


def test_job_runs_only_after_the_commit_that_queued_it(ctx):
    jobs.enqueue(record_call, 7, key="t:1")
    assert CALLS == []
    db.commit()
    assert CALLS == [(7,)]
    assert db.session.scalar(select(JobRun.status).where(JobRun.key == "t:1")) == "succeeded"


def test_rolled_back_work_queues_nothing(ctx):
    jobs.enqueue(record_call, 1, key="t:rollback")
    db.session.rollback()
    db.commit()
    assert CALLS == []
    assert db.session.scalars(select(JobRun.key)).all() == []


def test_same_key_twice_runs_once(ctx):
    jobs.enqueue(record_call, 1, key="t:dup")
    db.commit()
    jobs.enqueue(record_call, 1, key="t:dup")
    db.commit()
    run = db.session.scalar(select(JobRun).where(JobRun.key == "t:dup"))
    jobs.execute_job(run.id)  # a duplicated delivery of the same job
    assert CALLS == [(1,)]


def test_jobs_take_ids_not_objects(ctx):
    import pytest

    with pytest.raises(TypeError):
        jobs.enqueue(record_call, object(), key="t:obj")


def test_failures_retry_then_succeed(ctx):
    FAILURES["left"] = 2
    jobs.enqueue(record_call, 3, key="t:retry")
    db.commit()
    run = db.session.scalar(select(JobRun).where(JobRun.key == "t:retry"))
    db.session.refresh(run)
    assert CALLS == [(3,)] and run.status == "succeeded" and run.attempts == 3


def test_exhausted_retries_end_failed_and_show_on_admin_page(app, client):
    FAILURES["left"] = 99
    with app.app_context():
        jobs.enqueue(record_call, 4, key="t:fail", max_attempts=3)
        db.commit()
        run = db.session.scalar(select(JobRun).where(JobRun.key == "t:fail"))
        assert (run.status, run.attempts) == ("failed", 3)
        assert "temporary failure" in run.last_error
        admin = factories.user("system_admin")
        db.commit()
        email, run_id = admin.email, run.id
    sign_in(client, email, factories.PASSWORD)
    page = client.get("/admin/jobs?status=failed").get_data(as_text=True)
    assert "t:fail" in page and "temporary failure" in page and "Retry" in page
    FAILURES["left"] = 0
    assert submit(client, f"/admin/jobs/{run_id}/retry", {}, page="/admin/jobs?status=failed").status_code == 302
    with app.app_context():
        assert db.session.get(JobRun, run_id).status == "succeeded"
    assert CALLS == [(4,)]


def test_notify_writes_inbox_and_outbox_once(app, client):
    with app.app_context():
        user = factories.user("provider_admin")
        db.commit()
        for _ in range(2):
            notify(user, "password_reset", "user", user.id, link="http://localhost/x", minutes=60)
            db.commit()
        assert db.session.scalar(select(func.count()).select_from(InboxMessage)) == 1
        emails = db.session.scalars(select(EmailMessage)).all()
        assert [(e.status, e.transport) for e in emails] == [("sent", "outbox")]
        email = user.email
    sign_in(client, email, factories.PASSWORD)
    assert "Reset your Homefinder password" in client.get("/inbox").get_data(as_text=True)


def test_periodic_jobs_are_queued_once_per_slot(ctx):
    from datetime import datetime, timedelta, timezone

    jobs.PERIODIC["test-periodic"] = (record_call, timedelta(hours=1))
    try:
        now = datetime(2026, 11, 22, 10, 15, tzinfo=timezone.utc)
        jobs.enqueue_due_periodic(now)
        jobs.enqueue_due_periodic(now + timedelta(minutes=30))
        assert CALLS == [()]
        jobs.enqueue_due_periodic(now + timedelta(hours=1))
        assert CALLS == [(), ()]
    finally:
        del jobs.PERIODIC["test-periodic"]
