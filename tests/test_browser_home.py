"""The home page, the search results and entry pages in a real browser (Playwright driving
Debian's chromium, as tests/test_browser.py) at 1366×900 and 390×844: a citizen on the open
site, a department user on the sharing site. Screenshots: test-artifacts/home/."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ckan.tests import helpers

from conftest import create_entry, make_department, make_user
from test_browser import (CHROMIUM, PASSWORD, ROOT, run_flow,  # noqa: F401
                          pytestmark, server)
from ckanext.govshare import home

ARTIFACTS = ROOT / "test-artifacts" / "home"


def city(sysadmin_context) -> dict:
    """Three departments, entries of each kind over two themes, an announcement."""
    civil = make_department(name="civil-dept", title="市民政局")
    labour = make_department(name="labour-dept", title="市人力资源和社会保障局")
    authority = make_department(name="data-authority", title="市大数据局")
    entries = {}
    for key, org, title, kwargs in (
            ("general", civil, "婚姻登记统计", {"open_type": "general", "update_frequency": "monthly",
                                          "resource_class": "theme", "themes": ["social_security"],
                                          "resource_code": "201001/000101"}),
            ("authorized", civil, "低保对象名册", {
                "share_type": "conditional", "share_condition": "限业务协同",
                "usage_scope": ["work_reference"], "open_type": "authorized",
                "open_condition": "实名申请", "update_frequency": "quarterly"}),
            ("closed", labour, "社保参保明细", {"share_type": "conditional",
                                          "share_condition": "限社保核验",
                                          "usage_scope": ["data_verification"],
                                          "open_type": "closed", "resource_class": "theme",
                                          "themes": ["social_security", "health"],
                                          "resource_code": "201001/000102"}),
            ("labour_open", labour, "职业技能培训机构名录", {"open_type": "general",
                                                     "update_frequency": "annual"})):
        item = {"share_type": kwargs.get("share_type", "unconditional"),
                "open": "false" if kwargs["open_type"] == "closed" else "true"}
        entries[key] = create_entry(
            sysadmin_context, org, title=title, notes=f"{title}，由{org['title']}提供。",
            info_items=[{"name": "名称", "data_type": "C", "length": "100", **item},
                        {"name": "统一社会信用代码", "data_type": "C", "length": "18", **item}],
            resources=[{"url": f"http://data.example/{key}.csv", "name": f"{title}（CSV）",
                        "format": "CSV"}], **kwargs)
    authority_user = make_user(authority, "member")
    helpers.call_action("govshare_announcement_create", {"user": authority_user["name"]},
                        title="关于开展2026年度政务数据共享评估的通知",
                        body="各部门请于12月20日前完成目录更新。")
    home.forget()
    return {"civil": civil, "labour": labour, "entries": entries}


def run(base_url: str, prefix: str, user, entries: dict) -> dict:
    world = {"prefix": prefix, "user": user, "entries": entries, "chromium": CHROMIUM}
    return run_flow("home.mjs", base_url, ARTIFACTS, world, timeout=300)


def site_role(request, monkeypatch, tmp_path, role: str) -> None:
    """The browser's server (test_browser.server) runs on an ini of this site role over the
    test ini; the test process has the same role (its ckan_config mark)."""
    ini = tmp_path / f"{role}.ini"
    ini.write_text(f"[app:main]\nuse = config:{Path(request.config.getoption('ckan_ini')).resolve()}"
                   f"\ngovshare.site_role = {role}\n")
    monkeypatch.setattr(request.config.option, "ckan_ini", str(ini))


@pytest.fixture
def open_site(request, monkeypatch, tmp_path):
    site_role(request, monkeypatch, tmp_path, "open")


@pytest.fixture
def sharing_site(request, monkeypatch, tmp_path):
    site_role(request, monkeypatch, tmp_path, "sharing")


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_a_citizen_on_the_open_site(ckan_config, sysadmin_context, open_site, server):  # noqa: F811
    made = city(sysadmin_context)
    citizen = make_user(password=PASSWORD, fullname="王市民")
    shutil.rmtree(ARTIFACTS / "open", ignore_errors=True)
    result = run(server, "open-citizen", {"name": citizen["name"], "password": PASSWORD},
                 {"general": made["entries"]["general"]["name"],
                  "authorized": made["entries"]["authorized"]["name"]})
    for seen in result.values():
        assert seen["figures"]["entries"] == "4"
        assert seen["badges"] == 3  # the open entries only
        assert seen["steps"] == {"general": "govshare-download-button",
                                 "authorized": "govshare-request-button"}
        assert seen["sideways"] == [], json.dumps(seen["sideways"], ensure_ascii=False)


@pytest.mark.ckan_config("govshare.site_role", "sharing")
def test_a_department_user_on_the_sharing_site(ckan_config, sysadmin_context, sharing_site,
                                               server):  # noqa: F811
    made = city(sysadmin_context)
    clerk = make_user(made["civil"], "member", password=PASSWORD, fullname="民政局经办人")
    result = run(server, "sharing-department", {"name": clerk["name"], "password": PASSWORD},
                 {"other-department-conditional": made["entries"]["closed"]["name"],
                  "own": made["entries"]["authorized"]["name"]})
    for seen in result.values():
        assert seen["badges"] == 4
        assert seen["steps"] == {"other-department-conditional": "govshare-request-button",
                                 "own": "govshare-download-button"}
        assert seen["sideways"] == [], json.dumps(seen["sideways"], ensure_ascii=False)
