"""Actions: grants, and CKAN's read actions filtered by the access rules.

Every way an entry's data can leave through the action API passes a
``DataPolicy`` here: resource URLs the user may not have are removed, and
``data_access`` tells the client which resources it may use.
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Action, Context, DataDict

from ckanext.govshare import access
from ckanext.govshare.logic import schema
from ckanext.govshare.model import Grant


def _policy(context: Context) -> access.DataPolicy | None:
    """None when the caller may see everything (internal calls, sysadmins)."""
    if access.acts_unrestricted(context):
        return None
    return access.DataPolicy(access.context_user(context))


# ------------------------------------------------------------ filtered reads

@tk.chained_action
@tk.side_effect_free
def package_show(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    result = up(context, data_dict)
    policy = _policy(context)
    return policy.redact(result) if policy else result


@tk.chained_action
@tk.side_effect_free
def resource_show(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    result = up(context, data_dict)
    policy = _policy(context)
    if policy is None:
        return result
    package = model.Package.get(result["package_id"])
    allowed = package is not None and policy.allows(package, result["id"])
    result["data_access"] = allowed
    if not allowed:
        result["url"] = ""
        result.pop("datastore_active", None)
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
            return [_redact_activity(policy, a) for a in result]
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
        if package is None or not policy.allows(package):
            raise tk.NotAuthorized(access.how_to_get_access(package) if package
                                   else tk._("Not authorized"))
    return result


ACTIVITY_ACTIONS = ("package_activity_list", "organization_activity_list",
                    "group_activity_list", "user_activity_list", "dashboard_activity_list",
                    "recently_changed_packages_activity_list", "activity_show",
                    "activity_data_show")


# ------------------------------------------------------------------ grants

def _grantee(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """Exactly one of grantee_org (a department) or grantee_user, resolved to ids."""
    org_ref, user_ref = data.get("grantee_org"), data.get("grantee_user")
    if bool(org_ref) == bool(user_ref):
        raise tk.ValidationError({"grantee_org": [
            tk._("Give exactly one of grantee_org (a department) or grantee_user")]})
    if org_ref:
        org = model.Group.get(org_ref)
        if org is None or not org.is_organization or org.state != "active":
            raise tk.ValidationError({"grantee_org": [tk._("Department not found")]})
        return org.id, None
    user = model.User.get(user_ref)
    if user is None or user.state != "active":
        raise tk.ValidationError({"grantee_user": [tk._("User not found")]})
    return None, user.id


def _check_grantable(package: model.Package, org_id: str | None, data: dict[str, Any]) -> None:
    entry = access.Entry.of(package)
    if org_id and entry.share_type != "conditional":
        raise tk.ValidationError({"package_id": [tk._(
            "Departments are granted only conditional entries; this entry's share type is {value}"
        ).format(value=entry.share_type)]})
    if not org_id and entry.open_type != "authorized":
        raise tk.ValidationError({"package_id": [tk._(
            "Users are granted only authorized-open entries; this entry's open type is {value}"
        ).format(value=entry.open_type)]})
    if org_id and org_id == package.owner_org:
        raise tk.ValidationError({"grantee_org": [tk._("The provider department has the data already")]})
    known = {r.id for r in package.resources}
    unknown = set(data.get("resource_ids") or []) - known
    if unknown:
        raise tk.ValidationError({"resource_ids": [tk._("Not resources of this entry: {ids}").format(
            ids=", ".join(sorted(unknown)))]})
    if data["valid_from"] > data["valid_until"]:
        raise tk.ValidationError({"valid_until": [tk._("Must not be before valid_from")]})


def govshare_grant_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Give a department (or, on the open site, a user) the use of an entry's data.

    :param package_id: the entry
    :param grantee_org: a department's id or name (or grantee_user: a user's id or name)
    :param resource_ids: optional list; default every resource
    :param valid_from: ISO date
    :param valid_until: ISO date
    :param reason: why
    """
    tk.check_access("govshare_grant_create", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.grant_create(), context)
    if errors:
        raise tk.ValidationError(errors)
    package = model.Package.get(data["package_id"])
    org_id, user_id = _grantee(data)
    _check_grantable(package, org_id, data)
    grant = Grant(package_id=package.id, grantee_org_id=org_id, grantee_user_id=user_id,
                  resource_ids=data.get("resource_ids") or None,
                  valid_from=data["valid_from"].date(), valid_until=data["valid_until"].date(),
                  reason=data["reason"], granted_by=access.context_user(context).id)
    model.Session.add(grant)
    model.Session.commit()
    return grant.as_dict()


def govshare_grant_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """End a grant now, with a reason. Revoking twice is an error."""
    tk.check_access("govshare_grant_revoke", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.grant_revoke(), context)
    if errors:
        raise tk.ValidationError(errors)
    grant = (model.Session.query(Grant).filter(Grant.id == data["id"])
             .with_for_update().one_or_none())
    if grant is None:
        raise tk.ObjectNotFound(tk._("Grant not found"))
    if grant.revoked is not None:
        raise tk.ValidationError({"id": [tk._("This grant was already revoked")]})
    grant.revoked = datetime.datetime.utcnow()
    grant.revoked_by = access.context_user(context).id
    grant.revoke_reason = data["reason"]
    model.Session.commit()
    return grant.as_dict()


@tk.side_effect_free
def govshare_grant_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Grants the caller may see: the authority all; others those of their
    department's entries, to their department, or to themselves.

    :param package_id, grantee_org, grantee_user: optional filters (id or name)
    :param active: optional bool
    """
    tk.check_access("govshare_grant_list", context, data_dict)
    data, errors = tk.navl_validate(data_dict, schema.grant_list(), context)
    if errors:
        raise tk.ValidationError(errors)
    query = model.Session.query(Grant)
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(Grant.package_id == (package.id if package else None))
    if data.get("grantee_org"):
        org = model.Group.get(data["grantee_org"])
        query = query.filter(Grant.grantee_org_id == (org.id if org else None))
    if data.get("grantee_user"):
        user = model.User.get(data["grantee_user"])
        query = query.filter(Grant.grantee_user_id == (user.id if user else None))
    if "active" in data:
        query = query.filter(Grant.active_clause() if data["active"] else ~Grant.active_clause())
    me = access.context_user(context)
    if not access.acts_unrestricted(context) and not access.is_authority(me):
        departments = list(access.department_ids(me))
        query = query.join(model.Package, model.Package.id == Grant.package_id).filter(
            model.Package.owner_org.in_(departments)
            | Grant.grantee_org_id.in_(departments)
            | (Grant.grantee_user_id == me.id))
    return [g.as_dict() for g in query.order_by(Grant.created.desc())]


def get_actions() -> dict[str, Callable[..., Any]]:
    actions: dict[str, Callable[..., Any]] = {
        f.__name__: f for f in (
            package_show, resource_show, package_search, current_package_list_with_resources,
            resource_view_list, activity_diff,
            govshare_grant_create, govshare_grant_revoke, govshare_grant_list)
    }
    actions.update({name: _redacting_activities(name) for name in ACTIVITY_ACTIONS})
    return actions
