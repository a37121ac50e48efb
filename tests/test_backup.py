"""`ckan govshare backup` / `restore`: a portal backed up and restored into fresh databases,
a fresh FileStore and an emptied index is the same portal, every access rule included.

The portal is the access world of tests/access_fixtures.py (every kind of user, an entry of
each share type × open type with an uploaded file, DataStore rows, views and grants) plus
share requests (approved and pending, with their audit rows). What each kind of user sees of
it is read over the API before the backup (this process, config/test.ini) and after the
restore (a `ckan run` of the restored site): the same entries in searches, the same resource
URLs, the same files, DataStore rows, activity and requests, given and refused alike. The
databases are compared table by table, the FileStore file by file, and the rebuilt search
index document by document with the one CKAN wrote while the portal was built.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import requests
from ckan.lib.search.common import make_connection
from ckan.tests import helpers

from access_fixtures import COMBINATIONS, USER_KINDS, World, build_world
from conftest import SITE_OPTIONS, free_port, other_site_env

ROOT = Path(__file__).resolve().parent.parent
CKAN = str(Path(sys.executable).with_name("ckan"))
TEST_INI = ROOT / "config" / "test.ini"
TARGET_DB, TARGET_REDIS_DB = "govshare_restore_test", "5"
FUTURE = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()
TODAY = datetime.date.today().isoformat()

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "known_calendar")

Get = Callable[[str, dict[str, str]], tuple[int, bytes]]


# ------------------------------------------------------------------ the stack

def _services() -> dict[str, str]:
    """This portal's service addresses (under xdist its worker's, tests/conftest.py)."""
    from ckan.common import config
    return {option: config[option] for option in SITE_OPTIONS}


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


@contextlib.contextmanager
def _postgres(dbname: str) -> Iterator[Any]:
    """A superuser cursor (the local PostgreSQL trusts TCP: initdb --auth=trust)."""
    url = urlsplit(_services()["sqlalchemy.url"])
    connection = psycopg2.connect(host=url.hostname, port=url.port, user="postgres", dbname=dbname)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def _ckan(ini: Path, *args: str) -> subprocess.CompletedProcess:
    """A command on this portal (TEST_INI) or on the restored one (its own ini)."""
    env = None if ini == TEST_INI else other_site_env()
    return subprocess.run([CKAN, "-c", str(ini), *args], capture_output=True, text=True, env=env)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def target(tmp_path) -> Path:
    """The ini of an empty stack: new databases (the DataStore's with CKAN's permissions
    script, as an operator prepares it), a new FileStore, the test Solr core (emptied by
    the restore)."""
    services = _services()
    ini = tmp_path / "restored.ini"
    datastore = f"/{TARGET_DB}_datastore"
    ini.write_text("\n".join([
        "[app:main]",
        f"use = config:{TEST_INI}",
        f"sqlalchemy.url = {_with_path(services['sqlalchemy.url'], '/' + TARGET_DB)}",
        f"ckan.datastore.write_url = {_with_path(services['ckan.datastore.write_url'], datastore)}",
        f"ckan.datastore.read_url = {_with_path(services['ckan.datastore.read_url'], datastore)}",
        f"ckan.redis.url = {_with_path(services['ckan.redis.url'], '/' + TARGET_REDIS_DB)}",
        f"solr_url = {services['solr_url']}",
        f"ckan.storage_path = {tmp_path / 'restored-storage'}",
        "",
    ]))
    for name in (TARGET_DB, f"{TARGET_DB}_datastore"):
        with _postgres("postgres") as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {name} OWNER ckan ENCODING 'UTF8' TEMPLATE template0")
    script = "\n".join(line for line in _ok(_ckan(ini, "datastore", "set-permissions")).splitlines()
                       if not line.startswith("\\"))
    with _postgres(f"{TARGET_DB}_datastore") as cursor:
        cursor.execute(script)
    return ini


@contextlib.contextmanager
def _serving(ini: Path, log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [CKAN, "-c", str(ini), "run", "-H", "127.0.0.1", "-p", str(port), "--disable-reloader"],
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True, env=other_site_env())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            assert server.poll() is None, f"the restored site exited:\n{log.read_text()[-3000:]}"
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{url}/api/3/action/status_show", timeout=2).ok:
                    break
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# ------------------------------------------------------------------ the portal

def _requests(world: World) -> None:
    """An approved request (a new grant, so other-dept gets a conditional entry's data),
    a pending one and a refused one: rows and audit rows of the workflow."""
    def request(kind: str, code: str) -> dict[str, Any]:
        entry = next(e for e in world.entries if e.code == code)
        return helpers.call_action(
            "govshare_request_create", {"user": world.users[kind], "ignore_auth": False},
            package_id=entry.id, usage_scope=["work_reference"], purpose="核验业务数据",
            basis="《政务信息资源共享管理暂行办法》", period_start=TODAY, period_end=FUTURE,
            contact="李四 0392-7654321")
    decider = {"user": world.provider_admin, "ignore_auth": False}
    helpers.call_action("govshare_request_approve", dict(decider),
                        id=request("other_dept", "cc")["id"], comment="同意")
    helpers.call_action("govshare_request_refuse", dict(decider),
                        id=request("expired_dept", "cc")["id"], reason="用途不符")
    request("expired_dept", "cg")


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _json(status: int, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return {"status": status, "body": _digest(body)}


def _download(answer: tuple[int, bytes]) -> tuple[int, Any]:
    """The file's content when given; a refusal's page (it has a CSRF token) by its status."""
    status, body = answer
    return status, body.decode() if status == 200 else None


def _observe(get: Get, world: World) -> dict[str, Any]:
    """What every kind of user gets from the API and the download pages."""
    def api(action: str, headers: dict[str, str], **params: Any) -> tuple[int, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        status, body = get(f"/api/3/action/{action}?{query}", headers)
        answer = _json(status, body)
        return status, answer.get("result", answer.get("error"))

    seen: dict[str, Any] = {}
    admin = world.headers("sysadmin")
    uploads = {e.upload_id: urlsplit(next(r["url"] for r in api("package_show", admin, id=e.id)[1]
                                          ["resources"] if r["id"] == e.upload_id)).path
               for e in world.entries}
    for kind in USER_KINDS:
        headers = world.headers(kind)
        status, found = api("package_search", headers, q="*:*", rows=1000, sort="name%20asc")
        mine: dict[str, Any] = {"search": [(p["id"], [(r["id"], r["url"]) for r in p["resources"]])
                                           for p in found["results"]],
                                "requests": api("govshare_request_list", headers)}
        for entry in world.entries:
            status, shown = api("package_show", headers, id=entry.id)
            mine[entry.code] = {
                "show": (status, [(r["id"], r["url"], r.get("data_access"))
                                  for r in shown.get("resources", [])] if status == 200 else shown),
                "file": _download(get(uploads[entry.upload_id], headers)),
                "rows": api("datastore_search", headers, resource_id=entry.upload_id),
                "activity": api("package_activity_list", headers, id=entry.id),
            }
        seen[kind] = mine
    return seen


def _in_process(app) -> Get:
    def get(path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = app.get(path, headers=headers)
        return response.status_code, response.get_data()
    return get


def _over_http(url: str) -> Get:
    def get(path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        response = requests.get(url + path, headers=headers, timeout=30, allow_redirects=False)
        return response.status_code, response.content
    return get


def _tables(dbname: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows."""
    with _postgres(dbname) as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                       "AND relkind = 'r' ORDER BY relname")
        found = {}
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY '
                           f't::text), \'\')) FROM "{table}" t')
            found[table] = cursor.fetchone()
    return found


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _digest(p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file() and "webassets" not in p.parts}


