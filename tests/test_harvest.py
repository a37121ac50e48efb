"""The provincial platform harvests the city's catalog without loss (issue 12, item 3).

A second CKAN plays the provincial platform; ckanext-harvest with ckanext-dcat's
RDF harvester (govshare profile, source type ``govshare_dcat``) harvests over HTTP (a) the city's open catalog,
anonymously, and (b) its sharing catalog with the API token of a provincial account that
the city registered in one of its departments. Every catalog field of every entry arrives
(package_show compared field by field on both sides), a second harvest changes nothing,
and entries withdrawn at the city are withdrawn at the province.
"""
from __future__ import annotations

import json
from typing import Any

import ckanapi
import pytest
from ckan import model
from ckan.tests import helpers

from ckanext.govshare import harvest
from ckanext.govshare import schema as catalog
from ckanext.govshare.harvesters.dcat import GovshareDCATHarvester

from conftest import create_entry, make_department, make_user, sql_statements
from harvest_sites import city, province
from test_dcat import ENTRIES, _norm

pytestmark = [
    pytest.mark.xdist_group("province"),  # the ckan_province_test core and Redis database 6
    pytest.mark.usefixtures("clean_db", "clean_index"),
]


@pytest.fixture(scope="module")
def platforms(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("harvest")
    upper = province(tmp)
    lower = city(tmp, **{"ckanext.dcat.datasets_per_page": "3"})  # several pages
    try:
        upper.start(tmp / "province.log")
        lower.start(tmp / "city.log")
        yield lower, upper
    finally:
        upper.stop()
        lower.stop()


def departments_on(site_api, *orgs: dict[str, Any]) -> None:
    """The city's departments as the province registers them (same 统一社会信用代码)."""
    for org in orgs:
        site_api.action.organization_create(name=org["name"], title=org["title"],
                                            department_code=org["department_code"],
                                            region_level=org["region_level"])


@pytest.fixture
def harvest_source():
    """Makes harvest sources; each is cleared (its entries, jobs and objects purged) after
    the test, since the province outlives the tests while the city is reset for each."""
    made = []

    def create(site_api, name: str, url: str, owner: str, **config: Any) -> str:
        source = site_api.action.harvest_source_create(
            name=name, title=name, url=url, source_type="govshare_dcat", owner_org=owner,
            config=json.dumps(config) if config else "")["id"]
        made.append((site_api, source))
        return source

    yield create
    for site_api, source in made:
        site_api.action.harvest_source_clear(id=source)


def comparable(entry: dict[str, Any], department_code: str) -> dict[str, Any]:
    """Every catalog field of an entry, the department by its 统一社会信用代码."""
    values: dict[str, Any] = {}
    for field in catalog.dataset_fields():
        name = field["field_name"]
        if name in harvest.OWN_FIELDS:  # the harvesting platform's own (回流 marks)
            continue
        if name == "owner_org":
            values[name] = department_code
        elif name == "tag_string":
            values[name] = sorted(t["name"] for t in entry.get("tags") or []) or None
        else:
            values[name] = _norm(entry.get(name))
    values["resources"] = [{f["field_name"]: _norm(r.get(f["field_name"]))
                            for f in catalog.resource_fields()}
                           for r in entry.get("resources") or []]
    return values


def by_code(site_api, source: str = "") -> dict[str, dict[str, Any]]:
    """The entries a caller finds, by resource code (at the province: of one source)."""
    fq = f'harvest_source_id:"{source}"' if source else ""
    found = site_api.action.package_search(rows=1000, include_private=True, fq=fq)["results"]
    return {e["resource_code"]: e for e in found}


def department_code(site_api, org_id: str) -> str:
    return site_api.action.organization_show(id=org_id)["department_code"]


def assert_arrived(city_api, province_api, cities: dict[str, dict[str, Any]],
                   provinces: dict[str, dict[str, Any]]) -> None:
    """Each entry at the province has every catalog field as the harvester's account sees
    it at the city (resource URLs only where that account may have the data)."""
    assert cities and set(provinces) == set(cities)
    for code, entry in cities.items():
        here = city_api.action.package_show(id=entry["id"])
        there = province_api.action.package_show(id=provinces[code]["id"])
        assert comparable(there, department_code(province_api, there["owner_org"])) == \
            comparable(here, department_code(city_api, here["owner_org"])), code


@pytest.fixture
def city_catalog(sysadmin_context):
    """The entries of tests/test_dcat.py (together every field of the schema) and more,
    in two departments, each entry with a file and an interface."""
    ctx = sysadmin_context
    health, transport = make_department(), make_department(region_level="county")
    made = [create_entry(ctx, health, **values) for values in ENTRIES]
    made += [create_entry(ctx, transport, title=f"公交线路{n}", share_type="conditional",
                          share_condition="交通规划使用", usage_scope=["work_reference"],
                          open_type="closed" if n % 2 else "general") for n in range(4)]
    for entry in made:
        helpers.call_action("resource_create", dict(ctx), package_id=entry["id"], name="数据",
                            description="数据文件", format="CSV", access_method="bulk_download",
                            url="https://files.example.gov/a.csv")
        helpers.call_action("resource_create", dict(ctx), package_id=entry["id"], name="接口",
                            url="https://api.example.gov/v1/", access_method="api")
    return health, transport


def test_the_province_harvests_the_open_catalog_without_loss(platforms, city_catalog,
                                                             harvest_source, sysadmin_context):
    lower, upper = platforms
    admin = upper.api(upper.token("provadmin"))
    departments_on(admin, *city_catalog)
    source = harvest_source(admin, "binzhou-open", f"{lower.url}/catalog.ttl",
                            city_catalog[0]["name"])
    upper.harvest(source, admin)

    public = by_code(lower.api())
    harvested = by_code(admin, source)
    assert public and set(harvested) == set(public)
    assert_arrived(lower.api(), admin, public, harvested)


def test_the_province_harvests_the_sharing_catalog_with_a_token(platforms, city_catalog,
                                                                harvest_source,
                                                                sysadmin_context):
    """The city registers the provincial platform's account in a department; the province
    harvests what that account sees, with its token, and the token stays the province's."""
    lower, upper = platforms
    account = make_user(city_catalog[1], name="province-platform")
    seen_by = lower.api(lower.token(account["name"]))
    admin = upper.api(upper.token("provadmin"))
    departments_on(admin, *city_catalog)
    source = harvest_source(admin, "binzhou-sharing", f"{lower.url}/catalog.ttl",
                            city_catalog[1]["name"], api_token=lower.token(account["name"]))
    upper.harvest(source, admin)
    shared, public = by_code(seen_by), by_code(lower.api())
    assert set(shared) - set(public), "the token saw nothing beyond the open catalog"
    assert_arrived(seen_by, admin, shared, by_code(admin, source))

    before = {code: e["metadata_modified"] for code, e in by_code(admin, source).items()}
    upper.harvest(source, admin)
    assert {c: e["metadata_modified"] for c, e in by_code(admin, source).items()} == before

    withdrawn = sorted(set(shared) - set(public))[0]
    helpers.call_action("package_delete", dict(sysadmin_context), id=shared[withdrawn]["id"])
    upper.harvest(source, admin)
    assert withdrawn not in by_code(admin, source)

    anonymous, token = upper.api(), lower.token(account["name"])
    assert token not in json.dumps(anonymous.action.package_search(rows=1000))
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        anonymous.action.harvest_source_show(id=source)


def test_the_harvester_finds_the_entry_it_updates_by_an_index():
    """Every harvested dataset is looked up by its guid: by a scan of the whole catalog, a
    harvest of 50,000 entries took quadratic time (bench/harvest.py)."""
    with sql_statements() as statements:
        GovshareDCATHarvester()._read_datasets_from_db("http://city.example/dataset/1")
    [(statement, parameters)] = [s for s in statements if "FROM package" in s[0]]
    connection = model.Session.connection()
    try:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
    finally:
        model.Session.rollback()
    assert "govshare_package_harvest_guid" in "\n".join(plan), plan
