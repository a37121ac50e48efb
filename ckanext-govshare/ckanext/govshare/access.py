"""The access rules of shared/spec/requirements.md §2-§3, in one place.

Two questions are answered here and nowhere else:

* who may see an entry's metadata: CKAN permission labels, so that Solr filters
  search, facets and counts. A user's labels grow with the departments they belong
  to, never with grants;
* who may use an entry's data (resource URLs, files, DataStore rows, views):
  ``can_use_data``, which is where grants count.

An entry not yet registered (备案: catalog_state draft, submitted or returned) is seen by
its own department and the data authority only, and its data used by its department only:
the share and open rules apply from registration on.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
import flask
from ckan import authz, model
from ckan.lib.dictization import model_dictize
from sqlalchemy import and_, false, func, or_, orm, true

from ckanext.govshare import codes
from ckanext.govshare.model import Grant

SHARING, OPEN, COMBINED = "sharing", "open", "combined"
RULE = "rule"  # data allowed by the rules themselves, not by a grant
OPEN_TYPES_PUBLISHED = codes.PUBLISHED_OPEN_TYPES
# The keys of a resource dict that are its data: the URL (for an upload, its file name).
DATA_KEYS = ("url",)
AUTHORITY_LABEL = "authority"  # the data authority's label: entries not yet registered


def site_role() -> str:
    return tk.config.get("govshare.site_role")


def authority_org_name() -> str:
    return tk.config.get("govshare.authority_org")


@dataclass(frozen=True)
class Entry:
    """The attributes of a catalog entry that access depends on."""

    id: str
    owner_org: Optional[str]
    share_type: Optional[str]
    open_type: Optional[str]
    catalog_state: Optional[str] = None

    @classmethod
    def of(cls, package: model.Package | dict[str, Any]) -> "Entry":
        if isinstance(package, dict):
            return cls(package["id"], package.get("owner_org"),
                       package.get("share_type"), package.get("open_type"),
                       package.get("catalog_state"))
        extras = package.extras or {}
        return cls(package.id, package.owner_org,
                   extras.get("share_type"), extras.get("open_type"),
                   extras.get("catalog_state"))

    @property
    def registered(self) -> bool:
        """备案: the share and open rules apply only from here on."""
        return self.catalog_state == codes.REGISTERED

    @property
    def published(self) -> bool:
        """Open to the public (metadata on the open site)."""
        return self.open_type in OPEN_TYPES_PUBLISHED


def is_public_on_this_site(open_type: Optional[str]) -> bool:
    """Whether an entry with this open_type is visible to the public here.

    Also decides CKAN's own ``private`` flag, so that CKAN's built-in lists
    (package_list, current_package_list_with_resources, ...) agree.
    """
    return site_role() != SHARING and open_type in OPEN_TYPES_PUBLISHED


# ------------------------------------------------------------------ users

def _user(user: model.User | str | None) -> Optional[model.User]:
    if isinstance(user, str):
        return model.User.get(user)
    if user is None or getattr(user, "is_anonymous", False):
        return None
    return user


def department_ids(user: model.User | str | None,
                   capacities: Optional[Iterable[str]] = None) -> set[str]:
    """The organizations the user is an active member of, in any capacity or in
    one of ``capacities``."""
    user_obj = _user(user)
    if user_obj is None:
        return set()
    rows = (model.Session.query(model.Member.group_id)
            .join(model.Group, model.Group.id == model.Member.group_id)
            .filter(model.Member.table_name == "user", model.Member.table_id == user_obj.id,
                    model.Member.state == "active", model.Group.state == "active",
                    model.Group.is_organization.is_(True)))
    if capacities is not None:
        rows = rows.filter(model.Member.capacity.in_(list(capacities)))
    return {row.group_id for row in rows}


def is_department_admin(user: model.User, org_id: Optional[str]) -> bool:
    """An active admin of the department (whatever the department's own state)."""
    if not org_id:
        return False
    return model.Session.query(model.Member).filter(
        model.Member.group_id == org_id, model.Member.table_name == "user",
        model.Member.table_id == user.id, model.Member.state == "active",
        model.Member.capacity == "admin").first() is not None


def is_sysadmin(user: model.User | str | None) -> bool:
    user_obj = _user(user)
    return bool(user_obj and user_obj.sysadmin)


def is_authority(user: model.User | str | None) -> bool:
    """Members of ``govshare.authority_org`` (and sysadmins) act for the data authority."""
    if is_sysadmin(user):
        return True
    org = model.Group.get(authority_org_name())
    return bool(org and org.id in department_ids(user))


# ------------------------------------------------------------------ labels

def dataset_labels(package: model.Package) -> list[str]:
    entry = Entry.of(package)
    labels = [f"member-{entry.owner_org}"] if entry.owner_org else [f"creator-{package.creator_user_id}"]
    if package.state != "active":
        return labels  # drafts and deleted entries: their department only, as in stock CKAN
    if not entry.registered:
        return labels + [AUTHORITY_LABEL]
    if site_role() != OPEN:
        labels.append("gov")
    if is_public_on_this_site(entry.open_type):
        labels.append("public")
    return labels


def user_labels(user: model.User | None) -> list[str]:
    labels = [] if site_role() == SHARING else ["public"]
    user_obj = _user(user)
    if user_obj is None:
        return labels or ["nobody"]  # a label no entry carries: Solr needs one
    labels.append(f"creator-{user_obj.id}")
    departments = department_ids(user_obj)
    if departments and site_role() != OPEN:
        labels.append("gov")
    labels.extend(f"member-{org_id}" for org_id in sorted(departments))
    if _authority_org_id() in departments:
        labels.append(AUTHORITY_LABEL)
    return labels


def _authority_org_id() -> Optional[str]:
    org = model.Group.get(authority_org_name())
    return org.id if org is not None else None


def can_see_entry(user: model.User | str | None, package: model.Package) -> bool:
    if is_sysadmin(user):
        return True
    return bool(set(dataset_labels(package)) & set(user_labels(_user(user))))


def registered_clause() -> Any:
    """Entries registered (备案), as SQL over ``model.Package``: what others may see."""
    return func.coalesce(model.Package.extras["catalog_state"].astext, "") == codes.REGISTERED


def visible_clause(user: model.User | str | None) -> Any:
    """``can_see_entry`` as SQL over ``model.Package``, label by label, for lists built
    from the database (tags, members, activities)."""
    user_obj = _user(user)
    if is_sysadmin(user_obj):
        return true()
    role, departments = site_role(), department_ids(user_obj)
    active = model.Package.state == "active"
    registered = registered_clause()
    clauses = [model.Package.owner_org.in_(departments)]           # member-<org>
    if user_obj is not None:                                        # creator-<user>
        clauses.append(and_(model.Package.owner_org.is_(None),
                            model.Package.creator_user_id == user_obj.id))
    if departments and role != OPEN:                                # gov
        clauses.append(and_(active, registered))
    if role != SHARING:                                             # public
        clauses.append(and_(active, registered, model.Package.extras["open_type"].astext.in_(
            OPEN_TYPES_PUBLISHED)))
    if _authority_org_id() in departments:                          # authority
        clauses.append(and_(active, ~registered))
    return or_(*clauses) if clauses else false()


def visible_package_ids(user: model.User | str | None, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` (package ids) the user may see; ids of no package are left out."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    rows = model.Session.query(model.Package.id).filter(
        model.Package.id.in_(wanted), visible_clause(user))
    return {row.id for row in rows}


def strip_data(package: dict[str, Any]) -> dict[str, Any]:
    """A package dict as it may be kept where routes reach it (the search index):
    no resource data, no caller's access flag."""
    for resource in package.get("resources") or []:
        for key in DATA_KEYS:
            if key in resource:
                resource[key] = ""
        resource.pop("data_access", None)
    return package


# ------------------------------------------------------------------ data

class DataPolicy:
    """Answers "may this user use this entry's data?" for one user.

    Built once per action call: the user's departments are read once, and the
    grants of many entries (a search page) in one query.
    """

    def __init__(self, user: model.User | str | None, unrestricted: bool = False):
        self.user = _user(user)
        self.sysadmin = unrestricted or bool(self.user and self.user.sysadmin)
        self.role = site_role()
        # entry id -> (grant id, department grant?, resource-id set or None for all) of the
        # active grants
        self._grants: dict[str, list[tuple[str, bool, Optional[frozenset[str]]]]] = {}

    @functools.cached_property
    def departments(self) -> set[str]:
        """Read when a rule needs them: never for a sysadmin, whom every rule allows."""
        return department_ids(self.user)

    def prefetch(self, entries: Iterable[Entry]) -> None:
        if self.sysadmin:
            return
        wanted = [e.id for e in entries if e.id not in self._grants and self._grant_matters(e)]
        if not wanted:
            return
        for entry_id in wanted:
            self._grants[entry_id] = []
        grantees = []
        if self.departments and self.role != OPEN:
            grantees.append(Grant.grantee_org_id.in_(self.departments))
        if self.user is not None and self.role != SHARING:
            grantees.append(Grant.grantee_user_id == self.user.id)
        rows = (model.Session.query(Grant.package_id, Grant.id, Grant.grantee_org_id,
                                    Grant.resource_ids)
                .filter(Grant.package_id.in_(wanted), Grant.active_clause(), or_(*grantees)))
        for package_id, grant_id, org_id, resource_ids in rows:
            self._grants[package_id].append(
                (grant_id, org_id is not None,
                 None if resource_ids is None else frozenset(resource_ids)))

    def _grant_matters(self, entry: Entry) -> bool:
        return bool((entry.share_type == codes.CONDITIONAL and self.departments and self.role != OPEN)
                    or (entry.open_type == codes.AUTHORIZED and self.user is not None
                        and self.role != SHARING))

    def _grant(self, entry: Entry, resource_id: Optional[str], department: bool) -> Optional[str]:
        """The id of an active grant of the kind that counts here (a department's share
        grant, or a user's open-data grant) covering the resource (or the entry), if any."""
        self.prefetch([entry])
        return next((grant_id for grant_id, of_department, ids in self._grants.get(entry.id, [])
                     if of_department == department
                     and (ids is None or resource_id is None or resource_id in ids)), None)

    def allows(self, package: model.Package | dict[str, Any] | Entry,
               resource_id: Optional[str] = None) -> bool:
        return self.basis(package, resource_id) is not None

    def basis(self, package: model.Package | dict[str, Any] | Entry,
              resource_id: Optional[str] = None) -> Optional[str]:
        """Why the user may use the data: "rule" (sysadmin, provider, share or open
        type) or the id of the grant that allows it; None when refused."""
        if self.sysadmin:
            return RULE
        entry = package if isinstance(package, Entry) else Entry.of(package)
        if entry.owner_org and entry.owner_org in self.departments:
            return RULE
        if not entry.registered:
            return None
        if self.role != OPEN and self.departments and entry.share_type == codes.UNCONDITIONAL:
            return RULE
        if self.role != SHARING and entry.open_type == codes.GENERAL:
            return RULE
        grant = None
        if self.role != OPEN and self.departments and entry.share_type == codes.CONDITIONAL:
            grant = self._grant(entry, resource_id, department=True)
        if grant is None and (self.role != SHARING and self.user is not None
                              and entry.open_type == codes.AUTHORIZED):
            grant = self._grant(entry, resource_id, department=False)
        return grant

    def has_every_item(self, entry: Entry) -> bool:
        """Sysadmins and the provider have every information item of their data."""
        return self.sysadmin or bool(entry.owner_org and entry.owner_org in self.departments)

    def allows_item(self, entry: Entry, item: dict[str, Any],
                    resource_id: Optional[str] = None) -> bool:
        """Whether the user may have one information item (信息项) of data they may use: on
        the sharing side by the item's share type (its entry's when it names none; conditional
        takes a department's grant), on the open side when the item is marked open."""
        if self.has_every_item(entry):
            return True
        if not entry.registered:
            return False
        share = item.get("share_type") or entry.share_type
        if self.role != OPEN and self.departments and (
                share == codes.UNCONDITIONAL
                or (share == codes.CONDITIONAL
                    and self._grant(entry, resource_id, department=True) is not None)):
            return True
        opened = item.get("open") in (True, "true", "True")
        return bool(opened and self.role != SHARING and (
            entry.open_type == codes.GENERAL
            or (entry.open_type == codes.AUTHORIZED and self.user is not None
                and self._grant(entry, resource_id, department=False) is not None)))

    def redact(self, package: dict[str, Any]) -> dict[str, Any]:
        """Remove the resource data this user may not have; mark each resource's access."""
        if not package.get("id"):
            return package
        entry = Entry.of(package)
        for resource in package.get("resources") or []:
            self.redact_resource(entry, resource)
        return package

    def redact_resource(self, entry: Optional[Entry], resource: dict[str, Any]) -> bool:
        """One resource dict (of ``entry``; None: of no entry left) without the data this
        user may not have, marked with its access; whether the user may use it."""
        allowed = entry is not None and self.allows(entry, resource.get("id"))
        resource["data_access"] = allowed
        if not allowed:
            for key in DATA_KEYS:
                resource[key] = ""
            resource.pop("datastore_active", None)
        return allowed

    def present(self, packages: list[dict[str, Any]]) -> None:
        """Package dicts read from the search index, which keeps no resource data: the
        resources this user may use get their URLs back from the database (one query,
        with their entries, which upload URLs name)."""
        self.prefetch(Entry.of(p) for p in packages if p.get("id"))
        allowed: list[dict[str, Any]] = []
        for package in packages:
            if not package.get("id"):
                continue
            entry = Entry.of(package)
            allowed += [r for r in package.get("resources") or []
                        if self.redact_resource(entry, r)]
        rows = {r.id: r for r in model.Session.query(model.Resource)
                .options(orm.joinedload(model.Resource.package))
                .filter(model.Resource.id.in_([r["id"] for r in allowed if r.get("id")]))
                } if allowed else {}
        for resource in allowed:
            row = rows.get(resource.get("id"))
            if row is not None:
                shown = model_dictize.resource_dictize(row, {"model": model})
                for key in DATA_KEYS:
                    resource[key] = shown.get(key, "")


def can_use_data(user: model.User | str | None, package: model.Package | dict[str, Any],
                 resource_id: Optional[str] = None) -> bool:
    return DataPolicy(user).allows(package, resource_id)


def how_to_get_access(package: model.Package | dict[str, Any],
                      user: model.User | str | None = None) -> str:
    """The message a refused user (by default, the page's viewer) reads: what to do to
    get the data. Departments request shared data; others apply for open data."""
    entry = Entry.of(package)
    in_department = bool(department_ids(user if user is not None else page_viewer()))
    by_application = entry.open_type == codes.AUTHORIZED and site_role() != SHARING
    if (entry.share_type == codes.CONDITIONAL and site_role() != OPEN
            and (in_department or not by_application)):
        return tk._("This data is shared on conditions: your department can apply for it "
                    "from the entry's page (share request), and may use it once the "
                    "provider approves.")
    if by_application:
        return tk._("This data is open by authorization: log in and apply for it from the "
                    "entry's page; you may download it once the provider approves.")
    if entry.share_type == codes.NOT_SHARED:
        return tk._("This data is not shared. If your duties need it, ask the data "
                    "authority to open a coordination case.")
    return tk._("Log in with a government department account to get this data.")


# ------------------------------------------------------------------ action context

def context_user(context: dict[str, Any]) -> Optional[model.User]:
    """The user an action runs for, or None for anonymous."""
    user_obj = context.get("auth_user_obj")
    if user_obj is not None and not getattr(user_obj, "is_anonymous", False):
        return user_obj
    name = context.get("user")
    return model.User.get(name) if name else None


def acts_unrestricted(context: dict[str, Any]) -> bool:
    """Internal calls (ignore_auth) and sysadmins see everything."""
    return bool(context.get("ignore_auth")) or authz.is_sysadmin(context.get("user"))


def serving_page() -> bool:
    """Inside a routed web request (not a command's or a test's bare request context)."""
    return flask.has_request_context() and flask.request.url_rule is not None


def page_viewer() -> Optional[model.User]:
    """The user viewing the current page, or None (anonymous, or no web request)."""
    if not flask.has_request_context():
        return None
    user = tk.current_user
    if not user or getattr(user, "is_anonymous", True):
        return None
    return model.User.get(user.id)


def shown_to(context: dict[str, Any]) -> tuple[Optional[model.User], bool]:
    """Whom a list an action returns is shown to, and whether they may see everything.

    CKAN's own page helpers (home-page blocks, group listings, activity streams) call
    actions with ``ignore_auth`` for what a page shows: inside a web request such a
    list is for the person viewing the page, and is cut to what they may see. Outside
    web requests (jobs, commands) internal calls see everything."""
    if context.get("ignore_auth") and serving_page():
        viewer = page_viewer()
        return viewer, is_sysadmin(viewer)
    return context_user(context), acts_unrestricted(context)


def display_context(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` for a search that a page shows: run as the page's viewer (see shown_to)."""
    if not (context.get("ignore_auth") and serving_page()):
        return context
    viewer = page_viewer()
    if is_sysadmin(viewer):
        return context
    return dict(context, ignore_auth=False, user=viewer.name if viewer else "",
                auth_user_obj=viewer)


def entry_named(value: Any) -> Optional[model.Package]:
    """The entry an action input names, whether by its id (or name), or by the id of one of
    its resources, views or activities; None when it names none."""
    if not isinstance(value, str) or not value:
        return None
    package = model.Package.get(value)
    if package is not None:
        return package
    resource = model.Resource.get(value)
    if resource is None:
        view = model.ResourceView.get(value)
        resource = model.Resource.get(view.resource_id) if view is not None else None
    if resource is not None:
        return resource.package
    from ckanext.activity.model import Activity
    activity = model.Session.get(Activity, value)
    return model.Package.get(activity.object_id) if activity is not None else None


def hidden_from(user: model.User | None, package: Optional[model.Package]) -> bool:
    """An entry that exists but that the user may not see: it must look missing."""
    return (package is not None and package.state == "active"
            and not can_see_entry(user, package))
