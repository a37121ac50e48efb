"""One number, one source (一数一源, issue 9 part 5): the index of information items, the
authority's synonyms and source departments (数源部门), who provides an item (to those who
may see it), the compiler's notice and the duplicate-collection page."""
from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
import sqlalchemy.exc
from ckan import logic, model
from ckan.tests import factories, helpers
from click.testing import CliRunner

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import cli, sources
from ckanext.govshare.model import InfoItem, InfoItemSource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def items(*names: str) -> list[dict[str, str]]:
    return [{"name": name, "data_type": "C", "length": "50"} for name in names]


@pytest.fixture
def world(sysadmin_context):
    """Two departments that both collect the citizen ID number, under different spellings,
    a third that does not, and the data authority."""
    police = make_department(name="police", title="市公安局")
    civil = make_department(name="civil", title="市民政局")
    other = make_department(name="other", title="市文旅局")
    authority = make_department(name="data-authority", title="市大数据局")
    return {
        "police": police, "civil": civil, "other": other,
        "residents": create_entry(sysadmin_context, police, title="常住人口信息",
                                  info_items=items("身份证号", "姓名")),
        "relief": create_entry(sysadmin_context, civil, title="低保对象名册",
                               info_items=items("身份证号码", "姓 名")),
        "authority": make_user(authority, "member"),
        "police_admin": make_user(police, "admin"),
        "civil_admin": make_user(civil, "admin"),
        "other_member": make_user(other, "member"),
        "citizen": factories.User(),
    }


def call(user: dict[str, Any] | None, action: str, **data: Any) -> Any:
    return helpers.call_action(action, as_user(user), **data)


def provided_by(user, name) -> tuple[set[str], set[str], Any]:
    found = call(user, "govshare_info_item_sources", name=name)
    return ({e["title"] for e in found["entries"]}, {d["title"] for d in found["departments"]},
            found["source"] and found["source"]["title"])


# ------------------------------------------------------------------ normalisation

@pytest.mark.parametrize("variant", ["身份证号", "身份证号 ", " 身 份 证 号", "身份证号。",
                                     "（身份证号）", "身份证号\u3000", "身份证-号", "身份证号!"])
def test_spellings_of_one_name_are_one_item(variant):
    assert sources.normalise(variant) == sources.normalise("身份证号") == "身份证号"


def test_full_width_and_case_are_folded():
    assert sources.normalise("ＩＤ　Ｎｏ．") == sources.normalise("id no") == "idno"
    assert sources.normalise("统一社会信用代码（ＵＳＣＣ）") == "统一社会信用代码uscc"
    assert sources.normalise("身份证号") != sources.normalise("身份证")


def test_synonyms_make_different_names_one_item(world):
    assert provided_by(world["authority"], "身份证号")[0] == {"常住人口信息"}
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="公民身份号码")
    for name in ("身份证号", "身份证号码", "公民 身份号码", "公民身份号码。"):
        assert provided_by(world["police_admin"], name)[0] == {"常住人口信息", "低保对象名册"}
    assert call(world["citizen"], "govshare_info_item_synonym_list") == [
        {"key": "身份证号", "name": "身份证号", "synonyms": ["公民身份号码", "身份证号码"]}]
    # a synonym of a synonym joins the same item, not a chain
    call(world["authority"], "govshare_info_item_synonym_create", name="公民身份号码",
         synonym="居民身份证号码")
    assert provided_by(world["authority"], "居民身份证号码")[0] == {"常住人口信息", "低保对象名册"}

    call(world["authority"], "govshare_info_item_synonym_delete", synonym="身份证号码")
    assert provided_by(world["authority"], "身份证号")[0] == {"常住人口信息"}


def test_synonym_errors_name_the_field(world):
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    for data, field in [({"name": "身份证号", "synonym": "身份证 号"}, "synonym"),
                        ({"name": "姓名", "synonym": "身份证号码"}, "synonym"),
                        ({"name": "。。", "synonym": "x"}, "name"),
                        ({"name": "姓名"}, "synonym")]:
        with pytest.raises(logic.ValidationError) as error:
            call(world["authority"], "govshare_info_item_synonym_create", **data)
        assert field in error.value.error_dict
    with pytest.raises(logic.ValidationError) as error:
        call(world["authority"], "govshare_info_item_synonym_delete", synonym="姓名")
    assert "synonym" in error.value.error_dict


