"""What the home page shows: the public statistics (the authority's figures), the entries
to browse by theme and by department, the latest and the most used entries.

The figures and the ranking of the most used entries are aggregates over the whole
platform, the same for everyone: they are kept in Redis for ``govshare.home.cache_seconds``
(the home page is the most visited page; its statistics may be that old). What each
visitor is shown of the ranking is cut to the entries they may see, on every view, by the
one visibility rule (access.visible_clause); latest entries and the counts to browse by are
one search as the visitor, which permission labels filter.
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.redis import connect_to_redis

from ckanext.govshare import access, codes, figures, workdays
from ckanext.govshare import schema as catalog

LATEST = 6       # latest entries shown
MOST_USED = 6    # most used entries shown
RANKED = 100     # most used entries kept in the cache, before cutting to the visitor's
_KEY = "govshare:home:{name}"


def _cached(name: str, compute: Callable[[], Any]) -> Any:
    seconds = tk.config.get("govshare.home.cache_seconds")
    if not seconds:
        return compute()
    redis, key = connect_to_redis(), _KEY.format(name=name)
    kept = redis.get(key)
    if kept is not None:
        return json.loads(kept)
    value = compute()
    redis.set(key, json.dumps(value), ex=seconds)
    return value


def forget() -> None:
    """Drop the kept figures and ranking (the next home page computes them again)."""
    connect_to_redis().delete(*(_KEY.format(name=n) for n in ("figures", "ranking")))


def public_figures() -> dict[str, int]:
    """entries, departments, open_entries, downloads, applications (figures.public)."""
    return _cached("figures", figures.public)


def _ranking() -> list[list[Any]]:
    """[entry id, uses] of the most used entries of all time (figures.top_entries)."""
    span = figures.Period(datetime.date(workdays.FIRST_YEAR, 1, 1), workdays.today())
    return [[row["id"], row["uses"]] for row in figures.top_entries(span, limit=RANKED)]


def most_used(viewer: Optional[model.User], limit: int = MOST_USED) -> list[dict[str, Any]]:
    """The most used registered entries that ``viewer`` may see, with their uses, most first:
    id, name, title, uses, department (title), share_type, open_type."""
    ranking = _cached("ranking", _ranking)
    if not ranking:
        return []
    uses = dict((entry_id, count) for entry_id, count in ranking)
    rows = (model.Session.query(model.Package.id, model.Package.name, model.Package.title,
                                model.Package.extras, model.Group.title.label("department"))
            .outerjoin(model.Group, model.Group.id == model.Package.owner_org)
            .filter(model.Package.id.in_(list(uses)), model.Package.state == "active",
                    access.registered_clause(), access.visible_clause(viewer)))
    shown = [{"id": row.id, "name": row.name, "title": row.title, "uses": uses[row.id],
              "department": row.department or "",
              "share_type": (row.extras or {}).get("share_type"),
              "open_type": (row.extras or {}).get("open_type")} for row in rows]
    shown.sort(key=lambda e: (-e["uses"], e["title"]))
    return shown[:limit]


def browse(context: dict[str, Any]) -> dict[str, Any]:
    """One search as the page's visitor: the latest registered entries and, over all the
    registered entries they may see, the count per theme and per department.

    Returns ``{count, latest, themes: [{name, display_name, count}], departments: [...]}``;
    themes in the catalog's order (every theme, empty ones too), departments most first."""
    found = tk.get_action("package_search")(dict(context), {
        "q": "", "fq": f'+catalog_state:"{codes.REGISTERED}"', "rows": LATEST,
        "sort": "metadata_created desc", "include_private": True,
        "facet.field": ["themes", "organization"], "facet.limit": -1})
    facets = found.get("search_facets") or {}
    counts = {i["name"]: i["count"] for i in (facets.get("themes") or {}).get("items", [])}
    themes = [{"name": code, "display_name": catalog.choice_label("themes", code),
               "count": counts.get(code, 0)} for code in catalog.choice_values("themes")]
    departments = sorted((facets.get("organization") or {}).get("items", []),
                         key=lambda i: (-i["count"], i["display_name"]))
    return {"count": found["count"], "latest": found["results"], "themes": themes,
            "departments": departments}
