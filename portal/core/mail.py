"""Email and the portal inbox. notify() is the one way anything tells a user something."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid

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
        mime["Message-ID"] = make_msgid(idstring=f"hf{message.id}", domain="homefinder.example")
        mime["X-Homefinder-Key"] = message.key
        mime.set_content(message.body_text)
        mime.add_alternative(message.body_html, subtype="html")
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(mime)
        message.transport = "smtp"
    else:
        message.transport = "outbox"
    message.status, message.sent_at = "sent", utcnow()
