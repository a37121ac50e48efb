"""The evaluation scorecard in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py), on a desktop and on a phone (390×844), where no page may scroll
sideways: the authority's ranking and a department's evidence, publishing, and the published
scorecard as the department's admin sees it.
Screenshots: test-artifacts/scorecard/{desktop,phone}/."""
from __future__ import annotations

import shutil

from ckan import model

from conftest import make_user
from test_browser import (CHROMIUM, PASSWORD, ROOT, run_flow,  # noqa: F401
                          pytestmark, server)
from test_scorecard import YEAR, city  # noqa: F401  (the fixture: a city with known failings)

ARTIFACTS = ROOT / "test-artifacts" / "scorecard"


def test_the_scorecard_in_a_browser(city, server):  # noqa: F811
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    authority = make_user({"id": model.Group.get("data-authority").id}, "member",
                          password=PASSWORD, fullname="大数据局评估员")
    admin = make_user(city["civil"], "admin", password=PASSWORD, fullname="民政局管理员")
    world = {"authority": {"name": authority["name"], "password": PASSWORD},
             "admin": {"name": admin["name"], "password": PASSWORD}, "year": YEAR,
             "chromium": CHROMIUM}
    result = run_flow("scorecard.mjs", server, ARTIFACTS, world, timeout=300)
    for device in ("desktop", "phone"):
        seen = result[device]
        assert seen["ranked"] == 3, device  # civil, labour, stats: not the authority
        # the department's name on one line (squeezed: two lines on a desktop, ~42 px, on a
        # phone one character a line)
        assert seen["narrowest_name"] >= 60, device
        assert seen["followed"].endswith("owner_org=civil-dept"), device
        # the returned and the overdue entry, the duty change, three requests, the confirmed report
        assert seen["evidence"] == 7, device
        assert (seen["seen"], seen["failings"]) == (3, 0), device
        assert sorted(p.name for p in (ARTIFACTS / device).glob("*.png")) == [
            "scorecard-city.png", "scorecard-department-seen-by-the-authority.png",
            "scorecard-department.png", "scorecard-published.png"]
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled
