"""Validators for the catalog rules of shared/spec/catalog-metadata.md.

Each rule is attached to the field it is about in schemas/*.yaml, so a
violation is reported under that field's name; messages name the field by
its label in the user's language.
"""
from __future__ import annotations

import datetime
import json
import math
import re
import unicodedata
from typing import Any, Callable

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.logic import validators as core_validators
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey
from ckanext.scheming.validation import scheming_validator
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from ckanext.govshare import access, codes, lookups, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.model import Request

__all__ = [
    "govshare_required_when",
    "govshare_base_unconditional",
    "govshare_closed_if_not_shared",
    "govshare_resource_code",
    "govshare_name_from_code",
    "govshare_not_future",
    "govshare_related_codes",
    "govshare_non_negative_number",
    "govshare_info_items_rules",
    "govshare_department_code",
    "govshare_visibility",
    "govshare_catalog_state",
    "govshare_secrecy_review",
    "govshare_usage_scope_codes",
    "govshare_iso_dates",
    "govshare_calendar_year",
    "govshare_calendar_note",
    "govshare_text",
    "govshare_long_text",
    "govshare_count",
    "govshare_bool",
    "govshare_id_list",
    "govshare_request_exists",
    "govshare_date",
    "govshare_ignore_blank",
    "govshare_info_item_name",
]

_ = tk._
missing = tk.missing
StopOnError = tk.StopOnError

# 分类码 = 类(1) + 项(2) + 目(3) + optional 细目; 顺序码 = digits.
RESOURCE_CODE = re.compile(r"^(?P<cls>[123])\d{2}\d{3}\d*/\d+$")
RESOURCE_CODE_MAX = 40
# Whitespace a multi-line text (a form's textarea) may hold.
LINE_BREAKS = frozenset("\n\r\t")


def _empty(value: Any) -> bool:
    return value is missing or value is None or value == "" or value == []


def _other(data: FlattenDataDict, key: FlattenKey, name: str) -> str | None:
    """The code in a sibling field of ``key``; None if that field holds no code
    (its own validator reports what it holds instead)."""
    value = data.get(key[:-1] + (name,))
    return value if isinstance(value, str) else None


# ------------------------------------------------------------------ any input

def _refused_character(text: str, allowed: frozenset[str]) -> bool:
    """Control characters (NUL, escape, ...) and lone surrogates: no one types them,
    PostgreSQL refuses NUL, and a surrogate cannot even be encoded."""
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text)


def govshare_ignore_blank(key: FlattenKey, data: FlattenDataDict,
                          errors: FlattenErrorDict, context: Context) -> None:
    """An optional field left blank (missing, null, a form's empty string) is left out.

    Unlike ``ignore_empty``, 0 and false are values, and an empty list is left to the
    type check (CKAN would give it back after ``ignore_empty`` dropped it)."""
    value = data.get(key, missing)
    if value is missing or value is None or (isinstance(value, str) and not value.strip()):
        data.pop(key, None)
        raise StopOnError


Check = Callable[[Any, Context], Any]
FullValidator = Callable[[FlattenKey, FlattenDataDict, FlattenErrorDict, Context], None]


def _stops_on_error(check: Check) -> FullValidator:
    """A value check whose refusal ends the field's chain: CKAN runs the validators
    after a failed one on the raw value (a date check's error left "tomorrow" to
    the not-future check, a type check's a list to the id lookup)."""
    def validator(key: FlattenKey, data: FlattenDataDict,
                  errors: FlattenErrorDict, context: Context) -> None:
        try:
            data[key] = check(data.get(key, missing), context)
        except tk.Invalid as error:
            errors[key].append(error.error)
            raise StopOnError

    return validator


def _text(max_length: int, allowed: frozenset[str]) -> FullValidator:
    def check(value: Any, context: Context) -> Any:
        if value is missing or value is None:
            return value
        if not isinstance(value, str):
            raise tk.Invalid(_("Must be text"))
        if _refused_character(value, allowed):
            raise tk.Invalid(_("Must not contain control characters"))
        value = value.strip()
        if len(value) > max_length:
            raise tk.Invalid(_("Must be at most {max} characters").format(max=max_length))
        return value

    validator = _stops_on_error(check)
    validator.max_length = max_length  # type: ignore[attr-defined]  # for forms and the fuzz suite
    return validator


def govshare_text(max_length: int) -> FullValidator:
    """One line of text of at most ``max_length`` characters, stripped.

    Before ``not_empty``: a null stays null (so it is reported missing), any
    other non-text is refused instead of being turned into text."""
    return _text(int(max_length), frozenset())


