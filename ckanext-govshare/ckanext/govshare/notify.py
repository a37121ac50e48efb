"""Notifications: a row on the user's dashboard, in the same transaction as the
change it reports, and an email sent afterwards by an RQ worker (a mail server
that is down delays the email; it loses nothing)."""
from __future__ import annotations

import logging
from typing import Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import jobs
from sqlalchemy import insert

from ckanext.govshare.model import Notification

log = logging.getLogger(__name__)
_QUEUED = "govshare_emails"

Message = tuple[Iterable[Optional[model.User]], str, str, Optional[str]]


def tell(users: Iterable[Optional[model.User]], subject: str, body: str,
         link: Optional[str] = None) -> None:
    """Record a notification for each user; the email is queued by send_queued() after commit."""
    tell_many([(users, subject, body, link)])


def tell_many(messages: Iterable[Message]) -> None:
    """Notifications (users, subject, body, link) in one INSERT, however many: the deadline
    job tells thousands at once."""
    rows = [{"user_id": user_id, "subject": subject, "body": body, "link": link}
            for users, subject, body, link in messages
            for user_id in dict.fromkeys(u.id for u in users if u is not None)]
    if rows:
        ids = model.Session.scalars(insert(Notification).returning(Notification.id), rows).all()
        model.Session.info.setdefault(_QUEUED, []).extend(ids)


def send_queued() -> None:
    """Enqueue the emails of the notifications committed just before: one RQ job each, as
    tk.enqueue_job makes them, written to Redis in one round trip."""
    note_ids = model.Session.info.pop(_QUEUED, [])
    if not note_ids:
        return
    queue = jobs.get_queue()
    timeout = tk.config.get("ckan.jobs.timeout")
    queue.enqueue_many([queue.prepare_data(send_email, [note_id], timeout=timeout,
                                           meta={"title": f"govshare email {note_id}"})
                        for note_id in note_ids])


def send_email(note_id: int) -> None:
    """RQ job: email one notification to its user (skipped when the user has no address)."""
    note = model.Session.get(Notification, note_id)
    user = model.User.get(note.user_id) if note else None
    if note is None or user is None or not user.email:
        return
    body = note.body
    if note.link:
        body += "\n\n" + tk.config.get("ckan.site_url").rstrip("/") + note.link
    tk.mail_user(user, note.subject, body)
