"""Update timeliness (更新时效, requirements §4.4; 滨州 第二十一条): when each entry's data last
changed (``data_updated``) and whether it is overdue for its ``update_frequency``
(``update_overdue``), the providers' reminders and notices, and the configured consequence.

The rule, written once (``due_date``, ``is_overdue``):

- An entry's data changes with an upload, a URL change, a DataStore write, or the
  provider's declaration of a date (``govshare_data_update_declare``). An entry with no
  recorded change counts from its ``publish_date`` (the data it was published with), else
  from its creation.
- It is due one period after that day (daily 1 day, weekly 7 days, monthly, quarterly,
  semiannual, annual: calendar months and years), and overdue once more than
  ``govshare.timeliness.grace_days`` calendar days have passed since.
- ``realtime`` entries are fed continuously by a system, so a whole day without new data is
  already late: they are due daily. ``irregular`` entries promise no period: they are never
  overdue, and nobody is reminded of them.
- Providers (the department's admins and editors) are reminded
  ``govshare.timeliness.remind_before_days`` days before the due date (not for daily and
  realtime entries, for which it would be a daily message) and told once it is overdue:
  each once per entry and due date (``TimelinessNotice``'s unique constraint).
- ``govshare.timeliness.sanction``: ``none``; ``warn`` (the department's pages say so);
  ``suspend_requests`` (also: the department cannot file new share requests until none of
  its entries is overdue).

Nothing here commits: the actions and hooks calling it run in CKAN's transaction.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
from collections import defaultdict
from typing import Any, Iterable, Iterator, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from dateutil.relativedelta import relativedelta
from sqlalchemy import String, case, cast, func
from sqlalchemy.dialects.postgresql import insert

from ckanext.govshare import codes, notify, workdays
from ckanext.govshare.model import DataUpdate, TimelinessNotice

# The period of each update_frequency; codes.IRREGULAR has none.
PERIODS = {
    codes.REALTIME: relativedelta(days=1),
    codes.DAILY: relativedelta(days=1),
    codes.WEEKLY: relativedelta(days=7),
    codes.MONTHLY: relativedelta(months=1),
    codes.QUARTERLY: relativedelta(months=3),
    codes.SEMIANNUAL: relativedelta(months=6),
    codes.ANNUAL: relativedelta(years=1),
}
NOT_REMINDED = (codes.REALTIME, codes.DAILY)
NONE, SUSPEND_REQUESTS = "none", "suspend_requests"  # of govshare.timeliness.sanction
UPLOAD_OR_URL, DATASTORE, DECLARED = "resource", "datastore", "declared"
REMIND, OVERDUE = "remind", "overdue"
PROVIDER_CAPACITIES = ("admin", "editor")

# What a resource's data is, as far as the catalog can tell: its URL (an upload's is its file
# name) and last_modified (set by every upload). The migration 0009 uses the same expression.
RESOURCE_STATE = (func.coalesce(model.Resource.url, "") + "|"
                  + func.coalesce(cast(model.Resource.last_modified, String), ""))


def grace_days() -> int:
    return tk.config.get("govshare.timeliness.grace_days")


def sanction() -> str:
    return tk.config.get("govshare.timeliness.sanction")


# ------------------------------------------------------------------ the rule

def due_date(frequency: Optional[str], last: datetime.date) -> Optional[datetime.date]:
    """The day the next update is due; None when the frequency promises none."""
    period = PERIODS.get(frequency or "")
    return last + period if period else None


def is_overdue(due: Optional[datetime.date], today: datetime.date) -> bool:
    return due is not None and today > due + datetime.timedelta(days=grace_days())


def _parse_day(value: Any) -> Optional[datetime.date]:
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def last_update(updated: Any, published: Any, created: Any,
                today: datetime.date) -> datetime.date:
    """The day the data last changed as far as the platform knows: recorded, else the
    entry's publication, else its creation."""
    return _parse_day(updated) or _parse_day(published) or _parse_day(created) or today


