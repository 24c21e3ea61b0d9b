"""Entry points for `rq worker` and the scheduler process (see Procfile)."""
from __future__ import annotations

import logging
import time
from functools import lru_cache

from rq.worker import SimpleWorker

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _app():
    from portal import create_app

    return create_app()


class Worker(SimpleWorker):
    """`rq worker --worker-class portal.core.worker.Worker`: runs each job in the worker process itself, with
    the app and its connection pool built once. rq's default forks a work horse per job, which cost a fork, a
    new database connection and seconds of create_app() per email (bench/run.py P4: 1,000 emails in 87 s
    against 9.4 s this way). A job that kills the process takes the worker with it; its claim then expires
    (JOB_CLAIM_SECONDS) and the scheduler's sweep hands it to another worker, as after a SIGKILL."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _app()


def run(run_id: int) -> str:
    """What RQ executes: reload the job row by id and run it under the app."""
    from portal.core.jobs import execute_job

    with _app().app_context():
        return execute_job(run_id)


def scheduler_loop(app=None, interval: float = 30.0, once: bool = False) -> None:
    """Queue periodic jobs once per slot and re-dispatch due retries. Safe to run more than one."""
    from portal.core.jobs import enqueue_due_periodic, sweep

    app = app or _app()
    while True:
        with app.app_context():
            try:
                enqueue_due_periodic()
                sweep(app)
            except Exception:  # noqa: BLE001 - the loop must keep going; the error is logged
                log.exception("scheduler tick failed")
        if once:
            return
        time.sleep(interval)