def test_only_the_authority_keeps_the_synonym_list(world):
    for user in ("police_admin", "citizen"):
        with pytest.raises(logic.NotAuthorized):
            call(world[user], "govshare_info_item_synonym_create", name="身份证号",
                 synonym="身份证号码")
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    with pytest.raises(logic.NotAuthorized):
        call(world["police_admin"], "govshare_info_item_synonym_delete", synonym="身份证号码")


# ------------------------------------------------------------------ the index

def _indexed(package_id: str) -> list[str]:
    return [row.name for row in model.Session.query(InfoItem).filter(
        InfoItem.package_id == package_id).order_by(InfoItem.position)]


def test_index_follows_create_update_delete(world, sysadmin_context):
    entry = world["residents"]
    assert _indexed(entry["id"]) == ["身份证号", "姓名"]
    helpers.call_action("package_patch", dict(sysadmin_context), id=entry["id"],
                        info_items=items("住址", "身份证号"))
    assert _indexed(entry["id"]) == ["住址", "身份证号"]
    assert provided_by(world["authority"], "住 址")[0] == {"常住人口信息"}
    assert provided_by(world["authority"], "姓名")[0] == {"低保对象名册"}
    helpers.call_action("package_delete", dict(sysadmin_context), id=entry["name"])
    assert _indexed(entry["id"]) == []
    assert provided_by(world["authority"], "住址")[0] == set()
    helpers.call_action("dataset_purge", dict(sysadmin_context), id=world["relief"]["id"])
    assert model.Session.query(InfoItem).count() == 0


def test_a_refused_update_leaves_the_index_as_it_was(world, sysadmin_context):
    with pytest.raises(logic.ValidationError):
        helpers.call_action("package_patch", dict(sysadmin_context), id=world["residents"]["id"],
                            info_items=items("住址"), resource_code="bad")
    model.Session.rollback()
    assert _indexed(world["residents"]["id"]) == ["身份证号", "姓名"]


def test_rebuild_command_restores_the_index(world):
    model.Session.query(InfoItem).delete()
    model.Session.commit()
    result = CliRunner().invoke(cli.govshare, ["sources", "rebuild"], catch_exceptions=False)
    assert result.exit_code == 0 and "information items indexed: 4" in result.output
    assert _indexed(world["relief"]["id"]) == ["身份证号码", "姓 名"]


# ------------------------------------------------------------------ who provides it

def test_sources_list_entries_and_departments(world):
    entries, departments, source = provided_by(world["other_member"], "姓名")
    assert entries == {"常住人口信息", "低保对象名册"}
    assert departments == {"市公安局", "市民政局"}
    assert source is None
    assert provided_by(world["other_member"], "婚姻状况") == (set(), set(), None)


@pytest.fixture
def closed_entry(world, sysadmin_context):
    """An entry of the civil department closed to the public: only departments see it."""
    return create_entry(sysadmin_context, world["civil"], title="困难群众台账",
                        open_type="closed", info_items=items("家庭住址"))


def test_a_citizen_does_not_learn_of_entries_closed_to_the_public(world, closed_entry):
    assert provided_by(world["citizen"], "家庭住址")[0] == set()
    assert provided_by(world["other_member"], "家庭住址")[0] == {"困难群众台账"}


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_on_the_open_site_a_department_sees_only_its_own_closed_entries(world, closed_entry):
    assert provided_by(world["other_member"], "家庭住址") == (set(), set(), None)
    assert provided_by(world["civil_admin"], "家庭住址")[1] == {"市民政局"}


def test_anonymous_callers_are_refused(world):
    with pytest.raises(logic.NotAuthorized):
        call(None, "govshare_info_item_sources", name="姓名")


def test_item_name_is_validated(world):
    for name in ("", " ", "。、", "名" * 101):
        with pytest.raises(logic.ValidationError) as error:
            call(world["police_admin"], "govshare_info_item_sources", name=name)
        assert "name" in error.value.error_dict


# ------------------------------------------------------------------ source departments

