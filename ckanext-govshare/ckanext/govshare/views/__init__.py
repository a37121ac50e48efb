"""The govshare pages, one module per area, all on the ``govshare`` blueprint; the
app-wide guards are in ``ckanext.govshare.guards``."""
from __future__ import annotations

from flask import Blueprint

from ckanext.govshare import guards
from ckanext.govshare.views import calendar, error_reports, registration, requests, usage
from ckanext.govshare.views.base import govshare

AREAS = (requests, usage, registration, calendar, error_reports)  # each adds its routes to the blueprint


def get_blueprints() -> list[Blueprint]:
    return [guards.guards, govshare]