def govshare_long_text(max_length: int) -> FullValidator:
    """Like ``govshare_text``, with line breaks and tabs."""
    return _text(int(max_length), LINE_BREAKS)


def govshare_count(maximum: int) -> FullValidator:
    """A whole number from 0 to ``maximum`` (given as a number or as digits).

    The bound keeps it inside PostgreSQL's and Solr's integers; an empty value
    is for ``ignore_empty`` before this to drop."""
    maximum = int(maximum)

    def check(value: Any, context: Context) -> int:
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,20}\s*", value):
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
            raise tk.Invalid(_("Must be a whole number from 0 to {max}").format(max=maximum))
        return value

    return _stops_on_error(check)


BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def govshare_bool(key: FlattenKey, data: FlattenDataDict,
                  errors: FlattenErrorDict, context: Context) -> None:
    """true or false (a JSON boolean, or the words a form sends); anything else is refused
    where CKAN's ``boolean_validator`` would read it as false. Nothing given (missing, null,
    a form's empty choice) leaves the field out; false stays false (``ignore_empty``
    would drop it)."""
    value = data.get(key, missing)
    if value is missing or value is None or value == "":
        data.pop(key, None)
        raise StopOnError
    if isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS:
        value = BOOLEAN_WORDS[value.strip().lower()]
    if not isinstance(value, bool):
        errors[key].append(_("Must be true or false"))
        raise StopOnError
    data[key] = value


DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")


def _date(value: Any, context: Context) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and DATE.fullmatch(value.strip()):
        try:
            return datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise tk.Invalid(_("Must be a date like 2024-01-31"))


# An ISO date (optionally with a time), as a datetime like CKAN's ``isodate``;
# "tomorrow", 2026-02-30 and years of 30 digits are refused, not crashed on.
govshare_date = _stops_on_error(_date)

ID_MAX = 100


def _id_list(value: Any, context: Context) -> list[str]:
    if (not isinstance(value, list) or len(value) > 1000
            or not all(isinstance(v, str) and len(v) <= ID_MAX
                       and not _refused_character(v, frozenset()) for v in value)):
        raise tk.Invalid(_("Must be a list of ids"))
    return [v.strip() for v in value]


# A list of ids (e.g. resource ids), each one line of text.
govshare_id_list = _stops_on_error(_id_list)


def govshare_request_exists(value: Any, context: Context) -> Any:
    """The id of an existing request or application (after ``govshare_text``)."""
    if value is missing or value is None:
        return value
    if model.Session.get(Request, value) is None:
        raise tk.Invalid(_("Request not found"))
    return value


def govshare_info_item_name(value: Any, context: Context) -> Any:
    """An information item's name that still says something once normalised (after
    ``govshare_text``): not only spaces and punctuation."""
    from ckanext.govshare import sources

    if isinstance(value, str) and not sources.normalise(value):
        raise tk.Invalid(_("An item name needs letters or digits"))
    return value


# ------------------------------------------------------------------ catalog rules


def govshare_required_when(other: str, expected: str) -> Callable[..., Any]:
    """Field is required when field ``other`` has value ``expected``."""

    @scheming_validator
    def factory(field: dict[str, Any], schema: dict[str, Any]):
        def validator(key: FlattenKey, data: FlattenDataDict,
                      errors: FlattenErrorDict, context: Context) -> None:
            if not _empty(data.get(key)):
                return
            if _other(data, key, other) == expected:
                errors[key].append(_(
                    "{label} is required when {other} is {value}"
                ).format(
                    label=catalog.field_label(field),
                    other=catalog.field_label(catalog.dataset_field(other)),
                    value=catalog.choice_label(other, expected),
                ))
            elif data.get(key) in (missing, None):
                data.pop(key, None)
            raise StopOnError

        return validator

    return factory


@scheming_validator
def govshare_base_unconditional(field: dict[str, Any], schema: dict[str, Any]):
    """Base resources (人口, 法人单位, ...) must be shared unconditionally (第十二条)."""

    def validator(key: FlattenKey, data: FlattenDataDict,
                  errors: FlattenErrorDict, context: Context) -> None:
        if (_other(data, key, "resource_class") == codes.BASE
                and data.get(key) != codes.UNCONDITIONAL):
            errors[key].append(_(
                "{label} of a base resource must be {value}"
            ).format(label=catalog.field_label(field),
                     value=catalog.choice_label("share_type", codes.UNCONDITIONAL)))

    return validator


