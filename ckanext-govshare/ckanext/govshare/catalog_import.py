"""Importing a department's catalog spreadsheet (catalog_io) at the scale of a city or a
province (10^4–10^5 entries): all or nothing, fast.

Every entry is validated in-process with the catalog schema exactly as package_create
(or package_update, for a row whose resource code the department already has) would
validate it; with any problem nothing is written. Then, in one transaction: new entries are
written with bulk inserts into the tables package_create would write (package, its tags,
its department and theme memberships), with the audit rows, the information-item index
(sources) and the "new package" activities package_create gives; changed entries go
through package_update in the same transaction (see ``_update``). The search index gets
the documents a package_create or package_update would index, built from package_show's
dicts made per batch (indexing) and sent in batches after the commit, with one Solr
commit.
New entries are drafts (catalog_review): registration is the catalog actions' business.
"""
from __future__ import annotations

import dataclasses
import datetime
import io
import json
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from typing import IO, Any, Callable, Iterator, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.plugins import get_permission_labels, lookup_package_plugin
from ckanext.activity.model import Activity

from ckanext.govshare import access, audit, catalog_io, exchange_xml, indexing, lookups, sources
from ckanext.govshare import schema as catalog
from ckanext.govshare.catalog_io import ITEMS, TAGS, Entry, Problem
from ckanext.govshare.logic.validators import name_from_code
from ckanext.govshare.model import AuditEvent, InfoItem

Progress = Callable[[str, int, int], None]  # stage, done, total
BATCH = 500  # rows per insert, documents per Solr request
PARALLEL_MIN = 2000  # entries from which forking workers pays


def _none(stage: str, done: int, total: int) -> None:
    return None


@dataclasses.dataclass
class Plan:
    """What an import would do: the validated entries to create and to update, how many
    rows change nothing, and the problems (with any, nothing is done)."""
    create: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    update: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def result(self) -> dict[str, Any]:
        ordered = sorted(self.problems, key=lambda p: (p.row, p.column))
        return {"created": len(self.create), "updated": len(self.update),
                "unchanged": self.unchanged, "errors": [p.as_dict() for p in ordered]}


# ------------------------------------------------------------------ validating

def _header(field: str, sub: Optional[str] = None) -> str:
    column = catalog_io.column_of(field, sub)
    if column is not None:
        return column.header
    try:
        return catalog.field_label(catalog.dataset_field(field))
    except (KeyError, TypeError):
        return field


def _problems(entry: Entry, errors: dict[str, Any]) -> list[Problem]:
    """A package ValidationError's errors as (row, Chinese header, message): an item's
    error on the item's row, an entry's on the row its value came from."""
    found = []
    for field, messages in errors.items():
        if field == ITEMS and any(isinstance(m, dict) for m in messages):
            for (row, _), item_errors in zip(entry.items, messages):
                for sub, sub_messages in (item_errors or {}).items():
                    found += [Problem(row, _header(ITEMS, sub), m) for m in sub_messages]
            continue
        row = entry.cells.get(field, entry.row)
        for message in messages:
            found.append(Problem(row, _header(field), message if isinstance(message, str)
                                 else json.dumps(message, ensure_ascii=False)))
    return found


def _incoming(entry: Entry) -> dict[str, Any]:
    """The entry's values in the form catalog_io.entry_values gives a stored entry."""
    values = {c.field: entry.values.get(c.field) for c in catalog_io.columns() if not c.sub}
    if values.get(TAGS):
        values[TAGS] = ",".join(sorted({t.strip() for t in values[TAGS].split(",") if t.strip()}))
    values[ITEMS] = [item for _, item in entry.items]
    return values


def _department_named(org: model.Group, value: Any) -> bool:
    return value in {org.id, org.name, org.title, (org.extras or {}).get("department_code")}


def _existing(codes: list[str]) -> dict[str, tuple[str, str]]:
    """Active entries by resource code: (id, department id)."""
    code = model.Package.extras["resource_code"].astext
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(codes), 5000):
        rows = (model.Session.query(code, model.Package.id, model.Package.owner_org)
                .filter(code.in_(codes[start:start + 5000]), model.Package.state == "active",
                        model.Package.type == "dataset"))
        found.update({c: (i, o) for c, i, o in rows})
    return found


