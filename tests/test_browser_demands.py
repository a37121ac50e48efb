"""数据需求 and 应用成果 in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py), at 1366×900 and 390×844, each role on the pages: a citizen files a
demand, the authority routes it, the department answers, the citizen reads the answer; a
citizen's showcases are public only once approved, a rejected one tells its submitter why.
Screenshots of every step: test-artifacts/demands/."""
from __future__ import annotations

import shutil

from ckan import model
from ckan.tests import factories

from conftest import create_entry, make_department, make_user
from ckanext.govshare.model import Demand, Showcase
from test_browser import (CHROMIUM, PASSWORD, ROOT, run_flow, pytestmark,  # noqa: F401
                          server)

ARTIFACTS = ROOT / "test-artifacts" / "demands"
STEPS = 22
DEVICES = {
    "desktop": {"entry": "公交实时位置", "demand": "公交车辆实时到站数据",
                "outcome": "will_open", "answer": "将于下月在公交实时位置目录中开放",
                "approved": "候车宝", "rejected": "公交广告墙", "reason": "与所用数据无关"},
    "phone": {"entry": "共享单车停放点", "demand": "共享单车实时分布数据",
              "outcome": "not_available", "answer": "企业运营数据，本局未归集",
              "approved": "停车助手", "rejected": "单车测评", "reason": "链接无法访问"},
}


def test_demands_and_showcases_in_a_browser(sysadmin_context, known_calendar, server):  # noqa: F811
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    holder = make_department(name="transport", title="市交通运输局")
    make_department(name="statistics", title="市统计局")
    answerer = make_user(holder, "admin", password=PASSWORD, fullname="交通局管理员")
    authority = factories.Sysadmin(password=PASSWORD, fullname="数据管理局")
    citizen = make_user(password=PASSWORD, fullname="李女士", email="li@citizen.test")
    devices = {}
    for device, plan in DEVICES.items():
        entry = create_entry(sysadmin_context, holder, title=plan["entry"], open_type="general")
        devices[device] = dict(plan, entry={"name": entry["name"], "title": entry["title"]})
    world = {**{role: {"name": user["name"], "password": PASSWORD} for role, user in (
        ("citizen", citizen), ("authority", authority), ("answerer", answerer))},
        "department": "市交通运输局", "private": [citizen["name"], "li@citizen.test"],
        "devices": devices, "chromium": CHROMIUM}
    result = run_flow("demands_flow.mjs", server, ARTIFACTS, world, timeout=600)

    for device, plan in devices.items():
        seen = result[device]
        # the citizen's demand, waiting for the authority
        assert seen["filed"]["state"] == "待数据主管部门分派", seen
        assert seen["filed"]["requester"] == "李女士" and "数据主管部门将把您的需求分派" in seen["filed"]["flash"], seen
        # the showcase form comes filled with the entry it was opened from
        assert seen["prefilled"] == plan["entry"]["name"]
        assert seen["submitted"]["state"] == "待审核", seen
        assert seen["submitted"]["entries"] == plan["entry"]["title"]
        # unseen by the public until approved
        assert plan["approved"] not in seen["public_before"] and seen["hidden_status"] == 404
        assert seen["entry_before"] == 0, "the entry page shows showcases before approval"
        # the authority
        assert plan["demand"] in seen["to_route"], seen["to_route"]
        assert seen["routed"]["state"] == "部门办理中" and seen["routed"]["department"] == "市交通运输局"
        assert seen["routed"]["days_left"].startswith("剩余"), seen["routed"]
        assert plan["approved"] in seen["queue"] and plan["rejected"] in seen["queue"]
        assert seen["approved"]["badge"] == 0 and "已发布" in seen["approved"]["flash"], seen
        assert seen["rejected"]["state"] == "已驳回", seen
        # the department
        assert plan["demand"] in seen["to_answer"], seen["to_answer"]
        assert "已将您的答复告知提出人" in seen["answered_flash"], seen
        # the citizen
        answer = seen["citizen_sees"]
        assert answer["state"] == "已答复" and answer["answer"] == plan["answer"], answer
        if plan["outcome"] == "will_open":
            assert answer["outcome"] == "将开放" and answer["entry"] == [plan["entry"]["title"]]
            assert seen["entry_link"] == f"/dataset/{plan['entry']['name']}"
        else:
            assert answer["outcome"] == "暂不能提供" and answer["entry"] == [], answer
        mine = {title: seen["my_showcases"].get(title) for title in (plan["approved"], plan["rejected"])}
        assert mine == {plan["approved"]: "已发布", plan["rejected"]: "已驳回"}, seen["my_showcases"]
        assert seen["reason"] == plan["reason"]
        # the public
        title, requester, _, department, _, state = seen["public_demand"]
        assert (title, requester, department) == (plan["demand"], "李女士", "市交通运输局")
        assert state.startswith("已答复"), state
        assert seen["public_demand_lines"] == {"title": 1, "department": 1}, seen["public_demand_lines"]
        assert seen["public_leaks"] == [], "the public list shows the citizen's account"
        assert plan["approved"] in seen["public_after"] and plan["rejected"] not in seen["public_after"]
        assert seen["entry_after"] == [plan["approved"]] and seen["rejected_status"] == 404

    model.Session.remove()
    assert sorted((d.title, d.state, d.outcome) for d in model.Session.query(Demand)) == sorted(
        (p["demand"], "answered", p["outcome"]) for p in DEVICES.values())
    assert sorted((s.title, s.state) for s in model.Session.query(Showcase)) == sorted(
        [(p["approved"], "approved") for p in DEVICES.values()]
        + [(p["rejected"], "rejected") for p in DEVICES.values()])
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled
    shots = sorted(str(p.relative_to(ARTIFACTS)) for p in ARTIFACTS.glob("*/*.png"))
    assert len(shots) == 2 * STEPS and not any("failure" in s for s in shots), shots
