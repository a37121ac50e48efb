"""Notifications: a row on the user's dashboard and, for users with an address, an email
in the outbox, both in the same transaction as the change they report."""
from __future__ import annotations

from typing import Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import insert

from ckanext.govshare import outbox
from ckanext.govshare.model import Notification

Message = tuple[Iterable[Optional[model.User]], str, str, Optional[str]]


def tell(users: Iterable[Optional[model.User]], subject: str, body: str,
         link: Optional[str] = None, key: Optional[str] = None) -> None:
    """Notify each user (once, however often listed) on the dashboard and by email; with a
    ``key``, the email to each user is written at most once (see outbox.write)."""
    tell_many([(users, subject, body, link)], key)


def tell_many(messages: Iterable[Message], key: Optional[str] = None) -> None:
    """Notifications (users, subject, body, link) in one INSERT and their emails in another,
    however many: the deadline job tells hundreds at once."""
    site = tk.config.get("ckan.site_url").rstrip("/")
    notes, mails = [], []
    for users, subject, body, link in messages:
        for user in {u.id: u for u in users if u is not None}.values():
            notes.append({"user_id": user.id, "subject": subject, "body": body, "link": link})
            if user.email:
                text = f"{body}\n\n{site}{link}" if link else body
                mails.append(outbox.mail(user.email, subject, text, user.display_name,
                                         f"{key}:{user.id}" if key else None))
    if notes:
        model.Session.execute(insert(Notification), notes)
    outbox.write_many(mails)
