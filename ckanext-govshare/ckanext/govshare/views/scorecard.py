"""The evaluation scorecard page (第二十八条): for the authority, the live scorecard of a
period with the forms to annotate, publish and record a finding of misuse; for a
department's administrators, the published scorecards (the ranking and their own row).
The rules are in the scorecard actions (logic/action/scorecard.py)."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import access, pages
from ckanext.govshare.views.base import govshare, logged_in

PERIOD_FIELDS = ("year", "date_from", "date_to")


def _period_input(source: Any) -> dict[str, str]:
    return {k: source[k].strip() for k in PERIOD_FIELDS if source.get(k, "").strip()}


def evidence_link(row: dict[str, Any], authority: bool) -> Optional[str]:
    """Where an evidence row's link goes (None: the viewer has no page for it)."""
    kind = row["kind"]
    if kind == "entry":
        return tk.h.url_for("dataset.read", id=row["name"])
    if kind in ("request", "misuse") and row["name"]:
        return tk.h.url_for("govshare.request_read", id=row["name"])
    if kind == "error_report":
        return tk.h.url_for("govshare.error_report_read", id=row["id"])
    if kind == "item" and authority:
        return tk.h.url_for("govshare.sources_index", name=row["name"])
    if kind == "duty_change" and authority:
        return tk.h.url_for("govshare.catalog_desk")
    return None


def _render(form: Optional[dict[str, str]] = None, errors: Optional[dict[str, Any]] = None,
            status: int = 200, source: Any = None) -> Any:
    source = request.args if source is None else source
    asked = _period_input(source)
    owner_org = source.get("owner_org", "").strip()
    data = {**asked, **({"owner_org": owner_org} if owner_org else {})}
    action = tk.get_action("govshare_scorecard")
    period_errors: dict[str, Any] = {}
    card = None
    try:
        card = action(pages.context(), data)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ObjectNotFound:
        card = None
    except tk.ValidationError as error:
        if "owner_org" in error.error_dict:
            return tk.abort(404, " ".join(error.error_dict["owner_org"]))
        period_errors = error.error_dict
        try:
            card = action(pages.context(), {k: v for k, v in data.items()
                                            if k not in PERIOD_FIELDS})
        except tk.ObjectNotFound:
            card = None
    authority = access.is_authority(pages.current_user())
    return tk.render("govshare/scorecard.html", {
        "card": card, "asked": asked, "owner_org": owner_org, "authority": authority,
        "errors": {**period_errors, **(errors or {})}, "form": form or {},
        "link": lambda row: evidence_link(row, authority),
    }), status


@govshare.route("/govshare/scorecard")
@logged_in
def scorecard_index() -> Any:
    """The scorecard of a period (``year`` or ``date_from``/``date_to``), one department's
    row in full with ``owner_org``."""
    return _render()


def _post(action: str, fields: tuple[str, ...], done: str) -> Any:
    form = {field: request.form.get(field, "") for field in fields}
    data = {k: v for k, v in form.items() if v.strip() or k in ("note", "description")}
    try:
        tk.get_action(action)(pages.context(), data)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError as error:
        return _render(form, error.error_dict, 400, request.form)
    tk.h.flash_success(done)
    back = _period_input(request.form)
    if request.form.get("owner_org", "").strip():
        back["owner_org"] = request.form["owner_org"].strip()
    return tk.redirect_to("govshare.scorecard_index", **back)


@govshare.route("/govshare/scorecard/publish", methods=["POST"])
@logged_in
def scorecard_publish() -> Any:
    return _post("govshare_scorecard_publish", PERIOD_FIELDS,
                 tk._("The scorecard is published to the departments."))


@govshare.route("/govshare/scorecard/annotate", methods=["POST"])
@logged_in
def scorecard_annotate() -> Any:
    return _post("govshare_scorecard_annotate", PERIOD_FIELDS + ("owner_org", "note"),
                 tk._("The note is saved; publish the scorecard (again) for the department "
                      "to see it."))


@govshare.route("/govshare/scorecard/misuse", methods=["POST"])
@logged_in
def scorecard_misuse() -> Any:
    return _post("govshare_misuse_record", ("grant_id", "request_id", "description", "found_on"),
                 tk._("The finding is recorded."))
