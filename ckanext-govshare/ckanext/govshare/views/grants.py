"""Grants (授权): the list the authority (and a provider's admins, for their entries) reads,
and revocation with a reason. The pages call the actions with the user's context."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from flask import request

from ckanext.govshare import pages, workflow
from ckanext.govshare.views.base import govshare, logged_in

STATES = ("active", "ended")


def _show_grants(errors: Optional[dict[str, Any]] = None, failed: Optional[str] = None,
                 reason: str = "", status: int = 200) -> Any:
    state = request.args.get("state") if request.args.get("state") in STATES else "active"
    grants = tk.get_action("govshare_grant_list")(pages.context(), {"active": state == "active"})
    page = Page(collection=grants, page=tk.h.get_page_number(request.args),
                     items_per_page=pages.PER_PAGE,
                     url=lambda page=1, **_: tk.h.url_for("govshare.grant_index", state=state,
                                                         page=page))
    rows = [dict(g, state=workflow.grant_state(g), covered=pages.granted_names(g),
                 revocable=g["revoked"] is None and pages.allowed("govshare_grant_revoke",
                                                                  {"id": g["id"]}))
            for g in page.items]
    return tk.render("govshare/grants.html", {
        "page": page, "rows": rows, "state": state, "names": pages.labels(pages.grant_ids(rows)),
        "errors": errors or {}, "failed": failed, "reason": reason}), status


@govshare.route("/govshare/grants")
@logged_in
def grant_index() -> Any:
    """Active grants (or ended ones), newest first, with revocation where the user may."""
    return _show_grants()


@govshare.route("/govshare/grants/<id>/revoke", methods=["POST"])
@logged_in
def grant_revoke(id: str) -> Any:
    """End a grant now; the reason is required and kept with the grant."""
    reason = request.form.get("reason", "")
    try:
        tk.get_action("govshare_grant_revoke")(pages.context(), {"id": id, "reason": reason})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Grant not found"))
    except tk.ValidationError as error:
        return _show_grants(error.error_dict, id, reason, 400)
    except tk.NotAuthorized as error:
        return _show_grants({"id": [str(error)]}, id, reason, 403)
    tk.h.flash_success(tk._("The grant is revoked: its data is no longer available to the grantee."))
    return tk.redirect_to("govshare.grant_index")
