"""Template helpers."""
from __future__ import annotations

from typing import Any, Optional

from ckanext.govshare import (access, figures, pages, registration, schema, sources, timeliness,
                              workflow)

__all__ = ["govshare_how_to_get_access", "govshare_request_kind", "govshare_state_label",
           "govshare_working_days_left", "govshare_calendar_warning", "govshare_choice_label", "govshare_unread_count",
           "govshare_pending_request", "govshare_applicant_types", "govshare_item_sources",
           "govshare_timeliness_notices", "govshare_public_figures"]


def govshare_how_to_get_access(package: dict[str, Any]) -> str:
    return access.how_to_get_access(package)


# ------------------------------------------------------------------ workflow pages

def govshare_request_kind(package: dict[str, Any]) -> Optional[str]:
    """``share`` or ``open`` when the current user can request the entry's data, else None."""
    return pages.request_kind(pages.current_user(), package)


def govshare_pending_request(package: dict[str, Any], kind: str) -> Optional[dict[str, Any]]:
    """The current user's pending request for the entry, if any."""
    user = pages.current_user()
    return pages.pending_request(user, package, kind) if user else None


def govshare_state_label(state: str) -> str:
    return workflow.state_label(state)


def govshare_working_days_left(deadline: str) -> Optional[int]:
    """Working days from today to the deadline (negative once it has passed; None: unknown)."""
    return pages.working_days_left(deadline)


def govshare_choice_label(field_name: str, value: str) -> str:
    """The label of a catalog code (e.g. a usage_scope) in the user's language."""
    return schema.choice_label(field_name, value)


def govshare_unread_count() -> int:
    """The current user's unseen notifications, for the header badge."""
    return pages.unread_count(pages.current_user())


def govshare_applicant_types() -> list[dict[str, str]]:
    """The register form's applicant types (person, company), as form.select options."""
    return [{"value": value, "text": text} for value, text in registration.applicant_types()]


def govshare_calendar_warning() -> list[int]:
    """For the data authority: the years it has to enter soon (see workdays.unknown_years_ahead)."""
    return pages.calendar_warning(pages.current_user())


def govshare_item_sources(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry's items that others already provide (entries the viewer may see) or whose
    source department is another department: the compiler's 一数一源 notice."""
    viewer = pages.current_user()
    return sources.entry_notices(package, viewer, access.is_sysadmin(viewer))


def govshare_timeliness_notices() -> list[str]:
    """What the current user's departments are told about their overdue entries and the
    consequence (govshare.timeliness.sanction), shown on the request pages."""
    departments = access.department_ids(pages.current_user())
    return [n for n in (timeliness.notice(org_id) for org_id in sorted(departments)) if n]


def govshare_public_figures() -> dict[str, int]:
    """The home page's statistics (entries, departments, open entries, downloads,
    applications), from the department figures."""
    return figures.public()
