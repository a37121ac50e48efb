"""Words for what CKAN and werkzeug leave in English or show as codes: the titles and texts of
error pages, activity types, a resource's properties."""
from __future__ import annotations

from typing import Any, Iterable

import ckan.plugins.toolkit as tk
from werkzeug.exceptions import default_exceptions


def N_(message: str) -> str:
    """Marks a message that CKAN itself translates from a variable, for extraction."""
    return message


# CKAN's user page shows ``_(user.state)``.
CKAN_TRANSLATES = (N_("active"), N_("pending"), N_("deleted"))

# The properties CKAN keeps or computes for a resource, and the platform's own: not facts a
# reader needs (the page shows the resource's name, format, dates and schema fields itself).
RESOURCE_INTERNALS = frozenset({
    "id", "package_id", "url", "name", "description", "format", "hash", "resource_type",
    "mimetype", "mimetype_inner", "size", "created", "last_modified", "metadata_modified",
    "cache_url", "cache_last_updated", "url_type", "position", "state", "extras", "has_views",
    "datastore_active", "datastore_contains_all_records_of_source",
    "datastore_contains_all_records_of_source_file", "tracking_summary",
    "on_same_domain", "data_access",
})


def error_title(code: int) -> str:
    titles = {400: tk._("Bad request"), 401: tk._("Please log in"), 403: tk._("Access denied"),
              404: tk._("Page not found"), 405: tk._("Method not allowed"),
              409: tk._("Conflict with the current state"), 413: tk._("Request too large"),
              429: tk._("Too many requests"), 500: tk._("Internal server error"),
              503: tk._("Service unavailable")}
    return titles.get(code, tk._("Error"))


def error_text(code: int, description: Any) -> Any:
    """The page's own explanation (already in the user's language), or the platform's in place
    of werkzeug's stock English one."""
    stock = default_exceptions.get(code)
    if stock is None or description != stock.description:
        return description
    texts = {400: tk._("The request could not be understood. Check what you entered and try "
                       "again."),
             403: tk._("You may not open this page."),
             404: tk._("The page you asked for does not exist. Check the address, or start "
                       "again from the home page."),
             405: tk._("This page cannot be opened this way."),
             413: tk._("What you sent is larger than the platform accepts."),
             429: tk._("Too many requests in a short time. Wait a moment and try again.")}
    return texts.get(code, error_title(code))


def activity_type_label(activity_type: str) -> str:
    labels = {
        "new package": tk._("Entry created"), "changed package": tk._("Entry changed"),
        "deleted package": tk._("Entry deleted"), "follow dataset": tk._("Entry followed"),
        "new organization": tk._("Department created"),
        "changed organization": tk._("Department changed"),
        "deleted organization": tk._("Department deleted"),
        "follow organization": tk._("Department followed"),
        "new group": tk._("Theme created"), "changed group": tk._("Theme changed"),
        "deleted group": tk._("Theme deleted"), "follow group": tk._("Theme followed"),
        "new user": tk._("User registered"), "changed user": tk._("User changed"),
        "follow user": tk._("User followed"),
        "new resource view": tk._("View created"), "changed resource view": tk._("View changed"),
        "deleted resource view": tk._("View deleted"),
    }
    return labels.get(activity_type, activity_type)


def resource_facts(resource: dict[str, Any], shown: Iterable[str]) -> list[tuple[str, str]]:
    """(label, value) of a resource's properties not shown elsewhere on its page: its size and
    media type, and what a department added through the API (under its own key)."""
    facts = []
    if resource.get("size"):
        facts.append((tk._("File size"), tk.h.localised_filesize(int(resource["size"]))))
    if resource.get("mimetype"):
        facts.append((tk._("Media type"), resource["mimetype"]))
    skip = RESOURCE_INTERNALS | set(shown)
    facts += [(key, str(value)) for key, value in resource.items()
              if key not in skip and value not in (None, "", [], {})]
    return facts
