"""CKAN's read actions filtered by the access rules.

Every way an entry's data can leave through the action API passes a
``DataPolicy`` here: resource URLs the user may not have are removed, and
``data_access`` tells the client which resources it may use.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Action, Context, DataDict

from ckanext.govshare import access, usage


__all__ = ['package_show', 'resource_show', 'datastore_search', 'package_search', 'current_package_list_with_resources', 'resource_view_list', 'resource_search', 'activity_diff']


def _policy(context: Context) -> access.DataPolicy | None:
    """None when the caller may see everything (internal calls, sysadmins)."""
    if access.acts_unrestricted(context):
        return None
    return access.DataPolicy(access.context_user(context))


# ------------------------------------------------------------ filtered reads

# Marks the package_show that resource_show makes, whose read is resource_show's.
INNER_READ = "govshare_inner_read"


@tk.chained_action
@tk.side_effect_free
def package_show(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is None:
        return result
    policy.redact(result)
    if not context.get(INNER_READ):
        usage.record(policy, result, [r["id"] for r in result.get("resources") or []
                                      if r.get("data_access")], "package_show")
    return result


@tk.chained_action
@tk.side_effect_free
def resource_show(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    context[INNER_READ] = True
    try:
        result = up(context, data_dict)
    finally:
        context.pop(INNER_READ, None)
    policy = _policy(context)
    if policy is None:
        return result
    package = model.Package.get(result["package_id"])
    allowed = package is not None and policy.allows(package, result["id"])
    result["data_access"] = allowed
    if not allowed:
        result["url"] = ""
        result.pop("datastore_active", None)
    else:
        usage.record(policy, package, [result["id"]], "resource_show")
    return result


@tk.chained_action
@tk.side_effect_free
def datastore_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Rows read through a grant are recorded (the auth function already refused the rest).

    CKAN answers ``_table_metadata`` (every DataStore table) without its auth function,
    which its own audit then turns into a server error: the auth function decides here."""
    if data_dict.get("resource_id") == "_table_metadata":
        tk.check_access("datastore_search", context, data_dict)
    result = up(context, data_dict)
    policy = _policy(context)
    resource = model.Resource.get(result.get("resource_id", ""))
    if policy is not None and resource is not None:
        usage.record(policy, resource.package, [resource.id], "datastore_search")
    return result


def _redact_search_result(policy: access.DataPolicy, result: dict[str, Any]) -> None:
    """A result is a package dict, or with ``fl`` raw Solr fields holding dicts as JSON."""
    if "resources" in result:
        policy.redact(result)
    for key in ("data_dict", "validated_data_dict"):
        if isinstance(result.get(key), str):
            result[key] = json.dumps(policy.redact(json.loads(result[key])))


@tk.chained_action
@tk.side_effect_free
def package_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is not None:
        policy.prefetch(access.Entry.of(r) for r in result["results"]
                        if "id" in r and "share_type" in r)
        for item in result["results"]:
            _redact_search_result(policy, item)
    return result


@tk.chained_action
@tk.side_effect_free
def current_package_list_with_resources(up: Action, context: Context,
                                        data_dict: DataDict) -> list[dict[str, Any]]:
    result = up(context, data_dict)
    policy = _policy(context)
    return [policy.redact(p) for p in result] if policy else result


