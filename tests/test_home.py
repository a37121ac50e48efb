"""The home page as each kind of visitor meets it (views/home.py, home.py): its statistics
against numbers counted from what the test made, the latest and most used entries cut to
what the visitor may see, the data authority's announcements (who may write them), and
the access badges and the one next step on search results and entry pages."""
from __future__ import annotations

from typing import Any, Optional

import lxml.html
import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import home

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# Downloads made of each entry's resource, most first: the closed entry (by its own
# department) and the draft are the most used, and must stay hidden from others.
DOWNLOADS = {"closed": 5, "draft": 4, "general": 3, "authorized": 2, "labour": 1}


def headers(user: Optional[dict[str, Any]]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}


def page(app, user, url, status=200) -> Any:
    return lxml.html.fromstring(app.get(url, headers=headers(user), status=status).body)


def texts(tree: Any, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in tree.xpath(xpath)]


def section(tree: Any, name: str) -> Any:
    return tree.xpath(f'//section[contains(@class, "govshare-home-{name}")]')[0]


@pytest.fixture
def city(sysadmin_context, known_calendar, app):
    """Two departments and the authority; civil's entries of every kind, one of labour's;
    downloads as in DOWNLOADS, one open-data application."""
    civil = make_department(name="civil-dept", title="市民政局")
    labour = make_department(name="labour-dept", title="市人社局")
    authority_org = make_department(name="data-authority", title="市大数据局")
    people = {"civil": make_user(civil, "member"), "labour": make_user(labour, "member"),
              "authority": make_user(authority_org, "member"), "citizen": make_user(),
              "newcomer": make_user()}

    def entry(org: dict[str, Any], title: str, **kwargs: Any) -> dict[str, Any]:
        return create_entry(sysadmin_context, org, title=title,
                            resources=[{"url": f"http://data.example/{title}.csv",
                                        "name": f"{title}数据"}], **kwargs)

    entries = {
        "general": entry(civil, "婚姻登记统计", share_type="unconditional", open_type="general",
                         update_frequency="monthly",
                         info_items=[{"name": "登记年份", "data_type": "N", "length": "4",
                                      "share_type": "unconditional", "open": "true"},
                                     {"name": "身份证号", "data_type": "C", "length": "18",
                                      "share_type": "conditional", "open": "false"}]),
        "authorized": entry(civil, "低保对象名册", share_type="conditional",
                            share_condition="限业务协同", usage_scope=["work_reference"],
                            open_type="authorized", open_condition="实名申请",
                            update_frequency="quarterly"),
        "closed": entry(civil, "涉密救助档案", share_type="none", open_type="closed",
                        no_share_basis="《保守国家秘密法》", update_frequency="annual"),
        "draft": entry(civil, "养老机构草稿", catalog_state="draft"),
        "labour": entry(labour, "社保参保登记", share_type="unconditional", open_type="closed"),
    }
    downloader = {"closed": people["civil"], "draft": people["civil"], "general": None,
                  "authorized": people["civil"], "labour": people["labour"]}
    for key, times in DOWNLOADS.items():
        url = (f"/dataset/{entries[key]['id']}/resource/"
               f"{entries[key]['resources'][0]['id']}/download")
        for _ in range(times):
            app.get(url, headers=headers(downloader[key]), status=302, follow_redirects=False)
    helpers.call_action("govshare_application_create", as_user(people["citizen"]),
                        package_id=entries["authorized"]["id"], purpose="研究",
                        scenario="高校课题", security_measures="专人管理",
                        commitment_accepted=True, period_end="2099-06-30")
    home.forget()
    return {"entries": entries, **people}


def titles(entries: dict[str, Any], *keys: str) -> list[str]:
    return [entries[k]["title"] for k in keys]


# ------------------------------------------------------------------ statistics

