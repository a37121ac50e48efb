"""One number, one source (一数一源): who provides an item, the source departments the
data authority designates, its synonym list and the duplicate collection it watches."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.govshare import access, sources
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated

__all__ = ["govshare_info_item_sources", "govshare_source_designate",
           "govshare_info_item_synonym_create", "govshare_info_item_synonym_delete",
           "govshare_info_item_synonym_list", "govshare_info_item_duplicates"]


@tk.side_effect_free
def govshare_info_item_sources(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The registered entries (those the caller may see) and departments that provide an
    information item, under any spelling or synonym of its name, and its designated source
    department.

    :param name: the item's name, e.g. 身份证号
    Returns name, key (the normalised name the platform compares), entries (id, name, title,
    owner_org, item_name), departments (id, name, title), source (a department or null).
    """
    tk.check_access("govshare_info_item_sources", context, data_dict)
    data = validated(data_dict, schema.info_item_sources(), context)
    user, unrestricted = access.shown_to(context)
    return sources.providers([data["name"]], user, unrestricted)[data["name"]]


def govshare_source_designate(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority designates the source department (数源部门) of an item: the one
    the others take it from instead of collecting it again. Replaces an earlier one.

    :param name: the item's name (any of its synonyms)
    :param owner_org: the department's id or name
    """
    tk.check_access("govshare_source_designate", context, data_dict)
    data = validated(data_dict, schema.source_designate(), context)
    designated = sources.designate(me(context), data["name"], data["owner_org"])
    commit(context)
    return designated


def govshare_info_item_synonym_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority records that ``synonym`` names the same item as ``name``
    (e.g. 公民身份号码 and 身份证号).

    :param name: the item's name
    :param synonym: another name of the same item
    """
    tk.check_access("govshare_info_item_synonym_create", context, data_dict)
    data = validated(data_dict, schema.info_item_synonym_create(), context)
    created = sources.add_synonym(me(context), data["name"], data["synonym"])
    commit(context)
    return created


def govshare_info_item_synonym_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority takes a synonym off the list: it is an item of its own again.

    :param synonym: the name to take off
    """
    tk.check_access("govshare_info_item_synonym_delete", context, data_dict)
    data = validated(data_dict, schema.info_item_synonym_delete(), context)
    sources.remove_synonym(data["synonym"])
    commit(context)
    return {"synonym": data["synonym"]}


@tk.side_effect_free
def govshare_info_item_synonym_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The synonym list: per item its name (key, name) and its other names (synonyms)."""
    tk.check_access("govshare_info_item_synonym_list", context, data_dict)
    return sources.synonym_groups()


@tk.side_effect_free
def govshare_info_item_duplicates(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Items that several departments provide in registered entries (重复采集): key, name,
    departments, entries (how many), source (the designated department or null)."""
    tk.check_access("govshare_info_item_duplicates", context, data_dict)
    return sources.duplicates()