def _index() -> dict[str, dict[str, Any]]:
    """The test core's documents, less what Solr adds at indexing time."""
    docs = make_connection(decode_dates=False).search("*:*", rows=10000, fl="*")
    return {d["id"]: {k: v for k, v in d.items() if k not in ("_version_", "indexed_ts")}
            for d in docs}


def _build(app) -> World:
    with app.flask_app.test_request_context():
        world = build_world("combined")
        _requests(world)
    return world


# ------------------------------------------------------------------ the tests

def test_a_restored_portal_is_the_portal_that_was_backed_up(app, target, tmp_path):
    world = _build(app)
    assert len(world.entries) == len(COMBINATIONS) + 1  # and a draft
    before = _observe(_in_process(app), world)
    services = _services()
    source_db = urlsplit(services["sqlalchemy.url"]).path.strip("/")
    tables = {db: _tables(db) for db in (source_db, f"{source_db}_datastore")}
    files, index = _files(Path(services["ckan.storage_path"])), _index()
    assert any(t.startswith("govshare_") and rows for t, (rows, _) in tables[source_db].items())

    backup = tmp_path / "backup"
    _ok(_ckan(TEST_INI, "govshare", "backup", str(backup)))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert set(manifest["files"]) == {"ckan.dump", "datastore.dump", "filestore.tar"}
    assert manifest["revisions"]["govshare"] and manifest["versions"]["ckan"].startswith("2.12")

    restored = _ok(_ckan(target, "govshare", "restore", str(backup)))
    assert f"search index: {len(world.entries)} entries" in restored
    assert _tables(TARGET_DB) == tables[source_db]
    assert _tables(f"{TARGET_DB}_datastore") == tables[f"{source_db}_datastore"]
    assert _files(tmp_path / "restored-storage") == files
    assert _index() == index  # the batched rebuild writes what CKAN's indexing wrote
    _ok(_ckan(target, "govshare", "reindex", "--workers", "2", "--batch-size", "2"))
    assert _index() == index  # and so do parallel workers

    with _serving(target, tmp_path / "restored.log") as url:
        after = _observe(_over_http(url), world)
    for kind in USER_KINDS:
        assert after[kind] == before[kind], kind
    # The rules were exercised: something was given and something refused.
    files_got = {o["file"] for kind in before.values() for code, o in kind.items()
                 if code in {e.code for e in world.entries}}
    assert {(403, None), (404, None)} < files_got
    assert {(200, e.file_bytes.decode()) for e in world.entries} < files_got


def test_a_damaged_backup_or_a_used_target_is_refused_naming_it(app, target, tmp_path):
    with app.flask_app.test_request_context():
        build_world("combined")
    backup = tmp_path / "backup"
    _ok(_ckan(TEST_INI, "govshare", "backup", str(backup)))

    again = _ckan(TEST_INI, "govshare", "backup", str(backup))
    assert again.returncode == 1 and "is not an empty directory" in again.stderr
    assert "Traceback" not in again.stderr

    used = _ckan(TEST_INI, "govshare", "restore", str(backup))  # the portal's own databases
    assert used.returncode == 1 and "is not empty" in used.stderr and "--replace" in used.stderr

    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    with (damaged / "datastore.dump").open("r+b") as dump:
        dump.seek(100)
        byte = dump.read(1)
        dump.seek(100)
        dump.write(bytes([byte[0] ^ 0xFF]))
    refused = _ckan(target, "govshare", "restore", str(damaged))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"{damaged / 'datastore.dump'} is damaged" in refused.stderr
    with _postgres(TARGET_DB) as cursor:  # nothing was restored
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert cursor.fetchone()[0] == 0