@scheming_validator
def govshare_closed_if_not_shared(field: dict[str, Any], schema: dict[str, Any]):
    """An entry not shared with departments cannot be open to the public."""

    def validator(key: FlattenKey, data: FlattenDataDict,
                  errors: FlattenErrorDict, context: Context) -> None:
        if _other(data, key, "share_type") == codes.NOT_SHARED and data.get(key) != codes.CLOSED:
            errors[key].append(_(
                "{label} must be {value} when the entry is not shared"
            ).format(label=catalog.field_label(field),
                     value=catalog.choice_label("open_type", codes.CLOSED)))

    return validator


def _current_package_id(data: FlattenDataDict, context: Context) -> str | None:
    package = context.get("package")
    if package is not None:
        return package.id
    pkg_id = data.get(("id",))
    return None if _empty(pkg_id) else pkg_id


@scheming_validator
def govshare_resource_code(field: dict[str, Any], schema: dict[str, Any]):
    """Format ``<分类码>/<顺序码>``, class digit agreeing with resource_class, unique."""

    def validator(key: FlattenKey, data: FlattenDataDict,
                  errors: FlattenErrorDict, context: Context) -> None:
        code = data.get(key)
        label = catalog.field_label(field)
        match = (RESOURCE_CODE.match(code)
                 if isinstance(code, str) and len(code) <= RESOURCE_CODE_MAX else None)
        if not match:
            errors[key].append(_(
                "{label} must look like 101001/000001: a 1-digit class (1, 2 or 3), "
                "2-digit item, 3-digit category, optional sub-category digits, "
                "a slash and a sequence number"
            ).format(label=label))
            raise StopOnError
        resource_class = _other(data, key, "resource_class")
        expected = codes.CLASS_DIGIT.get(resource_class or "")
        if expected and match.group("cls") != expected:
            errors[key].append(_(
                "{label} must start with {digit} for {value}"
            ).format(label=label, digit=expected,
                     value=catalog.choice_label("resource_class", resource_class)))
        # Deleted entries keep their code (and the name made from it) until purged.
        own_id = _current_package_id(data, context)
        known = context.get(lookups.KEY)
        if known is not None and code in known.codes:
            other = next((name for package_id, name in known.codes[code]
                          if package_id != own_id), None)
        else:
            taken = (
                model.Session.query(model.Package.name)
                .filter(model.Package.extras["resource_code"].astext == code)
            )
            if own_id:
                taken = taken.filter(model.Package.id != own_id)
            found = taken.first()
            other = found.name if found else None
        if other:
            errors[key].append(_(
                "{label} {code} is already used by entry {name}"
            ).format(label=label, code=code, name=other))

    return validator


def govshare_name_from_code(key: FlattenKey, data: FlattenDataDict,
                            errors: FlattenErrorDict, context: Context) -> None:
    """Chinese titles give no URL slug, so an empty name is made from resource_code."""
    if not _empty(data.get(key)):
        return
    code = data.get(("resource_code",))
    if isinstance(code, str) and code.strip():
        data[key] = name_from_code(code)


def name_from_code(code: str) -> str:
    """The URL name an entry without one gets from its resource code."""
    return re.sub(r"[^a-z0-9_-]+", "-", code.strip().lower())


def govshare_not_future(value: Any, context: Context) -> Any:
    """After ``isodate``: a value it refused stays as given, with its error already recorded."""
    if not isinstance(value, datetime.date):
        return value
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day > datetime.date.today():
        raise tk.Invalid(_("{label} cannot be in the future").format(
            label=catalog.field_label(catalog.dataset_field("publish_date"))))
    return value


def govshare_related_codes(key: FlattenKey, data: FlattenDataDict,
                           errors: FlattenErrorDict, context: Context) -> None:
    """Each related code must itself be a well-formed resource code."""
    value = data.get(key)
    if value is missing or value is None:
        return
    related = [value] if isinstance(value, str) else value
    if not isinstance(related, list) or len(related) > 100:
        errors[key].append(_("Must be a list of resource codes"))
        raise StopOnError
    bad = [c for c in related if not isinstance(c, str)
           or (c.strip() and not (len(c.strip()) <= RESOURCE_CODE_MAX
                                  and RESOURCE_CODE.match(c.strip())))]
    if any(not isinstance(c, str) or _refused_character(c, frozenset()) for c in bad):
        errors[key].append(_("Must be a list of resource codes"))
        raise StopOnError
    if bad:
        errors[key].append(_("{label}: not a resource code: {codes}").format(
            label=catalog.field_label(catalog.dataset_field("related_codes")),
            codes=", ".join(bad)))
        raise StopOnError


