"""Backing the portal up and bringing it back: what is state, and what is rebuilt.

State is CKAN's database, the DataStore's database and the FileStore (``ckan.storage_path``).
The search index is not state: it is made again from the database, in batches
(:func:`reindex`). A backup is a directory holding

* ``ckan.dump`` and ``datastore.dump``: ``pg_dump --format=custom`` of each database, each a
  consistent snapshot taken while the portal serves (one transaction per database; CKAN's
  first, so that the DataStore never lacks a table of a resource in CKAN's dump);
* ``filestore.tar``: the FileStore after the dumps (so every upload of a resource in the dump
  is there), each file copied only when unchanged during its copy;
* ``manifest.json``: versions, migration revisions, creation time and every file's size and
  sha256, written last: a directory without it is no backup.

A restore goes into an empty stack only: ``pg_restore`` then creates and fills tables
(COPY, never UPDATE or DELETE), so tables that refuse changes (the audit trail) restore too.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import ckan
import ckan.plugins.toolkit as tk
from ckan import plugins
import pysolr
import sqlalchemy as sa
from sqlalchemy.engine import make_url

MANIFEST = "manifest.json"
CKAN_DUMP = "ckan.dump"
DATASTORE_DUMP = "datastore.dump"
FILESTORE = "filestore.tar"
FORMAT = 1
# Made again by CKAN at start (compiled assets), not state.
REBUILT_DIRS = ("webassets",)
_COPY_ATTEMPTS = 5
_SPOOL_BYTES = 32 * 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


# ---------------------------------------------------------------------- databases

@dataclass(frozen=True)
class Database:
    """A PostgreSQL database named by a SQLAlchemy URL (its password never on a command line)."""

    url: str

    @property
    def _parts(self) -> Any:
        return make_url(self.url)

    @property
    def name(self) -> str:
        return self._parts.database or ""

    def args(self) -> list[str]:
        parts = self._parts
        args = ["--dbname", parts.database or ""]
        if parts.host:
            args += ["--host", parts.host]
        if parts.port:
            args += ["--port", str(parts.port)]
        if parts.username:
            args += ["--username", parts.username]
        return args + ["--no-password"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self._parts.password:
            env["PGPASSWORD"] = self._parts.password
        return env

    @contextlib.contextmanager
    def connect(self) -> Iterator[sa.engine.Connection]:
        engine = sa.create_engine(self._parts.set(drivername="postgresql"), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                yield connection
        except sa.exc.OperationalError as error:
            raise BackupError(f"cannot connect to database {self.name}: {error.orig}") from None
        finally:
            engine.dispose()

    def server_major(self) -> int:
        with self.connect() as connection:
            return int(connection.execute(sa.text("SHOW server_version_num")).scalar()) // 10000

    def tables(self) -> list[str]:
        """Tables, sequences and views of schema public, less the DataStore's own bookkeeping
        (names beginning with ``_``, made by ``datastore set-permissions`` in an empty
        database; resources' tables are named by their ids)."""
        with self.connect() as connection:
            return list(connection.execute(sa.text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind IN ('r', 'p', 'S', 'v', 'm') AND NOT starts_with(relname, '_') "
                "ORDER BY relname")).scalars())


def _databases() -> dict[str, Database]:
    """The dump file of each database this portal keeps state in."""
    found = {CKAN_DUMP: Database(tk.config["sqlalchemy.url"])}
    if plugins.plugin_loaded("datastore") and tk.config.get("ckan.datastore.write_url"):
        found[DATASTORE_DUMP] = Database(tk.config["ckan.datastore.write_url"])
    return found


def _tool_major(path: str) -> Optional[int]:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_major: int) -> str:
    """``pg_dump`` / ``pg_restore`` able to work with a server of that major version:
    from ``govshare.backup.pg_bin`` when set, else the PATH's, else the newest of
    ``/usr/lib/postgresql/*/bin`` (Debian keeps each major version there)."""
    configured = tk.config.get("govshare.backup.pg_bin")
    if configured:
        candidates = [os.path.join(configured, name)]
    else:
        versioned = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                           key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
        candidates = [c for c in [shutil.which(name), *map(str, versioned)] if c]
    for candidate in candidates:
        major = _tool_major(candidate)
        if major is not None and major >= server_major:
            return candidate
    where = f"govshare.backup.pg_bin = {configured}" if configured else "PATH or /usr/lib/postgresql/*/bin"
    raise BackupError(f"no {name} of PostgreSQL {server_major} or newer in {where}: install the "
                      f"PostgreSQL client (Debian: postgresql-client-{server_major}) or set "
                      f"govshare.backup.pg_bin")


