"""What package_show gives of many entries at once, for their search documents and
activities: the dicts CKAN's index_package is given (``package_dictize``, then the default
and the custom show schema, then the after_dataset_show hooks), from a few queries per batch
of entries instead of package_show's eleven per entry.

The catalog import (catalog_import) writes thousands of entries with bulk inserts; building
their documents one package_show at a time was most of its time. Each piece below is CKAN's
own dictization (table_dictize, obj_list_dictize, resource_list_dictize,
group_list_dictize) applied to rows fetched for the whole batch; the documents themselves
are still made by CKAN's ``PackageSearchIndex.index_package`` with the plugins' hooks, so
that they are what a package_update would index (tests/test_catalog_import.py compares
them field by field).
"""
from __future__ import annotations

import collections
import contextlib
import contextvars
import copy
from typing import Any, Callable, Iterable, Iterator

from ckan import model
from ckan.lib import helpers as h
from ckan.lib.dictization import model_dictize, obj_list_dictize, table_dictize
from ckan.lib.plugins import lookup_package_plugin, plugin_validate
from ckan.logic import apply_after_dataset_show_plugins
from ckan.logic.schema import default_show_package_schema
from ckan import plugins
from sqlalchemy import false, select

from ckanext.govshare import lookups, timeliness

Shown = tuple[dict[str, Any], dict[str, Any]]  # default schema, custom schema

# Entries of the batch being indexed by this thread that have no current harvest object.
_unharvested: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "govshare_unharvested", default=frozenset())


def _harvest_hook_batched() -> None:
    """ckanext-harvest's before_dataset_index asks the database for each entry's current
    harvest object, one query per document (a third of an import's index time); for an
    entry without one it hands the dict back as it got it. Once per process its hook is
    wrapped to hand back at once the entries this thread's batch (``shown``) found without
    one, in one query, and to call the hook for every other entry and every other caller."""
    plugin = plugins.get_plugin("harvest") if plugins.plugin_loaded("harvest") else None
    if plugin is None or getattr(plugin.before_dataset_index, "govshare_batched", False):
        return
    hook: Callable[[dict[str, Any]], dict[str, Any]] = plugin.before_dataset_index

    def before_dataset_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
        if pkg_dict.get("id") in _unharvested.get() \
                and not isinstance(pkg_dict.get("status"), dict):
            return pkg_dict
        return hook(pkg_dict)

    before_dataset_index.govshare_batched = True  # type: ignore[attr-defined]
    plugin.before_dataset_index = before_dataset_index  # type: ignore[method-assign]


@contextlib.contextmanager
def _harvest_known(ids: list[str]) -> Iterator[None]:
    """Within: which of ``ids`` have no current harvest object (one query)."""
    if not plugins.plugin_loaded("harvest"):
        yield
        return
    from ckanext.harvest.model import HarvestObject

    _harvest_hook_batched()
    harvested = {row.package_id for row in model.Session.query(HarvestObject.package_id)
                 .filter(HarvestObject.package_id.in_(ids),
                         HarvestObject.current == True)}  # noqa: E712 (SQL)
    token = _unharvested.set(frozenset(ids) - harvested)
    try:
        yield
    finally:
        _unharvested.reset(token)


