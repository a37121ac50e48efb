"""Decisions shown as made (issue 11 item 5): what an approval actually granted on the
request page and in the notification, one badge per state, the confirmation step before an
approval or a refusal, 申请协调 from a refused request, the coordination case pages, and the
grant list with revocation."""
from __future__ import annotations

import datetime
from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.logic import NotAuthorized
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import workdays
from ckanext.govshare.model import Case, Grant, Notification, Request

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
FUTURE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A provider with a conditional entry of two resources, a requester, a bystander, the
    data authority."""
    provider = make_department(name="provider-dept", title="市民政局")
    requester = make_department(name="requester-dept", title="市人社局")
    bystander = make_department(name="bystander-dept", title="市交通局")
    authority = make_department(name="data-authority", title="市大数据局")
    entry = create_entry(
        sysadmin_context, provider, title="低保对象名册", share_type="conditional",
        share_condition="限业务协同", usage_scope=["work_reference"], open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "名册A"},
                   {"url": "http://intra.example/b.csv", "name": "名册B"}])
    return {
        "entry": entry, "provider_admin": make_user(provider, "admin", fullname="李四"),
        "applicant": make_user(requester, "member", fullname="张三"),
        "bystander": make_user(bystander, "admin"),
        "authority": make_user(authority, "member", fullname="王五"),
    }


def headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def get(app, user, url, status=200):
    return lxml.html.fromstring(app.get(url, headers=headers(user), status=status).body)


def post(app, user, url, data, status=200):
    return lxml.html.fromstring(app.post(url, data=data, headers=headers(user), status=status,
                                         follow_redirects=True).body)


def text(page, css_class: str) -> str:
    found = page.xpath(f'//*[contains(concat(" ", @class, " "), " {css_class} ")]')
    return " ".join(" ".join(e.text_content().split()) for e in found)


def badges(page) -> list[str]:
    return [c.split("govshare-state-")[1].split()[0]
            for c in page.xpath('.//span[contains(@class, "govshare-state-")]/@class')]


def state_of(page) -> str:
    """The state the page's own badge shows (not those of its grant or cases)."""
    [state] = badges(page.xpath('//p[contains(@class, "govshare-current-state")]')[0])
    return state


def file_request(world) -> dict[str, Any]:
    return helpers.call_action(
        "govshare_request_create", as_user(world["applicant"]), package_id=world["entry"]["id"],
        usage_scope=["work_reference"], purpose="核验低保对象家庭收入", basis="《社会救助暂行办法》",
        period_start=workdays.today().isoformat(), period_end=FUTURE, contact="张三 0392-1234567")


def notes_of(user: dict[str, Any]) -> list[Notification]:
    return model.Session.query(Notification).filter_by(user_id=user["id"]).all()


def data_access(world) -> list[bool]:
    shown = helpers.call_action("package_show", as_user(world["applicant"]),
                                id=world["entry"]["id"])
    return [r["data_access"] for r in shown["resources"]]


# ------------------------------------------------------------------ approval: confirm, then shown as granted

def test_narrower_approval_is_confirmed_then_shown_as_granted(app, world):
    request = file_request(world)
    first = world["entry"]["resources"][0]["id"]
    url = f"/govshare/requests/{request['id']}/approve"
    form = {"resource_scope": "some", "resource_ids": first, "period_end": SOON,
            "comment": "限核验使用"}

    confirm = post(app, world["provider_admin"], url, form)
    assert text(confirm, "govshare-granted-resources") == "名册A"
    assert text(confirm, "govshare-granted-period") == f"{workdays.today().isoformat()} – {SOON}"
    assert confirm.xpath('//form[contains(@class, "govshare-confirm-form")]'
                         '//input[@name="confirmed"]/@value') == ["yes"]
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "pending"
    assert model.Session.query(Grant).count() == 0 and notes_of(world["applicant"]) == []

    back = post(app, world["provider_admin"], url, dict(form, confirmed="yes", back="yes"))
    assert back.xpath('//input[@id="approve-period_end"]/@value') == [SOON]
    assert model.Session.query(Grant).count() == 0

    post(app, world["provider_admin"], url, dict(form, confirmed="yes"))
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "approved"
    page = get(app, world["applicant"], f"/govshare/requests/{request['id']}")
    assert text(page, "govshare-granted-resources") == "名册A"
    assert text(page, "govshare-granted-period").startswith(f"{workdays.today().isoformat()} – {SOON}")
    assert text(page, "govshare-requested-resources") == "全部资源"
    assert text(page, "govshare-requested-period") == f"{workdays.today().isoformat()} – {FUTURE}"
    assert state_of(page) == "approved"

    [note] = notes_of(world["applicant"])
    assert "名册A" in note.body and "名册B" not in note.body and "全部资源" not in note.body
    assert SOON in note.body and FUTURE not in note.body and "限核验使用" in note.body


