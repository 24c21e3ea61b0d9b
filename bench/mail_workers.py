"""bench/run.py P4: invitation emails through real `rq worker` processes to an SMTP sink, beside raw smtplib.

The sink (aiosmtpd, in this process) only counts messages. Baseline first: plain smtplib sends the same
number of messages, one connection each (as send_email does), from one process. Then the workers start
(`rq worker --worker-class … --url … homefinder`, the Procfile's worker class unless told another), the
invitation fan-out writes the inbox rows and rendered emails for as many recipients with notify_many (as the
fan-out job does) and commits, which enqueues one send job per email; the clock stops when the sink has
every message. Peak RSS of each worker process (and of the work horses it forks) is sampled meanwhile.
"""
from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import threading
import time
from email.message import EmailMessage as MimeMessage
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "homefinder"


class CountingSink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


class RssMonitor:
    """Samples the resident set size of processes (and their children) every `every` seconds; keeps peaks."""

    def __init__(self, pids: list[int], every: float = 0.25):
        import psutil

        self.procs = [psutil.Process(pid) for pid in pids]
        self.every = every
        self.peak_parent = 0
        self.peak_child = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        import psutil

        while not self.stop_event.is_set():
            for proc in self.procs:
                try:
                    self.peak_parent = max(self.peak_parent, proc.memory_info().rss)
                    for child in proc.children(recursive=True):
                        self.peak_child = max(self.peak_child, child.memory_info().rss)
                except psutil.Error:
                    pass
            self.stop_event.wait(self.every)

    def stop(self) -> tuple[int, int]:
        self.stop_event.set()
        self.thread.join()
        return self.peak_parent, self.peak_child


def _mime(i: int, subject: str, text: str, html: str) -> MimeMessage:
    mime = MimeMessage()
    mime["Subject"] = subject
    mime["From"] = "Homefinder <no-reply@homefinder.example>"
    mime["To"] = f"bench-raw-{i}@provider.example"
    mime.set_content(text)
    mime.add_alternative(html, subtype="html")
    return mime


def raw_smtplib(port: int, n: int, subject: str, text: str, html: str) -> float:
    start = time.perf_counter()
    for i in range(n):
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(_mime(i, subject, text, html))
    return time.perf_counter() - start


def _recipients(n: int):
    """n active users of one new provider organisation (so every run sends to fresh keys)."""
    from sqlalchemy import insert, select

    from portal.core import db
    from portal.core.models import Organisation, User

    org = Organisation(name=f"Bench Mail Provider {os.getpid()}-{time.time_ns()}", kind="provider")
    db.session.add(org)
    db.session.flush()
    db.session.execute(insert(User), [dict(organisation_id=org.id, email=f"bench-mail-{org.id}-{i}@provider.example",
                                           name=f"Bench recipient {i}", status="active") for i in range(n)])
    return list(db.session.scalars(select(User).where(User.organisation_id == org.id).order_by(User.id)))


def procfile_worker_class() -> str | None:
    """The --worker-class the Procfile's worker line names, if any."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("worker:") and "--worker-class" in line:
            return line.split("--worker-class", 1)[1].split()[0]
    return None


def run_mail(url: str, redis_url: str, n: int = 1_000, workers: int = 2, worker_class: str | None = None,
             timeout: float = 300) -> dict:
    from redis import Redis
    from rq import Worker
    from sqlalchemy import func, select

    from portal import create_app
    from portal.core import db
    from portal.core.bulk_mail import notify_many
    from portal.core.mail import _render
    from portal.core.models import EmailMessage
    from tendering.models import Referral

    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
    port = _free_port()
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    redis = Redis.from_url(redis_url)
    redis.flushdb()  # the benchmark's own Redis database (bench/run.py picks one the tests do not use)
    env = {**os.environ, "HOMEFINDER_ENV": "production", "SECRET_KEY": "bench-secret", "DATABASE_URL": url,
           "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_USE_TLS": "false",
           "PYTHONPATH": str(ROOT)}
    app = create_app({"HOMEFINDER_ENV": "test", "SECRET_KEY": "bench-secret", "DATABASE_URL": url,
                      "REDIS_URL": redis_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                      "DOCUMENTS_DIR": "/tmp/homefinder-bench-documents"})
    procs = []
    try:
        with app.test_request_context():
            referral = db.session.scalar(select(Referral).where(Referral.status == "published").limit(1))
            context = {"age": referral.age, "lot_name": referral.lot.name if referral.lot else None,
                       "deadline": referral.response_deadline, "emergency": referral.emergency}
            link = f"{app.config['BASE_URL']}/invitations/{referral.id}"
            sample = _recipients(1)[0]
            subject, text, html = _render("referral_invitation", user=sample, link=link, **context)
            db.session.rollback()
            raw = raw_smtplib(port, n, subject, text, html)
            if sink.count != n:
                raise SystemExit(f"P4: the sink got {sink.count} of {n} raw messages")
            sink.count = 0

            command = [sys.executable, "-m", "rq.cli", "worker", "--url", redis_url, QUEUE]
            if worker_class:
                command[4:4] = ["--worker-class", worker_class]
            procs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True) for _ in range(workers)]
            deadline = time.monotonic() + 60
            while len(Worker.all(connection=redis)) < workers:
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise SystemExit("P4: the RQ workers did not start: " + "".join(
                        p.stderr.read() for p in procs if p.poll() is not None)[-2000:])
                time.sleep(0.1)
            monitor = RssMonitor([p.pid for p in procs])
            users = _recipients(n)
            start = time.perf_counter()
            notify_many(users, "referral_invitation", "referral", referral.id, link=link, **context)
            db.commit()  # dispatches one send job per email to the RQ queue
            queued = time.perf_counter() - start
            deadline = time.monotonic() + timeout
            while sink.count < n and time.monotonic() < deadline:
                time.sleep(0.02)
            total = time.perf_counter() - start
            peak_parent, peak_child = monitor.stop()
            ids = [u.id for u in users]
            for _ in range(50):  # the last worker commits "sent" just after the sink has the message
                db.session.rollback()
                sent = db.session.scalar(select(func.count()).select_from(EmailMessage).where(
                    EmailMessage.user_id.in_(ids), EmailMessage.status == "sent"))
                if sent >= sink.count:
                    break
                time.sleep(0.1)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        controller.stop()
        app.extensions["homefinder.engine"].dispose()
    return dict(n=n, workers=workers, raw=raw, total=total, queued=queued, delivered=sink.count, sent=sent,
                peak_worker=peak_parent, peak_horse=peak_child, worker_class=worker_class or "rq's default Worker")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
