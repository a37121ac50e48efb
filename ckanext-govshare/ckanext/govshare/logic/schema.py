"""Input schemas of govshare's actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def grant_create(not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                 isodate: Validator, package_id_or_name_exists: Validator,
                 list_of_strings: Validator, strip_value: Validator) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "grantee_org": [ignore_missing, unicode_safe],
        "grantee_user": [ignore_missing, unicode_safe],
        "resource_ids": [ignore_missing, list_of_strings],
        "valid_from": [not_empty, isodate],
        "valid_until": [not_empty, isodate],
        "reason": [not_empty, unicode_safe, strip_value],
    }


@validator_args
def grant_revoke(not_empty: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "reason": [not_empty, unicode_safe, strip_value],
    }


@validator_args
def grant_list(ignore_missing: Validator, unicode_safe: Validator,
               boolean_validator: Validator) -> Schema:
    return {
        "package_id": [ignore_missing, unicode_safe],
        "grantee_org": [ignore_missing, unicode_safe],
        "grantee_user": [ignore_missing, unicode_safe],
        "active": [ignore_missing, boolean_validator],
    }