@dataclasses.dataclass
class Status:
    package_id: str
    name: str
    title: str
    owner_org: Optional[str]
    update_frequency: Optional[str]
    data_updated: Optional[datetime.datetime]
    due: Optional[datetime.date]
    overdue: bool
    indexed_overdue: bool
    registered: bool = True
    note: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "name": self.name, "title": self.title,
                "owner_org": self.owner_org, "update_frequency": self.update_frequency,
                "data_updated": self.data_updated.isoformat() if self.data_updated else None,
                "update_due": self.due.isoformat() if self.due else None,
                "update_overdue": self.overdue, "registered": self.registered,
                "declared_note": self.note}


def statuses(org_ids: Optional[Iterable[str]] = None, package_ids: Optional[Iterable[str]] = None,
             today: Optional[datetime.date] = None) -> list[Status]:
    """The timeliness of the active entries (of these departments, or these entries), in
    one query. An entry never registered (a draft, submitted or returned) promises no
    update to anyone yet: it is never overdue."""
    today = today or workdays.today()
    pkg = model.Package
    query = (model.Session.query(pkg.id, pkg.name, pkg.title, pkg.owner_org, pkg.metadata_created,
                                 pkg.extras["update_frequency"].astext,
                                 pkg.extras["publish_date"].astext,
                                 DataUpdate.data_updated, DataUpdate.overdue,
                                 pkg.extras["catalog_state"].astext, DataUpdate.note)
             .outerjoin(DataUpdate, DataUpdate.package_id == pkg.id)
             .filter(pkg.state == "active", pkg.type == "dataset"))
    if org_ids is not None:
        query = query.filter(pkg.owner_org.in_(list(org_ids)))
    if package_ids is not None:
        query = query.filter(pkg.id.in_(list(package_ids)))
    result = []
    for (package_id, name, title, owner_org, created, frequency, published, updated,
         indexed, state, note) in query.order_by(pkg.title):
        due = due_date(frequency, last_update(updated, published, created, today))
        registered = state == codes.REGISTERED
        result.append(Status(package_id, name, title, owner_org, frequency, updated, due,
                             registered and is_overdue(due, today), bool(indexed), registered,
                             note))
    return result


def of_entry(package_id: str) -> Optional[Status]:
    found = statuses(package_ids=[package_id])
    return found[0] if found else None


# ------------------------------------------------------------------ recording

def record(package_id: str, source: str, when: Optional[datetime.datetime] = None,
           user: Optional[model.User] = None,
           resources: Optional[dict[str, str]] = None, note: Optional[str] = None) -> None:
    """The entry's data changed at ``when`` (now): a later date than the one recorded wins, so
    that a declaration cannot make recorded data older."""
    when = when or datetime.datetime.utcnow()
    values: dict[str, Any] = {"package_id": package_id, "data_updated": when, "source": source,
                              "declared_by": user.id if user else None, "overdue": False,
                              "note": note}
    if resources is not None:
        values["resources"] = resources
    statement = insert(DataUpdate).values(**values)
    new = statement.excluded
    newer = DataUpdate.data_updated.is_(None) | (DataUpdate.data_updated < new.data_updated)
    set_: dict[str, Any] = {
        "data_updated": func.greatest(DataUpdate.data_updated, new.data_updated),
        "source": case((newer, new.source), else_=DataUpdate.source),
        "declared_by": case((newer, new.declared_by), else_=DataUpdate.declared_by),
        "note": case((newer, new.note), else_=DataUpdate.note)}
    if resources is not None:
        set_["resources"] = new.resources
    model.Session.execute(statement.on_conflict_do_update(index_elements=["package_id"],
                                                          set_=set_))


def record_resources(package_id: str) -> bool:
    """After an entry is saved (in its transaction): if a resource is new or has a new URL or
    upload, its data changed now. Whether it did."""
    current = dict(model.Session.query(model.Resource.id, RESOURCE_STATE)
                   .filter(model.Resource.package_id == package_id,
                           model.Resource.state == "active"))
    row = model.Session.get(DataUpdate, package_id, populate_existing=True)
    known = (row.resources if row is not None else None) or {}
    if any(known.get(resource_id) != state for resource_id, state in current.items()):
        record(package_id, UPLOAD_OR_URL, resources=current)
        return True
    if row is not None and known != current:  # a resource was deleted: no new data
        row.resources = current
    return False


