"""DataStore tables as information items (信息项): which columns of a table a user may have.

ckanext-xloader loads an entry's tabular resources into the DataStore with the file's header
as column names (``ckanext.xloader.unidecode_headers = false``). A column *is* the information
item of its entry whose name it bears, names compared as the catalog compares item names
(``sources.keys_of``: width, spaces, punctuation and case folded, then the data authority's
synonyms), so that "身份证号码" and "身份证 号码" are one item.

Whoever may use the data (``access.DataPolicy``) gets the columns of the items they may have
(``DataPolicy.allows_item``: not-shared items stay with the provider, items not marked open
stay off the open side). A column that names no item of an entry that lists items is withheld
too: the catalog shares what it describes. Columns of an entry that lists no items follow the
entry. The DataStore's own columns (``_id``, ``_full_text``) are no item and stay.
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.govshare import access, sources

FULL_TEXT = "_full_text"  # the DataStore's search text of each row


def items_of(package: model.Package) -> list[dict[str, Any]]:
    """The entry's information items (scheming keeps the repeating field as JSON)."""
    value = (package.extras or {}).get("info_items")
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [item for item in items or [] if isinstance(item, dict)
            and isinstance(item.get("name"), str) and item["name"].strip()]


def withheld_columns(policy: access.DataPolicy, resource: model.Resource,
                     columns: Iterable[str]) -> set[str]:
    """The columns of the resource's table this user may not have (the user may use the
    resource's data: the auth functions decided that)."""
    package = resource.package
    entry = access.Entry.of(package)
    names = [c for c in columns if not c.startswith("_")]
    if policy.has_every_item(entry):
        return set()
    items = items_of(package)
    if not items:
        return set()
    keys = sources.keys_of([item["name"] for item in items] + names)
    allowed = {keys.get(item["name"]) for item in items
               if policy.allows_item(entry, item, resource.id)}
    return {c for c in names if keys.get(c) not in allowed}


def table_columns(resource_id: str) -> list[str]:
    """The column names of a resource's DataStore table, in order; none when it has none."""
    try:
        info = tk.get_action("datastore_info")(
            {"ignore_auth": True}, {"id": resource_id, "include_meta": False,
                                    "include_fields_schema": False})
    except tk.ObjectNotFound:
        return []
    return [field["id"] for field in info.get("fields") or []]


def _sorted_column(clause: str) -> str:
    """The column a sort clause (``"名称" desc``, ``名称 asc``) orders by."""
    clause = clause.strip()
    if clause.startswith('"'):
        return clause[1:].split('"', 1)[0]
    for order in (" asc", " desc"):
        if clause.lower().endswith(order):
            return clause[:-len(order)].strip()
    return clause


def _filtered_columns(filters: Any) -> Iterable[str]:
    """The columns a ``filters`` value names, through its ``$and`` / ``$or`` lists."""
    if isinstance(filters, list):
        for part in filters:
            yield from _filtered_columns(part)
    elif isinstance(filters, dict):
        for key, value in filters.items():
            if key in ("$and", "$or"):
                yield from _filtered_columns(value)
            else:
                yield key


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _invalid(key: str, value: str) -> tk.ValidationError:
    """The DataStore's own answer for a column a table does not have: a withheld column
    looks missing."""
    return tk.ValidationError({key: [f'invalid value "{value}"']})


def restrict_search(data_dict: dict[str, Any], columns: list[str],
                    withheld: set[str]) -> None:
    """A datastore_search asked by a user without ``withheld``: refused when it names one of
    them (fields, sort, filters, column search), or searches whole rows, whose text holds
    them; otherwise asked for the other columns only (records, fields, dumps)."""
    asked = _as_list(data_dict.get("fields"))
    withheld = withheld | {FULL_TEXT}  # the text of the whole row, withheld columns included
    for key, named in (("fields", asked),
                       ("sort", [_sorted_column(c) for c in _as_list(data_dict.get("sort"))]),
                       ("filters", list(_filtered_columns(_parsed(data_dict.get("filters"))))),
                       ("q", list(_q_columns(data_dict.get("q"))))):
        hidden = next((name for name in named if name in withheld), None)
        if hidden is not None:
            raise _invalid(key, hidden)
    q = _parsed(data_dict.get("q"))
    if (q and not isinstance(q, dict)) or data_dict.get("full_text"):
        key = "full_text" if data_dict.get("full_text") else "q"
        raise tk.ValidationError({key: [tk._(
            "A search over whole rows would search information items you may not have: "
            "search by column instead (q as {\"column\": \"text\"}).")]})
    data_dict["fields"] = asked or [c for c in columns if c not in withheld]


def _parsed(value: Any) -> Any:
    """``q`` and ``filters`` may come as JSON text (the API's GET parameters)."""
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _q_columns(q: Any) -> Iterable[str]:
    q = _parsed(q)
    return q.keys() if isinstance(q, dict) else ()


def restrict_info(info: dict[str, Any], withheld: set[str]) -> dict[str, Any]:
    """datastore_info without the withheld columns."""
    info["fields"] = [f for f in info.get("fields") or [] if f.get("id") not in withheld]
    return info


def withheld_for(context: dict[str, Any], resource_id: Any) -> Optional[tuple[list[str], set[str]]]:
    """(the table's columns, those withheld from the caller) for a DataStore read; None when
    nothing is withheld (internal calls, sysadmins, the provider, no table)."""
    if access.acts_unrestricted(context) or not isinstance(resource_id, str):
        return None
    resource = model.Resource.get(resource_id)
    if resource is None or resource.package is None:
        return None
    policy = access.DataPolicy(access.context_user(context))
    if policy.has_every_item(access.Entry.of(resource.package)):
        return None
    columns = table_columns(resource.id)
    withheld = withheld_columns(policy, resource, columns)
    return (columns, withheld) if withheld else None


LOADER_TOKEN = "xloader"  # the name of the site user's API token that xloader's jobs use


def loader_token() -> str:
    """A fresh API token of the site user for ckanext-xloader (``ckanext.xloader.api_token``):
    its jobs fetch uploads, private ones too, and write the DataStore as that user. The site
    user's earlier loader tokens are revoked, so that a rerun leaves one."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    for token in tk.get_action("api_token_list")(context, {"user_id": site_user["name"]}):
        if token.get("name") == LOADER_TOKEN:
            tk.get_action("api_token_revoke")(context, {"jti": token["id"]})
    return tk.get_action("api_token_create")(
        context, {"user": site_user["name"], "name": LOADER_TOKEN})["token"]
