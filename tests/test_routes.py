"""Every page and every action the application registers, called as every kind of user.

Nothing here lists routes by hand: the pages come from ``app.url_map`` and the actions
from CKAN's action registry, so a route that CKAN, a plugin or govshare adds tomorrow is
called tomorrow. Each is called with the ids of the access world (tests/access_fixtures.py)
and with an id that exists nowhere, and the test asserts, for each user kind:

* no response holds data the user may not have: an entry's URL, file name, file
  content or DataStore row, and, for an entry the user may not see, its title;
* an entry the user may not see answers exactly like one that does not exist
  (status and error type): nobody learns which resource codes exist;
* no server error (HTTP 500);
* a GET changes no entry (a link must not delete, as ckanext-harvest's delete page did).

``routes.yaml`` declares what each page and action may hand out; a route it does not
declare is closed to all but sysadmins, and ``test_every_route_is_declared`` fails
until it is declared.
"""
from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import pytest
from ckan import logic, model
from ckan.tests import factories, helpers

from access_fixtures import (  # noqa: F401 (site_world: a fixture used by name)
    ANONYMOUS, AUTHORITY, CITIZEN, COMBINED, EXPIRED_DEPT, GRANTED_CITIZEN, GRANTED_DEPT,
    OTHER_DEPT, PROVIDER, SHARING, SYSADMIN, Entry, World, expected, grant, member_of,
    site_world,
)

OTHER_EDITOR = "other_editor"    # an editor of a department without grants
REVOKED_DEPT = "revoked_dept"    # a department whose grants were revoked
KINDS = (ANONYMOUS, CITIZEN, GRANTED_CITIZEN, OTHER_DEPT, OTHER_EDITOR, GRANTED_DEPT,
         EXPIRED_DEPT, REVOKED_DEPT, PROVIDER, AUTHORITY, SYSADMIN)
# The extra kinds follow the rules of the kind they resemble.
LIKE = {OTHER_EDITOR: OTHER_DEPT, REVOKED_DEPT: EXPIRED_DEPT}
# Kinds that may change anything they are shown: their writes are not replayed here,
# where they would rebuild the world under the other kinds' feet.
WRITERS = (SYSADMIN, AUTHORITY)
MISSING = "matrix-missing-0000"


def rules(kind: str, entry: Entry, role: str) -> tuple[bool, bool]:
    sees, uses = expected(LIKE.get(kind, kind), entry.share_type, entry.open_type, role,
                          entry.catalog_state)
    return bool(sees), bool(uses)


# ------------------------------------------------------------------ fixtures

@pytest.fixture
def with_plugins():
    """The plugins are loaded once per class by ``site_world`` (see access_fixtures)."""
    yield


@dataclass
class Matrix:
    app: Any
    world: World
    problems: list[str]

    def headers(self, kind: str) -> dict[str, str]:
        token = self.world.tokens.get(kind)
        return {"Authorization": token} if token else {}


@pytest.fixture(scope="class")
def matrix(site_world) -> Matrix:
    """The access world, plus an editor of the other department and a department whose
    grants were revoked."""
    app, world = site_world
    with app.flask_app.test_request_context():
        world.users[OTHER_EDITOR] = member_of("other-dept", OTHER_EDITOR, "editor")["name"]
        from conftest import make_department
        make_department(name="revoked-dept", title="revoked 部门")
        world.users[REVOKED_DEPT] = member_of("revoked-dept", REVOKED_DEPT)["name"]
        for entry in world.entries:
            if entry.share_type == "conditional":
                given = grant(world, entry, org="revoked-dept")
                helpers.call_action("govshare_grant_revoke",
                                    {"user": world.provider_admin, "ignore_auth": False},
                                    id=given["id"], reason="撤销测试")
        for kind in (OTHER_EDITOR, REVOKED_DEPT):
            world.tokens[kind] = factories.APIToken(user=world.users[kind])["token"]
    return Matrix(app, world, [])


