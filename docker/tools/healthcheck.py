"""Healthchecks of the ckan image's containers (docker-compose.yml):
`python healthcheck.py web|worker|scheduler`; exits 1 with the reason when unhealthy.

    web        GET /health of this container answers 200 {"status": "ok"}: gunicorn serves
               and PostgreSQL, Solr and Redis all answer it (503 names the service down)
    worker     this container's RQ worker is registered in Redis and alive
    scheduler  the scheduler loop (holding the lock or standing by) has touched its heartbeat
               within 2 minutes
    harvest-gather, harvest-fetch
               ckanext-harvest's consumer of that queue (`ckan govshare harvest-consumer
               gather|fetch`) is alive in this container and Redis, where it waits for
               jobs, answers
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request

from messages import die
from scheduler import HEARTBEAT


def web() -> None:
    port = os.environ.get("GOVSHARE_PORT", "5000")
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            health = json.load(resp)
    except urllib.error.HTTPError as e:  # 503: the answer says which service is down
        try:
            services = json.load(e).get("services") or {}
        except ValueError:
            services = {}
        down = sorted(name for name, state in services.items() if not state.get("ok"))
        die(f"{url}: {e.code}" + (f", down: {', '.join(down)}" if down else ""))
    except (urllib.error.URLError, OSError, ValueError) as e:
        die(f"{url}: {e}")
    if health.get("status") != "ok":
        die(f"{url}: status {health.get('status')!r}")


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


def consumer(queue: str) -> None:
    """A live process of this container runs ``ckan govshare harvest-consumer QUEUE``."""
    from redis import Redis
    from redis.exceptions import RedisError

    alive = False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "harvest-consumer" in argv and queue in argv:
            alive = True
            break
    if not alive:
        die(f"no `ckan govshare harvest-consumer {queue}` process is running")
    try:
        Redis.from_url(os.environ["CKAN_REDIS_URL"], socket_connect_timeout=5,
                       socket_timeout=5).ping()
    except RedisError as e:
        die(f"Redis: {e}")


CHECKS = {"web": web, "worker": worker, "scheduler": scheduler,
          "harvest-gather": lambda: consumer("gather"),
          "harvest-fetch": lambda: consumer("fetch")}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        die(f"usage: {sys.argv[0]} {'|'.join(CHECKS)}")
    CHECKS[sys.argv[1]]()
