"""Two platforms over HTTP for the harvest tests: the city (this test process's site, served
by a second process on the same database and core) and the province (a CKAN of its own:
database, DataStore database, Solr core ckan_province_test, Redis database, storage).

Each is a real ``ckan run`` server; harvests run as ckanext-harvest's own command
(``ckan harvester run-test``) on the harvesting platform, so the harvester fetches the other
platform's DCAT catalog over HTTP, page by page, as in production.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit, urlunsplit

import ckanapi
import psycopg2
import pytest
import requests

from conftest import ROOT, SITE_OPTIONS, free_port, other_site_env, worker_name

CKAN = str(Path(sys.executable).with_name("ckan"))
TEST_INI = ROOT / "config" / "test.ini"
PROVINCE_CORE, PROVINCE_REDIS_DB = "ckan_province_test", "6"


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _services() -> dict[str, str]:
    """This process's site (under xdist the worker's, tests/conftest.py)."""
    from ckan.common import config
    return {option: config[option] for option in SITE_OPTIONS}


@contextlib.contextmanager
def _postgres(dbname: str) -> Iterator[Any]:
    """A superuser cursor (the local PostgreSQL trusts TCP: initdb --auth=trust)."""
    url = urlsplit(_services()["sqlalchemy.url"])
    connection = psycopg2.connect(host=url.hostname, port=url.port, user="postgres",
                                  dbname=dbname)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


@dataclass
class Platform:
    """A CKAN served over HTTP from its own ini."""
    name: str
    ini: Path
    url: str
    own: bool  # a site of its own (not this process's): its commands drop the worker's env
    server: Optional[subprocess.Popen] = None
    tokens: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return other_site_env() if self.own else dict(os.environ)

    def ckan(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([CKAN, "-c", str(self.ini), *args], capture_output=True,
                              text=True, env=self.env())
        if check:
            assert done.returncode == 0, (f"{self.name}: ckan {' '.join(args)}:\n"
                                          f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done

    def api(self, token: Optional[str] = None) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, apikey=token)

    def token(self, user: str) -> str:
        """An API token of ``user`` (``ckan user token add`` prints it bare)."""
        if user not in self.tokens:
            self.tokens[user] = self.ckan("user", "token", "add", user, "harvest").stdout.strip()
        return self.tokens[user]

    def harvest(self, source_id: str, admin: ckanapi.RemoteCKAN) -> dict[str, int]:
        """One harvest job of the source with ckanext-harvest's command, which must end
        without a gather or import error; the job's counts (added, updated, ...)."""
        self.ckan("harvester", "run-test", source_id)
        job = admin.action.harvest_source_show_status(id=source_id)["last_job"]
        report = admin.action.harvest_job_report(id=job["id"])
        assert job["stats"].get("errored", 0) == 0 and not report["gather_errors"], (
            f"{self.name} harvest of {source_id}: {job['stats']} {report['gather_errors']} "
            f"{json.dumps(report['object_errors'], ensure_ascii=False)[:3000]}")
        return job["stats"]

    def start(self, log: Path) -> None:
        port = urlsplit(self.url).port
        with log.open("wb") as output:
            self.server = subprocess.Popen(
                [CKAN, "-c", str(self.ini), "run", "-H", "127.0.0.1", "-p", str(port),
                 "--disable-reloader"],
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True, env=self.env())
        for _ in range(240):
            if self.server.poll() is not None:
                pytest.fail(f"{self.name} exited:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/api/3/action/status_show", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        pytest.fail(f"{self.name} did not answer in 120 s:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.server is None:
            return
        os.killpg(self.server.pid, signal.SIGTERM)
        try:
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait()


def _shared_namespace() -> str:
    """The govshare namespace both platforms use (as platforms that exchange catalogs must:
    terms are read by IRI): this process's."""
    from ckanext.govshare import vocab
    return f"govshare.rdf.namespace = {vocab.namespace()}"


def city(tmp: Path, **settings: str) -> Platform:
    """This process's site (its database and core) served over HTTP at its own address, so
    that the links in its catalog (hydra:next, landing pages) lead back to it."""
    port = free_port()
    ini = tmp / "city.ini"
    lines = ["[app:main]", f"use = config:{TEST_INI}", f"ckan.site_url = http://127.0.0.1:{port}",
             _shared_namespace()]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    ini.write_text("\n".join(lines + [""]))
    return Platform("city", ini, f"http://127.0.0.1:{port}", own=False)


def province(tmp: Path, **settings: str) -> Platform:
    """An empty platform of its own: new databases (made when missing, cleaned), the
    ckan_province_test core (emptied), a Redis database and storage of its own."""
    services = _services()
    db = worker_name("govshare_province_test")
    port = free_port()
    ini = tmp / "province.ini"
    datastore = f"/{db}_datastore"
    lines = [
        "[app:main]",
        f"use = config:{TEST_INI}",
        f"sqlalchemy.url = {_with_path(services['sqlalchemy.url'], '/' + db)}",
        f"ckan.datastore.write_url = {_with_path(services['ckan.datastore.write_url'], datastore)}",
        f"ckan.datastore.read_url = {_with_path(services['ckan.datastore.read_url'], datastore)}",
        f"solr_url = {_with_path(services['solr_url'], '/solr/' + PROVINCE_CORE)}",
        f"ckan.redis.url = {_with_path(services['ckan.redis.url'], '/' + PROVINCE_REDIS_DB)}",
        f"ckan.storage_path = {tmp / 'province_storage'}",
        f"ckan.site_url = http://127.0.0.1:{port}",
        "ckan.site_id = govshare_province_test",
        "ckan.site_title = 省政务数据共享平台",
        _shared_namespace(),
    ]
    lines += [f"{k} = {v}" for k, v in settings.items()]
    ini.write_text("\n".join(lines + [""]))
    site = Platform("province", ini, f"http://127.0.0.1:{port}", own=True)
    for name in (db, f"{db}_datastore"):
        with _postgres("postgres") as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if not cursor.fetchone():
                cursor.execute(f"CREATE DATABASE {name} OWNER ckan ENCODING 'UTF8' "
                               "TEMPLATE template0")
                if name.endswith("_datastore"):
                    script = "\n".join(
                        line for line in site.ckan("datastore", "set-permissions").stdout
                        .splitlines() if not line.startswith("\\"))
                    with _postgres(name) as datastore_cursor:
                        datastore_cursor.execute(script)
    site.ckan("db", "clean", "--yes")
    site.ckan("db", "upgrade")
    site.ckan("db", "pending-migrations", "--apply")
    site.ckan("search-index", "clear")
    site.ckan("user", "add", "provadmin", "email=provadmin@province.localhost",
              "password=Province-admin-2024", "sysadmin=True")
    return site
