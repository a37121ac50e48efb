"""The data authority's figures of how departments share (figures.py)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import figures
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import period, validated

__all__ = ["govshare_department_figures"]


@tk.side_effect_free
def govshare_department_figures(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Every department's figures and the city's, for a year or a period.

    :param year: a calendar year; or
    :param date_from: / :param date_to: ISO dates, both included (default: this year to date)
    :param owner_org: one department (id or name); a department admin must name its own
    Returns ``{period, today, departments: [{id, name, title, figures}], city, figures}``:
    ``city`` is null when one department is asked for; ``figures`` names every figure
    (group, key, label).
    """
    tk.check_access("govshare_department_figures", context, data_dict)
    data = validated(data_dict, schema.department_figures(), context)
    span = period(data)
    org = model.Group.get(data["owner_org"]) if data.get("owner_org") else None
    found = figures.compute(span, [org.id] if org else None)
    found["figures"] = [{"group": group, "key": key, "label": label}
                        for group, items in figures.groups() for key, label in items]
    return found
