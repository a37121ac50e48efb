"""The findings of the outside tester (issue 7), each as the user who found it would see it.

The generated matrix (tests/test_routes.py) proves the general rules over every route;
these tests pin the cases it cannot see by markers alone: renamed Solr fields, sort
orders, ids in member lists, tags, an entry that changes from open to closed, CSRF,
spreadsheet formulas, and which guidance a refused user reads.
"""
from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import access, pages
from ckanext.govshare.model import Grant, Request

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
URL = "https://files.example.gov/secret-{}/data.csv"


def api(app, action: str, user: dict[str, Any] | None = None, status: int | None = None,
        **params: Any):
    headers = {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}
    query = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items()}
    response = app.get(f"/api/3/action/{action}", query_string=query, headers=headers,
                       status=status)
    return response


@pytest.fixture
def city(sysadmin_context):
    """A provider with an authorized-open and a conditional entry, each with a linked URL."""
    provider = make_department(name="provider-dept")
    other = make_department(name="other-dept")
    authorized = create_entry(sysadmin_context, provider, name="authorized-entry",
                              title="授权开放条目", open_type="authorized",
                              open_condition="经申请", tags=[{"name": "公开标签"}],
                              resources=[{"url": URL.format("a"), "name": "A"}])
    conditional = create_entry(sysadmin_context, provider, name="conditional-entry",
                               title="有条件共享条目", share_type="conditional",
                               share_condition="限履职", usage_scope=["work_reference"],
                               open_type="closed", tags=[{"name": "内部标签"}],
                               resources=[{"url": URL.format("c"), "name": "C"}])
    return {"provider": provider, "other": other, "authorized": authorized,
            "conditional": conditional, "sysadmin": sysadmin_context["user"],
            "member": make_user(other), "provider_admin": make_user(provider, "admin"),
            "citizen": factories.User()}


def test_the_index_keeps_no_url_whatever_fields_are_asked(app, city):
    """fl=d:data_dict renamed the stored dicts past the redaction; now nothing is stored."""
    for fl in ("id,d:data_dict,v:validated_data_dict", "data_dict", "*"):
        for user in (None, city["member"]):
            body = api(app, "package_search", user, q="*:*", fl=fl).get_data(as_text=True)
            assert "secret-" not in body
    # what the caller may use still comes with its URL, from the database
    results = api(app, "package_search", city["member"], q="*:*").json["result"]["results"]
    by_name = {p["name"]: p for p in results}
    assert by_name["conditional-entry"]["resources"][0]["url"] == ""
    sysadmin = api(app, "package_search", factories.Sysadmin(), q="*:*").json["result"]
    assert URL.format("c") in json.dumps(sysadmin)


@pytest.mark.parametrize("params, field", [
    ({"fl": "id,res_url"}, "fl"), ({"fl": "x:field(res_url)"}, "fl"),
    ({"fl": "[explain]"}, "fl"), ({"sort": "res_url asc"}, "sort"),
    ({"sort": "score desc, urls desc"}, "sort")])
def test_search_refuses_fields_and_orders_beyond_the_metadata(app, city, params, field):
    response = api(app, "package_search", city["member"], status=409, **params)
    assert field in response.json["error"]


def test_resources_are_not_ordered_by_a_hidden_url(app, city):
    response = api(app, "resource_search", city["provider_admin"], status=409,
                   query="name:C", order_by="url")
    assert "order_by" in response.json["error"]


def test_lists_of_tags_and_members_hold_only_visible_entries(app, city):
    """On the combined site, citizens see the open entry, not the closed one."""
    names = api(app, "tag_list", None).json["result"]
    assert "公开标签" in names and "内部标签" not in names
    assert "内部标签" in api(app, "tag_list", city["member"]).json["result"]
    found = api(app, "tag_search", None, query="标签").json["result"]
    assert found["count"] == 1 and [t["name"] for t in found["results"]] == ["公开标签"]
    assert api(app, "tag_autocomplete", None, q="标签").json["result"] == ["公开标签"]
    members = api(app, "member_list", city["citizen"], id="provider-dept",
                  object_type="package").json["result"]
    ids = {m[0] for m in members}
    assert city["authorized"]["id"] in ids and city["conditional"]["id"] not in ids


def test_an_entry_that_becomes_closed_leaves_the_public_activity_streams(app, city):
    helpers.call_action("package_patch", {"user": city["sysadmin"]},
                        id=city["authorized"]["id"], title="改名前的授权开放条目")
    before = json.dumps(api(app, "recently_changed_packages_activity_list", None).json,
                        ensure_ascii=False)
    assert "改名前的授权开放条目" in before
    helpers.call_action("package_patch", {"user": city["sysadmin"]},
                        id=city["authorized"]["id"], open_type="closed")
    for action, params in (("recently_changed_packages_activity_list", {}),
                           ("user_activity_list", {"id": city["sysadmin"]})):
        body = json.dumps(api(app, action, city["citizen"], **params).json, ensure_ascii=False)
        assert "改名前的授权开放条目" not in body and "授权开放条目" not in body, action
    page = app.get(f"/user/activity/{city['sysadmin']}").get_data(as_text=True)
    assert "改名前的授权开放条目" not in page


