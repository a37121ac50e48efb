"""One catalog "world" per site role, built once per test class, for tests/test_access.py.

The world holds every kind of user the access rules distinguish and an entry for
each share type × open type the schema allows. Each entry has

* an uploaded CSV resource with DataStore rows and a datatables view, and
* a linked resource (a URL) with an image view, whose URL was changed once, so
  that the activity stream holds an old URL as well as the current one.

Every piece of data carries a unique marker (``Entry.secrets``): a response that
contains one of an entry's markers has handed out that entry's data.

CKAN's ``with_plugins``/``ckan_config`` fixtures are function-scoped; loading the
plugins and building the world for every test would take minutes. ``site_world``
therefore applies the class's ``ckan_config`` marks itself, loads the plugins once
per class, builds the world in a fresh database and index, and the test module
overrides ``with_plugins`` and ``app`` so that tests reuse them.
"""
from __future__ import annotations

import contextlib
import datetime
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

import pytest
from ckan import model, plugins
from ckan.common import config
from ckan.tests import factories, helpers
from werkzeug.datastructures import FileStorage

from conftest import entry_data, make_department

SHARING, OPEN, COMBINED = "sharing", "open", "combined"
ROLES = (SHARING, OPEN, COMBINED)

# Resource views render the data; the portal's configuration has no view plugin,
# so the tests add the two CKAN ships for tabular and linked data.
VIEW_PLUGINS = ["datatables_view", "image_view"]

ANONYMOUS = "anonymous"
CITIZEN = "citizen"                  # registered, member of no department
GRANTED_CITIZEN = "granted_citizen"  # citizen holding user grants (authorized open data)
OTHER_DEPT = "other_dept"            # a department without any grant
GRANTED_DEPT = "granted_dept"        # a department with an active grant on conditional entries
EXPIRED_DEPT = "expired_dept"        # a department whose grants have expired
PROVIDER = "provider"                # a plain member (capacity "member") of the provider
AUTHORITY = "authority"              # member of govshare.authority_org
SYSADMIN = "sysadmin"
USER_KINDS = (ANONYMOUS, CITIZEN, GRANTED_CITIZEN, OTHER_DEPT, GRANTED_DEPT, EXPIRED_DEPT,
              PROVIDER, AUTHORITY, SYSADMIN)
DEPARTMENT_KINDS = (OTHER_DEPT, GRANTED_DEPT, EXPIRED_DEPT, PROVIDER, AUTHORITY)

# share type × open type allowed by the schema (not shared ⇒ not open).
COMBINATIONS = (
    ("unconditional", "general"), ("unconditional", "authorized"), ("unconditional", "closed"),
    ("conditional", "general"), ("conditional", "authorized"), ("conditional", "closed"),
    ("none", "closed"),
)


def code_of(share_type: str, open_type: str) -> str:
    """Two letters, e.g. ``ca`` for conditional × authorized."""
    return share_type[0] + open_type[0]


def today() -> datetime.date:
    return datetime.date.today()


# ------------------------------------------------------------------ the rules

PUBLIC_KINDS = (ANONYMOUS, CITIZEN, GRANTED_CITIZEN)


