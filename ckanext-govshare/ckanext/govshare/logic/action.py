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

from ckanext.govshare import access, registration, usage, workflow
from ckanext.govshare.logic import schema
from ckanext.govshare.model import Audit, Case, Grant, Request, Usage


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
    """Rows read through a grant are recorded (the auth function already refused the rest)."""
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
    model.Session.flush()
    workflow.audit("grant", grant.id, "create", access.context_user(context), None, "active",
                   reason=grant.reason)
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
    workflow.audit("grant", grant.id, "revoke", access.context_user(context), "active", "revoked",
                   reason=grant.revoke_reason)
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


# ------------------------------------------------------------------ workflow

def _validated(data_dict: DataDict, schema_: dict[str, Any], context: Context) -> dict[str, Any]:
    data, errors = tk.navl_validate(data_dict, schema_, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _dates(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """isodate gives datetimes; requests deal in days."""
    for key in keys:
        if isinstance(data.get(key), datetime.datetime):
            data[key] = data[key].date()
    return data


def _me(context: Context) -> model.User:
    user = access.context_user(context)
    if user is None:
        raise tk.NotAuthorized(tk._("Please log in."))
    return user


def govshare_request_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A department applies for a conditional entry (共享申请).

    :param package_id: the entry; :param resource_ids: optional (default all)
    :param usage_scope: list of usage codes; :param purpose, basis, contact: text
    :param period_start, period_end: ISO dates
    Returns the request with id, state, deadline, requester_org, provider_org, overdue.
    """
    tk.check_access("govshare_request_create", context, data_dict)
    data = _dates(_validated(data_dict, schema.request_create(), context),
                  "period_start", "period_end")
    return workflow.create_share_request(_me(context), data).as_dict()


def _decide(kind: str, check: str, context: Context, data_dict: DataDict,
            schema_: dict[str, Any]) -> tuple[model.User, Request, dict[str, Any]]:
    tk.check_access(check, context, data_dict)
    data = _dates(_validated(data_dict, schema_, context), "period_end")
    request = workflow.locked(data["id"])
    if request.kind != kind:
        raise tk.ObjectNotFound(tk._("Request not found"))
    return _me(context), request, data


def govshare_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve (optionally narrower resources or a shorter period); creates the grant."""
    user, request, data = _decide(workflow.SHARE, "govshare_request_approve", context,
                                  data_dict, schema.request_approve())
    return workflow.approve(user, request, data).as_dict()


def govshare_request_refuse(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Refuse, with a reason (required)."""
    user, request, data = _decide(workflow.SHARE, "govshare_request_refuse", context,
                                  data_dict, schema.request_refuse())
    return workflow.refuse(user, request, data["reason"]).as_dict()


def govshare_request_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester takes back a pending request."""
    tk.check_access("govshare_request_withdraw", context, data_dict)
    data = _validated(data_dict, schema.object_id(), context)
    return workflow.withdraw(_me(context), workflow.locked(data["id"])).as_dict()


@tk.side_effect_free
def govshare_request_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A request with its audit trail."""
    tk.check_access("govshare_request_show", context, data_dict)
    request = model.Session.get(Request, data_dict["id"])
    result = request.as_dict()
    result["audit"] = [a.as_dict() for a in model.Session.query(Audit).filter(
        Audit.object_type == "request", Audit.object_id == request.id).order_by(Audit.at, Audit.id)]
    return result


@tk.side_effect_free
def govshare_request_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Requests that concern the caller, soonest deadline first.

    :param kind: share (default) or open; :param state; :param department: a
    department (provider or requester); :param package_id; :param overdue;
    :param escalated: bool filters; :param decidable: only pending requests the
    caller may decide now (their inbox); :param limit (default 50), offset
    """
    tk.check_access("govshare_request_list", context, data_dict)
    data = _validated(data_dict, schema.request_list(), context)
    me = access.context_user(context)
    query = model.Session.query(Request).filter(Request.kind == data.get("kind", workflow.SHARE))
    if not access.acts_unrestricted(context) and not access.is_authority(me):
        departments = list(access.department_ids(me))
        query = query.filter(Request.provider_org_id.in_(departments)
                             | Request.requester_org_id.in_(departments)
                             | (Request.requester_user_id == me.id))
    if data.get("state"):
        query = query.filter(Request.state == data["state"])
    if data.get("department"):
        org = model.Group.get(data["department"])
        org_id = org.id if org else None
        query = query.filter((Request.provider_org_id == org_id) | (Request.requester_org_id == org_id))
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(Request.package_id == (package.id if package else None))
    if "overdue" in data:
        overdue = (Request.state == workflow.PENDING) & (Request.deadline < datetime.date.today())
        query = query.filter(overdue if data["overdue"] else ~overdue)
    if "escalated" in data:
        query = query.filter(Request.escalated.is_(data["escalated"]))
    if data.get("decidable"):
        query = query.filter(workflow.decidable_clause(me))
    total = query.count()
    rows = (query.order_by(Request.deadline, Request.created)
            .offset(data.get("offset", 0)).limit(data.get("limit", 50)))
    return {"count": total, "results": [r.as_dict() for r in rows]}


def govshare_application_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A citizen or company applies for an authorized-open entry (开放申请)."""
    tk.check_access("govshare_application_create", context, data_dict)
    data = _dates(_validated(data_dict, schema.application_create(), context), "period_end")
    return workflow.create_application(_me(context), data).as_dict()


def govshare_application_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user, request, data = _decide(workflow.OPEN, "govshare_application_approve", context,
                                  data_dict, schema.request_approve())
    return workflow.approve(user, request, data).as_dict()


def govshare_application_refuse(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user, request, data = _decide(workflow.OPEN, "govshare_application_refuse", context,
                                  data_dict, schema.request_refuse())
    return workflow.refuse(user, request, data["reason"]).as_dict()


def govshare_application_precheck(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority's completeness check (govshare.application.authority_precheck)."""
    tk.check_access("govshare_application_precheck", context, data_dict)
    data = _validated(data_dict, schema.object_id(), context)
    return workflow.precheck(_me(context), workflow.locked(data["id"])).as_dict()


def govshare_case_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority opens a coordination case (协商) for a refused request or a
    not-shared entry a department needs."""
    tk.check_access("govshare_case_create", context, data_dict)
    data = _validated(data_dict, schema.case_create(), context)
    return workflow.open_case(_me(context), data).as_dict()


def govshare_case_resolve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    tk.check_access("govshare_case_resolve", context, data_dict)
    data = _validated(data_dict, schema.case_resolve(), context)
    return workflow.resolve_case(_me(context), data["id"], data["outcome"]).as_dict()


@tk.side_effect_free
def govshare_case_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    tk.check_access("govshare_case_list", context, data_dict)
    return [c.as_dict() for c in model.Session.query(Case).order_by(Case.created.desc())]


@tk.side_effect_free
def govshare_usage_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """How granted data was used: a provider sees its own entries', the authority all.

    :param provider_org: optional department filter; :param package_id; :param limit (default 1000)
    """
    tk.check_access("govshare_usage_list", context, data_dict)
    data = _validated(data_dict, schema.usage_list(), context)
    me = access.context_user(context)
    query = model.Session.query(Usage)
    if not access.acts_unrestricted(context) and not access.is_authority(me):
        query = query.filter(Usage.provider_org_id.in_(list(access.department_ids(me))))
    if data.get("provider_org"):
        org = model.Group.get(data["provider_org"])
        query = query.filter(Usage.provider_org_id == (org.id if org else None))
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(Usage.package_id == (package.id if package else None))
    return [u.as_dict() for u in query.order_by(Usage.at.desc()).limit(data.get("limit", 1000))]


def govshare_remind_and_escalate(context: Context, data_dict: DataDict) -> dict[str, int]:
    """Run the deadline job now (also `ckan govshare escalate`)."""
    tk.check_access("govshare_remind_and_escalate", context, data_dict)
    return workflow.remind_and_escalate()


# ------------------------------------------------------------ self-registration

@tk.chained_action
def user_create(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """On the register page: the applicant's type (and a company's name and 统一社会信用代码)
    are validated with CKAN's fields, and the account waits, pending, for its email to be
    confirmed. Users created any other way are untouched."""
    if not registration.is_self_registration():
        return up(context, data_dict)
    extras, errors = registration.validate(data_dict)
    context["defer_commit"] = True
    try:
        # the form keeps data_dict to show again on errors, with the applicant's fields
        result = up(context, {k: v for k, v in data_dict.items()
                              if k not in registration.FIELDS})
    except tk.ValidationError as error:
        if not errors:
            raise
        raise tk.ValidationError({**error.error_dict, **errors}, error_summary={
            **error.error_summary, **registration.error_summary(errors)})
    if errors:
        model.Session.rollback()
        raise tk.ValidationError(errors, error_summary=registration.error_summary(errors))
    registration.complete(context["user_obj"], extras)
    result["state"] = model.State.PENDING
    return result


def get_actions() -> dict[str, Callable[..., Any]]:
    actions: dict[str, Callable[..., Any]] = {
        f.__name__: f for f in (
            package_show, resource_show, package_search, current_package_list_with_resources,
            resource_view_list, resource_search, activity_diff, datastore_search,
            govshare_grant_create, govshare_grant_revoke, govshare_grant_list,
            govshare_request_create, govshare_request_approve, govshare_request_refuse,
            govshare_request_withdraw, govshare_request_show, govshare_request_list,
            govshare_application_create, govshare_application_approve,
            govshare_application_refuse, govshare_application_precheck,
            govshare_case_create, govshare_case_resolve, govshare_case_list,
            govshare_usage_list, govshare_remind_and_escalate, user_create)
    }
    actions.update({name: _redacting_activities(name) for name in ACTIVITY_ACTIONS})
    return actions
