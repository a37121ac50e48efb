"""govshare's actions, one module per area; CKAN's read actions are chained in ``reads``."""
from __future__ import annotations

from typing import Any, Callable

from ckanext.govshare.logic.action import (announcements, audit, calendar, cases, catalog, demands,
                                           error_reports, figures, grants, harvest, imports, reads,
                                           reports, requests, scorecard, sources, synonyms,
                                           timeliness, users)

_MODULES = (reads, grants, requests, cases, users, calendar, catalog, audit, error_reports,
            sources, timeliness, figures, imports, scorecard, announcements, reports, harvest,
            synonyms, demands)


def get_actions() -> dict[str, Callable[..., Any]]:
    """Every public function of the area modules, under its own name (``__all__``)."""
    actions = {name: getattr(module, name) for module in _MODULES for name in module.__all__}
    actions.update(reads.activity_actions())
    actions.update(reads.unchecked_input_actions())
    return actions
