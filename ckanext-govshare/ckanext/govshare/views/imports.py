"""The catalog spreadsheet pages: export of a department's catalog (and of the whole
catalog for the authority) in the national template, and the import page: upload, dry-run
preview with the error table, then the import as an RQ job with its progress."""
from __future__ import annotations

import io
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Response, request

from ckanext.govshare import access, catalog_import, catalog_io, pages
from ckanext.govshare.views.base import govshare, logged_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def department(id: str) -> model.Group:
    org = model.Group.get(id)
    if org is None or not org.is_organization or org.state != "active":
        return tk.abort(404, tk._("Department not found"))
    return org


def _workbook(org_id: Optional[str], filename: str) -> Response:
    out = io.BytesIO()
    catalog_io.export(pages.current_user(), org_id, out)
    return Response(out.getvalue(), mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename={filename}"})


@govshare.route("/organization/<id>/catalog.xlsx")
def catalog_export(id: str) -> Any:
    """A department's catalog in the template: what the viewer may see of it (its drafts
    to the department only)."""
    org = department(id)
    return _workbook(org.id, f"{org.name}-catalog.xlsx")


@govshare.route("/govshare/catalog.xlsx")
@logged_in
def catalog_export_all() -> Any:
    """The whole registered catalog, for the data authority."""
    if not access.is_authority(pages.current_user()):
        return tk.abort(403, tk._("Only the data authority may do this."))
    return _workbook(None, "catalog.xlsx")


def _page(org: model.Group, result: Optional[dict[str, Any]] = None,
          token: Optional[str] = None, errors: Optional[list[str]] = None,
          status: int = 200) -> Any:
    return tk.render("govshare/catalog_import.html", {
        "org": org, "result": result, "token": token, "errors": errors or [],
        "headers": catalog_io.headers()}), status


@govshare.route("/organization/<id>/catalog/import", methods=["GET", "POST"])
@logged_in
def catalog_import_page(id: str) -> Any:
    """Upload → dry run (the counts and every bad row) → import as a job."""
    org = department(id)
    user = pages.current_user()
    if not pages.allowed("govshare_catalog_import", {"owner_org": org.id}):
        return tk.abort(403, tk._("Only an administrator of the department (or the data "
                                  "authority) may import its catalog."))
    if request.method == "GET":
        return _page(org)
    token = request.form.get("token")
    if token:  # the previewed file: import it
        state = catalog_import.job_state(token)
        if state is None or state["user_id"] != user.id or state["owner_org"] != org.id:
            return tk.abort(404, tk._("Import not found"))
        tk.enqueue_job(catalog_import.run_job, [token], title=f"govshare catalog import {org.name}",
                       rq_kwargs={"timeout": 3600})
        return tk.redirect_to("govshare.catalog_import_status", token=token)
    upload = request.files.get("upload")
    if upload is None or not upload.filename:
        return _page(org, errors=[tk._("Upload a file (.xlsx, .csv or .xml)")], status=400)
    content = upload.read()
    try:
        result = tk.get_action("govshare_catalog_import")(pages.context(), {
            "owner_org": org.id, "upload": _Upload(content, upload.filename), "dry_run": True})
    except tk.ValidationError as error:
        return _page(org, errors=[m for ms in error.error_dict.values() for m in ms], status=400)
    token = None if result["errors"] else catalog_import.keep(user, org, content,
                                                              upload.filename)
    return _page(org, result=result, token=token, status=400 if result["errors"] else 200)


class _Upload:
    """The uploaded file again, after its bytes were read for keeping."""

    def __init__(self, content: bytes, filename: str):
        self.stream, self.filename = io.BytesIO(content), filename


@govshare.route("/govshare/catalog/import/<token>")
@logged_in
def catalog_import_status(token: str) -> Any:
    """The progress of one's import job, and its result."""
    state = catalog_import.job_state(token)
    user = pages.current_user()
    if state is None or (state["user_id"] != user.id and not user.sysadmin):
        return tk.abort(404, tk._("Import not found"))
    return tk.render("govshare/catalog_import_status.html", {
        "state": state, "org": model.Group.get(state["owner_org"])})
