"""Input nothing can handle, refused where a request enters the application.

PostgreSQL refuses NUL characters and a lone surrogate cannot even be encoded to
UTF-8, so either one, in any field CKAN or a plugin passes on, ends as a server error
deep inside an action (often after part of the change was written to the session).
JSON can carry both (``"\\u0000"``, ``"\\ud800"``), URL and form encoding NUL. No real
input holds them: the request is refused before any view or action runs, under the
names of the fields that hold them. The same goes for the few fields of the catalog
writes that CKAN reads before its schema checks them (``core_unreadable_fields``).
Each schema's own validators refuse the rest (control characters, lengths, types)
with messages about their field.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from flask import jsonify, request

__all__ = ["storable", "unstorable_fields", "core_unreadable_fields", "text_or_empty",
           "refuse_unreadable_input"]

# Actions whose input CKAN reads in part before its schema checks it.
CATALOG_WRITES = {"package_create", "package_update", "package_patch",
                     "resource_create", "resource_update", "resource_patch"}


def storable(text: str) -> bool:
    """No NUL and no unpaired surrogate (a pair cannot survive Python's decoding)."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def _holds_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return not storable(value)
    if isinstance(value, dict):
        return any(_holds_unstorable(k) or _holds_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_unstorable(v) for v in value)
    return False


def _shown(name: str) -> str:
    """A field name fit to be sent back in the error."""
    return name if storable(name) else ascii(name)


def unstorable_fields(data: Any) -> list[str]:
    """The top-level fields of ``data`` whose value (at any depth, keys included) holds
    unstorable text; ``__body`` when the input is not an object."""
    if not isinstance(data, dict):
        return ["__body"] if _holds_unstorable(data) else []
    return sorted(_shown(k) for k, v in data.items()
                  if _holds_unstorable(k) or _holds_unstorable(v))


def core_unreadable_fields(action: str, data: Any) -> dict[str, list[str]]:
    """Fields of a catalog write that CKAN reads (to find the object, to check the caller's
    rights, to hand resources to its uploader) before its schema checks them, given a type
    it crashes on, with what they must be."""
    if action not in CATALOG_WRITES or not isinstance(data, dict):
        return {}
    keys = ("id", "package_id", "url") if action.startswith("resource_") else (
        "id", "name", "owner_org")
    errors = {k: [tk._("Must be text")] for k in keys
              if data.get(k) is not None and not isinstance(data[k], str)}
    resources = data.get("resources")
    if resources is not None and (not isinstance(resources, list) or not all(
            isinstance(r, dict) and (r.get("url") is None or isinstance(r["url"], str))
            for r in resources)):
        errors["resources"] = [tk._("Must be a list of resources, each url text")]
    groups = data.get("groups", [])
    if not (isinstance(groups, list) and all(
            isinstance(g, dict) and all(g.get(k) is None or isinstance(g[k], str)
                                        for k in ("id", "name")) for g in groups)):
        errors["groups"] = [tk._("Must be a list of groups, each id or name text")]
    return errors


def text_or_empty(data: dict[str, Any], name: str) -> str:
    """The id or name given under ``name``, or "" when it is no storable text: for auth
    functions, which look the object up before the action's schema checks the field."""
    value = data.get(name)
    return value if isinstance(value, str) and storable(value) else ""


def _multi_dict_fields(pairs: Iterable[tuple[str, list[str]]]) -> list[str]:
    return [_shown(k) for k, values in pairs if not storable(k) or not all(map(storable, values))]


def refuse_unreadable_input() -> Optional[Any]:
    """409 with the fields, in the action API's format, on the API; 400 elsewhere."""
    fields = set(_multi_dict_fields(request.args.lists()))
    data = None
    if request.method in ("POST", "PUT", "PATCH"):
        fields.update(_multi_dict_fields(request.form.lists()))
        if request.is_json:
            data = request.get_json(silent=True)
            fields.update(unstorable_fields(data))
    message = tk._("Must not contain NUL characters or unpaired surrogates")
    if not request.path.startswith("/api/"):
        return tk.abort(400, message) if fields else None
    errors = {field: [message] for field in sorted(fields)} or core_unreadable_fields(
        (request.view_args or {}).get("logic_function", ""), data)
    if not errors:
        return None
    response = jsonify({"success": False, "error": {"__type": "Validation Error", **errors}})
    response.status_code = 409
    return response
