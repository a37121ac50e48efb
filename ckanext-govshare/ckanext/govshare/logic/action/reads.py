"""CKAN's read actions filtered by the access rules.

Every way an entry's data can leave through the action API passes a
``DataPolicy`` here: resource URLs the user may not have are removed, and
``data_access`` tells the client which resources it may use.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.logic.schema import default_pagination_schema
from ckan.types import Action, Context, DataDict
from ckanext.activity.model import Activity

from ckanext.govshare import access, datastore, search, usage


__all__ = ['package_show', 'resource_show', 'datastore_search', 'datastore_info', 'package_search', 'current_package_list_with_resources', 'resource_view_list', 'resource_search', 'activity_diff', 'tag_list', 'tag_search', 'tag_autocomplete', 'member_list', 'package_list']


def _policy(context: Context) -> access.DataPolicy | None:
    """None when the caller may see everything (internal calls, sysadmins)."""
    if access.acts_unrestricted(context):
        return None
    return access.DataPolicy(access.context_user(context))


def _shown_policy(context: Context) -> access.DataPolicy:
    """The data rule for whom a list is shown to (``access.shown_to``)."""
    viewer, everything = access.shown_to(context)
    return access.DataPolicy(viewer, unrestricted=everything)


# ------------------------------------------------------------ filtered reads

# Marks the package_show that resource_show makes, whose read is resource_show's.
INNER_READ = "govshare_inner_read"


@tk.chained_action
@tk.side_effect_free
def package_show(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A reader gets CKAN's cached copy from the index, with the URLs it may use put back
    (the index keeps none); internal calls, sysadmins and edit forms read the database,
    since what they read may be written back."""
    policy = _policy(context)
    if policy is None or context.get("for_edit") or context.get("for_update"):
        context["use_cache"] = False
    result = up(context, data_dict)
    if policy is None:
        return result
    policy.present([result])
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
    if policy.redact_resource(access.Entry.of(package) if package else None, result):
        usage.record(policy, package, [result["id"]], "resource_show")
    return result


@tk.chained_action
@tk.side_effect_free
def datastore_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Rows read through a grant are recorded (the auth function already refused the rest);
    the columns of information items the caller may not have are left out (datastore.py).

    The auth function decides first: CKAN answers ``_table_metadata`` (every DataStore
    table) without it, and the columns are withheld only from those who may read rows."""
    resource_id = data_dict.get("resource_id") or data_dict.get("id")
    if isinstance(resource_id, str) and resource_id:  # else CKAN's schema names what is wrong
        tk.check_access("datastore_search", context, data_dict)
        columns = datastore.withheld_for(context, resource_id)
        if columns is not None:
            datastore.restrict_search(data_dict, *columns)
    result = up(context, data_dict)
    policy = _policy(context)
    resource = model.Resource.get(result.get("resource_id", ""))
    if policy is not None and resource is not None:
        usage.record(policy, resource.package, [resource.id], "datastore_search")
    return result


@tk.chained_action
@tk.side_effect_free
def datastore_info(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A table's description without the columns the caller may not have."""
    result = up(context, data_dict)
    columns = datastore.withheld_for(context, data_dict.get("id") or data_dict.get("resource_id"))
    return datastore.restrict_info(result, columns[1]) if columns is not None else result


