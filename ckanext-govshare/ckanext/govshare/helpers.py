"""Template helpers."""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.common import g
from ckan.lib import helpers as core
from ckan.lib.dictization import model_dictize

from ckanext.govshare import (access, avatars, datastore, dates, harvest, home, pages,
                              registration, schema, sources, timeliness, wording,
                              workflow)

__all__ = ["govshare_how_to_get_access", "govshare_request_kind", "govshare_state_label",
           "govshare_working_days_left", "govshare_calendar_warning", "govshare_choice_label", "govshare_unread_count",
           "govshare_pending_request", "govshare_applicant_types", "govshare_item_sources",
           "govshare_timeliness_notices", "govshare_public_figures", "govshare_department_card",
           "govshare_next_step", "govshare_access_badges", "govshare_last_update", "govshare_item_label",
           "govshare_field_label", "add_url_param", "remove_url_param", "markdown_extract",
           "render_datetime", "govshare_error_title", "govshare_error_text",
           "govshare_activity_type_label", "govshare_resource_facts", "get_allowed_view_types",
           "govshare_withheld_columns", "govshare_entry_origin", "govshare_search_suggestions",
           "govshare_demand_reply_working_days", "govshare_entry_showcases", "govshare_avatar",
           "user_image"]


def govshare_department_card(package: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The entry's department for the sidebar. CKAN's sidebar asks organization_show, whose
    dataset count and follower count cost a search and two queries on every entry page; the
    card shows neither."""
    group = model.Group.get((package.get("organization") or {}).get("id") or "")
    if group is None:
        return None
    return model_dictize.group_dictize(group, {"model": model, "session": model.Session},
                                       packages_field=None, include_groups=False,
                                       include_users=False, include_extras=False)


def govshare_how_to_get_access(package: dict[str, Any]) -> str:
    return access.how_to_get_access(package)


def govshare_withheld_columns(resource: dict[str, Any]) -> list[str]:
    """The DataStore columns of the resource left out of the page viewer's preview."""
    if not resource.get("datastore_active"):
        return []
    viewer = access.page_viewer()
    found = datastore.withheld_for({"user": viewer.name if viewer else "",
                                    "auth_user_obj": viewer}, resource.get("id"))
    return [c for c in found[0] if c in found[1]] if found else []


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
    applications), from the department figures, as kept for the home page (home.py)."""
    return home.public_figures()


# ------------------------------------------------------------------ access made visible

def govshare_next_step(package: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The entry page's one button for the current user (see pages.next_step)."""
    return pages.next_step(pages.current_user(), package)


def govshare_access_badges(package: dict[str, Any]) -> list[dict[str, str]]:
    """The badges of an entry's access at a glance (see pages.access_badges)."""
    return pages.access_badges(package)


def govshare_last_update(package: dict[str, Any]) -> str:
    """The day the entry's data last changed (ISO), from the entry dict alone (a search
    result has it): recorded, else published, else created."""
    return pages.last_update(package).isoformat()


def govshare_field_label(field_name: str) -> str:
    """A catalog field's label in the user's language, from the schema."""
    return schema.field_label(schema.dataset_field(field_name))


def govshare_item_label(subfield: str, value: Any) -> str:
    """The label of an information item's coded value (data type, share type, open)."""
    return schema.subfield_choice_label("info_items", subfield, value)


# ------------------------------------------------------------------ core helpers, made cheaper

@tk.chained_helper
def add_url_param(up: Callable[..., str], alternative_url: Optional[str] = None,
                  controller: Optional[str] = None, action: Optional[str] = None,
                  extras: Optional[dict[str, Any]] = None,
                  new_params: Optional[dict[str, Any]] = None) -> str:
    """A search page's hundred facet links share one base URL: routed once per request."""
    return up(alternative_url=alternative_url or _page_url(controller, action, extras),
              new_params=new_params)


@tk.chained_helper
def remove_url_param(up: Callable[..., str], key: Any, value: Optional[str] = None,
                     replace: Optional[str] = None, controller: Optional[str] = None,
                     action: Optional[str] = None, extras: Optional[dict[str, Any]] = None,
                     alternative_url: Optional[str] = None) -> str:
    return up(key, value, replace,
              alternative_url=alternative_url or _page_url(controller, action, extras))


