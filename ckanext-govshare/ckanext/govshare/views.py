"""Page-level guards: the sharing site closed to the public, data routes closed
to users without the right to the data (403 with how to get access)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, jsonify, request

from ckanext.govshare import access, usage

__all__ = ["govshare"]

govshare = Blueprint("govshare", __name__)

# Endpoints that hand out a resource's data, with the view argument naming the resource.
DATA_ENDPOINTS = {
    "resource.download", "dataset_resource.download",
    "resource.view", "dataset_resource.view",
    "datastore.dump",
}


def _is_public_user() -> bool:
    user = tk.current_user
    if not user or user.is_anonymous:
        return True
    return not (user.sysadmin or access.department_ids(user.name))


def _closed_to_public() -> Optional[Any]:
    """On the sharing site, public users get the login page and nothing of the catalog."""
    if access.site_role() != access.SHARING or not _is_public_user():
        return None
    endpoint = request.endpoint or ""
    if endpoint in tk.config.get("govshare.sharing.public_endpoints"):
        return None
    if endpoint == "api.action":
        action = (request.view_args or {}).get("logic_function")
        if action in tk.config.get("govshare.sharing.public_actions"):
            return None
        response = jsonify({"success": False, "error": {
            "__type": "Authorization Error",
            "message": tk._("The sharing site is for government departments: log in with a "
                            "department account.")}})
        response.status_code = 403
        return response
    if endpoint.startswith("api."):
        return tk.abort(403, tk._("The sharing site is for government departments."))
    return tk.redirect_to("user.login", came_from=request.full_path)


def _data_route_refused() -> Optional[Any]:
    if request.endpoint not in DATA_ENDPOINTS:
        return None
    resource = model.Resource.get((request.view_args or {}).get("resource_id", ""))
    if resource is None or resource.package is None:
        return None  # the view itself answers 404
    user = tk.current_user if tk.current_user and not tk.current_user.is_anonymous else None
    policy = access.DataPolicy(user)
    if not policy.allows(resource.package, resource.id):
        return tk.abort(403, access.how_to_get_access(resource.package))
    if request.endpoint != "datastore.dump":  # recorded by the datastore_search it calls
        usage.record(policy, resource.package, [resource.id], request.endpoint)
    return None


@govshare.before_app_request
def guard() -> Optional[Any]:
    return _closed_to_public() or _data_route_refused()
