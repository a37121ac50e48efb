"""The catalog spreadsheet import in a real browser (Playwright, as tests/test_browser.py),
on a desktop and on a phone (390×844), where no page may scroll sideways: an upload with
errors shows every bad row and imports nothing; the corrected file is imported by the RQ job
(run here, as the worker would) and its page follows it to the end. Each device imports an
entry of its own. Screenshots: test-artifacts/browser-import/{desktop,phone}/."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest
from ckan import model

from conftest import make_department, make_user, run_jobs
from test_browser import BASE_URL, BROWSER, CHROMIUM, NODE, PASSWORD, ROOT, _playwright, server  # noqa: F401
from test_catalog_import import HEADER, ROW, xlsx

ARTIFACTS = ROOT / "test-artifacts" / "browser-import"

pytestmark = [
    pytest.mark.usefixtures("clean_db", "clean_index"),
    pytest.mark.ckan_config("ckan.site_url", BASE_URL),
    pytest.mark.skipif(not NODE, reason="node is not installed (apt-get install nodejs npm)"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]


def test_an_import_with_errors_then_corrected(sysadmin_context, server, tmp_path):  # noqa: F811
    _playwright()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    department = make_department(name="browser-dept", title="市卫生健康委员会")
    admin = make_user(department, "admin", password=PASSWORD)
    files = {}
    for device, title, code in (("desktop", "居民健康档案", "301001/000001"),
                                ("phone", "出生医学证明", "301001/000002")):
        row = list(ROW)
        row[0], row[2] = title, code
        bad_row = list(row)
        bad_row[4] = "随便共享"
        bad, good = tmp_path / f"{device}-bad.xlsx", tmp_path / f"{device}-good.xlsx"
        bad.write_bytes(xlsx([HEADER, row, bad_row]))
        good.write_bytes(xlsx([HEADER, row]))
        files[device] = {"bad": str(bad), "good": str(good)}
    model.Session.commit()
    node = subprocess.Popen(
        ["node", str(BROWSER / "import_flow.mjs"), server, str(ARTIFACTS), json.dumps({
            "admin": {"name": admin["name"], "password": PASSWORD}, "department": "browser-dept",
            "files": files, "chromium": CHROMIUM})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 300
    while node.poll() is None and time.monotonic() < deadline:
        run_jobs()  # the worker's part: the job the page queued
        time.sleep(0.5)
    out, err = node.communicate(timeout=30)
    assert node.returncode == 0, err + out
    result = json.loads(out.strip().splitlines()[-1])
    for device in ("desktop", "phone"):
        seen = result[device]
        assert seen["errors"] == [["3", "共享类型", "“随便共享”不是有效的选项，可选：无条件共享、有条件共享、不予共享"]]
        assert "新增 1 条" in seen["done"], device
        shots = sorted(p.name for p in (ARTIFACTS / device).glob("*.png"))
        assert len(shots) == 5 and not any("failure" in s for s in shots), shots
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled
    model.Session.remove()
    assert sorted(p.extras["resource_code"] for p in model.Session.query(model.Package)
                  .filter(model.Package.owner_org == department["id"])) == [
        "301001/000001", "301001/000002"]
