"""With a real Redis and a real `rq worker`, an email reaches a real SMTP server exactly once — even
when it is queued twice with the same key, delivered twice by the queue, and the first try fails."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.core import db
from portal.core.jobs import RQDispatcher
from portal.core.mail import queue_email
from portal.core.models import EmailMessage, JobRun
from tests import factories
from tests.conftest import SECRET, make_app

ROOT = Path(__file__).resolve().parent.parent


class FlakySink:
    """An SMTP server that refuses the first message with a temporary error, then accepts."""

    def __init__(self, failures: int = 1):
        self.failures = failures
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if self.failures > 0:
            self.failures -= 1
            return "451 4.3.0 Temporary failure, try again"
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    handler = FlakySink(failures=1)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def rq_app(database_url, redis_url, tmp_path, smtp_sink):
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    _, port = smtp_sink
    env = {"REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False}
    application = make_app(database_url, tmp_path, **env)
    yield application, {**{k: str(v) for k, v in env.items()}, "MAIL_USE_TLS": "false"}
    application.extensions["homefinder.engine"].dispose()


def run_worker(database_url: str, env: dict) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env, "DATABASE_URL": database_url, "HOMEFINDER_ENV": "test", "SECRET_KEY": SECRET,
                "JOB_BACKOFF_SECONDS": "0"}
    return subprocess.run(
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", env["REDIS_URL"], "homefinder"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120)


def test_one_email_arrives_despite_duplicate_queueing_and_a_failed_first_try(rq_app, smtp_sink, database_url):
    app, env = rq_app
    handler, _ = smtp_sink
    with app.test_request_context():
        user = factories.user("provider_admin", email="jo@provider.example", name="Jo Bloggs")
        db.commit()
        for _ in range(2):  # the same notification queued twice with the same key
            queue_email(user.email, "password_reset", "reset:jo", user_id=user.id, user=user,
                        link="http://localhost/r", minutes=60)
            db.commit()
        run = db.session.scalar(select(JobRun))
        # ...and the queue delivers the same job twice.
        app.extensions["homefinder.dispatcher"].queue.enqueue(
            "portal.core.worker.run", run.id, job_id=RQDispatcher.rq_id(run.key, "#again"))
        run_id = run.id

    result = run_worker(database_url, env)
    assert result.returncode == 0, result.stderr[-3000:]

    assert len(handler.messages) == 1
    message = handler.messages[0].decode()
    assert "To: jo@provider.example" in message and "Subject: Reset your Homefinder password" in message
    with app.app_context():
        run = db.session.get(JobRun, run_id)
        email = db.session.scalar(select(EmailMessage))
        assert (run.status, run.attempts) == ("succeeded", 2)
        assert (email.status, email.transport) == ("sent", "smtp")
        assert db.session.scalars(select(JobRun)).all() == [run]