def declare(user: model.User, package_id: str, day: datetime.date,
            note: Optional[str] = None) -> None:
    """The provider declares the data updated on ``day`` (not in the future), with what
    was updated (``note``)."""
    if day > workdays.today():
        raise tk.ValidationError({"date": [tk._("The date cannot be in the future")]})
    record(package_id, DECLARED, datetime.datetime.combine(day, datetime.time()), user,
           note=note or None)


# ------------------------------------------------------------------ shown and indexed

_known: contextvars.ContextVar[Optional[dict[str, Status]]] = contextvars.ContextVar(
    "govshare_timeliness_known", default=None)


@contextlib.contextmanager
def known(package_ids: list[str]) -> Iterator[None]:
    """Within: the timeliness of these entries read once (one query), for ``fields`` as the
    show and index hooks call it entry by entry (the catalog import's batches)."""
    token = _known.set({s.package_id: s for s in statuses(package_ids=package_ids)})
    try:
        yield
    finally:
        _known.reset(token)


def fields(package_id: str) -> dict[str, Any]:
    """``data_updated`` (ISO, or None) and ``update_overdue`` of one entry."""
    known_now = _known.get()
    status = (known_now.get(package_id) if known_now is not None and package_id in known_now
              else of_entry(package_id))
    if status is None:
        return {}
    return {"data_updated": status.as_dict()["data_updated"], "update_overdue": status.overdue}