def _run(command: list[str], database: Database, what: str) -> None:
    done = subprocess.run(command, env=database.env(), capture_output=True, text=True)
    if done.returncode:
        detail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BackupError(f"{what} failed (database {database.name}):\n{detail}")


# ---------------------------------------------------------------------- versions

def _installed_versions() -> dict[str, str]:
    return {"ckan": ckan.__version__,
            "ckanext-govshare": importlib.metadata.version("ckanext-govshare")}


def _revisions(database: Database) -> dict[str, str]:
    """The migration revision of CKAN (``alembic_version``) and of each plugin
    (``<plugin>_alembic_version``) in a database."""
    found = {}
    with database.connect() as connection:
        tables = connection.execute(sa.text(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' AND relname LIKE '%alembic_version'")).scalars().all()
        for table in tables:
            source = "ckan" if table == "alembic_version" else table[:-len("_alembic_version")]
            found[source] = connection.execute(
                sa.text(f'SELECT version_num FROM "{table}"')).scalar() or ""
    return found


def _head(source: str) -> Optional[str]:
    """The newest migration revision this installation has for CKAN or a plugin
    (None for a plugin that is not enabled here)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from ckan.cli.db import _resolve_alembic_config  # CKAN's own lookup of a plugin's migrations

    if source != "ckan" and not plugins.plugin_loaded(source):
        return None
    alembic_ini = _resolve_alembic_config("" if source == "ckan" else source)
    return ScriptDirectory.from_config(Config(alembic_ini)).get_current_head()


# ---------------------------------------------------------------------- files

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _storage_path() -> Optional[Path]:
    path = tk.config.get("ckan.storage_path")
    return Path(path) if path else None


def _stored_files(root: Path) -> Iterator[Path]:
    for directory, subdirs, files in os.walk(root):
        if Path(directory) == root:
            subdirs[:] = [d for d in subdirs if d not in REBUILT_DIRS]
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_file() and not path.is_symlink():
                yield path


def _stable_copy(path: Path, spool_dir: Path) -> Optional[tuple[Any, os.stat_result]]:
    """The file's bytes as they were while it did not change (a portal writes uploads
    in place), with its status; None if it was deleted meanwhile."""
    for _ in range(_COPY_ATTEMPTS):
        try:
            before = path.stat()
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES, dir=spool_dir)
            with path.open("rb") as source:
                shutil.copyfileobj(source, spool, 1024 * 1024)
            after = path.stat()
        except FileNotFoundError:
            return None
        if ((before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)
                and spool.tell() == after.st_size):
            spool.seek(0)
            return spool, after
        spool.close()
        time.sleep(0.2)
    raise BackupError(f"{path} kept changing during {_COPY_ATTEMPTS} copies; run the backup again")


def _archive_filestore(root: Path, target: Path) -> dict[str, int]:
    files = size = 0
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in _stored_files(root):
            copied = _stable_copy(path, target.parent)
            if copied is None:
                continue
            spool, status = copied
            with spool:
                info = tarfile.TarInfo(path.relative_to(root).as_posix())
                info.size, info.mtime, info.mode = status.st_size, status.st_mtime, 0o644
                tar.addfile(info, spool)
            files, size = files + 1, size + status.st_size
    return {"files": files, "bytes": size}


# ---------------------------------------------------------------------- backup

def create(directory: Path, progress: Progress = lambda message: None) -> dict[str, Any]:
    """Write a backup into ``directory`` (new or empty) and return its manifest."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty directory: a backup goes into a new "
                          f"or empty one, so that it never mixes with another")
    made = not directory.exists()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # it holds password hashes and tokens
    try:
        return _write(directory, progress)
    except BaseException:
        for path in directory.iterdir():
            path.unlink()
        if made:
            directory.rmdir()
        raise


