"""Input schemas of govshare's actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator


@validator_args
def grant_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                 isodate: Validator, package_id_or_name_exists: Validator,
                 list_of_strings: Validator, strip_value: Validator) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "grantee_org": [ignore_missing, unicode_safe],
        "grantee_user": [ignore_missing, unicode_safe],
        "resource_ids": [ignore_missing, list_of_strings],
        "valid_from": [not_empty, isodate],
        "valid_until": [not_empty, isodate],
        "reason": [not_missing, strip_value, not_empty, unicode_safe],
    }


@validator_args
def grant_revoke(not_missing: Validator, not_empty: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "reason": [not_missing, strip_value, not_empty, unicode_safe],
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


@validator_args
def request_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                   isodate: Validator, package_id_or_name_exists: Validator,
                   list_of_strings: Validator, strip_value: Validator,
                   govshare_usage_scope_codes: Validator) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "requester_org": [ignore_missing, unicode_safe],
        "resource_ids": [ignore_missing, list_of_strings],
        "usage_scope": [not_empty, govshare_usage_scope_codes],
        "purpose": [not_missing, strip_value, not_empty, unicode_safe],
        "basis": [not_missing, strip_value, not_empty, unicode_safe],
        "period_start": [not_empty, isodate],
        "period_end": [not_empty, isodate],
        "contact": [not_missing, strip_value, not_empty, unicode_safe],
    }


@validator_args
def application_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                       isodate: Validator, package_id_or_name_exists: Validator,
                       list_of_strings: Validator, strip_value: Validator,
                       boolean_validator: Validator) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "resource_ids": [ignore_missing, list_of_strings],
        "purpose": [not_missing, strip_value, not_empty, unicode_safe],
        "scenario": [not_missing, strip_value, not_empty, unicode_safe],
        "security_measures": [not_missing, strip_value, not_empty, unicode_safe],
        "commitment_accepted": [not_empty, boolean_validator],
        "period_end": [not_empty, isodate],
        "contact": [ignore_missing, strip_value, unicode_safe],
    }


@validator_args
def request_approve(not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                    isodate: Validator, list_of_strings: Validator) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "resource_ids": [ignore_missing, list_of_strings],
        "period_end": [ignore_missing, isodate],
        "comment": [ignore_missing, unicode_safe],
    }


@validator_args
def request_refuse(not_missing: Validator, not_empty: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "reason": [not_missing, strip_value, not_empty, unicode_safe]}


@validator_args
def object_id(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}


@validator_args
def request_list(ignore_missing: Validator, unicode_safe: Validator,
                 boolean_validator: Validator, natural_number_validator: Validator,
                 int_validator: Validator) -> Schema:
    return {
        "kind": [ignore_missing, unicode_safe],
        "state": [ignore_missing, unicode_safe],
        "department": [ignore_missing, unicode_safe],
        "package_id": [ignore_missing, unicode_safe],
        "overdue": [ignore_missing, boolean_validator],
        "escalated": [ignore_missing, boolean_validator],
        "decidable": [ignore_missing, boolean_validator],
        "limit": [ignore_missing, int_validator, natural_number_validator],
        "offset": [ignore_missing, int_validator, natural_number_validator],
    }


@validator_args
def case_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator, unicode_safe: Validator,
                package_id_or_name_exists: Validator, strip_value: Validator) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "request_id": [ignore_missing, unicode_safe],
        "description": [not_missing, strip_value, not_empty, unicode_safe],
    }


@validator_args
def case_resolve(not_missing: Validator, not_empty: Validator, unicode_safe: Validator, strip_value: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "outcome": [not_missing, strip_value, not_empty, unicode_safe]}


@validator_args
def usage_list(ignore_missing: Validator, unicode_safe: Validator, int_validator: Validator,
               natural_number_validator: Validator) -> Schema:
    return {
        "provider_org": [ignore_missing, unicode_safe],
        "package_id": [ignore_missing, unicode_safe],
        "limit": [ignore_missing, int_validator, natural_number_validator],
    }


@validator_args
def calendar_show(not_empty: Validator, govshare_calendar_year: Validator) -> Schema:
    return {"year": [not_empty, govshare_calendar_year]}


@validator_args
def calendar_update(not_empty: Validator, not_missing: Validator, default: Validator,
                    govshare_calendar_note: Validator, govshare_calendar_year: Validator,
                    govshare_iso_dates: Validator) -> Schema:
    return {
        "year": [not_empty, govshare_calendar_year],
        "holidays": [default([]), govshare_iso_dates],
        "workdays": [default([]), govshare_iso_dates],
        "note": [not_missing, govshare_calendar_note, not_empty],
    }


@validator_args
def registration_confirm(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"token": [not_empty, unicode_safe]}


@validator_args
def notification_list(ignore_missing: Validator, int_validator: Validator,
                      natural_number_validator: Validator) -> Schema:
    return {"limit": [ignore_missing, int_validator, natural_number_validator]}
