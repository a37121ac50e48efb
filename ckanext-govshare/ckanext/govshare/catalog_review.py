"""Catalog registration (目录编制 → 保密审查 → 报送 → 备案 or 退回), requirements §4.5.

A department compiles entries as drafts, has them pass a secrecy review (保密审查) and
submits them; the data authority confirms (registered: the share and open rules apply) or
returns them with a reason. A registered entry's share and open attributes change through
the same review: the proposed values wait in a ``propose`` step while the registered ones
stand (see ``hold_review_changes``). Every step is a row of ``govshare_catalog_step``.
"""
from __future__ import annotations

import datetime
import logging
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
import pysolr
from ckan import logic, model
from ckan.lib.plugins import lookup_package_plugin

from ckanext.govshare import audit, codes, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.model import CatalogStep, DutyChange
from ckanext.govshare.model.catalog import CONFIRM, PROPOSE, RETURN, SUBMIT

# The attributes whose change on a registered entry needs the authority's confirmation.
REVIEWED_FIELDS = ("share_type", "share_condition", "no_share_basis", "usage_scope",
                   "share_method", "open_type", "open_condition")
# And, for each information item (info_items), its share type and open flag.
REVIEWED_ITEM_FIELDS = ("share_type", "open")

log = logging.getLogger(__name__)