def _write(directory: Path, progress: Progress) -> dict[str, Any]:
    databases = _databases()
    revisions = _revisions(databases[CKAN_DUMP])
    majors = {name: db.server_major() for name, db in databases.items()}
    created = datetime.datetime.now(datetime.timezone.utc)
    for name, database in databases.items():
        started = time.monotonic()
        _run([pg_tool("pg_dump", majors[name]), "--format=custom", "--file",
              str(directory / name), *database.args()], database, "pg_dump")
        progress(f"{name}: database {database.name} in {time.monotonic() - started:.1f} s")
    filestore = {"files": 0, "bytes": 0}
    root = _storage_path()
    if root is not None and root.is_dir():
        started = time.monotonic()
        filestore = _archive_filestore(root, directory / FILESTORE)
        progress(f"{FILESTORE}: {filestore['files']} files, {filestore['bytes']} bytes "
                 f"in {time.monotonic() - started:.1f} s")
    manifest = {
        "format": FORMAT,
        "created_at": created.isoformat(timespec="seconds"),
        "versions": _installed_versions(),
        "revisions": revisions,
        "postgresql": majors[CKAN_DUMP],
        "site_id": tk.config.get("ckan.site_id"),
        "filestore": filestore,
        "files": {path.name: {"size": path.stat().st_size, "sha256": _sha256(path)}
                  for path in sorted(directory.iterdir())},
    }
    partial = directory / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    partial.rename(directory / MANIFEST)
    return manifest


# ---------------------------------------------------------------------- restore

def verify(directory: Path) -> dict[str, Any]:
    """The backup's manifest once every file matches its size and checksum and the
    backup's versions and migrations are this installation's; a BackupError naming the
    file or version otherwise."""
    directory = Path(directory)
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        files = manifest["files"]
        if manifest.get("format") != FORMAT or CKAN_DUMP not in files:
            raise ValueError(f"format {manifest.get('format')!r}, files {sorted(files)}")
        for field in (manifest["versions"]["ckan"], *manifest["revisions"].values(),
                      *(f[key] for f in files.values() for key in ("size", "sha256"))):
            if not isinstance(field, (str, int)):
                raise ValueError(f"{field!r}")
    except FileNotFoundError:
        raise BackupError(f"{path} is missing: {directory} is no complete backup") from None
    except KeyError as error:
        raise BackupError(f"{path} is not a govshare backup manifest: it lacks {error}") from None
    except (ValueError, TypeError, AttributeError) as error:
        raise BackupError(f"{path} is not a govshare backup manifest: {error}") from None
    for name, expected in sorted(files.items()):
        file = directory / name
        if Path(name).name != name or not file.is_file():
            raise BackupError(f"{file} is missing from the backup")
        if file.stat().st_size != expected["size"] or _sha256(file) != expected["sha256"]:
            raise BackupError(f"{file} is damaged: its size or sha256 differs from {MANIFEST}")
    installed = _installed_versions()
    if manifest["versions"]["ckan"].split(".")[:2] != installed["ckan"].split(".")[:2]:
        raise BackupError(f"the backup was made with CKAN {manifest['versions']['ckan']}, this is "
                          f"CKAN {installed['ckan']}: restore it with the version that made it")
    for source, revision in sorted(manifest["revisions"].items()):
        head = _head(source)
        if head is None:
            raise BackupError(f"the backup has tables of plugin {source}, which is not enabled "
                              f"here (ckan.plugins)")
        if revision != head:
            raise BackupError(
                f"the backup's database is at migration {revision} of {source}, this installation "
                f"at {head}: restore it with the version that made it "
                f"({', '.join(f'{k} {v}' for k, v in manifest['versions'].items())}), then upgrade")
    return manifest


def _toc_without_existing(pg_restore: str, dump: Path, database: Database, directory: Path) -> Path:
    """The dump's table of contents less the definitions of objects the target already
    has (their rows stay): CKAN's ``datastore set-permissions`` makes its bookkeeping
    (``_table_metadata``, an empty ``_table_stats``, functions) in an empty DataStore database."""
    with database.connect() as connection:
        existing = set(connection.execute(sa.text(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "UNION SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
        )).scalars())
    listed = subprocess.run([pg_restore, "--list", str(dump)], capture_output=True, text=True, check=True)
    entry = re.compile(r"^\d+; \d+ \d+ [A-Z ]+? public (\w+)")
    kept = [line for line in listed.stdout.splitlines()
            if " TABLE DATA " in line or not ((match := entry.match(line)) and match.group(1) in existing)]
    toc = directory / f"{dump.name}.toc"
    toc.write_text("\n".join(kept) + "\n")
    return toc