def govshare_non_negative_number(value: Any, context: Context) -> float:
    """A finite number of 0 or more ("inf" and "nan" are numbers to Python, not sizes)."""
    try:
        number = -1.0 if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):
        number = -1.0
    if not math.isfinite(number) or number < 0:
        raise tk.Invalid(_("Must be a number of 0 or more"))
    return number


def govshare_info_items_rules(key: FlattenKey, data: FlattenDataDict,
                              errors: FlattenErrorDict, context: Context) -> None:
    """Schema-level: info_items present for structured formats, items never looser.

    Runs after the fields (scheming ``after_validators``) because it compares
    the entry's own attributes with each item's.
    """
    if any(errors.get(k) for k in data if len(k) == 3 and k[0] == "info_items"):
        return  # the items' own errors first (an error on the list too would break CKAN's
        # unflattening of the errors)
    items = sorted({k[1] for k in data if len(k) == 3 and k[0] == "info_items"})
    items = [i for i in items if not _empty(data.get(("info_items", i, "name")))]
    field = catalog.dataset_field("info_items")
    format_class = data.get(("format_class",))
    if not items and format_class in codes.STRUCTURED_FORMATS:
        errors.setdefault(("info_items",), []).append(_(
            "{label} are required when {other} is {value}"
        ).format(label=catalog.field_label(field),
                 other=catalog.field_label(catalog.dataset_field("format_class")),
                 value=catalog.choice_label("format_class", format_class)))
        return

    entry_share = data.get(("share_type",))
    entry_open = data.get(("open_type",))
    for i in items:
        item_share = data.get(("info_items", i, "share_type"))
        if (item_share in codes.SHARE_STRICTNESS and entry_share in codes.SHARE_STRICTNESS
                and codes.SHARE_STRICTNESS.index(item_share)
                < codes.SHARE_STRICTNESS.index(entry_share)):
            errors.setdefault(("info_items", i, "share_type"), []).append(_(
                "Item {item}: its share type {item_value} is looser than the entry's {value}"
            ).format(item=data.get(("info_items", i, "name")),
                     item_value=catalog.choice_label("share_type", item_share),
                     value=catalog.choice_label("share_type", entry_share)))
        if data.get(("info_items", i, "open")) is True and entry_open == codes.CLOSED:
            errors.setdefault(("info_items", i, "open"), []).append(_(
                "Item {item} cannot be open when the entry is {value}"
            ).format(item=data.get(("info_items", i, "name")),
                     value=catalog.choice_label("open_type", codes.CLOSED)))


def govshare_department_code(value: Any, context: Context) -> Any:
    """统一社会信用代码 (GB 32100): 18 characters with a verified check digit."""
    if _empty(value):
        return value
    try:
        if not isinstance(value, str):
            raise StdnumError()
        return uscc.validate(value)
    except StdnumError:
        raise tk.Invalid(_(
            "{label} must be an 18-character unified social credit code "
            "with a correct check digit"
        ).format(label=catalog.field_label(catalog.organization_field("department_code"))))


def govshare_visibility(key: FlattenKey, data: FlattenDataDict,
                        errors: FlattenErrorDict, context: Context) -> None:
    """Schema-level: CKAN's ``private`` flag follows open_type and the site role.

    Users do not choose it: an entry is public on this site exactly when it is
    open (general or authorized) and the site serves the public.
    """
    data[("private",)] = not (data.get(("catalog_state",)) == codes.REGISTERED
                              and access.is_public_on_this_site(data.get(("open_type",))))


def govshare_catalog_state(key: FlattenKey, data: FlattenDataDict,
                           errors: FlattenErrorDict, context: Context) -> None:
    """目录状态 moves only by the catalog actions: a new entry is a draft, an edit keeps the
    state. Sysadmins and internal calls (the catalog actions, the demo loader, the sync
    writing to the open site) set it; what a department sends is ignored, so that a
    package_show → package_update round trip works and cannot register anything."""
    package_id = _current_package_id(data, context)
    package = context.get("package") or (model.Package.get(package_id) if package_id else None)
    current = (package.extras or {}).get("catalog_state") if package is not None else None
    if _empty(data.get(key)) or not access.acts_unrestricted(context):
        data[key] = current or codes.DRAFT


