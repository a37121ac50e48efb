"""App-wide hooks, before any view runs: unreadable input refused, CSRF checked per
request, the sharing site closed to the public, what routes.yaml does not open closed to
all but sysadmins, data pages closed to users without the right to the data (403 with how
to get access), and an entry one may not see answered like a missing one."""
from __future__ import annotations

import functools
import uuid
from importlib import resources
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
import yaml
from ckan import model
from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from ckanext.govshare import access, inputs, usage

__all__ = ["guards"]

guards = Blueprint("govshare_guards", __name__)

DATA_ARGS = ("resource_id", "view_id", "resource_view_id")
# Data pages whose reads are the usage record's (the others call datastore_search, which
# records its own).
RECORDED = {"download", "view", "resource_history"}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


@functools.cache
def routes() -> dict[str, dict[str, frozenset[str]]]:
    """routes.yaml: each page and action of the portal by what it may hand out."""
    declared = yaml.safe_load(resources.files("ckanext.govshare").joinpath("routes.yaml")
                              .read_text(encoding="utf-8"))
    return {part: {kind: frozenset(names) for kind, names in kinds.items()}
            for part, kinds in declared.items()}


def _declared(part: str, name: str) -> Optional[str]:
    return next((kind for kind, names in routes()[part].items() if name in names), None)


def endpoint_kind(endpoint: str, view_args: Iterable[str]) -> Optional[str]:
    """``data`` for a page that names a resource or a view (unless declared
    ``metadata_only``), else its declared kind; None for an undeclared page."""
    kind = _declared("endpoints", endpoint)
    if kind is not None and kind != "metadata_only" and set(view_args) & set(DATA_ARGS):
        return "data"
    return kind


def action_kind(action: str) -> Optional[str]:
    return _declared("actions", action)


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
        return _api_error(403, "Authorization Error", tk._(
            "The sharing site is for government departments: log in with a department account."))
    if endpoint.startswith("api."):
        return tk.abort(403, tk._("The sharing site is for government departments."))
    return tk.redirect_to("user.login", came_from=request.full_path)


def _requested_resource() -> Optional[model.Resource]:
    args = request.view_args or {}
    view_id = args.get("resource_view_id") or args.get("view_id")
    if view_id and not args.get("resource_id"):
        view = model.ResourceView.get(view_id)
        return model.Resource.get(view.resource_id) if view else None
    return model.Resource.get(args.get("resource_id", ""))


def _data_route_refused() -> Optional[Any]:
    """A hidden entry's data pages answer like a missing resource's; a visible entry's,
    without the right to its data, 403 with what to do."""
    resource = _requested_resource()
    user = access.page_viewer()
    if resource is None or resource.package is None or not access.can_see_entry(
            user, resource.package):
        return tk.abort(404, tk._("Resource not found"))
    policy = access.DataPolicy(user)
    if not policy.allows(resource.package, resource.id):
        return tk.abort(403, access.how_to_get_access(resource.package))
    route = (request.endpoint or "").rsplit(".", 1)[-1]
    if route in RECORDED:
        usage.record(policy, resource.package, [resource.id], route, page=True)
    return None


def _undeclared_refused() -> Optional[Any]:
    """What routes.yaml does not open is for sysadmins only (and so are its sysadmin pages
    and actions)."""
    if access.is_sysadmin(access.page_viewer()):
        return None
    endpoint = request.endpoint or ""
    if endpoint == "api.action":
        action = (request.view_args or {}).get("logic_function") or ""
        if action not in logic_actions():
            return None  # CKAN answers an unknown action itself
        if action_kind(action) in (None, "sysadmin"):
            return _api_error(403, "Authorization Error",
                              tk._("This action is reserved to system administrators."))
        return None
    if request.url_rule is None:
        return None  # 404 or 405: Flask answers itself
    kind = endpoint_kind(endpoint, (request.view_args or {}).keys())
    if kind in (None, "sysadmin"):
        return tk.abort(403, tk._("This page is reserved to system administrators."))
    if kind == "data":
        return _data_route_refused()
    return None


def _api_error(status: int, kind: str, message: str) -> Response:
    response = jsonify({"success": False, "error": {"__type": kind, "message": message}})
    response.status_code = status
    return response


