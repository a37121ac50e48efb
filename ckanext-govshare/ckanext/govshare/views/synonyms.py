"""The data authority's page of search synonyms (synonyms.py): add a pair, take one off.
A change is searched with as soon as the page answers (the cores are reloaded)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import pages
from ckanext.govshare.views.base import govshare, logged_in

FIELDS = ("term", "synonym")


def _render(errors: Optional[dict[str, Any]] = None, form: Optional[dict[str, str]] = None,
            status: int = 200) -> Any:
    if not pages.allowed("govshare_synonym_create", {}):
        return tk.abort(403, tk._("Only the data authority may do this."))
    listed = tk.get_action("govshare_synonym_list")(pages.context(), {})
    return tk.render("govshare/synonyms.html", {
        "synonyms": listed, "errors": errors or {}, "form": form or {}}), status


@govshare.route("/govshare/synonyms")
@logged_in
def search_synonym_index() -> Any:
    """The list, with the form for a new pair."""
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
    return tk.redirect_to("govshare.search_synonym_index")


@govshare.route("/govshare/synonyms", methods=["POST"])
@logged_in
def search_synonym_create() -> Any:
    return _post("govshare_synonym_create",
                 {field: request.form.get(field, "") for field in FIELDS},
                 tk._("The synonyms are added: a search for either word finds both from now on."))


@govshare.route("/govshare/synonyms/<id>/delete", methods=["POST"])
@logged_in
def search_synonym_delete(id: str) -> Any:
    return _post("govshare_synonym_delete", {"id": id}, tk._("The synonyms are taken off the list."))
