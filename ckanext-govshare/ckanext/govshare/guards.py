"""App-wide hooks: the sharing site closed to the public, and data routes closed to
users without the right to the data (403 with how to get access)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, jsonify, request

from ckanext.govshare import access, usage

__all__ = ["guards"]

guards = Blueprint("govshare_guards", __name__)

# Endpoints that hand out a resource's data, with the view argument naming the resource.
DATA_ENDPOINTS = {
    "resource.download", "dataset_resource.download",
    "resource.view", "dataset_resource.view",
    "datastore.dump",
    # an old version of a resource, read from the activity stream with its URL then
    "activity.resource_history",
}
# Endpoints that hand out a resource's data, with the view argument naming a resource view
# (datatables_view's DataTables ajax and filtered download; without this guard their
# unhandled NotAuthorized from resource_view_show is a server error).
VIEW_DATA_ENDPOINTS = {"datatablesview.ajax", "datatablesview.filtered_download"}


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


def _requested_resource() -> Optional[model.Resource]:
    args = request.view_args or {}
    if request.endpoint in VIEW_DATA_ENDPOINTS:
        view = model.ResourceView.get(args.get("resource_view_id", ""))
        return model.Resource.get(view.resource_id) if view else None
    return model.Resource.get(args.get("resource_id", ""))


def _data_route_refused() -> Optional[Any]:
    if request.endpoint not in DATA_ENDPOINTS and request.endpoint not in VIEW_DATA_ENDPOINTS:
        return None
    resource = _requested_resource()
    if resource is None or resource.package is None:
        return None  # the view itself answers 404
    user = tk.current_user if tk.current_user and not tk.current_user.is_anonymous else None
    policy = access.DataPolicy(user)
    if not policy.allows(resource.package, resource.id):
        return tk.abort(403, access.how_to_get_access(resource.package))
    if request.endpoint != "datastore.dump" and request.endpoint not in VIEW_DATA_ENDPOINTS:
        # (the others are recorded by the datastore_search they call)
        usage.record(policy, resource.package, [resource.id],
                     request.endpoint.rsplit(".", 1)[-1], page=True)
    return None


@guards.before_app_request
def guard() -> Optional[Any]:
    return _closed_to_public() or _data_route_refused()
