"""Input schemas of govshare's actions.

Every text has a declared length (``govshare_text``/``govshare_long_text``: text only, no
control characters, stripped) and is checked for its type before anything reads it;
``ACTIONS`` names each action's schema, so the fuzz suite (tests/test_fuzz.py) finds them.
"""
from __future__ import annotations

from typing import Callable

from ckan.logic.schema import validator_args
from ckan.types import Schema, Validator

from ckanext.govshare.logic.validators import ID_MAX

# Lengths of the texts people write into the workflow.
SHORT = 200      # a contact, a name
LONG = 2000      # a purpose, a legal basis, a reason
PAGE = 1000      # the most rows one call lists
OFFSET = 10**9   # far past any real list, well inside PostgreSQL's integers
ANNOUNCEMENT = 5000  # an announcement's text
NARRATIVE = 20000  # an annual report's text: a few pages
SYNONYM_WORD = 50  # a word of the search synonyms


@validator_args
def grant_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator,
                 govshare_text: Validator, govshare_long_text: Validator,
                 govshare_date: Validator, package_id_or_name_exists: Validator,
                 govshare_id_list: Validator) -> Schema:
    return {
        "package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
        "grantee_org": [ignore_missing, govshare_text(ID_MAX)],
        "grantee_user": [ignore_missing, govshare_text(ID_MAX)],
        "resource_ids": [ignore_missing, govshare_id_list],
        "valid_from": [not_empty, govshare_date],
        "valid_until": [not_empty, govshare_date],
        "reason": [not_missing, govshare_long_text(LONG), not_empty],
    }


@validator_args
def grant_revoke(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                 govshare_long_text: Validator) -> Schema:
    return {
        "id": [not_empty, govshare_text(ID_MAX)],
        "reason": [not_missing, govshare_long_text(LONG), not_empty],
    }


@validator_args
def grant_list(ignore_missing: Validator, govshare_text: Validator,
               govshare_bool: Validator) -> Schema:
    return {
        "package_id": [ignore_missing, govshare_text(ID_MAX)],
        "grantee_org": [ignore_missing, govshare_text(ID_MAX)],
        "grantee_user": [ignore_missing, govshare_text(ID_MAX)],
        "active": [ignore_missing, govshare_bool],
    }


@validator_args
def request_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator,
                   govshare_text: Validator, govshare_long_text: Validator,
                   govshare_date: Validator, package_id_or_name_exists: Validator,
                   govshare_id_list: Validator, govshare_usage_scope_codes: Validator) -> Schema:
    return {
        "package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
        "requester_org": [ignore_missing, govshare_text(ID_MAX)],
        "resource_ids": [ignore_missing, govshare_id_list],
        "usage_scope": [not_empty, govshare_usage_scope_codes],
        "purpose": [not_missing, govshare_long_text(LONG), not_empty],
        "basis": [not_missing, govshare_long_text(LONG), not_empty],
        "period_start": [not_empty, govshare_date],
        "period_end": [not_empty, govshare_date],
        "contact": [not_missing, govshare_text(SHORT), not_empty],
    }


@validator_args
def application_create(not_missing: Validator, not_empty: Validator, ignore_missing: Validator,
                       govshare_text: Validator, govshare_long_text: Validator,
                       govshare_date: Validator, package_id_or_name_exists: Validator,
                       govshare_id_list: Validator, govshare_bool: Validator) -> Schema:
    return {
        "package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
        "resource_ids": [ignore_missing, govshare_id_list],
        "purpose": [not_missing, govshare_long_text(LONG), not_empty],
        "scenario": [not_missing, govshare_long_text(LONG), not_empty],
        "security_measures": [not_missing, govshare_long_text(LONG), not_empty],
        "commitment_accepted": [not_empty, govshare_bool],
        "period_end": [not_empty, govshare_date],
        "contact": [ignore_missing, govshare_text(SHORT)],
    }


