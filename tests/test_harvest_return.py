"""回流: the city harvests the entries the province returns to it (issue 12, item 4).

The province registers the city platform as a department of its own with an account; what
that account sees in the province's sharing catalog is what the province returns to the
city. The city harvests it with a source marked ``"returned": true``: the entries show
their origin (platform, department) and the share rules they came with, follow the
province's changes and withdrawals, and the city's catalog never exports them upward as
its own. The other direction runs in the same test: the province harvests the city, and
the city never takes its own entries back from the province.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF

from conftest import create_entry, entry_data, make_department, uscc
from harvest_sites import city, province

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

pytestmark = [
    pytest.mark.xdist_group("province"),  # the ckan_province_test core and Redis database 6
    pytest.mark.usefixtures("clean_db", "clean_index"),
]


@pytest.fixture(scope="module")
def platforms(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("harvest_return")
    upper = province(tmp)
    lower = city(tmp)
    try:
        upper.start(tmp / "province.log")
        lower.start(tmp / "city.log")
        yield lower, upper
    finally:
        upper.stop()
        lower.stop()


def codes(site_api, **search: Any) -> dict[str, dict[str, Any]]:
    found = site_api.action.package_search(rows=1000, include_private=True, **search)["results"]
    return {e["resource_code"]: e for e in found}


def catalog_codes(site) -> set[str]:
    """The resource codes of every page of a platform's DCAT catalog, as anonymous."""
    found, url = set(), f"{site.url}/catalog.ttl"
    while url:
        graph = Graph().parse(data=requests.get(url, timeout=30).text, format="turtle")
        found |= {str(graph.value(d, DCTERMS.identifier))
                  for d in graph.subjects(RDF.type, DCAT.Dataset)}
        following = next(graph.objects(None, HYDRA.next), None)
        url = str(following) if following else None
    return found


def test_returned_entries_arrive_with_their_origin_stay_in_step_and_never_go_back_up(
        platforms, sysadmin_context):
    lower, upper = platforms
    prov = upper.api(upper.token("provadmin"))
    # The province: its public-security department and its entries; the city platform as a
    # department of the province with an account.
    police = prov.action.organization_create(name="prov-police", title="省公安厅",
                                             department_code=uscc(9001),
                                             region_level="city")
    binzhou = prov.action.organization_create(name="binzhou-city", title="滨州市",
                                              department_code=uscc(9002),
                                              region_level="city")
    upper.ckan("user", "add", "binzhou-platform", "email=binzhou@city.localhost",
               "password=Binzhou-platform-2024")
    prov.action.organization_member_create(id=binzhou["id"], username="binzhou-platform",
                                           role="member")
    # Returned to the city: marked with the code the province knows the city by.
    to_city = [binzhou["department_code"]]
    returned = {
        "unconditional": prov.action.package_create(**entry_data(
            police, title="全省人口基础信息", open_type="closed", returned_to=to_city)),
        "conditional": prov.action.package_create(**entry_data(
            police, title="全省车辆登记信息", share_type="conditional",
            share_condition="限公安交管业务使用", usage_scope=["work_reference"],
            open_type="closed", returned_to=to_city)),
        "unmarked later": prov.action.package_create(**entry_data(
            police, title="全省驾驶人信息", open_type="closed", returned_to=to_city)),
    }
    # Seen by the city's account, but returned to another city only.
    elsewhere = prov.action.package_create(**entry_data(
        police, title="全省出入境信息", open_type="closed", returned_to=[uscc(9003)]))
    # Not yet registered (备案) at the province: not in the catalog the city's account sees.
    kept_back = prov.action.package_create(**entry_data(
        police, title="全省案件信息", open_type="closed", catalog_state="draft"))

    # The city: its own entry, harvested upward by the province first.
    authority = make_department(title="市大数据局")
    own = create_entry(sysadmin_context, authority, title="市公交线路")
    upward = prov.action.harvest_source_create(
        name="binzhou", title="滨州市", url=f"{lower.url}/catalog.ttl",
        source_type="govshare_dcat", owner_org=binzhou["id"])["id"]
    upper.harvest(upward, prov)
    assert own["resource_code"] in codes(prov)

    # 回流: the city harvests what the province returns to it.
    city_admin = lower.api(lower.token(sysadmin_context["user"]))
    source = city_admin.action.harvest_source_create(
        name="province-return", title="省政务数据共享平台", url=f"{upper.url}/catalog.ttl",
        source_type="govshare_dcat", owner_org=authority["id"],
        config=json.dumps({"returned": True, "returned_to": binzhou["department_code"],
                           "api_token": upper.token("binzhou-platform")}))["id"]
    try:
        lower.harvest(source, city_admin)
        here = codes(city_admin)
        wanted = {e["resource_code"] for e in returned.values()}
        assert wanted <= set(here)
        assert kept_back["resource_code"] not in here, "the province returned what it keeps back"
        assert elsewhere["resource_code"] in codes(upper.api(upper.token("binzhou-platform")))
        assert elsewhere["resource_code"] not in here, "taken though returned to another city"
        assert list(here).count(own["resource_code"]) == 1 and \
            here[own["resource_code"]]["id"] == own["id"], "the city took its own entry back"

        # Shown with their origin and the share rules they came with.
        conditional = here[returned["conditional"]["resource_code"]]
        assert conditional["share_type"] == "conditional"
        assert conditional["share_condition"] == "限公安交管业务使用"
        signed_in = {"Authorization": lower.token(sysadmin_context["user"])}
        page = requests.get(f"{lower.url}/dataset/{conditional['name']}", headers=signed_in,
                            timeout=30)
        assert page.status_code == 200
        for shown in ("省政务数据共享平台", "省公安厅", uscc(9001), "限公安交管业务使用"):
            assert shown in page.text, shown
        own_page = requests.get(f"{lower.url}/dataset/{own['name']}", headers=signed_in,
                                timeout=30)
        assert own_page.status_code == 200 and "govshare-entry-origin" not in own_page.text

        # Never exported upward as the city's own: not in its catalog, not harvested back.
        assert not wanted & catalog_codes(lower) and own["resource_code"] in catalog_codes(lower)
        upper.harvest(upward, prov)
        assert {e["resource_code"] for e in codes(prov, fq=f'harvest_source_id:"{upward}"')
                .values()} == {own["resource_code"]}

        # In step: a change and a withdrawal at the province arrive; a rerun changes nothing.
        prov.action.package_patch(id=returned["conditional"]["id"],
                                  share_condition="限公安交管与应急管理业务使用")
        prov.action.package_delete(id=returned["unconditional"]["id"])
        prov.action.package_patch(id=returned["unmarked later"]["id"], returned_to=[])
        lower.harvest(source, city_admin)
        here = codes(city_admin)
        assert returned["unconditional"]["resource_code"] not in here
        assert returned["unmarked later"]["resource_code"] not in here, "kept though unmarked"
        assert here[returned["conditional"]["resource_code"]]["share_condition"] == \
            "限公安交管与应急管理业务使用"
        before = {c: e["metadata_modified"] for c, e in here.items()}
        lower.harvest(source, city_admin)
        assert {c: e["metadata_modified"] for c, e in codes(city_admin).items()} == before
    finally:
        city_admin.action.harvest_source_clear(id=source)
        prov.action.harvest_source_clear(id=upward)