def shown(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """``fields`` of an entry as package_show gives it. A copy from the search index has its
    ``data_updated`` from the database, as of its indexing (every change of it reindexes the
    entry); only ``update_overdue`` moves with the calendar. A copy from the database (it has
    no ``data_updated``) asks the database."""
    if "data_updated" not in pkg_dict:
        return fields(pkg_dict["id"])
    today = workdays.today()
    last = last_update(pkg_dict["data_updated"], pkg_dict.get("publish_date"),
                       pkg_dict.get("metadata_created"), today)
    due = due_date(pkg_dict.get("update_frequency"), last)
    return {"update_overdue": pkg_dict.get("catalog_state") == codes.REGISTERED
            and is_overdue(due, today)}


def for_index(shown: dict[str, Any]) -> dict[str, Any]:
    """``fields`` for Solr (string fields: the facet's values are ``true`` and ``false``)."""
    if not shown:
        return {}
    return {"data_updated": shown["data_updated"],
            "update_overdue": "true" if shown["update_overdue"] else "false"}


def facet_label(value: str) -> str:
    return tk._("Overdue") if value == "true" else tk._("Up to date")


# ------------------------------------------------------------------ consequences

def overdue_titles(org_id: str) -> list[str]:
    return [s.title for s in statuses(org_ids=[org_id]) if s.overdue]


def notice(org_id: str) -> Optional[str]:
    """What the department's pages say while it has overdue entries (sanction not none)."""
    if sanction() == NONE:
        return None
    titles = overdue_titles(org_id)
    if not titles:
        return None
    if sanction() == SUSPEND_REQUESTS:
        return tk._("{count} of your department's catalog entries are overdue for an update "
                    "({titles}): until their data is updated, your department cannot file new "
                    "share requests.").format(count=len(titles), titles="、".join(titles[:5]))
    return tk._("{count} of your department's catalog entries are overdue for an update "
                "({titles}): please update their data.").format(
        count=len(titles), titles="、".join(titles[:5]))


def check_may_request(org_id: str) -> None:
    """Under ``suspend_requests``, a department with overdue entries files no new requests."""
    if sanction() != SUSPEND_REQUESTS:
        return
    titles = overdue_titles(org_id)
    if titles:
        raise tk.ValidationError({"requester_org": [tk._(
            "Your department cannot file new share requests: {count} of its catalog entries "
            "are overdue for an update ({titles}). Update their data first.").format(
            count=len(titles), titles="、".join(titles[:5]))]})


# ------------------------------------------------------------------ the daily job

def _providers(org_ids: Iterable[str]) -> dict[str, list[model.User]]:
    """Each department's admins and editors, who keep its data up to date."""
    rows = (model.Session.query(model.Member.group_id, model.User)
            .join(model.User, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id.in_(list(org_ids)), model.Member.table_name == "user",
                    model.Member.state == "active",
                    model.Member.capacity.in_(PROVIDER_CAPACITIES), model.User.state == "active"))
    found: dict[str, list[model.User]] = defaultdict(list)
    for org_id, user in rows:
        found[org_id].append(user)
    return found


def _once(kind: str, due_entries: list[Status]) -> list[Status]:
    """The entries whose notice of this kind for this due date was not sent yet; it now is."""
    if not due_entries:
        return []
    by_id = {s.package_id: s for s in due_entries}
    now = datetime.datetime.utcnow()
    sent = model.Session.execute(
        insert(TimelinessNotice)
        .values([{"package_id": s.package_id, "due": s.due, "kind": kind, "created": now}
                 for s in due_entries])
        .on_conflict_do_nothing(constraint="govshare_timeliness_notice_once")
        .returning(TimelinessNotice.package_id)).scalars().all()
    return [by_id[package_id] for package_id in sent]


def _tell(kind: str, entries: list[Status]) -> None:
    by_org: dict[str, list[Status]] = defaultdict(list)
    for status in entries:
        by_org[status.owner_org].append(status)
    providers = _providers(by_org)
    names = dict(model.Session.query(model.Group.id, model.Group.name)
                 .filter(model.Group.id.in_(list(by_org))))
    messages: list[notify.Message] = []
    for org_id, rows in by_org.items():
        lines = "\n".join(tk._("- {title}: due on {due}").format(title=s.title, due=s.due)
                          for s in rows)
        if kind == REMIND:
            subject = tk._("{count} catalog entries are due for an update").format(count=len(rows))
            body = tk._("Please update the data of these entries by their due date:\n{lines}"
                        ).format(lines=lines)
        else:
            subject = tk._("{count} catalog entries are overdue for an update").format(
                count=len(rows))
            body = tk._("The data of these entries was not updated in time ({days} days of "
                        "grace included):\n{lines}").format(days=grace_days(), lines=lines)
            consequence = notice(org_id)
            if consequence:
                body += "\n\n" + consequence
        messages.append((providers.get(org_id, []), subject, body,
                         f"/govshare/timeliness?owner_org={names.get(org_id, org_id)}"))
    notify.tell_many(messages)


def check(today: Optional[datetime.date] = None) -> tuple[dict[str, int], list[str]]:
    """The daily job: remind and notify the providers, and note whose overdue state changed
    since the index last had it. Returns the counts and the entries to reindex (after the
    commit)."""
    today = today or workdays.today()
    remind_before = datetime.timedelta(days=tk.config.get("govshare.timeliness.remind_before_days"))
    everything = statuses(today=today)
    changed = [s for s in everything if s.overdue != s.indexed_overdue]
    if changed:
        states = insert(DataUpdate).values([{"package_id": s.package_id, "overdue": s.overdue}
                                            for s in changed])
        model.Session.execute(states.on_conflict_do_update(
            index_elements=["package_id"], set_={"overdue": states.excluded.overdue}))
    reminders = _once(REMIND, [s for s in everything if s.due and not s.overdue
                               and s.registered and s.update_frequency not in NOT_REMINDED
                               and s.due - remind_before <= today <= s.due])
    overdue = _once(OVERDUE, [s for s in everything if s.overdue])
    _tell(REMIND, reminders)
    _tell(OVERDUE, overdue)
    return ({"reminded": len(reminders), "overdue_notified": len(overdue),
             "reindexed": len(changed)}, [s.package_id for s in changed])