@tk.chained_action
@tk.side_effect_free
def resource_view_list(up: Action, context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Views render the data: none for users who may not use it."""
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is None:
        return result
    resource = model.Resource.get(data_dict.get("id", ""))
    if resource is None or not policy.allows(resource.package, resource.id):
        return []
    return result


@tk.chained_action
@tk.side_effect_free
def resource_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """CKAN searches the resources of every public entry by any column, the URL included:
    URLs the user may not have are removed, and a search by URL finds (and counts)
    only the resources whose data the user may use."""
    policy = _policy(context)
    if policy is None or context.get("search_query"):
        return up(context, data_dict)
    query = data_dict.get("query")
    terms = [query] if isinstance(query, str) else list(query or [])
    by_url = any(isinstance(t, str) and t.split(":", 1)[0].strip() == "url" for t in terms)
    if by_url:
        found = up(context, dict(data_dict, offset=None, limit=None))
    else:
        found = up(context, data_dict)
    packages = {r["package_id"]: model.Package.get(r["package_id"]) for r in found["results"]}
    policy.prefetch(access.Entry.of(p) for p in packages.values() if p is not None)
    results = []
    for resource in found["results"]:
        package = packages[resource["package_id"]]
        allowed = package is not None and policy.allows(package, resource["id"])
        if by_url and not allowed:
            continue
        resource["data_access"] = allowed
        if not allowed:
            resource["url"] = ""
            resource.pop("datastore_active", None)
        results.append(resource)
    if by_url:
        offset = int(data_dict.get("offset") or 0)
        limit = data_dict.get("limit")
        found["count"] = len(results)
        results = results[offset:offset + int(limit) if limit is not None else None]
    found["results"] = results
    return found


def _redact_activity(policy: access.DataPolicy, activity: dict[str, Any]) -> dict[str, Any]:
    """Old versions of an entry are judged by the entry's current share and open type."""
    stored = (activity.get("data") or {}).get("package")
    if not isinstance(stored, dict):
        return activity
    package = model.Package.get(activity.get("object_id") or stored.get("id", ""))
    entry = access.Entry.of(package) if package else None
    for resource in stored.get("resources") or []:
        if entry is None or not policy.allows(entry, resource.get("id")):
            resource["url"] = ""
    return activity


def _of_visible_entries(context: Context, activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CKAN filters "* package" activities by permission labels, but not the resource
    view activities, whose object is the entry too: drop those of hidden entries."""
    user = access.context_user(context)
    visible: dict[str, bool] = {}

    def shown(activity: dict[str, Any]) -> bool:
        object_id = activity.get("object_id") or ""
        if (activity.get("activity_type") or "").endswith("package"):
            return True
        if object_id not in visible:
            package = model.Package.get(object_id)
            visible[object_id] = package is None or access.can_see_entry(user, package)
        return visible[object_id]

    return [a for a in activities if shown(a)]


def _redacting_activities(name: str) -> Callable[..., Any]:
    """A chained activity action whose activities carry no URL the user may not have."""

    @tk.chained_action
    @tk.side_effect_free
    def action(up: Action, context: Context, data_dict: DataDict) -> Any:
        result = up(context, data_dict)
        policy = _policy(context)
        if policy is None:
            return result
        if isinstance(result, list):
            return [_redact_activity(policy, a) for a in _of_visible_entries(context, result)]
        if name == "activity_data_show" and "resources" in result:
            return _redact_activity(policy, {"object_id": result.get("id"),
                                             "data": {"package": result}})["data"]["package"]
        return _redact_activity(policy, result)

    action.__name__ = name
    return action


@tk.chained_action
@tk.side_effect_free
def activity_diff(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A diff would show the URLs themselves: only for users who may use the data."""
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is None:
        return result
    for activity in result["activities"]:
        package = model.Package.get(activity.get("object_id", ""))
        stored = ((activity.get("data") or {}).get("package") or {}).get("resources") or []
        # every resource of both versions: a grant for some resources does not open the diff
        if package is None or not policy.allows(package) or not all(
                policy.allows(package, r.get("id")) for r in stored):
            raise tk.NotAuthorized(access.how_to_get_access(package) if package
                                   else tk._("Not authorized"))
    return result


ACTIVITY_ACTIONS = ("package_activity_list", "organization_activity_list",
                    "group_activity_list", "user_activity_list", "dashboard_activity_list",
                    "recently_changed_packages_activity_list", "activity_show",
                    "activity_data_show")


def activity_actions() -> dict[str, Callable[..., Any]]:
    return {name: _redacting_activities(name) for name in ACTIVITY_ACTIONS}