def expected(kind: str, share_type: str, open_type: str, role: str,
             catalog_state: str = "registered") -> tuple[Optional[bool], Optional[bool]]:
    """(sees_metadata, gets_data) for a user kind, entry and site role, from the spec.

    Sharing part (role sharing or combined):
      * government users (members of any department, the authority included) see
        the metadata of every entry, ``none`` included;
      * data: unconditional → every government user; conditional → the provider and
        departments with an active grant; none → the provider only;
      * public users get nothing of the catalog.
    Open part (role open or combined):
      * only general and authorized entries exist; anyone sees their metadata;
      * data: general → anyone; authorized → users holding an active user grant.
      The provider keeps its own data (its entries' data is its own) everywhere.
    Combined: the union of both. Sysadmins: everything.

    ``None``: the spec does not say. That is only the case of a closed entry on an
    open-only site as seen by its provider or the authority: such an entry must not
    exist there (the sync never copies it), so nothing is asserted about it.
    """
    if kind == SYSADMIN:
        return True, True
    if catalog_state != "registered":
        # not yet registered (备案): its department and the authority see it, whatever the
        # site; only its department uses its data
        return kind in (PROVIDER, AUTHORITY), kind == PROVIDER
    meta = data = False
    government = kind in DEPARTMENT_KINDS
    if role in (SHARING, COMBINED) and government:
        meta = True
        data = (kind == PROVIDER or share_type == "unconditional"
                or (share_type == "conditional" and kind == GRANTED_DEPT))
    if role in (OPEN, COMBINED):
        if open_type in ("general", "authorized"):
            meta = True
            data = data or open_type == "general" or kind in (GRANTED_CITIZEN, PROVIDER)
        elif role == OPEN and kind in (PROVIDER, AUTHORITY):
            return None, None
    return meta, data


@dataclass
class Entry:
    share_type: str
    open_type: str
    catalog_state: str = "registered"
    id: str = ""
    name: str = ""
    title: str = ""
    upload_id: str = ""      # uploaded CSV, with DataStore rows and a datatables view
    link_id: str = ""        # linked URL, with an image view
    upload_view_id: str = ""
    link_view_id: str = ""
    update_activity_id: str = ""  # the activity that changed the linked URL

    @property
    def code(self) -> str:
        prefix = "" if self.catalog_state == "registered" else self.catalog_state[0]
        return prefix + code_of(self.share_type, self.open_type)

    # The markers of this entry's data; none of them is metadata.
    @property
    def filename(self) -> str:
        return f"upf{self.code}q.csv"

    @property
    def file_marker(self) -> str:
        return f"filebody{self.code}q"

    @property
    def file_bytes(self) -> bytes:
        return f"col,num\n{self.file_marker},1\n".encode()

    @property
    def old_url(self) -> str:
        return f"https://files.example.gov/oldlnk{self.code}q/data.csv"

    @property
    def new_url(self) -> str:
        return f"https://files.example.gov/newlnk{self.code}q/data.csv"

    @property
    def row_marker(self) -> str:
        return f"rowval{self.code}q"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (f"upf{self.code}q", self.file_marker, f"oldlnk{self.code}q",
                f"newlnk{self.code}q", self.row_marker)


@dataclass
class World:
    role: str
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)   # key -> organization dict
    users: dict[str, Optional[str]] = field(default_factory=dict)   # kind -> user name
    tokens: dict[str, Optional[str]] = field(default_factory=dict)  # kind -> API token
    entries: list[Entry] = field(default_factory=list)
    sysadmin: str = ""
    provider_admin: str = ""

    def entry(self, share_type: str, open_type: str, catalog_state: str = "registered") -> Entry:
        return next(e for e in self.entries
                    if (e.share_type, e.open_type, e.catalog_state)
                    == (share_type, open_type, catalog_state))

    def headers(self, kind: str) -> dict[str, str]:
        token = self.tokens.get(kind)
        return {"Authorization": token} if token else {}


def sysadmin_call(world_or_name: World | str, action: str, **data: Any) -> Any:
    name = world_or_name.sysadmin if isinstance(world_or_name, World) else world_or_name
    return helpers.call_action(action, {"user": name, "ignore_auth": False}, **data)


def upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename, content_type="text/csv")


def entry_fields(share_type: str, open_type: str) -> dict[str, Any]:
    data: dict[str, Any] = {"share_type": share_type, "open_type": open_type}
    if share_type == "conditional":
        data.update(share_condition="限本市政务部门履职使用", usage_scope=["work_reference"])
    if share_type == "none":
        data["no_share_basis"] = "《中华人民共和国保守国家秘密法》"
    if open_type == "authorized":
        data["open_condition"] = "经申请审核后开放"
    return data


