"""The access rules (requirements.md §2-§3) on every route that shows an entry or its data.

For each site role one world is built (tests/access_fixtures.py): every user kind,
an entry per share type × open type, each with an uploaded file, a linked URL that
was changed once, DataStore rows and resource views. ``expected`` says, from the
spec alone, whether a user kind may see an entry's metadata and use its data;
the tests run each route for each cell and check the route agrees, and that no
response handed to a user without the data holds any of the entry's data markers
(URL, file name, file content, DataStore row).
"""
from __future__ import annotations

import collections
import datetime
import html
import json
from typing import Any, Iterable, Optional

import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import helpers

from access_fixtures import (  # noqa: F401 (site_world: a fixture used by name)
    ANONYMOUS, AUTHORITY, CITIZEN, COMBINATIONS, COMBINED, DEPARTMENT_KINDS, EXPIRED_DEPT,
    GRANTED_CITIZEN, GRANTED_DEPT, OPEN, OTHER_DEPT, PROVIDER, SHARING, SYSADMIN, USER_KINDS,
    PUBLIC_KINDS, Entry, World, expected, expire, site_world, today,
)

# ------------------------------------------------------------------ the rules


def test_expected_table_examples():
    """A few cells spelled out, so the table can be read against the spec."""
    assert expected(OTHER_DEPT, "none", "closed", SHARING) == (True, False)
    assert expected(PROVIDER, "none", "closed", SHARING) == (True, True)
    assert expected(GRANTED_DEPT, "conditional", "closed", SHARING) == (True, True)
    assert expected(EXPIRED_DEPT, "conditional", "closed", SHARING) == (True, False)
    assert expected(AUTHORITY, "conditional", "general", SHARING) == (True, False)
    assert expected(CITIZEN, "unconditional", "general", SHARING) == (False, False)
    assert expected(ANONYMOUS, "unconditional", "general", OPEN) == (True, True)
    assert expected(ANONYMOUS, "unconditional", "authorized", OPEN) == (True, False)
    assert expected(GRANTED_CITIZEN, "conditional", "authorized", OPEN) == (True, True)
    assert expected(OTHER_DEPT, "unconditional", "authorized", OPEN) == (True, False)
    assert expected(OTHER_DEPT, "unconditional", "authorized", COMBINED) == (True, True)
    assert expected(GRANTED_DEPT, "conditional", "authorized", OPEN) == (True, False)
    assert expected(CITIZEN, "conditional", "closed", COMBINED) == (False, False)
    assert expected(PROVIDER, "unconditional", "closed", OPEN) == (None, None)


# ------------------------------------------------------------------ fixtures

@pytest.fixture
def with_plugins():
    """The plugins are loaded once per class by ``site_world`` (see access_fixtures)."""
    yield


@pytest.fixture
def app(site_world):
    return site_world[0]


@pytest.fixture
def world(site_world) -> World:
    return site_world[1]


# ------------------------------------------------------------------ HTTP helpers

def get(app, world: World, kind: str, url: str, **kwargs: Any):
    kwargs.setdefault("follow_redirects", False)
    return app.get(url, headers=world.headers(kind), **kwargs)


