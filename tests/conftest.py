"""Shared fixtures: a clean database and index per test, and catalog factories.

Tests run against the real PostgreSQL, Solr and Redis that `make test` starts
(config/test.ini). Under pytest-xdist each worker has a site of its own (database, DataStore
database, Solr core, Redis database, storage), made by scripts/stack.sh and written in
.stack/test_<worker>.ini: ``pytest_configure`` puts its addresses into the environment
variables CKAN reads over any ini (``WORKER_ENV``), so that this process and every
``ckan -c config/test.ini ...`` it starts use the worker's site.
"""
from __future__ import annotations

import configparser
import contextlib
import itertools
import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from ckan.config.environment import CONFIG_FROM_ENV_VARS
from ckan.tests import factories, helpers

ROOT = Path(__file__).resolve().parent.parent
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under xdist, else ""
SITE_OPTIONS = ("sqlalchemy.url", "ckan.datastore.write_url", "ckan.datastore.read_url",
                "solr_url", "ckan.redis.url", "ckan.storage_path")
WORKER_ENV = {CONFIG_FROM_ENV_VARS[option]: "" for option in SITE_OPTIONS}


def pytest_configure(config: pytest.Config) -> None:
    if not WORKER:
        return
    ini = ROOT / ".stack" / f"test_{WORKER}.ini"
    if not ini.is_file():
        raise pytest.UsageError(f"{ini} is missing: run the tests with `make test` (or "
                                f"GOVSHARE_TEST_WORKERS=N make test), which makes each worker's site")
    site = configparser.ConfigParser(interpolation=None)
    site.read(ini)
    for option in SITE_OPTIONS:
        WORKER_ENV[CONFIG_FROM_ENV_VARS[option]] = site["app:main"][option]
    os.environ.update(WORKER_ENV)


def other_site_env(**extra: str) -> dict[str, str]:
    """The environment for a CKAN command of another site (its own ini): this one's without
    the worker's addresses, which CKAN would read over that ini's."""
    env = {k: v for k, v in os.environ.items() if k not in WORKER_ENV}
    env.update(extra)
    return env


def worker_name(name: str) -> str:
    """A name of the test run made the worker's own (``govshare_restore_test_gw1``), for
    databases and the like that a test makes besides its site."""
    return f"{name}_{WORKER}" if WORKER else name


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadgroup, with the tests of a module (of a class, for a class) kept together
    on one worker, in their order, as they run without xdist: module- and class-scoped worlds
    are built once, and what a module's tests leave for each other stays theirs. Each
    ``xdist_group`` mark is one unit, as in loadgroup."""
    from xdist.scheduler import LoadScopeScheduling

    if config.getvalue("dist") != "loadgroup":
        return None

    class ScopeOrGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return nodeid.split("@")[-1]
            return super()._split_scope(nodeid)

    return ScopeOrGroup(config, log)


_codes = itertools.count(1)

# A valid 统一社会信用代码 generator: 18 characters, GB 32100 check digit.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(serial: int) -> str:
    body = f"11410600{serial:09d}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def make_department(**kwargs: Any) -> dict[str, Any]:
    serial = next(_codes)
    data = {"department_code": uscc(serial), "region_level": "city",
            "title": f"测试部门{serial}"}
    data.update(kwargs)
    return factories.Organization(**data)


def entry_data(org: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A valid departmental, unconditional, general-open entry; override as needed."""
    serial = next(_codes)
    data = {
        "title": f"测试信息资源{serial}",
        "notes": "用于测试的信息资源",
        "owner_org": org["id"],
        "resource_code": f"301001/{serial:06d}",
        "resource_class": "department",
        "share_type": "unconditional",
        "share_method": ["api"],
        "open_type": "general",
        "update_frequency": "monthly",
        "publish_date": "2024-01-15",
        "format_class": "document",
        # registered (备案) unless a test says otherwise: only sysadmins and internal calls
        # may set it (tests/test_catalog.py covers the way through submit and confirm)
        "catalog_state": "registered",
    }
    data.update(kwargs)
    return data


@pytest.fixture(autouse=True)
def _plugins(with_plugins):
    """Every test runs with the plugins of config/test.ini, as the portal does."""


_migrated_to_head: set[str] = set()  # plugins whose migrations are at head in this database


@pytest.fixture(scope="session")
def reset_db():
    """CKAN's reset (``model.repo.rebuild_db``: every table of its metadata emptied but
    ``alembic_version``), with one query for the tables that exist and one round trip for the
    DELETEs, where CKAN asks for each table and deletes from each in turn."""
    from ckan import model
    from sqlalchemy import text
    from sqlalchemy.orm import close_all_sessions

    factories.fake.unique.clear()

    def reset() -> None:
        if not model.repo.tables_created_and_initialised:
            helpers.reset_db()  # the first time: CKAN drops and creates the tables
            _migrated_to_head.clear()
            return
        close_all_sessions()
        model.repo.session.remove()
        connection = model.repo.session.connection()
        existing = set(connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())
        tables = [t.name for t in reversed(model.repo.metadata.sorted_tables)
                  if t.name != "alembic_version" and t.name in existing]
        if tables:
            connection.exec_driver_sql("; ".join(f'DELETE FROM "{name}"' for name in tables))
        model.repo.session.commit()
        model.repo.session.remove()
        model.repo.init_db()
        model.repo.session.flush()

    return reset


