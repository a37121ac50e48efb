"""Static files are served with cache headers (`make run` has no nginx in front): compiled
webassets, whose names carry their content's hash, for good; other public files for an
hour, then revalidated; pages and API answers not at all."""
from __future__ import annotations

import os

from ckan.lib import webassets_tools


def test_webassets_are_kept_for_good(app):
    folder = os.path.join(webassets_tools.get_webassets_path(), "base")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "0123abcd_test.css"), "w") as out:
        out.write("body {}\n")
    cache = app.get("/webassets/base/0123abcd_test.css").headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache
    assert "no-cache" not in cache and "must-revalidate" not in cache


def test_public_files_are_kept_an_hour_then_revalidated(app):
    answer = app.get("/govshare.css")
    assert answer.status_code == 200
    cache = answer.headers["Cache-Control"]
    assert "public" in cache and "max-age=3600" in cache and "no-cache" not in cache
    again = app.get("/govshare.css", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_api_answers_are_not_cached(app):
    cache = app.get("/api/3/action/status_show").headers["Cache-Control"]
    assert "max-age=3600" not in cache and "immutable" not in cache
