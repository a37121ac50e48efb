"""The user centre (个人中心, views/user_centre.py) as its users see it: their own requests and
applications first, their grants, their uses, their notifications; login coming back to the
page it started from; avatars drawn here (no Gravatar, no outside host); the WeChat QR code
instead of X and Facebook."""
from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import lxml.etree
import lxml.html
import pytest
from ckan import model
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare.model import Notification

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
FUTURE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
PASSWORD = "correct123"
SITE = "http://test.ckan.net"


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A provider with a conditional and an authorized-open entry, a requesting department
    with two members, a citizen and another citizen."""
    # (CKAN's factories give departments a random outside logo: the avatar test wants none)
    provider = make_department(name="provider-dept", title="市民政局", image_url="")
    requester = make_department(name="requester-dept", title="市人社局", image_url="")
    conditional = create_entry(
        sysadmin_context, provider, name="dibao", title="低保对象名册",
        share_type="conditional", share_condition="限业务协同",
        usage_scope=["work_reference"], open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "名册A"}])
    open_entry = create_entry(
        sysadmin_context, provider, name="keliu", title="公交客流", open_type="authorized",
        open_condition="实名申请",
        resources=[{"url": "http://open.example/traffic.csv", "name": "流量"}])
    return {
        "provider": provider, "requester": requester,
        "conditional": conditional, "open": open_entry,
        "provider_admin": make_user(provider, "admin"),
        "member": make_user(requester, "member", fullname="张三"),
        "colleague": make_user(requester, "member", fullname="李四"),
        "citizen": make_user(fullname="王小明", password=PASSWORD),
        "other_citizen": make_user(fullname="赵六"),
    }


def headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def page(app, user, url, status=200) -> Any:
    response = app.get(url, headers=headers(user) if user else {}, status=status)
    return lxml.html.fromstring(response.body)


def share_request(world, user) -> dict[str, Any]:
    return helpers.call_action(
        "govshare_request_create", as_user(user), package_id="dibao",
        usage_scope=["work_reference"], purpose="核验低保对象", basis="《社会救助暂行办法》",
        period_start=datetime.date.today().isoformat(), period_end=FUTURE, contact="0392-1")


def application(user) -> dict[str, Any]:
    return helpers.call_action(
        "govshare_application_create", as_user(user), package_id="keliu", purpose="研究",
        scenario="课题", security_measures="内网", commitment_accepted=True, period_end=FUTURE)


def rows(tree, kind: str) -> list[Any]:
    return tree.xpath(f'//table[contains(@class, "govshare-me-{kind}")]/tbody/tr')


def cells(row) -> dict[str, str]:
    """A row's cells by their column label (what a phone shows beside each value)."""
    return {td.get("data-label"): " ".join(td.text_content().split()) for td in row.xpath("td")}


# ------------------------------------------------------------------ 我的申请

def test_a_citizen_lands_on_their_own_applications(app, world):
    mine = application(world["citizen"])
    application(world["other_citizen"])
    dashboard = page(app, world["citizen"], "/dashboard/")
    assert dashboard.xpath('//ul[contains(@class, "govshare-me-tabs")]')
    tree = page(app, world["citizen"], "/govshare/me")
    tab = tree.xpath('//ul[contains(@class, "govshare-me-tabs")]//a[@aria-current="page"]')
    assert tab[0].text_content().split()[0] == "我的申请"
    listed = rows(tree, "requests")
    assert [r.get("data-request-id") for r in listed] == [mine["id"]]
    shown = cells(listed[0])
    assert shown["信息资源"].startswith("公交客流") and "市民政局" in shown["信息资源"]
    assert shown["类型"] == "开放申请" and shown["状态"] == "待审核"
    assert shown["答复期限"].startswith(mine["deadline"])
    assert listed[0].xpath(".//a/@href")[0] == f"/govshare/requests/{mine['id']}"
    assert tree.xpath('//*[contains(@class, "govshare-me-count")]')[0].text_content() == "1"


def test_a_department_member_sees_what_they_filed_not_their_colleagues(app, world):
    filed = share_request(world, world["member"])
    application(world["colleague"])
    refused = application(world["member"])
    helpers.call_action("govshare_application_refuse", as_user(world["provider_admin"]),
                        id=refused["id"], reason="材料不全")
    tree = page(app, world["member"], "/govshare/me?tab=requests")
    listed = rows(tree, "requests")
    # pending first, then the decided ones
    assert [r.get("data-request-id") for r in listed] == [filed["id"], refused["id"]]
    assert cells(listed[0])["类型"] == "共享申请"
    assert cells(listed[1])["状态"] == "拒绝"
    assert cells(listed[1])["答复期限"].startswith("答复于")
    # the department's desk is one click away
    assert tree.xpath('//a[@href="/govshare/requests"]')


def test_nobody_else_reads_the_user_centre(app, world):
    response = app.get("/govshare/me", status=302, follow_redirects=False)
    assert "/user/login" in response.headers["Location"]
    assert parse_qs(urlparse(response.headers["Location"]).query)["came_from"] == ["/govshare/me?"]
    empty = page(app, world["other_citizen"], "/govshare/me")
    assert rows(empty, "requests") == []
    assert "还没有提交申请" in empty.xpath('//*[contains(@class, "govshare-me-empty")]')[0].text_content()


# ------------------------------------------------------------------ 我的授权, 我的使用

def test_grants_held_with_their_expiry(app, world):
    request = share_request(world, world["member"])
    end = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                        id=request["id"], period_end=end)
    citizen_app = application(world["citizen"])
    helpers.call_action("govshare_application_approve", as_user(world["provider_admin"]),
                        id=citizen_app["id"])
    department = [cells(r) for r in rows(page(app, world["colleague"], "/govshare/me?tab=grants"),
                                         "grants")]
    assert department == [{"信息资源": "低保对象名册", "被授权方": "市人社局", "资源": "全部资源",
                           "有效期至": end, "状态": "有效"}]
    own = [cells(r) for r in rows(page(app, world["citizen"], "/govshare/me?tab=grants"),
                                  "grants")]
    assert own[0]["信息资源"] == "公交客流" and own[0]["被授权方"] == "本人"
    # the provider's admin gave grants out: they hold none
    assert rows(page(app, world["provider_admin"], "/govshare/me?tab=grants"), "grants") == []


def test_my_usage_lists_my_own_uses(app, world):
    request = share_request(world, world["member"])
    helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                        id=request["id"])
    resource = world["conditional"]["resources"][0]
    helpers.call_action("resource_show", as_user(world["member"]), id=resource["id"])
    used = [cells(r) for r in rows(page(app, world["member"], "/govshare/me?tab=usage"), "usage")]
    assert len(used) == 1
    assert used[0]["信息资源"] == "低保对象名册" and used[0]["资源"] == "名册A"
    assert used[0]["代表"] == "市人社局" and used[0]["方式"] == "接口：resource_show"
    assert rows(page(app, world["colleague"], "/govshare/me?tab=usage"), "usage") == []
    # the provider sees the use on its usage page, not as its own
    assert rows(page(app, world["provider_admin"], "/govshare/me?tab=usage"), "usage") == []


def test_usage_list_mine_is_the_callers_own(world):
    assert helpers.call_action("govshare_usage_list", as_user(world["citizen"]), mine=True) == []
    with pytest.raises(Exception) as refused:
        helpers.call_action("govshare_usage_list", as_user(world["citizen"]), mine="sometimes")
    assert "mine" in str(refused.value.error_dict)


# ------------------------------------------------------------------ 通知

def test_notifications_tab_shows_then_marks_seen(app, world):
    request = share_request(world, world["member"])
    helpers.call_action("govshare_request_refuse", as_user(world["provider_admin"]),
                        id=request["id"], reason="用途不符")
    first = page(app, world["member"], "/govshare/me")
    tab = first.xpath('//a[@data-tab="notifications"]')[0]
    assert tab.xpath('.//*[contains(@class, "govshare-me-count")]')[0].text_content() == "1"
    unseen = model.Session.query(Notification).filter_by(user_id=world["member"]["id"], seen=False)
    assert unseen.count() == 1
    shown = page(app, world["member"], "/govshare/me?tab=notifications")
    new = shown.xpath('//li[contains(@class, "govshare-new")]')
    assert len(new) == 1 and "用途不符" in new[0].text_content()
    assert unseen.count() == 0


# ------------------------------------------------------------------ login returns

def login(app, user: dict[str, Any], came_from: str | None = None) -> Any:
    url = "/user/login" + (f"?came_from={came_from}" if came_from is not None else "")
    return app.post(url, data={"login": user["name"], "password": PASSWORD},
                    follow_redirects=False)


