"""What every govshare action shares: validating against its declared schema, the caller."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, figures


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


def period(data: dict[str, Any]) -> figures.Period:
    """The period an action is asked about: ``year``, or ``date_from``/``date_to``
    (figures.period), with the errors naming the field."""
    data = dates(data, "date_from", "date_to")
    if data.get("year") and (data.get("date_from") or data.get("date_to")):
        raise tk.ValidationError({"year": [tk._("Give a year or a period (date_from, date_to), "
                                                "not both")]})
    if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
        raise tk.ValidationError({"date_to": [tk._("The period cannot end before it starts")]})
    return figures.period(data.get("year"), data.get("date_from"), data.get("date_to"))
