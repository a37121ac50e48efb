"""What every govshare action shares: validating against its declared schema, the caller."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access


def validated(data_dict: DataDict, schema_: dict[str, Any], context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(data_dict, schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def dates(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """isodate gives datetimes; requests deal in days."""
    for key in keys:
        if isinstance(data.get(key), datetime.datetime):
            data[key] = data[key].date()
    return data


def me(context: Context) -> model.User:
    user = access.context_user(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Please log in."))
    return user


def commit(context: Context) -> None:
    """The one commit of an action, at its end; a caller that sets ``defer_commit`` (to
    combine several actions in one transaction) commits itself. The outbox rows the action
    wrote are committed with it, and the sweep is queued after (see outbox)."""
    if not context.get("defer_commit"):
        model.repo.commit()