Checked = tuple[str, Optional[dict[str, Any]], list[Problem]]  # kind, data, problems


def _lookups(user: model.User, entries: list[Entry]) -> lookups.Lookups:
    """What the validators ask of every entry, asked once for the file: the entries holding
    its URL names (given, or made from the codes) and its resource codes."""
    codes = [entry.values.get("resource_code") for entry in entries]
    names = [entry.values.get("name") for entry in entries]
    names += [name_from_code(code) for code in codes if isinstance(code, str) and code.strip()]
    return lookups.for_import(user, names, codes)


def _check(user: model.User, org: model.Group, entries: list[Entry],
           existing: dict[str, tuple[str, str]], known: lookups.Lookups,
           progress: Progress = _none) -> list[Checked]:
    """Each entry validated against the catalog schema as package_create or package_update
    would validate it: ("create", validated dict) or ("update", dict for package_update)
    or ("unchanged", None), with its problems. The validators answer from ``known``
    what it holds (lookups)."""
    plugin = lookup_package_plugin("dataset")
    # The action's auth decided who imports for the department: the data authority (no
    # member of it) is validated as an internal call; the state stays the schema's.
    trusted = not (user.sysadmin or access.is_department_admin(user, org.id))
    code_header = _header("resource_code")
    checked: list[Checked] = []
    for done, entry in enumerate(entries, 1):
        code = entry.values.get("resource_code")
        values = {k: v for k, v in entry.values.items() if k != "owner_org"}
        values[ITEMS] = [item for _, item in entry.items] or None
        context = {"model": model, "session": model.Session, "user": user.name,
                   "ignore_auth": trusted, lookups.KEY: known}
        if code in existing:
            package_id, owner_org = existing[code]
            if owner_org != org.id:
                checked.append(("bad", None, [Problem(
                    entry.cells["resource_code"], code_header, tk._(
                        "The resource code {code} belongs to an entry of another department")
                    .format(code=code))]))
                continue
            current = tk.get_action("package_show")(
                {"ignore_auth": True, "for_update": True}, {"id": package_id})
            incoming = dict(_incoming(entry), owner_org=current.get("owner_org"))
            if not incoming.get("name"):
                incoming["name"] = current.get("name")
            if incoming == dict(catalog_io.entry_values(current), owner_org=current.get("owner_org")):
                checked.append(("unchanged", None, []))
                continue
            # a blank cell clears the field: package_update keeps only what it is given
            data = {k: v for k, v in dict(current, **values).items() if v is not None}
            data["name"] = values.get("name") or current["name"]
            data.pop(TAGS, None)
            if values.get(TAGS) is None:
                data["tags"] = []
            else:
                data.pop("tags", None)
                data[TAGS] = values[TAGS]
            context["package"] = model.Package.get(package_id)
            _, errors = plugin.validate(context, dict(data), plugin.update_package_schema(),
                                        "package_update")
            data["id"] = package_id
            kind = "update"
        else:
            # navl changes the schema it validates with: a fresh one each time
            data, errors = plugin.validate(
                context, dict({k: v for k, v in values.items() if v is not None},
                              type="dataset", owner_org=org.id),
                plugin.create_package_schema(), "package_create")
            kind = "create"
        checked.append((kind, None if errors else data, _problems(entry, errors)))
        if done % 200 == 0 or done == len(entries):
            progress("validate", done, len(entries))
    return checked


def _check_in_child(user_id: str, org_id: str, entries: list[Entry],
                    existing: dict[str, tuple[str, str]], known: lookups.Lookups,
                    done: Any) -> list[Checked]:
    """A forked worker's share of the checks, on database connections of its own."""
    model.meta.engine.dispose(close=False)
    shown = [0]

    def count(stage: str, number: int, total: int) -> None:
        with done.get_lock():
            done.value += number - shown[0]
        shown[0] = number

    try:
        return _check(model.User.get(user_id), model.Group.get(org_id), entries, existing,
                      known, count)
    finally:
        model.Session.remove()


