"""The WeChat share code of a page (sharing.py): an SVG image, fetched only when the visitor
opens the share box, so the pages themselves pay nothing for it."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Response, request

from ckanext.govshare import sharing
from ckanext.govshare.views.base import govshare


@govshare.route("/govshare/share-qr.svg")
def share_qr() -> Any:
    """``path``: the page on this site to encode."""
    url = sharing.page_url(request.args.get("path", ""))
    code = sharing.qr_svg(url) if url else None
    if code is None:
        return tk.abort(400, tk._("Only a page of this site can be shared."))
    return Response(code, mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=86400"})