def add_entry(world: World, org: dict[str, Any], share_type: str, open_type: str,
              catalog_state: str = "registered") -> Entry:
    """An entry with both resources, DataStore rows, views and a changed URL."""
    entry = Entry(share_type, open_type, catalog_state)
    ctx = {"user": world.sysadmin, "ignore_auth": False}
    data = entry_data(org, title=f"访问矩阵条目 {entry.code.upper()}", name=f"matrix-{entry.code}",
                      catalog_state=catalog_state, **entry_fields(share_type, open_type))
    pkg = helpers.call_action("package_create", dict(ctx), **data)
    entry.id, entry.name, entry.title = pkg["id"], pkg["name"], pkg["title"]
    up = helpers.call_action("resource_create", dict(ctx), package_id=entry.id,
                             name="上传的表格", description="上传的 CSV 文件", format="CSV",
                             url=entry.filename, upload=upload(entry.file_bytes, entry.filename))
    entry.upload_id = up["id"]
    link = helpers.call_action("resource_create", dict(ctx), package_id=entry.id,
                               name="外部链接", description="提供部门的数据地址", format="CSV",
                               url=entry.old_url)
    entry.link_id = link["id"]
    helpers.call_action("datastore_create", dict(ctx), resource_id=entry.upload_id, force=True,
                        fields=[{"id": "col", "type": "text"}, {"id": "num", "type": "int"}],
                        records=[{"col": entry.row_marker, "num": 1}])
    entry.upload_view_id = _view(ctx, entry.upload_id, "datatables_view", "表格")
    entry.link_view_id = _view(ctx, entry.link_id, "image_view", "图片")
    # One change before the URL change, so that the URL change's diff has a package
    # version (not a view activity) to compare with.
    helpers.call_action("resource_patch", dict(ctx), id=entry.link_id,
                        description="提供部门的数据地址（已核对）")
    helpers.call_action("resource_patch", dict(ctx), id=entry.link_id, url=entry.new_url)
    activities = helpers.call_action("package_activity_list", dict(ctx), id=entry.id, limit=1)
    entry.update_activity_id = activities[0]["id"]
    world.entries.append(entry)
    return entry


def _view(ctx: dict[str, Any], resource_id: str, view_type: str, title: str) -> str:
    existing = [v for v in helpers.call_action("resource_view_list", dict(ctx), id=resource_id)
                if v["view_type"] == view_type]
    if existing:
        return existing[0]["id"]
    return helpers.call_action("resource_view_create", dict(ctx), resource_id=resource_id,
                               view_type=view_type, title=title)["id"]


def member_of(org_name: str, kind: str, capacity: str = "member") -> dict[str, Any]:
    user = factories.User(name=f"{kind.replace('_', '-')}-user")
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id=org_name, username=user["name"], role=capacity)
    return user


def grant(world: World, entry: Entry, *, org: Optional[str] = None, user: Optional[str] = None,
          valid_from: datetime.date | None = None, valid_until: datetime.date | None = None,
          resource_ids: Optional[list[str]] = None, by: Optional[str] = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "package_id": entry.id, "reason": "测试授权",
        "valid_from": (valid_from or today() - datetime.timedelta(days=1)).isoformat(),
        "valid_until": (valid_until or today() + datetime.timedelta(days=30)).isoformat(),
    }
    if org:
        data["grantee_org"] = org
    if user:
        data["grantee_user"] = user
    if resource_ids is not None:
        data["resource_ids"] = resource_ids
    return helpers.call_action("govshare_grant_create",
                               {"user": by or world.provider_admin, "ignore_auth": False}, **data)


def expire(grant_id: str) -> None:
    """Move a grant's period into the past (as if created months ago)."""
    from ckanext.govshare.model import Grant

    row = model.Session.get(Grant, grant_id)
    row.valid_from = today() - datetime.timedelta(days=60)
    row.valid_until = today() - datetime.timedelta(days=1)
    model.Session.commit()


