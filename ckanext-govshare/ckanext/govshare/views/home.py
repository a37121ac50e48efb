"""The home page of each site (search first, the public statistics, browse by theme and by
department, latest and most used entries, the authority's announcements; see home.py) and
the authority's page to write the announcements.

The home page takes ``/`` before CKAN's ``home.index`` (plugins' blueprints are registered
first); ``url_for('home.index')`` still names ``/``."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import access, announcements, home, pages
from ckanext.govshare.views.base import govshare, logged_in

ANNOUNCEMENTS_SHOWN = 5
ANNOUNCEMENT_FIELDS = ("title", "body")


@govshare.route("/", endpoint="home")
def home_page() -> Any:
    viewer = pages.current_user()
    return tk.render("home/index.html", {
        "site_role": access.site_role(),
        "figures": home.public_figures(),
        "browse": home.browse(pages.context()),
        "most_used": home.most_used(viewer),
        "announcements": announcements.latest(ANNOUNCEMENTS_SHOWN)["results"],
        "may_announce": access.is_authority(viewer),
    })


def _render(errors: Optional[dict[str, Any]] = None, form: Optional[dict[str, str]] = None,
            status: int = 200) -> Any:
    if not pages.allowed("govshare_announcement_create", {}):
        return tk.abort(403, tk._("Only the data authority may do this."))
    listed = tk.get_action("govshare_announcement_list")(pages.context(), {"limit": 1000})
    editing = request.args.get("edit", "")
    return tk.render("govshare/announcements.html", {
        "announcements": listed["results"], "editing": editing,
        "errors": errors or {}, "form": form or {}}), status


@govshare.route("/govshare/announcements")
@logged_in
def announcement_index() -> Any:
    """The authority's list of announcements, with the form for a new one (or for one
    being corrected: ``?edit=<id>``)."""
    return _render()


def _post(action: str, data: dict[str, str], done: str) -> Any:
    try:
        tk.get_action(action)(pages.context(), data)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ObjectNotFound as error:
        return tk.abort(404, str(error))
    except tk.ValidationError as error:
        return _render(error.error_dict, data, 400)
    tk.h.flash_success(done)
    return tk.redirect_to("govshare.announcement_index")


def _form() -> dict[str, str]:
    return {field: request.form.get(field, "") for field in ANNOUNCEMENT_FIELDS}


@govshare.route("/govshare/announcements", methods=["POST"])
@logged_in
def announcement_create() -> Any:
    return _post("govshare_announcement_create", _form(), tk._("The announcement is published."))


@govshare.route("/govshare/announcements/<id>", methods=["POST"])
@logged_in
def announcement_update(id: str) -> Any:
    return _post("govshare_announcement_update", {"id": id, **_form()},
                 tk._("The announcement is corrected."))


@govshare.route("/govshare/announcements/<id>/delete", methods=["POST"])
@logged_in
def announcement_delete(id: str) -> Any:
    return _post("govshare_announcement_delete", {"id": id},
                 tk._("The announcement is taken down."))
