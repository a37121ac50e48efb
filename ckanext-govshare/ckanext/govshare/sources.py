"""One number, one source (一数一源, requirements §4.7; 数源部门 of the 2025 条例).

Information that can be had through sharing must not be collected again: the platform
keeps an index of the information items (信息项) every entry lists, recognises the same
item under another spelling (width, spaces, punctuation, case) or under a synonym the data
authority maintains, and knows the source department the authority designated for it.

Names are compared by their *key*: ``normalise`` once, then the synonym table
(variant → canonical). The index keeps the normalised name; the key is resolved in SQL
(``_key``), so that a new synonym applies at once to every entry.
"""
from __future__ import annotations

import datetime
import json
import unicodedata
from collections import defaultdict
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import and_, func, true
from sqlalchemy.dialects.postgresql import insert

from ckanext.govshare import access
from ckanext.govshare.model import InfoItem, InfoItemSource, InfoItemSynonym

# Characters that do not make two item names different: separators (Z*), punctuation
# (P*) and control or format characters (C*).
_IGNORED = ("Z", "P", "C")


def normalise(name: str) -> str:
    """The comparable form of an item name: full-width → half-width and compatibility
    forms folded (NFKC), spaces and punctuation removed, case folded."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] not in _IGNORED)


def key_of(name: str) -> str:
    """The item ``name`` means: its normalised form, through the synonym table."""
    return keys_of([name]).get(name, "")


def keys_of(names: Iterable[str]) -> dict[str, str]:
    """``key_of`` of each name (one query); names that normalise to nothing are left out."""
    normalised = {name: normalise(name) for name in names if normalise(name)}
    if not normalised:
        return {}
    canonical = dict(model.Session.query(InfoItemSynonym.variant, InfoItemSynonym.canonical)
                     .filter(InfoItemSynonym.variant.in_(set(normalised.values()))))
    return {name: canonical.get(n, n) for name, n in normalised.items()}


def _key() -> Any:
    """``key_of`` of an indexed item, in SQL (the query joins InfoItemSynonym outer)."""
    return func.coalesce(InfoItemSynonym.canonical, InfoItem.normalised)


def registered_clause() -> Any:
    """The entries whose items count as provided: active and registered (备案)."""
    return and_(model.Package.state == "active", access.registered_clause())


# ------------------------------------------------------------------ the index

def _items_of(package: model.Package) -> list[str]:
    """The item names an entry lists (scheming keeps the repeating field as JSON)."""
    value = (package.extras or {}).get("info_items")
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return []
    return [item["name"] for item in items or []
            if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip()]


def index_entry(package_id: str) -> None:
    """Bring the index rows of the entry (by id or name) in line with its items, in the
    caller's transaction."""
    package = model.Package.get(package_id)
    if package is None:
        return
    unindex_entry(package.id)
    if package.state == "deleted":
        return
    for position, name in enumerate(_items_of(package)):
        model.Session.add(InfoItem(package_id=package.id, position=position, name=name,
                                   normalised=normalise(name)))


def unindex_entry(package_id: str) -> None:
    """The entry (by id or name) leaves the index: it is being deleted."""
    package = model.Package.get(package_id)
    if package is not None:
        model.Session.query(InfoItem).filter(InfoItem.package_id == package.id).delete(
            synchronize_session=False)


def rebuild() -> int:
    """The whole index again from the entries (after a migration or an import that
    bypassed the actions); the number of items indexed."""
    model.Session.query(InfoItem).delete(synchronize_session=False)
    ids = [row.id for row in model.Session.query(model.Package.id)
           .filter(model.Package.state != "deleted")]
    for package_id in ids:
        index_entry(package_id)
    model.Session.flush()
    return model.Session.query(InfoItem).count()


# ------------------------------------------------------------------ who provides what

