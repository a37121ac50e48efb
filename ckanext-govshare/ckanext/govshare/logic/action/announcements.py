"""The data authority's announcements on the home page (announcements.py)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.govshare import announcements
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated

__all__ = ["govshare_announcement_create", "govshare_announcement_update",
           "govshare_announcement_delete", "govshare_announcement_list"]


def govshare_announcement_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority publishes an announcement.

    :param title: one line
    :param body: the text (line breaks kept)
    """
    tk.check_access("govshare_announcement_create", context, data_dict)
    data = validated(data_dict, schema.announcement_create(), context)
    created = announcements.create(me(context), data["title"], data["body"])
    commit(context)
    return created


def govshare_announcement_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority corrects an announcement (it keeps its place in the list).

    :param id: the announcement's id
    :param title: / :param body: as for create
    """
    tk.check_access("govshare_announcement_update", context, data_dict)
    data = validated(data_dict, schema.announcement_update(), context)
    updated = announcements.update(me(context), data["id"], data["title"], data["body"])
    commit(context)
    return updated


def govshare_announcement_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority takes an announcement down.

    :param id: the announcement's id
    """
    tk.check_access("govshare_announcement_delete", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    announcements.delete(data["id"])
    commit(context)
    return {"id": data["id"]}


@tk.side_effect_free
def govshare_announcement_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The announcements, newest first: ``{count, results: [{id, title, body, created,
    modified}]}``. Public, as the home page shows them.

    :param limit: at most this many (default 20)
    :param offset: skip this many
    """
    tk.check_access("govshare_announcement_list", context, data_dict)
    data = validated(data_dict, schema.announcement_list(), context)
    return announcements.latest(data.get("limit", 20), data.get("offset", 0))