def _returned_source(sysadmin_context, department: dict[str, Any]):
    from ckan.tests import helpers
    from ckanext.harvest.model import HarvestSource

    return HarvestSource.get(helpers.call_action(
        "harvest_source_create", dict(sysadmin_context), name="province-returns",
        title="省政务数据共享平台", url="http://province.example/catalog.ttl",
        source_type="govshare_dcat", owner_org=department["id"],
        config=json.dumps({"returned": True}))["id"])


def _returned_object(source, department: dict[str, Any], title: str):
    """A harvest object of a returned source, as the gather stage leaves it: the entry
    of the province (its IRI there, its publisher) parsed into a dict."""
    from ckanext.harvest.model import HarvestJob, HarvestObject

    job = HarvestJob(source=source)
    job.save()
    dataset = entry_data(department, title=title, open_type="closed")
    dataset["name"] = "province-" + dataset["resource_code"].replace("/", "-")  # gather names it
    guid = f"http://province.example/dataset/{dataset['name']}"
    dataset["extras"] = [{"key": "uri", "value": guid},
                         {"key": "publisher_name", "value": "省公安厅"},
                         {"key": "publisher_identifier", "value": uscc(9001)}]
    obj = HarvestObject(guid=guid, job=job, source=source, content=json.dumps(dataset))
    obj.save()
    return obj


def test_a_returned_entry_and_its_origin_are_saved_together_or_not_at_all(
        app, sysadmin_context, monkeypatch):
    """The origin row is written in the entry's own transaction: an import that fails
    after the entry was written leaves neither the entry nor its origin."""
    from ckan import model
    from ckanext.govshare import timeliness
    from ckanext.govshare.harvesters.dcat import GovshareDCATHarvester
    from ckanext.govshare.model import EntryOrigin
    from ckanext.harvest.model import HarvestObjectError

    department = make_department(title="市大数据局")
    with app.flask_app.test_request_context():
        source = _returned_source(sysadmin_context, department)
        obj = _returned_object(source, department, "全省人口基础信息")
        assert GovshareDCATHarvester().import_stage(obj) is True, [
            e.message for e in model.Session.query(HarvestObjectError).filter_by(
                harvest_object_id=obj.id)]
        entry = model.Package.get(obj.package_id)
        assert entry.title == "全省人口基础信息"
        origin = model.Session.get(EntryOrigin, entry.id)
        assert origin is not None and origin.department == "省公安厅"
        assert origin.department_code == uscc(9001) and origin.remote_uri == obj.guid

        # A failure after the entry (and its origin) was written, before the commit.
        def fails(package_id: str) -> None:
            raise RuntimeError("after the write")

        monkeypatch.setattr(timeliness, "record_resources", fails)
        failing = _returned_object(source, department, "全省车辆登记信息")
        failing_id = failing.id
        assert GovshareDCATHarvester().import_stage(failing) is False
        model.Session.remove()
        assert not model.Session.query(model.Package).filter(
            model.Package.title == "全省车辆登记信息").count()
        assert model.Session.query(EntryOrigin).count() == 1  # the first entry's only
        errors = model.Session.query(HarvestObjectError).filter_by(
            harvest_object_id=failing_id).all()
        assert errors and "after the write" in errors[0].message


def test_the_return_marker_takes_credit_codes_only(sysadmin_context):
    from ckan.plugins import toolkit
    from ckan.tests import helpers

    department = make_department()
    with pytest.raises(toolkit.ValidationError) as refused:
        helpers.call_action("package_create", dict(sysadmin_context), **entry_data(
            department, returned_to=[uscc(9002), "12345"]))
    assert "12345" in str(refused.value.error_dict["returned_to"])
    made = helpers.call_action("package_create", dict(sysadmin_context), **entry_data(
        department, returned_to=[uscc(9002)]))
    assert made["returned_to"] == [uscc(9002)]
