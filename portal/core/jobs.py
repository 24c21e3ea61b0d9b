"""Background jobs with idempotency keys, bounded retries and a visible failed state.

enqueue() records a job_run row in the caller's transaction; the job is dispatched only after that
transaction commits (db.commit()). Without REDIS_URL the job runs in-process on its own thread and
session straight away; with REDIS_URL it goes to an RQ queue. Either way execute_job() claims the
row with one conditional UPDATE, so a duplicated or retried dispatch never runs the work twice.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import threading
import traceback
from datetime import timedelta
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.db import utcnow
from portal.core.models import JobRun

log = logging.getLogger(__name__)
QUEUE_NAME = "homefinder"
LOST_DISPATCH = timedelta(minutes=1)  # a row still queued after this may have missed its dispatch


def claim_lease() -> timedelta:
    """How long a claim lasts: a job still "running" after this is taken to belong to a dead worker
    (SIGKILL, lost machine) and the scheduler's sweep makes it runnable again (JOB_CLAIM_SECONDS)."""
    return timedelta(seconds=current_app.config["JOB_CLAIM_SECONDS"])


def function_path(fn: Callable) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def _load(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def enqueue(fn: Callable, *ids: int | str, key: str, max_attempts: int | None = None) -> JobRun:
    """Queue fn(*ids) once per key. Returns the existing run if the key was queued before."""
    for value in ids:
        if not isinstance(value, (int, str)):
            raise TypeError("jobs take ids, not objects")
    existing = db.session.scalar(select(JobRun).where(JobRun.key == key))
    if existing is not None:
        return existing
    run = JobRun(
        key=key,
        function=function_path(fn),
        args=list(ids),
        max_attempts=max_attempts or current_app.config["JOB_MAX_ATTEMPTS"],
    )
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:  # queued by a concurrent transaction a moment ago
        return db.session.scalar(select(JobRun).where(JobRun.key == key))
    db.session.info.setdefault("homefinder.pending_jobs", []).append(run)
    return run


def take_pending() -> list[JobRun]:
    return db.session.info.pop("homefinder.pending_jobs", [])


def dispatch(app: Flask, run_id: int, key: str, delay: float = 0, *, fresh: bool = False) -> None:
    """fresh: give the queue a new job id (a re-dispatch must not be mistaken for the abandoned job)."""
    app.extensions["homefinder.dispatcher"].dispatch(run_id, key, delay, fresh=fresh)


def execute_job(run_id: int) -> str:
    """Run one job. Entry point for RQ workers and the in-process dispatcher alike."""
    now = utcnow()
    claimed = db.session.execute(
        update(JobRun)
        .where(
            JobRun.id == run_id,
            JobRun.status.in_(("queued", "retrying")),
            JobRun.attempts < JobRun.max_attempts,
        )
        .values(status="running", attempts=JobRun.attempts + 1, claimed_at=now)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    run = db.session.get(JobRun, run_id)
    try:
        _load(run.function)(*run.args)
        run = db.session.get(JobRun, run_id)
        run.status, run.finished_at, run.last_error = "succeeded", utcnow(), None
        db.commit()
        return "succeeded"
    except Exception as exc:  # noqa: BLE001 - any failure is retried or recorded
        db.session.rollback()
        log.warning("job %s (%s) failed: %s", run_id, run.function, exc)
        run = db.session.get(JobRun, run_id)
        run.last_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
        if run.attempts >= run.max_attempts:
            run.status, run.finished_at = "failed", utcnow()
            db.session.commit()
            return "failed"
        delay = current_app.config["JOB_BACKOFF_SECONDS"] * (2 ** (run.attempts - 1))
        run.status, run.run_after = "retrying", utcnow() + timedelta(seconds=delay)
        db.session.commit()
        dispatch(current_app._get_current_object(), run.id, run.key, delay)
        return "retrying"


def retry_failed(run_id: int) -> None:
    """An admin gives a failed job a fresh set of attempts."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.status != "failed":
        return
    run.status, run.attempts, run.run_after, run.finished_at = "retrying", 0, utcnow(), None
    db.session.info.setdefault("homefinder.pending_jobs", []).append(run)


def sweep(app: Flask) -> int:
    """Re-dispatch jobs that are due but idle: retries whose time has come, rows whose dispatch was
    lost (process died between commit and dispatch) and claims abandoned by a killed worker. A second
    dispatch of a job that was not lost is harmless: execute_job's claim lets only one run it."""
    now = utcnow()
    db.session.execute(
        update(JobRun)
        .where(JobRun.status == "running", JobRun.claimed_at < now - claim_lease())
        .values(status="retrying", run_after=now)
    )
    due = db.session.scalars(
        select(JobRun).where(
            or_(
                (JobRun.status == "retrying") & (JobRun.run_after <= now),
                (JobRun.status == "queued") & (JobRun.created_at <= now - min(LOST_DISPATCH, claim_lease())),
            )
        )
    ).all()
    db.session.commit()
    for run in due:
        dispatch(app, run.id, run.key, fresh=True)
    return len(due)


class InProcessDispatcher:
    """Embedded default: run the job on a fresh thread (own session) and wait for it."""

    def __init__(self, app: Flask):
        self.app = app

    def _run(self, run_id: int) -> None:
        with self.app.app_context():
            execute_job(run_id)

    def dispatch(self, run_id: int, key: str, delay: float = 0, *, fresh: bool = False) -> None:
        if delay > 0:
            timer = threading.Timer(delay, self._run, args=(run_id,))
            timer.daemon = True
            timer.start()
            return
        thread = threading.Thread(target=self._run, args=(run_id,), name=f"job-{run_id}")
        thread.start()
        thread.join()


class RQDispatcher:
    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE_NAME, connection=self.redis)

    @staticmethod
    def rq_id(key: str, suffix: str = "") -> str:
        return "hf-" + hashlib.sha1(f"{key}{suffix}".encode()).hexdigest()

    def dispatch(self, run_id: int, key: str, delay: float = 0, *, fresh: bool = False) -> None:
        # The plain id makes a duplicated first dispatch one RQ job; retries and sweeps get their own, so
        # that RQ's clean-up of an abandoned job (moved to its failed registry) cannot swallow the new one.
        job_id = self.rq_id(key, f"#{utcnow().timestamp()}" if delay or fresh else "")
        if delay > 0:
            self.queue.enqueue_in(timedelta(seconds=delay), "portal.core.worker.run", run_id, job_id=job_id)
        else:
            self.queue.enqueue("portal.core.worker.run", run_id, job_id=job_id)


def init_app(app: Flask) -> None:
    if app.config["REDIS_URL"]:
        app.extensions["homefinder.dispatcher"] = RQDispatcher(app.config["REDIS_URL"])
    else:
        app.extensions["homefinder.dispatcher"] = InProcessDispatcher(app)


PERIODIC: dict[str, tuple[Callable, timedelta]] = {}


def periodic(every: timedelta, name: str | None = None) -> Callable:
    """Register a function the scheduler process runs once per interval (idempotent per slot)."""

    def decorator(fn: Callable) -> Callable:
        PERIODIC[name or function_path(fn)] = (fn, every)
        return fn

    return decorator


def enqueue_due_periodic(now=None) -> list[str]:
    now = now or utcnow()
    keys = []
    for name, (fn, every) in PERIODIC.items():
        slot = int(now.timestamp() // every.total_seconds())
        key = f"periodic:{name}:{slot}"
        enqueue(fn, key=key)
        keys.append(key)
    db.commit()
    return keys


def job_args(run: JobRun) -> list[Any]:
    return list(run.args)
