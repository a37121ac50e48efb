"""The annual report's pages (reports.py): the city's at /govshare/report/<year>, a
department's at /organization/<name>/report/<year>, each with its figures as tables and
charts, the texts (and the form to write them, for who may), and the XLSX and PDF downloads
at the same address with .xlsx / .pdf."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from flask import Response, request

from ckanext.govshare import charts, codes, pages, report_pdf, report_xlsx, reports, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.views.base import govshare

FILES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}
# The figures of the departments' comparison table on the city page.
COMPARED = ("entries", "shared_share", "open_share", "share_requests_received",
            "share_requests_on_time_rate", "update_overdue", "error_reports_received",
            "error_reports_resolved_in_time")


@govshare.route("/govshare/report")
def report_index() -> Any:
    """Last year's city report: the one being written now."""
    return tk.redirect_to("govshare.report_city", year=reports.last_year())


@govshare.route("/govshare/report/<year>", methods=["GET", "POST"])
def report_city(year: str) -> Any:
    """The city report; the authority writes and publishes the summary here."""
    return _page(year, None)


@govshare.route("/govshare/report/<year>.<any(xlsx, pdf):kind>")
def report_city_file(year: str, kind: str) -> Any:
    return _file(year, None, kind)


@govshare.route("/organization/<id>/report/<year>", methods=["GET", "POST"])
def report_department(id: str, year: str) -> Any:
    """A department's report; its admins write and submit the narrative here."""
    return _page(year, id)


@govshare.route("/organization/<id>/report/<year>.<any(xlsx, pdf):kind>")
def report_department_file(id: str, year: str, kind: str) -> Any:
    return _file(year, id, kind)


def _shown(year: str, department: Optional[str]) -> dict[str, Any]:
    """The report as the user may see it, or the page's 400 (a year that is not one), 404
    (no such year or department) or 403 (anonymous users are sent to log in)."""
    data = {"year": year, **({"owner_org": department} if department else {})}
    try:
        return tk.get_action("govshare_annual_report_show")(pages.context(), data)
    except tk.ValidationError as error:
        if "owner_org" in error.error_dict:
            return tk.abort(404, tk._("Department not found"))
        message = " ".join(error.error_dict.get("year", []))
        return tk.abort(404 if year.isdigit() else 400, f"{tk._('Year')}: {message}")
    except tk.NotAuthorized as error:
        if pages.current_user() is None:
            return tk.redirect_to("user.login", came_from=request.full_path)
        return tk.abort(403, str(error))


def _file(year: str, department: Optional[str], kind: str) -> Any:
    shown = _shown(year, department)
    if isinstance(shown, Response):
        return shown
    body = report_xlsx.workbook(shown) if kind == "xlsx" else report_pdf.document(shown)
    return Response(body, mimetype=FILES[kind], headers={
        "Content-Disposition": f'attachment; filename="{reports.file_name(shown)}.{kind}"'})


def _page(year: str, department: Optional[str]) -> Any:
    errors: dict[str, Any] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {"narrative": request.form.get("narrative", "")}
        done = _write(year, department, form)
        if isinstance(done, Response):
            return done
        errors = done
    shown = _shown(year, department)
    if isinstance(shown, Response):
        return shown
    values = shown["department"]["figures"] if shown["department"] else shown["city"]
    name = shown["department"]["name"] if shown["department"] else None
    return tk.render("govshare/report.html", {
        "shown": shown, "values": values, "errors": errors, "form": form,
        "first_year": workdays.FIRST_YEAR,
        "groups": _groups(shown), "compared": COMPARED,
        "labels": {f["key"]: f["label"] for f in shown["figures"]},
        "share_chart": charts.bars([
            (catalog.choice_label("share_type", code), values[f"share_type_{code}"],
             tk.h.url_for("dataset.search", share_type=code, organization=name))
            for code in codes.SHARE_STRICTNESS]),
        "month_chart": charts.months(shown["months"], name),
        "rank_chart": None if name else charts.bars([
            (d["title"], d["figures"]["shared_share"],
             tk.h.url_for("govshare.report_department", id=d["name"], year=shown["year"]))
            for d in sorted(shown["departments"], key=lambda d: (
                d["figures"]["shared_share"] is None, -(d["figures"]["shared_share"] or 0)))],
            percent=True),
    }), 400 if errors else 200


def _groups(shown: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The figures by group, in the order of figures.groups()."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for figure in shown["figures"]:
        grouped.setdefault(figure["group"], []).append((figure["key"], figure["label"]))
    return list(grouped.items())


def _write(year: str, department: Optional[str], form: dict[str, str]) -> Any:
    """Save the draft (``save``) or submit / publish it (``submit``); the errors, or the
    redirect to the page."""
    submit = request.form.get("action") == "submit"
    action = "govshare_annual_report_submit" if submit else "govshare_annual_report_update"
    data = {"year": year, **form, **({"owner_org": department} if department else {})}
    try:
        tk.get_action(action)(pages.context(), data)
    except tk.ValidationError as error:
        if "owner_org" in error.error_dict:
            return tk.abort(404, tk._("Department not found"))
        return error.error_dict
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    if submit:
        tk.h.flash_success(tk._("The report was published.") if department is None
                           else tk._("The report was submitted."))
    else:
        tk.h.flash_success(tk._("The draft was saved."))
    return tk.redirect_to(request.path)