def api(app, world: World, kind: str, action: str, **params: Any):
    """GET /api/3/action/<action>; lists and dicts as JSON, booleans as true/false."""
    query = {k: (json.dumps(v) if isinstance(v, (list, dict)) else
                 str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
    return get(app, world, kind, f"/api/3/action/{action}", query_string=query)


def result(response) -> Any:
    assert response.status_code == 200, (response.status_code, response.body[:500])
    return response.json["result"]


def to_login(response) -> bool:
    return response.status_code == 302 and "/user/login" in response.headers.get("Location", "")


def refused(response) -> bool:
    """Refused without content: 403/404, or sent to the login page."""
    return response.status_code in (403, 404) or to_login(response)


def leaked(text: str, entries: Iterable[Entry]) -> list[str]:
    return [s for e in entries for s in e.secrets if s in text]


def how_to(app, entry: Entry, user: Optional[str]) -> list[str]:
    """The message a refused user should read, in the site's language (a fresh request
    context: the test's own has its translations cached from before the plugins loaded)."""
    from ckanext.govshare import access

    with app.flask_app.test_request_context():
        return [access.how_to_get_access(model.Package.get(entry.id),
                                         model.User.get(user) if user else None)]


def mentions(body: str, messages: list[str]) -> bool:
    return any(message in body or html.escape(message) in body
               or json.dumps(message)[1:-1] in body for message in messages if message)


# ------------------------------------------------------------------ the matrix

CELLS = [(kind, share_type, open_type) for kind in USER_KINDS
         for share_type, open_type in COMBINATIONS]
CELL_IDS = [f"{kind}-{share_type}-{open_type}" for kind, share_type, open_type in CELLS]


class Matrix:
    """The same tests on each site role (subclasses carry the role's ckan_config mark)."""

    role: str

    # -------------------------------------------------------- world sanity

    def test_world_has_the_role(self, world):
        from ckanext.govshare import access

        assert access.site_role() == self.role == world.role
        for entry in world.entries:
            private = model.Package.get(entry.id).private
            assert private == (self.role == SHARING or entry.open_type == "closed"
                               or entry.catalog_state != "registered"), entry.code

    # -------------------------------------------------------- one entry, one user

    @pytest.mark.parametrize("kind,share_type,open_type", CELLS, ids=CELL_IDS)
    def test_entry_routes(self, app, world, kind, share_type, open_type):
        meta, data = expected(kind, share_type, open_type, self.role)
        if meta is None:
            pytest.skip("a closed entry must not exist on the open site: nothing specified")
        entry = world.entry(share_type, open_type)
        problems: list[str] = []
        check = _Checker(app, world, kind, entry, meta, data, problems)
        check.package_and_resource_show()
        check.pages()
        check.downloads()
        check.datastore()
        check.views()
        check.dcat()
        check.activity()
        assert not problems, "\n".join([f"{kind} × {entry.code} on {self.role}:"] + problems)

    # -------------------------------------------------------- lists, search, counts

    @pytest.mark.parametrize("kind", USER_KINDS)
    def test_search_lists_and_counts(self, app, world, kind):
        lists = _Lists(app, world, kind, self.role)
        problems = lists.check_all()
        assert not problems, "\n".join([f"{kind} on {self.role}:"] + problems)

    @pytest.mark.parametrize("kind", USER_KINDS)
    def test_datastore_sql_is_for_sysadmins(self, app, world, kind):
        entry = world.entry("unconditional", "general")
        response = api(app, world, kind, "datastore_search_sql",
                       sql=f'SELECT * FROM "{entry.upload_id}"')
        if kind == SYSADMIN:
            assert entry.row_marker in response.body
        else:
            assert response.status_code == 403
        if kind != SYSADMIN:
            assert entry.row_marker not in response.body


class _Checker:
    """The per-route checks of one cell; each mismatch is appended to ``problems``."""

    def __init__(self, app, world: World, kind: str, entry: Entry, meta: bool, data: bool,
                 problems: list[str]):
        self.app, self.world, self.kind, self.entry = app, world, kind, entry
        self.meta, self.data, self.problems = meta, data, problems
        self.sharing_public = world.role == SHARING and kind in PUBLIC_KINDS

    # helpers
    def fail(self, route: str, message: str) -> None:
        self.problems.append(f"  {route}: {message}")

    def get(self, url: str, **kwargs: Any):
        response = get(self.app, self.world, self.kind, url, **kwargs)
        response.asked = url
        return response

    def api(self, action: str, **params: Any):
        return api(self.app, self.world, self.kind, action, **params)

    def no_leak(self, route: str, response) -> None:
        # Pages may repeat the URL the user asked for (came_from, language links): that
        # tells nothing new, so markers in the asked URL (the file name) are not counted.
        if not self.data:
            asked = getattr(response, "asked", "")
            found = [m for m in leaked(response.body, [self.entry]) if m not in asked]
            if found:
                self.fail(route, f"data markers {found} in a response to a user without the data")

    def refused(self, route: str, response, statuses: tuple[int, ...] = (403, 404)) -> None:
        if not (response.status_code in statuses or to_login(response)):
            self.fail(route, f"expected refusal, got {response.status_code}")
        self.no_leak(route, response)

    def expect_data_refused(self, route: str, response) -> None:
        """Metadata visible, data not: 403 with how to get access."""
        if not self.meta or self.sharing_public:
            return self.refused(route, response)
        if response.status_code != 403:
            self.fail(route, f"expected 403, got {response.status_code}")
        elif not mentions(response.body, how_to(self.app, self.entry, self.world.users[self.kind])):
            self.fail(route, "403 without the message on how to get access")
        self.no_leak(route, response)

    # routes
    def package_and_resource_show(self) -> None:
        entry = self.entry
        response = self.api("package_show", id=entry.id)
        if not self.meta:
            self.refused("package_show", response)
            if entry.name in response.body:
                self.fail("package_show", "refusal names the entry")
        elif response.status_code != 200:
            self.fail("package_show", f"expected 200, got {response.status_code}")
        else:
            resources = {r["id"]: r for r in response.json["result"]["resources"]}
            self._check_resources("package_show", resources)
            self.no_leak("package_show", response)
        for resource_id in (entry.upload_id, entry.link_id):
            response = self.api("resource_show", id=resource_id)
            if not self.meta:
                self.refused("resource_show", response)
            elif response.status_code != 200:
                self.fail("resource_show", f"expected 200, got {response.status_code}")
            else:
                self._check_resources("resource_show", {resource_id: response.json["result"]})
                self.no_leak("resource_show", response)

    def _check_resources(self, route: str, resources: dict[str, dict[str, Any]]) -> None:
        entry = self.entry
        for resource_id, wanted in ((entry.upload_id, entry.filename), (entry.link_id, entry.new_url)):
            if resource_id not in resources:
                if route == "package_show":
                    self.fail(route, f"resource {resource_id} not listed")
                continue
            resource = resources[resource_id]
            for key in ("name", "format", "description"):
                if not resource.get(key):
                    self.fail(route, f"resource listed without its {key}")
            if self.data and not resource["url"].endswith(wanted):
                self.fail(route, f"url {resource['url']!r} should end with {wanted!r}")
            if not self.data and resource["url"]:
                self.fail(route, f"url {resource['url']!r} given to a user without the data")
            # sysadmins' dicts are not filtered and carry no data_access flag
            if resource.get("data_access") not in ((True, None) if self.data else (False,)):
                self.fail(route, f"data_access is {resource.get('data_access')!r}")

    def pages(self) -> None:
        entry = self.entry
        # (the uploaded file's resource page is the same template as the link's)
        for route, url in (("dataset page", f"/dataset/{entry.name}"),
                           ("link resource page", f"/dataset/{entry.name}/resource/{entry.link_id}")):
            response = self.get(url)
            if not self.meta:
                self.refused(route, response)
                if entry.title in response.body:
                    self.fail(route, "refusal shows the entry's title")
                continue
            if response.status_code != 200:
                self.fail(route, f"expected 200, got {response.status_code}")
                continue
            self.no_leak(route, response)
            if "外部链接" not in response.body:
                self.fail(route, "resource not listed")
            if not self.data and "govshare-no-access" not in response.body:
                self.fail(route, "no note on how to get access")
            if self.data and route == "link resource page" and entry.new_url not in response.body:
                self.fail(route, "URL missing for a user with the data")

    def downloads(self) -> None:
        entry = self.entry
        response = self.get(f"/dataset/{entry.id}/resource/{entry.upload_id}/download/{entry.filename}")
        if self.data:
            if response.status_code != 200 or response.get_data() != entry.file_bytes:
                self.fail("upload download", f"expected the file, got {response.status_code}")
        else:
            self.expect_data_refused("upload download", response)
        response = self.get(f"/dataset/{entry.id}/resource/{entry.link_id}/download")
        if self.data:
            if response.status_code != 302 or response.headers.get("Location") != entry.new_url:
                self.fail("link download", f"expected a redirect to the URL, got {response.status_code}")
        else:
            self.expect_data_refused("link download", response)

    def datastore(self) -> None:
        entry = self.entry
        for action in ("datastore_search", "datastore_info"):
            response = self.api(action, resource_id=entry.upload_id)
            if self.data:
                if response.status_code != 200:
                    self.fail(action, f"expected 200, got {response.status_code}")
                elif action == "datastore_search" and entry.row_marker not in response.body:
                    self.fail(action, "rows missing")
            else:
                # a hidden entry's resource answers like a missing one
                self.refused(action, response,
                             (403,) if self.meta or self.sharing_public else (404,))
                if (self.meta and not self.sharing_public
                        and not mentions(response.body,
                                         how_to(self.app, entry, self.world.users[self.kind]))):
                    self.fail(action, "refusal without the message on how to get access")
        response = self.get(f"/datastore/dump/{entry.upload_id}")
        if self.data:
            if response.status_code != 200 or entry.row_marker not in response.body:
                self.fail("datastore dump", f"expected rows, got {response.status_code}")
        else:
            self.expect_data_refused("datastore dump", response)

    def views(self) -> None:
        entry = self.entry
        for resource_id, view_id in ((entry.upload_id, entry.upload_view_id),
                                     (entry.link_id, entry.link_view_id)):
            response = self.api("resource_view_list", id=resource_id)
            if not self.meta:
                self.refused("resource_view_list", response)
            elif response.status_code != 200:
                self.fail("resource_view_list", f"expected 200, got {response.status_code}")
            elif bool(response.json["result"]) != self.data:
                self.fail("resource_view_list", f"{len(response.json['result'])} views listed")
            response = self.api("resource_view_show", id=view_id)
            if self.data:
                if response.status_code != 200:
                    self.fail("resource_view_show", f"expected 200, got {response.status_code}")
            else:
                self.refused("resource_view_show", response)
            if resource_id == entry.upload_id:
                continue  # the datatables page is an empty frame: its data comes by ajax, below
            response = self.get(f"/dataset/{entry.id}/resource/{resource_id}/view/{view_id}")
            if self.data:
                if response.status_code != 200:
                    self.fail("view page", f"expected 200, got {response.status_code}")
                elif resource_id == entry.link_id and entry.new_url not in response.body:
                    self.fail("view page", "image view without the URL")
            else:
                self.expect_data_refused("view page", response)
        response = self.app.post(f"/datatables/ajax/{entry.upload_view_id}",
                                 headers=self.world.headers(self.kind), follow_redirects=False,
                                 data={"draw": "1", "start": "0", "length": "10",
                                       "search[value]": ""})
        if self.data:
            if response.status_code != 200 or entry.row_marker not in response.body:
                self.fail("datatables ajax", f"expected rows, got {response.status_code}")
        else:
            self.refused("datatables ajax", response)

    def dcat(self) -> None:
        entry = self.entry
        for fmt in ("rdf",):  # (the catalog, per user kind, is read as Turtle)
            route = f"DCAT /dataset/<id>.{fmt}"
            response = self.get(f"/dataset/{entry.id}.{fmt}")
            if not self.meta:
                self.refused(route, response)
            elif response.status_code != 200:
                self.fail(route, f"expected 200, got {response.status_code}")
            else:
                self.no_leak(route, response)
                if self.data and entry.new_url not in response.body:
                    self.fail(route, "URL missing for a user with the data")

    def activity(self) -> None:
        """Old versions carry the old URL: nobody without the data may read it."""
        entry = self.entry
        calls = [
            ("package_activity_list", self.api("package_activity_list", id=entry.id, limit=100)),
            ("activity_show", self.api("activity_show", id=entry.update_activity_id,
                                       include_data=True)),
            ("activity_data_show", self.api("activity_data_show", id=entry.update_activity_id,
                                            object_type="package")),
            ("activity page", self.get(f"/dataset/activity/{entry.name}")),
            ("history page", self.get(f"/dataset/{entry.name}/history/{entry.update_activity_id}")),
            ("resource history page", self.get(
                f"/dataset/{entry.id}/resources/{entry.link_id}/history/{entry.update_activity_id}")),
        ]
        for route, response in calls:
            if not self.meta:
                self.refused(route, response)
            else:
                self.no_leak(route, response)
        for route, response in (
                ("activity_diff", self.api("activity_diff", id=entry.update_activity_id,
                                           object_type="package", diff_type="unified")),
                ("changes page", self.get(f"/dataset/changes/{entry.update_activity_id}"))):
            if self.data:
                if self.kind == SYSADMIN and response.status_code != 200:
                    self.fail(route, f"expected 200, got {response.status_code}")
                if route == "activity_diff" and self.kind == SYSADMIN and not (
                        f"oldlnk{entry.code}q" in response.body
                        and f"newlnk{entry.code}q" in response.body):
                    self.fail(route, "the diff does not show the URL change")
            else:
                self.refused(route, response)
        if self.kind == SYSADMIN:
            listing = calls[0][1].body
            if entry.old_url not in listing or entry.new_url not in listing:
                self.fail("package_activity_list", "the old and new URLs should be in the stream")


class _Lists:
    """Routes that list many entries: search, facets, counts, catalog, activity streams."""

    def __init__(self, app, world: World, kind: str, role: str):
        self.app, self.world, self.kind, self.role = app, world, kind, role
        self.sharing_public = role == SHARING and kind in PUBLIC_KINDS
        self.rules = {e.id: expected(kind, e.share_type, e.open_type, role, e.catalog_state)
                      for e in world.entries}
        self.certain = {e.name for e in world.entries if self.rules[e.id][0] is True}
        self.unspecified = {e.name for e in world.entries if self.rules[e.id][0] is None}
        self.invisible = [e for e in world.entries if self.rules[e.id][0] is False]
        self.no_data = [e for e in world.entries if self.rules[e.id][1] is False]
        self.problems: list[str] = []

    def fail(self, route: str, message: str) -> None:
        self.problems.append(f"  {route}: {message}")

    def api(self, action: str, **params: Any):
        return api(self.app, self.world, self.kind, action, **params)

    def get(self, url: str, **kwargs: Any):
        return get(self.app, self.world, self.kind, url, **kwargs)

    def no_leak(self, route: str, text: str) -> None:
        found = leaked(text, self.no_data)
        if found:
            self.fail(route, f"data markers {found}")

    def no_invisible(self, route: str, text: str) -> None:
        for entry in self.invisible:
            for mark in (entry.id, entry.name, entry.title):
                if mark in text:
                    self.fail(route, f"mentions invisible entry {entry.code} ({mark})")
                    break

    def names_ok(self, route: str, names: set[str], complete: bool = True) -> None:
        extra = names - self.certain - self.unspecified
        missing = self.certain - names if complete else set()
        if extra:
            self.fail(route, f"lists entries the user may not see: {sorted(extra)}")
        if missing:
            self.fail(route, f"misses entries the user may see: {sorted(missing)}")

    def search(self, **params: Any):
        return self.api("package_search", rows=100, **params)

    def check_all(self) -> list[str]:
        if self.sharing_public:
            self.check_sharing_public()
        else:
            self.check_search()
            self.check_organization()
            self.check_lists()
            self.check_catalog()
            self.check_feeds()
            self.check_activity()
        return self.problems

    def check_sharing_public(self) -> None:
        for action, params in (("package_search", {}), ("organization_list", {"all_fields": True}),
                               ("package_list", {}), ("current_package_list_with_resources", {}),
                               ("resource_search", {"query": "name:外部链接"}),
                               ("recently_changed_packages_activity_list", {})):
            response = self.api(action, **params)
            if response.status_code != 403 or response.json["success"] is not False:
                self.fail(action, f"expected 403 JSON, got {response.status_code}")
            self.no_invisible(action, response.body)
        for url in ("/dataset/", "/organization/", "/organization/provider-dept", "/catalog.ttl",
                    "/", "/group/", "/dashboard/", "/feeds/dataset.atom",
                    f"/dataset/{self.world.entries[0].id}.rdf"):
            response = self.get(url)
            if not to_login(response):
                self.fail(url, f"expected a redirect to the login page, got {response.status_code}")
        response = self.get("/api/2/util/dataset/autocomplete?incomplete=matrix")
        if response.status_code != 403:
            self.fail("/api/2/util/dataset/autocomplete", f"expected 403, got {response.status_code}")
        self.no_invisible("/api/2/util/dataset/autocomplete", response.body)

    def check_search(self) -> None:
        response = self.search(q="*:*")
        found = result(response)
        names = {r["name"] for r in found["results"]}
        self.names_ok("package_search", names)
        if found["count"] != len(names):
            self.fail("package_search", f"count {found['count']} for {len(names)} results")
        self.no_leak("package_search", response.body)
        self.visible = names

        for include_private in (True, False):
            response = self.search(include_private=include_private)
            self.names_ok(f"package_search include_private={include_private}",
                          {r["name"] for r in result(response)["results"]},
                          complete=include_private)
            self.no_leak(f"package_search include_private={include_private}", response.body)

        by_name = {e.name: e for e in self.world.entries}
        response = self.search(**{"facet.field": ["share_type", "open_type", "organization"]})
        facets = result(response)["facets"]
        wanted = {
            "share_type": collections.Counter(by_name[n].share_type for n in names),
            "open_type": collections.Counter(by_name[n].open_type for n in names),
        }
        for field, counts in wanted.items():
            if facets.get(field, {}) != dict(counts):
                self.fail(f"facet {field}", f"{facets.get(field)} != {dict(counts)}")
        if sum(facets.get("organization", {}).values()) != len(names):
            self.fail("facet organization", f"{facets.get('organization')} for {len(names)} entries")

        for fl in ("*", "validated_data_dict,data_dict", "id,name,d:data_dict"):
            response = self.search(fl=fl)
            self.no_leak(f"package_search fl={fl}", response.body)
            self.names_ok(f"package_search fl={fl}",
                          {r.get("name") or json.loads(r.get("data_dict") or r["d"])["name"]
                           for r in result(response)["results"]})
            if "data_dict" in fl and self.world.entries[0].new_url in response.body:
                self.fail(f"package_search fl={fl}", "the index stores a URL")
        for fl in ("id,name,res_url", "id,name,res_url,urls,download_url", "x:field(res_url)"):
            response = self.search(fl=fl)
            if response.status_code != 409 or "fl" not in response.json["error"]:
                self.fail(f"package_search fl={fl}", f"expected a validation error on fl, "
                                                     f"got {response.status_code}")
            self.no_leak(f"package_search fl={fl}", response.body)

        response = self.search(**{"facet.field": ["res_url", "urls"]})
        self.no_leak("package_search facet.field=res_url,urls", response.body)

        for entry in self.no_data:
            for query in (f"oldlnk{entry.code}q", f"newlnk{entry.code}q", f"upf{entry.code}q",
                          f'res_url:"{entry.new_url}"', f"urls:newlnk{entry.code}q"):
                response = self.search(q=query)
                if response.status_code == 200 and response.json["result"]["count"]:
                    self.fail("package_search q=<URL fragment>",
                              f"{query!r} counts {response.json['result']['count']}")
            response = self.search(fq=f'res_url:"{entry.new_url}"')
            if response.status_code == 200 and response.json["result"]["count"]:
                self.fail("package_search fq=res_url", f"{entry.code} found by its URL")

        response = self.get("/dataset/")
        if response.status_code != 200:
            self.fail("/dataset/", f"expected 200, got {response.status_code}")
        self.no_invisible("/dataset/", response.body)
        self.no_leak("/dataset/", response.body)

    def check_organization(self) -> None:
        response = self.api("organization_show", id="provider-dept", include_datasets=True)
        org = result(response)
        if org["package_count"] != len(self.visible):
            self.fail("organization_show", f"package_count {org['package_count']} "
                                           f"for {len(self.visible)} visible entries")
        self.names_ok("organization_show", {p["name"] for p in org["packages"]})
        self.no_leak("organization_show", response.body)

        for action in ("organization_list", "group_list"):
            response = self.api(action, all_fields=True, include_dataset_count=True)
            for org in result(response):
                if org["name"] == "provider-dept" and org["package_count"] != len(self.visible):
                    self.fail(action, f"provider-dept package_count {org['package_count']} "
                                      f"for {len(self.visible)} visible entries")
        response = self.get("/organization/provider-dept")
        if response.status_code != 200:
            self.fail("organization page", f"expected 200, got {response.status_code}")
        self.no_invisible("organization page", response.body)
        self.no_leak("organization page", response.body)
        for name in self.certain:
            entry = next(e for e in self.world.entries if e.name == name)
            if entry.title not in response.body:
                self.fail("organization page", f"{entry.code} not listed")
        response = self.get("/organization/")
        if response.status_code != 200:
            self.fail("organization list page", f"expected 200, got {response.status_code}")

    def check_lists(self) -> None:
        response = self.api("package_list")
        self.names_ok("package_list", set(result(response)), complete=False)
        response = self.api("current_package_list_with_resources", limit=100)
        self.names_ok("current_package_list_with_resources",
                      {p["name"] for p in result(response)}, complete=False)
        self.no_leak("current_package_list_with_resources", response.body)
        for entry in self.world.entries:
            response = self.api("resource_search", query=f"url:newlnk{entry.code}q")
            if entry in self.no_data and response.status_code == 200 and \
                    response.json["result"]["count"]:
                self.fail("resource_search url:", f"finds {entry.code} by its URL")
            self.no_leak("resource_search url:", response.body)
        for url in ("/api/2/util/dataset/autocomplete?incomplete=matrix",
                    "/api/util/dataset/autocomplete?incomplete=%E8%AE%BF%E9%97%AE"):
            response = self.get(url)
            if response.status_code != 200:
                self.fail(url, f"expected 200, got {response.status_code}")
            self.no_invisible(url, response.body)
        response = self.api("package_autocomplete", q="matrix", limit=20)
        self.names_ok("package_autocomplete", {p["name"] for p in result(response)},
                      complete=False)
        response = self.api("resource_search", query="name:外部链接")
        self.no_leak("resource_search name:", response.body)
        self.no_invisible("resource_search name:", response.body)

    def check_catalog(self) -> None:
        response = self.get("/catalog.ttl")
        if response.status_code != 200:
            self.fail("DCAT /catalog.ttl", f"expected 200, got {response.status_code}")
            return
        self.no_leak("DCAT /catalog.ttl", response.body)
        self.no_invisible("DCAT /catalog.ttl", response.body)
        for entry in self.world.entries:
            if entry.name in self.certain and entry.title not in response.body:
                self.fail("DCAT /catalog.ttl", f"{entry.code} missing")
            if self.rules[entry.id][1] is True and entry.new_url not in response.body:
                self.fail("DCAT /catalog.ttl", f"{entry.code}'s URL missing for a user with the data")

    def check_feeds(self) -> None:
        for url in ("/feeds/dataset.atom", "/feeds/organization/provider-dept.atom",
                    "/feeds/custom.atom?q=*:*"):
            response = self.get(url)
            if response.status_code != 200:
                self.fail(url, f"expected 200, got {response.status_code}")
            self.no_leak(url, response.body)
            self.no_invisible(url, response.body)

    def check_activity(self) -> None:
        for action, params in (
                ("recently_changed_packages_activity_list", {"limit": 100}),
                ("organization_activity_list", {"id": "provider-dept", "limit": 100}),
                ("user_activity_list", {"id": self.world.sysadmin, "limit": 100}),
                ("dashboard_activity_list", {"limit": 100})):
            response = self.api(action, **params)
            if response.status_code == 200:
                self.no_leak(action, response.body)
                self.no_invisible(action, response.body)
            elif not (response.status_code == 403 and
                      (self.kind == ANONYMOUS or action == "user_activity_list")):
                self.fail(action, f"unexpected {response.status_code}")
        for url in ("/dashboard/", "/organization/activity/provider-dept",
                    f"/user/activity/{self.world.sysadmin}"):
            response = self.get(url)
            if response.status_code == 200:
                self.no_leak(url, response.body)
                self.no_invisible(url, response.body)


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("govshare.site_role", SHARING)
class TestSharingSite(Matrix):
    role = SHARING

    @pytest.mark.parametrize("kind", PUBLIC_KINDS)
    def test_public_users_get_only_the_login_page(self, app, world, kind):
        assert to_login(get(app, world, kind, "/dataset/"))
        response = api(app, world, kind, "package_search")
        assert response.status_code == 403 and response.json["success"] is False
        with app.flask_app.test_request_context():
            closed = tk._("The sharing site is for government departments: log in with a "
                          "department account.")
        assert response.json["error"]["message"] == closed
        assert get(app, world, kind, "/user/login").status_code == 200
        assert result(api(app, world, kind, "status_show"))["ckan_version"]
        assert refused(get(app, world, kind, f"/dataset/{world.entries[0].id}.ttl"))

    @pytest.mark.parametrize("kind", DEPARTMENT_KINDS + (SYSADMIN,))
    def test_government_users_browse(self, app, world, kind):
        assert get(app, world, kind, "/dataset/").status_code == 200
        seen = [e for e in world.entries
                if expected(kind, e.share_type, e.open_type, SHARING, e.catalog_state)[0]]
        assert result(api(app, world, kind, "package_search"))["count"] == len(seen)


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("govshare.site_role", OPEN)
class TestOpenSite(Matrix):
    role = OPEN


@pytest.mark.ckan_config("ckan.datastore.sqlsearch.enabled", True)
@pytest.mark.ckan_config("govshare.site_role", COMBINED)
class TestCombinedSite(Matrix):
    role = COMBINED


# ------------------------------------------------------------------ grant actions

def call(user: Optional[str], action: str, **data: Any) -> Any:
    return helpers.call_action(action, {"user": user or "", "ignore_auth": False}, **data)


def days(n: int) -> str:
    return (today() + datetime.timedelta(days=n)).isoformat()


@pytest.mark.ckan_config("govshare.site_role", COMBINED)
class TestGrants:
    """govshare_grant_create / _revoke / _list, on fresh entries of a combined-site world."""

    @pytest.fixture
    def fresh(self, world):
        """A new entry with two linked resources (share × open given by the test)."""
        from access_fixtures import entry_fields
        from conftest import entry_data

        def make(share_type: str = "conditional", open_type: str = "closed") -> dict[str, Any]:
            pkg = call(world.sysadmin, "package_create", **entry_data(
                world.orgs["provider"], **entry_fields(share_type, open_type)))
            for n in (1, 2):
                call(world.sysadmin, "resource_create", package_id=pkg["id"], name=f"资源{n}",
                     format="CSV", description="链接",
                     url=f"https://files.example.gov/fresh{n}-{pkg['id'][:8]}.csv")
            return call(world.sysadmin, "package_show", id=pkg["id"])
        return make

    def grant_data(self, pkg: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data = {"package_id": pkg["id"], "grantee_org": "other-dept", "valid_from": days(-1),
                "valid_until": days(30), "reason": "业务协同需要"}
        data.update(kwargs)
        return {k: v for k, v in data.items() if v is not None}

    def urls(self, user: str, pkg: dict[str, Any]) -> list[str]:
        return [r["url"] for r in call(user, "package_show", id=pkg["id"])["resources"]]

    @pytest.mark.parametrize("who,allowed", [
        ("provider_admin", True), (PROVIDER, False), (OTHER_DEPT, False), (GRANTED_DEPT, False),
        (AUTHORITY, True), (SYSADMIN, True), (CITIZEN, False), (ANONYMOUS, False)])
    def test_who_may_grant_and_revoke(self, world, fresh, who, allowed):
        user = world.provider_admin if who == "provider_admin" else world.users[who]
        pkg = fresh()
        if allowed:
            created = call(user, "govshare_grant_create", **self.grant_data(pkg))
            assert created["id"] and created["active"] is True
            assert created["granted_by"] == model.User.get(user).id
            revoked = call(user, "govshare_grant_revoke", id=created["id"], reason="期满收回")
            assert revoked["active"] is False and revoked["revoke_reason"] == "期满收回"
        else:
            with pytest.raises(tk.NotAuthorized):
                call(user, "govshare_grant_create", **self.grant_data(pkg))
            created = call(world.provider_admin, "govshare_grant_create", **self.grant_data(pkg))
            with pytest.raises(tk.NotAuthorized):
                call(user, "govshare_grant_revoke", id=created["id"], reason="试图收回")

    def test_revoke_needs_a_reason_and_happens_once(self, world, fresh):
        created = call(world.provider_admin, "govshare_grant_create", **self.grant_data(fresh()))
        for reason in (None, "", "   "):
            data = {"id": created["id"]} if reason is None else {"id": created["id"], "reason": reason}
            with pytest.raises(tk.ValidationError) as err:
                call(world.provider_admin, "govshare_grant_revoke", **data)
            assert "reason" in err.value.error_dict
        call(world.provider_admin, "govshare_grant_revoke", id=created["id"], reason="收回")
        with pytest.raises(tk.ValidationError) as err:
            call(world.provider_admin, "govshare_grant_revoke", id=created["id"], reason="再次收回")
        assert "id" in err.value.error_dict
        with pytest.raises(tk.ObjectNotFound):
            call(world.sysadmin, "govshare_grant_revoke", id="no-such-grant", reason="x")

    @pytest.mark.parametrize("share_type,open_type,grantee,field", [
        ("none", "closed", {"grantee_org": "other-dept"}, "package_id"),
        ("unconditional", "general", {"grantee_org": "other-dept"}, "package_id"),
        ("unconditional", "closed", {"grantee_org": "other-dept"}, "package_id"),
        ("conditional", "general", {"grantee_user": "citizen-user", "grantee_org": None}, "package_id"),
        ("unconditional", "closed", {"grantee_user": "citizen-user", "grantee_org": None}, "package_id"),
        ("conditional", "closed", {"grantee_org": "provider-dept"}, "grantee_org"),
        ("conditional", "closed", {"grantee_org": "no-such-dept"}, "grantee_org"),
        ("conditional", "closed", {"grantee_org": None}, "grantee_org"),
        ("conditional", "authorized", {"grantee_user": "citizen-user"}, "grantee_org"),
        ("conditional", "closed", {"valid_from": days(5), "valid_until": days(1)}, "valid_until"),
        ("conditional", "closed", {"resource_ids": ["not-a-resource"]}, "resource_ids"),
        ("conditional", "closed", {"reason": ""}, "reason"),
        ("conditional", "closed", {"valid_until": "not-a-date"}, "valid_until"),
    ])
    def test_grant_refused_with_field_error(self, world, fresh, share_type, open_type, grantee,
                                            field):
        pkg = fresh(share_type, open_type)
        with pytest.raises(tk.ValidationError) as err:
            call(world.sysadmin, "govshare_grant_create", **self.grant_data(pkg, **grantee))
        assert field in err.value.error_dict, err.value.error_dict

    def test_grant_on_missing_entry_is_a_field_error(self, world):
        with pytest.raises(tk.ValidationError) as err:
            call(world.sysadmin, "govshare_grant_create", package_id="no-such-entry",
                 grantee_org="other-dept", valid_from=days(0), valid_until=days(1), reason="x")
        assert "package_id" in err.value.error_dict

    def test_grant_for_one_resource_gives_that_resource_only(self, app, world, fresh):
        pkg = fresh()
        first, second = pkg["resources"]
        other = world.users[OTHER_DEPT]
        assert self.urls(other, pkg) == ["", ""]
        call(world.provider_admin, "govshare_grant_create",
             **self.grant_data(pkg, resource_ids=[first["id"]]))
        assert self.urls(other, pkg) == [first["url"], ""]
        assert call(other, "resource_show", id=second["id"])["url"] == ""
        found = call(other, "package_search", fq=f"id:{pkg['id']}")
        assert first["url"] in json.dumps(found) and second["url"] not in json.dumps(found)
        # the index keeps no URL: raw stored fields carry none, even the granted one
        stored = call(other, "package_search", fq=f"id:{pkg['id']}", fl="data_dict,validated_data_dict")
        assert first["url"] not in json.dumps(stored) and second["url"] not in json.dumps(stored)

        headers = world.headers(OTHER_DEPT)
        response = app.get(f"/dataset/{pkg['id']}/resource/{first['id']}/download",
                           headers=headers, follow_redirects=False)
        assert response.status_code == 302 and response.headers["Location"] == first["url"]
        response = app.get(f"/dataset/{pkg['id']}/resource/{second['id']}/download",
                           headers=headers, follow_redirects=False)
        assert response.status_code == 403

        # The diff of a change to the second resource shows its URL: refused.
        call(world.sysadmin, "resource_patch", id=second["id"], url=second["url"] + "?v=2")
        activity = call(world.sysadmin, "package_activity_list", id=pkg["id"], limit=1)[0]
        with pytest.raises(tk.NotAuthorized):
            call(other, "activity_diff", id=activity["id"], object_type="package")
        history = call(other, "package_activity_list", id=pkg["id"], limit=100)
        assert second["url"] not in json.dumps(history)

    def test_expired_and_revoked_grants_give_nothing(self, app, world, fresh):
        other = world.users[OTHER_DEPT]
        pkg = fresh()
        past = call(world.provider_admin, "govshare_grant_create",
                    **self.grant_data(pkg, valid_from=days(-30), valid_until=days(-1)))
        assert past["active"] is False
        future = call(world.provider_admin, "govshare_grant_create",
                      **self.grant_data(pkg, valid_from=days(2), valid_until=days(30)))
        assert future["active"] is False
        assert self.urls(other, pkg) == ["", ""]

        active = call(world.provider_admin, "govshare_grant_create", **self.grant_data(pkg))
        assert "" not in self.urls(other, pkg)
        headers = world.headers(OTHER_DEPT)
        link = f"/dataset/{pkg['id']}/resource/{pkg['resources'][0]['id']}/download"
        assert app.get(link, headers=headers, follow_redirects=False).status_code == 302

        call(world.provider_admin, "govshare_grant_revoke", id=active["id"], reason="停止使用")
        assert self.urls(other, pkg) == ["", ""]
        assert app.get(link, headers=headers, follow_redirects=False).status_code == 403

        again = call(world.provider_admin, "govshare_grant_create", **self.grant_data(pkg))
        assert "" not in self.urls(other, pkg)
        expire(again["id"])
        assert self.urls(other, pkg) == ["", ""]
        assert app.get(link, headers=headers, follow_redirects=False).status_code == 403

    def test_user_grant_on_authorized_entry(self, app, world, fresh):
        citizen = world.users[CITIZEN]
        pkg = fresh("unconditional", "authorized")
        assert self.urls(citizen, pkg) == ["", ""]
        created = call(world.users[AUTHORITY], "govshare_grant_create",
                       **self.grant_data(pkg, grantee_org=None, grantee_user=citizen))
        assert created["grantee_user"] == model.User.get(citizen).id
        assert "" not in self.urls(citizen, pkg)
        assert self.urls(world.users[GRANTED_CITIZEN], pkg) == ["", ""]

    def test_grant_list_filters_and_visibility(self, world, fresh):
        pkg_a, pkg_b = fresh(), fresh("conditional", "authorized")
        admin = world.provider_admin
        g1 = call(admin, "govshare_grant_create", **self.grant_data(pkg_a))
        g2 = call(admin, "govshare_grant_create", **self.grant_data(pkg_a, grantee_org="granted-dept"))
        g3 = call(admin, "govshare_grant_create",
                  **self.grant_data(pkg_b, grantee_org=None, grantee_user="citizen-user"))
        call(admin, "govshare_grant_revoke", id=g2["id"], reason="收回")

        def ids(user: Optional[str], **filters: Any) -> set[str]:
            return {g["id"] for g in call(user, "govshare_grant_list", **filters)}

        mine = {g1["id"], g2["id"], g3["id"]}  # (other tests of the class add grants too)
        authority = world.users[AUTHORITY]
        assert ids(authority, package_id=pkg_a["id"]) == {g1["id"], g2["id"]}
        assert ids(authority, package_id=pkg_a["name"], active=True) == {g1["id"]}
        assert ids(authority, package_id=pkg_a["id"], active=False) == {g2["id"]}
        assert ids(authority, grantee_org="granted-dept") & mine == {g2["id"]}
        assert ids(authority, grantee_user="citizen-user") & mine == {g3["id"]}
        assert ids(authority, package_id=pkg_b["id"], grantee_org="other-dept") == set()
        assert ids(world.sysadmin) >= mine
        # the provider's members see the grants on its entries
        assert ids(world.users[PROVIDER]) >= mine
        # a grantee department sees the grants to it, not the others' grants
        assert ids(world.users[OTHER_DEPT]) & mine == {g1["id"]}
        assert ids(world.users[GRANTED_DEPT]) & mine == {g2["id"]}
        assert ids(world.users[EXPIRED_DEPT]) & mine == set()
        # a citizen sees their own grants only
        citizen_id = model.User.get("citizen-user").id
        seen = call("citizen-user", "govshare_grant_list")
        assert {g["id"] for g in seen} & mine == {g3["id"]}
        assert all(g["grantee_user"] == citizen_id for g in seen)
        assert ids(world.users[GRANTED_CITIZEN]) & mine == set()
        with pytest.raises(tk.NotAuthorized):
            call(None, "govshare_grant_list")
