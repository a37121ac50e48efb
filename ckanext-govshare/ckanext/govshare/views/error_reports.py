"""Error reports (纠错, requirements §4.3): the form on an entry, the lists of the reporter,
the provider department and the authority, and the provider's answer. The pages call the
actions with the user's context."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
import flask
from ckan.lib.pagination import Page
from flask import request

from ckanext.govshare import access, error_reports, pages
from ckanext.govshare.views.base import govshare, logged_in

FORM_FIELDS = ("resource_id", "description", "location", "evidence")
ANSWER_FIELDS = ("outcome", "explanation")
MINE, DEPARTMENT, ALL = "mine", "department", "all"


def _text(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: (form.get(name) or "").strip() for name in names}


@govshare.route("/dataset/<id>/error-report", methods=["GET", "POST"])
@logged_in
def error_report_new(id: str) -> Any:
    """The 纠错 form of an entry."""
    package = pages.shown("package_show", id, tk._("Dataset not found"))
    data: dict[str, str] = {}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data = _text(request.form, FORM_FIELDS)
        upload = error_reports.evidence_upload(request.files.get("evidence"))
        sent = dict(data, package_id=package["id"], **({"evidence": upload} if upload else {}))
        try:
            if upload and data["evidence"]:
                raise tk.ValidationError({"evidence": [
                    tk._("Give the evidence as text or as a file, not both")]})
            created = tk.get_action("govshare_error_report_create")(pages.context(), sent)
        except tk.ValidationError as error:
            errors = error.error_dict
        else:
            tk.h.flash_success(tk._("Thank you: your error report was sent to the provider, "
                                    "who answers by {date}.").format(date=created["deadline"]))
            return tk.redirect_to("govshare.error_report_read", id=created["id"])
    return tk.render("govshare/error_report_form.html", {
        "pkg": package, "data": data, "errors": errors, "fields": list(FORM_FIELDS),
        "resources": pages.package_resources(package["id"]),
        "evidence_types": tk.config.get("govshare.error_report.evidence_types"),
        "evidence_max_mb": tk.config.get("govshare.error_report.evidence_max_mb"),
    }), 400 if errors else 200


def _tabs() -> list[str]:
    user = pages.current_user()
    shown = [MINE]
    if access.department_ids(user):
        shown.append(DEPARTMENT)
    if access.is_authority(user) or access.is_sysadmin(user):
        shown.append(ALL)
    return shown


@govshare.route("/govshare/error-reports")
@logged_in
def error_report_index() -> Any:
    """My reports; my department's to answer (deadline and overdue shown); all, overdue
    first, for the authority."""
    tabs = _tabs()
    tab = request.args.get("tab") if request.args.get("tab") in tabs else tabs[-1]
    departments = pages.my_departments(pages.current_user())
    department = request.args.get("department") or (departments[0]["name"] if departments else None)
    page_number = tk.h.get_page_number(request.args)
    query: dict[str, Any] = {"limit": pages.PER_PAGE, "offset": (page_number - 1) * pages.PER_PAGE}
    if tab == MINE:
        query["mine"] = True
    elif tab == DEPARTMENT:
        query["owner_org"] = department
    if request.args.get("overdue") == "true":
        query["overdue"] = True
    result = tk.get_action("govshare_error_report_list")(pages.context(), query)

    def url(page: int = 1, **_: Any) -> str:
        return tk.h.url_for("govshare.error_report_index", tab=tab, page=page,
                            department=department if tab == DEPARTMENT else None)

    page = Page(collection=result["results"], page=page_number, item_count=result["count"],
                items_per_page=pages.PER_PAGE, presliced_list=True, url=url)
    return tk.render("govshare/error_reports.html", {
        "tabs": tabs, "tab": tab, "page": page, "departments": departments,
        "department": department, "names": pages.labels(_ids(page.items))})


def _ids(reports: list[dict[str, Any]]) -> list[Optional[str]]:
    ids: list[Optional[str]] = []
    for r in reports:
        ids += [r["package_id"], r["resource_id"], r["provider_org"], r["reporter_user"],
                r["resolved_by"]]
        ids += [a["user_id"] for a in r.get("audit") or []]
    return ids


def _show(id: str, errors: Optional[dict[str, Any]] = None,
          form: Optional[dict[str, str]] = None, status: int = 200) -> Any:
    report = pages.shown("govshare_error_report_show", id, tk._("Error report not found"))
    may_answer = report["state"] == error_reports.OPEN and pages.allowed(
        "govshare_error_report_resolve", {"id": id})
    return tk.render("govshare/error_report_read.html", {
        "report": report, "names": pages.labels(_ids([report])), "may_answer": may_answer,
        "errors": errors or {}, "answer": form or {}, "fields": list(ANSWER_FIELDS)}), status


@govshare.route("/govshare/error-reports/<id>")
@logged_in
def error_report_read(id: str) -> Any:
    """A report: what and where, its state and deadline, the answer, the audit trail."""
    return _show(id)


@govshare.route("/govshare/error-reports/<id>/resolve", methods=["POST"])
@logged_in
def error_report_resolve(id: str) -> Any:
    """The provider's answer; errors come back on the form."""
    form = _text(request.form, ANSWER_FIELDS)
    try:
        tk.get_action("govshare_error_report_resolve")(pages.context(), dict(form, id=id))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Error report not found"))
    except tk.ValidationError as error:
        return _show(id, error.error_dict, form, 400)
    except tk.NotAuthorized as error:
        return _show(id, {"id": [str(error)]}, form, 403)
    tk.h.flash_success(tk._("Done: the reporter is told of your answer."))
    return tk.redirect_to("govshare.error_report_read", id=id)


@govshare.route("/govshare/error-reports/<id>/evidence")
@logged_in
def error_report_evidence(id: str) -> Any:
    """The report's evidence file, to those who may see the report (the reporter, the
    provider department, the authority): always a download, never shown inline."""
    report = pages.shown("govshare_error_report_show", id, tk._("Error report not found"))
    shown = report["evidence_file"]
    if not shown:
        return tk.abort(404, tk._("This error report has no evidence file"))
    response = flask.send_file(error_reports.evidence_path(report["id"]), as_attachment=True,
                               mimetype=shown["mimetype"], download_name=shown["name"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
