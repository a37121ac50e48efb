"""Cache headers of the static files, which CKAN marks ``max-age=0, must-revalidate`` like
everything it does not render (`ckan.cache_expires` would apply to the API as well).

Compiled webassets carry their content's hash in their name, so a browser keeps them for
good; the other public files (/base/, govshare.css) are kept an hour, then revalidated
by their ETag. The headers are set once the response is final, after CKAN's own
after-request handler."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, request, request_finished

__all__ = ["caching"]

caching = Blueprint("govshare_caching", __name__)

WEBASSETS_MAX_AGE = 365 * 24 * 3600
STATIC_MAX_AGE = 3600


def _cache_static(sender: Flask, response: Response, **extra: Any) -> None:
    if response.status_code not in (200, 304):
        return
    if request.endpoint == "webassets.index":
        response.cache_control.max_age = WEBASSETS_MAX_AGE
        response.cache_control.immutable = True
    elif request.endpoint == "static":
        response.cache_control.max_age = STATIC_MAX_AGE
    else:
        return
    # Flask's send_file marks files served without a max age no-cache.
    response.cache_control.no_cache = None
    response.cache_control.must_revalidate = False
    response.cache_control.public = True


@caching.record_once
def _connect(state: Any) -> None:
    request_finished.connect(_cache_static, state.app)
