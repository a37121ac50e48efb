"""Catalog spreadsheet import (national template); see catalog_import.py and catalog_io.py."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import catalog_import
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import me, validated

__all__ = ["govshare_catalog_import"]


def govshare_catalog_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Import a department's catalog spreadsheet (.xlsx or .csv) or exchange document
    (.xml, exchange_xml), ``upload``, into ``owner_org``:
    ``{created, updated, unchanged, errors: [{row, column, message}]}``.
    New entries are drafts; a row whose resource code the department has updates that entry.
    With any error, or ``dry_run``, nothing is saved."""
    tk.check_access("govshare_catalog_import", context, data_dict)
    data = validated(data_dict, schema.catalog_import(), context)
    org = model.Group.get(data["owner_org"])
    upload = data["upload"]
    return catalog_import.run(me(context), org, upload.stream, upload.filename or "",
                              dry_run=data.get("dry_run", False))
