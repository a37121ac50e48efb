"""`ckan govshare demo-load`: the demo city someone explores after `make run`.

Loading is the slow part, so the module loads a small city once (ENTRIES
entries) into the test database and every test looks at it; no test here
changes it.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import os
from urllib.parse import urlparse

import pytest
import requests
from ckan import model, plugins
from ckan.cli.cli import ckan
from ckan.common import config
from ckan.config.middleware import make_app
from ckan.lib import uploader
from ckan.tests import helpers
from stdnum.cn import uscc

from ckanext.govshare import demo
from ckanext.govshare import schema as catalog
from ckanext.govshare.codes import CLASS_DIGIT, SHARE_STRICTNESS, STRUCTURED_FORMATS

ENTRIES = 40
DEALT_FIELDS = ["resource_class", "share_type", "open_type", "update_frequency", "format_class"]


@pytest.fixture(scope="module")
def first_load(reset_db, migrate_db_for, reset_index) -> dict[str, int]:
    """A fresh test database and index with the demo city of ENTRIES entries.

    Module-scoped, so it cannot use the function-scoped ``with_plugins``: it
    loads the plugins of config/test.ini itself, and makes a request context
    as the CLI command does.
    """
    plugins.load_all()
    try:
        reset_db()
        migrate_db_for("activity")
        migrate_db_for("govshare")
        migrate_db_for("harvest")
        reset_index()
        with make_app(config)._wsgi_app.test_request_context():
            return demo.load(ENTRIES)
    finally:
        plugins.unload_all()


@pytest.fixture(scope="module", autouse=True)
def _no_synonyms_left_in_solr():
    """The demo's synonyms go into the test core's managed list, which outlives the module."""
    yield
    from ckanext.govshare import synonyms

    synonyms.push({})


@pytest.fixture
def entries(first_load) -> list[dict]:
    return helpers.call_action("package_search", rows=1000, sort="name asc")["results"]


def test_departments_have_valid_credit_codes(first_load):
    names = helpers.call_action("organization_list")
    departments = [helpers.call_action("organization_show", id=n) for n in names]
    codes = [d["department_code"] for d in departments]
    assert len(departments) >= 30 and "data-authority" in names
    assert all(uscc.is_valid(c) and c[:2] in ("11", "12") for c in codes)
    assert len(set(codes)) == len(codes)
    assert {d["region_level"] for d in departments} == {"city", "county"}
    assert all(d["title"] and d["description"] for d in departments)


def test_each_theme_of_the_schema_is_a_group(first_load):
    groups = helpers.call_action("group_list", all_fields=True)
    assert {g["name"]: g["title"] for g in groups} == {
        v: catalog.choice_label("themes", v, "zh_Hans_CN") for v in catalog.choice_values("themes")}


def test_a_small_run_shows_every_choice_in_the_facets(first_load):
    found = helpers.call_action("package_search", rows=0, **{
        "facet.field": json.dumps(DEALT_FIELDS + ["base_category"]), "facet.limit": -1})
    assert found["count"] == ENTRIES
    for field in DEALT_FIELDS + ["base_category"]:
        counts = {i["name"]: i["count"] for i in found["search_facets"][field]["items"]}
        assert set(counts) == set(catalog.choice_values(field)), field
        if field != "base_category":
            assert sum(counts.values()) == ENTRIES


def test_entries_follow_the_catalog_rules(entries):
    today = datetime.date.today().isoformat()
    codes = [e["resource_code"] for e in entries]
    assert len(set(codes)) == len(codes)
    for e in entries:
        assert e["resource_code"][0] == CLASS_DIGIT[e["resource_class"]]
        assert e["publish_date"][:10] <= today
        assert e["tags"] and e["notes"] and e["share_method"]
        if e["share_type"] == "none":
            assert e["open_type"] == "closed" and "《" in e["no_share_basis"]
        if e["share_type"] == "conditional":
            assert e["share_condition"] and e["usage_scope"]
        if e["open_type"] == "authorized":
            assert e["open_condition"]
        if e["resource_class"] == "theme":
            assert e["themes"] and {g["name"] for g in e["groups"]} == set(e["themes"])
        if e["format_class"] in STRUCTURED_FORMATS:
            assert all(i["name"] and i["data_type"] for i in e["info_items"])


def test_some_items_are_shared_more_strictly_than_their_entry(entries):
    stricter = [(e["title"], i["name"]) for e in entries for i in e.get("info_items") or []
                if SHARE_STRICTNESS.index(i.get("share_type") or e["share_type"])
                > SHARE_STRICTNESS.index(e["share_type"])]
    assert stricter


def test_base_resources_cover_every_category_and_are_unconditional(entries):
    base = [e for e in entries if e["resource_class"] == "base"]
    assert {e["base_category"] for e in base} == set(catalog.choice_values("base_category"))
    assert {e["share_type"] for e in base} == {"unconditional"}
    owners = {e["base_category"]: e["organization"]["name"] for e in base
              if e["title"].endswith("基础信息库")}
    assert owners == {c: "data-authority" for c in catalog.choice_values("base_category")}


def test_every_entry_has_a_csv_that_can_be_downloaded(app, entries):
    api = 0
    for e in entries:
        uploads = [r for r in e["resources"] if r["url_type"] == "upload"]
        assert len(uploads) == 1 and uploads[0]["format"] == "CSV"
        api += sum(r["access_method"] == "api" for r in e["resources"])
    assert api

    # Anyone may download the data of an entry open to everyone (普遍开放).
    entry = next(e for e in entries
                 if e["open_type"] == "general" and e["format_class"] in STRUCTURED_FORMATS)
    resource = next(r for r in entry["resources"] if r["url_type"] == "upload")
    path = uploader.get_resource_uploader(dict(resource)).get_path(resource["id"])
    assert os.path.isfile(path)
    response = app.get(urlparse(resource["url"]).path)
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == [i["name"] for i in entry["info_items"]]
    assert len(rows) == 1 + demo.SAMPLE_ROWS and all(len(r) == len(rows[0]) for r in rows)


@pytest.mark.parametrize("words,title", [("人口", "人口基础信息库"),
                                         ("营业执照", "企业营业执照信息"),
                                         ("社保", "企业职工基本养老保险参保信息")])
def test_search_finds_entries_by_chinese_words(first_load, words, title):
    found = helpers.call_action("package_search", q=words, rows=50)
    assert title in [e["title"] for e in found["results"]]


def test_running_the_command_again_creates_nothing(first_load, cli):
    def counts() -> list[int]:
        return [model.Session.query(m).count()
                for m in (model.Package, model.Resource, model.Group, model.Member)]

    before = counts()
    result = cli.invoke(ckan, ["govshare", "demo-load", "--entries", str(ENTRIES)])
    assert result.exit_code == 0, result.output
    assert f"0 created, {sum(first_load.values())} already there" in result.output
    assert counts() == before


def test_a_bigger_run_starts_with_the_same_entries():
    city = demo.read_city()
    small, big = demo.plan_entries(city, 12), demo.plan_entries(city, ENTRIES)
    assert [p.package for p in small] == [p.package for p in big[:12]]


def test_the_authoritys_synonyms_are_searched(first_load):
    pairs = {(s["term"], s["synonym"]) for s in helpers.call_action("govshare_synonym_list")}
    assert {("医保", "医疗保险"), ("社保", "社会保险"), ("营业执照", "企业登记")} <= pairs
    from ckanext.govshare import synonyms

    url = synonyms.solr_urls()[0]
    managed = requests.get(f"{url}/schema/analysis/synonyms/govshare",
                                    timeout=30).json()["synonymMappings"]["managedMap"]
    assert managed["医保"] == ["医保", "医疗 疗保 保险"]