# ------------------------------------------------------------------ what leaks

def representatives(world: World, kind: str) -> list[Entry]:
    """One entry of each kind of access this user has (hidden; visible without data; with
    data), turning with the user kind so that every entry is called by someone. Every
    response is still scanned for the markers of all entries."""
    groups: dict[tuple[bool, bool], list[Entry]] = {}
    for entry in world.entries:
        groups.setdefault(rules(kind, entry, world.role), []).append(entry)
    turn = KINDS.index(kind)
    return [members[turn % len(members)] for _, members in sorted(groups.items())]


def withheld(matrix: Matrix, kind: str) -> list[tuple[str, str]]:
    """(marker, why) pairs that must not appear in any response to this kind."""
    markers = []
    for entry in matrix.world.entries:
        sees, uses = rules(kind, entry, matrix.world.role)
        if not uses:
            markers += [(secret, f"data of {entry.code}") for secret in entry.secrets]
        if not sees:
            markers.append((entry.title, f"title of hidden {entry.code}"))
    return markers


def scan(matrix: Matrix, kind: str, what: str, status: int, body: str) -> None:
    """Pages may repeat what was asked (a login redirect's came_from, language links):
    markers in the request itself tell nothing new and are not counted."""
    if status >= 500:
        matrix.problems.append(f"{kind} {what}: HTTP {status} {body[:300]}")
    for marker, why in withheld(matrix, kind):
        if marker in what:
            continue
        if marker in body or json.dumps(marker)[1:-1] in body:
            matrix.problems.append(f"{kind} {what}: {why} in the response")


def looks(response) -> tuple[int, Optional[str]]:
    """What tells a response apart: its status and, for the API, the error type."""
    kind = None
    if response.content_type and "json" in response.content_type:
        try:
            kind = (response.json.get("error") or {}).get("__type")
        except (ValueError, AttributeError):
            pass
    location = response.headers.get("Location", "")
    return response.status_code, kind or re.sub(r"[0-9a-f-]{36}|matrix-[a-z0-9-]+", "*",
                                                location)


# ------------------------------------------------------------------ pages

def _value(arg: str, endpoint: str, entry: Optional[Entry], world: World,
           missing: bool) -> Optional[str]:
    """The fixture value of a view argument, or None when the route is not for it."""
    group = endpoint.split(".")[0] in ("group", "organization") or endpoint.startswith(
        ("activity.group", "activity.organization", "feeds.group", "feeds.organization",
         "govshare.report_department"))
    user_route = endpoint.startswith(("user.", "activity.user"))
    if arg in REPORT_ARGS:
        return REPORT_ARGS[arg]
    if arg in ("id", "_id"):
        if group:
            return MISSING if missing else "provider-dept"
        if user_route:
            return MISSING if missing else world.users[CITIZEN]
        if endpoint.startswith("feeds.tag"):
            return MISSING if missing else "matrix"
        if entry is None:
            return None
        return MISSING if missing else entry.name
    if entry is None:
        return None
    ids = {"resource_id": entry.upload_id, "view_id": entry.upload_view_id,
           "resource_view_id": entry.upload_view_id, "activity_id": entry.update_activity_id,
           "filename": entry.filename}
    if arg in ids:
        return MISSING if missing and arg != "filename" else ids[arg]
    return {"_format": "ttl", "ver": "3", "lang": "zh_Hans_CN"}.get(arg)


ENTRY_ARGS = {"resource_id", "view_id", "resource_view_id", "activity_id"}
NOT_ENTRY = ("group.", "organization.", "user.", "feeds.", "activity.group",
             "activity.organization", "activity.user", "govshare.report_department")
# The annual report's pages: this year's, as a workbook (whose cells are scanned).
REPORT_ARGS = {"year": str(datetime.date.today().year), "kind": "xlsx"}


