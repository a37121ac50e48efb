"""The govshare pages, one module per area, all on the ``govshare`` blueprint; the
app-wide guards are in ``ckanext.govshare.guards``, the static files' cache headers in
``ckanext.govshare.caching``."""
from __future__ import annotations

from flask import Blueprint

from ckanext.govshare import caching, guards
from ckanext.govshare.views import (audit, calendar, cases, catalog, dashboard, demands,
                                    error_reports, exchange, grants, health, home, imports,
                                    registration, reports, requests, scorecard, sharing, sources,
                                    synonyms, timeliness, usage, user_centre, vocab)
from ckanext.govshare.views.base import govshare

# each adds its routes to the blueprint
AREAS = (requests, usage, registration, calendar, health, catalog, audit, error_reports, sources,
         timeliness, dashboard, vocab, imports, scorecard, exchange, home, reports, synonyms,
         demands, cases, grants, user_centre, sharing)


def get_blueprints() -> list[Blueprint]:
    return [guards.guards, caching.caching, govshare]
