"""Coordination cases (协调): the list (the authority's all, a department's own), a case,
and the authority's resolution. The pages call the actions with the user's context."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from flask import request

from ckanext.govshare import pages
from ckanext.govshare.views.base import govshare, logged_in


@govshare.route("/govshare/cases")
@logged_in
def case_index() -> Any:
    """The cases that concern the user, open ones first."""
    shown = tk.get_action("govshare_case_list")(pages.context(), {})
    state = request.args.get("state")
    if state in ("open", "resolved"):
        shown = [c for c in shown if c["state"] == state]
    page = Page(collection=shown, page=tk.h.get_page_number(request.args),
                     items_per_page=pages.PER_PAGE,
                     url=lambda page=1, **_: tk.h.url_for("govshare.case_index", state=state,
                                                         page=page))
    ids = [i for c in page.items for i in (c["package_id"], c["created_by"])]
    return tk.render("govshare/cases.html", {"page": page, "state": state,
                                             "names": pages.labels(ids)})


def _show_case(id: str, errors: Optional[dict[str, Any]] = None,
               form: Optional[dict[str, Any]] = None, status: int = 200) -> Any:
    case = pages.shown("govshare_case_show", id, tk._("Case not found"))
    related = pages.request_ids([case["request"]]) if case["request"] else []
    ids = related + [case["package_id"], case["created_by"], case["resolved_by"]] + [
        a["user_id"] for a in case["audit"]]
    return tk.render("govshare/case_read.html", {
        "case": case, "names": pages.labels(ids),
        "may_resolve": case["state"] == "open" and pages.allowed("govshare_case_resolve",
                                                                 {"id": case["id"]}),
        "errors": errors or {}, "form": form or {}}), status


@govshare.route("/govshare/cases/<id>")
@logged_in
def case_read(id: str) -> Any:
    return _show_case(id)


@govshare.route("/govshare/cases/<id>/resolve", methods=["POST"])
@logged_in
def case_resolve(id: str) -> Any:
    """The authority records the outcome; who opened it, the requester and the provider are told."""
    pages.shown("govshare_case_show", id, tk._("Case not found"))
    outcome = request.form.get("outcome", "")
    try:
        tk.get_action("govshare_case_resolve")(pages.context(), {"id": id, "outcome": outcome})
    except tk.ValidationError as error:
        return _show_case(id, error.error_dict, {"outcome": outcome}, 400)
    except tk.NotAuthorized as error:
        return _show_case(id, {"id": [str(error)]}, {"outcome": outcome}, 403)
    tk.h.flash_success(tk._("The case is resolved; those concerned are notified."))
    return tk.redirect_to("govshare.case_read", id=id)