def logic_actions() -> dict[str, Any]:
    """CKAN's action registry (name → function), filled on first use; not copied, since
    every API request asks it."""
    from ckan.logic import _actions
    if not _actions:
        tk.get_action("status_show")
    return _actions


def _csrf_checked() -> None:
    """CKAN exempts a view from CSRF checks for good once any token (or anonymous)
    request reached it: a request signed in by its session cookie is checked anyway."""
    if request.method in SAFE_METHODS or g.get("login_via_auth_header"):
        return
    if tk.current_user and not tk.current_user.is_anonymous:
        from ckan.config.middleware.flask_app import csrf
        csrf.protect()


def _login_without_credentials() -> Optional[Any]:
    """CKAN's authenticator fails with a server error on a login form without a name or a
    password: answer as for wrong ones."""
    if request.endpoint == "user.login" and request.method == "POST" and not (
            request.form.get("login") and request.form.get("password")):
        tk.h.flash_error(tk._("Login failed. Bad username or password."))
        return tk.redirect_to("user.login")
    return None


# Inputs that may name an entry (by itself, a resource, a view or an activity); "id" names
# an entry only in the actions about entries (elsewhere a user, a group, ...).
REFERENCE_KEYS = ("package_id", "resource_id", "view_id", "activity_id", "object")
ENTRY_ACTION_WORDS = ("package", "dataset", "resource", "datastore", "activity",
                      "collaborator", "relationship", "govshare")
AS_MISSING = "govshare.as_missing"  # set on the re-asked request (see _as_if_missing)


def _hidden_references(action: str, data: dict[str, Any]) -> dict[str, str]:
    keys = REFERENCE_KEYS + (("id", "name") if any(w in action for w in ENTRY_ACTION_WORDS)
                             else ())
    viewer = access.page_viewer()
    return {key: data[key] for key in keys
            if access.hidden_from(viewer, access.entry_named(data.get(key)))}


def _as_if_missing() -> Optional[Response]:
    """An action asked about an entry the caller may not see answers exactly what it
    answers about one that does not exist: it is asked again, with an id that exists
    nowhere in place of each hidden one, and the answer given back with the caller's ids."""
    if request.endpoint != "api.action" or request.environ.get(AS_MISSING):
        return None
    if access.is_sysadmin(access.page_viewer()):
        return None
    from ckan.views.api import _get_request_data
    try:
        data = _get_request_data(try_url_params=True)
    except ValueError:
        return None  # CKAN answers malformed input itself
    hidden = _hidden_references((request.view_args or {}).get("logic_function") or "", data)
    if not hidden:
        return None
    stand_ins = {key: str(uuid.uuid4()) for key in hidden}
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "cookie")}
    answer = current_app.test_client().post(
        request.path, json=dict(data, **stand_ins), headers=headers,
        environ_overrides={AS_MISSING: True})
    body = answer.get_data(as_text=True)
    for key, stand_in in stand_ins.items():
        body = body.replace(stand_in, hidden[key])
    return Response(body, status=answer.status_code, content_type=answer.content_type)


@guards.before_app_request
def guard() -> Optional[Any]:
    if not request.environ.get(AS_MISSING):
        _csrf_checked()
    return (inputs.refuse_unreadable_input() or _closed_to_public() or _undeclared_refused()
            or _as_if_missing() or _login_without_credentials())


# CKAN's pages let some action errors through (e.g. /dataset/changes_multiple without
# ids): a server error for what is a missing object, a refusal or bad input.
_AS_HTTP = ((tk.ObjectNotFound, NotFound), (tk.NotAuthorized, Forbidden),
            (tk.ValidationError, BadRequest))


def _as_http(error: Exception) -> Any:
    http = next(page for action_error, page in _AS_HTTP if isinstance(error, action_error))
    message = str(error) if not isinstance(error, tk.ValidationError) else "; ".join(
        f"{field}: {' '.join(map(str, errors)) if isinstance(errors, list) else errors}"
        for field, errors in error.error_dict.items())
    return current_app.handle_http_exception(http(description=message or None))


for _action_error, _ in _AS_HTTP:
    guards.app_errorhandler(_action_error)(_as_http)