def test_authority_designates_the_source_department(world):
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    call(world["authority"], "govshare_source_designate", name="身份证号码",
         owner_org="police")
    assert provided_by(world["civil_admin"], "身份证 号")[2] == "市公安局"
    # designated again: the item still has one source department
    call(world["authority"], "govshare_source_designate", name="身份证号", owner_org="civil")
    assert provided_by(world["citizen"], "身份证号码")[2] == "市民政局"
    assert model.Session.query(InfoItemSource).count() == 1


def test_only_the_authority_designates(world):
    for user in ("police_admin", "civil_admin", "other_member", "citizen"):
        with pytest.raises(logic.NotAuthorized):
            call(world[user], "govshare_source_designate", name="身份证号", owner_org="police")
    assert model.Session.query(InfoItemSource).count() == 0


def test_designating_no_department_is_refused_by_field(world):
    with pytest.raises(logic.ValidationError) as error:
        call(world["authority"], "govshare_source_designate", name="身份证号",
             owner_org="no-such-department")
    assert "owner_org" in error.value.error_dict
    assert model.Session.query(InfoItemSource).count() == 0


def test_one_source_department_per_item_is_a_constraint(world):
    police, civil = model.Group.get("police"), model.Group.get("civil")
    model.Session.add(InfoItemSource(item="身份证号", name="身份证号", owner_org=police.id))
    model.Session.commit()
    model.Session.add(InfoItemSource(item="身份证号", name="身份证号码", owner_org=civil.id))
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        model.Session.commit()
    model.Session.rollback()


def test_merging_synonyms_keeps_one_source_department(world):
    call(world["authority"], "govshare_source_designate", name="身份证号码", owner_org="police")
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    assert provided_by(world["civil_admin"], "身份证号")[2] == "市公安局"
    call(world["authority"], "govshare_source_designate", name="公民身份号码", owner_org="civil")
    with pytest.raises(logic.ValidationError) as error:
        call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
             synonym="公民身份号码")
    assert "synonym" in error.value.error_dict
    assert provided_by(world["civil_admin"], "身份证号")[2] == "市公安局"


# ------------------------------------------------------------------ pages

def by_class(tree: Any, cls: str, below: str = "") -> list[Any]:
    """The elements of class ``cls`` (then the ``below`` XPath steps under them)."""
    return tree.xpath(f"//*[contains(concat(' ', @class, ' '), ' {cls} ')]{below}")


def headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _rows(response) -> dict[str, list[str]]:
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return {row.get("data-item"): [" ".join(td.text_content().split()) for td in row.findall("td")]
            for row in by_class(page, "govshare-duplicates", "/tbody/tr")}


def test_duplicates_page_and_designate_form(app, world):
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    page = app.get("/govshare/sources", headers=headers(world["authority"]))
    assert "重复采集" in page.get_data(as_text=True)
    rows = _rows(page)
    assert set(rows) == {"身份证号", "姓名"}
    assert rows["身份证号"][1] == "市公安局、市民政局" and rows["身份证号"][3] == "未指定"
    done = app.post("/govshare/sources/designate", headers=headers(world["authority"]),
                    data={"name": "身份证号", "owner_org": world["police"]["id"]},
                    follow_redirects=True)
    assert _rows(done)["身份证号"][3] == "市公安局"
    refused = app.post("/govshare/sources/designate", headers=headers(world["authority"]),
                       data={"name": "身份证号", "owner_org": "nobody"}, status=400)
    assert "没有这个部门" in refused.get_data(as_text=True)
    looked_up = lxml.html.fromstring(app.get("/govshare/sources?name=身份证号码",
                                             headers=headers(world["authority"])).get_data(as_text=True))
    found = " ".join(by_class(looked_up, "govshare-looked-up")[0].text_content().split())
    assert "数源部门: 市公安局" in found and "常住人口信息" in found and "低保对象名册" in found


def test_duplicates_page_is_the_authoritys(app, world):
    app.get("/govshare/sources", headers=headers(world["police_admin"]), status=403)
    app.post("/govshare/sources/designate", headers=headers(world["police_admin"]),
             data={"name": "身份证号", "owner_org": world["police"]["id"]}, status=403)
    assert model.Session.query(InfoItemSource).count() == 0


def test_synonym_form_on_the_page(app, world):
    app.post("/govshare/sources/synonyms", headers=headers(world["authority"]),
             data={"name": "身份证号", "synonym": "身份证号码"}, follow_redirects=True)
    page = app.get("/govshare/sources", headers=headers(world["authority"]))
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    assert [td.text_content() for td in by_class(tree, "govshare-synonyms", "//td")][:2] == [
        "身份证号", "身份证号码"]
    refused = app.post("/govshare/sources/synonyms", headers=headers(world["authority"]),
                       data={"name": "姓名", "synonym": "身份证号码"}, status=400)
    assert "已是" in refused.get_data(as_text=True)


def test_compilers_see_which_items_others_provide(app, world):
    call(world["authority"], "govshare_info_item_synonym_create", name="身份证号",
         synonym="身份证号码")
    call(world["authority"], "govshare_source_designate", name="身份证号", owner_org="police")
    for url in (f"/dataset/{world['relief']['name']}", f"/dataset/edit/{world['relief']['name']}"):
        page = lxml.html.fromstring(app.get(url, headers=headers(world["civil_admin"]))
                                    .get_data(as_text=True))
        notices = {li.get("data-item"): " ".join(li.text_content().split())
                   for li in by_class(page, "govshare-item-sources", "//li")}
        assert set(notices) == {"姓名", "身份证号"}, url
        assert "市公安局" in notices["姓名"] and "常住人口信息" in notices["姓名"]
        assert "数源部门：市公安局" in notices["身份证号"]
    # an entry is not its own duplicate
    page = lxml.html.fromstring(app.get(f"/dataset/{world['residents']['name']}",
                                        headers=headers(world["police_admin"]))
                                .get_data(as_text=True))
    notices = {li.get("data-item"): " ".join(li.text_content().split())
               for li in by_class(page, "govshare-item-sources", "//li")}
    assert "低保对象名册" in notices["身份证号"] and "常住人口信息" not in notices["身份证号"]
    # readers who do not compile the entry see no notice
    page = app.get(f"/dataset/{world['relief']['name']}", headers=headers(world["other_member"]))
    assert "govshare-item-sources" not in page.get_data(as_text=True)


# ------------------------------------------------------------------ the live hint

def test_the_entry_forms_load_the_live_hint_with_the_action_api(app, world):
    """The form's script asks govshare_info_item_sources over the action API (GET, as the
    signed-in compiler); the browser test (tests/test_browser_catalog.py) sees the hint."""
    for url, package_id in ((f"/dataset/new?owner_org={world['civil']['id']}", ""),
                            (f"/dataset/edit/{world['relief']['name']}", world["relief"]["id"])):
        page = lxml.html.fromstring(app.get(url, headers=headers(world["civil_admin"]))
                                    .get_data(as_text=True))
        script = page.xpath('//script[contains(@src, "govshare-item-sources.js")]')
        assert script, url
        assert script[0].get("data-api").endswith("/api/3/action/govshare_info_item_sources")
        assert script[0].get("data-package-id") == package_id
        assert "请通过共享获取" in json.loads(script[0].get("data-labels"))["advice"]
    script = app.get("/govshare-item-sources.js").get_data(as_text=True)
    assert "info_items-" in script and "fetch(" in script


@pytest.mark.ckan_config("govshare.site_role", "sharing")
def test_a_compiling_department_asks_the_action_over_the_api(app, world, sysadmin_context):
    civil_editor = make_user(world["civil"], "editor")
    # a draft of another department provides nothing yet: it is not registered
    create_entry(sysadmin_context, world["other"], title="文旅草稿", catalog_state="draft",
                 info_items=items("身份证号"))
    call(world["authority"], "govshare_source_designate", name="身份证号", owner_org="police")
    response = app.get("/api/3/action/govshare_info_item_sources",
                       query_string={"name": "身份证 号"}, headers=headers(civil_editor))
    found = response.json["result"]
    assert {e["title"] for e in found["entries"]} == {"常住人口信息"}
    assert found["source"]["title"] == "市公安局"
    app.get("/api/3/action/govshare_info_item_sources", query_string={"name": "身份证号"},
            status=403)
