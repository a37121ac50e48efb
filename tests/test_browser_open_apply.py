"""Authorized open data (授权开放) and error reports (纠错) on the open site in a real browser:
Playwright (browser/, npm) driving Debian's chromium against a CKAN server run as the open
site (tests/test_browser_home.py's open_site) on the test database.

A citizen finds an authorized-open entry by searching, applies for it and sees it pending in
个人中心; the provider's admin approves it with the confirmation step; the citizen sees it
approved, downloads the file and reports a doubtful value; the admin answers the report
(corrected on the desktop, not an error on the phone); the citizen reads the answer; an
anonymous visitor still gets no download. On a desktop and on a phone (390×844), each with an
entry of its own, where no page may scroll sideways.
Screenshots of each step: test-artifacts/open_apply/{desktop,phone}/.
"""
from __future__ import annotations

import io
import shutil

import pytest
from ckan import model
from ckan.tests import helpers
from werkzeug.datastructures import FileStorage

from conftest import create_entry, make_department, make_user
from ckanext.govshare.model import Grant, Request
from ckanext.govshare.model.error_report import ErrorReport
from test_browser import (ARTIFACTS, CHROMIUM, PASSWORD, run_flow,  # noqa: F401
                          pytestmark, server)
from test_browser_home import open_site  # noqa: F401 (the fixture)

SHOTS = ARTIFACTS.with_name("open_apply")
MARKER = "open-apply-file-body"
ENTRIES = {"desktop": ("低保家庭收入抽样统计", "corrected"),
           "phone": ("特困供养人员收入抽样统计", "not_error")}


@pytest.fixture
def world(sysadmin_context, known_calendar) -> dict:
    """A provider with an authorized-open entry holding an uploaded file for each device, its
    admin, and a citizen (an account of no department)."""
    provider = make_department(name="open-provider", title="市民政局")
    entries = {}
    for device, (title, outcome) in ENTRIES.items():
        entry = create_entry(sysadmin_context, provider, title=title, open_type="authorized",
                             open_condition="实名申请，限研究使用", update_frequency="quarterly")
        upload = FileStorage(stream=io.BytesIO(f"户号,收入\n{MARKER}-{device},1200\n".encode()),
                             filename=f"{device}.csv", content_type="text/csv")
        resource = helpers.call_action("resource_create", dict(sysadmin_context),
                                       package_id=entry["id"], name="抽样数据", url=f"{device}.csv",
                                       upload=upload)
        entries[device] = {"name": entry["name"], "id": entry["id"], "title": title,
                           "resource_id": resource["id"], "outcome": outcome}
    return {
        "provider": make_user(provider, "admin", password=PASSWORD, fullname="民政局管理员"),
        "citizen": make_user(password=PASSWORD, fullname="王市民"),
        "entries": entries,
    }


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_apply_approve_download_and_report_an_error(ckan_config, world, open_site,  # noqa: F811
                                                    server):  # noqa: F811
    shutil.rmtree(SHOTS, ignore_errors=True)
    users = {k: {"name": world[k]["name"], "password": PASSWORD} for k in ("citizen", "provider")}
    result = run_flow("open_apply_flow.mjs", server, SHOTS, dict(users, entries=world["entries"], chromium=CHROMIUM), timeout=600)
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled

    model.Session.remove()
    for device, entry in world["entries"].items():
        seen = result[device]
        assert seen["steps"] == {"anonymous": "govshare-login-button",
                                 "citizen": "govshare-request-button", "citizen_label": "申请使用",
                                 "citizen_first_screen": True,
                                 "approved": "govshare-download-button"}, device
        assert seen["commitment_error"] == 1  # refused without the security commitment
        assert seen["flashes"]["applied"].startswith("申请已提交，提供部门应于")
        assert seen["states"]["before"] == "pending" and seen["states"]["after"] == "approved"
        assert seen["states"]["before_label"] != seen["states"]["after_label"]
        assert seen["confirm_step"] == 1
        assert seen["flashes"]["approved"] == "操作成功，申请已更新。"
        assert f"{MARKER}-{device}" in seen["download"]
        assert seen["report_errors"] >= 2  # location and description are required
        assert seen["flashes"]["reported"].startswith("感谢您的纠错")
        assert seen["answer_errors"] >= 1  # the explanation is required
        assert seen["flashes"]["answered"] == "已完成：答复已通知纠错人。"
        shown = {"corrected": "已更正", "not_error": "经核实无误"}
        assert seen["states"]["report_open"] != seen["states"]["report_answered"]
        assert seen["states"]["report_listed"] == seen["states"]["report_answered"]
        assert shown[entry["outcome"]] in seen["states"]["report_answered"], seen["states"]
        assert seen["explanation"].startswith(("已核实", "经核对")), seen["explanation"]
        # names on one line in the search results and the department's report list
        assert seen["lines"] == {"result": 1, "report_entry": 1}, (device, seen["lines"])
        # an anonymous visitor: no download link, and the file's address gives no data
        assert seen["anonymous_links"] == 0
        assert seen["anonymous_download"]["status"] == 403, seen["anonymous_download"]
        assert MARKER not in seen["anonymous_download"]["body"]

        request = model.Session.query(Request).filter(Request.package_id == entry["id"]).one()
        assert request.id == seen["request_id"] and request.kind == "open"
        assert request.state == "approved" and request.decided_by == world["provider"]["id"]
        assert request.requester_user_id == world["citizen"]["id"] and request.commitment_text
        grant = model.Session.get(Grant, request.grant_id)
        assert grant.is_active() and grant.grantee_user_id == world["citizen"]["id"]
        report = model.Session.get(ErrorReport, seen["report_id"])
        assert (report.package_id, report.resource_id) == (entry["id"], entry["resource_id"])
        assert report.state == entry["outcome"] and report.reporter_user_id == world["citizen"]["id"]
        assert report.resolved_by == world["provider"]["id"]
        assert report.explanation == seen["explanation"] and report.location == "第3行，收入列"
        shots = sorted(p.name for p in (SHOTS / device).glob("*.png"))
        assert len(shots) >= 20 and not any("failure" in s for s in shots), shots