@validator_args
def request_approve(not_empty: Validator, ignore_missing: Validator, govshare_text: Validator,
                    govshare_long_text: Validator, govshare_date: Validator,
                    govshare_id_list: Validator) -> Schema:
    return {
        "id": [not_empty, govshare_text(ID_MAX)],
        "resource_ids": [ignore_missing, govshare_id_list],
        "period_end": [ignore_missing, govshare_date],
        "comment": [ignore_missing, govshare_long_text(LONG)],
    }


@validator_args
def request_refuse(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                   govshare_long_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "reason": [not_missing, govshare_long_text(LONG), not_empty]}


@validator_args
def object_id(not_empty: Validator, govshare_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)]}


@validator_args
def request_show(not_empty: Validator, govshare_text: Validator,
                 govshare_request_exists: Validator) -> Schema:
    """Sysadmins skip the auth function (which reports a missing request): the id is checked here."""
    return {"id": [not_empty, govshare_text(ID_MAX), govshare_request_exists]}


@validator_args
def request_list(ignore_missing: Validator, govshare_text: Validator,
                 govshare_bool: Validator, govshare_count: Validator) -> Schema:
    return {
        "kind": [ignore_missing, govshare_text(ID_MAX)],
        "state": [ignore_missing, govshare_text(ID_MAX)],
        "department": [ignore_missing, govshare_text(ID_MAX)],
        "package_id": [ignore_missing, govshare_text(ID_MAX)],
        "overdue": [ignore_missing, govshare_bool],
        "escalated": [ignore_missing, govshare_bool],
        "decidable": [ignore_missing, govshare_bool],
        "mine": [ignore_missing, govshare_bool],
        "limit": [ignore_missing, govshare_count(PAGE)],
        "offset": [ignore_missing, govshare_count(OFFSET)],
    }


@validator_args
def case_create(not_missing: Validator, not_empty: Validator, govshare_ignore_blank: Validator,
                govshare_text: Validator, govshare_long_text: Validator,
                package_id_or_name_exists: Validator, govshare_request_exists: Validator) -> Schema:
    return {
        "package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
        "request_id": [govshare_ignore_blank, govshare_text(ID_MAX), govshare_request_exists],
        "description": [not_missing, govshare_long_text(LONG), not_empty],
    }


@validator_args
def case_resolve(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                 govshare_long_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "outcome": [not_missing, govshare_long_text(LONG), not_empty]}


