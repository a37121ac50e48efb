"""Harvest jobs are done by ckanext-harvest's consumers as `make run` and docker/ start them
(issue 12 leftovers): the gather and fetch consumers (`ckan govshare harvest-consumer`, which
keep waiting on an empty queue) and the scheduler's periodic `ckan harvester run`, started by scripts/stack.sh (`harvest INI DIR`, what `make run` does for
its own site) for the provincial platform, harvest a job queued from the API without anyone
running `harvester run-test`, and `harvest-stop` (what `make stop` does) ends them."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, create_entry, make_department
from harvest_sites import city, province
from test_harvest import by_code, departments_on, harvest_source  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.xdist_group("province"),
    pytest.mark.usefixtures("clean_db", "clean_index"),
]

STACK_SH = ROOT / "scripts" / "stack.sh"
DOCKER = ROOT / "docker"


@pytest.fixture(scope="module")
def platforms(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("harvest_run")
    upper, lower = province(tmp), city(tmp)
    try:
        upper.start(tmp / "province.log")
        lower.start(tmp / "city.log")
        yield lower, upper
    finally:
        upper.stop()
        lower.stop()


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def test_the_consumers_and_the_scheduler_harvest_a_queued_job(platforms, harvest_source,
                                                              sysadmin_context, tmp_path):
    lower, upper = platforms
    department = make_department()
    for n in range(3):
        create_entry(sysadmin_context, department, title=f"公开数据{n}", open_type="general")
    admin = upper.api(upper.token("provadmin"))
    departments_on(admin, department)
    source = harvest_source(admin, "binzhou-queued", f"{lower.url}/catalog.ttl",
                            department["name"])
    env = {**upper.env(), "GOVSHARE_HARVEST_INTERVAL": "1"}
    started = subprocess.run(["bash", str(STACK_SH), "harvest", str(upper.ini), str(tmp_path)],
                             env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    pidfiles = [tmp_path / f"harvest-{n}.pid" for n in ("gather", "fetch", "scheduler")]
    try:
        assert all(_alive(p) for p in pidfiles), started.stderr
        admin.action.harvest_job_create(source_id=source)  # queued, as the harvest page does
        status: dict = {}
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            status = admin.action.harvest_source_show_status(id=source)
            if (status.get("last_job") or {}).get("status") == "Finished":
                break
            time.sleep(2)
        log = (tmp_path / "harvest.log").read_text()
        assert (status.get("last_job") or {}).get("status") == "Finished", (status, log[-3000:])
        assert "scheduler: ckan harvester run" in log
        assert set(by_code(admin, source)) == set(by_code(lower.api())) and by_code(admin, source)
        # Idle for longer than redis-py's 5 s read timeout: the consumers still wait for jobs.
        time.sleep(8)
        assert all(_alive(p) for p in pidfiles), (tmp_path / "harvest.log").read_text()[-3000:]
    finally:
        stopped = subprocess.run(["bash", str(STACK_SH), "harvest-stop", str(tmp_path)],
                                 env=env, capture_output=True, text=True, timeout=200)
    assert stopped.returncode == 0, stopped.stderr
    assert not any(_alive(p) or p.exists() for p in pidfiles)


def test_make_run_starts_the_harvest_processes_and_make_stop_stops_them():
    """stack.sh's run (and dev) start them for the portal's site, stop stops the same."""
    script = STACK_SH.read_text()
    prepare = script[script.index("prepare_site() {"):]
    prepare = prepare[:prepare.index("\n}\n")]
    stop = script[script.index("cmd_stop() {"):]
    stop = stop[:stop.index("\n}\n")]
    assert 'start_harvest "$DEV_INI" "$STACK/ckan"' in prepare
    assert 'stop_harvest "$STACK/ckan"' in stop


def test_compose_runs_the_consumers_and_the_scheduler_runs_the_harvester():
    compose = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    entrypoint = (DOCKER / "entrypoint.sh").read_text()
    for service, queue in (("harvest-gather", "gather"), ("harvest-fetch", "fetch")):
        spec = compose["services"][service]
        assert spec["image"] == compose["services"]["worker"]["image"]
        assert spec["command"] == [service]
        assert f"{service})" in entrypoint
        assert f"exec ckan govshare harvest-consumer {queue}" in entrypoint
        assert spec["healthcheck"]["test"][-1] == service
    assert "GOVSHARE_HARVEST_INTERVAL" in compose["services"]["scheduler"]["environment"]


def test_the_scheduler_runs_harvester_run_at_start(tmp_path):
    """With a stand-in `ckan`: the scheduler's first round runs `ckan harvester run`."""
    from ckan.plugins import toolkit
    from redis import Redis

    sys.path.insert(0, str(DOCKER / "tools"))
    import scheduler

    url = toolkit.config["ckan.redis.url"]
    Redis.from_url(url).delete(scheduler.LOCK)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ckan").write_text(f'#!/bin/sh\necho "$*" >>{tmp_path / "calls"}\n')
    (bin_dir / "ckan").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CKAN_REDIS_URL": url,
           "GOVSHARE_ESCALATE_AT": "", "GOVSHARE_SYNC_OPEN_INTERVAL": "0",
           "GOVSHARE_HARVEST_INTERVAL": "900",
           "GOVSHARE_SCHEDULER_HEARTBEAT": str(tmp_path / "alive")}
    proc = subprocess.Popen([sys.executable, str(DOCKER / "tools" / "scheduler.py")], env=env,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (tmp_path / "calls").exists():
            time.sleep(0.2)
        time.sleep(1)
        assert (tmp_path / "calls").read_text().splitlines() == ["harvester run"]
        assert (tmp_path / "alive").exists()
    finally:
        proc.kill()
        proc.wait()
        Redis.from_url(url).delete(scheduler.LOCK)
