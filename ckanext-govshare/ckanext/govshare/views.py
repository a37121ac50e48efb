"""Pages: the guards (the sharing site closed to the public, data routes closed to
users without the right to the data: 403 with how to get access) and the
workflow pages (share requests and applications)."""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, Response, g, jsonify, request

from ckanext.govshare import access, pages, usage
from ckanext.govshare.helpers import govshare_how_to_get_access

__all__ = ["govshare"]

govshare = Blueprint("govshare", __name__)

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


@govshare.before_app_request
def guard() -> Optional[Any]:
    return _closed_to_public() or _data_route_refused()


# ------------------------------------------------------------------ workflow pages
# Share requests and applications (requirements §4.1-§4.2): the pages call the
# actions with the user's context; pages.py reads the forms and names things.


def _logged_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous users go to the login page, and come back."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if pages.current_user() is None:
            return tk.redirect_to("user.login", came_from=request.full_path)
        return view(*args, **kwargs)
    return wrapped


def _package(id: str) -> dict[str, Any]:
    try:
        return tk.get_action("package_show")(pages.context(), {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


@govshare.route("/dataset/<id>/request", methods=["GET", "POST"])
@_logged_in
def request_new(id: str) -> Any:
    """The share request form (conditional entries) or the application form (authorized-open)."""
    user = pages.current_user()
    package = _package(id)
    kind = pages.request_kind(user, package)
    if kind is None:
        return tk.abort(403, tk._("You have this entry's data already, or it is not requested "
                                  "this way: ") + govshare_how_to_get_access(package))
    data, errors = pages.request_defaults(kind), {}
    if request.method == "POST":
        data, action_input, errors = pages.request_input(kind, package["id"], request.form)
        if not errors:
            try:
                created = tk.get_action(pages.create_action(kind))(pages.context(), action_input)
            except tk.ValidationError as error:
                errors = error.error_dict
            except tk.NotAuthorized as error:
                errors = {"package_id": [str(error)]}
            else:
                tk.h.flash_success(tk._("Your request was submitted; the provider answers "
                                        "by {date}.").format(date=created["deadline"]))
                return tk.redirect_to("govshare.request_read", id=created["id"])
    return tk.render("govshare/request_form.html", {
        "pkg": package, "kind": kind, "data": data, "errors": errors,
        "resources": pages.package_resources(package["id"]),
        "departments": pages.requester_departments(user, package),
        "commitment_text": tk.config.get("govshare.application.commitment_text")})


@govshare.route("/govshare/requests")
@_logged_in
def request_index() -> Any:
    """The dashboard: the inbox of deciders, the department's requests, the authority's queue."""
    user = pages.current_user()
    tabs, kinds = pages.tabs(user), pages.kinds()
    tab = request.args.get("tab") if request.args.get("tab") in tabs else tabs[0]
    kind = request.args.get("kind") if request.args.get("kind") in kinds else kinds[0]
    departments = pages.my_departments(user)
    department = request.args.get("department") or (departments[0]["name"] if departments else None)
    page_number = tk.h.get_page_number(request.args)

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.request_index", tab=tab, kind=kind, page=page,
                            department=department if tab == pages.DEPARTMENT else None)

    page = pages.request_page(tab, kind, department, page_number, url)
    return tk.render("govshare/requests.html", {
        "tabs": tabs, "tab": tab, "kinds": kinds, "kind": kind, "page": page,
        "departments": departments, "department": department,
        "names": pages.labels(pages.request_ids(page.items))})


def _request(id: str) -> dict[str, Any]:
    try:
        return tk.get_action("govshare_request_show")(pages.context(), {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Request not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


def _show_request(id: str, errors: Optional[dict[str, Any]] = None,
                  forms: Optional[dict[str, Any]] = None, status: int = 200) -> Any:
    shown = _request(id)
    requested = shown["resource_ids"] or [
        r["id"] for r in pages.package_resources(shown["package_id"])]
    return tk.render("govshare/request_read.html", {
        "req": shown, "names": pages.labels(pages.request_ids([shown]) + requested),
        "requested": requested, "decisions": pages.decisions_allowed(shown),
        "errors": errors or {}, "forms": forms or {}}), status


@govshare.route("/govshare/requests/<id>")
@_logged_in
def request_read(id: str) -> Any:
    """A request: parties, contents, deadline, audit trail, the decisions the user may take."""
    return _show_request(id)


@govshare.route("/govshare/requests/<id>/<decision>", methods=["POST"])
@_logged_in
def request_decide(id: str, decision: str) -> Any:
    """Approve, refuse, withdraw or precheck; errors come back on the form that caused them."""
    if decision not in pages.DECISIONS:
        return tk.abort(404, tk._("Unknown decision"))
    shown = _request(id)
    form, action_input, errors = pages.decision_input(decision, shown, request.form)
    if not errors:
        try:
            action = pages.decision_action(shown["kind"], decision)
            tk.get_action(action)(pages.context(), action_input)
        except tk.ValidationError as error:
            errors = error.error_dict
        except tk.NotAuthorized as error:
            errors = {"id": [str(error)]}
        else:
            tk.h.flash_success(tk._("Done: the request is updated."))
            return tk.redirect_to("govshare.request_read", id=id)
    return _show_request(id, {decision: errors}, {decision: form}, 400)


def _usage_filters() -> dict[str, str]:
    return {k: request.args[k] for k in ("provider_org", "package_id") if request.args.get(k)}


def _usage_rows() -> list[dict[str, str]]:
    try:
        records = tk.get_action("govshare_usage_list")(pages.context(), _usage_filters())
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return pages.usage_rows(records)


@govshare.route("/govshare/usage")
@_logged_in
def usage_index() -> Any:
    """How the provider's (or, for the authority, every) granted data was used."""
    return tk.render("govshare/usage.html", {
        "rows": _usage_rows(), "headings": pages.usage_headings(), "filters": _usage_filters()})


@govshare.route("/govshare/usage.csv")
@_logged_in
def usage_csv() -> Any:
    """The same records as CSV (UTF-8 with BOM, for Excel)."""
    return Response(pages.usage_csv(_usage_rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=govshare-usage.csv"})


@govshare.route("/govshare/notifications")
@_logged_in
def notifications() -> Any:
    """The user's notifications, newest first; showing them marks them seen."""
    user = pages.current_user()
    return tk.render("govshare/notifications.html", {"notes": pages.notifications(user)})


@govshare.route("/govshare/confirm/<token>")
def registration_confirm(token: str) -> Any:
    """The link of the registration email: activates the pending account, then to login."""
    from ckanext.govshare import registration
    problem = registration.confirm(token)
    if problem:
        tk.h.flash_error(problem)
    else:
        tk.h.flash_success(tk._("Your email address is confirmed: you can log in now."))
    return tk.redirect_to("user.login")


@govshare.after_app_request
def _registered_to_login(response: Response) -> Response:
    """After a self-registration CKAN sends the new user to their dashboard; the account is
    pending (not logged in), so to the login page instead, with the check-your-email message."""
    if getattr(g, "govshare_registered_pending", False) and response.status_code in (302, 303):
        response.location = tk.url_for("user.login")
    return response
