"""notify() for many users at once: the same rows as calling portal.core.mail.notify once per user.

For every user whose key ("<kind>:<user id>:<obj_type>:<obj_id><key_suffix>") has no inbox row yet, it
writes the inbox row and the rendered email (unless an email with that key exists: then its subject and text
are reused and nothing is queued, as queue_email does), each kind of row with one multi-row INSERT, and queues
the new emails' delivery in batches (send_emails: one job per EMAIL_BATCH_SIZE emails over one SMTP connection). The jobs are dispatched after the caller commits,
as enqueue() arranges.

Each recipient's email is rendered in full, as notify() does: this runs in a worker (the invitation
fan-out job), so the few milliseconds per recipient are off every request's path.
"""
from __future__ import annotations

from typing import Iterable

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.core import db
from portal.core.jobs import enqueue, function_path
from portal.core.mail import _render, send_email, send_emails
from portal.core.models import EmailMessage, InboxMessage, JobRun, User


def notify_many(users: Iterable[User], kind: str, obj_type: str = "-", obj_id: object = "-", *,
                link: str | None = None, key_suffix: str = "", **context) -> int:
    """notify(user, kind, obj_type, obj_id, link=link, key_suffix=key_suffix, **context) for every user,
    in bulk. Returns the number of inbox rows written."""
    todo: dict[str, User] = {}
    for user in users:
        todo.setdefault(f"{kind}:{user.id}:{obj_type}:{obj_id}{key_suffix}", user)
    if not todo:
        return 0
    for key in db.session.scalars(select(InboxMessage.key).where(InboxMessage.key.in_(list(todo)))):
        todo.pop(key, None)
    if not todo:
        return 0
    keys = list(todo)
    emails = {row.key: row for row in db.session.execute(
        select(EmailMessage.key, EmailMessage.subject, EmailMessage.body_text).where(EmailMessage.key.in_(keys)))}
    new_keys = [key for key in keys if key not in emails]
    rendered: dict[str, tuple[str, str, str]] = {}
    if new_keys:
        recipients = [todo[key] for key in new_keys]
        contexts = []
        for user in recipients:
            ctx = dict(context)
            ctx.setdefault("user", user)
            ctx.setdefault("link", link)
            contexts.append(ctx)
        email_params = []
        for i, key in enumerate(new_keys):
            user = recipients[i]
            subject, text, html = _render(kind, **contexts[i])
            rendered[key] = (subject, text, html)
            email_params.append(dict(key=key, user_id=user.id, to_address=user.email, kind=kind, subject=subject,
                                     body_text=text, body_html=html))
        ids = db.session.execute(insert(EmailMessage).returning(EmailMessage.id, sort_by_parameter_order=True),
                                 email_params).scalars().all()
        _enqueue_many([(f"email:{key}", email_id) for key, email_id in zip(new_keys, ids)])
    inbox_params = []
    for key in keys:
        user = todo[key]
        subject, text = rendered[key][:2] if key in rendered else (emails[key].subject, emails[key].body_text)
        inbox_params.append(dict(key=key, user_id=user.id, kind=kind, subject=subject, body_text=text, link=link))
    db.session.execute(insert(InboxMessage), inbox_params)
    return len(inbox_params)


def _enqueue_many(jobs: list[tuple[str, int]]) -> None:
    """Queue the emails' delivery in batches of EMAIL_BATCH_SIZE (send_emails), with one INSERT. A batch's job key
    is its first email's ("emails:<key>"): every email is in one batch, so the keys are unique and stable. On a
    key clash (queued by a concurrent transaction a moment ago) each email gets its own send_email job instead;
    an email already sent is never sent again, whichever job reaches it."""
    size = max(1, current_app.config["EMAIL_BATCH_SIZE"])
    batches = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    keys = [f"emails:{batch[0][0].removeprefix('email:')}" for batch in batches]
    existing = set(db.session.scalars(select(JobRun.key).where(JobRun.key.in_(keys))))
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    function = function_path(send_emails)
    params = [dict(key=key, function=function, args=[email_id for _, email_id in batch], max_attempts=max_attempts)
              for key, batch in zip(keys, batches) if key not in existing]
    if not params:
        return
    try:
        with db.session.begin_nested():
            runs = db.session.scalars(insert(JobRun).returning(JobRun, sort_by_parameter_order=True), params).all()
    except IntegrityError:
        for key, email_id in jobs:
            enqueue(send_email, email_id, key=key)
        return
    db.session.info.setdefault("homefinder.pending_jobs", []).extend(runs)
