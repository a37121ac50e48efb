"""Update timeliness (更新时效): declarations, the lists, the daily check, and the DataStore
writes that count as new data."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.search import commit as commit_index
from ckan.lib.search import rebuild
from ckan.types import Action, Context, DataDict

from ckanext.govshare import timeliness
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, dates, me, validated

__all__ = ["govshare_data_update_declare", "govshare_timeliness_list", "govshare_timeliness_check",
           "datastore_create", "datastore_upsert", "datastore_delete", "datastore_records_delete"]


def govshare_data_update_declare(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The provider declares that the entry's data was updated on ``date`` (outside the
    platform, e.g. in its own database behind the API).

    :param package_id: the entry; :param date: ISO date, not in the future
    :param note: optional, what was updated
    Returns the entry's ``data_updated`` and ``update_overdue``.
    """
    tk.check_access("govshare_data_update_declare", context, data_dict)
    data = dates(validated(data_dict, schema.data_update_declare(), context), "date")
    package = model.Package.get(data["package_id"])
    timeliness.declare(me(context), package.id, data["date"], data.get("note"))
    commit(context)
    rebuild(package.id)
    return timeliness.fields(package.id)


@tk.side_effect_free
def govshare_timeliness_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The entries of a department (``owner_org``) or, for the authority, of the city, with
    when their data was updated, when the next update is due and whether it is overdue.

    :param owner_org: a department (id or name; required unless the caller is the authority)
    :param overdue: true / false to list only overdue / timely entries
    Returns ``{count, results, notice}``; ``notice`` is what the department is told about
    the configured consequence (``govshare.timeliness.sanction``), or None.
    """
    tk.check_access("govshare_timeliness_list", context, data_dict)
    data = validated(data_dict, schema.timeliness_list(), context)
    org = model.Group.get(data["owner_org"]) if data.get("owner_org") else None
    found = timeliness.statuses(org_ids=[org.id] if org else None)
    if "overdue" in data:
        found = [s for s in found if s.overdue == data["overdue"]]
    return {"count": len(found), "results": [s.as_dict() for s in found],
            "notice": timeliness.notice(org.id) if org else None}


def govshare_timeliness_check(context: Context, data_dict: DataDict) -> dict[str, int]:
    """Run the daily timeliness check now (also part of `ckan govshare escalate`): remind and
    notify the providers, and reindex the entries that became (or stopped being) overdue."""
    tk.check_access("govshare_timeliness_check", context, data_dict)
    result, changed = timeliness.check()
    commit(context)
    if changed:
        rebuild(package_ids=changed)  # deferring Solr's commit: one for them all
        commit_index()
    return result


def _datastore_write(up: Action, context: Context, data_dict: DataDict) -> Any:
    """A DataStore write is new data of its resource's entry."""
    result = up(context, data_dict)
    resource_id = (result.get("resource_id") if isinstance(result, dict) else None) \
        or data_dict.get("resource_id") or data_dict.get("id")
    resource = model.Resource.get(resource_id or "")
    if resource is not None and resource.package_id:
        timeliness.record(resource.package_id, timeliness.DATASTORE)
        commit(context)
        rebuild(resource.package_id)
    return result


@tk.chained_action
def datastore_create(up: Action, context: Context, data_dict: DataDict) -> Any:
    return _datastore_write(up, context, data_dict)


@tk.chained_action
def datastore_upsert(up: Action, context: Context, data_dict: DataDict) -> Any:
    return _datastore_write(up, context, data_dict)


@tk.chained_action
def datastore_delete(up: Action, context: Context, data_dict: DataDict) -> Any:
    return _datastore_write(up, context, data_dict)


@tk.chained_action
def datastore_records_delete(up: Action, context: Context, data_dict: DataDict) -> Any:
    return _datastore_write(up, context, data_dict)
