"""The DCAT catalog paged for harvesters (``catalog_pages``) in place of ckanext-dcat's
offset pages, and ckanext-harvest's source actions kept to harvest sources."""
from __future__ import annotations

from typing import Any, Callable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Action, Context, DataDict
from ckanext.harvest.utils import DATASET_TYPE_NAME

from ckanext.govshare import catalog_pages

# ckanext-harvest's actions on one source proxy package_show/update/delete with the id
# as given: named with a catalog entry's id, harvest_source_delete deleted the entry
# (and GET /harvest/delete/<id> calls it).
SOURCE_ACTIONS = ("harvest_source_show", "harvest_source_update", "harvest_source_patch",
                  "harvest_source_delete", "harvest_source_clear", "harvest_source_index_clear",
                  "harvest_source_reindex", "harvest_source_job_history_clear")

__all__ = ["dcat_catalog_show", "dcat_catalog_search", "harvest_source_show_status",
           *SOURCE_ACTIONS]


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
    _refuse_other_than_source(data_dict)
    return up(context, data_dict)


def _refuse_other_than_source(data_dict: DataDict) -> None:
    """An id that names anything but a harvest source answers like a missing source."""
    given = data_dict.get("id")
    if given is None:
        return  # harvest_source_show by url, or ckanext-harvest's own refusal
    package = model.Package.get(given) if isinstance(given, str) else None
    if package is None or package.type != DATASET_TYPE_NAME:
        raise tk.ObjectNotFound(tk._("Harvest source not found"))


def _source_only(name: str) -> Callable[..., Any]:
    def action(up: Action, context: Context, data_dict: DataDict) -> Any:
        _refuse_other_than_source(data_dict)
        tk.check_access(name, context, data_dict)
        return up(context, data_dict)

    action.__name__ = name
    action.__doc__ = f"ckanext-harvest's {name}, for harvest sources only."
    chained = tk.chained_action(action)
    return tk.side_effect_free(chained) if name == "harvest_source_show" else chained


harvest_source_show = _source_only("harvest_source_show")
harvest_source_update = _source_only("harvest_source_update")
harvest_source_patch = _source_only("harvest_source_patch")
harvest_source_delete = _source_only("harvest_source_delete")
harvest_source_clear = _source_only("harvest_source_clear")
harvest_source_index_clear = _source_only("harvest_source_index_clear")
harvest_source_reindex = _source_only("harvest_source_reindex")
harvest_source_job_history_clear = _source_only("harvest_source_job_history_clear")
