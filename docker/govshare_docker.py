"""Container helpers for the govshare CKAN image (called by entrypoint.sh and healthchecks).

    govshare_docker.py write-ini PATH     runtime ini: `use`s production.ini, adds CKAN__* options
    govshare_docker.py wait               wait until PostgreSQL (both databases), Redis, Solr answer
    govshare_docker.py locked CMD [ARG..] run CMD holding a PostgreSQL advisory lock
    govshare_docker.py datastore-sql      run `ckan datastore set-permissions` SQL (stdin) as
                                          the DataStore's write user (owner of its database)
    govshare_docker.py scheduler          run the periodic jobs (govshare escalate, sync-open)
    govshare_docker.py web-health         healthcheck: /api/3/action/status_show of this container
    govshare_docker.py worker-health      healthcheck: this container's RQ worker is registered
    govshare_docker.py scheduler-health   healthcheck: the scheduler loop is alive

Environment variables -> CKAN options (the ckanext-envvars convention, without the plugin):
    CKAN__AUTH__CREATE_USER_VIA_WEB=false    ckan.auth.create_user_via_web = false
    CKAN___SCHEMING__DATASET_FALLBACK=true   scheming.dataset_fallback = true
    CKANEXT__DCAT__BASE_URI=https://x        ckanext.dcat.base_uri = https://x
    CKAN___SESSION_COOKIE_SECURE=true        SESSION_COOKIE_SECURE = true
Names are lower-cased and `__` becomes `.`; an option that CKAN declares in upper case (Flask's
SESSION_COOKIE_SECURE, ...) keeps its case. An empty variable counts as unset. The govshare
options that docker/.env sets have short names too (ALIASES); a CKAN___* variable wins over
them. CKAN itself reads CKAN_SQLALCHEMY_URL, CKAN_DATASTORE_WRITE_URL, CKAN_SOLR_URL,
CKAN_REDIS_URL, CKAN_SITE_URL, CKAN_STORAGE_PATH, CKAN_SMTP_*, ... (single underscore,
ckan/config/environment.py): those need nothing from here.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

BASE_INI = os.environ.get("GOVSHARE_BASE_INI", "/srv/app/config/production.ini")
ALIASES = {
    "GOVSHARE_SITE_ROLE": "govshare.site_role",
    "GOVSHARE_OPEN_SITE_URL": "govshare.open_site.url",
    "GOVSHARE_OPEN_SITE_API_TOKEN": "govshare.open_site.api_token",
}
# An arbitrary constant shared by every container of the deployment.
INIT_LOCK_KEY = 7_301_123_985


def log(msg: str) -> None:
    print(f"[govshare] {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> None:
    log(f"ERROR: {msg}")
    sys.exit(1)


# ------------------------------------------------------------------ write-ini
def declared_upper_keys() -> dict[str, str]:
    """CKAN's upper-case option names (Flask's), by lower-case name."""
    import yaml  # PyYAML comes with ckan

    spec = importlib.util.find_spec("ckan")  # no import: keep this fast
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = os.path.join(spec.submodule_search_locations[0], "config", "config_declaration.yaml")
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    keys = {}
    for group in data.get("groups", []):
        for option in group.get("options", []):
            key = str(option.get("key", ""))
            if key != key.lower():
                keys[key.lower()] = key
    return keys


def env_to_option(name: str, upper: dict[str, str]) -> str | None:
    if name.startswith("CKAN___"):
        key = name[len("CKAN___"):]
    elif name.startswith("CKAN__") or name.startswith("CKANEXT__"):
        key = name
    else:
        return None
    key = key.lower().replace("__", ".")
    if not key or key.startswith(".") or key.endswith("."):
        return None
    return upper.get(key, key)


def ini_value(value: str) -> str:
    # `%` is the ini interpolation character; continuation lines need indenting.
    return value.replace("%", "%%").replace("\n", "\n    ")


def cmd_write_ini(path: str) -> None:
    bad = sorted(k for k, v in os.environ.items() if k.startswith("CKAN_") and "%" in v)
    if bad:
        die("these variables contain '%', which CKAN's ini loader cannot read "
            f"(every CKAN_* variable is an ini default): {', '.join(bad)}")
    if not os.environ.get("CKAN_SECRET_KEY"):
        die("CKAN_SECRET_KEY is not set")
    if not os.environ.get("CKAN_SITE_URL"):
        die("CKAN_SITE_URL is not set")

    options: dict[str, str] = {}
    if os.environ["CKAN_SITE_URL"].lower().startswith("https://"):
        # Cookies only over HTTPS when the portal is served over HTTPS.
        options["SESSION_COOKIE_SECURE"] = "true"
        options["REMEMBER_COOKIE_SECURE"] = "true"
    for name, key in ALIASES.items():
        if os.environ.get(name):
            options[key] = os.environ[name]
    upper = declared_upper_keys()
    for name in sorted(os.environ):
        key = env_to_option(name, upper)
        if key and os.environ[name] != "":
            options[key] = os.environ[name]

    lines = [
        "# Written at container start by govshare_docker.py write-ini; do not edit.",
        "[app:main]",
        f"use = config:{BASE_INI}",
    ]
    lines += [f"{key} = {ini_value(value)}" for key, value in options.items()]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    names = [k for k in options if k not in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE")]
    log(f"wrote {path} (use {BASE_INI}" + (f"; from the environment: {', '.join(names)})" if names else ")"))


# ----------------------------------------------------------------------- wait
def check_db(url: str) -> None:
    import psycopg2

    psycopg2.connect(url, connect_timeout=5).close()


def check_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()


def check_solr(url: str) -> None:
    req = urllib.request.Request(url.rstrip("/") + "/admin/ping?wt=json")
    user, password = os.environ.get("CKAN_SOLR_USER"), os.environ.get("CKAN_SOLR_PASSWORD")
    if user:
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        status = json.load(resp).get("status")
    if status != "OK":
        raise RuntimeError(f"ping status {status!r}")


def redact(url: str) -> str:
    # scheme://user:password@host -> scheme://user:***@host
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        if ":" in cred:
            cred = cred.split(":", 1)[0] + ":***"
        return f"{scheme}://{cred}@{host}"
    return url


def cmd_wait() -> None:
    timeout = float(os.environ.get("GOVSHARE_WAIT_TIMEOUT", "300"))
    checks = [
        ("PostgreSQL", "CKAN_SQLALCHEMY_URL", check_db),
        ("the DataStore database", "CKAN_DATASTORE_WRITE_URL", check_db),
        ("Redis", "CKAN_REDIS_URL", check_redis),
        ("Solr", "CKAN_SOLR_URL", check_solr),
    ]
    deadline = time.monotonic() + timeout
    for name, var, check in checks:
        url = os.environ.get(var)
        if not url:
            log(f"{var} is not set: not waiting for {name}")
            continue
        last = None
        while True:
            try:
                check(url)
                log(f"{name} is up ({redact(url)})")
                break
            except Exception as e:  # noqa: BLE001 - any failure means "not yet"
                if str(e) != last:
                    log(f"waiting for {name} at {redact(url)}: {str(e).strip() or type(e).__name__}")
                    last = str(e)
                if time.monotonic() > deadline:
                    die(f"{name} did not answer within {timeout:.0f} s")
                time.sleep(2)


# --------------------------------------------------------------------- locked
def cmd_locked(argv: list[str]) -> None:
    """Serialise one-time initialisation between several ckan containers."""
    import psycopg2

    if not argv:
        die("locked: no command")
    conn = psycopg2.connect(os.environ["CKAN_SQLALCHEMY_URL"], connect_timeout=10)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", (INIT_LOCK_KEY,))
        if not cur.fetchone()[0]:
            log("another container is initialising the portal; waiting for it")
            cur.execute("SELECT pg_advisory_lock(%s)", (INIT_LOCK_KEY,))
    try:
        rc = subprocess.call(argv)
    finally:
        conn.close()  # releases the lock
    sys.exit(rc)


# -------------------------------------------------------------- datastore-sql
def cmd_datastore_sql() -> None:
    """Apply CKAN's DataStore permissions script without a superuser.

    The script is meant for `psql` as a superuser; everything in it is also allowed to the
    owner of both databases (in PostgreSQL 15 the owner of a database owns its `public`
    schema), which is what the write user is here (docker/postgres/10-govshare-db.sh).
    """
    import psycopg2

    url = os.environ.get("CKAN_DATASTORE_WRITE_URL")
    if not url:
        die("CKAN_DATASTORE_WRITE_URL is not set")
    # `\connect DB` (psql only) selects the DataStore database: the URL already does.
    sql = "\n".join(line for line in sys.stdin.read().splitlines()
                    if not line.lstrip().startswith("\\"))
    conn = psycopg2.connect(url, connect_timeout=10)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()
    log("DataStore permissions set")


# ------------------------------------------------------------------ scheduler
HEARTBEAT = "/tmp/govshare-scheduler.alive"


def ckan_option(key: str) -> str:
    from ckan.cli import load_config  # reads the ini chain only (no app, no database)

    return str(load_config().get(key) or "")


def run_ckan(*args: str) -> None:
    log(f"scheduler: ckan {' '.join(args)}")
    rc = subprocess.call(["ckan", *args])
    if rc:
        log(f"scheduler: ckan {' '.join(args)} exited with {rc}")


def cmd_scheduler() -> None:
    """The portal's periodic jobs, queued for the RQ worker (`--enqueue`).

    GOVSHARE_ESCALATE_AT: local times (TZ) of `ckan govshare escalate`, e.g. "07:00" or
    "07:00 13:00"; empty: never. A time already past when the scheduler starts runs at once
    (escalation is idempotent), then daily.
    GOVSHARE_SYNC_OPEN_INTERVAL: seconds between `ckan govshare sync-open` runs, only while
    govshare.open_site.url is set; 0: never.
    """
    import datetime

    times = []
    for item in os.environ.get("GOVSHARE_ESCALATE_AT", "07:00").replace(",", " ").split():
        try:
            times.append(datetime.datetime.strptime(item, "%H:%M").time())
        except ValueError:
            die(f"GOVSHARE_ESCALATE_AT: {item!r} is not HH:MM")
    interval = int(os.environ.get("GOVSHARE_SYNC_OPEN_INTERVAL", "3600") or 0)
    log(f"scheduler: escalate at {', '.join(t.strftime('%H:%M') for t in times) or 'never'} "
        f"({time.strftime('%Z')}); sync-open every {interval or 'never'} s when the open site is set")
    done: dict[datetime.time, datetime.date] = {}
    next_sync = time.monotonic() + 60
    while True:
        with open(HEARTBEAT, "w") as f:
            f.write(str(time.time()))
        now = datetime.datetime.now()
        for t in times:
            if now.time() >= t and done.get(t) != now.date():
                done[t] = now.date()
                run_ckan("govshare", "escalate", "--enqueue")
        if interval and time.monotonic() >= next_sync:
            next_sync = time.monotonic() + interval
            if ckan_option("govshare.open_site.url"):
                run_ckan("govshare", "sync-open", "--enqueue")
        time.sleep(20)


# ------------------------------------------------------------- healthchecks
def cmd_web_health() -> None:
    port = os.environ.get("GOVSHARE_PORT", "5000")
    url = f"http://127.0.0.1:{port}/api/3/action/status_show"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            ok = json.load(resp).get("success") is True
    except (urllib.error.URLError, OSError, ValueError) as e:
        die(f"{url}: {e}")
    if not ok:
        die(f"{url}: success is not true")


def cmd_worker_health() -> None:
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(os.environ["CKAN_REDIS_URL"], socket_connect_timeout=5, socket_timeout=5)
    host = socket.gethostname()
    for worker in Worker.all(connection=conn):
        if worker.hostname != host or not worker.pid:
            continue
        try:
            os.kill(worker.pid, 0)  # the worker process of this container is alive
        except OSError:
            continue
        return
    die(f"no live RQ worker of host {host} is registered in Redis")


def cmd_scheduler_health() -> None:
    try:
        age = time.time() - os.path.getmtime(HEARTBEAT)
    except OSError:
        die("the scheduler has not started its loop")
    if age > 120:
        die(f"the scheduler loop has not run for {age:.0f} s")


def main() -> None:
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "write-ini" and len(args) == 1:
        cmd_write_ini(args[0])
    elif cmd == "wait" and not args:
        cmd_wait()
    elif cmd == "locked":
        cmd_locked(args)
    elif cmd == "datastore-sql" and not args:
        cmd_datastore_sql()
    elif cmd == "scheduler" and not args:
        cmd_scheduler()
    elif cmd == "scheduler-health":
        cmd_scheduler_health()
    elif cmd == "web-health":
        cmd_web_health()
    elif cmd == "worker-health":
        cmd_worker_health()
    else:
        die(f"unknown command {' '.join(sys.argv[1:])!r}\n{__doc__}")


if __name__ == "__main__":
    main()
