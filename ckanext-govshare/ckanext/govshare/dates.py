"""Dates in one format on every page and in both languages: 2026-12-01, with the time
2026-12-01 16:28, in the display timezone (``ckan.display_timezone``). CKAN's localised dates
("十二月 1, 2026, 16:28 (+0800)") stood beside the ISO dates of the catalog fields and deadlines."""
from __future__ import annotations

from typing import Any, Callable, Optional

DATE = "%Y-%m-%d"
DATE_TIME = "%Y-%m-%d %H:%M"
DATE_TIME_SECONDS = "%Y-%m-%d %H:%M:%S"


def render_datetime(core: Callable[..., str], value: Any, date_format: Optional[str] = None,
                    with_hours: bool = False, with_seconds: bool = False) -> str:
    """CKAN's ``h.render_datetime`` (which parses the value and moves it to the display
    timezone), with the portal's format where the caller asks for none."""
    if date_format is None:
        date_format = DATE_TIME_SECONDS if with_seconds else DATE_TIME if with_hours else DATE
    return core(value, date_format=date_format)