@tk.chained_action
@tk.side_effect_free
def package_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Results come from the index, which keeps no resource data: the caller's usable
    resources get their URLs back (``fl`` results stay as stored, without any). A page's
    result list (``for_view``: the search, department and theme pages) shows no resource
    data, so its results stay as stored too, and it is spared the database round."""
    search.check_search_params(data_dict)
    for_view = context.get("for_view")
    context = access.display_context(context)
    result = up(context, data_dict)
    if not for_view:
        _shown_policy(context).present([r for r in result["results"] if "resources" in r])
    return result


@tk.chained_action
@tk.side_effect_free
def package_list(up: Action, context: Context, data_dict: DataDict) -> list[str]:
    """The names (ids in API v2) of every entry the caller may see, by the search rule
    (``access.visible_clause``), where CKAN lists public datasets only: a client dumping
    the catalog (``ckanapi dump datasets --all``) gets all it is entitled to."""
    data, errors = tk.navl_validate(data_dict, default_pagination_schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    tk.check_access("package_list", context, data)
    viewer, everything = access.shown_to(context)
    column = model.Package.id if context.get("api_version") == 2 else model.Package.name
    query = model.Session.query(column).filter(model.Package.state == "active")
    if not everything:
        query = query.filter(access.visible_clause(viewer))
    query = query.order_by(column)
    if data.get("limit"):
        query = query.limit(data["limit"])
    if data.get("offset"):
        query = query.offset(data["offset"])
    return [row[0] for row in query]


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


def _paged(data_dict: DataDict, items: list[Any]) -> list[Any]:
    """The page ``offset``/``limit`` ask for, of a list filtered after CKAN paged it."""
    offset = int(data_dict.get("offset") or 0)
    limit = data_dict.get("limit")
    return items[offset:offset + int(limit) if limit not in (None, "") else None]


@tk.chained_action
@tk.side_effect_free
def resource_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """CKAN searches the resources of every public entry by any column, the URL included:
    URLs the user may not have are removed, and a search by URL finds (and counts)
    only the resources whose data the user may use."""
    if data_dict.get("order_by") in access.DATA_KEYS:
        raise tk.ValidationError({"order_by": [tk._("Resources cannot be ordered by their data")]})
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
        allowed = policy.redact_resource(access.Entry.of(package) if package else None, resource)
        if allowed or not by_url:
            results.append(resource)
    if by_url:
        found["count"] = len(results)
        results = _paged(data_dict, results)
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
    """Activities keep the permission labels they were written with: judge each by
    today's rule instead, so that an entry that became closed, or was purged, takes
    its old titles and versions with it."""
    viewer, everything = access.shown_to(context)
    if everything:
        return activities
    object_ids = {a.get("object_id") for a in activities if a.get("object_id")}
    packages = {row.id for row in model.Session.query(model.Package.id).filter(
        model.Package.id.in_(object_ids))} if object_ids else set()
    visible = access.visible_package_ids(viewer, packages)

    def shown(activity: dict[str, Any]) -> bool:
        object_id = activity.get("object_id")
        if object_id in packages:
            return object_id in visible
        # a purged entry's activities: no package left to judge them by
        return not (activity.get("activity_type") or "").endswith("package")

    return [a for a in activities if shown(a)]


def _redacting_activities(name: str) -> Callable[..., Any]:
    """A chained activity action that shows only the activities of entries the user may
    see today, without URLs the user may not have."""

    @tk.chained_action
    @tk.side_effect_free
    def action(up: Action, context: Context, data_dict: DataDict) -> Any:
        if name == "activity_show":  # CKAN's auth function reads it without its default
            data_dict.setdefault("include_data", True)
        result = up(context, data_dict)
        policy = _shown_policy(context)
        if policy.sysadmin:
            return result
        if isinstance(result, list):
            return [_redact_activity(policy, a) for a in _of_visible_entries(context, result)]
        if name == "activity_data_show":
            activity = Activity.get(data_dict.get("id", ""))
            if activity is None or not _of_visible_entries(context, [_activity_ref(activity)]):
                raise tk.ObjectNotFound(tk._("Activity not found"))
            if "resources" in result:
                return _redact_activity(policy, {"object_id": result.get("id"),
                                                 "data": {"package": result}})["data"]["package"]
            return result
        if not _of_visible_entries(context, [result]):
            raise tk.ObjectNotFound(tk._("Activity not found"))
        return _redact_activity(policy, result)

    action.__name__ = name
    return action


def _activity_ref(activity: Any) -> dict[str, Any]:
    return {"object_id": activity.object_id, "activity_type": activity.activity_type}


@tk.chained_action
@tk.side_effect_free
def activity_diff(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A diff would show the URLs themselves: only for users who may use the data."""
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is None:
        return result
    if len(_of_visible_entries(context, result["activities"])) < len(result["activities"]):
        raise tk.ObjectNotFound(tk._("Activity not found"))
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


