"""Healthchecks of the ckan image's containers (docker-compose.yml):
`python healthcheck.py web|worker|scheduler`; exits 1 with the reason when unhealthy.

    web        /api/3/action/status_show of this container answers success
    worker     this container's RQ worker is registered in Redis and alive
    scheduler  the scheduler loop has touched its heartbeat within 2 minutes
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

from common import die
from scheduler import HEARTBEAT


def web() -> None:
    port = os.environ.get("GOVSHARE_PORT", "5000")
    url = f"http://127.0.0.1:{port}/api/3/action/status_show"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            ok = json.load(resp).get("success") is True
    except (urllib.error.URLError, OSError, ValueError) as e:
        die(f"{url}: {e}")
    if not ok:
        die(f"{url}: success is not true")


def worker() -> None:
    from redis import Redis
    from rq import Worker

    conn = Redis.from_url(os.environ["CKAN_REDIS_URL"], socket_connect_timeout=5, socket_timeout=5)
    host = socket.gethostname()
    for registered in Worker.all(connection=conn):
        if registered.hostname != host or not registered.pid:
            continue
        try:
            os.kill(registered.pid, 0)  # the worker process of this container is alive
        except OSError:
            continue
        return
    die(f"no live RQ worker of host {host} is registered in Redis")


def scheduler() -> None:
    try:
        age = time.time() - os.path.getmtime(HEARTBEAT)
    except OSError:
        die("the scheduler has not started its loop")
    if age > 120:
        die(f"the scheduler loop has not run for {age:.0f} s")


CHECKS = {"web": web, "worker": worker, "scheduler": scheduler}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        die(f"usage: {sys.argv[0]} {'|'.join(CHECKS)}")
    CHECKS[sys.argv[1]]()
