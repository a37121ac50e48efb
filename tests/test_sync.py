"""Sharing → open (`ckan govshare sync-open`) with two real CKAN instances.

This test process is the sharing site (config/test.ini, site role sharing). The
open site is a second CKAN, started once for the module as an HTTP server in a
subprocess, with its own database (govshare_open_test), DataStore database,
Solr core (ckan_open_test), Redis database and storage. What the sync did is
checked over HTTP on the open site, as the public and as its sysadmin.

The open site outlives each test while the sharing database is reset for each,
so each test's first run also withdraws what the previous test published.
"""
from __future__ import annotations

import configparser
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit, urlunsplit

import ckanapi
import psycopg2
import pytest
import requests
from ckan.cli.cli import ckan as ckan_command
from ckan.lib import jobs
from ckan.lib.uploader import get_resource_uploader
from ckan.tests import helpers

from ckanext.govshare import sync
from conftest import create_entry, make_department, other_site_env

ROOT = Path(__file__).resolve().parent.parent
CKAN = str(Path(sys.executable).with_name("ckan"))
OPEN_DB, OPEN_CORE, OPEN_REDIS_DB = "govshare_open_test", "ckan_open_test", "4"
SHARING_URL = "http://test.ckan.net"  # ckan.site_url of config/test.ini

pytestmark = [
    pytest.mark.ckan_config("govshare.site_role", "sharing"),
    pytest.mark.usefixtures("clean_db", "clean_index"),
]


# ------------------------------------------------------------------ the open site

@dataclass
class OpenSiteServer:
    url: str
    token: str
    storage: Path

    @property
    def admin(self) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=self.token)

    @property
    def public(self) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url)

    def sync(self) -> sync.Result:
        return sync.sync_open(sync.OpenSite(self.url, self.token))


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _open_ini(tmp: Path, port: int) -> Path:
    """This machine's services as in .stack/test.ini, with the open site's own
    database, core, Redis database and storage."""
    services = configparser.ConfigParser(interpolation=None)
    services.read(ROOT / ".stack" / "test.ini")
    app = services["app:main"]
    datastore = f"/{OPEN_DB}_datastore"
    ini = tmp / "open.ini"
    ini.write_text("\n".join([
        "[app:main]",
        f"use = config:{ROOT / 'config' / 'common.ini'}",
        f"SECRET_KEY = {app['SECRET_KEY']}-open",
        f"sqlalchemy.url = {_with_path(app['sqlalchemy.url'], '/' + OPEN_DB)}",
        f"ckan.datastore.write_url = {_with_path(app['ckan.datastore.write_url'], datastore)}",
        f"ckan.datastore.read_url = {_with_path(app['ckan.datastore.read_url'], datastore)}",
        f"solr_url = {_with_path(app['solr_url'], '/solr/' + OPEN_CORE)}",
        f"ckan.redis.url = {_with_path(app['ckan.redis.url'], '/' + OPEN_REDIS_DB)}",
        f"ckan.storage_path = {tmp / 'storage'}",
        f"ckan.site_url = http://127.0.0.1:{port}",
        "ckan.site_id = govshare_open_test",
        "govshare.site_role = open",
        "",
    ]))
    return ini


def _ckan(ini: Path, *args: str) -> str:
    done = subprocess.run([CKAN, "-c", str(ini), *args], capture_output=True, text=True,
                          env=other_site_env())
    assert done.returncode == 0, f"ckan {' '.join(args)}:\n{done.stderr[-3000:]}"
    return done.stdout


@contextlib.contextmanager
def _postgres(ini: Path, dbname: str) -> Iterator[Any]:
    """A superuser cursor: the local PostgreSQL trusts TCP connections
    (initdb --auth=trust in scripts/stack.sh)."""
    services = configparser.ConfigParser(interpolation=None)
    services.read(ini)
    url = urlsplit(services["app:main"]["sqlalchemy.url"])
    connection = psycopg2.connect(host=url.hostname, port=url.port, user="postgres", dbname=dbname)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def _create_databases(ini: Path) -> None:
    """The open site's database and DataStore database, each only if missing."""
    for name in (OPEN_DB, f"{OPEN_DB}_datastore"):
        with _postgres(ini, "postgres") as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                continue
            cursor.execute(f"CREATE DATABASE {name} OWNER ckan ENCODING 'UTF8' TEMPLATE template0")
        if name.endswith("_datastore"):
            _set_datastore_permissions(ini, name)


