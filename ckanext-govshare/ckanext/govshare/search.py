"""What the catalog puts into Solr and which facets it offers."""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.govshare import access, timeliness
from ckanext.govshare import schema as catalog

# What a search may return (``fl``; ``*`` is every stored field) and sort by, besides the
# catalog's own fields: CKAN's stored metadata. Nothing a route withholds is stored in the index (before_dataset_index),
# and these lists keep it so for fields added later.
RESULT_FIELDS = ("id", "name", "title", "notes", "owner_org", "organization", "groups", "tags",
                 "res_name", "res_description", "res_format", "num_resources", "num_tags",
                 "metadata_created", "metadata_modified", "state", "type", "dataset_type",
                 "license_id", "version", "author", "maintainer", "capacity", "site_id",
                 "data_dict", "validated_data_dict", "score")
SORT_FIELDS = ("score", "id", "name", "title_string", "metadata_created", "metadata_modified",
               "views_recent", "views_total", "publish_date",
               "view_recent")  # (sic: CKAN's home page asks for this name)
_FIELD = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*:)?([A-Za-z_][A-Za-z0-9_]*)$")
_SORT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+(asc|desc)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
SUGGESTIONS = 5


def dataset_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    """Department first, then every schema field marked ``facet: true``."""
    facets: dict[str, Any] = OrderedDict()
    facets["organization"] = tk._("Department")
    for field in catalog.facet_fields():
        facets[field["field_name"]] = catalog.field_label(field)
    facets["update_overdue"] = tk._("Update overdue")
    facets["tags"] = facets_dict.get("tags", tk._("Tags"))
    facets["res_format"] = facets_dict.get("res_format", tk._("Formats"))
    return facets


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value else []
    return value if isinstance(value, list) else []


def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """Index information-item names as searchable text; list fields as multi-valued strings.

    The govshare Solr schema declares ``info_item_names`` (CJK text, copied to
    ``text``) and the multi-valued string fields used for facets.
    """
    items = _as_list(pkg_dict.pop("info_items", None))
    pkg_dict["info_item_names"] = [i["name"] for i in items
                                   if isinstance(i, dict) and i.get("name")]
    for field in catalog.dataset_fields():
        name = field["field_name"]
        if field.get("preset") in ("multiple_select", "multiple_checkbox", "multiple_text"):
            pkg_dict[name] = _as_list(pkg_dict.get(name))
    pkg_dict.pop("extras_info_items", None)
    timely = timeliness.fields(pkg_dict["id"])
    pkg_dict.update(timeliness.for_index(timely))
    for key in ("data_dict", "validated_data_dict"):
        if isinstance(pkg_dict.get(key), str):
            pkg_dict[key] = json.dumps(access.strip_data(
                {**json.loads(pkg_dict[key]), **timely}))
    return pkg_dict


def _catalog_fields() -> set[str]:
    return {f["field_name"] for f in catalog.dataset_fields()}


def _stored_metadata(field: str, allowed: set[str]) -> bool:
    """A field of ``allowed``, or an entry's extra (``extras_<key>``, metadata too)."""
    return field in allowed or field.startswith("extras_")


def check_search_params(data_dict: dict[str, Any]) -> None:
    """``fl`` names stored metadata fields only (``alias:field`` allowed), ``sort`` orders
    by metadata only: a ValidationError naming the parameter otherwise."""
    fl = data_dict.get("fl")
    if fl:
        tokens = fl.replace(",", " ").split() if isinstance(fl, str) else fl
        allowed = set(RESULT_FIELDS) | _catalog_fields()
        wrong = [t for t in tokens if t != "*" and (not isinstance(t, str) or not _FIELD.match(t)
                 or not _stored_metadata(_FIELD.match(t).group(1), allowed))]
        if wrong:
            raise tk.ValidationError({"fl": [tk._("These result fields cannot be asked for: "
                                                  "{fields}").format(fields=", ".join(map(str, wrong)))]})
    sort = data_dict.get("sort")
    if sort not in (None, "", "rank"):
        parts = [p.strip() for p in sort.split(",")] if isinstance(sort, str) else [sort]
        wrong = [p for p in parts if not isinstance(p, str) or not _SORT.match(p)
                 or _SORT.match(p).group(1) not in SORT_FIELDS]
        if wrong:
            raise tk.ValidationError({"sort": [tk._(
                "Sort by one of {fields}, followed by asc or desc").format(
                fields=", ".join(SORT_FIELDS))]})


def before_dataset_search(search_params: dict[str, Any]) -> dict[str, Any]:
    """Include non-public entries unless the caller says otherwise.

    Permission labels decide what each user sees; CKAN's ``private`` flag only
    mirrors "not open to the public", so excluding private entries by default
    would hide the sharing catalog from the government users it is for.
    """
    search_params.setdefault("include_private", True)
    return search_params


def after_dataset_search(search_results: dict[str, Any]) -> dict[str, Any]:
    """Facet values of coded fields show their labels (共享类型 conditional → 有条件共享)."""
    coded = {f["field_name"] for f in catalog.facet_fields() if f.get("choices")}
    for name, facet in (search_results.get("search_facets") or {}).items():
        if name in coded:
            for item in facet["items"]:
                item["display_name"] = catalog.choice_label(name, item["name"])
        elif name == "update_overdue":
            for item in facet["items"]:
                item["display_name"] = timeliness.facet_label(item["name"])
    return search_results


def relaxed_query(q: str) -> str:
    """The query as loose words: each Chinese run as its overlapping pairs of characters, other
    words as they are, no Solr syntax. Searched with ``mm=1``, any of them may match."""
    parts: list[str] = []
    for word in _WORD.findall(q):
        pieces = _HAN.split(word)
        parts += [p for p in pieces if p]
        for run in _HAN.findall(word):
            parts += [run[i:i + 2] for i in range(max(len(run) - 1, 1))]
    return " ".join(dict.fromkeys(parts))


def suggestions(context: dict[str, Any], q: str) -> list[dict[str, str]]:
    """Entries the caller may see that match part of a query that found nothing, best first.

    They come from package_search as the caller (permission labels: never an entry hidden
    from them), with the query loosened (``relaxed_query``)."""
    loose = relaxed_query(q)
    if not loose:
        return []
    found = tk.get_action("package_search")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
        {"q": loose, "mm": "1", "rows": SUGGESTIONS, "fl": "name,title"})
    return [{"name": r["name"], "title": r.get("title") or r["name"]} for r in found["results"]]
