"""The annual report (reports.py): its content, the department narratives and the city
summary, and the January reminders."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, reports
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated

__all__ = ["govshare_annual_report_show", "govshare_annual_report_update",
           "govshare_annual_report_submit", "govshare_annual_report_remind"]


def _org_id(data: dict[str, Any]) -> Optional[str]:
    org = model.Group.get(data["owner_org"]) if data.get("owner_org") else None
    return org.id if org else None


@tk.side_effect_free
def govshare_annual_report_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A year's annual report: the city's, or with ``owner_org`` one department's.

    :param year: the year reported on
    :param owner_org: a department (id or name); none: the city report
    Returns ``{year, period, today, due, department, departments: [{id, name, title, figures,
    text}], city, summary, published, months, figures}``; a ``text`` (and ``summary``) is
    ``{state, narrative, submitted, editable}``, ``narrative`` null unless the caller may
    read it.
    """
    data = validated(data_dict, schema.annual_report_show(), context)
    reports.check_year(data["year"])
    tk.check_access("govshare_annual_report_show", context, data)
    return reports.content(access.context_user(context), data["year"], _org_id(data))


def govshare_annual_report_update(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Save the draft of a department's narrative (``owner_org``) or of the city summary
    (no ``owner_org``: the authority).

    :param year: the year reported on; :param owner_org: the department, or none
    :param narrative: the text
    Returns the text's ``{state, narrative, submitted, editable}``.
    """
    data = validated(data_dict, schema.annual_report_update(), context)
    tk.check_access("govshare_annual_report_update", context, data)
    row = reports.save(me(context), data["year"], _org_id(data), data["narrative"])
    commit(context)
    return reports.text_of(row, True, True).as_dict()


def govshare_annual_report_submit(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Submit a department's narrative, or publish the city summary (no ``owner_org``); it
    cannot be changed after. With ``narrative``, that text is saved and submitted at once.

    :param year: the year reported on; :param owner_org: the department, or none
    :param narrative: optional, the final text
    Returns the text's ``{state, narrative, submitted, editable}``.
    """
    data = validated(data_dict, schema.annual_report_submit(), context)
    tk.check_access("govshare_annual_report_submit", context, data)
    row = reports.finish(me(context), data["year"], _org_id(data), data.get("narrative"))
    commit(context)
    return reports.text_of(row, True, True).as_dict()


def govshare_annual_report_remind(context: Context, data_dict: DataDict) -> dict[str, int]:
    """Run the January reminders now (part of the daily `ckan govshare escalate`)."""
    tk.check_access("govshare_annual_report_remind", context, data_dict)
    reminded = reports.remind()
    commit(context)
    return {"annual_report_reminded": reminded}
