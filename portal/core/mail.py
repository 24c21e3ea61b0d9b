"""Email and the portal inbox. notify() is the one way anything tells a user something."""
from __future__ import annotations

import hashlib
import smtplib
import threading
import time
from email.message import EmailMessage as MimeMessage

from flask import current_app, render_template
from sqlalchemy import select

from portal.core import db
from portal.core.db import utcnow
from portal.core.jobs import enqueue
from portal.core.models import EmailMessage, InboxMessage, User


def _render(kind: str, **context) -> tuple[str, str, str]:
    text = render_template(f"email/{kind}.txt", **context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email/{kind}.txt must start with a 'Subject:' line")
    html = render_template(f"email/{kind}.html", subject=first[8:].strip(), **context)
    return first[8:].strip(), body.strip() + "\n", html


def queue_email(to_address: str, kind: str, key: str, *, user_id: int | None = None, **context) -> EmailMessage:
    """Render now, send later. The key makes a second call for the same thing a no-op."""
    existing = db.session.scalar(select(EmailMessage).where(EmailMessage.key == key))
    if existing is not None:
        return existing
    subject, text, html = _render(kind, **context)
    message = EmailMessage(
        key=key, user_id=user_id, to_address=to_address, kind=kind, subject=subject, body_text=text, body_html=html
    )
    db.session.add(message)
    db.session.flush()
    enqueue(send_email, message.id, key=f"email:{key}")
    return message


def notify(user: User, kind: str, obj_type: str = "-", obj_id: object = "-", *, link: str | None = None,
           key_suffix: str = "", **context) -> InboxMessage:
    """Write an inbox row for the user and queue the same message by email (idempotent per key)."""
    key = f"{kind}:{user.id}:{obj_type}:{obj_id}{key_suffix}"
    existing = db.session.scalar(select(InboxMessage).where(InboxMessage.key == key))
    if existing is not None:
        return existing
    context.setdefault("user", user)
    context.setdefault("link", link)
    message = queue_email(user.email, kind, key, user_id=user.id, **context)
    inbox = InboxMessage(key=key, user_id=user.id, kind=kind, subject=message.subject, body_text=message.body_text,
                         link=link)
    db.session.add(inbox)
    return inbox


class _Connection:
    """One SMTP connection per process, reused by the emails it sends one after another (a worker runs jobs
    in its own process): connecting, EHLO, STARTTLS and login per email were most of the cost of an
    invitation fan-out. A connection idle for REUSE_SECONDS, or that fails NOOP, is replaced. Threads (the
    embedded mode runs jobs in threads) take turns through `lock`."""

    REUSE_SECONDS = 30
    smtp: smtplib.SMTP | None = None
    settings: tuple = ()
    used_at: float = 0.0

    def __init__(self):
        self.lock = threading.Lock()

    def get(self, config) -> smtplib.SMTP:
        settings = (config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_USE_TLS"], config["MAIL_USERNAME"])
        if self.smtp is not None and (settings != self.settings or time.monotonic() - self.used_at > self.REUSE_SECONDS
                                      or not self._alive()):
            self.drop()
        if self.smtp is None:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
            try:
                if config["MAIL_USE_TLS"]:
                    smtp.starttls()
                if config["MAIL_USERNAME"]:
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            except Exception:
                smtp.close()
                raise
            self.smtp, self.settings = smtp, settings
        self.used_at = time.monotonic()
        return self.smtp

    def _alive(self) -> bool:
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
        self.smtp = None


_smtp = _Connection()


def message_id(message: EmailMessage) -> str:
    """The same Message-ID on every attempt, so a mail program can drop the copy if a retry sends twice."""
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:16]
    return f"<hf{message.id}.{digest}@homefinder.example>"


def send_email(email_id: int) -> None:
    """Job: deliver one rendered email by SMTP, or to the outbox table when no server is configured."""
    message = db.session.get(EmailMessage, email_id)
    if message is None or message.status == "sent":
        return
    config = current_app.config
    if config["MAIL_SERVER"]:
        mime = MimeMessage()
        mime["Subject"] = message.subject
        mime["From"] = config["MAIL_SENDER"]
        mime["To"] = message.to_address
        mime["Message-ID"] = message_id(message)
        mime["X-Homefinder-Key"] = message.key
        mime.set_content(message.body_text)
        mime.add_alternative(message.body_html, subtype="html")
        with _smtp.lock:
            try:
                _smtp.get(config).send_message(mime)
            except Exception:
                _smtp.drop()  # the next try starts on a fresh connection
                raise
        message.transport = "smtp"
    else:
        message.transport = "outbox"
    message.status, message.sent_at = "sent", utcnow()


def send_emails(*email_ids: int) -> None:
    """Job: deliver a batch of rendered emails over the process's one SMTP connection (a fan-out queues its
    emails in batches of EMAIL_BATCH_SIZE, so a thousand invitations are forty jobs, not a thousand). Each email is
    committed as sent the moment it is accepted, so a retry of the batch, or a worker taking it over after a crash,
    sends only the ones still unsent."""
    for email_id in email_ids:
        send_email(email_id)
        db.commit()

