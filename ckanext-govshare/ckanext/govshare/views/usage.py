"""The usage record (how granted data was used) and the user's notifications."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Response, request

from ckanext.govshare import pages
from ckanext.govshare.views.base import govshare, logged_in


def _usage_filters() -> dict[str, str]:
    return {k: request.args[k] for k in ("provider_org", "package_id") if request.args.get(k)}


def _usage_rows() -> list[dict[str, str]]:
    try:
        records = tk.get_action("govshare_usage_list")(pages.context(), _usage_filters())
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    return pages.usage_rows(records)


@govshare.route("/govshare/usage")
@logged_in
def usage_index() -> Any:
    """How the provider's (or, for the authority, every) granted data was used."""
    return tk.render("govshare/usage.html", {
        "rows": _usage_rows(), "headings": pages.usage_headings(), "filters": _usage_filters()})


@govshare.route("/govshare/usage.csv")
@logged_in
def usage_csv() -> Any:
    """The same records as CSV (UTF-8 with BOM, for Excel)."""
    return Response(pages.usage_csv(_usage_rows()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=govshare-usage.csv"})


@govshare.route("/govshare/notifications")
@logged_in
def notifications() -> Any:
    """The user's notifications, newest first; the action marks those shown as seen."""
    notes = tk.get_action("govshare_notification_list")(pages.context(), {})
    return tk.render("govshare/notifications.html", {"notes": notes})
