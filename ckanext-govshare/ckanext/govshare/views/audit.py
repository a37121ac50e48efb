"""The security audit log for the data authority (its page and CSV export), and the two
app-wide hooks of the audit: sign-in throttling before the login form is read, and the
record of exports after they are served."""
from __future__ import annotations

from typing import Any, Iterator

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from flask import Response, request, stream_with_context

from ckanext.govshare import audit, pages, signin
from ckanext.govshare.logic.schema import PAGE
from ckanext.govshare.views.base import govshare, logged_in

PER_PAGE = 50
FILTERS = ("actor", "event", "since")


def _filters() -> dict[str, str]:
    return {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}


def _list(query: dict[str, Any]) -> dict[str, Any]:
    try:
        return tk.get_action("govshare_audit_list")(pages.context(), query)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


@govshare.route("/govshare/audit")
@logged_in
def audit_index() -> Any:
    """Security events, filtered by user, event and start time, newest first."""
    filters = _filters()
    page_number = tk.h.get_page_number(request.args)
    errors: dict[str, Any] = {}
    try:
        result = _list(dict(filters, limit=PER_PAGE, offset=(page_number - 1) * PER_PAGE))
    except tk.ValidationError as error:
        errors, result = error.error_dict, {"count": 0, "results": []}

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.audit_index", page=page, **filters)

    page = Page(collection=result["results"], page=page_number,
                      item_count=result["count"], items_per_page=PER_PAGE,
                      presliced_list=True, url=url)
    return tk.render("govshare/audit.html", {
        "page": page, "filters": filters, "errors": errors, "labels": audit.labels(),
        "events": audit.known_events(), "outcome_label": audit.outcome_label})


@govshare.route("/govshare/audit.csv")
@logged_in
def audit_csv() -> Any:
    """Every record of the filtered list as CSV (the export itself is recorded)."""
    filters = _filters()
    first = _list(dict(filters, limit=PAGE, offset=0))  # refusals and bad filters answer here

    def records() -> Iterator[dict[str, Any]]:
        result, offset = first, 0
        while result["results"]:
            yield from result["results"]
            offset += PAGE
            result = _list(dict(filters, limit=PAGE, offset=offset))

    return Response(stream_with_context(audit.rows_csv(records())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=govshare-audit.csv"})


@govshare.before_app_request
def _sign_in_throttled() -> Any:
    return signin.refuse_throttled()


@govshare.after_app_request
def _exports_recorded(response: Response) -> Response:
    return audit.exported(response)
