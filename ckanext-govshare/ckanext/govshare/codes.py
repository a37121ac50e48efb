"""The catalog's choice codes that the code decides on, named once.

The codes themselves are defined by schemas/dataset.yaml (the single source of
truth); ``check`` runs when the plugin loads and refuses to start if a code
named here is not among its field's choices, so a renamed code cannot
silently turn a rule off.
"""
from __future__ import annotations

from ckanext.govshare import schema as catalog

# share_type (共享类型), loosest first: an information item may only move right.
UNCONDITIONAL, CONDITIONAL, NOT_SHARED = "unconditional", "conditional", "none"
SHARE_STRICTNESS = (UNCONDITIONAL, CONDITIONAL, NOT_SHARED)

# open_type (开放属性)
GENERAL, AUTHORIZED, CLOSED = "general", "authorized", "closed"
PUBLISHED_OPEN_TYPES = (GENERAL, AUTHORIZED)

# resource_class (信息资源分类) and the first digit of its resource codes
BASE, THEME, DEPARTMENT = "base", "theme", "department"
CLASS_DIGIT = {BASE: "1", THEME: "2", DEPARTMENT: "3"}

# format_class (信息资源格式分类): the structured formats, which must list their
# information items (catalog-metadata.md: info_items "yes for spreadsheet and database").
SPREADSHEET, DATABASE = "spreadsheet", "database"
STRUCTURED_FORMATS = (SPREADSHEET, DATABASE)

# catalog_state (目录状态): compile → submit → registered, or returned to the department.
DRAFT, SUBMITTED, REGISTERED, RETURNED = "draft", "submitted", "registered", "returned"
CATALOG_STATES = (DRAFT, SUBMITTED, REGISTERED, RETURNED)


# update_frequency (更新周期): how often an entry's data is due again (timeliness).
REALTIME, DAILY, WEEKLY, MONTHLY = "realtime", "daily", "weekly", "monthly"
QUARTERLY, SEMIANNUAL, ANNUAL, IRREGULAR = "quarterly", "semiannual", "annual", "irregular"

# Each field with the codes named above.
USED = {
    "share_type": SHARE_STRICTNESS,
    "open_type": (GENERAL, AUTHORIZED, CLOSED),
    "resource_class": tuple(CLASS_DIGIT),
    "format_class": STRUCTURED_FORMATS,
    "catalog_state": CATALOG_STATES,
    "update_frequency": (REALTIME, DAILY, WEEKLY, MONTHLY, QUARTERLY, SEMIANNUAL, ANNUAL,
                         IRREGULAR),
}


def check() -> None:
    """Every code named here is a choice of its field in the dataset schema."""
    unknown = [f"{field}: {code}" for field, codes in USED.items()
               for code in codes if code not in catalog.choice_values(field)]
    if unknown:
        raise RuntimeError("Codes not among the choices of schemas/dataset.yaml: "
                           + ", ".join(unknown))
