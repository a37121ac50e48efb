"""The working-day calendar (工作日历): the official arrangement of each year."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import calendar, workdays
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import me, validated

__all__ = ["govshare_calendar_show", "govshare_calendar_update"]


@tk.side_effect_free
def govshare_calendar_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A year's days off and makeup working days, as deadlines count them.

    :param year: e.g. 2027
    Returns year, known (false: no deadline may reach into it), source (stored: entered
    by the data authority; library; null), holidays and workdays (each date with its
    source: stored, library or config, and the library's name), note, updated, updated_by.
    """
    tk.check_access("govshare_calendar_show", context, data_dict)
    data = validated(data_dict, schema.calendar_show(), context)
    return calendar.as_dict(workdays.arrangement(data["year"]))


def govshare_calendar_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority enters a year's official arrangement (国务院办公厅 放假安排);
    it replaces what was stored and overrides the library. Audited.

    :param year: e.g. 2027
    :param holidays: ISO dates that are days off (weekend days inside a holiday may be listed)
    :param workdays: ISO dates of makeup working days (调休 Saturdays and Sundays)
    :param note: where the arrangement comes from, e.g. the notice's number
    Returns the year as govshare_calendar_show does.
    """
    tk.check_access("govshare_calendar_update", context, data_dict)
    data = validated(data_dict, schema.calendar_update(), context)
    entered = calendar.enter(me(context), data["year"], data["holidays"], data["workdays"],
                             data["note"])
    if not context.get("defer_commit"):
        model.repo.commit()
    return calendar.as_dict(entered)
