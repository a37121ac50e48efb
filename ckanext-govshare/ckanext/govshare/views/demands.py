"""Data demands (数据需求) and showcases (应用成果): the public lists and pages, the forms of
those who ask and submit, the authority's routing and moderation, the department's answer.
The pages call the actions with the user's context."""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.pagination import Page
from flask import request

from ckanext.govshare import access, demands, pages, showcases
from ckanext.govshare.model.demand import PENDING, ROUTED, SUBMITTED
from ckanext.govshare.views.base import govshare, logged_in

DEMAND_FIELDS = ("title", "description", "wanted_fields", "purpose")
ROUTE_FIELDS = ("department",)
REPLY_FIELDS = ("outcome", "answer", "package_id")
SHOWCASE_FIELDS = ("title", "description", "url", "entries")
REASON_FIELDS = ("reason",)
ALL, MINE, DEPARTMENT, TO_ROUTE = "all", "mine", "department", "to_route"


def _text(names: tuple[str, ...]) -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip() for name in names}


def _page(result: dict[str, Any], page_number: int, url: Callable[..., str]) -> Page:
    return Page(collection=result["results"], page=page_number, item_count=result["count"],
                items_per_page=pages.PER_PAGE, presliced_list=True, url=url)


# ------------------------------------------------------------------ data demands

def _demand_tabs(user: Optional[model.User]) -> list[str]:
    shown = [ALL]
    if user is not None:
        shown.append(MINE)
        if access.department_ids(user):
            shown.append(DEPARTMENT)
        if demands.may_route(user):
            shown.append(TO_ROUTE)
    return shown


@govshare.route("/govshare/demands")
def demand_index() -> Any:
    """Every demand, public: what was asked, to which department, the deadline, the answer."""
    user = pages.current_user()
    tabs = _demand_tabs(user)
    tab = request.args.get("tab") if request.args.get("tab") in tabs else ALL
    departments = pages.my_departments(user) if DEPARTMENT in tabs else []
    department = request.args.get("department") or (departments[0]["name"] if departments
                                                     else None)
    page_number = tk.h.get_page_number(request.args)
    query: dict[str, Any] = {"limit": pages.PER_PAGE,
                             "offset": (page_number - 1) * pages.PER_PAGE}
    if tab == MINE:
        query["mine"] = True
    elif tab == DEPARTMENT:
        query.update(department=department, state=ROUTED)
    elif tab == TO_ROUTE:
        query["state"] = SUBMITTED
    result = tk.get_action("govshare_demand_list")(pages.context(), query)

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.demand_index", tab=tab, page=page,
                            department=department if tab == DEPARTMENT else None)

    return tk.render("govshare/demands.html", {
        "tabs": tabs, "tab": tab, "page": _page(result, page_number, url),
        "departments": departments, "department": department})


@govshare.route("/govshare/demands/new", methods=["GET", "POST"])
@logged_in
def demand_new() -> Any:
    """The 数据需求 form: what data, which fields, what for."""
    data: dict[str, str] = {}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data = _text(DEMAND_FIELDS)
        try:
            created = tk.get_action("govshare_demand_create")(pages.context(), dict(data))
        except tk.ValidationError as error:
            errors = error.error_dict
        else:
            tk.h.flash_success(tk._("Thank you: the data authority sends your demand to the "
                                    "department that holds the data."))
            return tk.redirect_to("govshare.demand_read", id=created["id"])
    return tk.render("govshare/demand_form.html", {
        "data": data, "errors": errors, "fields": list(DEMAND_FIELDS)}), 400 if errors else 200


def _departments() -> list[dict[str, str]]:
    """The departments a demand can go to (all but the authority itself)."""
    rows = (model.Session.query(model.Group)
            .filter(model.Group.is_organization.is_(True), model.Group.state == "active",
                    model.Group.name != access.authority_org_name())
            .order_by(model.Group.title))
    return [{"name": g.name, "title": g.title or g.name} for g in rows]


def _demand(id: str, errors: Optional[dict[str, Any]] = None,
            form: Optional[dict[str, str]] = None, status: int = 200) -> Any:
    demand = pages.shown("govshare_demand_show", id, tk._("Data demand not found"))
    may_route = demand["state"] != "answered" and pages.allowed("govshare_demand_route",
                                                                {"id": id})
    may_reply = demand["state"] == ROUTED and pages.allowed("govshare_demand_reply", {"id": id})
    return tk.render("govshare/demand_read.html", {
        "demand": demand, "may_route": may_route, "may_reply": may_reply,
        "departments": _departments() if may_route else [],
        "errors": errors or {}, "sent": form or {},
        "fields": list(ROUTE_FIELDS + REPLY_FIELDS)}), status


@govshare.route("/govshare/demands/<id>")
def demand_read(id: str) -> Any:
    """A demand, its department and deadline, the answer; the forms of those who act."""
    return _demand(id)


