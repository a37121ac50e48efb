"""Notifications: a row on the user's dashboard, in the same transaction as the
change it reports, and an email sent afterwards by an RQ worker (a mail server
that is down delays the email; it loses nothing)."""
from __future__ import annotations

import logging
from typing import Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.govshare.model import Notification

log = logging.getLogger(__name__)
_QUEUED = "govshare_emails"


def tell(users: Iterable[Optional[model.User]], subject: str, body: str,
         link: Optional[str] = None) -> None:
    """Record a notification for each user; the email is queued by send_queued() after commit."""
    for user in {u.id: u for u in users if u is not None}.values():
        note = Notification(user_id=user.id, subject=subject, body=body, link=link)
        model.Session.add(note)
        model.Session.flush()
        model.Session.info.setdefault(_QUEUED, []).append(note.id)


def send_queued() -> None:
    """Enqueue the emails of the notifications committed just before."""
    for note_id in model.Session.info.pop(_QUEUED, []):
        tk.enqueue_job(send_email, [note_id], title=f"govshare email {note_id}")


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