def _restore_database(dump: Path, database: Database, spool: Path) -> None:
    pg_restore = pg_tool("pg_restore", database.server_major())
    toc = _toc_without_existing(pg_restore, dump, database, spool)
    # One transaction: a failed restore leaves the database empty. No --clean: only
    # CREATE and COPY, never DELETE. Owners and grants are the target's (the DataStore's
    # read-only role reads through `ckan datastore set-permissions`, as on any install).
    _run([pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
          "--use-list", str(toc), *database.args(), str(dump)], database, "pg_restore")


def _refuse_nonempty(databases: dict[str, Database], root: Optional[Path]) -> None:
    for database in databases.values():
        if tables := database.tables():
            raise BackupError(
                f"database {database.name} is not empty ({len(tables)} tables, e.g. {tables[0]}): "
                f"restore into a new database, or add --replace to drop what it holds")
    if root is not None and root.is_dir() and next(_stored_files(root), None) is not None:
        raise BackupError(f"the FileStore {root} (ckan.storage_path) holds files: restore into an "
                          f"empty one, or add --replace to delete them")


def _drop_contents(databases: dict[str, Database], root: Optional[Path]) -> None:
    """--replace: the tables, views and sequences of each database and the FileStore's files
    go; the DataStore's bookkeeping stays (see Database.tables), emptied."""
    for database in databases.values():
        with database.connect() as connection:
            for kind, relkinds in (("VIEW", "'v'"), ("TABLE", "'r', 'p'"), ("SEQUENCE", "'S'")):
                names = connection.execute(sa.text(
                    f"SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = "
                    f"'public'::regnamespace AND relkind IN ({relkinds}) "
                    f"AND NOT starts_with(relname, '_')")).scalars().all()
                if names:
                    connection.execute(sa.text(f"DROP {kind} IF EXISTS {', '.join(names)} CASCADE"))
            kept = connection.execute(sa.text(
                "SELECT quote_ident(relname) FROM pg_class WHERE relnamespace = "
                "'public'::regnamespace AND relkind = 'r'")).scalars().all()
            if kept:  # the bookkeeping's rows (row counts) are the backup's
                connection.execute(sa.text(f"TRUNCATE {', '.join(kept)}"))
            connection.commit()
    if root is not None and root.is_dir():
        for path in root.iterdir():
            if path.name not in REBUILT_DIRS:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def restore(directory: Path, replace: bool = False, workers: int = 1,
            progress: Progress = lambda message: None) -> dict[str, Any]:
    """Bring the backup in ``directory`` into this portal's (empty) databases and
    FileStore, then rebuild the search index; returns the manifest."""
    directory = Path(directory)
    manifest = verify(directory)
    progress(f"{directory}: checksums and versions verified")
    databases = {name: db for name, db in _databases().items() if name in manifest["files"]}
    if DATASTORE_DUMP in manifest["files"] and DATASTORE_DUMP not in databases:
        raise BackupError("the backup has a DataStore database but this portal has none: enable "
                          "the datastore plugin and set ckan.datastore.write_url")
    root = _storage_path()
    if FILESTORE in manifest["files"] and root is None:
        raise BackupError("the backup has a FileStore but ckan.storage_path is not set")
    if replace:
        _drop_contents(databases, root)
    else:
        _refuse_nonempty(databases, root)
    with tempfile.TemporaryDirectory() as spool:
        for name, database in databases.items():
            started = time.monotonic()
            _restore_database(directory / name, database, Path(spool))
            progress(f"{name}: restored into {database.name} in {time.monotonic() - started:.1f} s")
    if FILESTORE in manifest["files"] and root is not None:
        started = time.monotonic()
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(directory / FILESTORE) as tar:
            tar.extractall(root, filter="data")
        progress(f"{FILESTORE}: {manifest['filestore']['files']} files into {root} "
                 f"in {time.monotonic() - started:.1f} s")
    from ckan import model
    model.Session.remove()  # forget what was read before the restore
    counted = reindex(clear=True, workers=workers, progress=progress)
    progress(f"search index: {counted['indexed']} entries in {counted['seconds']:.1f} s")
    return manifest