@pytest.fixture(scope="session")
def migrate_db_for():
    """CKAN's ``migrate_db_for``; a plugin already migrated to head in this session is not
    asked again (the reset empties tables and keeps them: its schema stays at head)."""
    from ckan.cli.db import _run_migrations

    def runner(plugin: str, version: str = "head", forward: bool = True) -> None:
        to_head = (version, forward) == ("head", True)
        if to_head and plugin in _migrated_to_head:
            return
        _run_migrations(plugin, version, forward)
        if to_head:
            _migrated_to_head.add(plugin)
        else:
            _migrated_to_head.discard(plugin)

    return runner


@pytest.fixture
def clean_db(reset_db, migrate_db_for):
    """An empty database with CKAN's and the enabled plugins' migrations."""
    reset_db()
    migrate_db_for("activity")
    migrate_db_for("govshare")
    migrate_db_for("harvest")


ASSUMED_CALENDAR_NOTE = ("TEST ONLY, not the official arrangement: weekends and 1 January off "
                         "(测试用假定安排，非国务院办公厅公布)")


@pytest.fixture
def known_calendar(clean_db):
    assume_calendar()


def assume_calendar() -> None:
    """Tests must not depend on the real date: from mid-December a 10-working-day deadline
    reaches into next year, which the platform refuses while nobody has entered it. For this
    year and the next, when the holidays package does not know them, enter a clearly-labelled
    assumed arrangement (not the official one)."""
    import datetime

    from ckan import model

    from ckanext.govshare import workdays
    from ckanext.govshare.model import CalendarDay, CalendarYear

    this_year = workdays.today().year
    for year in (this_year, this_year + 1):
        if not workdays.is_known(year):
            model.Session.add(CalendarYear(year=year, note=ASSUMED_CALENDAR_NOTE))
            model.Session.flush()
            model.Session.add(CalendarDay(day=datetime.date(year, 1, 1), year=year, kind="holiday"))
    model.Session.commit()


@pytest.fixture
def department(clean_db):
    return make_department()


@pytest.fixture
def sysadmin_context(clean_db):
    user = factories.Sysadmin()
    return {"user": user["name"], "ignore_auth": False}


def create_entry(context: dict[str, Any], org: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return helpers.call_action("package_create", dict(context), **entry_data(org, **kwargs))


def make_user(org: dict[str, Any] | None = None, role: str = "member", **kwargs: Any) -> dict[str, Any]:
    """A user, member of ``org`` in ``role`` when given."""
    user = factories.User(**kwargs)
    if org is not None:
        helpers.call_action("organization_member_create", id=org["id"],
                            username=user["name"], role=role)
    return user


def as_user(user: dict[str, Any] | None) -> dict[str, Any]:
    """An action context for this user (anonymous when None), with auth checks on."""
    return {"user": user["name"] if user else "", "ignore_auth": False}


class _SMTPSink(socketserver.ThreadingTCPServer):
    """A real SMTP server (the commands smtplib sends) that keeps what it gets."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPSession)
        self.received: list[tuple[list[str], bytes]] = []

    @property
    def address(self) -> str:
        return "127.0.0.1:%d" % self.server_address[1]


class _SMTPSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 govshare test sink")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink")
            elif verb == b"RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.received.append((recipients, b"".join(lines)))
                recipients = []
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RSET, NOOP
                self.reply("250 ok")


@contextlib.contextmanager
def sql_statements() -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements, with their parameters, that the site's engine runs in the block."""
    from ckan import model
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, *_rest) -> None:
        seen.append((statement, parameters))

    event.listen(model.meta.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(model.meta.engine, "before_cursor_execute", keep)


def free_port() -> int:
    """A port nothing listens on (tests on this machine run in parallel: no fixed port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server_later(ckan_config, monkeypatch):
    """A function that starts a real SMTP server on a free port and sets it as smtp.server
    (for tests where the mail server comes up later)."""
    servers: list[_SMTPSink] = []

    def start() -> _SMTPSink:
        server = _SMTPSink()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        monkeypatch.setitem(ckan_config, "smtp.server", server.address)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def smtp_server(smtp_server_later):
    """A real SMTP server, set as smtp.server for the test, keeping what it gets."""
    return smtp_server_later()


@pytest.fixture
def no_smtp_server(ckan_config, monkeypatch):
    """smtp.server points at a port where nothing listens."""
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{free_port()}")


def run_jobs() -> int:
    from ckan.lib import jobs
    queue = jobs.get_queue()
    done = 0
    for job in queue.jobs:
        job.perform()
        job.delete()
        done += 1
    return done


def sweep_outbox() -> dict[str, int]:
    """What the RQ worker does after a change: send the outbox's due emails."""
    from ckanext.govshare import outbox
    return outbox.sweep()


__all__ = ["uscc", "make_department", "entry_data", "create_entry", "make_user", "as_user",
           "run_jobs", "free_port", "assume_calendar", "sweep_outbox", "ROOT", "WORKER", "other_site_env", "worker_name"]
