"""Text that nothing can store, refused where a request enters the application.

PostgreSQL refuses NUL characters and a lone surrogate cannot even be encoded to
UTF-8, so either one, in any field CKAN or a plugin passes on, ends as a server error
deep inside an action (often after part of the change was written to the session).
JSON can carry both (``"\\u0000"``, ``"\\ud800"``), URL and form encoding NUL. No real
input holds them: the request is refused before any view or action runs, under the
names of the fields that hold them. Each schema's own validators refuse the rest
(control characters, lengths, types) with messages about their field.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from flask import Blueprint, jsonify, request

__all__ = ["storable", "unstorable_fields", "core_unreadable_fields", "text_or_empty",
           "refuse_unstorable", "blueprint"]

# Actions whose resources CKAN hands to its uploader (which parses ``url``) before validating.
UPLOADING_ACTIONS = {"package_create", "package_update", "package_patch",
                     "resource_create", "resource_update", "resource_patch"}

blueprint = Blueprint("govshare_inputs", __name__)


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


def core_unreadable_fields(action: str, data: Any) -> list[str]:
    """Fields of a catalog write that CKAN reads before its schema checks them, of a type
    it crashes on: a resource ``url`` that is not text, ``groups`` that are not a list."""
    if action not in UPLOADING_ACTIONS or not isinstance(data, dict):
        return []
    if action.startswith("resource_"):
        return [] if data.get("url") is None or isinstance(data["url"], str) else ["url"]
    wrong = []
    resources = data.get("resources")
    if resources is not None and (not isinstance(resources, list) or not all(
            isinstance(r, dict) and (r.get("url") is None or isinstance(r["url"], str))
            for r in resources)):
        wrong.append("resources")
    # (and the auth function reads the groups before the schema checks them)
    if "groups" in data and not (isinstance(data["groups"], list)
                                 and all(isinstance(g, dict) for g in data["groups"])):
        wrong.append("groups")
    return wrong


def text_or_empty(data: dict[str, Any], name: str) -> str:
    """The id or name given under ``name``, or "" when it is no storable text: for auth
    functions, which look the object up before the action's schema checks the field."""
    value = data.get(name)
    return value if isinstance(value, str) and storable(value) else ""


def _multi_dict_fields(pairs: Iterable[tuple[str, list[str]]]) -> list[str]:
    return [_shown(k) for k, values in pairs if not storable(k) or not all(map(storable, values))]


@blueprint.before_app_request
def refuse_unstorable() -> Optional[Any]:
    """409 with the fields, in the action API's format, on the API; 400 elsewhere."""
    fields = set(_multi_dict_fields(request.args.lists()))
    if request.method in ("POST", "PUT", "PATCH"):
        fields.update(_multi_dict_fields(request.form.lists()))
        if request.is_json:
            data = request.get_json(silent=True)
            fields.update(unstorable_fields(data))
            action = (request.view_args or {}).get("logic_function", "")
            if not fields and core_unreadable_fields(action, data):
                return _refused({f: [tk._("Must be text")]
                                 for f in core_unreadable_fields(action, data)})
    if not fields:
        return None
    message = tk._("Must not contain NUL characters or unpaired surrogates")
    if request.path.startswith("/api/"):
        return _refused({field: [message] for field in sorted(fields)})
    return tk.abort(400, message)


def _refused(errors: dict[str, list[str]]) -> Any:
    """A validation error in the action API's format."""
    response = jsonify({"success": False, "error": {"__type": "Validation Error", **errors}})
    response.status_code = 409
    return response
