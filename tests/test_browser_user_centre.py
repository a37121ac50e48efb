"""The user centre in a real browser (Playwright driving Debian's chromium, as
tests/test_browser.py): a department member logs in from an entry page and comes back to it,
opens the WeChat share code, then reads each tab of 个人中心 on a desktop (1366×900) and on a
phone (390×844), where no page may scroll sideways and the request tables' cells stay readable
(the user centre's and the department's request desk).
Screenshots: test-artifacts/user-centre/."""
from __future__ import annotations

import datetime
import shutil

from ckan.tests import helpers

from conftest import as_user, create_entry, make_department, make_user
from test_browser import (CHROMIUM, PASSWORD, ROOT, run_flow,  # noqa: F401
                          pytestmark, server)

ARTIFACTS = ROOT / "test-artifacts" / "user-centre"
TITLE = "城市最低生活保障对象家庭经济状况核对结果名册（按街道汇总）"
TABS = ("requests", "grants", "usage", "notifications")


def test_the_user_centre_in_a_browser(sysadmin_context, known_calendar, server):  # noqa: F811
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    provider = make_department(name="uc-provider", title="市民政局", image_url="")
    requester = make_department(name="uc-requester", title="市人力资源和社会保障局", image_url="")
    entry = create_entry(sysadmin_context, provider, name="uc-entry", title=TITLE,
                         share_type="conditional", share_condition="限核验使用",
                         usage_scope=["data_verification"], open_type="closed",
                         resources=[{"url": "http://intra.example/a.csv", "name": "核对结果"}])
    other = create_entry(sysadmin_context, provider, name="uc-other", title="特困人员供养名册",
                         share_type="conditional", share_condition="限核验使用",
                         usage_scope=["data_verification"], open_type="closed",
                         resources=[{"url": "http://intra.example/b.csv", "name": "名册"}])
    admin = make_user(provider, "admin", password=PASSWORD)
    member = make_user(requester, "member", password=PASSWORD, fullname="人社局经办人")
    today = datetime.date.today()
    filed = {"usage_scope": ["data_verification"], "purpose": "核对家庭经济状况",
             "basis": "《社会救助暂行办法》", "contact": "0392-1234567",
             "period_start": today.isoformat(),
             "period_end": (today + datetime.timedelta(days=180)).isoformat()}
    approved = helpers.call_action("govshare_request_create", as_user(member),
                                   package_id=other["id"], **filed)
    helpers.call_action("govshare_request_approve", as_user(admin), id=approved["id"])
    helpers.call_action("govshare_request_create", as_user(member), package_id=entry["id"],
                        **filed)
    helpers.call_action("resource_show", as_user(member), id=other["resources"][0]["id"])

    world = {"member": {"name": member["name"], "password": PASSWORD}, "entry": "uc-entry",
             "tabs": TABS, "chromium": CHROMIUM}
    result = run_flow("user_centre.mjs", server, ARTIFACTS, world, timeout=300)
    assert result["returned"].endswith("/dataset/uc-entry")
    assert result["qr_width"] > 0
    assert result["rows"] == {"requests": 2, "grants": 1, "usage": 1}
    # sideways scroll (document wider than the window), per viewport and tab
    assert result["overflow"] == dict({f"{v}-{t}": 0 for v in ("desktop", "phone") for t in TABS},
                                      **{"phone-desk": 0})
    # on the phone each cell of the request table spans the card (squeezed: ~40 px)
    assert result["narrowest_cell"] > 250
    # the request desk's table scrolls inside itself, its cells wide enough for a few words
    assert result["narrowest_desk_cell"] >= 90
    assert sorted(p.name for p in ARTIFACTS.glob("*.png")) == sorted(
        [f"user-centre-{v}-{t}.png" for v in ("desktop", "phone") for t in TABS]
        + ["entry-share-qr.png", "requests-desk-phone.png"])