@validator_args
def usage_list(ignore_missing: Validator, govshare_text: Validator,
               govshare_bool: Validator, govshare_count: Validator) -> Schema:
    return {
        "provider_org": [ignore_missing, govshare_text(ID_MAX)],
        "package_id": [ignore_missing, govshare_text(ID_MAX)],
        "mine": [ignore_missing, govshare_bool],
        "limit": [ignore_missing, govshare_count(PAGE)],
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
def registration_confirm(not_empty: Validator, govshare_text: Validator) -> Schema:
    return {"token": [not_empty, govshare_text(ID_MAX * 10)]}


@validator_args
def notification_list(ignore_missing: Validator, govshare_count: Validator) -> Schema:
    return {"limit": [ignore_missing, govshare_count(PAGE)]}


@validator_args
def audit_list(ignore_missing: Validator, govshare_ignore_blank: Validator,
               govshare_text: Validator, govshare_count: Validator,
               govshare_date: Validator) -> Schema:
    """actor: a user's name or id; event: an event name (audit.py); since: an ISO date or time."""
    return {
        "actor": [govshare_ignore_blank, govshare_text(ID_MAX)],
        "event": [govshare_ignore_blank, govshare_text(ID_MAX)],
        "since": [govshare_ignore_blank, govshare_date],
        "limit": [ignore_missing, govshare_count(PAGE)],
        "offset": [ignore_missing, govshare_count(OFFSET)],
    }


@validator_args
def error_report_create(not_missing: Validator, not_empty: Validator,
                        govshare_ignore_blank: Validator, govshare_text: Validator,
                        govshare_long_text: Validator,
                        package_id_or_name_exists: Validator) -> Schema:
    return {
        "package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
        "resource_id": [govshare_ignore_blank, govshare_text(ID_MAX)],
        "description": [not_missing, govshare_long_text(LONG), not_empty],
        "location": [not_missing, govshare_text(SHORT), not_empty],
        "evidence": [govshare_ignore_blank, govshare_long_text(LONG)],
    }


@validator_args
def error_report_resolve(not_missing: Validator, not_empty: Validator,
                         govshare_text: Validator, govshare_long_text: Validator) -> Schema:
    return {
        "id": [not_empty, govshare_text(ID_MAX)],
        "outcome": [not_missing, govshare_text(ID_MAX), not_empty],
        "explanation": [not_missing, govshare_long_text(LONG), not_empty],
    }


@validator_args
def error_report_list(ignore_missing: Validator, govshare_text: Validator,
                      govshare_bool: Validator, govshare_count: Validator) -> Schema:
    return {
        "package_id": [ignore_missing, govshare_text(ID_MAX)],
        "owner_org": [ignore_missing, govshare_text(ID_MAX)],
        "state": [ignore_missing, govshare_text(ID_MAX)],
        "overdue": [ignore_missing, govshare_bool],
        "mine": [ignore_missing, govshare_bool],
        "limit": [ignore_missing, govshare_count(PAGE)],
        "offset": [ignore_missing, govshare_count(OFFSET)],
    }


# An information item's name: as long as the catalog's info_items name (schemas/dataset.yaml).
ITEM_NAME = 100


@validator_args
def info_item_sources(not_empty: Validator, govshare_text: Validator,
                      govshare_info_item_name: Validator) -> Schema:
    return {"name": [not_empty, govshare_text(ITEM_NAME), govshare_info_item_name]}


@validator_args
def source_designate(not_empty: Validator, govshare_text: Validator,
                     govshare_info_item_name: Validator) -> Schema:
    return {"name": [not_empty, govshare_text(ITEM_NAME), govshare_info_item_name],
            "owner_org": [not_empty, govshare_text(ID_MAX)]}


@validator_args
def info_item_synonym_create(not_empty: Validator, govshare_text: Validator,
                             govshare_info_item_name: Validator) -> Schema:
    return {"name": [not_empty, govshare_text(ITEM_NAME), govshare_info_item_name],
            "synonym": [not_empty, govshare_text(ITEM_NAME), govshare_info_item_name]}


@validator_args
def info_item_synonym_delete(not_empty: Validator, govshare_text: Validator,
                             govshare_info_item_name: Validator) -> Schema:
    return {"synonym": [not_empty, govshare_text(ITEM_NAME), govshare_info_item_name]}


@validator_args
def data_update_declare(not_empty: Validator, govshare_text: Validator, govshare_date: Validator,
                        govshare_ignore_blank: Validator,
                        package_id_or_name_exists: Validator) -> Schema:
    return {"package_id": [not_empty, govshare_text(ID_MAX), package_id_or_name_exists],
            "date": [not_empty, govshare_date],
            "note": [govshare_ignore_blank, govshare_text(SHORT)]}


@validator_args
def timeliness_list(ignore_missing: Validator, govshare_text: Validator,
                    govshare_bool: Validator, group_id_or_name_exists: Validator) -> Schema:
    return {"owner_org": [ignore_missing, govshare_text(ID_MAX), group_id_or_name_exists],
            "overdue": [ignore_missing, govshare_bool]}


@validator_args
def catalog_import(not_empty: Validator, ignore_missing: Validator, govshare_text: Validator,
                   govshare_bool: Validator, group_id_or_name_exists: Validator,
                   govshare_upload: Validator) -> Schema:
    return {"owner_org": [not_empty, govshare_text(ID_MAX), group_id_or_name_exists],
            "upload": [not_empty, govshare_upload],
            "dry_run": [ignore_missing, govshare_bool]}


def no_input() -> Schema:
    """Actions that take nothing."""
    return {}


@validator_args
def catalog_submit(not_empty: Validator, govshare_id_list: Validator,
                   govshare_secrecy_review: Validator) -> Schema:
    return {"ids": [not_empty, govshare_id_list],
            "secrecy_review": [not_empty, govshare_secrecy_review]}


@validator_args
def catalog_confirm(not_empty: Validator, govshare_id_list: Validator) -> Schema:
    return {"ids": [not_empty, govshare_id_list]}


@validator_args
def catalog_return(not_empty: Validator, not_missing: Validator, govshare_id_list: Validator,
                   govshare_long_text: Validator) -> Schema:
    return {"ids": [not_empty, govshare_id_list],
            "reason": [not_missing, govshare_long_text(LONG), not_empty]}


@validator_args
def duty_change_create(not_empty: Validator, not_missing: Validator, govshare_text: Validator,
                       govshare_long_text: Validator, govshare_date: Validator) -> Schema:
    return {"owner_org": [not_empty, govshare_text(ID_MAX)],
            "description": [not_missing, govshare_long_text(LONG), not_empty],
            "date": [not_empty, govshare_date]}


@validator_args
def department_figures(govshare_ignore_blank: Validator, govshare_text: Validator,
                       govshare_date: Validator, govshare_calendar_year: Validator,
                       group_id_or_name_exists: Validator) -> Schema:
    """year, or date_from / date_to; owner_org: one department."""
    return {"year": [govshare_ignore_blank, govshare_calendar_year],
            "date_from": [govshare_ignore_blank, govshare_date],
            "date_to": [govshare_ignore_blank, govshare_date],
            "owner_org": [govshare_ignore_blank, govshare_text(ID_MAX), group_id_or_name_exists]}


def _period(govshare_ignore_blank: Validator, govshare_date: Validator,
            govshare_calendar_year: Validator) -> Schema:
    return {"year": [govshare_ignore_blank, govshare_calendar_year],
            "date_from": [govshare_ignore_blank, govshare_date],
            "date_to": [govshare_ignore_blank, govshare_date]}


@validator_args
def scorecard(govshare_ignore_blank: Validator, govshare_text: Validator,
              govshare_date: Validator, govshare_calendar_year: Validator,
              group_id_or_name_exists: Validator) -> Schema:
    """year, or date_from / date_to; owner_org: one department's row and evidence."""
    return {**_period(govshare_ignore_blank, govshare_date, govshare_calendar_year),
            "owner_org": [govshare_ignore_blank, govshare_text(ID_MAX), group_id_or_name_exists]}


@validator_args
def scorecard_publish(govshare_ignore_blank: Validator, govshare_date: Validator,
                      govshare_calendar_year: Validator) -> Schema:
    return _period(govshare_ignore_blank, govshare_date, govshare_calendar_year)


@validator_args
def scorecard_annotate(not_missing: Validator, not_empty: Validator,
                       govshare_ignore_blank: Validator, govshare_text: Validator,
                       govshare_long_text: Validator, govshare_date: Validator,
                       govshare_calendar_year: Validator,
                       group_id_or_name_exists: Validator) -> Schema:
    """An empty note removes the department's note."""
    return {**_period(govshare_ignore_blank, govshare_date, govshare_calendar_year),
            "owner_org": [not_empty, govshare_text(ID_MAX), group_id_or_name_exists],
            "note": [not_missing, govshare_long_text(LONG)]}


@validator_args
def misuse_record(not_missing: Validator, not_empty: Validator,
                  govshare_ignore_blank: Validator, govshare_text: Validator,
                  govshare_long_text: Validator, govshare_date: Validator) -> Schema:
    """The grant, or the request it answered; what was found; the day (default today)."""
    return {"grant_id": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "request_id": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "description": [not_missing, govshare_long_text(LONG), not_empty],
            "found_on": [govshare_ignore_blank, govshare_date]}


@validator_args
def annual_report_show(not_empty: Validator, govshare_ignore_blank: Validator,
                       govshare_text: Validator, govshare_calendar_year: Validator,
                       group_id_or_name_exists: Validator) -> Schema:
    """year; owner_org: one department (none: the city)."""
    return {"year": [not_empty, govshare_calendar_year],
            "owner_org": [govshare_ignore_blank, govshare_text(ID_MAX), group_id_or_name_exists]}


@validator_args
def annual_report_update(not_missing: Validator, govshare_long_text: Validator) -> Schema:
    return {**annual_report_show(), "narrative": [not_missing, govshare_long_text(NARRATIVE)]}


@validator_args
def annual_report_submit(ignore_missing: Validator, govshare_long_text: Validator) -> Schema:
    """narrative: optional, but when given (a form's textarea) it is the text submitted."""
    return {**annual_report_show(),
            "narrative": [ignore_missing, govshare_long_text(NARRATIVE)]}


# Each govshare action's input schema.
@validator_args
def announcement_create(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                        govshare_long_text: Validator) -> Schema:
    return {"title": [not_missing, govshare_text(SHORT), not_empty],
            "body": [not_missing, govshare_long_text(ANNOUNCEMENT), not_empty]}


@validator_args
def announcement_update(not_empty: Validator, govshare_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)], **announcement_create()}


