"""Showcases (应用成果): a signed-in user submits what they built and the entries it uses;
the data authority approves or rejects it; only approved showcases are public, listed on
the pages of the entries they use; a showcase never reveals an entry its viewer may not see."""
from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare.model import Notification, Showcase, ShowcaseEntry

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def world(sysadmin_context):
    """A department with an open entry and a closed one (seen by government departments
    only), another department's clerk, the authority, two citizens."""
    holder = make_department(name="transport", title="市交通运输局")
    other = make_department(name="other-dept")
    authority = make_department(name="data-authority")
    return {
        "holder": holder,
        "entry": create_entry(sysadmin_context, holder, title="公交实时位置", open_type="general"),
        "closed": create_entry(sysadmin_context, holder, title="公交司机排班表",
                               open_type="closed"),
        "clerk": make_user(other, "member"),
        "authority": make_user(authority, "member"),
        "citizen": make_user(fullname="李女士", email="li@citizen.test"),
        "neighbour": make_user(),
    }


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


SHOWCASE = {"title": "候车宝", "description": "实时显示公交到站时间的小程序",
            "url": "https://app.example/houche"}


def submit(world, user=None, **kwargs) -> dict[str, Any]:
    data = {**SHOWCASE, "entries": [world["entry"]["name"]], **kwargs}
    return call(user or world["citizen"], "govshare_showcase_create", **data)


def _headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _tree(response) -> Any:
    return lxml.html.fromstring(response.body)


def api_errors(app, user, action: str, **data: Any) -> dict[str, Any]:
    response = app.post(f"/api/3/action/{action}", json=data, status=409,
                        headers=_headers(user))
    return {k: v for k, v in response.json["error"].items() if k != "__type"}


def listed(user, **filters) -> list[str]:
    return [s["id"] for s in call(user, "govshare_showcase_list", **filters)["results"]]


# ------------------------------------------------------------------ submitting

def test_a_submitted_showcase_waits_for_the_authority_and_is_hidden_until_then(app, world):
    created = submit(world)
    assert created["state"] == "pending"
    assert [e["title"] for e in created["entries"]] == ["公交实时位置"]
    told = model.Session.query(Notification).filter(
        Notification.user_id == world["authority"]["id"]).all()
    assert len(told) == 1 and created["id"] in told[0].link
    assert listed(None) == [] and listed(world["neighbour"]) == []
    assert listed(world["citizen"]) == [created["id"]]
    assert listed(world["authority"], state="pending") == [created["id"]]
    url = f"/govshare/showcases/{created['id']}"
    app.get(url, status=404)
    app.get(url, headers=_headers(world["neighbour"]), status=404)
    assert "候车宝" in app.get(url, headers=_headers(world["citizen"])).body
    with pytest.raises(tk.ObjectNotFound):
        call(world["neighbour"], "govshare_showcase_show", id=created["id"])
    assert "候车宝" not in app.get(f"/dataset/{world['entry']['name']}").body


def test_anonymous_users_cannot_submit(world):
    with pytest.raises(tk.NotAuthorized):
        call(None, "govshare_showcase_create", **SHOWCASE, entries=[world["entry"]["id"]])


@pytest.mark.parametrize("field", ["title", "description", "url"])
def test_an_empty_field_is_refused_naming_it_in_chinese(app, world, field):
    data = {**SHOWCASE, "entries": [world["entry"]["id"]], field: ""}
    assert api_errors(app, world["citizen"], "govshare_showcase_create", **data) == {
        field: ["缺少该值"]}
    assert model.Session.query(Showcase).count() == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "app.example/houche", "ftp://x.example/"])
def test_an_address_that_is_no_web_address_is_refused_in_chinese(app, world, url):
    errors = api_errors(app, world["citizen"], "govshare_showcase_create",
                        **{**SHOWCASE, "url": url}, entries=[world["entry"]["id"]])
    assert list(errors) == ["url"] and "http://" in errors["url"][0] and "网址" in errors["url"][0]
    assert model.Session.query(Showcase).count() == 0


def test_no_entry_is_refused_naming_the_field(app, world):
    errors = api_errors(app, world["citizen"], "govshare_showcase_create", **SHOWCASE,
                        entries=[])
    assert errors == {"entries": ["缺少该值"]}


def test_an_entry_the_submitter_may_not_see_is_refused_like_a_missing_one(app, world):
    hidden = api_errors(app, world["citizen"], "govshare_showcase_create", **SHOWCASE,
                        entries=[world["entry"]["id"], world["closed"]["id"]])
    missing = api_errors(app, world["citizen"], "govshare_showcase_create", **SHOWCASE,
                         entries=[world["entry"]["id"], "no-such-entry"])
    assert list(hidden) == ["entries"]
    assert hidden["entries"][0].replace(world["closed"]["id"], "X") == \
        missing["entries"][0].replace("no-such-entry", "X")
    assert model.Session.query(Showcase).count() == 0


def test_the_form_submits_with_entries_one_per_line_and_shows_errors_in_chinese(app, world):
    page = _tree(app.post("/govshare/showcases/new", data={**SHOWCASE, "url": "houche",
                                                           "entries": world["entry"]["name"]},
                          headers=_headers(world["citizen"]), status=400))
    error = page.xpath('//*[@id="field-url"]/ancestor::*[contains(@class, "form-group")]'
                       '[1]//*[contains(@class, "error-block")]')
    assert error and "http://" in error[0].text_content()
    assert model.Session.query(Showcase).count() == 0
    form = _tree(app.get(f"/govshare/showcases/new?entry={world['entry']['name']}",
                         headers=_headers(world["citizen"])))
    assert form.xpath('//textarea[@id="field-entries"]/text()') == [world["entry"]["name"]]
    other = create_entry({"user": factories.Sysadmin()["name"]}, world["holder"], title="公交线路")
    app.post("/govshare/showcases/new",
             data={**SHOWCASE, "entries": f"{world['entry']['name']}\n{other['name']}"},
             headers=_headers(world["citizen"]))
    created = model.Session.query(Showcase).one()
    used = {e.package_id for e in model.Session.query(ShowcaseEntry)}
    assert created.state == "pending" and used == {world["entry"]["id"], other["id"]}


