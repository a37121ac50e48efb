"""The share request flow in a real browser: Playwright (browser/, npm) driving Debian's
chromium against a CKAN server started on the test database.

A department member logs in, finds no download on a conditional entry and files a
share request; the provider's admin approves it from the inbox; the member logs in
again and downloads the file. On a desktop and on a phone (390×844), each with an entry of
its own, where no page may scroll sideways. Screenshots of each step:
test-artifacts/browser/{desktop,phone}/.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from ckan import model
from ckan.tests import helpers
from werkzeug.datastructures import FileStorage

from conftest import create_entry, make_department, make_user
from ckanext.govshare.model import Grant, Request, Usage

ROOT = Path(__file__).resolve().parent.parent
BROWSER = ROOT / "browser"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
NODE = shutil.which("node")
PASSWORD = "Govshare-browser-1"
MARKER = "browser-flow-file-body"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The server's address is also the test process's site URL: the index caches
# dataset dicts whose upload URLs are built from it.
BASE_URL = f"http://127.0.0.1:{_free_port()}"

pytestmark = [
    pytest.mark.usefixtures("clean_db", "clean_index"),
    pytest.mark.ckan_config("ckan.site_url", BASE_URL),
    pytest.mark.skipif(not NODE, reason="node is not installed (apt-get install nodejs npm)"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def _playwright() -> None:
    """browser/node_modules from package-lock.json, installed once."""
    if not (BROWSER / "node_modules" / "playwright-core").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(BROWSER)], check=True, capture_output=True)


def run_flow(script: str, base_url: str, artifacts: Path, data: dict, timeout: int = 600) -> dict:
    """Run browser/SCRIPT against BASE_URL (screenshots into ARTIFACTS, DATA as its JSON
    argument); the JSON line it prints last. Its stderr and stdout say why when it fails."""
    _playwright()
    run = subprocess.run(["node", str(BROWSER / script), base_url, str(artifacts), json.dumps(data)],
                         capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert run.returncode == 0, run.stderr + run.stdout
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`ckan run` on the test database and Solr core (the data must be committed first)."""
    url, port = BASE_URL, BASE_URL.rsplit(":", 1)[1]
    ini = os.path.abspath(request.config.getoption("ckan_ini"))
    ckan = str(Path(sys.executable).with_name("ckan"))
    log = open(tmp_path / "ckan.log", "wb")
    process = subprocess.Popen(
        [ckan, "-c", ini, "run", "-H", "127.0.0.1", "-p", port, "--disable-reloader"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ, CKAN_SITE_URL=url))
    try:
        for _ in range(120):
            if process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{url}/api/3/action/status_show", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("CKAN did not answer in 60 s")
        if process.poll() is not None:
            pytest.fail("CKAN did not start:\n" + (tmp_path / "ckan.log").read_text()[-3000:])
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def world(sysadmin_context, known_calendar) -> dict:
    """A provider with a conditional entry holding an uploaded file for each device (desktop,
    phone), a requesting department."""
    provider = make_department(name="browser-provider", title="市民政局")
    requester = make_department(name="browser-requester", title="市人社局")
    entries = {}
    for device, title in (("desktop", "低保对象名册"), ("phone", "特困人员名册")):
        entry = create_entry(sysadmin_context, provider, title=title,
                             share_type="conditional", share_condition="限核验使用",
                             usage_scope=["data_verification"], open_type="closed")
        upload = FileStorage(stream=io.BytesIO(f"name,income\n{MARKER}-{device},1200\n".encode()),
                             filename=f"{device}.csv", content_type="text/csv")
        resource = helpers.call_action("resource_create", dict(sysadmin_context),
                                       package_id=entry["id"], name="名册", url=f"{device}.csv",
                                       upload=upload)
        entries[device] = {"name": entry["name"], "id": entry["id"], "resource_id": resource["id"]}
    return {
        "provider": make_user(provider, "admin", password=PASSWORD, fullname="民政局管理员"),
        "requester": make_user(requester, "member", password=PASSWORD, fullname="人社局经办人"),
        "entries": entries,
    }


def test_request_approve_download(world, server):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    users = {k: {"name": world[k]["name"], "password": PASSWORD} for k in ("requester", "provider")}
    result = run_flow("request_flow.mjs", server, ARTIFACTS, dict(users, entries=world["entries"], chromium=CHROMIUM), timeout=400)
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled

    model.Session.remove()
    for device, entry in world["entries"].items():
        assert f"{MARKER}-{device}" in result[device]["download"]
        assert result[device]["first_screen"] == {"request_button": True, "download_button": True}
        request = model.Session.query(Request).filter(Request.package_id == entry["id"]).one()
        assert result[device]["request_url"].endswith(f"/govshare/requests/{request.id}")
        assert request.state == "approved" and request.decided_by == world["provider"]["id"]
        assert request.requester_user_id == world["requester"]["id"]
        grant = model.Session.get(Grant, request.grant_id)
        assert grant.is_active()
        downloads = [u for u in model.Session.query(Usage)
                     if "download" in u.route and u.grant_id == grant.id]
        assert [u.user_id for u in downloads] == [world["requester"]["id"]], device
        shots = sorted(p.name for p in (ARTIFACTS / device).glob("*.png"))
        assert len(shots) >= 10 and not any("failure" in s for s in shots), shots
