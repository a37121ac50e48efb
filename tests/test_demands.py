"""Data demands (数据需求): anyone signed in asks for data not open yet; the data authority
routes it to a department, which answers by a deadline in working days; the list is public
and names the requester by display name only."""
from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from freezegun import freeze_time

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import workdays
from ckanext.govshare.model import Audit, Demand, Notification

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A department holding an open and a closed entry, another department, the authority,
    a citizen with a real name, email and a user name."""
    holder = make_department(name="transport", title="市交通运输局")
    other = make_department(name="other-dept", title="市人社局")
    authority = make_department(name="data-authority")
    return {
        "holder": holder,
        "entry": create_entry(sysadmin_context, holder, title="公交实时位置", open_type="general"),
        "closed": create_entry(sysadmin_context, holder, title="公交司机排班表", open_type="closed"),
        "holder_admin": make_user(holder, "admin", email="admin@transport.test"),
        "holder_editor": make_user(holder, "editor"),
        "holder_member": make_user(holder, "member"),
        "other_admin": make_user(other, "admin"),
        "authority": make_user(authority, "member", email="chief@authority.test"),
        "citizen": make_user(name="zhang-13800000000", fullname="张先生",
                             email="zhang@citizen.test"),
    }


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


DEMAND = {"title": "公交车辆实时位置", "description": "希望开放全市公交车辆的实时位置数据",
          "wanted_fields": "线路、车辆编号、经纬度、时间", "purpose": "开发候车提醒小程序"}


def demand(world, user=None, **kwargs) -> dict[str, Any]:
    return call(user or world["citizen"], "govshare_demand_create", **{**DEMAND, **kwargs})


def routed(world, **kwargs) -> dict[str, Any]:
    created = demand(world, **kwargs)
    return call(world["authority"], "govshare_demand_route", id=created["id"],
                department="transport")


def _headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _tree(response) -> Any:
    return lxml.html.fromstring(response.body)


def api_errors(app, user, action: str, **data: Any) -> dict[str, Any]:
    response = app.post(f"/api/3/action/{action}", json=data, status=409,
                        headers=_headers(user))
    return {k: v for k, v in response.json["error"].items() if k != "__type"}


# ------------------------------------------------------------------ asking

def test_a_citizen_asks_and_the_authority_is_told(world):
    created = demand(world)
    assert created["state"] == "submitted" and created["department"] is None
    assert created["requester"] == "张先生" and created["mine"] is True
    told = model.Session.query(Notification).filter(
        Notification.user_id == world["authority"]["id"]).all()
    assert len(told) == 1 and created["id"] in told[0].link


def test_anonymous_users_cannot_ask(world):
    with pytest.raises(tk.NotAuthorized):
        call(None, "govshare_demand_create", **DEMAND)
    assert model.Session.query(Demand).count() == 0


@pytest.mark.parametrize("field", ["title", "description", "wanted_fields", "purpose"])
def test_an_empty_field_is_refused_naming_it_in_chinese(app, world, field):
    errors = api_errors(app, world["citizen"], "govshare_demand_create", **{**DEMAND, field: " "})
    assert errors == {field: ["缺少该值"]}
    assert model.Session.query(Demand).count() == 0


def test_the_form_shows_errors_in_chinese_and_then_asks(app, world):
    page = _tree(app.post("/govshare/demands/new", data={**DEMAND, "purpose": ""},
                          headers=_headers(world["citizen"]), status=400))
    error = page.xpath('//*[@id="field-purpose"]/ancestor::*[contains(@class, "form-group")]'
                       '[1]//*[contains(@class, "error-block")]')
    assert error and "缺少该值" in error[0].text_content()
    assert page.xpath('//input[@id="field-title"]/@value') == [DEMAND["title"]]
    assert model.Session.query(Demand).count() == 0
    shown = app.post("/govshare/demands/new", data=DEMAND, headers=_headers(world["citizen"]))
    assert model.Session.query(Demand).one().title == DEMAND["title"]
    assert "公交车辆实时位置" in shown.body


def test_anonymous_users_are_sent_to_log_in_to_ask(app, world):
    response = app.get("/govshare/demands/new", follow_redirects=False)
    assert response.status_code == 302 and "/user/login" in response.headers["Location"]


# ------------------------------------------------------------------ what the public sees

def test_the_public_list_names_the_requester_by_display_name_only(app, world):
    created = demand(world)
    for headers in ({}, _headers(world["other_admin"])):
        page = app.get("/govshare/demands", headers=headers)
        tree = _tree(page)
        assert tree.xpath('//tr[contains(@class, "govshare-demand-row")]/@data-demand-id') == [
            created["id"]]
        assert "张先生" in page.body
        assert "zhang@citizen.test" not in page.body
        assert "zhang-13800000000" not in page.body and world["citizen"]["id"] not in page.body
    detail = app.get(f"/govshare/demands/{created['id']}")
    assert "开发候车提醒小程序" in detail.body and "zhang-13800000000" not in detail.body
    shown = call(None, "govshare_demand_show", id=created["id"])
    assert world["citizen"]["id"] not in repr(shown) and "zhang" not in repr(shown)


def test_a_missing_demand_is_a_404(app, world):
    app.get("/govshare/demands/no-such-demand", status=404)
    with pytest.raises(tk.ObjectNotFound):
        call(None, "govshare_demand_show", id="no-such-demand")


# ------------------------------------------------------------------ routing

@pytest.mark.parametrize("who", ["citizen", "holder_admin", "other_admin"])
def test_only_the_authority_routes(world, who):
    created = demand(world)
    with pytest.raises(tk.NotAuthorized):
        call(world[who], "govshare_demand_route", id=created["id"], department="transport")
    assert model.Session.get(Demand, created["id"]).state == "submitted"


def test_the_deadline_is_ten_working_days_by_default(world):
    created = demand(world)
    with freeze_time("2026-03-06 09:00:00"):  # a Friday: 10 working days reach 20 March
        answer = call(world["authority"], "govshare_demand_route", id=created["id"],
                      department="transport")
    assert answer["state"] == "routed" and answer["department_title"] == "市交通运输局"
    assert answer["deadline"] == "2026-03-20"


@pytest.mark.ckan_config("govshare.demand.reply_working_days", "5")
def test_the_deadline_counts_working_days_across_the_festival(world):
    created = demand(world)
    with freeze_time("2026-02-12 09:00:00"):  # 春节 2026: 15-23 February off, 14 and 28 worked
        answer = call(world["authority"], "govshare_demand_route", id=created["id"],
                      department="transport")
    assert answer["deadline"] == "2026-02-26"


def test_the_department_and_the_requester_are_told_of_the_routing(world):
    created = routed(world)
    for who in ("holder_admin", "holder_editor", "citizen"):
        told = model.Session.query(Notification).filter(
            Notification.user_id == world[who]["id"]).all()
        assert [n.link for n in told] == [f"/govshare/demands/{created['id']}"], who
    assert model.Session.query(Notification).filter(
        Notification.user_id == world["holder_member"]["id"]).count() == 0


def test_an_unknown_department_is_refused_naming_the_field(app, world):
    created = demand(world)
    errors = api_errors(app, world["authority"], "govshare_demand_route", id=created["id"],
                        department="no-such-dept")
    assert errors == {"department": ["未找到该部门"]}
    assert model.Session.get(Demand, created["id"]).state == "submitted"


def test_the_authority_routes_on_the_page_and_the_deadline_shows_in_working_days(app, world):
    created = demand(world)
    url = f"/govshare/demands/{created['id']}"
    form = '//form[contains(@class, "govshare-demand-route")]'
    assert _tree(app.get(url, headers=_headers(world["citizen"]))).xpath(form) == []
    assert _tree(app.get(url, headers=_headers(world["authority"]))).xpath(form)
    page = _tree(app.post(f"{url}/route", data={"department": ""},
                          headers=_headers(world["authority"]), status=400))
    assert page.xpath('//*[@id="field-department"]/ancestor::*[contains(@class, "form-group")]'
                      '[1]//*[contains(@class, "error-block")]')
    app.post(f"{url}/route", data={"department": "transport"},
             headers=_headers(world["authority"]))
    deadline = model.Session.get(Demand, created["id"]).deadline
    assert deadline == workdays.add_working_days(workdays.today(), 10)
    shown = app.get(url)
    tree = _tree(shown)
    assert tree.xpath('//td[contains(@class, "govshare-demand-deadline")]/text()') == [
        deadline.isoformat()]
    assert tree.xpath('//td[contains(@class, "govshare-demand-department")]/text()') == [
        "市交通运输局"]
    assert "剩余10个工作日" in shown.body


# ------------------------------------------------------------------ answering

@pytest.mark.parametrize("who", ["citizen", "holder_member", "other_admin", "authority"])
def test_only_the_departments_admins_and_editors_answer(world, who):
    created = routed(world)
    with pytest.raises(tk.NotAuthorized):
        call(world[who], "govshare_demand_reply", id=created["id"], outcome="not_available",
             answer="涉及个人隐私")
    assert model.Session.get(Demand, created["id"]).state == "routed"


def test_a_demand_not_routed_yet_cannot_be_answered(world):
    created = demand(world)
    with pytest.raises(tk.NotAuthorized):
        call(world["holder_admin"], "govshare_demand_reply", id=created["id"],
             outcome="not_available", answer="无")


def test_not_available_with_the_reason_and_the_requester_is_told(world):
    created = routed(world)
    answered = call(world["holder_editor"], "govshare_demand_reply", id=created["id"],
                    outcome="not_available", answer="车辆位置涉及运营安全，暂不开放")
    assert answered["state"] == "answered" and answered["outcome"] == "not_available"
    assert answered["entry"] is None
    told = model.Session.query(Notification).filter(
        Notification.user_id == world["citizen"]["id"]).order_by(Notification.created).all()
    assert "车辆位置涉及运营安全" in told[-1].body
    trail = [a.action for a in model.Session.query(Audit).filter(
        Audit.object_type == "demand").order_by(Audit.id)]
    assert trail == ["create", "route", "not_available"]
    again = pytest.raises(tk.ValidationError, call, world["holder_admin"],
                          "govshare_demand_reply", id=created["id"], outcome="not_available",
                          answer="再次")
    assert list(again.value.error_dict) == ["id"]


def test_will_open_needs_the_entry_and_bad_outcomes_are_refused_in_chinese(app, world):
    created = routed(world)
    bad = api_errors(app, world["holder_admin"], "govshare_demand_reply", id=created["id"],
                     outcome="maybe", answer="说明")
    assert list(bad) == ["outcome"] and "will_open" in bad["outcome"][0]
    assert "处理结果" in bad["outcome"][0]
    no_entry = api_errors(app, world["holder_admin"], "govshare_demand_reply",
                          id=created["id"], outcome="will_open", answer="下月开放")
    assert list(no_entry) == ["package_id"] and "信息资源" in no_entry["package_id"][0]
    missing = api_errors(app, world["holder_admin"], "govshare_demand_reply", id=created["id"],
                         outcome="will_open", answer="下月开放", package_id="no-such-entry")
    assert list(missing) == ["package_id"]
    assert model.Session.get(Demand, created["id"]).state == "routed"


def test_the_answers_entry_is_linked_only_for_those_who_may_see_it(app, world):
    created = routed(world)
    call(world["holder_admin"], "govshare_demand_reply", id=created["id"], outcome="will_open",
         answer="排班表整理后开放", package_id=world["closed"]["name"])
    url = f"/govshare/demands/{created['id']}"
    link = '//a[contains(@class, "govshare-demand-entry")]/text()'
    assert _tree(app.get(url, headers=_headers(world["holder_member"]))).xpath(link) == [
        "公交司机排班表"]
    public = app.get(url)
    assert _tree(public).xpath(link) == [] and "公交司机排班表" not in public.body
    assert world["closed"]["name"] not in public.body
    assert call(None, "govshare_demand_show", id=created["id"])["entry"] is None


def test_the_department_answers_on_the_page(app, world):
    created = routed(world)
    listed = _tree(app.get("/govshare/demands?tab=department",
                           headers=_headers(world["holder_admin"])))
    assert listed.xpath('//tr[contains(@class, "govshare-demand-row")]/@data-demand-id') == [
        created["id"]]
    url = f"/govshare/demands/{created['id']}"
    form = '//form[contains(@class, "govshare-demand-reply")]'
    assert _tree(app.get(url, headers=_headers(world["other_admin"]))).xpath(form) == []
    page = _tree(app.post(f"{url}/reply", data={"outcome": "will_open", "answer": ""},
                          headers=_headers(world["holder_admin"]), status=400))
    assert page.xpath('//*[@id="field-answer"]/ancestor::*[contains(@class, "form-group")]'
                      '[1]//*[contains(@class, "error-block")]')
    app.post(f"{url}/reply", data={"outcome": "will_open", "answer": "已开放",
                                   "package_id": world["entry"]["name"]},
             headers=_headers(world["holder_admin"]))
    shown = _tree(app.get(url))
    assert shown.xpath('//a[contains(@class, "govshare-demand-entry")]/text()') == ["公交实时位置"]
    assert shown.xpath('//td[contains(@class, "govshare-demand-outcome")]/text()') == ["将开放"]


def test_overdue_demands_come_first(world):
    with freeze_time("2026-03-02 09:00:00"):
        late = routed(world)                    # due 2026-03-16
    fresh = demand(world, title="公园客流")
    with freeze_time("2026-03-17 09:00:00"):
        listed = call(None, "govshare_demand_list")["results"]
    assert [(d["id"], d["overdue"]) for d in listed] == [(late["id"], True), (fresh["id"], False)]