def _departments(ids: Iterable[str]) -> dict[str, dict[str, str]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = model.Session.query(model.Group.id, model.Group.name, model.Group.title).filter(
        model.Group.id.in_(wanted))
    return {row.id: {"id": row.id, "name": row.name, "title": row.title or row.name}
            for row in rows}


def providers(names: Iterable[str], user: Optional[model.User], unrestricted: bool = False,
              exclude_package_id: Optional[str] = None) -> dict[str, dict[str, Any]]:
    """For each of ``names`` (by its key): the registered entries the user may see that
    provide the item, their departments, and the designated source department.

    The source department is the authority's public designation; entries and departments
    come only from entries the user may see (a department does not learn of the others).
    """
    keys = keys_of(names)
    if not keys:
        return {}
    visible = true() if unrestricted else access.visible_clause(user)
    query = (model.Session.query(_key().label("key"), InfoItem.name.label("item_name"),
                                 model.Package.id, model.Package.name, model.Package.title,
                                 model.Package.owner_org)
             .join(model.Package, model.Package.id == InfoItem.package_id)
             .outerjoin(InfoItemSynonym, InfoItemSynonym.variant == InfoItem.normalised)
             .filter(_key().in_(set(keys.values())), registered_clause(), visible)
             .order_by(model.Package.title, InfoItem.position))
    if exclude_package_id:
        query = query.filter(model.Package.id != exclude_package_id)
    entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in query:
        if all(e["id"] != row.id for e in entries[row.key]):
            entries[row.key].append({"id": row.id, "name": row.name, "title": row.title,
                                     "owner_org": row.owner_org, "item_name": row.item_name})
    designated = {s.item: s for s in model.Session.query(InfoItemSource).filter(
        InfoItemSource.item.in_(set(keys.values())))}
    orgs = _departments([e["owner_org"] for found in entries.values() for e in found]
                        + [s.owner_org for s in designated.values()])
    result = {}
    for name, key in keys.items():
        found = entries.get(key, [])
        source = designated.get(key)
        result[name] = {
            "name": name, "key": key, "entries": found,
            "departments": [orgs[o] for o in dict.fromkeys(e["owner_org"] for e in found)
                            if o in orgs],
            "source": orgs.get(source.owner_org) if source is not None else None,
        }
    return result


def entry_notices(package: dict[str, Any], user: Optional[model.User],
                  unrestricted: bool = False) -> list[dict[str, Any]]:
    """What the compiler of ``package`` should know per item: other entries already provide
    it, or another department is its designated source (the "已有部门提供" notice)."""
    names = [i.get("name") for i in package.get("info_items") or []
             if isinstance(i, dict) and isinstance(i.get("name"), str)]
    found = providers(names, user, unrestricted, exclude_package_id=package.get("id"))
    own = package.get("owner_org")
    return [found[name] for name in dict.fromkeys(names) if name in found
            and (found[name]["entries"]
                 or (found[name]["source"] and found[name]["source"]["id"] != own))]


def duplicates() -> list[dict[str, Any]]:
    """Items that several departments provide in registered entries (重复采集, 第二十八条),
    each with its departments, its number of entries and the source department if any."""
    rows = (model.Session.query(_key().label("key"), func.min(InfoItem.name).label("name"),
                                func.array_agg(func.distinct(model.Package.owner_org)).label("orgs"),
                                func.count(func.distinct(model.Package.id)).label("entries"))
            .join(model.Package, model.Package.id == InfoItem.package_id)
            .outerjoin(InfoItemSynonym, InfoItemSynonym.variant == InfoItem.normalised)
            .filter(registered_clause(), model.Package.owner_org.isnot(None))
            .group_by(_key())
            .having(func.count(func.distinct(model.Package.owner_org)) > 1)
            .order_by(func.count(func.distinct(model.Package.owner_org)).desc(), _key()))
    rows = rows.all()
    keys = [row.key for row in rows]
    designated = {s.item: s for s in model.Session.query(InfoItemSource).filter(
        InfoItemSource.item.in_(keys))} if keys else {}
    canonical_names = {s.canonical: s.canonical_name for s in model.Session.query(
        InfoItemSynonym).filter(InfoItemSynonym.canonical.in_(keys))} if keys else {}
    orgs = _departments([o for row in rows for o in row.orgs]
                        + [s.owner_org for s in designated.values()])
    result = []
    for row in rows:
        source = designated.get(row.key)
        result.append({
            "key": row.key,
            "name": source.name if source else canonical_names.get(row.key, row.name),
            "departments": sorted((orgs[o] for o in row.orgs if o in orgs),
                                  key=lambda o: o["title"]),
            "entries": row.entries,
            "source": orgs.get(source.owner_org) if source else None,
        })
    return result


# ------------------------------------------------------------------ the authority's word

def _invalid(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def _item_name(key: str, name: str) -> str:
    """How the item is called where the synonym list names it, else as given."""
    row = model.Session.query(InfoItemSynonym.canonical_name).filter(
        InfoItemSynonym.canonical == key).first()
    return row.canonical_name if row is not None else name


def designate(user: model.User, name: str, owner_org: str) -> dict[str, Any]:
    """Make ``owner_org`` the source department of the item ``name`` means (replacing any
    earlier designation: the item is the key)."""
    org = model.Group.get(owner_org)
    if org is None or not org.is_organization or org.state != "active":
        raise _invalid("owner_org", tk._("No such department"))
    key = key_of(name)
    values = {"item": key, "name": _item_name(key, name), "owner_org": org.id,
              "designated_by": user.id, "designated": datetime.datetime.utcnow()}
    model.Session.execute(insert(InfoItemSource).values(**values).on_conflict_do_update(
        index_elements=[InfoItemSource.item],
        set_={k: v for k, v in values.items() if k != "item"}))
    return {"name": name, "key": key, "owner_org": org.id,
            "source": _departments([org.id])[org.id]}


def add_synonym(user: model.User, name: str, synonym: str) -> dict[str, Any]:
    """Record that ``synonym`` names the same item as ``name``. When ``synonym`` was an item
    of its own, its synonyms and its source department move to ``name``'s item."""
    canonical, variant = key_of(name), normalise(synonym)
    name = _item_name(canonical, name)
    if variant == canonical:
        raise _invalid("synonym", tk._("This is already the same item"))
    taken = model.Session.get(InfoItemSynonym, variant)
    if taken is not None:
        raise _invalid("synonym", tk._("Already a synonym of {name}").format(
            name=taken.canonical_name))
    moving = model.Session.get(InfoItemSource, variant)
    if moving is not None:
        kept = model.Session.get(InfoItemSource, canonical)
        if kept is not None and kept.owner_org != moving.owner_org:
            raise _invalid("synonym", tk._(
                "The two items have different source departments: designate one first"))
        if kept is None:
            model.Session.add(InfoItemSource(item=canonical, name=name, owner_org=moving.owner_org,
                                             designated_by=user.id))
        model.Session.delete(moving)
    model.Session.query(InfoItemSynonym).filter(InfoItemSynonym.canonical == variant).update(
        {"canonical": canonical, "canonical_name": name}, synchronize_session=False)
    model.Session.add(InfoItemSynonym(variant=variant, canonical=canonical, name=synonym,
                                      canonical_name=name, created_by=user.id))
    model.Session.flush()
    return {"name": name, "synonym": synonym, "key": canonical}


def remove_synonym(synonym: str) -> None:
    row = model.Session.get(InfoItemSynonym, normalise(synonym))
    if row is None:
        raise _invalid("synonym", tk._("Not a synonym"))
    model.Session.delete(row)
    model.Session.flush()


def synonym_groups() -> list[dict[str, Any]]:
    """The synonym list, one group per item: its name and the other names."""
    groups: dict[str, dict[str, Any]] = {}
    for row in model.Session.query(InfoItemSynonym).order_by(InfoItemSynonym.canonical_name,
                                                             InfoItemSynonym.name):
        group = groups.setdefault(row.canonical, {"key": row.canonical,
                                                  "name": row.canonical_name, "synonyms": []})
        group["synonyms"].append(row.name)
    return list(groups.values())