def test_approval_of_everything_names_every_resource(app, world):
    request = file_request(world)
    helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                        id=request["id"])
    page = get(app, world["applicant"], f"/govshare/requests/{request['id']}")
    assert text(page, "govshare-granted-resources") == "全部资源: 名册A、名册B"
    [note] = notes_of(world["applicant"])
    assert "名册A、名册B" in note.body and FUTURE in note.body


def test_a_failing_approval_shows_its_error_before_any_confirmation(app, world):
    request = file_request(world)
    page = post(app, world["provider_admin"], f"/govshare/requests/{request['id']}/approve",
                {"period_end": "2999-01-01"}, status=400)
    assert page.xpath('//form[contains(@class, "govshare-confirm-form")]') == []
    assert text(page, "error-block")
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "pending"


# ------------------------------------------------------------------ badges

def test_each_state_has_its_own_badge_in_the_list_and_on_the_page(app, world):
    decided = {}
    for state in ("approved", "refused", "withdrawn"):
        request = file_request(world)
        admin = as_user(world["provider_admin"])
        if state == "approved":
            helpers.call_action("govshare_request_approve", admin, id=request["id"])
        elif state == "refused":
            helpers.call_action("govshare_request_refuse", admin, id=request["id"], reason="不符")
        else:
            helpers.call_action("govshare_request_withdraw", as_user(world["applicant"]),
                                id=request["id"])
        decided[state] = request["id"]
    decided["pending"] = file_request(world)["id"]

    listing = get(app, world["applicant"], "/govshare/requests?tab=department")
    rows = {row.get("data-request-id"): row for row in
            listing.xpath('//tr[contains(@class, "govshare-request-row")]')}
    shown = {state: badges(rows[rid]) for state, rid in decided.items()}
    assert shown == {"approved": ["approved"], "refused": ["refused"],
                     "withdrawn": ["withdrawn"], "pending": ["pending"]}
    words = {state: " ".join(rows[rid].xpath('.//span[contains(@class, "govshare-state")]')[0]
                             .text_content().split()) for state, rid in decided.items()}
    assert len(set(words.values())) == 4 and all(words.values())
    for state, rid in decided.items():
        assert state_of(get(app, world["applicant"], f"/govshare/requests/{rid}")) == state


# ------------------------------------------------------------------ refusal, 申请协调, cases

def test_refusal_is_confirmed_then_the_requester_asks_for_coordination(app, world):
    request = file_request(world)
    url = f"/govshare/requests/{request['id']}"
    confirm = post(app, world["provider_admin"], url + "/refuse", {"reason": "用途超出共享条件"})
    assert text(confirm, "govshare-refusal-preview") == "用途超出共享条件"
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "pending"
    post(app, world["provider_admin"], url + "/refuse",
         {"reason": "用途超出共享条件", "confirmed": "yes"})
    model.Session.expire_all()
    assert model.Session.get(Request, request["id"]).state == "refused"
    [note] = notes_of(world["applicant"])
    assert "用途超出共享条件" in note.body and "协调" in note.body

    # the requester's page offers 申请协调; the provider's does not
    page = get(app, world["applicant"], url)
    assert page.xpath('//form[contains(@class, "govshare-coordination-form")]/@action') == [
        url + "/coordination"]
    assert get(app, world["provider_admin"], url).xpath(
        '//form[contains(@class, "govshare-coordination-form")]') == []
    empty = post(app, world["applicant"], url + "/coordination", {"description": " "},
                 status=400)
    assert text(empty, "error-block")
    assert model.Session.query(Case).count() == 0

    case_page = post(app, world["applicant"], url + "/coordination",
                     {"description": "履职需要核验收入，请协调提供名册A"})
    case = model.Session.query(Case).one()
    assert case.request_id == request["id"] and case.state == "open"
    assert text(case_page, "govshare-case-description") == "履职需要核验收入，请协调提供名册A"
    assert [n.link for n in notes_of(world["authority"])] == [f"/govshare/cases/{case.id}"]

    page = get(app, world["applicant"], url)
    assert state_of(page) == "coordination"
    assert page.xpath('//form[contains(@class, "govshare-coordination-form")]') == []
    assert page.xpath('//p[contains(@class, "govshare-case-link")]/a/@href') == [
        f"/govshare/cases/{case.id}"]

    # the list: the authority's all, the departments involved theirs, others none
    def listed(user):
        return get(app, user, "/govshare/cases").xpath(
            '//tr[contains(@class, "govshare-case-row")]/@data-case-id')
    assert listed(world["authority"]) == listed(world["applicant"]) == [case.id]
    assert listed(world["provider_admin"]) == [case.id]
    assert listed(world["bystander"]) == []
    get(app, world["bystander"], f"/govshare/cases/{case.id}", status=403)

    # only the authority resolves; the requester and the provider learn the outcome
    assert get(app, world["applicant"], f"/govshare/cases/{case.id}").xpath(
        '//form[contains(@class, "govshare-resolve-form")]') == []
    post(app, world["applicant"], f"/govshare/cases/{case.id}/resolve", {"outcome": "x"},
         status=403)
    post(app, world["authority"], f"/govshare/cases/{case.id}/resolve", {"outcome": ""},
         status=400)
    resolved = post(app, world["authority"], f"/govshare/cases/{case.id}/resolve",
                    {"outcome": "经协调，提供部门同意共享名册A"})
    assert text(resolved, "govshare-case-outcome") == "经协调，提供部门同意共享名册A"
    assert state_of(resolved) == "resolved"
    model.Session.expire_all()
    assert model.Session.get(Case, case.id).state == "resolved"
    assert any("经协调" in n.body for n in notes_of(world["applicant"]))
    assert any("经协调" in n.body for n in notes_of(world["provider_admin"]))


