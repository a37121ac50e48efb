"""The data authority's dashboard (and a department's: the same page for one department):
the live figures of figures.py with charts drawn here as SVG (the intranet reaches no CDN),
each chart linking to the list behind it."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import request

from ckanext.govshare import access, charts, codes, figures, pages
from ckanext.govshare import schema as catalog
from ckanext.govshare.views.base import govshare, logged_in

PERIOD_FIELDS = ("year", "date_from", "date_to")
DEFAULT_RANK = f"catalog_state_{codes.REGISTERED}"
TOP = 10


def _period_input() -> dict[str, str]:
    return {k: request.args[k].strip() for k in PERIOD_FIELDS if request.args.get(k, "").strip()}


def _own_department() -> Optional[str]:
    """A department admin who is not the authority sees its department's dashboard."""
    user = pages.current_user()
    if access.is_authority(user):
        return None
    own = sorted(access.department_ids(user, ("admin",)))
    return own[0] if len(own) == 1 else None


@govshare.route("/govshare/dashboard")
@logged_in
def dashboard() -> Any:
    """The city's figures for the authority, a department's for its admins
    (``owner_org``); the period is a ``year`` or ``date_from``/``date_to``."""
    owner_org = request.args.get("owner_org", "").strip() or _own_department()
    asked = _period_input()
    errors: dict[str, Any] = {}
    action = tk.get_action("govshare_department_figures")
    data = {**asked, **({"owner_org": owner_org} if owner_org else {})}
    try:
        found = action(pages.context(), data)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError as error:
        if "owner_org" in error.error_dict:
            return tk.abort(404, tk._("Department not found"))
        errors = error.error_dict
        found = action(pages.context(), {k: v for k, v in data.items() if k not in PERIOD_FIELDS})
    span = figures.Period(datetime.date.fromisoformat(found["period"]["date_from"]),
                          datetime.date.fromisoformat(found["period"]["date_to"]))
    department = found["departments"][0] if found["city"] is None else None
    shown = department["figures"] if department else found["city"]
    org_ids = [department["id"]] if department else None
    name = department["name"] if department else None
    rank = request.args.get("rank") if request.args.get("rank") in figures.keys() else DEFAULT_RANK
    labels = {f["key"]: f"{f['group']}：{f['label']}" for f in found["figures"]}
    return tk.render("govshare/dashboard.html", {
        "found": found, "shown": shown, "department": department, "errors": errors,
        "asked": asked, "rank": rank, "labels": labels,
        "groups": figures.groups(),
        "share_chart": charts.bars([
            (catalog.choice_label("share_type", code), shown[f"share_type_{code}"],
             tk.h.url_for("dataset.search", share_type=code, organization=name))
            for code in codes.SHARE_STRICTNESS]),
        "month_chart": charts.months(figures.monthly(span, org_ids), name),
        "overdue_chart": charts.bars(_per_department(found, "update_overdue", lambda d: tk.h.url_for(
            "govshare.timeliness_index", owner_org=d["name"], overdue="true"))),
        "reports_chart": charts.bars(_per_department(found, "error_reports_open", lambda d: tk.h.url_for(
            "govshare.error_report_index", tab="department" if department else "all",
            department=d["name"] if department else None))),
        "top_chart": charts.bars([(e["title"] or e["name"], e["uses"],
                             tk.h.url_for("dataset.read", id=e["name"]))
                            for e in _seen(figures.top_entries(span, org_ids, TOP * 3))[:TOP]]),
        "rank_chart": None if department else charts.bars(
            _ranked(found, rank), percent=rank.endswith(("_share", "_rate"))),
    })


def _seen(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only the entries the viewer may see are named (the authority and the department's own
    admins see them all: this is the visibility rule's word, not an assumption)."""
    user = pages.current_user()
    return [e for e in entries if access.can_see_entry(user, model.Package.get(e["id"]))]


def _per_department(found: dict[str, Any], key: str, link: Any) -> list[tuple[str, Any, str]]:
    """One bar per department with a non-zero figure, largest first (a department's own
    dashboard: its one bar)."""
    rows = [d for d in found["departments"] if d["figures"][key] or found["city"] is None]
    rows.sort(key=lambda d: -(d["figures"][key] or 0))
    return [(d["title"], d["figures"][key], link(d)) for d in rows]


def _ranked(found: dict[str, Any], key: str) -> list[tuple[str, Any, str]]:
    """Departments by one figure, highest first; those without it (no requests: no rate) last."""
    rows = sorted(found["departments"],
                  key=lambda d: (d["figures"][key] is None, -(d["figures"][key] or 0), d["title"]))
    return [(d["title"], d["figures"][key],
             tk.h.url_for("govshare.dashboard", owner_org=d["name"])) for d in rows]