def _error(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def _state(package: model.Package) -> str:
    return (package.extras or {}).get("catalog_state") or codes.DRAFT


def entries(ids: Iterable[str], field: str = "ids") -> list[model.Package]:
    """The active entries ``ids`` names (ids or names), in order; an unknown one is an error."""
    found = []
    for name in ids:
        package = model.Package.get(name)
        if package is None or package.state != "active":
            raise _error(field, tk._("Entry not found: {id}").format(id=name))
        found.append(package)
    if not found:
        raise _error(field, tk._("Choose at least one entry"))
    return found


def _internal(user: model.User) -> dict[str, Any]:
    return {"ignore_auth": True, "user": user.name}


def _field_label(name: str) -> str:
    try:
        return catalog.field_label(catalog.dataset_field(name))
    except (KeyError, TypeError):
        return name


def _flat(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field label, message) pairs of a package ValidationError's (nested) errors."""
    pairs: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = _field_label(key) if not prefix else f"{prefix}/{_field_label(key)}"
            pairs += _flat(value, label)
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            if isinstance(value, str):
                pairs.append((prefix, value))
            elif value:
                pairs += _flat(value, f"{prefix}[{i + 1}]")
    return pairs


def _target(user: model.User, package: model.Package, state: str,
            changes: Optional[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The entry as it will be written, and its validation errors (each naming the entry
    and the field) against the catalog schema."""
    context = _internal(user)
    shown = tk.get_action("package_show")(dict(context, for_update=True), {"id": package.id})
    data = dict(shown, catalog_state=state, **(changes or {}))
    plugin = lookup_package_plugin(package.type)
    _, errors = plugin.validate(dict(context, package=package, session=model.Session, model=model),
                                dict(data), plugin.update_package_schema(), "package_update")
    return data, [tk._("Entry “{title}”, {field}: {message}").format(
        title=package.title, field=field or tk._("entry"), message=message)
        for field, message in _flat(errors)]


def _all_or_none(user: model.User, moves: list[tuple[model.Package, str, Optional[dict]]]) -> None:
    """Every entry is checked before any is written: with one error, none moves."""
    targets, errors = [], []
    for package, state, changes in moves:
        data, found = _target(user, package, state, changes)
        targets.append(data)
        errors += found
    if errors:
        raise tk.ValidationError({"ids": errors})
    _write(user, targets)


def _write(user: model.User, targets: list[dict[str, Any]]) -> None:
    """The checked entries, each by package_update, in the action's one transaction.

    CKAN 2.12's package_update keeps its write under ``defer_commit`` only with
    ``return_id_only`` (else it rolls its savepoint back), and then neither commits nor
    indexes: the action commits once and indexes after (``index``). A failure on any entry
    rolls the session back, the entries written before it included. ``changed_entities``
    is what package_update sets when it commits; set here, the activity plugin records
    each change in the same transaction (its activity_create defers too)."""
    for data in targets:
        context = dict(_internal(user), defer_commit=True, return_id_only=True,
                       changed_entities={"packages": {data["id"]}})
        tk.get_action("package_update")(context, data)


def index(package_ids: Iterable[str]) -> None:
    """After the commit: the entries' search documents, one Solr commit for them all. The
    database has the change either way; an index that failed is rebuilt by
    ``ckan govshare reindex``."""
    from ckan.lib import search

    try:
        for package_id in dict.fromkeys(package_ids):
            logic.index_update_package({"ignore_auth": True}, package_id, defer_commit=True)
        search.make_connection().commit()  # waits for the new searcher: the pages show it
    except (search.SearchIndexError, pysolr.SolrError):
        log.exception("catalog step committed, but the search index was not updated")


def _record(user: model.User, package: model.Package, step: str, from_state: str,
            to_state: str, **detail: Any) -> CatalogStep:
    row = CatalogStep(package_id=package.id, step=step, from_state=from_state,
                      to_state=to_state, actor_id=user.id, **detail)
    model.Session.add(row)
    audit.record(audit.CATALOG_STEP.format(step=step), "package", package.id,
                 {"from": from_state, "to": to_state}, actor=user)
    return row


def submit(user: model.User, ids: list[str], secrecy_review: dict[str, Any]) -> list[CatalogStep]:
    """报送: drafts and returned entries of one department, with their secrecy review."""
    packages = entries(ids)
    if len({p.owner_org for p in packages}) != 1:
        raise _error("ids", tk._("Submit the entries of one department at a time"))
    wrong = [p.title for p in packages if _state(p) not in (codes.DRAFT, codes.RETURNED)]
    if wrong:
        raise _error("ids", tk._("Only drafts and returned entries can be submitted: {titles}")
                     .format(titles="、".join(wrong)))
    before = {p.id: _state(p) for p in packages}
    _all_or_none(user, [(p, codes.SUBMITTED, None) for p in packages])
    review = {k: (v.isoformat() if isinstance(v, datetime.date) else v)
              for k, v in secrecy_review.items()}
    steps = [_record(user, p, SUBMIT, before[p.id], codes.SUBMITTED, secrecy_review=review)
             for p in packages]
    (model.Session.query(DutyChange)
     .filter(DutyChange.owner_org == packages[0].owner_org, DutyChange.updated.is_(None))
     .update({DutyChange.updated: datetime.datetime.utcnow()}, synchronize_session=False))
    return steps


def pending_change(package_id: str) -> Optional[CatalogStep]:
    return (model.Session.query(CatalogStep)
            .filter(CatalogStep.package_id == package_id, CatalogStep.step == PROPOSE,
                    CatalogStep.settled.is_(None)).one_or_none())


def _decidable(packages: list[model.Package]) -> None:
    wrong = [p.title for p in packages
             if _state(p) != codes.SUBMITTED and pending_change(p.id) is None]
    if wrong:
        raise _error("ids", tk._("Not awaiting registration: {titles}")
                     .format(titles="、".join(wrong)))


def confirm(user: model.User, ids: list[str]) -> list[CatalogStep]:
    """备案: submitted entries become registered; a pending change of a registered entry
    is applied."""
    packages = entries(ids)
    _decidable(packages)
    pending = {p.id: pending_change(p.id) for p in packages}
    before = {p.id: _state(p) for p in packages}
    _all_or_none(user, [(p, codes.REGISTERED, pending[p.id].changes if pending[p.id] else None)
                        for p in packages])
    now = datetime.datetime.utcnow()
    for change in filter(None, pending.values()):
        change.settled = now
    return [_record(user, p, CONFIRM, before[p.id], codes.REGISTERED,
                    changes=pending[p.id].changes if pending[p.id] else None)
            for p in packages]


def return_(user: model.User, ids: list[str], reason: str) -> list[CatalogStep]:
    """退回: submitted entries go back to their department with the reason; a pending
    change of a registered entry is dropped (the registered version stays)."""
    packages = entries(ids)
    _decidable(packages)
    now = datetime.datetime.utcnow()
    moves, steps = [], []
    for package in packages:
        change = pending_change(package.id)
        if change is not None:
            change.settled = now
            steps.append(_record(user, package, RETURN, codes.REGISTERED, codes.REGISTERED,
                                 reason=reason, changes=change.changes))
        else:
            moves.append((package, codes.RETURNED, None))
            steps.append(_record(user, package, RETURN, codes.SUBMITTED, codes.RETURNED,
                                 reason=reason))
    _all_or_none(user, moves)
    return steps


def last_return(package_id: str) -> Optional[CatalogStep]:
    return (model.Session.query(CatalogStep)
            .filter(CatalogStep.package_id == package_id, CatalogStep.step == RETURN)
            .order_by(CatalogStep.at.desc(), CatalogStep.id.desc()).first())


def history(package_id: str) -> list[CatalogStep]:
    return (model.Session.query(CatalogStep).filter(CatalogStep.package_id == package_id)
            .order_by(CatalogStep.at, CatalogStep.id).all())


# ------------------------------------------------------------------ pending changes

def _reviewed(package: dict[str, Any], name: str) -> Any:
    if name == "info_items":
        items = package.get("info_items") or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            return items  # malformed: it differs, and the validation names the field
        return [{k: item.get(k) for k in ("name",) + REVIEWED_ITEM_FIELDS} for item in items]
    value = package.get(name)
    return [value] if name in ("share_method", "usage_scope") and isinstance(value, str) else value


def hold_review_changes(user: Optional[model.User], context: dict[str, Any],
                        data_dict: dict[str, Any]) -> dict[str, Any]:
    """A department's update of a registered entry: the share and open attributes it
    changes (the information items as a whole when their flags change) are checked like
    an update and held as the entry's pending change, and the registered ones written
    back; everything else applies at once."""
    package = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
    if user is None or package is None or _state(package) != codes.REGISTERED:
        return data_dict
    registered = tk.get_action("package_show")({"ignore_auth": True, "for_update": True},
                                               {"id": package.id})
    changed = {name: data_dict.get(name) for name in REVIEWED_FIELDS + ("info_items",)
               if name in data_dict and _reviewed(data_dict, name) != _reviewed(registered, name)}
    if not changed:
        return data_dict
    plugin = lookup_package_plugin(package.type)
    _, errors = plugin.validate(dict(context, package=package, session=model.Session, model=model),
                                dict(data_dict, type=package.type),
                                plugin.update_package_schema(), "package_update")
    if errors:
        raise tk.ValidationError(errors)
    changes = changed  # as sent: confirming writes them through package_update
    proposal = pending_change(package.id)
    if proposal is None:
        _record(user, package, PROPOSE, codes.REGISTERED, codes.REGISTERED, changes=changes)
    else:
        proposal.changes = {**proposal.changes, **changes}
        proposal.at = datetime.datetime.utcnow()
        audit.record(audit.CATALOG_STEP.format(step=PROPOSE), "package", package.id,
                     {"from": codes.REGISTERED, "to": codes.REGISTERED}, actor=user)
    return dict(data_dict, **{name: registered.get(name) for name in changed})


def _shown(name: str, value: Any) -> str:
    """A value as the review shows it: codes by their labels, lists joined."""
    if name == "info_items":
        return "；".join(f"{i.get('name')}：{catalog.choice_label('share_type', i.get('share_type'))}"
                        f"{'，' + tk._('open') if i.get('open') in (True, 'true') else ''}"
                        for i in value or [])
    values = value if isinstance(value, list) else [value]
    if catalog.choice_values(name):
        values = [catalog.choice_label(name, v) for v in values]
    return "、".join(str(v) for v in values if v not in (None, ""))


def diff(package: dict[str, Any], changes: dict[str, Any]) -> list[dict[str, Any]]:
    """The pending change against the registered version, field by field, for the review."""
    return [{"field": name, "label": _field_label(name),
             "registered": _shown(name, package.get(name)), "proposed": _shown(name, value)}
            for name, value in changes.items()]


# ------------------------------------------------------------------ duty changes

def record_duty_change(user: model.User, data: dict[str, Any]) -> DutyChange:
    """职责调整: the department's catalog update falls due."""
    org = model.Group.get(data["owner_org"])
    if org is None or not org.is_organization:
        raise _error("owner_org", tk._("Department not found"))
    day = data["date"].date() if isinstance(data["date"], datetime.datetime) else data["date"]
    due = workdays.add_working_days(day, tk.config.get("govshare.catalog.update_working_days"),
                                    "date")
    change = DutyChange(owner_org=org.id, description=data["description"], date=day, due=due,
                        created_by=user.id)
    model.Session.add(change)
    audit.record(audit.DUTY_CHANGE_RECORDED, "organization", org.id,
                 {"date": day.isoformat(), "due": due.isoformat()}, actor=user)
    return change


def duty_changes(org_id: str) -> list[DutyChange]:
    return (model.Session.query(DutyChange).filter(DutyChange.owner_org == org_id)
            .order_by(DutyChange.date.desc(), DutyChange.id.desc()).all())


# ------------------------------------------------------------------ the pages' lists

def desk(org_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The department's entries on the way to registration (drafts, submitted, returned
    with the reason) and its registered entries with a pending change."""
    state = model.Package.extras["catalog_state"].astext
    rows = (model.Session.query(model.Package)
            .filter(model.Package.owner_org.in_(list(org_ids)), model.Package.state == "active",
                    model.Package.type == "dataset")
            .order_by(model.Package.metadata_modified.desc()))
    shown = []
    for package in rows.filter(state != codes.REGISTERED):
        returned = last_return(package.id) if _state(package) == codes.RETURNED else None
        shown.append({"id": package.id, "name": package.name, "title": package.title,
                      "state": _state(package), "reason": returned.reason if returned else None})
    pending = {s.package_id for s in model.Session.query(CatalogStep).filter(
        CatalogStep.step == PROPOSE, CatalogStep.settled.is_(None))}
    for package in rows.filter(state == codes.REGISTERED, model.Package.id.in_(pending)):
        shown.append({"id": package.id, "name": package.name, "title": package.title,
                      "state": PROPOSE, "reason": None})
    return shown


def queue() -> list[dict[str, Any]]:
    """The authority's review queue: submitted entries, and pending changes with their diff
    against the registered version."""
    submitted = (model.Session.query(model.Package)
                 .filter(model.Package.extras["catalog_state"].astext == codes.SUBMITTED,
                         model.Package.state == "active")
                 .order_by(model.Package.metadata_modified))
    shown = []
    for package in submitted:
        step = (model.Session.query(CatalogStep)
                .filter(CatalogStep.package_id == package.id, CatalogStep.step == SUBMIT)
                .order_by(CatalogStep.id.desc()).first())
        shown.append({"id": package.id, "name": package.name, "title": package.title,
                      "department": package.owner_org, "kind": SUBMIT,
                      "secrecy_review": step.secrecy_review if step else None, "diff": []})
    for change in (model.Session.query(CatalogStep)
                   .filter(CatalogStep.step == PROPOSE, CatalogStep.settled.is_(None))
                   .order_by(CatalogStep.at)):
        package = model.Package.get(change.package_id)
        registered = tk.get_action("package_show")({"ignore_auth": True, "for_update": True},
                                                   {"id": package.id})
        shown.append({"id": package.id, "name": package.name, "title": package.title,
                      "department": package.owner_org, "kind": PROPOSE, "secrecy_review": None,
                      "diff": diff(registered, change.changes)})
    return shown