def test_login_returns_to_the_page_it_started_from(app, world):
    entry = lxml.html.fromstring(app.get("/dataset/keliu").body)
    link = entry.xpath('//a[contains(@class, "govshare-login-link")]/@href')[0]
    assert parse_qs(urlparse(link).query)["came_from"] == ["/dataset/keliu"]
    response = app.post(link, data={"login": world["citizen"]["name"], "password": PASSWORD},
                        follow_redirects=False)
    assert response.status_code == 302
    assert urlparse(response.headers["Location"]).path == "/dataset/keliu"


def test_login_without_a_page_goes_to_the_user_centre(app, world):
    response = login(app, world["citizen"])
    assert urlparse(response.headers["Location"]).path == "/govshare/me"


@pytest.mark.parametrize("outside", ["http://evil.example/x", "//evil.example/x",
                                     "https://evil.example", "/\\evil.example/x"])
def test_login_never_returns_to_another_site(app, world, outside):
    response = login(app, world["citizen"], outside)
    assert response.status_code == 302
    location = urlparse(response.headers["Location"])
    assert location.netloc in ("", urlparse(SITE).netloc)
    assert not location.path.startswith(("//", "/\\")) and "evil.example" not in location.netloc


def test_wrong_password_keeps_the_page_to_return_to(app, world):
    response = app.post("/user/login?came_from=/dataset/keliu",
                        data={"login": world["citizen"]["name"], "password": "wrong"})
    form = lxml.html.fromstring(response.body).xpath('//form[.//input[@name="password"]]')[0]
    assert form.get("action") in ("", None)  # posts again to /user/login?came_from=...


# ------------------------------------------------------------------ avatars

EXTERNAL_IMAGE = re.compile(r"""(?:src|srcset)=["']?(?:https?:)?//(?!test\.ckan\.net)""")


def test_no_page_references_gravatar_or_an_outside_image(app, world):
    citizen = world["citizen"]
    outsider = make_user(image_url="http://images.example/me.png", fullname="Li Lei")
    for user, url in ((citizen, "/govshare/me"), (citizen, "/dataset/keliu"), (None, "/"),
                      (citizen, f"/user/{citizen['name']}"), (outsider, f"/user/{outsider['name']}"),
                      (outsider, "/dataset/")):
        body = app.get(url, headers=headers(user) if user else {}).body
        assert "gravatar" not in body.lower(), url
        assert not EXTERNAL_IMAGE.search(body), (url, EXTERNAL_IMAGE.search(body).group(0))
    drawn = page(app, outsider, "/govshare/me").xpath('//svg[contains(@class, "govshare-avatar")]')
    assert drawn and drawn[0].xpath("string(.//text)") == "LL"


def test_drawn_avatar_shows_the_given_name_and_an_upload_is_kept(app, world):
    tree = page(app, world["citizen"], "/govshare/me")
    avatar = tree.xpath('//*[contains(@class, "govshare-me-avatar")]//svg')[0]
    assert avatar.xpath("string(.//text)") == "小明"
    uploaded = make_user(image_url="2026-12-01-me.png")
    img = page(app, uploaded, "/govshare/me").xpath(
        '//*[contains(@class, "govshare-me-avatar")]//img/@src')
    assert urlparse(img[0]).path == "/uploads/user/2026-12-01-me.png"


# ------------------------------------------------------------------ sharing

def test_entry_page_shares_by_wechat_qr_code_not_x_or_facebook(app, world):
    body = app.get("/dataset/keliu").body
    assert "x.com" not in body and "facebook.com" not in body and "twitter" not in body.lower()
    tree = lxml.html.fromstring(body)
    box = tree.xpath('//*[contains(@class, "govshare-share-qr")]')[0]
    assert "微信" in box.text_content()
    src = box.xpath(".//img/@src")[0]
    assert parse_qs(urlparse(src).query)["path"] == ["/dataset/keliu"]
    svg = app.get(src)
    assert svg.headers["Content-Type"].startswith("image/svg+xml")
    encoded = lxml.etree.fromstring(svg.data).xpath("string(//*[local-name()='title'])")
    assert urlparse(encoded).path == "/dataset/keliu" and encoded.startswith("http")


@pytest.mark.parametrize("path", ["http://evil.example/", "//evil.example/", "dataset/x", "",
                                  "/dataset/" + "长" * 1001])
def test_share_code_is_only_for_this_sites_pages(app, path):
    app.get("/govshare/share-qr.svg", query_string={"path": path}, status=400)
