"""The catalog desk of a department (drafts, submitted, returned, bulk submit with the
secrecy review) and the authority's review queue (confirm or return in bulk). The rules
are in catalog_review.py and the catalog actions."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import access, catalog_review, pages, workdays
from ckanext.govshare.views.base import govshare, logged_in

REVIEW_FIELDS = ("reviewer", "conclusion", "date")


def _desk(form: Optional[dict[str, Any]] = None, errors: Optional[dict[str, Any]] = None,
          status: int = 200) -> Any:
    user = pages.current_user()
    departments = access.department_ids(user)
    today = workdays.today()
    duties = [c.as_dict(today) for org in departments for c in catalog_review.duty_changes(org)]
    return tk.render("govshare/catalog_desk.html", {
        "entries": catalog_review.desk(departments), "duties": duties,
        "labels": pages.labels(departments), "form": form or {}, "errors": errors or {},
    }), status


@govshare.route("/govshare/catalog", methods=["GET", "POST"])
@logged_in
def catalog_desk() -> Any:
    """The department's entries on the way to registration; its admins submit them."""
    if request.method == "GET":
        return _desk()
    form = {field: request.form.get(field, "") for field in REVIEW_FIELDS}
    ids = request.form.getlist("ids")
    try:
        tk.get_action("govshare_catalog_submit")(pages.context(), {
            "ids": ids, "secrecy_review": form})
    except tk.ValidationError as error:
        return _desk(form, error.error_dict, 400)
    except tk.NotAuthorized as error:
        return _desk(form, {"ids": [str(error)]}, 403)
    tk.h.flash_success(tk._("{count} entries submitted for registration.").format(count=len(ids)))
    return tk.redirect_to("govshare.catalog_desk")


def _queue(errors: Optional[dict[str, Any]] = None, status: int = 200) -> Any:
    rows = catalog_review.queue()
    return tk.render("govshare/catalog_review.html", {
        "rows": rows, "labels": pages.labels(r["department"] for r in rows),
        "errors": errors or {}, "reason": request.form.get("reason", ""),
    }), status


@govshare.route("/govshare/catalog/review", methods=["GET", "POST"])
@logged_in
def catalog_review_queue() -> Any:
    """The data authority confirms or returns submitted entries and pending changes."""
    if not access.is_authority(pages.current_user()):
        return tk.abort(403, tk._("Only the data authority may do this."))
    if request.method == "GET":
        return _queue()
    ids = request.form.getlist("ids")
    decision = request.form.get("decision")
    try:
        if decision == "return":
            tk.get_action("govshare_catalog_return")(pages.context(), {
                "ids": ids, "reason": request.form.get("reason", "")})
        else:
            tk.get_action("govshare_catalog_confirm")(pages.context(), {"ids": ids})
    except tk.ValidationError as error:
        return _queue(error.error_dict, 400)
    tk.h.flash_success(tk._("{count} entries decided.").format(count=len(ids)))
    return tk.redirect_to("govshare.catalog_review_queue")