@validator_args
def announcement_list(ignore_missing: Validator, govshare_count: Validator) -> Schema:
    return {"limit": [ignore_missing, govshare_count(PAGE)],
            "offset": [ignore_missing, govshare_count(OFFSET)]}


@validator_args
def synonym_create(not_missing: Validator, not_empty: Validator,
                   govshare_text: Validator) -> Schema:
    return {"term": [not_missing, govshare_text(SYNONYM_WORD), not_empty],
            "synonym": [not_missing, govshare_text(SYNONYM_WORD), not_empty]}


@validator_args
def search_suggest(not_missing: Validator, not_empty: Validator,
                   govshare_text: Validator) -> Schema:
    return {"q": [not_missing, govshare_text(SHORT), not_empty]}


# Data demands (数据需求) and showcases (应用成果).
ADDRESS = 1000  # a showcase's web address


@validator_args
def demand_create(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                  govshare_long_text: Validator) -> Schema:
    return {"title": [not_missing, govshare_text(SHORT), not_empty],
            "description": [not_missing, govshare_long_text(LONG), not_empty],
            "wanted_fields": [not_missing, govshare_long_text(LONG), not_empty],
            "purpose": [not_missing, govshare_long_text(LONG), not_empty]}


@validator_args
def demand_route(not_missing: Validator, not_empty: Validator,
                 govshare_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "department": [not_missing, govshare_text(ID_MAX), not_empty]}


