"""The data authority's page of duplicate collection (重复采集): items several departments
provide, their source departments, the designate form and the synonym list. The rules are
in the source actions (logic/action/sources.py)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import pages
from ckanext.govshare.views.base import govshare, logged_in


def _render(errors: Optional[dict[str, Any]] = None, form: Optional[dict[str, str]] = None,
            status: int = 200, kind: str = "") -> Any:
    """The page; after a refused form, with its errors (``kind``: ``synonym`` shows them on
    the synonym form's fields)."""
    context = pages.context()
    try:
        duplicates = tk.get_action("govshare_info_item_duplicates")(context, {})
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    looked_up, name = None, request.args.get("name", "").strip()
    if name:
        try:
            looked_up = tk.get_action("govshare_info_item_sources")(context, {"name": name})
        except tk.ValidationError as error:
            errors = {**(errors or {}), **error.error_dict}
    return tk.render("govshare/sources.html", {
        "duplicates": duplicates, "looked_up": looked_up, "name": name,
        "synonyms": tk.get_action("govshare_info_item_synonym_list")(context, {}),
        "errors": errors or {}, "form": form or {}, "kind": kind,
    }), status


@govshare.route("/govshare/sources")
@logged_in
def sources_index() -> Any:
    """Duplicate collection, a look-up of one item, the synonym list."""
    return _render()


def _post(action: str, fields: tuple[str, ...], done: str, kind: str = "") -> Any:
    form = {field: request.form.get(field, "") for field in fields}
    try:
        tk.get_action(action)(pages.context(), form)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError as error:
        return _render(error.error_dict, form, 400, kind)
    tk.h.flash_success(done)
    return tk.redirect_to("govshare.sources_index")


@govshare.route("/govshare/sources/designate", methods=["POST"])
@logged_in
def sources_designate() -> Any:
    return _post("govshare_source_designate", ("name", "owner_org"),
                 tk._("The source department is designated."))


@govshare.route("/govshare/sources/synonyms", methods=["POST"])
@logged_in
def synonym_create() -> Any:
    return _post("govshare_info_item_synonym_create", ("name", "synonym"),
                 tk._("The synonym is added: both names are one item from now on."), "synonym")


@govshare.route("/govshare/sources/synonyms/delete", methods=["POST"])
@logged_in
def synonym_delete() -> Any:
    return _post("govshare_info_item_synonym_delete", ("synonym",),
                 tk._("The synonym is taken off the list."))