def test_a_hidden_entry_answers_like_a_missing_one(app, city):
    hidden = api(app, "package_show", city["citizen"], id="conditional-entry")
    missing = api(app, "package_show", city["citizen"], id="301001-999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"] == missing.json["error"]
    follow = api(app, "am_following_dataset", city["citizen"], id="conditional-entry")
    nothing = api(app, "am_following_dataset", city["citizen"], id="no-such-entry")
    assert (follow.status_code, follow.json["error"]) == (
        nothing.status_code, json.loads(nothing.get_data(as_text=True).replace(
            "no-such-entry", "conditional-entry"))["error"])
    assert app.get("/dataset/conditional-entry.ttl", status=404)


def test_an_open_data_grant_gives_nothing_once_the_entry_is_closed(app, city):
    """A department member holding a user grant from when the entry was authorized-open:
    on the sharing side only its department's share grant counts."""
    member = city["member"]
    helpers.call_action("package_patch", {"user": city["sysadmin"]}, id=city["authorized"]["id"],
                        share_type="conditional", share_condition="限履职",
                        usage_scope=["work_reference"])
    today = datetime.date.today()
    helpers.call_action("govshare_grant_create", as_user(city["provider_admin"]),
                        package_id="authorized-entry", grantee_user=member["name"],
                        valid_from=str(today), valid_until=str(today + datetime.timedelta(30)),
                        reason="开放申请")
    assert access.can_use_data(member["name"], model.Package.get("authorized-entry"))
    helpers.call_action("package_patch", {"user": city["sysadmin"]},
                        id=city["authorized"]["id"], open_type="closed")
    assert model.Session.query(Grant).count() == 1
    assert not access.can_use_data(member["name"], model.Package.get("authorized-entry"))


def test_anonymous_visitors_of_an_authorized_entry_read_how_to_apply(app, city, sysadmin_context):
    both = create_entry(sysadmin_context, city["provider"], name="both-entry",
                        share_type="conditional", share_condition="限履职",
                        usage_scope=["work_reference"], open_type="authorized",
                        open_condition="经申请")
    package = model.Package.get(both["id"])
    with app.flask_app.test_request_context():
        for_public = access.how_to_get_access(package, None)
        for_department = access.how_to_get_access(package, model.User.get(city["member"]["name"]))
        assert for_public == tk._("This data is open by authorization: log in and apply for it "
                                  "from the entry's page; you may download it once the "
                                  "provider approves.")
        assert for_department != for_public


def test_usage_csv_cells_cannot_run_as_formulas():
    rows = [{"at": "2026-12-01", "department": "=HYPERLINK(\"http://evil\",\"x\")",
             "user": "+1+1", "provider": "-2", "entry": "@SUM(A1)", "resource": "普通",
             "grant": "g", "route": "\tx"}]
    body = pages.usage_csv(rows)
    assert "'=HYPERLINK" in body and "'+1+1" in body and "'-2" in body and "'@SUM" in body
    assert ",普通," in body


def login(app, user: dict[str, Any]) -> None:
    app.post("/user/login", data={"login": user["name"], "password": "correct123"},
             follow_redirects=True)


def test_a_cookie_session_post_needs_its_csrf_token(app, city, known_calendar):
    """CKAN exempts a view from CSRF for good once an API-token request reached it; a
    request signed in by its session cookie is checked anyway."""
    admin = factories.User(password="correct123")
    helpers.call_action("organization_member_create", id="provider-dept",
                        username=admin["name"], role="admin")
    today = datetime.date.today()
    request = helpers.call_action(
        "govshare_request_create", as_user(city["member"]), package_id="conditional-entry",
        usage_scope=["work_reference"], purpose="履职", basis="文件", contact="张三",
        period_start=str(today), period_end=str(today + datetime.timedelta(30)))
    token = factories.APIToken(user=admin["name"])["token"]
    # a token request reaches both views first: CKAN exempts them from then on
    app.post(f"/govshare/requests/{request['id']}/refuse", data={}, headers={"Authorization": token})
    app.post("/api/3/action/govshare_grant_create", json={}, headers={"Authorization": token})

    login(app, admin)
    approve = app.post(f"/govshare/requests/{request['id']}/approve", data={},
                       follow_redirects=False)
    assert approve.status_code == 400
    grant = app.post("/api/3/action/govshare_grant_create", data={
        "package_id": "conditional-entry", "grantee_org": "other-dept", "reason": "x",
        "valid_from": str(today), "valid_until": str(today)}, follow_redirects=False)
    assert grant.status_code == 400
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "pending"
    assert model.Session.query(Grant).count() == 0