def build_world(role: str) -> World:
    world = World(role)
    world.sysadmin = factories.Sysadmin(name="matrix-sysadmin")["name"]
    authority_name = config.get("govshare.authority_org")
    for key, name in (("provider", "provider-dept"), ("other", "other-dept"),
                      ("granted", "granted-dept"), ("expired", "expired-dept"),
                      ("authority", authority_name)):
        world.orgs[key] = make_department(name=name, title=f"{key} 部门")
    world.provider_admin = member_of("provider-dept", "provider_admin", "admin")["name"]
    world.users = {
        ANONYMOUS: None,
        CITIZEN: factories.User(name="citizen-user")["name"],
        GRANTED_CITIZEN: factories.User(name="granted-citizen-user")["name"],
        OTHER_DEPT: member_of("other-dept", OTHER_DEPT)["name"],
        GRANTED_DEPT: member_of("granted-dept", GRANTED_DEPT)["name"],
        EXPIRED_DEPT: member_of("expired-dept", EXPIRED_DEPT)["name"],
        PROVIDER: member_of("provider-dept", PROVIDER)["name"],
        AUTHORITY: member_of(authority_name, AUTHORITY)["name"],
        SYSADMIN: world.sysadmin,
    }
    world.tokens = {kind: (factories.APIToken(user=name)["token"] if name else None)
                    for kind, name in world.users.items()}
    for share_type, open_type in COMBINATIONS:
        entry = add_entry(world, world.orgs["provider"], share_type, open_type)
        if share_type == "conditional":
            grant(world, entry, org="granted-dept")
            expire(grant(world, entry, org="expired-dept")["id"])
        if open_type == "authorized":
            grant(world, entry, user=world.users[GRANTED_CITIZEN])
    # A draft (not yet registered), with the loosest attributes: only its department and the
    # authority see it, only its department uses its data.
    add_entry(world, world.orgs["provider"], "unconditional", "general", "draft")
    return world


@pytest.fixture(scope="class")
def site_world(request, reset_db, reset_index, migrate_db_for):
    """(app, world) for the class's ``ckan_config`` marks, plugins loaded for the whole class."""
    with loaded_site(request, reset_db, reset_index, migrate_db_for, build_world) as site:
        yield site


@contextlib.contextmanager
def loaded_site(request, reset_db, reset_index, migrate_db_for,
                build: Callable[[str], Any]) -> Iterator[tuple[Any, Any]]:
    """(app, what ``build`` makes for the site role) in a fresh database and index, with the
    plugins loaded once for the class's ``ckan_config`` marks."""
    from ckan.lib.app_globals import _CONFIG_CACHE

    with pytest.MonkeyPatch.context() as mp:
        for mark in request.node.iter_markers("ckan_config"):
            mp.setitem(config, *mark.args)
        current = config["ckan.plugins"]
        current = current.split() if isinstance(current, str) else list(current)
        mp.setitem(config, "ckan.plugins", current + [p for p in VIEW_PLUGINS if p not in current])
        plugins.load_all()
        try:
            _CONFIG_CACHE.clear()
            app = helpers._get_test_app()
            with app.flask_app.test_request_context():
                reset_db()
                migrate_db_for("activity")
                migrate_db_for("govshare")
                migrate_db_for("harvest")
                reset_index()
                world = build(config["govshare.site_role"])
            yield app, world
        finally:
            plugins.unload_all()
            _CONFIG_CACHE.clear()


__all__ = [
    "PUBLIC_KINDS", "expected", "ROLES", "SHARING", "OPEN", "COMBINED", "USER_KINDS", "DEPARTMENT_KINDS", "COMBINATIONS",
    "ANONYMOUS", "CITIZEN", "GRANTED_CITIZEN", "OTHER_DEPT", "GRANTED_DEPT", "EXPIRED_DEPT",
    "PROVIDER", "AUTHORITY", "SYSADMIN", "Entry", "World", "site_world", "loaded_site", "build_world",
    "add_entry", "grant", "expire", "member_of", "sysadmin_call", "upload", "today",
]
