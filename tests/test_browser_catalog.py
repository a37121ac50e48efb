"""Catalog registration in a real browser: Playwright (browser/, npm) driving Debian's
chromium against a CKAN server started on the test database (as tests/test_browser.py).

A department admin compiles a new entry (the 一数一源 hint names the registered entry
that already provides an information item and its source department), submits it with a
secrecy review; the authority returns it with a reason; the department sees the reason,
fixes the entry and submits again; the authority registers it; another department, which
saw nothing before, then sees the entry and (unconditional) its data. On a desktop and on a
phone (390×844), each with an entry of its own, where no page may scroll sideways.
Screenshots of each step: test-artifacts/browser-catalog/{desktop,phone}/.
"""
from __future__ import annotations

import shutil

import pytest
from ckan import model
from ckan.tests import helpers

from conftest import create_entry, make_department, make_user
from ckanext.govshare.model import CatalogStep
from test_browser import (ARTIFACTS, CHROMIUM, PASSWORD, run_flow,
                          pytestmark, server)  # noqa: F401 (pytestmark, the server fixture)

SHOTS = ARTIFACTS.with_name("browser-catalog")
ENTRIES = {"desktop": {"title": "困难群众救助对象信息", "resource_code": "301001/000777",
                       "resource_url": "http://intra.example/jiuzhu.csv"},
           "phone": {"title": "临时救助对象信息", "resource_code": "301001/000778",
                     "resource_url": "http://intra.example/linshi.csv"}}


@pytest.fixture
def world(sysadmin_context, known_calendar) -> dict:
    """The compiling department (民政), another department (人社), the authority, and a
    registered entry of the police that provides 身份证号, its designated source."""
    provider = make_department(name="browser-provider", title="市民政局")
    other = make_department(name="browser-other", title="市人社局")
    police = make_department(name="browser-police", title="市公安局")
    authority = make_department(name="data-authority", title="市大数据局")
    create_entry(sysadmin_context, police, title="常住人口信息",
                 info_items=[{"name": "公民身份号码", "data_type": "C", "length": "18"}])
    people = {
        "provider": make_user(provider, "admin", password=PASSWORD, fullname="民政局管理员"),
        "other": make_user(other, "member", password=PASSWORD, fullname="人社局经办人"),
        "authority": make_user(authority, "member", password=PASSWORD, fullname="大数据局审核人"),
    }
    as_authority = {"user": people["authority"]["name"], "ignore_auth": False}
    helpers.call_action("govshare_info_item_synonym_create", dict(as_authority),
                        name="公民身份号码", synonym="身份证号")
    helpers.call_action("govshare_source_designate", dict(as_authority), name="身份证号",
                        owner_org="browser-police")
    return people


def test_compile_submit_return_fix_confirm(world, server):  # noqa: F811 (the fixture)
    shutil.rmtree(SHOTS, ignore_errors=True)
    data = {k: {"name": world[k]["name"], "password": PASSWORD}
            for k in ("provider", "other", "authority")}
    data.update(entries=ENTRIES, item="身份证号",
                hint={"entry": "常住人口信息", "source": "市公安局"}, chromium=CHROMIUM)
    result = run_flow("catalog_flow.mjs", server, SHOTS, data, timeout=600)
    assert result["sideways"] == {"desktop": {}, "phone": {}}  # {page: px} that scrolled

    model.Session.remove()
    for device, entry in ENTRIES.items():
        seen = result[device]
        assert "常住人口信息" in seen["hint"] and "市公安局" in seen["hint"], device
        # the title on one line in the desk's and the queue's tables, on a phone too
        assert seen["lines"] == {"desk": 1, "queue": 1}, (device, seen["lines"])
        package = model.Package.get(seen["name"])
        assert package.title == entry["title"] and package.extras["catalog_state"] == "registered"
        assert "bulk_download" in package.extras["share_method"]  # the fix
        steps = (model.Session.query(CatalogStep).filter(CatalogStep.package_id == package.id)
                 .order_by(CatalogStep.id).all())
        assert [(s.step, s.to_state) for s in steps] == [
            ("submit", "submitted"), ("return", "returned"), ("submit", "submitted"),
            ("confirm", "registered")], device
        assert steps[0].secrecy_review["reviewer"] == "张保密"
        assert steps[1].reason.startswith("共享方式应包含批量下载")
        assert steps[3].actor_id == world["authority"]["id"]
        shots = sorted(p.name for p in (SHOTS / device).glob("*.png"))
        assert len(shots) >= 15 and not any("failure" in s for s in shots), shots