# ------------------------------------------------------------------ moderation

@pytest.mark.parametrize("who", ["citizen", "clerk", "neighbour"])
def test_only_the_authority_moderates(world, who):
    created = submit(world)
    for action in ("govshare_showcase_approve", "govshare_showcase_reject"):
        with pytest.raises(tk.NotAuthorized):
            call(world[who], action, id=created["id"], reason="理由")
    assert model.Session.get(Showcase, created["id"]).state == "pending"


def test_an_approved_showcase_is_public_and_listed_on_its_entry(app, world):
    created = submit(world)
    approved = call(world["authority"], "govshare_showcase_approve", id=created["id"])
    assert approved["state"] == "approved"
    assert listed(None) == [created["id"]]
    assert "候车宝" in app.get(f"/govshare/showcases/{created['id']}").body
    assert "候车宝" in app.get("/govshare/showcases").body
    entry_page = _tree(app.get(f"/dataset/{world['entry']['name']}"))
    assert entry_page.xpath('//section[contains(@class, "govshare-entry-showcases")]'
                            '//li/@data-showcase-id') == [created["id"]]
    told = model.Session.query(Notification).filter(
        Notification.user_id == world["citizen"]["id"]).all()
    assert len(told) == 1 and "候车宝" in told[0].subject


def test_a_rejection_needs_a_reason_in_chinese_and_tells_the_submitter(app, world):
    created = submit(world)
    errors = api_errors(app, world["authority"], "govshare_showcase_reject", id=created["id"],
                        reason="")
    assert errors == {"reason": ["缺少该值"]}
    assert model.Session.get(Showcase, created["id"]).state == "pending"
    call(world["authority"], "govshare_showcase_reject", id=created["id"], reason="链接无法访问")
    assert listed(None) == []
    mine = app.get(f"/govshare/showcases/{created['id']}", headers=_headers(world["citizen"]))
    assert _tree(mine).xpath('//td[contains(@class, "govshare-showcase-reason")]/text()') == [
        "链接无法访问"]
    assert "已驳回" in mine.body
    again = pytest.raises(tk.ValidationError, call, world["authority"],
                          "govshare_showcase_reject", id=created["id"], reason="再次")
    assert list(again.value.error_dict) == ["id"]


def test_the_authority_moderates_from_its_queue_on_the_page(app, world):
    created = submit(world)
    app.get("/govshare/showcases/moderation", headers=_headers(world["citizen"]), status=403)
    queue = _tree(app.get("/govshare/showcases/moderation", headers=_headers(world["authority"])))
    assert queue.xpath('//li[contains(@class, "govshare-showcase-item")]/@data-showcase-id') == [
        created["id"]]
    url = f"/govshare/showcases/{created['id']}"
    assert _tree(app.get(url, headers=_headers(world["citizen"]))).xpath(
        '//form[contains(@class, "govshare-showcase-moderate")]') == []
    page = _tree(app.post(f"{url}/reject", data={"reason": ""},
                          headers=_headers(world["authority"]), status=400))
    assert page.xpath('//*[@id="field-reason"]/ancestor::*[contains(@class, "form-group")]'
                      '[1]//*[contains(@class, "error-block")]')
    app.post(f"{url}/approve", data={"reason": ""}, headers=_headers(world["authority"]))
    assert model.Session.get(Showcase, created["id"]).state == "approved"
    assert _tree(app.get("/govshare/showcases/moderation",
                         headers=_headers(world["authority"]))).xpath(
        '//li[contains(@class, "govshare-showcase-item")]') == []


# ------------------------------------------------------------------ hidden entries

def test_a_showcase_never_reveals_an_entry_its_viewer_may_not_see(app, world):
    """A department clerk builds on an open and a closed entry; citizens see the showcase
    with the open entry only, in every place it is shown."""
    created = submit(world, world["clerk"],
                     entries=[world["entry"]["name"], world["closed"]["name"]])
    assert {e["title"] for e in created["entries"]} == {"公交实时位置", "公交司机排班表"}
    call(world["authority"], "govshare_showcase_approve", id=created["id"])
    closed = world["closed"]
    for headers in ({}, _headers(world["citizen"])):
        for url in (f"/govshare/showcases/{created['id']}", "/govshare/showcases",
                    f"/dataset/{world['entry']['name']}"):
            body = app.get(url, headers=headers).body
            assert "候车宝" in body and "公交实时位置" in body, url
            assert closed["title"] not in body and closed["name"] not in body, url
            assert closed["id"] not in body, url
    shown = call(world["citizen"], "govshare_showcase_show", id=created["id"])
    assert [e["title"] for e in shown["entries"]] == ["公交实时位置"]
    assert listed(world["citizen"], package_id=closed["id"]) == []
    assert listed(world["citizen"], package_id=closed["id"]) == listed(
        world["citizen"], package_id="no-such-entry")
    assert listed(world["clerk"], package_id=closed["id"]) == [created["id"]]
    clerk_view = app.get(f"/govshare/showcases/{created['id']}", headers=_headers(world["clerk"]))
    assert closed["title"] in clerk_view.body