def govshare_usage_scope_codes(value: Any, context: Context) -> list[str]:
    """A list of the schema's usage_scope codes (使用用途)."""
    codes = [value] if isinstance(value, str) else value
    known = catalog.choice_values("usage_scope")
    if not isinstance(codes, list) or not codes or any(c not in known for c in codes):
        raise tk.Invalid(_("Choose one or more of: {codes}").format(codes=", ".join(known)))
    return codes


# ------------------------------------------------ entries one may not see do not exist
# CKAN's own "exists" validators, which every core and govshare schema names, with the
# access rule on top: an entry the caller may not see answers exactly like a missing
# one, whatever action asks (follow, member, relationship, request, ...).

def _hidden(package: model.Package | None, context: Context) -> bool:
    return (package is not None and package.state == "active"
            and not access.acts_unrestricted(context)
            and not access.can_see_entry(access.context_user(context), package))


def _seen(core: str) -> Callable[..., Any]:
    check = getattr(core_validators, core)

    def validator(value: Any, context: Context) -> Any:
        value = check(value, context)
        if core.startswith("resource"):
            resource = model.Resource.get(value)
            package = resource.package if resource is not None else None
            if _hidden(package, context):
                raise tk.Invalid(tk._("Resource not found: %s") % value)
        else:
            package = model.Package.get(value)
            if _hidden(package, context):
                message = (tk._("Dataset not found: %s") % value if core == "package_name_exists"
                           else tk._("Dataset not found"))
                raise tk.Invalid(message)
        return value

    validator.__name__ = core
    validator.__doc__ = f"CKAN's {core}, for the entries the caller may see."
    return validator


package_id_exists = _seen("package_id_exists")
package_name_exists = _seen("package_name_exists")
package_id_or_name_exists = _seen("package_id_or_name_exists")
resource_id_exists = _seen("resource_id_exists")
__all__ += ["package_id_exists", "package_name_exists", "package_id_or_name_exists",
            "resource_id_exists"]


# ------------------------------------------------ a catalog import's lookups (lookups.py)
# CKAN's validators that query the database for every entry, answered from the lookups a
# catalog import (or its index batch) made for all its entries at once, when the context
# carries them; with the answers the database would give, and CKAN's own messages.

def owner_org_validator(key: FlattenKey, data: FlattenDataDict,
                        errors: FlattenErrorDict, context: Context) -> Any:
    """CKAN's; for a new entry of an import, once per value given (the same user, the same
    department: the same answer)."""
    known = context.get(lookups.KEY)
    value = data.get(key)
    if known is None or context.get("package") is not None or not isinstance(value, str) \
            or not value:
        return core_validators.owner_org_validator(key, data, errors, context)
    if value in known.owners:
        data[key] = known.owners[value]
        return None
    core_validators.owner_org_validator(key, data, errors, context)
    if isinstance(data.get(key), str):
        known.owners[value] = data[key]
    return None


def package_name_validator(key: FlattenKey, data: FlattenDataDict,
                           errors: FlattenErrorDict, context: Context) -> Any:
    """CKAN's, with the entry holding the name from the lookups when they have it."""
    known = context.get(lookups.KEY)
    name = data.get(key)
    if known is None or not isinstance(name, str) or name not in known.names:
        return core_validators.package_name_validator(key, data, errors, context)
    package = context.get("package")
    own_id = package.id if package else data.get(key[:-1] + ("id",))
    holder = known.names[name]
    if holder is not None and (own_id is missing or holder != own_id):
        errors[key].append(_("That URL is already in use."))
    if len(name) < model.PACKAGE_NAME_MIN_LENGTH:
        raise tk.Invalid(_('Name "%s" length is less than minimum %s')
                         % (name, model.PACKAGE_NAME_MIN_LENGTH))
    if len(name) > model.PACKAGE_NAME_MAX_LENGTH:
        raise tk.Invalid(_('Name "%s" length is more than maximum %s')
                         % (name, model.PACKAGE_NAME_MAX_LENGTH))
    return None


def ignore_not_sysadmin(key: FlattenKey, data: FlattenDataDict,
                        errors: FlattenErrorDict, context: Context) -> Any:
    """CKAN's, with the user's sysadmin flag from the lookups when they have it."""
    known = context.get(lookups.KEY)
    if known is None or known.sysadmin is None:
        return core_validators.ignore_not_sysadmin(key, data, errors, context)
    if not (context.get("ignore_auth") or (context.get("user") and known.sysadmin)):
        data.pop(key)
    return None