def _grouped(rows: Iterable[Any], key: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = collections.defaultdict(list)
    for row in rows:
        found[getattr(row, key)].append(row)
    return found


def _without(dicts: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The dicts without the column added to fetch them for a whole batch."""
    for d in dicts:
        d.pop(key, None)
    return dicts


class _Related:
    """A batch's resources, tags, themes, departments and relationships, each in one query,
    by package id."""

    def __init__(self, packages: list[model.Package], context: dict[str, Any]) -> None:
        ids = [p.id for p in packages]
        session = model.Session
        res, tag, pkg_tag = model.resource_table, model.tag_table, model.package_tag_table
        member, group, rel = model.member_table, model.group_table, model.package_relationship_table
        self.resources = _grouped(session.execute(
            select(res).where(res.c["package_id"].in_(ids))), "package_id")
        self.tags = _grouped(session.execute(
            select(tag, pkg_tag.c["state"], pkg_tag.c["package_id"])
            .join(pkg_tag, tag.c["id"] == pkg_tag.c["tag_id"])
            .where(pkg_tag.c["package_id"].in_(ids))), "package_id")
        self.groups = _grouped(session.execute(
            select(group, member.c["capacity"], member.c["table_id"])
            .join(member, group.c["id"] == member.c["group_id"])
            .where(member.c["table_id"].in_(ids), member.c["state"] == "active",
                   group.c["is_organization"] == false())), "table_id")
        self.as_subject = _grouped(session.execute(
            select(rel).where(rel.c["subject_package_id"].in_(ids))), "subject_package_id")
        self.as_object = _grouped(session.execute(
            select(rel).where(rel.c["object_package_id"].in_(ids))), "object_package_id")
        owners = {p.owner_org for p in packages if p.owner_org}
        self.organizations: dict[str, dict[str, Any]] = {}
        for row in session.execute(select(group).where(group.c["id"].in_(owners),
                                                       group.c["state"] == "active")):
            organization = table_dictize(row, context)
            del organization["extras"]
            self.organizations[row.id] = organization
        self._group_dicts: dict[tuple[str, str], dict[str, Any]] = {}
        self.context = context

    def groups_of(self, package_id: str) -> list[dict[str, Any]]:
        """package_dictize's groups: each theme dictized once for the batch (its member count
        is a query), in CKAN's order."""
        dicts = []
        for row in self.groups.get(package_id, []):
            key = (row.id, row.capacity)
            if key not in self._group_dicts:
                context = dict(self.context, with_capacity=False)
                self._group_dicts[key] = _without(model_dictize.group_list_dictize(
                    [row], context, with_package_counts=False), "table_id")[0]
            dicts.append(copy.deepcopy(self._group_dicts[key]))
        return sorted(dicts, key=lambda x: h.strxfrm(x["display_name"]))


def _dictized(package: model.Package, related: _Related, context: dict[str, Any]
              ) -> dict[str, Any]:
    """What ``model_dictize.package_dictize`` gives for ``package``, from the batch's rows."""
    result = table_dictize(package, context)
    if result.get("title"):
        result["title"] = result["title"].strip()
    result.pop("plugin_data", None)
    result["resources"] = model_dictize.resource_list_dictize(
        related.resources.get(package.id, []), context)
    result["num_resources"] = len(result["resources"])
    result["tags"] = _without(obj_list_dictize(related.tags.get(package.id, []), context,
                                               lambda x: x["name"]), "package_id")
    result["num_tags"] = len(result["tags"])
    for tag in result["tags"]:
        tag["display_name"] = tag["name"]
    result["extras"] = [{"key": k, "value": v} for k, v in (result["extras"] or {}).items()]
    result["groups"] = related.groups_of(package.id)
    organization = related.organizations.get(package.owner_org or "")
    result["organization"] = copy.deepcopy(organization) if organization else None
    result["relationships_as_subject"] = obj_list_dictize(
        related.as_subject.get(package.id, []), context)
    result["relationships_as_object"] = obj_list_dictize(
        related.as_object.get(package.id, []), context)
    result["isopen"] = package.isopen()
    result["type"] = package.type or "dataset"
    if package.license and package.license.url:
        result["license_url"] = package.license.url
        result["license_title"] = package.license.title.split("::")[-1]
    elif package.license:
        result["license_title"] = package.license.title
    else:
        result["license_title"] = package.license_id
    result["metadata_modified"] = package.metadata_modified.isoformat()
    result["metadata_created"] = (package.metadata_created.isoformat()
                                  if package.metadata_created else None)
    return result


def shown(ids: list[str], user_name: str) -> Iterator[tuple[model.Package, Shown]]:
    """For each entry of ``ids`` (one batch: a few queries), its package and what
    ``ckan.logic.package_show_default_and_custom_schemas`` gives, as ``user_name`` would
    have it (the importing user, whose request it is). While the caller goes through them,
    the entries' timeliness and which have harvest objects are known (a query each), for
    the show and index hooks."""
    base = {"model": model, "session": model.Session, "user": user_name, "ignore_auth": True,
            "use_cache": False, "validate": False}
    packages = {p.id: p for p in model.Session.query(model.Package)
                .filter(model.Package.id.in_(ids))}
    ordered = [packages[i] for i in ids]
    base[lookups.KEY] = lookups.for_show(ordered)  # the show schema's name check
    related = _Related(ordered, dict(base))
    default_schema = default_show_package_schema()
    with timeliness.known(ids), _harvest_known(ids):
        for package in ordered:
            context = dict(base, package=package)
            dictized = _dictized(package, related, context)
            for item in plugins.PluginImplementations(plugins.IPackageController):
                item.read(package)
            for item in plugins.PluginImplementations(plugins.IResourceController):
                for resource in dictized["resources"]:
                    item.before_resource_show(resource)
            with_default, _ = plugin_validate(object(), context, dictized, default_schema,
                                              "package_show")
            package_plugin = lookup_package_plugin(dictized["type"])
            custom_schema = package_plugin.show_package_schema()
            if custom_schema == default_schema:
                with_custom = with_default
            else:
                with_custom, _ = plugin_validate(package_plugin, context, dictized,
                                                 custom_schema, "package_show")
            apply_after_dataset_show_plugins(context, with_custom)
            yield package, (with_default, with_custom)
