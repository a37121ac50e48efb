"""Chinese search, English and code search, ranking, and the catalog facets, on the real Solr."""
from __future__ import annotations

import json

import pytest
from ckan.tests import helpers

from conftest import create_entry

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def names(result: dict) -> list[str]:
    return [p["title"] for p in result["results"]]


def search(**params) -> dict:
    return helpers.call_action("package_search", **params)


@pytest.fixture
def catalog(sysadmin_context, department):
    """A small catalog with words placed in titles, notes, tags and item names."""
    create_entry(sysadmin_context, department, title="人口基础信息库",
                 resource_class="base", base_category="population", resource_code="101001/000001")
    create_entry(sysadmin_context, department, title="法人单位基本信息",
                 resource_class="base", base_category="legal_entity", resource_code="101002/000001")
    create_entry(sysadmin_context, department, title="企业营业执照信息",
                 notes="市场监管部门登记的营业执照", tags=[{"name": "社保"}])
    create_entry(sysadmin_context, department, title="Population census data 2020",
                 notes="Census of the resident population by district", resource_code="301009/000123")
    create_entry(sysadmin_context, department, title="流动儿童入学登记表",
                 notes="登记人口流动情况", format_class="spreadsheet",
                 info_items=[{"name": "监护人身份证号码", "data_type": "C", "length": "18"}])
    create_entry(sysadmin_context, department, title="工商营业网点分布")


@pytest.mark.parametrize("query,expected", [
    ("人口", "人口基础信息库"),
    ("法人", "法人单位基本信息"),
    ("营业执照", "企业营业执照信息"),
    ("社保", "企业营业执照信息"),
    ("身份证", "流动儿童入学登记表"),
    ("入学登记", "流动儿童入学登记表"),
])
def test_chinese_word_inside_text_finds_entry(catalog, query, expected):
    assert expected in names(search(q=query))


def test_chinese_search_is_not_too_loose(catalog):
    """营业执照 must not match 工商营业网点分布 just because it shares 营业."""
    assert names(search(q="营业执照")) == ["企业营业执照信息"]


def test_title_matches_rank_first(catalog):
    """人口 is in one title and in another entry's notes: the title match comes first."""
    found = names(search(q="人口"))
    assert found[0] == "人口基础信息库"
    assert "流动儿童入学登记表" in found


@pytest.mark.parametrize("query", ["census", "populations", "Census data"])
def test_english_search_still_works(catalog, query):
    assert names(search(q=query))[0] == "Population census data 2020"


def test_resource_code_search_and_filter(catalog):
    assert names(search(q="301009/000123")) == ["Population census data 2020"]
    assert names(search(fq='resource_code:"301009/000123"')) == ["Population census data 2020"]


def test_facets_count_catalog_fields(catalog):
    result = search(q="*:*", **{"facet.field": json.dumps(
        ["organization", "share_type", "open_type", "update_frequency",
         "resource_class", "format_class", "themes"])})
    facets = result["facets"]
    assert facets["resource_class"] == {"base": 2, "department": 4}
    assert facets["share_type"] == {"unconditional": 6}
    assert facets["format_class"] == {"document": 5, "spreadsheet": 1}
    assert sum(facets["organization"].values()) == 6
    labels = {i["name"]: i["display_name"] for i in result["search_facets"]["share_type"]["items"]}
    assert labels == {"unconditional": "无条件共享"}


def test_facet_filter_narrows_results(sysadmin_context, department):
    create_entry(sysadmin_context, department, title="城市体检指标", resource_class="theme",
                 resource_code="201001/000001", themes=["urban_rural_construction", "ecology_environment"])
    create_entry(sysadmin_context, department, title="危险化学品企业名录", resource_class="theme",
                 resource_code="201002/000001", themes=["work_safety"],
                 share_type="conditional", share_condition="限应急管理", usage_scope=["work_reference"],
                 open_type="closed")
    result = search(fq="themes:work_safety", **{"facet.field": json.dumps(["themes", "share_type"])})
    assert names(result) == ["危险化学品企业名录"]
    assert result["facets"]["share_type"] == {"conditional": 1}
    both = search(**{"facet.field": json.dumps(["themes"])})
    assert both["facets"]["themes"] == {"urban_rural_construction": 1, "ecology_environment": 1,
                                        "work_safety": 1}


def test_search_page_shows_catalog_facets_in_chinese(app, catalog):
    page = app.get("/dataset/").body
    for label in ("共享类型", "开放属性", "更新周期", "信息资源分类", "信息资源格式分类", "部门"):
        assert label in page


def test_theme_entries_join_theme_groups(sysadmin_context, department):
    from ckan.tests import factories
    factories.Group(name="work_safety", title="安全生产")
    pkg = create_entry(sysadmin_context, department, title="安全生产许可证信息", resource_class="theme",
                       resource_code="201003/000001", themes=["work_safety"])
    group = helpers.call_action("group_show", id="work_safety", include_datasets=True)
    assert [p["name"] for p in group["packages"]] == [pkg["name"]]
    helpers.call_action("package_patch", dict(sysadmin_context), id=pkg["id"],
                        resource_class="department", resource_code="301003/000001", themes=[])
    group = helpers.call_action("group_show", id="work_safety", include_datasets=True)
    assert group["packages"] == []
