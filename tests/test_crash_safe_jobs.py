"""A real `rq worker` is killed with SIGKILL (with any work horse it forked, as when a machine dies) in the
middle of a job, a new worker is started, and nothing is lost or done twice:

* the invitation fan-out: every invited provider user gets exactly one email at a real SMTP server;
* the Ofsted import: it resumes after its last committed batch and ends as one clean run would.

A claim by a dead worker lasts JOB_CLAIM_SECONDS (2 s here); then the scheduler's sweep makes the job
runnable again under a new queue id, and the job's own keys stop it repeating what was already done.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.core import db
from portal.core.jobs import enqueue, sweep
from portal.core.models import AuditEvent, EmailMessage, InboxMessage, JobRun
from portal.models import Need, OfstedImport, Setting
from portal.ofsted import BATCH_SIZE, create_import, run_import
from tendering.distribution import distribute
from tendering.models import ReferralProvider
from tests import factories
from tests.conftest import SECRET, make_app
from tests.factories_ofsted import FIELD_COLUMNS, make_ofsted_csv, ofsted_row
from tests.smtp import start_sink

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parent.parent
LEASE = 2  # seconds
WORKER_CLASS = "tests.rq_worker.PreloadedSimpleWorker"  # one process, app built at start-up: see that module
RATING = FIELD_COLUMNS["overall_effectiveness"]


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (the rq work horse is in its own process group)."""
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                for child in handle.read().split():
                    found += _tree(int(child))
    except FileNotFoundError:
        pass
    return found


