"""The user centre (个人中心): what concerns the signed-in person first, whoever they are.

A citizen's own applications, not a department's desk: 我的申请 (requests and applications
they filed, open ones first by deadline), 我的授权 (grants held by them or their departments,
with expiry), 我的使用 (their own uses of granted data) and 通知. CKAN's dashboard and the
page after login lead here.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import access, pages, workdays, workflow
from ckanext.govshare.views.base import govshare, logged_in

REQUESTS, GRANTS, USAGE, NOTIFICATIONS = "requests", "grants", "usage", "notifications"
TABS = (REQUESTS, GRANTS, USAGE, NOTIFICATIONS)
LISTED = 50  # of each kind of request, and of usage records


def _my_requests() -> list[dict[str, Any]]:
    """The caller's own requests of every kind this site offers: pending ones first,
    soonest deadline first, then the decided ones, newest first."""
    mine = [r for kind in pages.kinds() for r in tk.get_action("govshare_request_list")(
        pages.context(), {"kind": kind, "mine": True, "limit": LISTED})["results"]]
    pending = sorted((r for r in mine if r["state"] == workflow.PENDING),
                     key=lambda r: (r["deadline"] or "", r["created"]))
    decided = sorted((r for r in mine if r["state"] != workflow.PENDING),
                     key=lambda r: r["created"], reverse=True)
    return pending + decided


def _my_grants(user: Any) -> list[dict[str, Any]]:
    """Grants held by the user or one of their departments (not those their department
    gave out as provider: the grant list page shows those), active ones first."""
    list_grants = tk.get_action("govshare_grant_list")
    held = list_grants(pages.context(), {"grantee_user": user.id})
    for department_id in sorted(access.department_ids(user)):
        held += list_grants(pages.context(), {"grantee_org": department_id})
    return sorted(held, key=lambda g: (not g["active"], g["valid_until"]))


def grant_state(grant: dict[str, Any]) -> str:
    if grant["revoked"]:
        return tk._("Revoked")
    if grant["active"]:
        return tk._("In force")
    if grant["valid_from"] > workdays.today().isoformat():
        return tk._("Not yet in force")
    return tk._("Expired")


def _counts(requests: list[dict[str, Any]], grants: list[dict[str, Any]]) -> dict[str, int]:
    return {REQUESTS: sum(r["state"] == workflow.PENDING for r in requests),
            GRANTS: sum(bool(g["active"]) for g in grants),
            NOTIFICATIONS: pages.unread_count(pages.current_user())}


@govshare.route("/govshare/me")
@logged_in
def user_centre() -> Any:
    """个人中心: the tabs; only the notifications tab marks notifications seen."""
    user = pages.current_user()
    tab = request.args.get("tab") if request.args.get("tab") in TABS else REQUESTS
    requests, grants = _my_requests(), _my_grants(user)
    usage = (pages.usage_rows(tk.get_action("govshare_usage_list")(
        pages.context(), {"mine": True, "limit": LISTED})) if tab == USAGE else [])
    notes = (tk.get_action("govshare_notification_list")(pages.context(), {})
             if tab == NOTIFICATIONS else [])
    counts = _counts(requests, grants)
    if tab == NOTIFICATIONS:
        counts[NOTIFICATIONS] = 0
    return tk.render("govshare/user_centre.html", {
        "tab": tab, "tabs": TABS, "counts": counts, "requests": requests,
        "grants": [dict(g, state_label=grant_state(g)) for g in grants],
        "usage": usage, "notes": notes,
        "departments": pages.my_departments(user),
        "names": pages.labels(pages.request_ids(requests) + [
            i for g in grants for i in [g["package_id"], g["grantee_org"]]
            + (g["resource_ids"] or [])])})


@govshare.route("/dashboard/")
@logged_in
def ckan_dashboard() -> Any:
    """CKAN's dashboard (an activity feed) shows the user centre here."""
    return user_centre()
