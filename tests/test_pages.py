"""The entry and search pages as a reader meets them: the department beside the entry, the
facet links and the descriptions of the results (each built in a cheaper way than CKAN's own,
which must not change what the page shows)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import create_entry, make_department, sql_statements

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def links(page: str, path: str) -> list[list[tuple[str, str]]]:
    """The query parameters of every link on the page to PATH."""
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        url = urlsplit(href.replace("&amp;", "&"))
        if url.path == path and url.query:
            found.append(parse_qsl(url.query))
    return found


def test_the_entry_page_shows_its_department(app, sysadmin_context):
    uploaded = make_department(name="water-dept", title="市水利局", description="负责全市水利工作。",
                               image_url="water.png")
    linked = make_department(name="roads-dept", title="市交通运输局",
                             image_url="https://intra.example/roads.png")
    for department, image in ((uploaded, "/uploads/group/water.png"),
                              (linked, "https://intra.example/roads.png")):
        entry = create_entry(sysadmin_context, department)
        page = app.get(f"/dataset/{entry['name']}").body
        card = page[page.index('id="organization-info"'):]
        card = card[:card.index("</section>")]
        assert department["title"] in card
        assert f'href="/organization/{department["name"]}"' in card
        assert image in card
    assert "负责全市水利工作。" in app.get(f"/dataset/{create_entry(sysadmin_context, uploaded)['name']}").body


def test_facet_links_keep_the_search_and_change_one_value(app, sysadmin_context, department):
    create_entry(sysadmin_context, department, title="户籍人口统计", update_frequency="monthly")
    create_entry(sysadmin_context, department, title="户籍变更登记", update_frequency="annual")
    page = app.get("/dataset/?q=户籍&update_frequency=monthly&page=2").body
    found = links(page, "/dataset/")
    # the active value's link removes only it; another facet's value is added to the search;
    # no link keeps the page number
    assert [("q", "户籍")] in found
    assert [("q", "户籍"), ("update_frequency", "monthly"), ("organization", department["name"])] in found
    assert not any(k == "page" for params in found for k, _ in params)
    narrowed = app.get("/dataset/?q=户籍&update_frequency=monthly").body
    assert "户籍人口统计" in narrowed and "户籍变更登记" not in narrowed


def test_results_show_each_description_as_plain_text(app, sysadmin_context, department):
    create_entry(sysadmin_context, department, title="甲资源", notes="**人口** 的 _基础_ 信息")
    create_entry(sysadmin_context, department, title="乙资源", notes="法人 [登记](http://a.example) 信息")
    for _ in range(2):  # the second page view is served what the first one extracted
        page = app.get("/dataset/").body
        assert "人口 的 基础 信息" in page and "法人 登记 信息" in page
        assert "**人口**" not in page and "](http" not in page


def statements(app, url: str) -> int:
    """SQL statements the page costs (after a first view, which loads templates and the like)."""
    app.get(url)
    with sql_statements() as seen:
        app.get(url)
    return len(seen)


def test_the_access_badges_of_results_cost_nothing_per_result(app, sysadmin_context, department):
    """Share type, open type, update frequency, last update and department come from the
    result dicts: twelve results cost the queries of two."""
    for _ in range(2):
        create_entry(sysadmin_context, department, resources=[{"url": "http://a.example/x.csv"}])
    few = statements(app, "/dataset/")
    for _ in range(10):
        create_entry(sysadmin_context, department, resources=[{"url": "http://a.example/x.csv"}])
    page = app.get("/dataset/").body
    assert page.count('class="govshare-badges') == 12
    assert statements(app, "/dataset/") == few
