"""The national exchange format's pages: the XSD, and a department's catalog and the whole
catalog as exchange documents, beside the spreadsheet exports (views/imports.py) and with
their access: the same entries as the spreadsheet gives the same user."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Response, stream_with_context

from ckanext.govshare import access, exchange_xml, pages
from ckanext.govshare.views.base import govshare, logged_in
from ckanext.govshare.views.imports import department

XML = "application/xml"


@govshare.route(exchange_xml.XSD_PATH)
def exchange_xsd() -> Response:
    """The XSD, open to everyone on every site: it describes the format, never an entry."""
    return Response(exchange_xml.xsd(), mimetype=XML)


def _document(org_id: Optional[str], filename: str) -> Response:
    """The exchange document, streamed: the entries are read and written as the client
    takes them (CKAN closes the request's session before the body; the stream has its own)."""
    user = pages.current_user()
    user_id = user.id if user else None

    def body() -> Any:
        try:
            yield from exchange_xml.export(user_id, org_id)
        finally:
            model.Session.remove()

    return Response(stream_with_context(body()), mimetype=XML, headers={
        "Content-Disposition": f"attachment; filename={filename}"})


@govshare.route("/organization/<id>/catalog.xml")
def catalog_xml(id: str) -> Response:
    """A department's catalog: what the viewer may see of it (its drafts to the
    department only)."""
    org = department(id)
    return _document(org.id, f"{org.name}-catalog.xml")


@govshare.route("/govshare/catalog.xml")
@logged_in
def catalog_xml_all() -> Any:
    """The whole registered catalog, for the data authority."""
    if not access.is_authority(pages.current_user()):
        return tk.abort(403, tk._("Only the data authority may do this."))
    return _document(None, "catalog.xml")
