"""Preview and online query (issue 11 item 4): a CSV uploaded to an entry goes into the
DataStore through ckanext-xloader, run for real (its RQ job, fetching the upload over HTTP
from the portal served on a local port, writing the test's DataStore database), then each
kind of user asks datastore_search, datastore_info, the dump and the preview.

The entry's information items decide the columns (datastore.py): 姓名 is shared on the
entry's conditions and open, 户籍地址 shared on conditions and not open, 身份证号码 not shared
(and not open). A department without a grant gets the open columns (the entry is open to
everyone), one with a grant the shared ones, the provider all of them.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from ckan.tests import helpers
from werkzeug.datastructures import FileStorage
from werkzeug.serving import make_server

from conftest import create_entry, make_department, make_user, run_jobs

NAME, ADDRESS, ID_NUMBER = "姓名", "户籍地址", "身份证号码"
ITEMS = [
    {"name": NAME, "data_type": "C", "open": "true"},
    {"name": ADDRESS, "data_type": "C", "open": "false"},
    {"name": ID_NUMBER, "data_type": "C", "share_type": "none", "open": "false"},
]
ROWS = [("张三", "幸福路1号", "410100199001010011"), ("李四", "和平街2号", "410100198502020022")]
CSV_TEXT = (",".join((NAME, ADDRESS, ID_NUMBER)) + "\n"
            + "".join(",".join(row) + "\n" for row in ROWS))

PROVIDER, GRANTED, OTHER, CITIZEN, ANONYMOUS = "provider", "granted", "other", "citizen", "anonymous"
# What each kind may have of the conditional, generally open entry.
COLUMNS = {PROVIDER: {NAME, ADDRESS, ID_NUMBER}, GRANTED: {NAME, ADDRESS},
           OTHER: {NAME}, CITIZEN: {NAME}, ANONYMOUS: {NAME}}


@dataclass
class World:
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    package: dict[str, Any] = field(default_factory=dict)
    resource_id: str = ""
    closed: dict[str, Any] = field(default_factory=dict)  # conditional, not open
    closed_resource_id: str = ""

    def headers(self, kind: str) -> dict[str, str]:
        return {"Authorization": self.tokens[kind]} if kind in self.tokens else {}

    def api(self, kind: str, action: str, status: int = 200, **data: Any) -> dict[str, Any]:
        response = self.app.post(f"/api/3/action/{action}", json=data, headers=self.headers(kind),
                                 status=status)
        return response.json


def _token(user: dict[str, Any]) -> str:
    return helpers.call_action("api_token_create", {"user": user["name"], "ignore_auth": True},
                               user=user["name"], name="preview")["token"]


def _csv_upload(sysadmin: dict[str, Any], package_id: str) -> str:
    resource = helpers.call_action(
        "resource_create", {"user": sysadmin["name"], "ignore_auth": False},
        package_id=package_id, name="人口样例", format="CSV", url="people.csv",
        upload=FileStorage(stream=io.BytesIO(CSV_TEXT.encode("utf-8-sig")), filename="people.csv",
                           content_type="text/csv"))
    return resource["id"]


@pytest.fixture
def served(app, ckan_config, monkeypatch):
    """The portal on a local port, where xloader's job fetches uploads and reports back."""
    server = make_server("127.0.0.1", 0, app.flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(ckan_config, "ckanext.xloader.site_url",
                        f"http://127.0.0.1:{server.server_port}")
    yield server
    server.shutdown()


@pytest.fixture
def world(app, clean_db, served, ckan_config, monkeypatch) -> World:
    from ckan.tests import factories

    from ckanext.govshare import datastore

    monkeypatch.setitem(ckan_config, "ckanext.xloader.api_token", datastore.loader_token())
    sysadmin = factories.Sysadmin()
    provider_org, other_org, granted_org = make_department(), make_department(), make_department()
    users = {PROVIDER: make_user(provider_org, "admin"), OTHER: make_user(other_org),
             GRANTED: make_user(granted_org), CITIZEN: make_user()}
    world = World(app, tokens={kind: _token(user) for kind, user in users.items()})
    context = {"user": sysadmin["name"], "ignore_auth": False}
    conditions = {"share_type": "conditional", "share_condition": "限本市政务部门履职使用",
                  "usage_scope": ["work_reference"], "format_class": "spreadsheet",
                  "record_count": "2", "info_items": ITEMS}
    world.package = create_entry(context, provider_org, open_type="general", **conditions)
    world.resource_id = _csv_upload(sysadmin, world.package["id"])
    world.closed = create_entry(context, provider_org, open_type="closed",
                                **dict(conditions, info_items=[dict(i, open="false") for i in ITEMS]))
    world.closed_resource_id = _csv_upload(sysadmin, world.closed["id"])
    for package in (world.package, world.closed):
        today = datetime.date.today()
        helpers.call_action("govshare_grant_create",
                            {"user": users[PROVIDER]["name"], "ignore_auth": False},
                            package_id=package["id"], grantee_org=granted_org["id"],
                            reason="履职需要", valid_from=(today - datetime.timedelta(days=1)).isoformat(),
                            valid_until=(today + datetime.timedelta(days=30)).isoformat())
    assert run_jobs() >= 2  # xloader's jobs, as the RQ worker runs them
    return world


def _loaded(world: World, resource_id: str) -> dict[str, Any]:
    return helpers.call_action("resource_show", {"ignore_auth": True}, id=resource_id)


def _columns(fields: list[dict[str, Any]]) -> set[str]:
    return {f["id"] for f in fields if not f["id"].startswith("_")}


def test_xloader_loads_the_uploaded_csv_into_the_datastore_with_its_item_names(world):
    resource = _loaded(world, world.resource_id)
    assert resource["datastore_active"] is True
    result = helpers.call_action("datastore_search", {"ignore_auth": True},
                                 resource_id=world.resource_id)
    assert [f["id"] for f in result["fields"] if f["id"] != "_id"] == [NAME, ADDRESS, ID_NUMBER]
    assert [(r[NAME], r[ADDRESS], r[ID_NUMBER]) for r in result["records"]] == ROWS
    views = helpers.call_action("resource_view_list", {"ignore_auth": True}, id=world.resource_id)
    assert "datatables_view" in {v["view_type"] for v in views}


@pytest.mark.parametrize("kind", [PROVIDER, GRANTED, OTHER, CITIZEN, ANONYMOUS])
def test_datastore_search_info_and_dump_give_each_user_the_columns_they_may_have(world, kind):
    wanted = COLUMNS[kind]
    search = world.api(kind, "datastore_search", resource_id=world.resource_id)["result"]
    assert _columns(search["fields"]) == wanted
    for record in search["records"]:
        assert set(record) - {"_id"} == wanted
    shown = json.dumps(search, ensure_ascii=False)
    if ID_NUMBER not in wanted:
        assert ROWS[0][2] not in shown and ID_NUMBER not in shown
    if ADDRESS not in wanted:
        assert ROWS[0][1] not in shown
    info = world.api(kind, "datastore_info", id=world.resource_id)["result"]
    assert _columns(info["fields"]) == wanted

    dump = world.app.get(f"/datastore/dump/{world.resource_id}", headers=world.headers(kind))
    assert dump.status_code == 200
    rows = list(csv.reader(io.StringIO(dump.get_data(as_text=True).lstrip("\ufeff"))))
    assert set(rows[0]) - {"_id"} == wanted
    assert len(rows) == 1 + len(ROWS)
    if ID_NUMBER not in wanted:
        assert ROWS[0][2] not in dump.get_data(as_text=True)


@pytest.mark.parametrize("kind", [OTHER, ANONYMOUS])
def test_a_withheld_column_cannot_be_asked_for_sorted_filtered_or_searched(world, kind):
    """Naming a withheld column answers as for a column the table does not have; a search
    over whole rows (whose text holds the withheld columns) is refused."""
    for data in ({"fields": [NAME, ID_NUMBER]}, {"sort": f'"{ID_NUMBER}" desc'},
                 {"filters": {ID_NUMBER: ROWS[0][2]}},
                 {"filters": {"$or": [{NAME: "张三"}, {ID_NUMBER: ROWS[0][2]}]}},
                 {"q": {ID_NUMBER: ROWS[0][2]}}, {"fields": ["_full_text"]}):
        error = world.api(kind, "datastore_search", status=409, resource_id=world.resource_id,
                          **data)["error"]
        assert error["__type"] == "Validation Error"
        missing = world.api(PROVIDER, "datastore_search", status=409, resource_id=world.resource_id,
                            **{key: _renamed(value) for key, value in data.items()})["error"]
        assert set(error) == set(missing)  # the same fields in error as a missing column's
    refused = world.api(kind, "datastore_search", status=409, resource_id=world.resource_id,
                        q=ROWS[0][2])["error"]
    assert "q" in refused
    found = world.api(kind, "datastore_search", resource_id=world.resource_id,
                      q=json.dumps({NAME: "张三"}))["result"]
    assert [r[NAME] for r in found["records"]] == ["张三"]


def _renamed(value: Any) -> Any:
    """The same request naming a column that does not exist."""
    text = json.dumps(value, ensure_ascii=False)
    for withheld in (ID_NUMBER, "_full_text"):
        text = text.replace(withheld, "没有这一列")
    return json.loads(text)


def test_the_provider_searches_whole_rows(world):
    found = world.api(PROVIDER, "datastore_search", resource_id=world.resource_id,
                      q=ROWS[1][2])["result"]
    assert [r[NAME] for r in found["records"]] == ["李四"]


@pytest.mark.parametrize("kind", [OTHER, CITIZEN, ANONYMOUS])
def test_no_datastore_route_gives_data_to_users_who_may_not_get_it(world, kind):
    """The closed entry: a department without a grant may see it (and is refused its data);
    the public does not see it (it answers like a missing one)."""
    rid = world.closed_resource_id
    status = 403 if kind == OTHER else 404
    world.api(kind, "datastore_search", status=status, resource_id=rid)
    world.api(kind, "datastore_info", status=status, id=rid)
    dump = world.app.get(f"/datastore/dump/{rid}", headers=world.headers(kind))
    assert dump.status_code in (403, 404) and ROWS[0][0] not in dump.get_data(as_text=True)
    for action in ("xloader_status", "xloader_submit"):
        response = world.app.post(f"/api/3/action/{action}", json={"resource_id": rid},
                                  headers=world.headers(kind))
        assert response.status_code in (403, 404)


def test_datastore_search_sql_is_not_served(world):
    """SQL can join any table: it is off (ckan.datastore.sqlsearch.enabled), and where it is
    on, sysadmins only (tests/test_access.py)."""
    response = world.app.post("/api/3/action/datastore_search_sql",
                              json={"sql": f'SELECT * FROM "{world.resource_id}"'},
                              headers=world.headers(PROVIDER))
    assert response.status_code in (400, 403, 404)
    assert ROWS[0][2] not in response.get_data(as_text=True)


def _view_id(world: World, resource_id: str) -> str:
    views = helpers.call_action("resource_view_list", {"ignore_auth": True}, id=resource_id)
    return next(v["id"] for v in views if v["view_type"] == "datatables_view")


@pytest.mark.parametrize("kind", [PROVIDER, GRANTED, OTHER, ANONYMOUS])
def test_the_preview_shows_the_columns_the_user_may_have(world, kind):
    wanted = COLUMNS[kind]
    view_id = _view_id(world, world.resource_id)
    page = world.app.get(f"/dataset/{world.package['name']}/resource/{world.resource_id}",
                         headers=world.headers(kind))
    assert page.status_code == 200 and view_id in page.get_data(as_text=True)
    note = page.get_data(as_text=True).partition("govshare-withheld-columns")[2].split("</p>")[0]
    assert set(c for c in (NAME, ADDRESS, ID_NUMBER) if c in note) == COLUMNS[PROVIDER] - wanted
    view = world.app.get(f"/dataset/{world.package['name']}/resource/{world.resource_id}"
                         f"/view/{view_id}", headers=world.headers(kind))
    assert view.status_code == 200
    html = view.get_data(as_text=True)
    for column in (NAME, ADDRESS, ID_NUMBER):
        assert (column in html) == (column in wanted), column
    table = world.app.post(f"/datatables/ajax/{view_id}", headers=world.headers(kind), data={
        "draw": "1", "search[value]": "", "start": "0", "length": "10",
        **{f"columns[{i}][name]": "" for i in range(len(wanted))}})
    assert table.status_code == 200
    rows = json.loads(table.get_data(as_text=True))["data"]
    assert len(rows) == len(ROWS)
    assert all(set(row) - {"DT_RowId", "_id"} == wanted for row in rows), rows
    if ID_NUMBER not in wanted:
        assert ROWS[0][2] not in table.get_data(as_text=True)


def test_the_preview_tells_a_department_without_a_grant_how_to_get_the_data(world):
    rid = world.closed_resource_id
    page = world.app.get(f"/dataset/{world.closed['name']}/resource/{rid}",
                         headers=world.headers(OTHER))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "govshare-preview-refused" in html and "govshare-request-button" in html
    assert ROWS[0][0] not in html and "datatables" not in html.lower().split("govshare-preview-refused")[1][:2000]
    view_id = _view_id(world, rid)
    refused = world.app.get(f"/dataset/{world.closed['name']}/resource/{rid}/view/{view_id}",
                            headers=world.headers(OTHER))
    assert refused.status_code == 403 and ROWS[0][0] not in refused.get_data(as_text=True)
    granted = world.app.get(f"/dataset/{world.closed['name']}/resource/{rid}",
                            headers=world.headers(GRANTED))
    assert view_id in granted.get_data(as_text=True)


@pytest.fixture
def demo_city(app, clean_db, clean_index, served, ckan_config, monkeypatch):
    """A few entries of the demo city (`make run` loads 300), loaded as `ckan govshare
    demo-load` does, with xloader configured; then xloader's jobs."""
    from ckanext.govshare import datastore, demo

    monkeypatch.setitem(ckan_config, "ckanext.xloader.api_token", datastore.loader_token())
    with app.flask_app.test_request_context():
        demo.load(12)
    assert run_jobs() >= 12
    return helpers.call_action("package_search", {"ignore_auth": True}, rows=100,
                               include_private=True)["results"]


def test_the_demo_city_csvs_get_a_preview_whose_columns_are_their_items(demo_city):
    """Every demo CSV is in the DataStore with a table preview; its header (the item names,
    after a BOM) matches the entry's items, so another department is withheld exactly the
    items not shared with it."""
    from ckan import model

    from ckanext.govshare import access, datastore

    department = make_department()
    other = make_user(department)
    policy = access.DataPolicy(other["name"])
    withheld_somewhere = False
    csvs = [(p, r) for p in demo_city for r in p["resources"] if r["format"] == "CSV"]
    assert len(csvs) >= 12
    for package, resource in csvs:
        shown = helpers.call_action("resource_show", {"ignore_auth": True}, id=resource["id"])
        assert shown["datastore_active"] is True, package["name"]
        views = helpers.call_action("resource_view_list", {"ignore_auth": True}, id=resource["id"])
        assert "datatables_view" in {v["view_type"] for v in views}
        columns = [c for c in datastore.table_columns(resource["id"]) if not c.startswith("_")]
        assert columns == [item["name"] for item in package["info_items"]]
        row = model.Resource.get(resource["id"])
        if policy.allows(row.package, row.id):
            # without a grant: the items shared unconditionally, and the open ones of an
            # entry open to all
            expected = {item["name"] for item in package["info_items"]
                        if (item.get("share_type") or package["share_type"]) != "unconditional"
                        and not (item.get("open") and package["open_type"] == "general")}
            withheld = datastore.withheld_columns(policy, row, columns)
            assert withheld == expected, package["name"]
            withheld_somewhere |= bool(withheld)
    assert withheld_somewhere, "no demo entry has an item withheld from another department"