def test_the_statistics_are_the_counted_figures(app, city):
    figures = {e.get("data-figure"): int(e.xpath("strong")[0].text_content().replace(",", ""))
               for e in page(app, None, "/").xpath('//li[@data-figure]')}
    made = city["entries"]
    registered = [k for k in made if k != "draft"]
    assert figures == {
        "entries": len(registered),
        "departments": len({made[k]["owner_org"] for k in registered}),
        "open_entries": len([k for k in registered
                             if made[k]["open_type"] in ("general", "authorized")]),
        "downloads": sum(DOWNLOADS.values()),
        "applications": 1,
    }


def test_the_statistics_are_kept_for_a_while(app, city, ckan_config, monkeypatch):
    """A new entry shows in the statistics once the kept figures expire (here: forgotten);
    with no keeping (0 seconds) at once."""
    def entries_shown() -> int:
        return int(page(app, None, "/").xpath('//li[@data-figure="entries"]/strong')[0].text)

    assert entries_shown() == 4
    civil = city["entries"]["general"]["owner_org"]
    create_entry({"user": factories.Sysadmin()["name"]}, {"id": civil}, title="新增条目")
    assert entries_shown() == 4
    home.forget()
    assert entries_shown() == 5
    monkeypatch.setitem(ckan_config, "govshare.home.cache_seconds", 0)
    create_entry({"user": factories.Sysadmin()["name"]}, {"id": civil}, title="又一条目")
    assert entries_shown() == 6


# ------------------------------------------------------------------ what each visitor is shown

@pytest.mark.parametrize("who,latest,most_used", [
    # the public (combined site): open entries only
    (None, {"general", "authorized"}, ["general", "authorized"]),
    ("citizen", {"general", "authorized"}, ["general", "authorized"]),
    # another department: every registered entry's metadata (requirements §3), never
    # the provider's draft
    ("labour", {"general", "authorized", "closed", "labour"},
     ["closed", "general", "authorized", "labour"]),
    # the provider: its registered entries and others'; drafts stay on its own pages
    ("civil", {"general", "authorized", "closed", "labour"},
     ["closed", "general", "authorized", "labour"]),
])
def test_latest_and_most_used_are_what_the_visitor_may_see(app, city, who, latest, most_used):
    shown = page(app, city[who] if who else None, "/")
    made = city["entries"]
    assert set(texts(section(shown, "latest"), ".//ol/li/a")) == set(titles(made, *latest))
    assert texts(section(shown, "most-used"), ".//ol/li/a") == titles(made, *most_used)
    uses = texts(section(shown, "most-used"), './/div[@class="govshare-entry-meta"]')
    assert uses[0].endswith(f"{DOWNLOADS[most_used[0]]} 次")


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_on_the_open_site_a_not_shared_entry_never_shows(app, sysadmin_context):
    """The not-shared entry is the most downloaded (by its department); the public sees
    only the open one, in both lists and in the theme and department counts."""
    civil = make_department(name="civil-dept", title="市民政局")
    member = make_user(civil, "member")
    entries = {}
    for key, kwargs in (("open", {"open_type": "general", "resource_class": "theme",
                                  "themes": ["health"], "resource_code": "201001/000001"}),
                        ("none", {"share_type": "none", "open_type": "closed",
                                  "no_share_basis": "《保守国家秘密法》", "resource_class": "theme",
                                  "themes": ["health"], "resource_code": "201001/000002"})):
        entries[key] = create_entry(sysadmin_context, civil, title=f"{key}条目",
                                    resources=[{"url": f"http://data.example/{key}.csv"}],
                                    **kwargs)
    for key, times in (("none", 3), ("open", 1)):
        for _ in range(times):
            app.get(f"/dataset/{entries[key]['id']}/resource/"
                    f"{entries[key]['resources'][0]['id']}/download",
                    headers=headers(member), status=302, follow_redirects=False)
    home.forget()
    for viewer in (None, make_user()):
        shown = page(app, viewer, "/")
        for name in ("latest", "most-used"):
            assert texts(section(shown, name), ".//ol/li/a") == ["open条目"]
        assert shown.xpath('//a[@data-theme="health"]/span[@class="govshare-count"]')[0].text == "1"
        assert shown.xpath('//a[@data-department="civil-dept"]/span[@class="govshare-count"]'
                           )[0].text == "1"
    # the department sees its own entry in the lists (the test can fail)
    assert texts(section(page(app, member, "/"), "most-used"), ".//ol/li/a") == [
        "none条目", "open条目"]


def test_browse_by_theme_and_department_counts_what_the_visitor_finds(app, city,
                                                                       sysadmin_context):
    shown = page(app, None, "/")
    # every theme of the catalog, in its order, each linking to the search that finds them
    themes = shown.xpath('//ul[contains(@class, "govshare-theme-tiles")]/li/a')
    assert [a.get("data-theme") for a in themes] == [
        "health", "social_security", "food_drug_safety", "work_safety", "price_regulation",
        "energy_security", "credit_system", "urban_rural_construction", "community_governance",
        "ecology_environment", "emergency_stability"]
    assert themes[0].xpath('span[@class="govshare-theme-name"]')[0].text == "健康保障"
    department = shown.xpath('//a[@data-department="civil-dept"]')[0]
    assert department.get("href") == "/dataset/?organization=civil-dept"
    assert department.xpath('span[@class="govshare-count"]')[0].text == "2"  # the open ones
    found = lxml.html.fromstring(app.get(department.get("href")).body)
    assert len(found.xpath('//li[contains(@class, "dataset-item")]')) == 2
    labour = page(app, city["labour"], "/")
    assert labour.xpath('//a[@data-department="civil-dept"]/span[@class="govshare-count"]'
                        )[0].text == "3"
    assert not shown.xpath('//a[@data-department="labour-dept"]')  # nothing open


def test_no_ckan_placeholder_and_search_first(app, city):
    body = app.get("/").body
    for placeholder in ("欢迎來到CKAN", "欢迎来到CKAN", "420 x 220", "这是一个特殊的区段",
                        "Welcome to CKAN", "placeholder"):
        assert placeholder not in body.replace('placeholder="', "")
    shown = lxml.html.fromstring(body)
    first_form = shown.xpath('//div[@role="main"]//form')[0]
    assert first_form.get("action") == "/dataset/" and first_form.xpath('.//input[@name="q"]')


@pytest.mark.ckan_config("govshare.site_role", "sharing")
def test_the_sharing_sites_home_is_for_departments(app, sysadmin_context):
    civil = make_department(name="civil-dept", title="市民政局")
    create_entry(sysadmin_context, civil, title="户籍人口", share_type="conditional",
                 share_condition="限业务协同", usage_scope=["work_reference"],
                 open_type="closed")
    home.forget()
    response = app.get("/", follow_redirects=False)
    assert response.status_code == 302 and "/user/login" in response.headers["Location"]
    shown = page(app, make_user(make_department(), "member"), "/")
    assert texts(section(shown, "latest"), ".//ol/li/a") == ["户籍人口"]
    assert "共享" in texts(shown, '//p[@class="govshare-home-lead"]')[0]


# ------------------------------------------------------------------ announcements

def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


def test_the_authority_writes_announcements_everyone_reads_them(app, city):
    created = call(city["authority"], "govshare_announcement_create", title="平台升级通知",
                   body="12月5日晚停机维护。\n请提前安排。")
    assert texts(page(app, None, "/"), '//span[@class="govshare-announcement-title"]') == [
        "平台升级通知"]
    call(city["authority"], "govshare_announcement_update", id=created["id"],
         title="平台升级通知（更正）", body="12月6日晚停机维护。")
    listed = call(None, "govshare_announcement_list")
    assert [(a["title"], a["body"]) for a in listed["results"]] == [
        ("平台升级通知（更正）", "12月6日晚停机维护。")]
    assert "12月6日晚停机维护。" in app.get("/").body
    call(city["authority"], "govshare_announcement_delete", id=created["id"])
    assert call(None, "govshare_announcement_list") == {"count": 0, "results": []}
    assert "平台升级通知" not in app.get("/").body


@pytest.mark.parametrize("who", [None, "citizen", "labour", "civil"])
def test_only_the_authority_writes_announcements(app, city, who):
    user = city[who] if who else None
    note = call(city["authority"], "govshare_announcement_create", title="通知", body="正文")
    for action, data in (("govshare_announcement_create", {"title": "假通知", "body": "正文"}),
                         ("govshare_announcement_update", {"id": note["id"], "title": "改",
                                                           "body": "改"}),
                         ("govshare_announcement_delete", {"id": note["id"]})):
        with pytest.raises(tk.NotAuthorized):
            call(user, action, **data)
    assert [a["title"] for a in call(user, "govshare_announcement_list")["results"]] == ["通知"]
    manage = app.get("/govshare/announcements", headers=headers(user), follow_redirects=False)
    assert manage.status_code == (302 if user is None else 403)
    assert not page(app, user, "/").xpath('//a[contains(@class, "govshare-manage-announcements")]')


def test_the_authoritys_announcement_page(app, city):
    authority = city["authority"]
    assert page(app, authority, "/").xpath('//a[contains(@class, "govshare-manage-announcements")]')
    response = app.post("/govshare/announcements", headers=headers(authority),
                        data={"title": "", "body": "正文"}, status=400)
    assert "缺少该值" in " ".join(texts(lxml.html.fromstring(response.body),
                                      '//*[contains(@class, "error-block")]'))
    assert call(None, "govshare_announcement_list")["count"] == 0  # nothing half-saved
    app.post("/govshare/announcements", headers=headers(authority),
             data={"title": "数据开放月", "body": "欢迎申请。"})
    note = call(None, "govshare_announcement_list")["results"][0]
    edit = page(app, authority, f"/govshare/announcements?edit={note['id']}")
    assert edit.xpath('//form[contains(@class, "govshare-announcement-form")]/@action') == [
        f"/govshare/announcements/{note['id']}"]
    assert edit.xpath('//input[@name="title"]/@value') == ["数据开放月"]
    app.post(f"/govshare/announcements/{note['id']}", headers=headers(authority),
             data={"title": "数据开放月活动", "body": "欢迎申请。"})
    assert call(None, "govshare_announcement_list")["results"][0]["title"] == "数据开放月活动"
    app.post(f"/govshare/announcements/{note['id']}/delete", headers=headers(authority))
    assert call(None, "govshare_announcement_list")["count"] == 0
    app.post("/govshare/announcements/no-such-id/delete", headers=headers(authority), status=404)


def test_announcement_input_is_checked_in_chinese(app, city):
    token = factories.APIToken(user=city["authority"]["name"])["token"]
    for data, field in (({"title": "", "body": "x"}, "title"), ({"title": "x"}, "body"),
                        ({"title": "x" * 201, "body": "x"}, "title"),
                        ({"title": ["x"], "body": "x"}, "title")):
        response = app.post("/api/3/action/govshare_announcement_create", json=data,
                            headers={"Authorization": token}, status=409)
        errors = response.json["error"]
        assert list(k for k in errors if k != "__type") == [field]
        assert all("\u4e00" <= c <= "\u9fff" for c in errors[field][0][:2])
    response = app.post("/api/3/action/govshare_announcement_update",
                        json={"id": "no-such-id", "title": "x", "body": "y"},
                        headers={"Authorization": token}, status=404)
    assert response.json["success"] is False


# ------------------------------------------------------------------ access made visible

def badges(tree: Any) -> list[str]:
    return texts(tree, './/ul[contains(@class, "govshare-badges")]/li')


def test_every_search_result_shows_its_access(app, city):
    shown = page(app, city["labour"], "/dataset/")
    results = {texts(li, ".//h2/a")[0]: li
               for li in shown.xpath('//li[contains(@class, "dataset-item")]')}
    made = city["entries"]
    assert set(results) == set(titles(made, "general", "authorized", "closed", "labour"))
    closed = results[made["closed"]["title"]]
    assert badges(closed)[:3] == ["不予共享", "不予开放", "每年更新"]
    assert badges(closed)[3].startswith("最近更新 20")
    assert texts(closed, './/span[@class="govshare-result-department"]') == ["市民政局"]
    assert badges(results[made["authorized"]["title"]])[:3] == ["有条件共享", "授权开放",
                                                                "每季度更新"]
    body = app.get("/dataset/", headers=headers(city["labour"])).body
    assert "私有的" not in body and "dataset-private" not in body


@pytest.mark.parametrize("who,key,step", [
    (None, "general", "download"),
    (None, "authorized", "login"),
    ("citizen", "authorized", "pending"),  # the fixture's application waits for an answer
    ("newcomer", "authorized", "request"),
    ("labour", "authorized", "request"),
    ("civil", "authorized", "download"),
    ("labour", "closed", None),
    ("labour", "labour", "download"),
])
def test_the_entry_page_shows_the_one_next_step(app, city, who, key, step):
    entry = city["entries"][key]
    shown = page(app, city[who] if who else None, f"/dataset/{entry['name']}")
    box = shown.xpath('//div[contains(@class, "govshare-next-step")]')
    assert len(box) == 1
    buttons = box[0].xpath(".//a[contains(@class, 'btn')]")
    assert [b.get("class").split()[-1] for b in buttons] == (
        [] if step is None else ["govshare-pending-request"] if step == "pending"
        else [f"govshare-{step}-button"])
    if step == "download":
        assert buttons[0].get("href") == entry["resources"][0]["url"]
    elif step == "request":
        assert buttons[0].get("href") == f"/dataset/{entry['name']}/request"
    elif step == "pending":
        assert buttons[0].get("href").startswith("/govshare/requests/")
    elif step == "login":
        assert buttons[0].get("href").startswith("/user/login?came_from=")
    else:  # not shared: what to do instead
        assert "协调" in box[0].text_content()
    # the badges before the button, the key facts after, all labels, no raw codes
    top = shown.xpath('//div[contains(@class, "govshare-next-step")]/preceding-sibling::ul'
                      '[contains(@class, "govshare-badges")]')
    assert top and texts(top[0], "li")[0] in ("无条件共享", "有条件共享", "不予共享")
    facts = dict(zip(texts(shown, '//dl[@class="govshare-key-facts"]//dt'),
                     texts(shown, '//dl[@class="govshare-key-facts"]//dd')))
    assert facts["信息资源提供方"] == ("市人社局" if key == "labour" else "市民政局")
    assert facts["共享类型"] in ("无条件共享", "有条件共享", "不予共享")
    assert all(v and v not in ("True", "False", "None", entry["share_type"]) for v in facts.values())


def test_information_items_are_a_table_without_raw_values(app, city):
    entry = city["entries"]["general"]
    shown = page(app, city["labour"], f"/dataset/{entry['name']}")
    table = shown.xpath('//section[@class="govshare-info-items"]//table')[0]
    assert texts(table, ".//thead/tr/th") == ["#", "信息项名称", "数据类型", "数据长度", "共享类型",
                                              "是否开放"]
    assert [texts(row, "td") for row in table.xpath(".//tbody/tr")] == [
        ["1", "登记年份", "数值型", "4", "无条件共享", "是"],
        ["2", "身份证号", "字符型", "18", "有条件共享", "否"]]
    body = app.get(f"/dataset/{entry['name']}", headers=headers(city["labour"])).body
    main = lxml.html.fromstring(body).xpath('//div[@role="main"]')[0].text_content()
    for raw in ("True", "False", "unconditional", "monthly", "私有的", "active"):
        assert raw not in main
    # no empty rows in the rest of the fields
    rows = shown.xpath('//section[@class="additional-info"]//tr')
    assert rows and all(texts(row, "td")[0] for row in rows)
