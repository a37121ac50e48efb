"""Share requests (共享申请) and open-data applications (开放申请)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, requests, workdays, workflow
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, dates, me, validated
from ckanext.govshare.model import Audit, Case, Grant, Request


__all__ = ['govshare_request_create', 'govshare_request_approve', 'govshare_request_refuse', 'govshare_request_withdraw', 'govshare_request_show', 'govshare_request_list', 'govshare_application_create', 'govshare_application_approve', 'govshare_application_refuse', 'govshare_application_precheck', 'govshare_remind_and_escalate']


def govshare_request_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A department applies for a conditional entry (共享申请).

    :param package_id: the entry; :param resource_ids: optional (default all)
    :param usage_scope: list of usage codes; :param purpose, basis, contact: text
    :param period_start, period_end: ISO dates
    Returns the request with id, state, deadline, requester_org, provider_org, overdue.
    """
    tk.check_access("govshare_request_create", context, data_dict)
    data = dates(validated(data_dict, schema.request_create(), context),
                  "period_start", "period_end")
    request = requests.create_share_request(me(context), data)
    commit(context)
    return request.as_dict()


def _decide(kind: str, check: str, context: Context, data_dict: DataDict,
            schema_: dict[str, Any]) -> tuple[model.User, Request, dict[str, Any]]:
    tk.check_access(check, context, data_dict)
    data = dates(validated(data_dict, schema_, context), "period_end")
    request = requests.locked(data["id"])
    if request.kind != kind:
        raise tk.ObjectNotFound(tk._("Request not found"))
    return me(context), request, data


def govshare_request_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Approve (optionally narrower resources or a shorter period); creates the grant."""
    user, request, data = _decide(workflow.SHARE, "govshare_request_approve", context,
                                  data_dict, schema.request_approve())
    requests.approve(user, request, data)
    commit(context)
    return request.as_dict()


def govshare_request_refuse(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Refuse, with a reason (required)."""
    user, request, data = _decide(workflow.SHARE, "govshare_request_refuse", context,
                                  data_dict, schema.request_refuse())
    requests.refuse(user, request, data["reason"])
    commit(context)
    return request.as_dict()


def govshare_request_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The requester takes back a pending request."""
    tk.check_access("govshare_request_withdraw", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    request = requests.withdraw(me(context), requests.locked(data["id"]))
    commit(context)
    return request.as_dict()


@tk.side_effect_free
def govshare_request_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A request with its audit trail, the grant an approval made (what was actually
    granted, which may be narrower than what was requested) and its coordination cases."""
    tk.check_access("govshare_request_show", context, data_dict)
    data = validated(data_dict, schema.request_show(), context)
    request = model.Session.get(Request, data["id"])
    result = request.as_dict()
    grant = model.Session.get(Grant, request.grant_id) if request.grant_id else None
    result["grant"] = grant.as_dict() if grant else None
    result["cases"] = [c.as_dict() for c in model.Session.query(Case).filter(
        Case.request_id == request.id).order_by(Case.created)]
    result["audit"] = [a.as_dict() for a in model.Session.query(Audit).filter(
        Audit.object_type == "request", Audit.object_id == request.id).order_by(Audit.at, Audit.id)]
    return result


@tk.side_effect_free
def govshare_request_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Requests that concern the caller, soonest deadline first.

    :param kind: share (default) or open; :param state; :param department: a
    department (provider or requester); :param package_id; :param overdue;
    :param escalated: bool filters; :param decidable: only pending requests the
    caller may decide now (their inbox); :param mine: only those the caller filed
    (their user centre); :param limit (default 50), offset
    """
    tk.check_access("govshare_request_list", context, data_dict)
    data = validated(data_dict, schema.request_list(), context)
    caller = access.context_user(context)
    query = model.Session.query(Request).filter(Request.kind == data.get("kind", workflow.SHARE))
    if not access.acts_unrestricted(context):
        query = query.filter(requests.visible_clause(caller))
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
        overdue = (Request.state == workflow.PENDING) & (Request.deadline < workdays.today())
        query = query.filter(overdue if data["overdue"] else ~overdue)
    if "escalated" in data:
        query = query.filter(Request.escalated.is_(data["escalated"]))
    if data.get("decidable"):
        query = query.filter(requests.decidable_clause(caller))
    if data.get("mine"):
        query = query.filter(Request.requester_user_id == (caller.id if caller else None))
    total = query.count()
    rows = (query.order_by(Request.deadline, Request.created)
            .offset(data.get("offset", 0)).limit(data.get("limit", 50)))
    return {"count": total, "results": [r.as_dict() for r in rows]}


def govshare_application_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A citizen or company applies for an authorized-open entry (开放申请)."""
    tk.check_access("govshare_application_create", context, data_dict)
    data = dates(validated(data_dict, schema.application_create(), context), "period_end")
    request = requests.create_application(me(context), data)
    commit(context)
    return request.as_dict()


def govshare_application_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user, request, data = _decide(workflow.OPEN, "govshare_application_approve", context,
                                  data_dict, schema.request_approve())
    requests.approve(user, request, data)
    commit(context)
    return request.as_dict()


def govshare_application_refuse(context: Context, data_dict: DataDict) -> dict[str, Any]:
    user, request, data = _decide(workflow.OPEN, "govshare_application_refuse", context,
                                  data_dict, schema.request_refuse())
    requests.refuse(user, request, data["reason"])
    commit(context)
    return request.as_dict()


def govshare_application_precheck(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority's completeness check (govshare.application.authority_precheck)."""
    tk.check_access("govshare_application_precheck", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    request = requests.precheck(me(context), requests.locked(data["id"]))
    commit(context)
    return request.as_dict()


def govshare_remind_and_escalate(context: Context, data_dict: DataDict) -> dict[str, int]:
    """Run the deadline job now (also `ckan govshare escalate`)."""
    tk.check_access("govshare_remind_and_escalate", context, data_dict)
    result = workflow.remind_and_escalate()
    commit(context)
    return result
