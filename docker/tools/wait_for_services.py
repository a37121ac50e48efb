"""Wait until PostgreSQL (both databases), Redis and Solr answer: `python wait_for_services.py`.

Each service is the one its CKAN_* URL names; an unset URL is not waited for. Gives up after
GOVSHARE_WAIT_TIMEOUT seconds (300) in all.
"""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.request

from messages import die, log


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


CHECKS = (
    ("PostgreSQL", "CKAN_SQLALCHEMY_URL", check_db),
    ("the DataStore database", "CKAN_DATASTORE_WRITE_URL", check_db),
    ("Redis", "CKAN_REDIS_URL", check_redis),
    ("Solr", "CKAN_SOLR_URL", check_solr),
)


def redact(url: str) -> str:
    """scheme://user:password@host -> scheme://user:***@host"""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        if ":" in cred:
            cred = cred.split(":", 1)[0] + ":***"
        return f"{scheme}://{cred}@{host}"
    return url


def main() -> None:
    timeout = float(os.environ.get("GOVSHARE_WAIT_TIMEOUT", "300"))
    deadline = time.monotonic() + timeout
    for name, var, check in CHECKS:
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


if __name__ == "__main__":
    main()
