"""Read access to the scheming schemas, the single source of truth of the catalog.

Facets, labels in messages, import columns and exports all ask here instead
of re-listing the fields.
"""
from __future__ import annotations

import functools
import json
from typing import Any, Optional

import ckan.plugins.toolkit as tk
import flask
from ckan import model

from ckanext.scheming.helpers import (
    scheming_choices_label,
    scheming_field_by_name,
    scheming_get_dataset_schema,
    scheming_get_organization_schema,
    scheming_language_text,
)


def dataset_fields() -> list[dict[str, Any]]:
    return scheming_get_dataset_schema("dataset")["dataset_fields"]


def resource_fields() -> list[dict[str, Any]]:
    return scheming_get_dataset_schema("dataset")["resource_fields"]


def organization_fields() -> list[dict[str, Any]]:
    return scheming_get_organization_schema("organization")["fields"]


def dataset_field(name: str) -> dict[str, Any]:
    return scheming_field_by_name(dataset_fields(), name)


def organization_field(name: str) -> dict[str, Any]:
    return scheming_field_by_name(organization_fields(), name)


def _lang(lang: Optional[str]) -> Optional[str]:
    """The language asked for; outside a web request (CLI, jobs) the site's default."""
    if lang or flask.has_request_context():
        return lang
    return tk.config.get("ckan.locale_default")


def field_label(field: dict[str, Any], lang: str | None = None) -> str:
    return scheming_language_text(field.get("label", field["field_name"]), _lang(lang))


def choice_label(field_name: str, value: Any, lang: str | None = None) -> str:
    """The label of a code (e.g. share_type ``none`` → 不予共享) in the user's language; the
    value itself for a field without choices or outside the catalog (a search's department)."""
    try:
        return _choice_labels(field_name, _lang(lang) or tk.h.lang())[value]
    except (KeyError, TypeError):
        return str(value)


@functools.lru_cache(maxsize=512)
def _choice_labels(field_name: str, lang: str) -> dict[Any, str]:
    """A coded field's labels in one language, looked up once: a search page labels every
    facet value and every result's badges, and the schemas do not change while CKAN runs."""
    choices = (dataset_field(field_name) or {}).get("choices", [])
    return {choice["value"]: scheming_language_text(choice["label"], lang) for choice in choices}


def subfield_choice_label(field_name: str, subfield_name: str, value: Any,
                          lang: str | None = None) -> str:
    """The label of a repeating subfield's code (info_items ``data_type`` ``C`` → 字符型;
    ``open`` True → 是); empty for no value."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    subfield = scheming_field_by_name(dataset_field(field_name).get("repeating_subfields", []),
                                      subfield_name) or {}
    for choice in subfield.get("choices", []):
        if choice["value"] == value:
            return scheming_language_text(choice["label"], _lang(lang))
    return str(value)


def facet_fields() -> list[dict[str, Any]]:
    """Fields marked ``facet: true`` in the dataset schema, in schema order."""
    return [f for f in dataset_fields() if f.get("facet")]


def choice_values(field_name: str) -> list[str]:
    return [c["value"] for c in dataset_field(field_name).get("choices", [])]


def extra_list(package: model.Package, name: str) -> list[str]:
    """A multiple-choice field as stored on the package (scheming keeps lists as JSON)."""
    return json.loads((package.extras or {}).get(name) or "[]")


__all__ = [
    "extra_list", "organization_fields",
    "dataset_fields", "resource_fields", "dataset_field", "organization_field",
    "field_label", "choice_label", "subfield_choice_label", "facet_fields", "choice_values",
    "scheming_choices_label",
]
