"""ckanext-dcat's RDF harvester, reading the entries it already has as the harvester.

ckanext-dcat looks up the entry a harvested dataset updates with ``package_show`` under an
empty context, that is as an anonymous user: on this platform an entry that is not open is
hidden from anonymous users (access.py), so every second harvest of a shared or closed
entry failed with "not found". This harvester is ckanext-dcat's, with that one read made
as the internal call it is; and an import that fails is rolled back before its error is
saved: ckanext-dcat commits the session after any failure, which saved an entry whose
write failed halfway (its origin row, written in the same transaction, with it).
Everything govshare adds to harvesting is in the ``IDCATRDFHarvester`` hooks
(ckanext.govshare.harvest).
"""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester


class GovshareDCATHarvester(DCATRDFHarvester):
    """Source type ``govshare_dcat``: DCAT (govshare profile) from another platform."""

    def info(self) -> dict[str, str]:
        return {"name": "govshare_dcat", "title": tk._("DCAT (govshare platforms)"),
                "description": tk._("DCAT-AP 3 with the national catalog fields, from another "
                                    "government data platform")}

    def _get_existing_dataset(self, guid: str) -> Optional[dict[str, Any]]:
        datasets = self._read_datasets_from_db(guid)
        if not datasets:
            return None
        return tk.get_action("package_show")({"ignore_auth": True}, {"id": datasets[0][0]})

    def _save_object_error(self, message: str, obj: Any, stage: str = "Fetch",
                           line: Optional[int] = None) -> None:
        if stage == "Import":
            model.Session.rollback()  # nothing of the failed write stays
        super()._save_object_error(message, obj, stage, line)
