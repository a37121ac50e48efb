"""Catalog pages that a harvester can follow while the catalog changes.

ckanext-dcat pages its catalog by offset over ``metadata_modified desc``: an entry created,
changed or deleted while a harvester walks the pages shifts every later entry by one, so
one entry is fetched twice and another never. Here the pages are sorted by the entry id,
which never changes, and each ``hydra:next`` link carries the last id of its page as a
cursor (``page=after:<id>``): the next page starts after that id whatever happened before
it. A numbered page (``page=2``) still works, on the same order, for clients that count.
Entries returned by an upper platform (回流, ``harvest``) are not the city's to export.
"""
from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import urlencode

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from dateutil.parser import parse as parse_date

from ckanext.dcat.processors import RDFSerializer
from ckanext.dcat.utils import catalog_uri

from ckanext.govshare import harvest

CURSOR = "after:"
SORT = "id asc"
DEFAULT_PER_PAGE = 100
# Entry ids are UUIDs (or names when imported so): what a Solr range query may hold.
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# The request parameters a page link keeps, as ckanext-dcat keeps them.
KEPT = ("modified_since", "profiles", "q", "fq")


def per_page() -> int:
    return int(tk.config.get("ckanext.dcat.datasets_per_page") or DEFAULT_PER_PAGE)


def _page_error() -> tk.ValidationError:
    return tk.ValidationError({"page": [tk._('Page must be a positive number or a cursor '
                                             '"after:<id>" from a catalog page link')]})


def read_page(value: Any) -> tuple[int, Optional[str]]:
    """(page number, cursor id): a cursor page counts as page 1 of what follows it."""
    text = str(value or "1")
    if text.startswith(CURSOR):
        after = text[len(CURSOR):]
        if not _ID.match(after):
            raise _page_error()
        return 1, after
    try:
        number = int(text)
    except ValueError:
        raise _page_error()
    if number < 1:
        raise _page_error()
    return number, None


def _filters(data_dict: DataDict) -> list[str]:
    filters = ["-dataset_type:harvest", "-dataset_type:showcase"]
    returned = harvest.returned_sources()
    if returned:  # never exported upward as this platform's own
        filters.append("-harvest_source_id:(%s)" % " OR ".join(f'"{s}"' for s in returned))
    since = data_dict.get("modified_since")
    if since:
        try:
            since = parse_date(since).isoformat() + "Z"
        except (ValueError, AttributeError, OverflowError):
            raise tk.ValidationError({"modified_since": [
                tk._("Wrong modified date format. Use ISO-8601 format")]})
        filters.append(f"metadata_modified:[{since} TO NOW]")
    return filters


def search(context: Context, data_dict: DataDict) -> tuple[dict[str, Any], int]:
    """One page of entries as package_search gives them to the caller, and the number of
    entries in the whole catalog (the cursor's filter left out)."""
    number, after = read_page(data_dict.get("page"))
    rows = per_page()
    query = {"q": data_dict.get("q") or "*:*", "fq": data_dict.get("fq") or "",
             "fq_list": _filters(data_dict), "sort": SORT, "rows": rows,
             "start": rows * (number - 1)}
    if after is None:
        found = tk.get_action("package_search")(dict(context), query)
        return found, found["count"]
    total = tk.get_action("package_search")(dict(context), {**query, "rows": 0})["count"]
    query["fq_list"] = query["fq_list"] + [f'id:{{"{after}" TO *]']
    return tk.get_action("package_search")(dict(context), query), total


def _page_url(data_dict: DataDict, page: str) -> str:
    base = catalog_uri().rstrip("/")
    path = tk.request.path if tk.request else tk.url_for(
        "dcat.read_catalog", _format=data_dict.get("format") or "ttl")
    kept = [(k, v) for k, v in (tk.request.args.items() if tk.request else ())
            if k in KEPT]
    return f"{base}{path}?{urlencode(kept + [('page', page)])}"


def pagination(data_dict: DataDict, found: dict[str, Any], total: int) -> dict[str, Any]:
    """hydra:PagedCollection links: ``next`` by cursor, no ``last`` (a cursor cannot name it)."""
    if total == 0:
        return {}
    info = {"count": total, "items_per_page": per_page(),
            "current": _page_url(data_dict, str(data_dict.get("page") or 1)),
            "first": _page_url(data_dict, "1")}
    results = found["results"]
    number, _after = read_page(data_dict.get("page"))
    if results and found["count"] > (number - 1) * per_page() + len(results):
        info["next"] = _page_url(data_dict, CURSOR + results[-1]["id"])
    return info


def catalog(context: Context, data_dict: DataDict) -> str:
    """The catalog page serialised with the requested profiles and format."""
    found, total = search(context, data_dict)
    serializer = RDFSerializer(profiles=data_dict.get("profiles"))
    return serializer.serialize_catalog({}, found["results"], _format=data_dict.get("format"),
                                        pagination_info=pagination(data_dict, found, total))