@validator_args
def demand_reply(not_missing: Validator, not_empty: Validator,
                 govshare_ignore_blank: Validator, govshare_text: Validator,
                 govshare_long_text: Validator,
                 package_id_or_name_exists: Validator) -> Schema:
    """outcome: will_open (package_id: the entry) or not_available (answer: the reason)."""
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "outcome": [not_missing, govshare_text(ID_MAX), not_empty],
            "answer": [not_missing, govshare_long_text(LONG), not_empty],
            "package_id": [govshare_ignore_blank, govshare_text(ID_MAX),
                           package_id_or_name_exists]}


@validator_args
def demand_list(ignore_missing: Validator, govshare_ignore_blank: Validator,
                govshare_text: Validator, govshare_bool: Validator,
                govshare_count: Validator) -> Schema:
    return {"state": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "department": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "mine": [ignore_missing, govshare_bool],
            "limit": [ignore_missing, govshare_count(PAGE)],
            "offset": [ignore_missing, govshare_count(OFFSET)]}


@validator_args
def showcase_create(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                    govshare_long_text: Validator, govshare_id_list: Validator) -> Schema:
    return {"title": [not_missing, govshare_text(SHORT), not_empty],
            "description": [not_missing, govshare_long_text(LONG), not_empty],
            "url": [not_missing, govshare_text(ADDRESS), not_empty],
            "entries": [not_missing, not_empty, govshare_id_list]}


@validator_args
def showcase_approve(not_empty: Validator, govshare_ignore_blank: Validator,
                     govshare_text: Validator, govshare_long_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "reason": [govshare_ignore_blank, govshare_long_text(LONG)]}


