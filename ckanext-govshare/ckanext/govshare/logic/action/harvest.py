"""The DCAT catalog paged for harvesters (``catalog_pages``) in place of ckanext-dcat's
offset pages."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Action, Context, DataDict

from ckanext.govshare import catalog_pages

__all__ = ["dcat_catalog_show", "dcat_catalog_search"]


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
