"""The data authority's announcements (通知公告): it writes, changes and takes them down;
everyone reads them on the home page, newest first."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.govshare.model import Announcement


def as_dict(row: Announcement) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "body": row.body,
            "created": row.created.isoformat(), "modified": row.modified.isoformat()}


def _get(announcement_id: str) -> Announcement:
    row = model.Session.get(Announcement, announcement_id)
    if row is None:
        raise tk.ObjectNotFound(tk._("Announcement not found"))
    return row


def create(author: model.User, title: str, body: str) -> dict[str, Any]:
    now = datetime.datetime.utcnow()
    row = Announcement(title=title, body=body, created=now, created_by=author.id,
                       modified=now, modified_by=author.id)
    model.Session.add(row)
    model.Session.flush()
    return as_dict(row)


def update(author: model.User, announcement_id: str, title: str, body: str) -> dict[str, Any]:
    row = _get(announcement_id)
    row.title, row.body = title, body
    row.modified, row.modified_by = datetime.datetime.utcnow(), author.id
    model.Session.flush()
    return as_dict(row)


def delete(announcement_id: str) -> None:
    model.Session.delete(_get(announcement_id))
    model.Session.flush()


def latest(limit: int, offset: int = 0) -> dict[str, Any]:
    """``{count, results}``, newest first."""
    rows = model.Session.query(Announcement)
    return {"count": rows.count(),
            "results": [as_dict(r) for r in rows.order_by(Announcement.created.desc(),
                                                          Announcement.id)
                        .offset(offset).limit(limit)]}