def _check_in_workers(user: model.User, org: model.Group, entries: list[Entry],
                      existing: dict[str, tuple[str, str]], known: lookups.Lookups,
                      workers: int, progress: Progress) -> list[Checked]:
    """The checks shared out to ``workers`` forked processes (validation reads only)."""
    context = multiprocessing.get_context("fork")
    done = context.Value("i", 0)
    size = -(-len(entries) // workers)
    slices = [entries[i:i + size] for i in range(0, len(entries), size)]
    # the children must not share the parent's connections (nor it theirs)
    model.Session.remove()
    model.meta.engine.dispose()
    with context.Pool(len(slices), initializer=_set_done, initargs=(done,)) as pool:
        pending = pool.starmap_async(_check_slice, [(user.id, org.id, part, existing, known)
                                                    for part in slices])
        while not pending.ready():
            progress("validate", done.value, len(entries))
            pending.wait(1)
        parts = pending.get()
    progress("validate", len(entries), len(entries))
    return [checked for part in parts for checked in part]


_done: Any = None  # a worker's shared counter of checked entries


def _set_done(done: Any) -> None:
    global _done
    _done = done


def _check_slice(user_id: str, org_id: str, entries: list[Entry],
                 existing: dict[str, tuple[str, str]], known: lookups.Lookups
                 ) -> list[Checked]:
    return _check_in_child(user_id, org_id, entries, existing, known, _done)


def plan(user: model.User, org: model.Group, entries: list[Entry],
         problems: list[Problem], progress: Progress = _none, workers: int = 1) -> Plan:
    """Every entry validated against the catalog schema as package_create or
    package_update would validate it (nothing is written), by ``workers`` processes; and
    what only the whole file shows: a resource code or URL twice, another department."""
    result = Plan(problems=list(problems))
    owner_header = _header("owner_org")
    code_header = _header("resource_code")
    seen: dict[str, int] = {}
    for entry in entries:
        code = entry.values.get("resource_code")
        if code in seen:
            result.problems.append(Problem(entry.cells["resource_code"], code_header, tk._(
                "The resource code {code} is already on row {row} of this file").format(
                    code=code, row=seen[code])))
        elif code:
            seen[code] = entry.row
        owner = entry.values.get("owner_org")
        if owner is not None and not _department_named(org, owner):
            result.problems.append(Problem(entry.cells["owner_org"], owner_header, tk._(
                "“{value}” is not the department being imported ({department})").format(
                    value=owner, department=org.title)))
    existing = _existing(list(seen))
    known = _lookups(user, entries)
    if workers > 1 and len(entries) >= PARALLEL_MIN:
        user_id, org_id = user.id, org.id
        checked = _check_in_workers(user, org, entries, existing, known, workers, progress)
        user, org = model.User.get(user_id), model.Group.get(org_id)
    else:
        checked = _check(user, org, entries, existing, known, progress)
    # a cell already reported (an unknown choice, read as blank) is reported once
    reported = {(p.row, p.column) for p in problems}
    names: dict[str, int] = {}  # the new entries' URL names: unique within the file too
    name_header = _header("name")
    for entry, (kind, data, found) in zip(entries, checked):
        result.problems += [p for p in found if (p.row, p.column) not in reported]
        if kind == "unchanged":
            result.unchanged += 1
        elif kind == "create" and data is not None and data.get("name") in names:
            if any(p.row == entry.row for p in result.problems):
                continue  # its code is twice in the file: the URL made from it, too
            result.problems.append(Problem(entry.cells.get("name", entry.row), name_header, tk._(
                "The URL {name} is already on row {row} of this file").format(
                    name=data["name"], row=names[data["name"]])))
        elif data is not None:
            if kind == "create":
                names[data["name"]] = entry.row
            (result.create if kind == "create" else result.update).append(data)
    return result


# ------------------------------------------------------------------ writing

def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in catalog_io.batches(rows, 2000):
        model.Session.execute(table.insert(), chunk)


def _package_rows(user: model.User, validated: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """The package rows package_dict_save writes for these validated dicts (the columns the
    dict names; the extras as one JSON object)."""
    columns = [c.name for c in model.package_table.columns]
    now = datetime.datetime.utcnow()
    rows = []
    for data in validated:
        row = {c: data.get(c) for c in columns}
        row.update(id=str(uuid.uuid4()), type=data.get("type") or "dataset", state="active",
                   private=bool(data.get("private")), creator_user_id=user.id,
                   metadata_created=now, metadata_modified=now, plugin_data=None,
                   extras={e["key"]: e["value"] for e in data.get("extras") or []})
        rows.append(row)
    return rows


def _tag_ids(names: set[str]) -> dict[str, str]:
    """The ids of free tags by name, the missing ones created."""
    found = dict(model.Session.query(model.Tag.name, model.Tag.id)
                 .filter(model.Tag.name.in_(names), model.Tag.vocabulary_id.is_(None)))
    new = [{"id": str(uuid.uuid4()), "name": n, "vocabulary_id": None}
           for n in sorted(names - set(found))]
    _insert(model.tag_table, new)
    found.update({row["name"]: row["id"] for row in new})
    return found


def _item_names(extras: dict[str, str]) -> list[str]:
    """The information items' names as sources.index_entry indexes them."""
    return [item["name"] for item in json.loads(extras.get(ITEMS) or "[]")
            if isinstance(item, dict) and isinstance(item.get("name"), str)
            and item["name"].strip()]


def _create(user: model.User, org: model.Group, validated: list[dict[str, Any]]) -> list[str]:
    """Bulk inserts of what package_create writes for each entry; the new ids."""
    packages = _package_rows(user, validated)
    _insert(model.package_table, packages)
    tags = _tag_ids({t["name"] for data in validated for t in data.get("tags") or []})
    themes = dict(model.Session.query(model.Group.name, model.Group.id)
                  .filter(model.Group.is_organization.is_(False), model.Group.state == "active"))
    package_tags, members, items, events = [], [], [], []
    ip = audit.client_ip()
    for row, data in zip(packages, validated):
        package_tags += [{"id": str(uuid.uuid4()), "package_id": row["id"],
                          "tag_id": tags[t["name"]], "state": "active"}
                         for t in {t["name"]: t for t in data.get("tags") or []}.values()]
        members.append({"id": str(uuid.uuid4()), "table_name": "package", "table_id": row["id"],
                        "capacity": "organization", "group_id": org.id, "state": "active"})
        members += [{"id": str(uuid.uuid4()), "table_name": "package", "table_id": row["id"],
                     "capacity": "public", "group_id": themes[name], "state": "active"}
                    for name in json.loads(row["extras"].get("themes") or "[]") if name in themes]
        items += [{"package_id": row["id"], "position": position, "name": name,
                   "normalised": sources.normalise(name)}
                  for position, name in enumerate(_item_names(row["extras"]))]
        for field, event in audit.CATALOG_FIELDS.items():
            if row["extras"].get(field):
                events.append({"event": event, "outcome": "success", "object_type": "package",
                               "object_id": row["id"], "ip": ip, "actor_id": user.id,
                               "actor_name": user.name,
                               "detail": {"name": row["name"], "from": None,
                                          "to": row["extras"][field]}})
    _insert(model.package_tag_table, package_tags)
    _insert(model.member_table, members)
    _insert(InfoItem.__table__, items)
    _insert(AuditEvent.__table__, events)
    return [row["id"] for row in packages]


def _update(user: model.User, org: model.Group, changed: list[dict[str, Any]]) -> None:
    """Changed entries through package_update, in the import's one transaction, with its
    hooks (the review of a registered entry's share and open attributes, themes, sources,
    timeliness) and, through ``changed_entities``, the activity plugin's "changed package"
    activity. CKAN 2.12's package_update keeps its write under ``defer_commit`` only with
    ``return_id_only``, and then neither commits nor indexes (as catalog_review._write
    uses it): the import commits once, and their documents go with the new entries'. They
    were validated with the new ones before anything was written. The data authority's
    import is an internal call, as its validation was."""
    trusted = not (user.sysadmin or access.is_department_admin(user, org.id))
    for data in changed:
        tk.get_action("package_update")(
            {"user": user.name, "ignore_auth": trusted, "defer_commit": True,
             "return_id_only": True, "changed_entities": {"packages": {data["id"]}}},
            dict(data))


class _Spool:
    """Stands in for the Solr connection while documents are built inside the
    transaction: they wait in a temporary file until the commit (Solr's soft commit would
    show entries that a rollback takes back)."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **_: Any) -> None:
        for doc in docs:
            self.file.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        self.file.seek(0)
        yield from catalog_io.batches((json.loads(line) for line in self.file), BATCH)


def _documents_and_activities(user: model.User, ids: list[str], spool: _Spool,
                              progress: Progress, new: bool = True) -> None:
    """For each entry: its search document into the spool, made by CKAN's index_package
    from what package_show would give (indexing.shown: a few queries per batch), and for a
    ``new`` one its "new package" activity with that dict, as CKAN's activity plugin writes
    it (a batch's activities in one insert; a changed entry's activity is the plugin's)."""
    from ckan.lib.search import index

    package_index = index.PackageSearchIndex()
    labels = get_permission_labels()
    original = index.make_connection
    index.make_connection = lambda *args, **kwargs: spool
    done = 0
    try:
        for batch in catalog_io.batches(ids, BATCH):
            activities: list[dict[str, Any]] = []
            for package, (default, custom) in indexing.shown(batch, user.name):
                package_index.index_package(dict(default, with_custom_schema=custom),
                                            defer_commit=True)
                if new:
                    activities.append({
                        "id": str(uuid.uuid4()), "timestamp": datetime.datetime.utcnow(),
                        "user_id": user.id, "object_id": package.id,
                        "activity_type": "new package",
                        "data": {"package": custom, "actor": user.name},
                        "permission_labels": labels.get_dataset_labels(package)})
            _insert(Activity.__table__, activities)
            model.Session.expunge_all()  # nothing dirty: the writes were flushed or Core
            done += len(batch)
            progress("index", done, len(ids))
    finally:
        index.make_connection = original


def _send(spool: _Spool, progress: Progress, total: int, commit: bool = True) -> None:
    from ckan.lib.search import make_connection

    solr = make_connection()
    sent = 0
    for batch in spool.batches():
        solr.add(batch, commit=False)
        sent += len(batch)
        progress("solr", sent, total)
    if commit:
        solr.commit()


def _index_in_child(user_id: str, ids: list[str], done: Any) -> None:
    """A forked worker: its share of the new entries' documents (sent to Solr, not
    committed) and activities (committed), on database connections of its own."""
    model.meta.engine.dispose(close=False)  # the parent's connections stay the parent's
    try:
        shown = [0]

        def count(stage: str, number: int, total: int) -> None:
            with done.get_lock():
                done.value += number - shown[0]
            shown[0] = number

        spool = _Spool()
        _documents_and_activities(model.User.get(user_id), ids, spool, count)
        model.repo.commit()
        with spool.file:
            _send(spool, _none, len(ids), commit=False)
    except BaseException as error:
        print(f"catalog import: indexing failed: {error}", file=sys.stderr)
        os._exit(1)
    os._exit(0)


def _index_in_workers(user_id: str, ids: list[str], workers: int,
                      progress: Progress, updated: list[str]) -> None:
    """The new entries' documents and activities built by ``workers`` forked processes
    after the entries' commit (validation by the show schemas is what takes the time), the
    changed entries' documents by this one, one Solr commit. A failed worker leaves
    entries saved but not all indexed: say so, and how to mend it."""
    from ckan.lib.search import make_connection

    model.Session.remove()
    model.meta.engine.dispose()
    context = multiprocessing.get_context("fork")
    done = context.Value("i", 0)
    children = [context.Process(target=_index_in_child, args=(user_id, ids[i::workers], done))
                for i in range(workers)]
    for child in children:
        child.start()
    while any(child.is_alive() for child in children):
        progress("index", done.value, len(ids))
        time.sleep(1)
    for child in children:
        child.join()
    progress("index", done.value, len(ids))
    failed = any(child.exitcode for child in children)
    if updated and not failed:
        spool = _Spool()
        with spool.file:
            _documents_and_activities(model.User.get(user_id), updated, spool, _none,
                                      new=False)
            model.Session.rollback()  # read only
            _send(spool, _none, len(updated), commit=False)
    make_connection().commit()
    if failed:
        raise RuntimeError("catalog import: the entries are saved but not all are in the "
                           "search index and the activity stream; run `ckan govshare "
                           "reindex` (see the log)")


def run(user: model.User, org: model.Group, stream: IO[bytes], filename: str,
        dry_run: bool = False, progress: Progress = _none, workers: int = 1) -> dict[str, Any]:
    """Import a template file into ``org``'s catalog: ``{created, updated, unchanged,
    errors}``; with any error (or a dry run) nothing is saved.

    With one worker the new entries, their activities and their search documents are one
    transaction. With more (the command line), the documents and activities are built by
    forked processes after the entries' commit: faster, for a process that may fork."""
    planned_ids = (user.id, org.id)  # the checking workers replace the session
    entries, problems = (exchange_xml.read(stream) if exchange_xml.is_xml(stream, filename)
                         else catalog_io.read(stream, filename))
    progress("read", len(entries), len(entries))
    planned = plan(user, org, entries, problems, progress, workers)
    user, org = model.User.get(planned_ids[0]), model.Group.get(planned_ids[1])
    if planned.problems or dry_run:
        model.Session.rollback()
        return planned.result()
    updated = [data["id"] for data in planned.update]
    if workers > 1 and len(planned.create) >= PARALLEL_MIN:
        user_id = user.id  # the objects leave with the session
        try:
            created = _create(user, org, planned.create)
            _update(user, org, planned.update)
            model.repo.commit()
        except BaseException:
            model.Session.rollback()
            raise
        _index_in_workers(user_id, created, workers, progress, updated)
        return planned.result()
    spool = _Spool()
    try:
        created = _create(user, org, planned.create)
        _update(user, org, planned.update)
        model.Session.flush()
        _documents_and_activities(user, created, spool, progress)
        _documents_and_activities(user, updated, spool, _none, new=False)
        model.repo.commit()
    except BaseException:
        model.Session.rollback()
        spool.file.close()
        raise
    with spool.file:
        _send(spool, progress, len(created) + len(updated))
    return planned.result()


# ------------------------------------------------------------------ as an RQ job

_KEY = "govshare:catalog_import:{token}"
KEEP_SECONDS = 24 * 3600  # a job's state and file stay in Redis a day


def _redis() -> Any:
    from ckan.lib.redis import connect_to_redis
    return connect_to_redis()


def job_state(token: str) -> Optional[dict[str, Any]]:
    """The state of an import job: who started it for which department, ``status``
    (``waiting``, ``running``, ``done``, ``failed``), ``stage``, ``done``, ``total`` and,
    at the end, the result; None for an unknown token."""
    value = _redis().get(_KEY.format(token=token))
    return json.loads(value) if value else None


def _save_state(token: str, state: dict[str, Any]) -> None:
    _redis().set(_KEY.format(token=token), json.dumps(state, ensure_ascii=False),
                 ex=KEEP_SECONDS)


def keep(user: model.User, org: model.Group, content: bytes, filename: str) -> str:
    """Keep a previewed file in Redis for its import (``run_job``); the job's token."""
    token = uuid.uuid4().hex
    _redis().set(_KEY.format(token=token) + ":file", content, ex=KEEP_SECONDS)
    _save_state(token, {"user_id": user.id, "owner_org": org.id, "filename": filename,
                        "status": "waiting", "stage": "", "done": 0, "total": 0})
    return token


def run_job(token: str) -> None:
    """The RQ job: the import of the kept file, its progress and result in Redis."""
    state = job_state(token)
    content = _redis().get(_KEY.format(token=token) + ":file")
    if state is None or content is None:
        return
    user, org = model.User.get(state["user_id"]), model.Group.get(state["owner_org"])

    def progress(stage: str, done: int, total: int) -> None:
        _save_state(token, dict(state, status="running", stage=stage, done=done, total=total))

    try:
        result = run(user, org, io.BytesIO(content), state["filename"], progress=progress)
    except tk.ValidationError as error:
        result = {"created": 0, "updated": 0, "unchanged": 0, "errors": [
            {"row": 0, "column": "", "message": m} for m in error.error_dict.get("upload", [])]}
    except Exception:
        _save_state(token, dict(state, status="failed"))
        raise
    finally:
        model.Session.remove()
    _save_state(token, dict(state, status="done", result=result))
    _redis().delete(_KEY.format(token=token) + ":file")