def _set_datastore_permissions(ini: Path, name: str) -> None:
    """CKAN's permissions script (less its psql-only lines); a database it could
    not be applied to is dropped, so that the next run creates it again."""
    script = "\n".join(line for line in _ckan(ini, "datastore", "set-permissions").splitlines()
                       if not line.startswith("\\"))
    try:
        with _postgres(ini, name) as cursor:
            cursor.execute(script)
    except Exception:
        with _postgres(ini, "postgres") as cursor:
            cursor.execute(f"DROP DATABASE {name}")
        raise


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(120):
        if server.poll() is not None:
            pytest.fail(f"the open site exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/api/3/action/status_show", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the open site did not answer in 60 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def open_site(tmp_path_factory) -> Iterator[OpenSiteServer]:
    """A fresh open site (empty database and core) serving HTTP for the module."""
    tmp = tmp_path_factory.mktemp("open_site")
    port = _free_port()
    ini = _open_ini(tmp, port)
    _create_databases(ini)
    _ckan(ini, "db", "clean", "--yes")
    _ckan(ini, "db", "upgrade")
    _ckan(ini, "db", "pending-migrations", "--apply")
    _ckan(ini, "user", "add", "syncbot", "email=syncbot@open.localhost", "password=Sync-bot-2024",
          "sysadmin=True")
    token = _ckan(ini, "user", "token", "add", "syncbot", "sync-open", "--quiet").split()[-1]
    log = tmp / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [CKAN, "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port), "--disable-reloader"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env=other_site_env())
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server, log)
        yield OpenSiteServer(url, token, tmp / "storage")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class Interrupted(sync.OpenSite):
    """The open site going away after ``allowed`` writes."""

    def __init__(self, server: OpenSiteServer, allowed: int):
        super().__init__(server.url, server.token)
        self.allowed = allowed

    def write(self, action: str, files: Optional[dict[str, Any]] = None, **data: Any) -> Any:
        if self.writes >= self.allowed:
            raise requests.ConnectionError(f"open site gone before {action}")
        return super().write(action, files, **data)


# ------------------------------------------------------------------ the sharing site

ITEMS = [{"name": "机构名称", "data_type": "C", "open": True},
         {"name": "负责人身份证号", "data_type": "C", "open": False},
         {"name": "所在区县", "data_type": "C"}]


def _department() -> dict[str, Any]:
    return make_department(name=f"dept-{uuid.uuid4().hex[:10]}")


def _code(class_digit: str) -> str:
    return f"{class_digit}01001/{uuid.uuid4().int % 10 ** 9:09d}"


@pytest.fixture
def upload(create_with_upload, sysadmin_context):
    def factory(entry: dict[str, Any], content: bytes, filename: str, **kwargs: Any):
        return create_with_upload(content, filename, context=dict(sysadmin_context),
                                  package_id=entry["id"], **kwargs)
    return factory


@pytest.fixture
def catalog(sysadmin_context, upload) -> dict[str, dict[str, Any]]:
    """Entries of every share and open type in two departments, with uploads and links."""
    ctx = sysadmin_context
    helpers.call_action("group_create", dict(ctx), name="health", title="健康保障")
    health, transport = _department(), _department()
    entries = {
        "general": create_entry(ctx, health, title="医疗机构名录", resource_class="theme",
                                themes=["health"], resource_code=_code("2"),
                                format_class="spreadsheet", info_items=ITEMS),
        "authorized": create_entry(ctx, health, title="门诊量统计", share_type="conditional",
                                   share_condition="用于卫生统计", usage_scope=["work_reference"],
                                   open_type="authorized", open_condition="签署数据安全承诺"),
        "other_department": create_entry(ctx, transport, title="公交线路"),
        "conditional": create_entry(ctx, health, title="病案首页", share_type="conditional",
                                    share_condition="医保结算", usage_scope=["business_collaboration"],
                                    open_type="closed"),
        "unconditional_closed": create_entry(ctx, transport, title="车辆违章", open_type="closed"),
        "none": create_entry(ctx, transport, title="执法记录", share_type="none",
                             no_share_basis="《中华人民共和国保守国家秘密法》", open_type="closed"),
    }
    upload(entries["general"], b"name,district\nA,1\n", "hospitals.csv", name="机构名录", format="CSV")
    helpers.call_action("resource_create", dict(ctx), package_id=entries["general"]["id"],
                        name="外部接口", url="https://data.example.org/hospitals.json", format="JSON")
    helpers.call_action("resource_create", dict(ctx), package_id=entries["general"]["id"],
                        name="内网导出", url=f"{SHARING_URL}/datastore/dump/x", format="CSV")
    upload(entries["authorized"], b"month,visits\n1,100\n", "visits.csv", name="门诊量")
    upload(entries["conditional"], b"secret\n", "cases.csv", name="病案")
    return {key: helpers.call_action("package_show", dict(ctx), id=e["id"])
            for key, e in entries.items()}


OPEN_KEYS = ("general", "authorized", "other_department")
CLOSED_KEYS = ("conditional", "unconditional_closed", "none")


def _upload_resources(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in entry["resources"] if r.get("url_type") == "upload"]


def _path(resource: dict[str, Any]) -> Path:
    return Path(get_resource_uploader(resource).get_path(resource["id"]))


# ------------------------------------------------------------------ checks on the open site

def _public_ids(site: OpenSiteServer) -> set[str]:
    found = site.public.action.package_search(q="*:*", rows=1000)
    return {p["id"] for p in found["results"]}


def _hidden_from_public(site: OpenSiteServer, entry_id: str) -> bool:
    try:
        site.public.action.package_show(id=entry_id)
    except (ckanapi.NotFound, ckanapi.NotAuthorized):
        return True
    return False


def _download(site: OpenSiteServer, url: str, as_admin: bool = False) -> requests.Response:
    headers = {"Authorization": site.token} if as_admin else {}
    return requests.get(url, headers=headers, timeout=10)


def _assert_consistent(site: OpenSiteServer, expected: dict[str, dict[str, Any]],
                       closed: set[str]) -> None:
    """What the public sees is whole: no entry that is not open, and each open
    entry with one of its resource lists and every uploaded file downloadable with
    a content it had on the sharing site; an entry not listed cannot be opened."""
    visible = _public_ids(site)
    assert not visible & closed
    for entry_id in closed:
        assert _hidden_from_public(site, entry_id)
    for entry_id, want in expected.items():
        if entry_id not in visible:
            assert _hidden_from_public(site, entry_id)
            continue
        there = site.admin.action.package_show(id=entry_id)
        assert [r["id"] for r in there["resources"]] in want["resource_ids"]
        for resource in there["resources"]:
            if resource["id"] in want["files"]:
                assert _download(site, resource["url"], as_admin=True).content \
                    in want["files"][resource["id"]]


def _expected(sharing: list[dict[str, Any]],
              earlier: Optional[dict[str, dict[str, Any]]] = None) -> dict[str, dict[str, Any]]:
    """Per open entry, what may be seen of it on the open site: its resource list
    and file contents, and while a change is being published the earlier ones too."""
    expected = {}
    for entry in sharing:
        before = (earlier or {}).get(entry["id"], {"resource_ids": [], "files": {}})
        files = {r["id"]: [_path(r).read_bytes()] for r in _upload_resources(entry)}
        for resource_id, contents in before["files"].items():
            files.setdefault(resource_id, []).extend(contents)
        published = [r["id"] for r in entry["resources"]
                     if r.get("url_type") or not r["url"].startswith(SHARING_URL)]
        expected[entry["id"]] = {"resource_ids": [published] + before["resource_ids"],
                                 "files": files}
    return expected


def _snapshot(site: OpenSiteServer, ids: set[str]) -> dict[str, Any]:
    """What a write would change: each entry's metadata_modified and activity."""
    return {entry_id: (site.admin.action.package_show(id=entry_id)["metadata_modified"],
                       [a["id"] for a in site.admin.action.package_activity_list(id=entry_id)])
            for entry_id in ids}


def _sharing(catalog: dict[str, dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [helpers.call_action("package_show", id=catalog[key]["id"]) for key in keys]


# ------------------------------------------------------------------ tests

def test_only_general_and_authorized_entries_are_published(open_site, catalog):
    result = open_site.sync()

    assert result.failed == {}
    assert sorted(result.published) == sorted(catalog[k]["name"] for k in OPEN_KEYS)
    assert _public_ids(open_site) == {catalog[k]["id"] for k in OPEN_KEYS}
    for key in CLOSED_KEYS:
        with pytest.raises(ckanapi.NotFound):
            open_site.admin.action.package_show(id=catalog[key]["id"])
    closed_file = _upload_resources(catalog["conditional"])[0]["id"]
    assert not any(path.name == closed_file[6:] for path in open_site.storage.rglob("*"))


def test_published_entry_carries_open_metadata_and_files_only(open_site, catalog):
    open_site.sync()
    general = open_site.public.action.package_show(id=catalog["general"]["id"])

    assert general["name"] == catalog["general"]["name"]
    assert general["private"] is False
    for field in ("title", "resource_code", "share_type", "open_type", "themes", "publish_date"):
        assert general[field] == catalog["general"][field]
    assert [i["name"] for i in general["info_items"]] == ["机构名称", "所在区县"]
    assert [r["name"] for r in general["resources"]] == ["机构名录", "外部接口"]
    uploaded, link = general["resources"]
    assert uploaded["url"].startswith(open_site.url + "/")
    assert _download(open_site, uploaded["url"]).content == b"name,district\nA,1\n"
    assert link["url"] == "https://data.example.org/hospitals.json"
    assert SHARING_URL not in json.dumps(general)

    department = open_site.public.action.organization_show(id=catalog["general"]["owner_org"])
    sharing_department = helpers.call_action("organization_show", id=department["id"])
    for field in ("name", "title", "department_code", "region_level"):
        assert department[field] == sharing_department[field]
    assert open_site.public.action.group_show(id="health")["package_count"] == 1

    authorized = open_site.public.action.package_show(id=catalog["authorized"]["id"])
    assert authorized["open_condition"] == "签署数据安全承诺"
    assert authorized["resources"][0]["url"] == ""
    file_url = open_site.admin.action.package_show(id=authorized["id"])["resources"][0]["url"]
    assert _download(open_site, file_url).status_code == 403
    assert _download(open_site, file_url, as_admin=True).content == b"month,visits\n1,100\n"


def test_rerun_writes_nothing(open_site, catalog, sysadmin_context):
    open_site.sync()
    ids = {catalog[k]["id"] for k in OPEN_KEYS}
    before = _snapshot(open_site, ids)

    again = open_site.sync()
    items = [dict(i, name="负责人证件号") if i.get("open") is False else i
             for i in catalog["general"]["info_items"]]
    helpers.call_action("package_patch", dict(sysadmin_context), id=catalog["general"]["id"],
                        info_items=items)
    after_private_edit = open_site.sync()

    for result in (again, after_private_edit):
        assert (result.writes, result.published, result.unchanged) == (0, [], len(OPEN_KEYS))
    assert _snapshot(open_site, ids) == before


def test_changes_and_withdrawals_follow_on_the_next_run(open_site, catalog, sysadmin_context,
                                                        upload):
    ctx = sysadmin_context
    open_site.sync()
    general, authorized = catalog["general"], catalog["authorized"]
    helpers.call_action("package_patch", dict(ctx), id=general["id"], title="医疗机构名录(2024)")
    upload(general, b"name,district\nB,2\n", "hospitals.csv", action="resource_update",
           id=_upload_resources(general)[0]["id"], name="机构名录")
    helpers.call_action("package_patch", dict(ctx), id=authorized["id"], open_type="closed")
    helpers.call_action("package_patch", dict(ctx), id=catalog["unconditional_closed"]["id"],
                        open_type="general")
    helpers.call_action("package_delete", dict(ctx), id=catalog["other_department"]["id"])

    result = open_site.sync()

    assert sorted(result.withdrawn) == sorted([authorized["name"],
                                               catalog["other_department"]["name"]])
    assert sorted(result.published) == sorted([general["name"],
                                               catalog["unconditional_closed"]["name"]])
    assert _public_ids(open_site) == {general["id"], catalog["unconditional_closed"]["id"]}
    shown = open_site.public.action.package_show(id=general["id"])
    assert shown["title"] == "医疗机构名录(2024)"
    assert _download(open_site, shown["resources"][0]["url"]).content == b"name,district\nB,2\n"
    withdrawn_file = open_site.admin.action.package_show(id=authorized["id"])["resources"][0]["url"]
    for entry_id in (authorized["id"], catalog["other_department"]["id"]):
        assert _hidden_from_public(open_site, entry_id)
    assert _download(open_site, withdrawn_file).status_code in (403, 404)

    helpers.call_action("package_patch", dict(ctx), id=authorized["id"], open_type="authorized")
    assert open_site.sync().published == [authorized["name"]]
    back = open_site.admin.action.package_show(id=authorized["id"])
    assert back["state"] == "active"
    assert _download(open_site, back["resources"][0]["url"], as_admin=True).status_code == 200


def _sync_with_crashes(site: OpenSiteServer, expected: dict[str, dict[str, Any]],
                       closed: set[str]) -> int:
    """Run again and again, the open site going away after one write each time,
    checking what the public sees after every crash; the number of crashed runs."""
    for crashes in range(80):
        try:
            sync.sync_open(Interrupted(site, allowed=1))
        except requests.ConnectionError:
            _assert_consistent(site, expected, closed)
            continue
        return crashes
    pytest.fail("the runs did not converge")


def test_runs_that_fail_halfway_leave_the_open_site_consistent(open_site, catalog,
                                                               sysadmin_context, upload):
    ctx = sysadmin_context
    expected = _expected(_sharing(catalog, *OPEN_KEYS))
    closed = {catalog[k]["id"] for k in CLOSED_KEYS}
    assert _sync_with_crashes(open_site, expected, closed) >= 5
    assert _public_ids(open_site) == set(expected)

    general = catalog["general"]
    helpers.call_action("package_patch", dict(ctx), id=general["id"], title="新名称")
    upload(general, b"name,district\nC,3\n", "hospitals.csv", action="resource_update",
           id=_upload_resources(general)[0]["id"], name="机构名录")
    upload(general, b"x\n", "more.csv", name="新增")
    helpers.call_action("package_patch", dict(ctx), id=catalog["authorized"]["id"],
                        open_type="closed")
    changed = _expected(_sharing(catalog, "general", "other_department"), earlier=expected)
    assert _sync_with_crashes(open_site, changed, closed | {catalog["authorized"]["id"]}) >= 3

    final = _expected(_sharing(catalog, "general", "other_department"))
    _assert_consistent(open_site, final, closed | {catalog["authorized"]["id"]})
    assert _public_ids(open_site) == set(final)
    assert open_site.public.action.package_show(id=general["id"])["title"] == "新名称"
    assert open_site.sync().writes == 0


def test_an_entry_that_cannot_be_published_does_not_stop_the_others(open_site, catalog):
    general = catalog["general"]
    path = _path(_upload_resources(general)[0])
    content = path.read_bytes()
    path.unlink()

    result = open_site.sync()
    assert list(result.failed) == [general["name"]]
    assert sorted(result.published) == sorted(catalog[k]["name"] for k in OPEN_KEYS
                                              if k != "general")
    assert _hidden_from_public(open_site, general["id"])

    path.write_bytes(content)
    assert open_site.sync().published == [general["name"]]
    assert general["id"] in _public_ids(open_site)


def test_command_runs_the_sync_and_queues_the_job(open_site, catalog, cli, ckan_config,
                                                  monkeypatch, with_extended_cli):
    monkeypatch.setitem(ckan_config, "govshare.open_site.url", open_site.url)
    monkeypatch.setitem(ckan_config, "govshare.open_site.api_token", open_site.token)

    ran = cli.invoke(ckan_command, ["govshare", "sync-open"])
    assert ran.exit_code == 0, ran.output
    assert "published 3, unchanged 0" in ran.output

    queued = cli.invoke(ckan_command, ["govshare", "sync-open", "--enqueue"])
    assert queued.exit_code == 0, queued.output
    job = jobs.job_from_id(queued.output.split()[-1])
    try:
        assert job.func_name == "ckanext.govshare.sync.run_job"
        assert job.perform()["writes"] == 0
    finally:
        job.delete()