@validator_args
def showcase_reject(not_missing: Validator, not_empty: Validator, govshare_text: Validator,
                    govshare_long_text: Validator) -> Schema:
    return {"id": [not_empty, govshare_text(ID_MAX)],
            "reason": [not_missing, govshare_long_text(LONG), not_empty]}


@validator_args
def showcase_list(ignore_missing: Validator, govshare_ignore_blank: Validator,
                  govshare_text: Validator, govshare_bool: Validator,
                  govshare_count: Validator) -> Schema:
    return {"state": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "package_id": [govshare_ignore_blank, govshare_text(ID_MAX)],
            "mine": [ignore_missing, govshare_bool],
            "limit": [ignore_missing, govshare_count(PAGE)],
            "offset": [ignore_missing, govshare_count(OFFSET)]}


ACTIONS: dict[str, Callable[[], Schema]] = {
    "govshare_catalog_submit": catalog_submit,
    "govshare_catalog_confirm": catalog_confirm,
    "govshare_catalog_return": catalog_return,
    "govshare_catalog_import": catalog_import,
    "govshare_duty_change_create": duty_change_create,
    "govshare_grant_create": grant_create,
    "govshare_grant_revoke": grant_revoke,
    "govshare_grant_list": grant_list,
    "govshare_request_create": request_create,
    "govshare_request_approve": request_approve,
    "govshare_request_refuse": request_refuse,
    "govshare_request_withdraw": object_id,
    "govshare_request_show": request_show,
    "govshare_request_list": request_list,
    "govshare_application_create": application_create,
    "govshare_application_approve": request_approve,
    "govshare_application_refuse": request_refuse,
    "govshare_application_precheck": object_id,
    "govshare_case_create": case_create,
    "govshare_case_resolve": case_resolve,
    "govshare_case_list": no_input,
    "govshare_case_show": object_id,
    "govshare_usage_list": usage_list,
    "govshare_remind_and_escalate": no_input,
    "govshare_calendar_show": calendar_show,
    "govshare_calendar_update": calendar_update,
    "govshare_notification_list": notification_list,
    "govshare_registration_confirm": registration_confirm,
    "govshare_audit_list": audit_list,
    "govshare_error_report_create": error_report_create,
    "govshare_error_report_resolve": error_report_resolve,
    "govshare_error_report_list": error_report_list,
    "govshare_error_report_show": object_id,
    "govshare_info_item_sources": info_item_sources,
    "govshare_source_designate": source_designate,
    "govshare_info_item_synonym_create": info_item_synonym_create,
    "govshare_info_item_synonym_delete": info_item_synonym_delete,
    "govshare_info_item_synonym_list": no_input,
    "govshare_info_item_duplicates": no_input,
    "govshare_data_update_declare": data_update_declare,
    "govshare_timeliness_list": timeliness_list,
    "govshare_timeliness_check": no_input,
    "govshare_department_figures": department_figures,
    "govshare_scorecard": scorecard,
    "govshare_scorecard_publish": scorecard_publish,
    "govshare_scorecard_annotate": scorecard_annotate,
    "govshare_misuse_record": misuse_record,
    "govshare_announcement_create": announcement_create,
    "govshare_announcement_update": announcement_update,
    "govshare_announcement_delete": object_id,
    "govshare_announcement_list": announcement_list,
    "govshare_annual_report_show": annual_report_show,
    "govshare_annual_report_update": annual_report_update,
    "govshare_annual_report_submit": annual_report_submit,
    "govshare_annual_report_remind": no_input,
    "govshare_demand_create": demand_create,
    "govshare_demand_route": demand_route,
    "govshare_demand_reply": demand_reply,
    "govshare_demand_list": demand_list,
    "govshare_demand_show": object_id,
    "govshare_showcase_create": showcase_create,
    "govshare_showcase_approve": showcase_approve,
    "govshare_showcase_reject": showcase_reject,
    "govshare_showcase_list": showcase_list,
    "govshare_showcase_show": object_id,
    "govshare_synonym_create": synonym_create,
    "govshare_synonym_delete": object_id,
    "govshare_synonym_list": no_input,
    "govshare_search_suggest": search_suggest,
}
