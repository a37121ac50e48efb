"""Share requests and applications (requirements §4.1-§4.2): the pages call the
actions with the user's context; pages.py reads the forms and names things."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import pages, workflow
from ckanext.govshare.helpers import govshare_how_to_get_access
from ckanext.govshare.views.base import govshare, logged_in


def _package(id: str) -> dict[str, Any]:
    return pages.shown("package_show", id, tk._("Dataset not found"))


@govshare.route("/dataset/<id>/request", methods=["GET", "POST"])
@logged_in
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
@logged_in
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
        "names": pages.labels(pages.request_ids(page.items)),
        "states": pages.shown_states(page.items)})


def _request(id: str) -> dict[str, Any]:
    return pages.shown("govshare_request_show", id, tk._("Request not found"))


def _show_request(id: str, errors: Optional[dict[str, Any]] = None,
                  forms: Optional[dict[str, Any]] = None, status: int = 200) -> Any:
    shown = _request(id)
    requested = shown["resource_ids"] or [
        r["id"] for r in pages.package_resources(shown["package_id"])]
    grant = shown["grant"]
    ids = pages.request_ids([shown]) + requested + [c["created_by"] for c in shown["cases"]]
    return tk.render("govshare/request_read.html", {
        "req": shown, "names": pages.labels(ids),
        "requested": requested, "decisions": pages.decisions_allowed(shown),
        "state": pages.shown_states([shown])[shown["id"]],
        "granted": pages.granted_names(grant) if grant else [],
        "grant_state": workflow.grant_state(grant) if grant else None,
        "coordination": pages.may_ask_coordination(shown),
        "errors": errors or {}, "forms": forms or {}}), status


@govshare.route("/govshare/requests/<id>")
@logged_in
def request_read(id: str) -> Any:
    """A request: parties, contents, what was granted, deadline, audit trail, the decisions
    the user may take."""
    return _show_request(id)


def _confirm(shown: dict[str, Any], decision: str, form: dict[str, Any],
             grant: Optional[dict[str, Any]]) -> Any:
    """The confirmation step: what the decision will do, the form's values carried over."""
    ids = pages.request_ids([shown]) + (pages.grant_ids([grant]) if grant else [])
    return tk.render("govshare/request_confirm.html", {
        "req": shown, "decision": decision, "form": form, "grant": grant,
        "granted": pages.granted_names(grant) if grant else [], "names": pages.labels(ids)})


@govshare.route("/govshare/requests/<id>/<decision>", methods=["POST"])
@logged_in
def request_decide(id: str, decision: str) -> Any:
    """Approve, refuse, withdraw or precheck; errors come back on the form that caused them.
    An approval or a refusal is first shown for confirmation (the same POST without
    ``confirmed``), then made by the confirmed POST; ``back`` returns to the form as filled."""
    if decision not in pages.DECISIONS:
        return tk.abort(404, tk._("Unknown decision"))
    shown = _request(id)
    form, action_input, errors = pages.decision_input(decision, shown, request.form)
    if request.form.get("back"):
        return _show_request(id, forms={decision: form})
    if not errors:
        action = pages.decision_action(shown["kind"], decision)
        try:
            if decision in pages.CONFIRMED and request.form.get("confirmed") != "yes":
                return _confirm(shown, decision, form, pages.rehearse(action, action_input))
            tk.get_action(action)(pages.context(), action_input)
        except tk.ValidationError as error:
            errors = error.error_dict
        except tk.NotAuthorized as error:
            errors = {"id": [str(error)]}
        else:
            tk.h.flash_success(tk._("Done: the request is updated."))
            return tk.redirect_to("govshare.request_read", id=id)
    return _show_request(id, {decision: errors}, {decision: form}, 400)


@govshare.route("/govshare/requests/<id>/coordination", methods=["POST"])
@logged_in
def request_coordinate(id: str) -> Any:
    """申请协调: the requester of a refused request (or the authority, for an overdue one)
    takes it to the data authority as a coordination case."""
    shown = _request(id)
    description = request.form.get("description", "")
    try:
        case = tk.get_action("govshare_case_create")(pages.context(), {
            "package_id": shown["package_id"], "request_id": shown["id"],
            "description": description})
    except tk.ValidationError as error:
        errors = error.error_dict
    except tk.NotAuthorized as error:
        errors = {"request_id": [str(error)]}
    else:
        tk.h.flash_success(tk._("The coordination case is open; the data authority takes it up."))
        return tk.redirect_to("govshare.case_read", id=case["id"])
    return _show_request(id, {"coordination": errors},
                         {"coordination": {"description": description}}, 400)
