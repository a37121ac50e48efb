"""The update timeliness page (更新时效): a department's entries for its members, the
whole city for the data authority, with the configured consequence said plainly."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import request

from ckanext.govshare import access, pages, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.views.base import govshare, logged_in

DECLARE_FIELDS = ("package_id", "date", "note")


def _department(user: Optional[model.User]) -> Optional[str]:
    """The department asked for, or the member's own (the first by name if several)."""
    if request.args.get("owner_org"):
        return request.args["owner_org"]
    if access.is_authority(user):
        return None
    names = sorted(name for name, in model.Session.query(model.Group.name)
                   .filter(model.Group.id.in_(list(access.department_ids(user)))))
    return names[0] if names else None


@govshare.route("/govshare/timeliness")
@logged_in
def timeliness_index() -> Any:
    """Entries with when their data was updated, when the next update is due, and whether
    it is overdue; ``overdue=true`` lists only the overdue ones."""
    return _index()


@govshare.route("/govshare/timeliness/declare", methods=["POST"])
@logged_in
def timeliness_declare() -> Any:
    """The provider declares an entry's data updated (date, note); errors come back on the
    page, next to the entry's form."""
    form = {name: (request.form.get(name) or "").strip() for name in DECLARE_FIELDS}
    try:
        tk.get_action("govshare_data_update_declare")(pages.context(), form)
    except tk.ValidationError as error:
        return _index({"package_id": form["package_id"], "form": form,
                       "errors": error.error_dict}), 400
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    tk.h.flash_success(tk._("Recorded: the entry's data was updated on {date}.").format(
        date=form["date"]))
    return tk.redirect_to("govshare.timeliness_index", owner_org=request.args.get("owner_org"))


def _index(declared: Optional[dict[str, Any]] = None) -> Any:
    context = pages.context()
    filters = {"owner_org": _department(context["auth_user_obj"])}
    if request.args.get("overdue"):
        filters["overdue"] = request.args["overdue"]
    filters = {k: v for k, v in filters.items() if v}
    try:
        listed = tk.get_action("govshare_timeliness_list")(context, filters)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError:
        return tk.abort(404, tk._("Department not found"))
    org = model.Group.get(filters["owner_org"]) if filters.get("owner_org") else None
    for row in listed["results"]:
        row["frequency_label"] = (catalog.choice_label("update_frequency", row["update_frequency"])
                                  if row["update_frequency"] else "")
        row["may_declare"] = pages.allowed("govshare_data_update_declare",
                                           {"package_id": row["package_id"]})
    return tk.render("govshare/timeliness.html", {
        "listed": listed, "org": org, "filters": filters, "declared": declared or {},
        "today": workdays.today().isoformat()})
