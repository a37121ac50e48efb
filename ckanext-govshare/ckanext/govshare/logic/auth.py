"""Auth functions: CKAN's own checks narrowed to the access rules (see access.py)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import AuthFunction, AuthResult, Context, DataDict

from ckanext.govshare import access
from ckanext.govshare.model import Grant

__all__ = [
    "package_show", "resource_view_show", "datastore_search", "datastore_info",
    "datastore_search_sql", "govshare_grant_create", "govshare_grant_revoke",
    "govshare_grant_list",
]


def _refused(message: str) -> AuthResult:
    return {"success": False, "msg": message}


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def package_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """An active entry's metadata is shown to exactly the users its labels admit."""
    package = context.get("package") or model.Package.get(data_dict.get("id", ""))
    if package is None or package.state != "active":
        return next_auth(context, data_dict)
    if access.can_see_entry(context.get("auth_user_obj") or context.get("user"), package):
        return {"success": True}
    return _refused(tk._("This catalog entry is not available to you."))


def _resource_data(context: Context, resource_id: str) -> AuthResult:
    resource = model.Resource.get(resource_id or "")
    if resource is None or resource.package is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    user = access.context_user(context)
    if access.acts_unrestricted(context) or access.can_use_data(user, resource.package, resource.id):
        return {"success": True}
    return _refused(access.how_to_get_access(resource.package))


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def resource_view_show(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """Views and previews show the data itself."""
    result = next_auth(context, data_dict)
    if not result["success"]:
        return result
    view = model.ResourceView.get(data_dict.get("id", ""))
    return _resource_data(context, view.resource_id) if view else result


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    result = next_auth(context, data_dict)
    if not result["success"]:
        return result
    return _resource_data(context, data_dict.get("resource_id") or data_dict.get("id"))


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_info(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    result = next_auth(context, data_dict)
    if not result["success"]:
        return result
    return _resource_data(context, data_dict.get("resource_id") or data_dict.get("id"))


@tk.chained_auth_function
def datastore_search_sql(next_auth: AuthFunction, context: Context, data_dict: DataDict) -> AuthResult:
    """SQL can join any table: only those who may use every dataset may run it."""
    if access.acts_unrestricted(context):
        return next_auth(context, data_dict)
    return _refused(tk._("SQL queries on the DataStore are reserved to system administrators."))


# ------------------------------------------------------------------ grants

def may_manage_grants(user: Any, package: model.Package) -> bool:
    """Provider-department admins and the data authority grant and revoke."""
    user_obj = model.User.get(user) if isinstance(user, str) else user
    if user_obj is None:
        return False
    return access.is_authority(user_obj) or _is_org_admin(user_obj, package.owner_org)


def _is_org_admin(user: model.User, org_id: str | None) -> bool:
    if not org_id:
        return False
    return model.Session.query(model.Member).filter(
        model.Member.group_id == org_id, model.Member.table_name == "user",
        model.Member.table_id == user.id, model.Member.state == "active",
        model.Member.capacity == "admin").first() is not None


def govshare_grant_create(context: Context, data_dict: DataDict) -> AuthResult:
    package = model.Package.get(data_dict.get("package_id", ""))
    if package is None:
        return {"success": True}  # the action reports the missing entry by field
    if may_manage_grants(access.context_user(context), package):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators and the data "
                         "authority may grant access to this entry."))


def govshare_grant_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    grant = model.Session.get(Grant, data_dict.get("id", ""))
    if grant is None:
        return {"success": True}
    package = model.Package.get(grant.package_id)
    if package is not None and may_manage_grants(access.context_user(context), package):
        return {"success": True}
    return _refused(tk._("Only the provider department's administrators and the data "
                         "authority may revoke this grant."))


def govshare_grant_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Any logged-in user; the action lists only the grants that concern them."""
    if access.context_user(context) is None:
        return _refused(tk._("Log in to see grants."))
    return {"success": True}