__all__ += ["owner_org_validator", "package_name_validator", "ignore_not_sysadmin"]


def govshare_iso_dates(value: Any, context: Context) -> list[datetime.date]:
    """A list of ISO dates (YYYY-MM-DD), or one text of them separated by spaces or commas
    (forms, the CLI and the config lists)."""
    days = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(days, list):
        raise tk.Invalid(_("Give a list of dates (YYYY-MM-DD)"))
    parsed = []
    for day in days:
        try:
            parsed.append(workdays.parse_date(day))
        except ValueError:
            raise tk.Invalid(_("Not a date (YYYY-MM-DD): {value}").format(value=str(day)[:40]))
    return sorted(set(parsed))


def govshare_calendar_year(value: Any, context: Context) -> int:
    """A year the calendar can hold."""
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isdigit() or not workdays.FIRST_YEAR <= int(text) <= workdays.LAST_YEAR:
        raise tk.Invalid(_("Give a year from {first} to {last}").format(
            first=workdays.FIRST_YEAR, last=workdays.LAST_YEAR))
    return int(text)


def govshare_calendar_note(value: Any, context: Context) -> str:
    """Where a year's arrangement comes from: one line of text."""
    if not isinstance(value, str) or len(value) > 500 or any(c < " " for c in value):
        raise tk.Invalid(_("Give the source as one line of text (at most 500 characters)"))
    return value.strip()


# The secrecy review (保密审查) of a submission: who reviewed, what they concluded, when.
SECRECY_REVIEW_PARTS = {"reviewer": 200, "conclusion": 2000, "date": 40}


def govshare_secrecy_review(value: Any, context: Context) -> dict[str, Any]:
    """``{reviewer, conclusion, date}``, each given; the date a past or present day."""
    if not isinstance(value, dict) or set(value) - set(SECRECY_REVIEW_PARTS):
        raise tk.Invalid(_("Give the secrecy review as reviewer, conclusion and date"))
    labels = {"reviewer": _("Reviewer"), "conclusion": _("Review conclusion"),
              "date": _("Review date")}
    review: dict[str, Any] = {}
    for part, length in SECRECY_REVIEW_PARTS.items():
        text = value.get(part)
        if not isinstance(text, str) or not text.strip() or len(text) > length \
                or _refused_character(text, LINE_BREAKS):
            raise tk.Invalid(_("Secrecy review: {part} is missing or not valid")
                             .format(part=labels[part]))
        review[part] = text.strip()
    try:
        day = _date(review["date"], context).date()
    except tk.Invalid:
        day = None
    if day is None or day > workdays.today():
        raise tk.Invalid(_("Secrecy review: {part} is missing or not valid")
                         .format(part=labels["date"]))
    review["date"] = day
    return review


def govshare_upload(value: Any, context: Context) -> Any:
    """An uploaded file (a multipart form field): the catalog spreadsheet of an import."""
    if not (hasattr(value, "stream") and hasattr(value, "filename")):
        raise tk.Invalid(_("Upload a file (.xlsx, .csv or .xml)"))
    return value


__all__ += ["govshare_upload"]


def govshare_returned_to(key: FlattenKey, data: FlattenDataDict,
                       errors: FlattenErrorDict, context: Context) -> None:
    """回流对象: the lower-level departments or platforms an entry is returned to, each by
    its 统一社会信用代码 (as the platform registered it). Not on the entry form (the upper
    platform sets it through the API): an update that leaves it out keeps it."""
    value = data.get(key, missing)
    if value is missing:
        package_id = _current_package_id(data, context)
        package = context.get("package") or (model.Package.get(package_id) if package_id else None)
        current = (package.extras or {}).get("returned_to") if package is not None else None
        data[key] = json.loads(current) if current else missing
        return
    if value is None:
        return
    listed = [value] if isinstance(value, str) else value
    label = catalog.field_label(catalog.dataset_field("returned_to"))
    if not isinstance(listed, list) or len(listed) > 500 or not all(
            isinstance(c, str) for c in listed):
        errors[key].append(_("{label}: must be a list of unified social credit codes").format(
            label=label))
        raise StopOnError
    bad = []
    for code in (c.strip() for c in listed if c.strip()):
        try:
            uscc.validate(code)
        except StdnumError:
            bad.append(code[:40])
    if bad:
        errors[key].append(_("{label}: not a unified social credit code: {codes}").format(
            label=label, codes=", ".join(bad)))
        raise StopOnError


__all__ += ["govshare_returned_to"]