def page_urls(app, world: World, entries: list[Entry]) -> Iterator[tuple[str, list[str], list[tuple[str, tuple[str, str]]]]]:
    """(endpoint, methods, [(entry code or "-", (url, the same route for a missing id))])."""
    adapter = app.flask_app.url_map.bind("test.ckan.net")
    for rule in app.flask_app.url_map.iter_rules():
        if rule.endpoint in ("static", "webassets.index", "api.action") or "path" in rule.arguments:
            continue  # files of the theme; the actions have their own test
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        per_entry = bool(set(rule.arguments) & ENTRY_ARGS) or (
            bool(set(rule.arguments) & {"id", "_id"}) and not rule.endpoint.startswith(NOT_ENTRY))
        urls = []
        for entry in entries if per_entry else [None]:
            values = {a: _value(a, rule.endpoint, entry, world, False) for a in rule.arguments}
            gone = {a: _value(a, rule.endpoint, entry, world, True) for a in rule.arguments}
            if None in values.values():
                continue
            urls.append((entry.code if entry is not None else "-",
                         (adapter.build(rule.endpoint, values), adapter.build(rule.endpoint, gone))))
        if urls:
            yield rule.endpoint, methods, urls


@dataclass
class Crashed:
    """What the test client raises where a server would answer 500."""
    error: Exception
    status_code: int = 500
    content_type: str = "text/plain"
    headers: dict[str, str] = None  # type: ignore[assignment]

    def get_data(self, as_text: bool = True) -> str:
        return repr(self.error)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shown_text(response) -> str:
    """What a response shows: a workbook (the catalog export) by its cells' text, so that
    the markers of hidden entries are looked for in it too."""
    if (response.content_type or "").startswith(XLSX):
        import io

        import openpyxl
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(str(v) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    return response.get_data(as_text=True)


# The pages a sysadmin opens first: each must open (a refusal here is a broken portal).
LANDING = ("home.index", "home.about", "dataset.search", "organization.index", "group.index",
           "activity.dashboard", "dcat.read_catalog", "govshare.request_index",
           "govshare.usage_index", "govshare.notifications", "govshare.calendar_index")


def entry_states(world: World) -> list[tuple[Any, ...]]:
    """What a GET must leave as it was: each entry's state, visibility and last change."""
    rows = model.Session.query(model.Package.id, model.Package.state, model.Package.private,
                               model.Package.metadata_modified).filter(
        model.Package.id.in_([e.id for e in world.entries])).order_by(model.Package.id)
    return [tuple(row) for row in rows]


def call_page(matrix: Matrix, kind: str, method: str, url: str):
    headers = matrix.headers(kind)
    try:
        if method == "POST":
            return matrix.app.post(url, headers=headers, data={}, follow_redirects=False)
        return matrix.app.get(url, headers=headers, follow_redirects=False)
    except Exception as error:  # the test client re-raises what would be a 500
        return Crashed(error, headers={})


# ------------------------------------------------------------------ actions

def action_inputs(name: str, entry: Optional[Entry], world: World, missing: bool) -> dict[str, Any]:
    """The input an action gets: the ids it most likely names, for one entry."""
    if entry is None:
        return {}
    package = MISSING if missing else entry.name
    resource = MISSING if missing else entry.upload_id
    view = MISSING if missing else entry.upload_view_id
    activity = MISSING if missing else entry.update_activity_id
    data: dict[str, Any] = {"package_id": package, "resource_id": resource,
                            "q": f"name:{package}", "query": f"name:{package}",
                            "object": package, "object_type": "package"}
    if name.startswith(("resource_view", "datatables")):
        data["id"] = view
    elif name.startswith(("resource", "datastore")):
        data["id"] = resource
    elif name.startswith("activity"):
        data["id"] = activity
        data["activity_id"] = activity
    elif name.startswith(("group", "organization", "member")):
        data["id"] = "provider-dept"
    elif name.startswith("user") or name.startswith(("follow_user", "unfollow_user")):
        data["id"] = world.users[CITIZEN]
    else:
        data["id"] = package
    return data


def entry_actions() -> list[str]:
    """Actions that may name an entry, a resource, a view or an activity."""
    words = ("package", "resource", "dataset", "datastore", "activity", "tag", "member",
             "dcat", "govshare", "follow", "collaborator", "relationship", "view")
    return sorted(n for n in logic._actions if any(w in n for w in words))


def call_action(matrix: Matrix, kind: str, name: str, data: dict[str, Any]):
    try:
        return matrix.app.post(f"/api/3/action/{name}", headers=matrix.headers(kind), json=data)
    except Exception as error:  # the test client re-raises what would be a 500
        return Crashed(error, headers={})


# ------------------------------------------------------------------ the tests

class _Routes:
    def test_every_route_is_declared(self, matrix):
        """A page or action that routes.yaml does not declare is closed to all but
        sysadmins: declare it (with what it may hand out) before it goes live."""
        from ckanext.govshare import guards

        guards.logic_actions()
        pages = sorted({r.endpoint for r in matrix.app.flask_app.url_map.iter_rules()
                        if guards.endpoint_kind(r.endpoint, r.arguments) is None})
        actions = sorted(n for n in logic._actions if guards.action_kind(n) is None)
        assert pages == [] and actions == [], f"undeclared pages {pages}, actions {actions}"

    @pytest.mark.parametrize("kind", KINDS)
    def test_every_page(self, matrix, kind):
        world = matrix.world
        problems: list[str] = []
        matrix.problems = problems
        calls = 0
        for endpoint, methods, urls in page_urls(matrix.app, world, representatives(world, kind)):
            for method in methods:
                if method == "POST" and kind in WRITERS:
                    continue
                for code, (url, gone) in urls:
                    before = entry_states(world) if method == "GET" else None
                    response = call_page(matrix, kind, method, url)
                    calls += 1
                    if before is not None and entry_states(world) != before:
                        problems.append(f"{kind} GET {url} changed an entry")
                    scan(matrix, kind, f"{method} {url}", response.status_code,
                         shown_text(response))
                    if kind == SYSADMIN and method == "GET" and endpoint in LANDING \
                            and response.status_code != 200:
                        problems.append(f"{kind} GET {url}: HTTP {response.status_code}")
                    entry = next((e for e in world.entries if e.code == code), None)
                    if entry is not None and not rules(kind, entry, world.role)[0]:
                        other = call_page(matrix, kind, method, gone)
                        calls += 1
                        if looks(response) != looks(other):
                            problems.append(f"{kind} {method} {endpoint}: hidden {code} "
                                            f"{looks(response)} vs missing {looks(other)}")
        assert calls > 50  # the route enumeration found the pages
        assert problems == [], "\n".join(problems)

    @pytest.mark.parametrize("kind", KINDS)
    def test_every_action(self, matrix, kind):
        world = matrix.world
        problems: list[str] = []
        matrix.problems = problems
        for name in sorted(logic._actions):
            writes = not getattr(logic._actions[name], "side_effect_free", False)
            if writes and kind in WRITERS:
                continue
            per_entry = name in entry_actions()
            for entry in representatives(world, kind) if per_entry else [None]:
                response = call_action(matrix, kind, name, action_inputs(name, entry, world, False))
                scan(matrix, kind, f"{name}({entry.code if entry else ''})",
                     response.status_code, response.get_data(as_text=True))
                if entry is not None and not rules(kind, entry, world.role)[0]:
                    other = call_action(matrix, kind, name, action_inputs(name, entry, world, True))
                    if looks(response) != looks(other):
                        problems.append(f"{kind} {name}: hidden {entry.code} "
                                        f"{looks(response)} vs missing {looks(other)}")
        assert problems == [], "\n".join(problems)


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("govshare.site_role", COMBINED)
class TestCombinedSite(_Routes):
    """Both audiences on one instance: the union of the rules."""


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("govshare.site_role", SHARING)
class TestSharingSite(_Routes):
    """The departments' site: public users get the login page and nothing else."""