# ---------------------------------------------------------------------- search index

class _Batches:
    """A Solr connection that keeps the documents CKAN adds one at a time and sends
    them ``size`` at a time without committing; everything else goes straight through."""

    def __init__(self, solr: Any, size: int):
        self.solr, self.size, self.docs = solr, size, []

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **kwargs: Any) -> None:
        self.docs.extend(docs)
        if len(self.docs) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.docs:
            self.solr.add(self.docs, commit=False)
            self.docs = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.solr, name)


@contextlib.contextmanager
def _batched_solr(size: int) -> Iterator[_Batches]:
    """CKAN builds each entry's document (package_show, every plugin's
    before_dataset_index, the permission labels) and sends it in one method
    (PackageSearchIndex.index_package); while this is open, what it sends goes to one
    batching connection. Single-threaded use only (a CLI command)."""
    from ckan.lib.search import index

    original = index.make_connection
    batches = _Batches(original(), size)
    index.make_connection = lambda *args, **kwargs: batches
    try:
        yield batches
    finally:
        index.make_connection = original


def _index_entries(ids: list[str], batch_size: int, progress: Progress) -> None:
    from ckan import logic

    with _batched_solr(batch_size) as batches:
        for done, package_id in enumerate(ids, 1):
            logic.index_update_package({"ignore_auth": True}, package_id, defer_commit=True)
            if done % 1000 == 0:
                progress(f"indexed {done}/{len(ids)}")
        batches.flush()


def _index_in_child(ids: list[str], batch_size: int) -> None:
    """A forked worker: its own database connections, its exit code says how it went."""
    from ckan import model

    model.meta.engine.dispose(close=False)  # the parent's connections stay the parent's
    try:
        _index_entries(ids, batch_size, lambda message: None)
    except BaseException as error:
        print(f"indexing failed: {error}", file=sys.stderr)
        os._exit(1)
    os._exit(0)


def _index_in_parallel(ids: list[str], batch_size: int, workers: int) -> None:
    """``workers`` forked processes, one share of the entries each (building the documents,
    package_show, is what takes the time; Solr takes the batches from all of them)."""
    from ckan import model

    model.Session.remove()
    model.meta.engine.dispose()
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_index_in_child, args=(ids[i::workers], batch_size))
                for i in range(workers)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    failed = [child.exitcode for child in children if child.exitcode]
    if failed:
        raise BackupError(f"{len(failed)} of {workers} indexing workers failed (see above)")


def reindex(batch_size: int = 250, clear: bool = False, workers: int = 1,
            progress: Progress = lambda message: None) -> dict[str, Any]:
    """Index every entry as CKAN's ``search-index rebuild`` does, the same documents, but
    ``batch_size`` entries per Solr request, in ``workers`` processes, and one commit at
    the end (CKAN #3482). Then entries in the index that the database no longer has are
    removed (or, with ``clear``, the site's index is emptied first: a restore)."""
    from ckan import model
    from ckan.lib import search

    started = time.monotonic()
    query = model.Session.query(model.Package.id)
    if tk.config.get("ckan.search.remove_deleted_packages"):
        query = query.filter(model.Package.state != "deleted")
    ids = [row[0] for row in query.order_by(model.Package.id)]
    try:
        if clear:
            search.clear_all()
        if workers > 1 and len(ids) > batch_size:
            _index_in_parallel(ids, batch_size, workers)
        else:
            _index_entries(ids, batch_size, progress)
        orphans = set() if clear else set(search.query_for(model.Package).get_all_entity_ids(
            max_results=len(ids) + 100000)) - set(ids)
        for package_id in orphans:
            search.clear(package_id)
        search.make_connection().commit()
    except (search.SearchIndexError, pysolr.SolrError, OSError) as error:
        raise BackupError(f"the search index could not be rebuilt: {error}") from None
    finally:
        model.Session.remove()
    return {"indexed": len(ids), "removed": len(orphans), "seconds": time.monotonic() - started}
