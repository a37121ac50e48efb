"""Grants: the use of an entry's data given to a department (or, on the open site, a user)."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, workflow
from ckanext.govshare.logic import schema
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
