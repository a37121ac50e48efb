"""Coordination cases (协调) and the usage record."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, cases
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated
from ckanext.govshare.model import Audit, Case, Request, Usage


__all__ = ['govshare_case_create', 'govshare_case_resolve', 'govshare_case_list', 'govshare_usage_list',
           'govshare_case_show']


def govshare_case_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority opens a coordination case (协调) for a refused or overdue request or a
    not-shared entry a department needs; the requester of a refused request asks for one
    (申请协调).

    :param package_id: the entry; :param request_id: optional, the request
    :param description: what is to be coordinated
    """
    tk.check_access("govshare_case_create", context, data_dict)
    data = validated(data_dict, schema.case_create(), context)
    case = cases.open_case(me(context), data)
    commit(context)
    return case.as_dict()


def govshare_case_resolve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    tk.check_access("govshare_case_resolve", context, data_dict)
    data = validated(data_dict, schema.case_resolve(), context)
    case = cases.resolve_case(me(context), data["id"], data["outcome"])
    commit(context)
    return case.as_dict()


@tk.side_effect_free
def govshare_case_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The cases that concern the caller (the authority: all), open ones first, newest first."""
    tk.check_access("govshare_case_list", context, data_dict)
    query = model.Session.query(Case)
    if not access.acts_unrestricted(context):
        query = query.filter(cases.visible_clause(access.context_user(context)))
    return [c.as_dict() for c in query.order_by((Case.state == cases.OPEN).desc(),
                                                Case.created.desc())]


@tk.side_effect_free
def govshare_case_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A case with its request (if any) and its audit trail."""
    tk.check_access("govshare_case_show", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    case = model.Session.get(Case, data["id"])
    if case is None:
        raise tk.ObjectNotFound(tk._("Case not found"))
    result = case.as_dict()
    request = model.Session.get(Request, case.request_id) if case.request_id else None
    result["request"] = request.as_dict() if request else None
    result["audit"] = [a.as_dict() for a in model.Session.query(Audit).filter(
        Audit.object_type == "case", Audit.object_id == case.id).order_by(Audit.at, Audit.id)]
    return result


@tk.side_effect_free
def govshare_usage_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """How granted data was used: a provider sees its own entries', the authority all;
    with ``mine`` anyone sees their own uses (their user centre).

    :param provider_org: optional department filter; :param package_id; :param mine: bool;
    :param limit (default 1000)
    """
    tk.check_access("govshare_usage_list", context, data_dict)
    data = validated(data_dict, schema.usage_list(), context)
    me = access.context_user(context)
    query = model.Session.query(Usage)
    if data.get("mine"):
        query = query.filter(Usage.user_id == (me.id if me else None))
    elif not access.acts_unrestricted(context) and not access.is_authority(me):
        query = query.filter(Usage.provider_org_id.in_(list(access.department_ids(me))))
    if data.get("provider_org"):
        org = model.Group.get(data["provider_org"])
        query = query.filter(Usage.provider_org_id == (org.id if org else None))
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        query = query.filter(Usage.package_id == (package.id if package else None))
    return [u.as_dict() for u in query.order_by(Usage.at.desc()).limit(data.get("limit", 1000))]
