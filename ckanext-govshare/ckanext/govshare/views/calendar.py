"""The working-day calendar page: everyone logged in reads it, the data authority enters
a year's official arrangement. The rules are in the calendar actions."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import request

from ckanext.govshare import pages, workdays
from ckanext.govshare.views.base import govshare, logged_in

FIELDS = ("holidays", "workdays", "note")


def _form(shown: dict[str, Any]) -> dict[str, str]:
    """The form filled with what the year counts now (the library's days, for a year to confirm)."""
    return {"holidays": "\n".join(d["date"] for d in shown["holidays"] if d["source"] != "config"),
            "workdays": "\n".join(d["date"] for d in shown["workdays"] if d["source"] != "config"),
            "note": shown["note"] or ""}


def _render(year: int, form: Optional[dict[str, str]] = None,
            errors: Optional[dict[str, Any]] = None, status: int = 200) -> Any:
    try:
        shown = tk.get_action("govshare_calendar_show")(pages.context(), {"year": year})
    except tk.ValidationError:
        return tk.abort(404, tk._("No calendar for this year"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    this_year = workdays.today().year
    return tk.render("govshare/calendar.html", {
        "cal": shown, "form": form or _form(shown), "errors": errors or {},
        "may_edit": pages.allowed("govshare_calendar_update", {"year": year}),
        "unknown_ahead": workdays.unknown_years_ahead(workdays.today()),
        "years": [(y, workdays.is_known(y)) for y in range(this_year - 1, this_year + 3)],
    }), status


@govshare.route("/govshare/calendar")
@logged_in
def calendar_index() -> Any:
    """This year's calendar."""
    return _render(workdays.today().year)


@govshare.route("/govshare/calendar/<int:year>", methods=["GET", "POST"])
@logged_in
def calendar_read(year: int) -> Any:
    """A year's days off and makeup working days; the authority's form to enter them."""
    if request.method == "GET":
        return _render(year)
    if not pages.allowed("govshare_calendar_update", {"year": year}):
        return tk.abort(403, tk._("Only the data authority may do this."))
    form = {field: request.form.get(field, "") for field in FIELDS}
    try:
        tk.get_action("govshare_calendar_update")(pages.context(), {**form, "year": year})
    except tk.ValidationError as error:
        return _render(year, form, error.error_dict, 400)
    tk.h.flash_success(tk._("The arrangement of {year} is saved: deadlines count it from now on.")
                       .format(year=year))
    return tk.redirect_to("govshare.calendar_read", year=year)