# ------------------------------------------------------------ tags and members

def _visible_tags(context: Context) -> Optional[set[str]]:
    """Names of the tags of entries the caller may see (None: every tag)."""
    viewer, everything = access.shown_to(context)
    if everything:
        return None
    rows = (model.Session.query(model.Tag.name).join(model.PackageTag)
            .join(model.Package, model.Package.id == model.PackageTag.package_id)
            .filter(model.PackageTag.state == "active", access.visible_clause(viewer))
            .distinct())
    return {row.name for row in rows}


def _tag_name(tag: Any) -> str:
    return tag["name"] if isinstance(tag, dict) else tag


@tk.chained_action
@tk.side_effect_free
def tag_list(up: Action, context: Context, data_dict: DataDict) -> list[Any]:
    """Tags name what entries are about: only those of entries the caller may see."""
    result = up(context, data_dict)
    visible = _visible_tags(context)
    return result if visible is None else [t for t in result if _tag_name(t) in visible]


@tk.chained_action
@tk.side_effect_free
def tag_search(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    visible = _visible_tags(context)
    if visible is None:
        return up(context, data_dict)
    found = up(context, dict(data_dict, offset=None, limit=None))
    shown = [t for t in found["results"] if _tag_name(t) in visible]
    return {"count": len(shown), "results": _paged(data_dict, shown)}


@tk.chained_action
@tk.side_effect_free
def tag_autocomplete(up: Action, context: Context, data_dict: DataDict) -> list[str]:
    visible = _visible_tags(context)
    if visible is None:
        return up(context, data_dict)
    found = up(context, dict(data_dict, offset=None, limit=None))
    return _paged(dict(data_dict, limit=data_dict.get("limit") or 10),
                  [t for t in found if t in visible])


@tk.chained_action
@tk.side_effect_free
def member_list(up: Action, context: Context, data_dict: DataDict) -> list[Any]:
    """A group's or department's members: entries only those the caller may see."""
    result = up(context, data_dict)
    viewer, everything = access.shown_to(context)
    if everything:
        return result
    packages = [m[0] for m in result if m[1] == "package"]
    visible = access.visible_package_ids(viewer, packages)
    return [m for m in result if m[1] != "package" or m[0] in visible]


# ------------------------------------------------------------ CKAN's unchecked inputs

# Inputs some of CKAN's actions (or their auth functions) read without checking they are
# there: without them the caller gets a server error instead of being told what is missing.
REQUIRED = {"group_autocomplete": ("q",), "organization_autocomplete": ("q",),
            "datastore_search_sql": ("sql",), "user_invite": ("email", "group_id", "role")}
WRITES = {"user_invite"}


def _requiring(name: str, fields: tuple[str, ...]) -> Callable[..., Any]:
    @tk.chained_action
    def action(up: Action, context: Context, data_dict: DataDict) -> Any:
        missing = [f for f in fields if f not in data_dict]
        if missing:
            raise tk.ValidationError({f: [tk._("Missing value")] for f in missing})
        return up(context, data_dict)

    if name not in WRITES:
        action = tk.side_effect_free(action)
    action.__name__ = name
    return action


def unchecked_input_actions() -> dict[str, Callable[..., Any]]:
    """(datastore_search_sql exists only where the DataStore's SQL search is enabled)"""
    sql = tk.asbool(tk.config.get("ckan.datastore.sqlsearch.enabled"))
    return {name: _requiring(name, fields) for name, fields in REQUIRED.items()
            if sql or name != "datastore_search_sql"}
