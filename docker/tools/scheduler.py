"""The portal's periodic jobs, queued for the RQ worker (`--enqueue`): `python scheduler.py`.

GOVSHARE_ESCALATE_AT: local times (TZ) of `ckan govshare escalate`, e.g. "07:00" or
"07:00 13:00"; empty: never. A time already past when the scheduler starts runs at once
(escalation is idempotent), then daily.
GOVSHARE_SYNC_OPEN_INTERVAL: seconds between `ckan govshare sync-open` runs, only while
govshare.open_site.url is set; 0: never.
Each round of the loop touches HEARTBEAT, which `healthcheck.py scheduler` reads.
"""
from __future__ import annotations

import datetime
import os
import subprocess
import time

from common import die, log

HEARTBEAT = "/tmp/govshare-scheduler.alive"


def ckan_option(key: str) -> str:
    from ckan.cli import load_config  # reads the ini chain only (no app, no database)

    return str(load_config().get(key) or "")


def run_ckan(*args: str) -> None:
    log(f"scheduler: ckan {' '.join(args)}")
    rc = subprocess.call(["ckan", *args])
    if rc:
        log(f"scheduler: ckan {' '.join(args)} exited with {rc}")


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


if __name__ == "__main__":
    main()