def _page_url(controller: Optional[str], action: Optional[str],
              extras: Optional[dict[str, Any]]) -> str:
    """The URL that CKAN's add/remove_url_param put the parameters on, without them."""
    key = (controller, action, tuple(sorted((extras or {}).items())))
    urls = g.setdefault("govshare_page_urls", {})
    if key not in urls:
        urls[key] = core._create_url_with_params(None, controller, action, extras)
    return urls[key]


@tk.chained_helper
def markdown_extract(up: Callable[..., str], text: str, extract_length: int = 190) -> str:
    """Every search page extracts the plain text of twenty descriptions from Markdown: the
    same texts, page after page, so the extracts are kept."""
    return _extract(up, text, extract_length)


@functools.lru_cache(maxsize=4096)
def _extract(up: Callable[..., str], text: str, extract_length: int) -> str:
    return up(text, extract_length)


@tk.chained_helper
def render_datetime(up: Callable[..., str], datetime_: Any, date_format: Optional[str] = None,
                    with_hours: bool = False, with_seconds: bool = False) -> str:
    return dates.render_datetime(up, datetime_, date_format, with_hours, with_seconds)


# ------------------------------------------------------------------ CKAN's English, in words

def govshare_error_title(code: int) -> str:
    return wording.error_title(code)


def govshare_error_text(code: int, description: Any) -> Any:
    return wording.error_text(code, description)


def govshare_activity_type_label(activity_type: str) -> str:
    return wording.activity_type_label(activity_type)


def govshare_resource_facts(resource: dict[str, Any], shown: list[str]) -> list[tuple[str, str]]:
    return wording.resource_facts(resource, shown)


@tk.chained_helper
def get_allowed_view_types(up: Callable[..., Any], resource: dict[str, Any],
                           package: dict[str, Any]) -> list[tuple[str, str, str]]:
    """CKAN lists the view plugins under their titles untranslated ("Table")."""
    return [(name, tk._(title), icon) for name, title, icon in up(resource, package)]


def govshare_entry_origin(package: dict[str, Any]) -> Optional[dict[str, str]]:
    """Where an entry returned by an upper platform (回流) comes from; None for the city's own."""
    origin = harvest.origin_of(package["id"])
    if origin is None:
        return None
    return {"platform": origin.platform, "platform_url": origin.platform_url,
            "department": origin.department, "department_code": origin.department_code,
            "remote_uri": origin.remote_uri, "harvested": origin.harvested.isoformat()}


def govshare_demand_reply_working_days() -> int:
    return tk.config.get("govshare.demand.reply_working_days")


def govshare_entry_showcases(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The approved showcases using the entry, newest first, as its viewer may see them."""
    return tk.get_action("govshare_showcase_list")(pages.context(), {
        "package_id": package["id"], "state": "approved", "limit": 20})["results"]


def govshare_search_suggestions(q: str) -> list[dict[str, str]]:
    """For a search page that found nothing: entries the viewer may see matching part of it."""
    try:
        return tk.get_action("govshare_search_suggest")(pages.context(), {"q": q})
    except (tk.ValidationError, tk.NotAuthorized):
        return []


# ------------------------------------------------------------------ avatars (avatars.py)

def govshare_avatar(user_name: str) -> dict[str, str]:
    """The drawn avatar's initials and colour (user/snippets/placeholder.html)."""
    return {"text": avatars.initials(user_name), "colour": avatars.colour(user_name)}


@tk.chained_helper
def user_image(up: Callable[..., Any], user_id: str, size: int = 100) -> Any:
    """The user's uploaded image, else their drawn avatar: never Gravatar nor another host."""
    user = model.User.get(user_id) if user_id else None
    if user is None:
        return ""
    if avatars.is_local(user.image_url or ""):
        return up(user_id, size)
    return tk.h.snippet("user/snippets/placeholder.html", size=size,
                        user_name=user.display_name)
