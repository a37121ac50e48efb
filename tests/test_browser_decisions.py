"""Approving with confirmation in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py), at 1366×900 and 390×844: the confirmation page shows what will be
granted, the request page what was granted; no page scrolls sideways.
Screenshots: test-artifacts/decisions/{desktop,phone}/."""
from __future__ import annotations

import datetime
import shutil

from ckan.tests import helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import workdays
from test_browser import (BASE_URL, CHROMIUM, PASSWORD, ROOT, run_flow,  # noqa: F401
                          pytestmark, server)

ARTIFACTS = ROOT / "test-artifacts" / "decisions"


def test_approval_with_confirmation_in_a_browser(sysadmin_context, known_calendar, server):  # noqa: F811
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    provider = make_department(name="browser-provider", title="市民政局")
    requester = make_department(name="browser-requester", title="市人社局")
    admin = make_user(provider, "admin", password=PASSWORD, fullname="民政局管理员")
    member = make_user(requester, "member", password=PASSWORD, fullname="人社局经办人")
    today = workdays.today()
    end = today + datetime.timedelta(days=30)
    urls = {}
    for device, title in (("desktop", "低保对象名册"), ("phone", "特困人员名册")):
        entry = create_entry(
            sysadmin_context, provider, title=title, share_type="conditional",
            share_condition="限核验使用", usage_scope=["data_verification"], open_type="closed",
            resources=[{"url": "http://intra.example/a.csv", "name": "名册A"},
                       {"url": "http://intra.example/b.csv", "name": "名册B"}])
        request = helpers.call_action(
            "govshare_request_create", as_user(member), package_id=entry["id"],
            usage_scope=["data_verification"], purpose="核验家庭收入", basis="《社会救助暂行办法》",
            period_start=today.isoformat(), period_end=(today + datetime.timedelta(365)).isoformat(),
            contact="张三 0392-1234567")
        urls[device] = f"{BASE_URL}/govshare/requests/{request['id']}"
    world = {"provider": {"name": admin["name"], "password": PASSWORD},
             "requester": {"name": member["name"], "password": PASSWORD},
             "requests": urls, "period_end": end.isoformat(), "chromium": CHROMIUM}
    result = run_flow("decision_flow.mjs", server, ARTIFACTS, world, timeout=400)
    granted = f"名册A | {today.isoformat()} – {end.isoformat()}"
    for device in ("desktop", "phone"):
        seen = result[device]
        assert seen["confirm"] == granted and seen["granted"].startswith(granted), seen
        assert seen["requester_sees"] == "名册A" and "govshare-state-approved" in seen["state"]
        assert len(list((ARTIFACTS / device).glob("*.png"))) == 5
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled
