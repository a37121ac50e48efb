"""Grants: the use of an entry's data given to a department (or, on the open site, a user)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, grants
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, dates, me, validated
from ckanext.govshare.model import Grant


__all__ = ['govshare_grant_create', 'govshare_grant_revoke', 'govshare_grant_list']


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
    data = dates(validated(data_dict, schema.grant_create(), context), "valid_from", "valid_until")
    org_id, user_id = _grantee(data)
    grant = grants.create(
        me(context), model.Package.get(data["package_id"]), grantee_org_id=org_id,
        grantee_user_id=user_id, resources=data.get("resource_ids"),
        valid_from=data["valid_from"], valid_until=data["valid_until"], reason=data["reason"])
    commit(context)
    return grant.as_dict()


def govshare_grant_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """End a grant now, with a reason. Revoking twice is an error."""
    tk.check_access("govshare_grant_revoke", context, data_dict)
    data = validated(data_dict, schema.grant_revoke(), context)
    grant = grants.revoke(me(context), data["id"], data["reason"])
    commit(context)
    return grant.as_dict()


@tk.side_effect_free
def govshare_grant_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Grants the caller may see: the authority all; others those of their
    department's entries, to their department, or to themselves.

    :param package_id, grantee_org, grantee_user: optional filters (id or name)
    :param active: optional bool
    """
    tk.check_access("govshare_grant_list", context, data_dict)
    data = validated(data_dict, schema.grant_list(), context)
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
