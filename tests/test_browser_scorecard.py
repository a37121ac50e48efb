"""The evaluation scorecard in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py): the authority's ranking and a department's evidence, publishing,
and the published scorecard as the department's admin sees it.
Screenshots: test-artifacts/scorecard/."""
from __future__ import annotations

import json
import shutil
import subprocess

from ckan import model

from conftest import make_user
from test_browser import (BROWSER, CHROMIUM, PASSWORD, ROOT, _playwright,  # noqa: F401
                          pytestmark, server)
from test_scorecard import YEAR, city  # noqa: F401  (the fixture: a city with known failings)

ARTIFACTS = ROOT / "test-artifacts" / "scorecard"


def test_the_scorecard_in_a_browser(city, server):  # noqa: F811
    _playwright()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    authority = make_user({"id": model.Group.get("data-authority").id}, "member",
                          password=PASSWORD, fullname="大数据局评估员")
    admin = make_user(city["civil"], "admin", password=PASSWORD, fullname="民政局管理员")
    world = {"authority": {"name": authority["name"], "password": PASSWORD},
             "admin": {"name": admin["name"], "password": PASSWORD}, "year": YEAR,
             "chromium": CHROMIUM}
    run = subprocess.run(["node", str(BROWSER / "scorecard.mjs"), server, str(ARTIFACTS),
                          json.dumps(world)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["ranked"] == 3  # civil, labour, stats: not the authority
    assert result["followed"].endswith("owner_org=civil-dept")
    # the returned and the overdue entry, the duty change, three requests, the confirmed report
    assert result["evidence"] == 7
    assert (result["seen"], result["failings"]) == (3, 0)
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == [
        "scorecard-city.png", "scorecard-department-seen-by-the-authority.png",
        "scorecard-department.png"]