def kill_hard(proc: subprocess.Popen) -> None:
    for pid in reversed(_tree(proc.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Workers:
    """Starts `rq worker` processes against the test database and a Redis database of this process's own."""

    def __init__(self, database_url: str, env: dict[str, str], log_dir: Path):
        self.log_dir = log_dir
        self.env = {**os.environ, **env, "DATABASE_URL": database_url, "HOMEFINDER_ENV": "test",
                    "SECRET_KEY": SECRET, "JOB_BACKOFF_SECONDS": "0", "JOB_CLAIM_SECONDS": str(LEASE)}
        self.started: list[subprocess.Popen] = []

    def start(self, burst: bool = False, hold: Path | None = None) -> subprocess.Popen:
        """hold: the worker builds the app, then waits for this file to exist before taking any job."""
        args = [sys.executable, "-m", "rq.cli", "worker", "--worker-class", WORKER_CLASS,
                "--url", self.env["REDIS_URL"], "homefinder"]
        log = self.log_dir / f"worker-{len(self.started)}.log"
        with open(log, "w") as handle:
            env = {**self.env, "TEST_WORKER_HOLD": str(hold)} if hold else self.env
            proc = subprocess.Popen(args + (["--burst"] if burst else []), cwd=ROOT, env=env,
                                    stdout=handle, stderr=subprocess.STDOUT)
        proc.log = log
        self.started.append(proc)
        return proc

    def finish(self, app, proc: subprocess.Popen, timeout: float = 60) -> None:
        """Wait until every job has succeeded or failed, then stop the worker."""
        deadline = time.monotonic() + timeout
        with app.app_context():
            while time.monotonic() < deadline:
                pending = db.session.scalar(select(func.count()).select_from(JobRun).where(
                    JobRun.status.not_in(("succeeded", "failed"))))
                db.session.rollback()
                if not pending:
                    break
                assert proc.poll() is None, proc.log.read_text()[-3000:]
                time.sleep(0.05)
        kill_hard(proc)
        proc.wait(timeout=10)
        assert not pending, f"{pending} jobs never finished: {proc.log.read_text()[-3000:]}"

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                kill_hard(proc)
                proc.wait(timeout=10)


@pytest.fixture
def own_redis_url(redis_url):
    """A Redis database for this test process alone, so another suite's worker never takes our jobs."""
    from redis import Redis

    base = redis_url.rsplit("/", 1)[0]
    for number in range(1, 16):  # Redis has 16 databases; 0 is the rest of the suite's
        url = f"{base}/{number}"
        claim = Redis.from_url(url)
        if claim.set("homefinder-test-owner", os.getpid(), nx=True, ex=600):
            break
    else:
        pytest.fail("no free Redis database for a crash test")
    for key in claim.scan_iter():
        if key != b"homefinder-test-owner":
            claim.delete(key)
    yield url
    claim.flushdb()


@pytest.fixture
def sink():
    handler, port, controller = start_sink()
    yield handler, port
    controller.stop()


@pytest.fixture
def rq_setup(database_url, own_redis_url, tmp_path, sink):
    if not database_url.startswith("postgresql"):
        pytest.fail("this test needs PostgreSQL: run `make test`")
    _, port = sink
    env = {"REDIS_URL": own_redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_USE_TLS": "false",
           "DOCUMENTS_DIR": str(tmp_path / "documents")}
    app = make_app(database_url, tmp_path, REDIS_URL=own_redis_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                   MAIL_USE_TLS=False, JOB_CLAIM_SECONDS=LEASE)
    workers = Workers(database_url, env, tmp_path)
    yield app, workers
    workers.stop()
    app.extensions["homefinder.engine"].dispose()


def _sweep_after_lease(app) -> int:
    time.sleep(LEASE + 0.2)
    with app.app_context():
        return sweep(app)


# --- the invitation fan-out --------------------------------------------------------------------------------

def test_invitations_survive_a_killed_worker_each_email_exactly_once(rq_setup, sink, tmp_path):
    app, workers = rq_setup
    handler, _ = sink
    # A slow mail server, which pulls the plug on the worker as the 16th message arrives (before accepting it).
    original = handler.handle_DATA
    state = {"worker": None, "killed": False}

    async def slow_then_crash(server, session, envelope):
        await asyncio.sleep(0.02)
        if not state["killed"] and len(handler.messages) == 15:
            state["killed"] = True
            kill_hard(state["worker"])
            return "451 4.3.0 Try again later"
        return await original(server, session, envelope)

    handler.handle_DATA = slow_then_crash
    state["worker"] = workers.start()  # it gets ready while the referral is set up
    go = tmp_path / "go"
    rescuer = workers.start(hold=go)  # the new worker, ready but held until the first is dead
    with app.test_request_context():
        council = factories.organisation("council")
        dps = factories.dps(council)
        referral = factories.referral(council, dps_obj=dps, status="published")
        autism = db.session.get(Need, "autism")
        for _ in range(40):
            provider = factories.organisation("provider")
            factories.admitted(provider, dps)
            factories.setting(provider, min_age=12, max_age=17).needs = [autism]
            factories.user("provider_admin", org=provider)
        officer = factories.user("placements_officer", org=council)
        distribute(referral, officer)
        db.commit()
        ref_id = referral.id
        invited = db.session.scalar(select(func.count()).select_from(ReferralProvider).where(
            ReferralProvider.referral_id == ref_id, ReferralProvider.invited.is_(True)))
        assert invited == 40

    try:
        state["worker"].wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker was never killed: {state['worker'].log.read_text()[-3000:]}")
    assert state["killed"] and len(handler.messages) == 15

    with app.app_context():
        stuck = db.session.scalars(select(JobRun).where(JobRun.status == "running")).all()
        assert len(stuck) == 1 and stuck[0].function.endswith(":send_emails")  # a batch claimed by the dead worker
        sweep(app)
        db.session.refresh(stuck[0])
        assert stuck[0].status == "running"  # within its lease the claim is left alone
    go.touch()  # the new worker: the rest of the queue, and the rescued job once the lease is over
    assert _sweep_after_lease(app) >= 1
    workers.finish(app, rescuer)

    assert len({m["X-Homefinder-Key"] for m in handler.messages}) == len(handler.messages)
    recipients = sorted(m["To"] for m in handler.messages)
    assert len(recipients) == 40 and len(set(recipients)) == 40, recipients
    assert all("referral" in m["Subject"].lower() for m in handler.messages)
    with app.app_context():
        emails = db.session.scalars(select(EmailMessage)).all()
        assert sorted(e.to_address for e in emails) == recipients
        assert {e.status for e in emails} == {"sent"}
        assert db.session.scalar(select(func.count()).select_from(InboxMessage)) == 40
        statuses = db.session.execute(select(JobRun.status, func.count()).group_by(JobRun.status)).all()
        batches = -(-40 // app.config["EMAIL_BATCH_SIZE"])
        assert dict(statuses) == {"succeeded": 1 + batches}  # the fan-out and the emails' batches


# --- the Ofsted import -------------------------------------------------------------------------------------

def test_ofsted_import_killed_mid_run_resumes_to_the_same_result(rq_setup, sink, tmp_path):
    """1,000 rows in two batches of 500; every 10th home changes (three fields), every 100th is rated Inadequate
    and suspended. The worker dies after the first batch is committed; a new one finishes the import."""
    app, workers = rq_setup
    handler, _ = sink
    worker = workers.start()  # it gets ready while the homes and the file are set up
    go = tmp_path / "go"
    rescuer = workers.start(hold=go)  # the new worker, ready but held until the first is dead
    count, every, inadequate_every = 1000, 10, 100
    changed = [n for n in range(1, count + 1) if n % every == 0]
    suspended = [n for n in changed if n % inadequate_every == 0]
    assert BATCH_SIZE < count <= 2 * BATCH_SIZE
    with app.test_request_context():
        provider = factories.organisation("provider")
        factories.user("provider_admin", org=provider)
        manager = factories.user("dps_manager")
        rows, homes = [], []
        for n in range(1, count + 1):
            row = ofsted_row(n, registration_status="Active")
            if n % every == 0:
                row = ofsted_row(n, registration_status="Active", places=5, inspection_date=date(2026, 1, 1 + n % 28),
                                 overall_effectiveness="Inadequate" if n % inadequate_every == 0 else "Outstanding")
            rows.append(row)
            homes.append(Setting(provider=provider, name=f"Home {n}", urn=f"SC{100000 + n:06d}", kind="childrens_home",
                                 registered_places=1 + n % 6 if n % every else 2, postcode="SE6 4RU", district="SE6",
                                 overall_effectiveness=(row[RATING] or "Good") if n % every else "Good",
                                 inspection_date=date(2023, 1 + n % 12, 1 + n % 28)))
        db.session.add_all(homes)
        db.session.flush()
        imp = create_import(make_ofsted_csv(rows), "ofsted.csv", uploaded_by=manager)
        enqueue(run_import, imp.id, key=f"ofsted-import:{imp.id}")
        db.commit()
        imp_id = imp.id

    seen = None
    deadline = time.monotonic() + 60
    with app.app_context():  # kill once the first batch is committed and before the second is
        while time.monotonic() < deadline:
            seen = db.session.execute(select(OfstedImport.processed_rows, OfstedImport.status)
                                      .where(OfstedImport.id == imp_id)).one()
            db.session.rollback()
            if seen.processed_rows > 0 or seen.status in ("completed", "failed"):
                if 0 < seen.processed_rows < count:
                    kill_hard(worker)
                break
            time.sleep(0.005)
    worker.wait(timeout=30)
    assert seen is not None and seen.processed_rows == BATCH_SIZE, f"no mid-run moment seen: {seen}"

    with app.app_context():
        imp = db.session.get(OfstedImport, imp_id)
        assert (imp.status, imp.processed_rows) == ("running", BATCH_SIZE)  # abandoned part-way
    go.touch()  # the new worker resumes the import, then sends the emails it queued
    # The import's job, and the first batch's emails if the worker died before handing them to the queue.
    assert _sweep_after_lease(app) >= 1
    workers.finish(app, rescuer)

    with app.app_context():
        imp = db.session.get(OfstedImport, imp_id)
        assert (imp.status, imp.processed_rows, imp.total_rows) == ("completed", count, count)
        assert imp.changes_count == len(changed) * 3  # rating, places and inspection date, each once
        changes = [(c["urn"], c["field"]) for c in imp.report["changes"]]
        assert len(changes) == len(set(changes)) == len(changed) * 3
        assert [s["urn"] for s in imp.report["suspended"]] == [f"SC{100000 + n:06d}" for n in suspended]
        homes = {s.urn: s for s in db.session.scalars(select(Setting))}
        for n in changed:
            home = homes[f"SC{100000 + n:06d}"]
            assert (home.overall_effectiveness, home.registered_places, home.suspended) == (
                "Inadequate" if n in suspended else "Outstanding", 5, n in suspended)
        audited = db.session.execute(select(AuditEvent.object_id, func.count()).where(
            AuditEvent.action == "setting.ofsted_updated").group_by(AuditEvent.object_id)).all()
        assert len(audited) == len(changed) and {n for _, n in audited} == {1}  # one audit row per home
        # The provider's admin and the DPS manager each hear of each suspension once.
        told = db.session.scalar(select(func.count()).select_from(InboxMessage).where(
            InboxMessage.kind == "ofsted_suspension"))
        assert told == len(suspended) * 2
        keys = sorted(db.session.scalars(select(EmailMessage.key)))
        assert sum(1 for key in keys if key.startswith("ofsted_suspension:")) == len(suspended) * 2
    assert sorted(m["X-Homefinder-Key"] for m in handler.messages) == keys  # every email once, none twice
