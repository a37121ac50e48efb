"""The dashboard in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py), on a desktop and on a phone (390×844), where no page may scroll
sideways: the city's charts for the authority, a department's for its admin.
Screenshots: test-artifacts/dashboard/{desktop,phone}/."""
from __future__ import annotations

import shutil

from ckan import model

from conftest import make_user
from test_browser import (CHROMIUM, PASSWORD, ROOT, run_flow,  # noqa: F401
                          pytestmark, server)
from test_figures import YEAR, city  # noqa: F401  (the fixture: a city with known figures)

ARTIFACTS = ROOT / "test-artifacts" / "dashboard"


def test_the_dashboard_in_a_browser(city, server):  # noqa: F811
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    authority = make_user({"id": model.Group.get("data-authority").id}, "member",
                          password=PASSWORD, fullname="大数据局统计员")
    admin = make_user(city["civil"], "admin", password=PASSWORD, fullname="民政局管理员")
    world = {"authority": {"name": authority["name"], "password": PASSWORD},
             "admin": {"name": admin["name"], "password": PASSWORD}, "year": YEAR,
             "chromium": CHROMIUM}
    result = run_flow("dashboard.mjs", server, ARTIFACTS, world, timeout=300)
    for device in ("desktop", "phone"):
        seen = result[device]
        assert seen["charts"] == 6  # share types, months, overdue, error reports, top, ranking
        assert seen["followed"].endswith("/govshare/dashboard?owner_org=civil-dept"), device
        assert sorted(p.name for p in (ARTIFACTS / device).glob("*.png")) == [
            "dashboard-city.png", "dashboard-department-seen-by-the-authority.png",
            "dashboard-department.png"]
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled
