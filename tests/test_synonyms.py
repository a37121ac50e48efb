"""Search finds what people type (synonyms.py, search.py, solr/make_schema.py), against the
real Solr: traditional characters find simplified entries, the authority's synonyms find
their entries as soon as its page saves them (the cores reloaded, no restart), every core
that follows the list gets it, and a search that finds nothing suggests entries the
visitor may see, never one hidden from them."""
from __future__ import annotations

from typing import Any, Optional

import lxml.html
import pytest
import requests
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import synonyms

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture(autouse=True)
def empty_solr_list():
    """The managed list lives in the core, which outlives the emptied database."""
    synonyms.push({})
    yield
    synonyms.push({})


def headers(user: Optional[dict[str, Any]]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}


def titles(user: Optional[dict[str, Any]], q: str) -> set[str]:
    found = helpers.call_action("package_search", as_user(user), q=q, rows=100)
    return {r["title"] for r in found["results"]}


def page_titles(app, user, q: str) -> list[str]:
    tree = lxml.html.fromstring(app.get("/dataset/", params={"q": q}, headers=headers(user)).body)
    return [" ".join(a.text_content().split())
            for a in tree.xpath('//*[contains(@class, "dataset-heading")]//a')]


@pytest.fixture
def city(sysadmin_context, known_calendar):
    civil = make_department(name="civil-dept", title="市民政局")
    police = make_department(name="police-dept", title="市公安局")
    authority_org = make_department(name="data-authority", title="市大数据局")
    people = {"authority": make_user(authority_org), "police": make_user(police),
              "civil": make_user(civil), "citizen": make_user()}
    for org, title in ((police, "户籍人口信息"), (civil, "城镇职工医疗保险参保信息"),
                       (civil, "社会保险参保登记"), (civil, "企业营业执照信息"),
                       (civil, "个体工商户企业登记"), (civil, "工商营业网点分布")):
        create_entry(sysadmin_context, org, title=title)
    create_entry(sysadmin_context, police, title="户籍档案涉密清单", share_type="none",
                 open_type="closed", no_share_basis="《保守国家秘密法》")
    return people


def test_traditional_characters_find_the_simplified_entry(city):
    citizen = city["citizen"]
    assert titles(citizen, "戶籍") == {"户籍人口信息"}
    assert titles(citizen, "戶籍人口") == {"户籍人口信息"}
    assert titles(citizen, "醫療保險") == {"城镇职工医疗保险参保信息"}


def test_a_synonym_finds_the_entries_of_the_other_word(city):
    authority, citizen = city["authority"], city["citizen"]
    assert titles(citizen, "医保") == set()
    assert titles(citizen, "营业执照") == {"企业营业执照信息"}
    helpers.call_action("govshare_synonym_create", as_user(authority), term="医保",
                        synonym="医疗保险")
    helpers.call_action("govshare_synonym_create", as_user(authority), term="营业执照",
                        synonym="企业登记")
    assert titles(citizen, "医保") == {"城镇职工医疗保险参保信息"}
    assert titles(citizen, "醫保") == {"城镇职工医疗保险参保信息"}  # traditional, then the pair
    assert titles(citizen, "营业执照") == {"企业营业执照信息", "个体工商户企业登记"}
    assert titles(citizen, "企业登记") == {"企业营业执照信息", "个体工商户企业登记"}
    # The pair's words as a whole, not their parts: 营业 alone is not widened.
    assert titles(citizen, "营业") == {"企业营业执照信息", "工商营业网点分布"}
    listed = helpers.call_action("govshare_synonym_list", as_user(None))
    assert [(s["term"], s["synonym"]) for s in listed] == [("医保", "医疗保险"),
                                                           ("营业执照", "企业登记")]


def test_the_page_adds_and_removes_a_synonym_without_a_restart(app, city, ckan_config,
                                                               monkeypatch):
    authority, citizen = city["authority"], city["citizen"]
    open_core = ckan_config["solr_url"].rsplit("/", 1)[0] + "/ckan_open_test"
    monkeypatch.setitem(ckan_config, "govshare.synonyms.solr_urls", [open_core])
    try:
        assert "社会保险参保登记" not in page_titles(app, citizen, "社保")
        search_page = lxml.html.fromstring(app.get("/dataset/", headers=headers(authority)).body)
        assert search_page.xpath('//p[contains(@class, "govshare-manage-synonyms")]/a/@href') == [
            "/govshare/synonyms"]
        tree = lxml.html.fromstring(app.get("/govshare/synonyms", headers=headers(authority)).body)
        assert tree.xpath('//form[contains(@class, "govshare-synonym-form")]')
        app.post("/govshare/synonyms", headers=headers(authority),
                 data={"term": "社保", "synonym": "社会保险"})
        assert page_titles(app, citizen, "社保") == ["社会保险参保登记"]
        open_list = requests.get(f"{open_core}/schema/analysis/synonyms/govshare",
                                 timeout=30).json()["synonymMappings"]["managedMap"]
        assert open_list == {"社保": ["社会 会保 保险", "社保"],
                             "社会 会保 保险": ["社会 会保 保险", "社保"]}
        pair = helpers.call_action("govshare_synonym_list", as_user(None))[0]
        tree = lxml.html.fromstring(app.get("/govshare/synonyms", headers=headers(authority)).body)
        assert [" ".join(td.text_content().split()) for td in
                tree.xpath('//table[contains(@class, "govshare-synonyms")]//tr/td[position() < 3]')
                ] == ["社保", "社会保险"]
        app.post(f"/govshare/synonyms/{pair['id']}/delete", headers=headers(authority))
        assert "社会保险参保登记" not in page_titles(app, citizen, "社保")
        assert requests.get(f"{open_core}/schema/analysis/synonyms/govshare", timeout=30).json()[
            "synonymMappings"]["managedMap"] == {}
    finally:
        synonyms.push({})


@pytest.mark.parametrize("who", ["police", "citizen", None])
def test_only_the_authority_keeps_the_list(app, city, who):
    user = city[who] if who else None
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("govshare_synonym_create", as_user(user), term="医保",
                            synonym="医疗保险")
    pair = helpers.call_action("govshare_synonym_create", as_user(city["authority"]),
                               term="医保", synonym="医疗保险")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("govshare_synonym_delete", as_user(user), id=pair["id"])
    status = 403 if user else 302
    app.get("/govshare/synonyms", headers=headers(user), status=status, follow_redirects=False)
    search_page = lxml.html.fromstring(app.get("/dataset/", headers=headers(user)).body)
    assert not search_page.xpath('//p[contains(@class, "govshare-manage-synonyms")]')
    assert titles(city["citizen"], "医保") == {"城镇职工医疗保险参保信息"}


def test_synonym_input_is_checked_in_chinese(app, city):
    token = factories.APIToken(user=city["authority"]["name"])["token"]
    helpers.call_action("govshare_synonym_create", as_user(city["authority"]), term="医保",
                        synonym="医疗保险")
    for data, field in (({"term": "", "synonym": "x"}, "term"), ({"term": "x"}, "synonym"),
                        ({"term": "x" * 51, "synonym": "y"}, "term"),
                        ({"term": ["x"], "synonym": "y"}, "term"),
                        ({"term": "社保", "synonym": "社保"}, "synonym"),
                        ({"term": "医疗保险", "synonym": "医保"}, "synonym")):  # the pair, reversed
        response = app.post("/api/3/action/govshare_synonym_create", json=data,
                            headers={"Authorization": token}, status=409)
        errors = response.json["error"]
        assert [k for k in errors if k != "__type"] == [field]
        assert all("\u4e00" <= c <= "\u9fff" for c in errors[field][0][:2])
    assert len(helpers.call_action("govshare_synonym_list", as_user(None))) == 1
    response = app.post("/govshare/synonyms", headers={"Authorization": token},
                        data={"term": "社保", "synonym": ""}, status=400)
    assert lxml.html.fromstring(response.body).xpath('//*[contains(@class, "error-block")]')
    app.post("/govshare/synonyms/no-such-id/delete", headers={"Authorization": token}, status=404)


def test_a_search_that_finds_nothing_suggests_what_the_visitor_may_see(app, city):
    q = "户籍人口统计年鉴"
    assert titles(city["police"], q) == set()
    suggest = "govshare_search_suggest"
    assert [s["title"] for s in helpers.call_action(suggest, as_user(None), q=q)] == [
        "户籍人口信息"]
    assert [s["title"] for s in helpers.call_action(suggest, as_user(city["citizen"]), q=q)] == [
        "户籍人口信息"]
    # The provider sees its closed entry, so it is suggested to the provider only.
    assert {s["title"] for s in helpers.call_action(suggest, as_user(city["police"]), q=q)} == {
        "户籍人口信息", "户籍档案涉密清单"}
    tree = lxml.html.fromstring(app.get("/dataset/", params={"q": q}).body)
    block = tree.xpath('//div[contains(@class, "govshare-suggestions")]')
    assert [" ".join(a.text_content().split()) for a in block[0].xpath(".//a")] == ["户籍人口信息"]
    assert "户籍档案涉密清单" not in app.get("/dataset/", params={"q": q}).body
    # Words that match nothing at all: no block.
    tree = lxml.html.fromstring(app.get("/dataset/", params={"q": "火星基地"}).body)
    assert not tree.xpath('//div[contains(@class, "govshare-suggestions")]')
