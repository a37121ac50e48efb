"""Catalog registration (备案) and duty changes; see catalog_review.py."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.govshare import access, catalog_review, workdays
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated

__all__ = ["govshare_catalog_submit", "govshare_catalog_confirm", "govshare_catalog_return",
           "govshare_duty_change_create", "package_update"]


def govshare_catalog_submit(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """A department admin submits entries of the department, with their secrecy review
    (保密审查), for registration: all of them or none."""
    tk.check_access("govshare_catalog_submit", context, data_dict)
    data = validated(data_dict, schema.catalog_submit(), context)
    steps = catalog_review.submit(me(context), data["ids"], data["secrecy_review"])
    commit(context)
    catalog_review.index(s.package_id for s in steps)
    return [s.as_dict() for s in steps]


def govshare_catalog_confirm(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The data authority registers submitted entries (or applies their pending change)."""
    tk.check_access("govshare_catalog_confirm", context, data_dict)
    data = validated(data_dict, schema.catalog_confirm(), context)
    steps = catalog_review.confirm(me(context), data["ids"])
    commit(context)
    catalog_review.index(s.package_id for s in steps)
    return [s.as_dict() for s in steps]


def govshare_catalog_return(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The data authority returns submitted entries (or drops their pending change)."""
    tk.check_access("govshare_catalog_return", context, data_dict)
    data = validated(data_dict, schema.catalog_return(), context)
    steps = catalog_review.return_(me(context), data["ids"], data["reason"])
    commit(context)
    catalog_review.index(s.package_id for s in steps)
    return [s.as_dict() for s in steps]


def govshare_duty_change_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority records a change in a department's duties: its catalog update is due."""
    tk.check_access("govshare_duty_change_create", context, data_dict)
    data = validated(data_dict, schema.duty_change_create(), context)
    change = catalog_review.record_duty_change(me(context), data)
    commit(context)
    return change.as_dict(workdays.today())


@tk.chained_action
def package_update(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A department's change of a registered entry's share or open attributes waits for
    the authority (catalog_review.hold_review_changes); sysadmins and internal calls write."""
    if not access.acts_unrestricted(context) and isinstance(data_dict, dict):
        tk.check_access("package_update", context, data_dict)
        held = catalog_review.hold_review_changes(access.context_user(context), context,
                                                  data_dict)
        if held is not data_dict:
            result = up(context, held)
            commit(context)  # the pending change, even when nothing else changed
            return result
    return up(context, data_dict)