def _demand_step(id: str, action: str, fields: tuple[str, ...], done: str) -> Any:
    form = _text(fields)
    try:
        tk.get_action(action)(pages.context(), dict(form, id=id))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data demand not found"))
    except tk.ValidationError as error:
        return _demand(id, error.error_dict, form, 400)
    except tk.NotAuthorized as error:
        return _demand(id, {"id": [str(error)]}, form, 403)
    tk.h.flash_success(done)
    return tk.redirect_to("govshare.demand_read", id=id)


@govshare.route("/govshare/demands/<id>/route", methods=["POST"])
@logged_in
def demand_route(id: str) -> Any:
    return _demand_step(id, "govshare_demand_route", ROUTE_FIELDS,
                        tk._("Done: the department and the requester are told."))


@govshare.route("/govshare/demands/<id>/reply", methods=["POST"])
@logged_in
def demand_reply(id: str) -> Any:
    return _demand_step(id, "govshare_demand_reply", REPLY_FIELDS,
                        tk._("Done: the requester is told of your answer."))


# ------------------------------------------------------------------ showcases

@govshare.route("/govshare/showcases")
def showcase_index() -> Any:
    """The approved showcases (and, on their tab, the user's own in every state)."""
    user = pages.current_user()
    tab = MINE if request.args.get("tab") == MINE and user is not None else ALL
    page_number = tk.h.get_page_number(request.args)
    query: dict[str, Any] = {"limit": pages.PER_PAGE,
                             "offset": (page_number - 1) * pages.PER_PAGE}
    if tab == MINE:
        query["mine"] = True
    else:
        query["state"] = "approved"
    result = tk.get_action("govshare_showcase_list")(pages.context(), query)

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.showcase_index", tab=tab, page=page)

    return tk.render("govshare/showcases.html", {
        "tab": tab, "signed_in": user is not None, "may_moderate": showcases.may_moderate(user),
        "page": _page(result, page_number, url)})


def _entry_names(text: str) -> list[str]:
    """Entry names or ids, one per line (or separated by commas or spaces)."""
    return [name for name in re.split(r"[\s,，、;；]+", text) if name]


@govshare.route("/govshare/showcases/new", methods=["GET", "POST"])
@logged_in
def showcase_new() -> Any:
    """Submit a showcase: what it is, where, which entries it uses (``?entry=`` fills one)."""
    data: dict[str, str] = {"entries": (request.args.get("entry") or "").strip()}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data = _text(SHOWCASE_FIELDS)
        sent = dict(data, entries=_entry_names(data["entries"]))
        try:
            created = tk.get_action("govshare_showcase_create")(pages.context(), sent)
        except tk.ValidationError as error:
            errors = error.error_dict
        else:
            tk.h.flash_success(tk._("Thank you: the data authority reviews your showcase "
                                    "before it is published."))
            return tk.redirect_to("govshare.showcase_read", id=created["id"])
    return tk.render("govshare/showcase_form.html", {
        "data": data, "errors": errors, "fields": list(SHOWCASE_FIELDS)}), 400 if errors else 200


@govshare.route("/govshare/showcases/moderation")
@logged_in
def showcase_moderation() -> Any:
    """The authority's queue: showcases awaiting moderation, oldest last."""
    if not showcases.may_moderate(pages.current_user()):
        return tk.abort(403, tk._("Only the data authority may do this."))
    page_number = tk.h.get_page_number(request.args)
    result = tk.get_action("govshare_showcase_list")(pages.context(), {
        "state": PENDING, "limit": pages.PER_PAGE,
        "offset": (page_number - 1) * pages.PER_PAGE})

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.showcase_moderation", page=page)

    return tk.render("govshare/showcase_moderation.html", {
        "page": _page(result, page_number, url)})


def _showcase(id: str, errors: Optional[dict[str, Any]] = None,
              form: Optional[dict[str, str]] = None, status: int = 200) -> Any:
    showcase = pages.shown("govshare_showcase_show", id, tk._("Showcase not found"))
    return tk.render("govshare/showcase_read.html", {
        "showcase": showcase, "may_moderate": showcases.may_moderate(pages.current_user()),
        "errors": errors or {}, "sent": form or {}, "fields": list(REASON_FIELDS)}), status


@govshare.route("/govshare/showcases/<id>")
def showcase_read(id: str) -> Any:
    return _showcase(id)


def _moderate(id: str, action: str, done: str) -> Any:
    form = _text(REASON_FIELDS)
    try:
        tk.get_action(action)(pages.context(), dict(form, id=id))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Showcase not found"))
    except tk.ValidationError as error:
        return _showcase(id, error.error_dict, form, 400)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    tk.h.flash_success(done)
    return tk.redirect_to("govshare.showcase_read", id=id)


@govshare.route("/govshare/showcases/<id>/approve", methods=["POST"])
@logged_in
def showcase_approve(id: str) -> Any:
    return _moderate(id, "govshare_showcase_approve",
                     tk._("Done: the showcase is published and its submitter is told."))


@govshare.route("/govshare/showcases/<id>/reject", methods=["POST"])
@logged_in
def showcase_reject(id: str) -> Any:
    return _moderate(id, "govshare_showcase_reject",
                     tk._("Done: the showcase is not published and its submitter is told why."))
