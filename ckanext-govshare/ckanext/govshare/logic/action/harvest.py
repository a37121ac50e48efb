"""The DCAT catalog paged for harvesters (``catalog_pages``) in place of ckanext-dcat's
offset pages."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.govshare import catalog_pages

__all__ = ["dcat_catalog_show", "dcat_catalog_search", "harvest_source_show_status"]


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(up: Action, context: Context, data_dict: DataDict) -> str:
    tk.check_access("dcat_catalog_show", context, data_dict)
    return catalog_pages.catalog(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_search(up: Action, context: Context, data_dict: DataDict) -> str:
    tk.check_access("dcat_catalog_search", context, data_dict)
    return catalog_pages.catalog(context, data_dict)


@tk.chained_action
@tk.side_effect_free
def harvest_source_show_status(up: Action, context: Context, data_dict: DataDict) -> dict:
    """ckanext-harvest reads ``id`` without checking it is there (a server error): a call
    without it is refused naming the field."""
    if not isinstance(data_dict.get("id"), str) or not data_dict["id"].strip():
        tk.check_access("harvest_source_show_status", context, data_dict)
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    return up(context, data_dict)