def test_only_the_requester_asks_for_coordination_and_only_once_refused(app, world):
    request = file_request(world)
    url = f"/govshare/requests/{request['id']}/coordination"
    post(app, world["applicant"], url, {"description": "太慢"}, status=400)  # still pending
    helpers.call_action("govshare_request_refuse", as_user(world["provider_admin"]),
                        id=request["id"], reason="不符")
    get(app, world["bystander"], f"/govshare/requests/{request['id']}", status=403)
    with pytest.raises(NotAuthorized):
        helpers.call_action("govshare_case_create", as_user(world["bystander"]),
                            package_id=world["entry"]["id"], request_id=request["id"],
                            description="我也要")
    assert model.Session.query(Case).count() == 0


# ------------------------------------------------------------------ grants and revocation

def test_grant_list_and_revocation_removes_access(app, world):
    request = file_request(world)
    helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                        id=request["id"])
    grant = model.Session.query(Grant).one()
    assert data_access(world) == [True, True]

    page = get(app, world["authority"], "/govshare/grants")
    [row] = page.xpath('//tr[contains(@class, "govshare-grant-row")]')
    assert row.get("data-grant-id") == grant.id
    assert "市人社局" in row.text_content() and "低保对象名册" in row.text_content()
    assert badges(row) == ["active"]
    assert row.xpath('.//form[contains(@class, "govshare-revoke-form")]/@action') == [
        f"/govshare/grants/{grant.id}/revoke"]
    assert get(app, world["bystander"], "/govshare/grants").xpath(
        '//tr[contains(@class, "govshare-grant-row")]') == []
    assert get(app, world["applicant"], "/govshare/grants").xpath(
        '//form[contains(@class, "govshare-revoke-form")]') == []

    url = f"/govshare/grants/{grant.id}/revoke"
    post(app, world["bystander"], url, {"reason": "无权"}, status=403)
    missing = post(app, world["authority"], url, {"reason": ""}, status=400)
    assert text(missing, "error-block")
    model.Session.expire_all()
    assert model.Session.get(Grant, grant.id).revoked is None

    post(app, world["authority"], url, {"reason": "超范围使用数据"})
    model.Session.expire_all()
    assert model.Session.get(Grant, grant.id).revoke_reason == "超范围使用数据"
    assert data_access(world) == [False, False]
    ended = get(app, world["authority"], "/govshare/grants?state=ended")
    assert badges(ended.xpath('//tr[contains(@class, "govshare-grant-row")]')[0]) == ["revoked"]
    assert get(app, world["authority"], "/govshare/grants").xpath(
        '//tr[contains(@class, "govshare-grant-row")]') == []
    page = get(app, world["applicant"], f"/govshare/requests/{request['id']}")
    assert state_of(page) == "revoked" and "超范围使用数据" in page.text_content()
