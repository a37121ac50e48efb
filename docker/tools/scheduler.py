"""The portal's periodic jobs, queued for the RQ worker (`--enqueue`): `python scheduler.py`.

GOVSHARE_ESCALATE_AT: local times (TZ) of `ckan govshare escalate`, e.g. "07:00" or
"07:00 13:00"; empty: never. A time already past when the scheduler starts runs at once
(escalation is idempotent), then daily; `ckan govshare audit-sweep` (expired grants into the
audit log, records past their retention out of it) runs with it.
GOVSHARE_SYNC_OPEN_INTERVAL: seconds between `ckan govshare sync-open` runs, only while
govshare.open_site.url is set; 0: never.
GOVSHARE_HARVEST_INTERVAL: seconds between `ckan harvester run` runs (ckanext-harvest: it
starts the jobs of sources due by their frequency and marks finished jobs as finished; the
gather and fetch consumers do the harvesting); the first one at start; 0: never.
Each round of the loop touches HEARTBEAT (GOVSHARE_SCHEDULER_HEARTBEAT, default
/tmp/govshare-scheduler.alive), which `healthcheck.py scheduler` reads.

Only one scheduler queues jobs, however many run (`--scale scheduler=2`, a second stack on
the same Redis by mistake): the one holding LOCK in Redis (redis-py's Lock, a key with a
random token and an expiry, renewed every round). The others stand by and take over within
a round once it is released (SIGTERM, `docker compose stop`) or within LOCK_TTL when its
holder died. rq's own `rq cron` (rq 2.10) has no such exclusion.
"""
from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time

from messages import die, log

HEARTBEAT = os.environ.get("GOVSHARE_SCHEDULER_HEARTBEAT") or "/tmp/govshare-scheduler.alive"
LOCK = "govshare:scheduler"
LOCK_TTL = 120  # seconds; longer than a round plus the longest `ckan ... --enqueue`
ROUND = 20  # seconds between rounds
RUN_TIMEOUT = 90  # seconds a `ckan ... --enqueue` may take, below LOCK_TTL


def ckan_option(key: str) -> str:
    from ckan.cli import load_config  # reads the ini chain only (no app, no database)

    return str(load_config().get(key) or "")


def run_ckan(*args: str) -> None:
    log(f"scheduler: ckan {' '.join(args)}")
    try:
        rc = subprocess.call(["ckan", *args], timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        log(f"scheduler: ckan {' '.join(args)} did not finish within {RUN_TIMEOUT} s")
        return
    if rc:
        log(f"scheduler: ckan {' '.join(args)} exited with {rc}")


def scheduler_lock(redis_url: str, name: str = LOCK, ttl: float = LOCK_TTL):
    from redis import Redis

    conn = Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    # thread_local=False: the token is the lock's, not one thread's.
    return conn.lock(name, timeout=ttl, thread_local=False)


def hold(lock) -> bool:
    """Take LOCK, or renew it when this scheduler has it; False while another one holds it
    (or Redis does not answer: then nobody can queue anything anyway)."""
    from redis.exceptions import LockError, RedisError

    try:
        if lock.local.token is not None:
            try:
                return lock.reacquire()  # still ours: the expiry starts again
            except LockError:  # expired, maybe taken by another scheduler
                lock.local.token = None
        return lock.acquire(blocking=False)
    except RedisError as e:
        log(f"scheduler: Redis: {e}")
        lock.local.token = None
        return False


def escalate_times(value: str) -> list[datetime.time]:
    times = []
    for item in value.replace(",", " ").split():
        try:
            times.append(datetime.datetime.strptime(item, "%H:%M").time())
        except ValueError:
            die(f"GOVSHARE_ESCALATE_AT: {item!r} is not HH:MM")
    return times


def main() -> None:
    times = escalate_times(os.environ.get("GOVSHARE_ESCALATE_AT", "07:00"))
    interval = int(os.environ.get("GOVSHARE_SYNC_OPEN_INTERVAL", "3600") or 0)
    harvest = int(os.environ.get("GOVSHARE_HARVEST_INTERVAL", "900") or 0)
    log(f"scheduler: escalate at {', '.join(t.strftime('%H:%M') for t in times) or 'never'} "
        f"({time.strftime('%Z')}); sync-open every {interval or 'never'} s when the open site is set; "
        f"harvester run every {harvest or 'never'} s")
    lock = scheduler_lock(os.environ.get("CKAN_REDIS_URL") or ckan_option("ckan.redis.url"))
    # `docker compose stop`: release the lock (finally) so a standby takes over at once.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        loop(lock, times, interval, harvest)
    finally:
        if lock.local.token is not None:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - expired or Redis gone: nothing to release
                pass


def loop(lock, times: list[datetime.time], interval: int, harvest: int = 0) -> None:
    done: dict[datetime.time, datetime.date] = {}
    next_sync = time.monotonic() + 60
    next_harvest = time.monotonic()
    holding: bool | None = None
    while True:
        with open(HEARTBEAT, "w") as f:
            f.write(str(time.time()))
        held = hold(lock)
        if held != holding:
            log("scheduler: holds the lock, queues the periodic jobs" if held
                else "scheduler: another scheduler holds the lock; standing by")
        holding = held
        if not holding:
            time.sleep(ROUND)
            continue
        now = datetime.datetime.now()
        for t in times:
            if now.time() >= t and done.get(t) != now.date():
                done[t] = now.date()
                if hold(lock):
                    run_ckan("govshare", "escalate", "--enqueue")
                    run_ckan("govshare", "audit-sweep")
        if interval and time.monotonic() >= next_sync:
            next_sync = time.monotonic() + interval
            if ckan_option("govshare.open_site.url") and hold(lock):
                run_ckan("govshare", "sync-open", "--enqueue")
        if harvest and time.monotonic() >= next_harvest and hold(lock):
            next_harvest = time.monotonic() + harvest
            run_ckan("harvester", "run")
        time.sleep(ROUND)


if __name__ == "__main__":
    main()
