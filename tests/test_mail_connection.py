"""A worker sends its emails one after another over one SMTP connection (not a connection per email), opens
a new one when the server changes or drops it, and gives every email the same Message-ID on every attempt."""
from __future__ import annotations

import socket

import pytest

from portal.core import db, mail
from portal.core.mail import message_id, queue_email, send_email
from portal.core.models import EmailMessage
from tests import factories
from tests.conftest import make_app
from tests.smtp import Sink, start_sink


class PeerSink(Sink):
    """Also notes the client's address and port of each message: one port per SMTP connection."""

    def __init__(self):
        super().__init__()
        self.peers = []

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def sent(database_url, tmp_path):
    """(app, send(n) → email ids delivered) with the app pointed at a sink."""
    handler, port, controller = start_sink(PeerSink())
    app = make_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    yield app, handler, controller
    mail._smtp.drop()
    controller.stop()


def _queue(app, n: int, prefix: str) -> list[int]:
    with app.app_context():
        user = factories.user("provider_staff")
        ids = [queue_email(user.email, "password_reset", f"{prefix}:{i}", user_id=user.id, user=user,
                           link="http://localhost/x", minutes=60).id for i in range(n)]
        db.commit()
        return ids


def _send(app, ids):
    """What the worker does for each email job (the test app already ran them in-process on commit: a no-op
    then, but it proves a second delivery attempt sends nothing)."""
    with app.app_context():
        for email_id in ids:
            send_email(email_id)
            db.commit()


def test_emails_in_a_row_share_one_connection_with_stable_message_ids(sent):
    app, sink, _controller = sent
    ids = _queue(app, 3, "reuse")
    _send(app, ids)
    assert len(sink.messages) == 3 and len(set(sink.peers)) == 1
    with app.app_context():
        expected = [message_id(db.session.get(EmailMessage, i)) for i in ids]
        assert all(db.session.get(EmailMessage, i).status == "sent" for i in ids)
    assert [m["Message-ID"] for m in sink.messages] == expected
    assert len(set(expected)) == 3


def test_a_dropped_or_changed_server_gets_a_fresh_connection(sent):
    app, sink, controller = sent
    _send(app, _queue(app, 1, "first"))
    mail._smtp.smtp.sock.shutdown(socket.SHUT_RDWR)  # the connection died while the worker was idle
    _send(app, _queue(app, 1, "second"))
    assert len(sink.messages) == 2 and len(set(sink.peers)) == 2

    other, port, other_controller = start_sink()
    try:
        app.config["MAIL_PORT"] = port  # a different server: never reuse the old connection for it
        _send(app, _queue(app, 1, "third"))
        assert len(other.messages) == 1 and len(sink.messages) == 2
    finally:
        other_controller.stop()


class FailOnceSink(PeerSink):
    """Refuses the nth message once (a temporary failure), accepting everything else."""

    def __init__(self, nth: int):
        super().__init__()
        self.nth, self.seen = nth, 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == self.nth:
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_fan_out_sends_in_batches_and_a_retried_batch_sends_only_what_is_left(database_url, tmp_path):
    from sqlalchemy import select

    from portal.core.bulk_mail import notify_many
    from portal.core.models import JobRun

    handler, port, controller = start_sink(FailOnceSink(nth=7))
    app = make_app(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                   EMAIL_BATCH_SIZE=4, JOB_BACKOFF_SECONDS=0)
    try:
        with app.test_request_context():
            users = [factories.user("provider_admin") for _ in range(10)]
            addresses = sorted(u.email for u in users)
            notify_many(users, "password_reset", "user", 1, link="http://localhost/x", minutes=60)
            db.commit()  # the jobs run now, in-process: the 7th message is refused once, in the second batch
            runs = db.session.scalars(select(JobRun).where(JobRun.function.like("%send_email%"))
                                      .order_by(JobRun.id)).all()
            assert [(r.function.rsplit(":", 1)[1], len(r.args)) for r in runs] == [
                ("send_emails", 4), ("send_emails", 4), ("send_emails", 2)]
            assert [r.status for r in runs] == ["succeeded"] * 3
            assert [r.attempts for r in runs] == [1, 2, 1]
            emails = db.session.scalars(select(EmailMessage)).all()
            assert {e.status for e in emails} == {"sent"} and len(emails) == 10
    finally:
        mail._smtp.drop()
        controller.stop()
    # Every user got exactly one email, although the second batch ran twice.
    assert sorted(m["To"] for m in handler.messages) == addresses
    assert handler.seen == 11 and len(set(handler.peers)) <= 2  # the refusal may cost the connection, no more
