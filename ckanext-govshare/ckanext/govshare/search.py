"""What the catalog puts into Solr and which facets it offers."""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.govshare import schema as catalog


def dataset_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    """Department first, then every schema field marked ``facet: true``."""
    facets: dict[str, Any] = OrderedDict()
    facets["organization"] = tk._("Department")
    for field in catalog.facet_fields():
        facets[field["field_name"]] = catalog.field_label(field)
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
    return pkg_dict


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
    return search_results
