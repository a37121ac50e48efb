"""Wires govshare into CKAN; the behaviour lives in the modules it names."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.dcat.interfaces import IDCATRDFHarvester

from ckanext.govshare import (access, audit, codes, harvest, search, signin, sources, themes,
                             timeliness, views, workdays)
from ckanext.govshare.logic import action


@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.auth_functions
@tk.blanket.actions(action.get_actions)
@tk.blanket.blueprints(views.get_blueprints)
@tk.blanket.cli
@tk.blanket.config_declarations
class GovsharePlugin(DefaultTranslation, p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IPermissionLabels)
    p.implements(IDCATRDFHarvester, inherit=True)

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")

    # IConfigurable (after every plugin's update_config: scheming has read the schemas)
    def configure(self, config: Any) -> None:
        workdays.check_config(config)
        audit.check_config(config)
        codes.check()
        audit.connect()
        signin.connect()

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str):
        return search.dataset_facets(facets_dict)

    # IPackageController
    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        return search.before_dataset_search(search_params)

    def after_dataset_search(self, search_results: dict[str, Any],
                             search_params: dict[str, Any]) -> dict[str, Any]:
        return search.after_dataset_search(search_results)

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return search.before_dataset_index(pkg_dict)

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        harvest.write_origin(pkg_dict["id"])
        themes.sync_groups(context, pkg_dict)
        sources.index_entry(pkg_dict["id"])
        timeliness.record_resources(pkg_dict["id"])

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        harvest.write_origin(pkg_dict["id"])
        themes.sync_groups(context, pkg_dict)
        sources.index_entry(pkg_dict["id"])
        timeliness.record_resources(pkg_dict["id"])

    def after_dataset_delete(self, context: Any, data_dict: dict[str, Any]) -> None:
        sources.unindex_entry(data_dict["id"])  # called before the state changes

    def after_dataset_show(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        if not (context.get("for_edit") or context.get("for_update")):
            pkg_dict.update(timeliness.shown(pkg_dict))

    # IPermissionLabels
    def get_dataset_labels(self, dataset_obj: Any) -> list[str]:
        return access.dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: Any) -> list[str]:
        return access.user_labels(user_obj)

    # IDCATRDFHarvester (ckanext-dcat's harvester, run by ckanext-harvest)
    def before_download(self, url: str, harvest_job: Any) -> tuple[str, list[str]]:
        return harvest.before_download(url, harvest_job)

    def update_session(self, session: Any) -> Any:
        return harvest.update_session(session)

    def after_parsing(self, rdf_parser: Any, harvest_job: Any) -> tuple[Any, list[str]]:
        return harvest.after_parsing(rdf_parser, harvest_job)

    def before_create(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        harvest.before_create(harvest_object, dataset_dict, temp_dict)

    def before_update(self, harvest_object: Any, dataset_dict: dict[str, Any],
                      temp_dict: dict[str, Any]) -> None:
        harvest.before_update(harvest_object, dataset_dict, temp_dict)
