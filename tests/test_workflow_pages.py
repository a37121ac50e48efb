"""The workflow pages (views/): request forms, the requests dashboard, the request
page and its decision forms, the usage record and its CSV, notifications."""
from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.tests import factories, helpers
from freezegun import freeze_time

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare.model import Grant, Notification, Request

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
TODAY = datetime.date.today()
FUTURE = (TODAY + datetime.timedelta(days=365)).isoformat()


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A provider with a conditional entry (two resources), a requester, the authority."""
    provider = make_department(name="provider-dept", title="市民政局")
    requester = make_department(name="requester-dept", title="市人社局")
    bystander = make_department(name="bystander-dept")
    authority = make_department(name="data-authority")
    entry = create_entry(
        sysadmin_context, provider, title="低保对象名册", share_type="conditional",
        share_condition="限业务协同", usage_scope=["work_reference", "business_collaboration"],
        open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "名册A"},
                   {"url": "http://intra.example/b.csv", "name": "名册B"}])
    return {
        "provider": provider, "requester": requester, "entry": entry,
        "provider_admin": make_user(provider, "admin"),
        "applicant": make_user(requester, "member", fullname="张三"),
        "bystander_admin": make_user(bystander, "admin"),
        "authority": make_user(authority, "member"),
    }


def headers(user: dict[str, Any]) -> dict[str, str]:
    """Log in with an API token (which also exempts the POST from CSRF)."""
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def get(app, user, url, status=200):
    return app.get(url, headers=headers(user) if user else {}, status=status)


def post(app, user, url, data, status=200, follow_redirects=True):
    return app.post(url, data=data, headers=headers(user), status=status,
                    follow_redirects=follow_redirects)


def tree(response) -> Any:
    return lxml.html.fromstring(response.body)


def field_error(page, field_id: str) -> str:
    """The error shown next to the form field with this id (or inside its fieldset)."""
    found = page.xpath(f'//*[@id="{field_id}"]/ancestor::*[contains(@class, "form-group")][1]'
                       '//*[contains(@class, "error-block")]')
    return " ".join(e.text_content().strip() for e in found)


def create_request(world, **kwargs) -> dict[str, Any]:
    data = {"package_id": world["entry"]["id"], "usage_scope": ["work_reference"],
            "purpose": "核验低保对象家庭收入", "basis": "《社会救助暂行办法》第十一条",
            "period_start": TODAY.isoformat(), "period_end": FUTURE, "contact": "张三 0392-1234567"}
    data.update(kwargs)
    return helpers.call_action("govshare_request_create", as_user(world["applicant"]), **data)


# ------------------------------------------------------------------ the entry page

def test_request_button_only_for_users_who_can_request(app, world):
    url = f"/dataset/{world['entry']['name']}"
    button = '//a[contains(@class, "govshare-request-button")]'
    links = tree(get(app, world["applicant"], url)).xpath(button)
    assert [a.get("href") for a in links] == [f"/dataset/{world['entry']['name']}/request"]
    assert tree(get(app, world["provider_admin"], url)).xpath(button) == []
    request = create_request(world)
    page = tree(get(app, world["applicant"], url))
    assert page.xpath(button) == []
    assert page.xpath('//a[contains(@class, "govshare-pending-request")]/@href') == [
        f"/govshare/requests/{request['id']}"]
    helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                        id=request["id"])
    assert tree(get(app, world["applicant"], url)).xpath(button) == []


# ------------------------------------------------------------------ the share request form

def test_share_form_offers_only_the_entrys_uses_and_resources(app, world):
    page = tree(get(app, world["applicant"], f"/dataset/{world['entry']['id']}/request"))
    assert page.xpath('//input[@name="usage_scope"]/@value') == ["work_reference",
                                                                  "business_collaboration"]
    assert page.xpath('//input[@name="resource_ids"]/@value') == [
        r["id"] for r in world["entry"]["resources"]]


def test_share_form_errors_per_field_and_keeps_the_input(app, world):
    url = f"/dataset/{world['entry']['id']}/request"
    response = post(app, world["applicant"], url, {
        "resource_scope": "some", "resource_ids": world["entry"]["resources"][1]["id"],
        "usage_scope": "work_reference", "purpose": "", "basis": "依据条款",
        "period_start": TODAY.isoformat(), "period_end": FUTURE, "contact": ""})
    page = tree(response)
    assert field_error(page, "field-purpose") and field_error(page, "field-contact")
    assert not field_error(page, "field-basis")
    assert page.xpath('//textarea[@id="field-basis"]')[0].text == "依据条款"
    assert page.xpath('//input[@name="usage_scope"][@checked]/@value') == ["work_reference"]
    assert page.xpath('//input[@name="resource_ids"][@checked]/@value') == [
        world["entry"]["resources"][1]["id"]]
    assert page.xpath('//input[@name="resource_scope"][@checked]/@value') == ["some"]
    assert model.Session.query(Request).count() == 0


def test_share_form_period_and_choice_errors(app, world):
    url = f"/dataset/{world['entry']['id']}/request"
    base = {"usage_scope": "work_reference", "purpose": "p", "basis": "b", "contact": "c",
            "period_start": TODAY.isoformat()}
    page = tree(post(app, world["applicant"], url, dict(base, period_end="2001-01-01")))
    assert field_error(page, "field-period_end")
    page = tree(post(app, world["applicant"], url, dict(base, period_end=FUTURE,
                                                        resource_scope="some")))
    assert field_error(page, "field-scope-some")
    page = tree(post(app, world["applicant"], url, dict(base, period_end=FUTURE, usage_scope="")))
    assert field_error(page, "field-usage-work_reference")
    assert model.Session.query(Request).count() == 0


def test_share_form_success_goes_to_the_request_page(app, world):
    url = f"/dataset/{world['entry']['id']}/request"
    response = post(app, world["applicant"], url, {
        "resource_scope": "all", "usage_scope": ["work_reference", "business_collaboration"],
        "purpose": "核验收入", "basis": "社会救助暂行办法", "period_start": TODAY.isoformat(),
        "period_end": FUTURE, "contact": "张三"}, status=302, follow_redirects=False)
    created = model.Session.query(Request).one()
    assert response.location.endswith(f"/govshare/requests/{created.id}")
    assert created.resource_ids is None and created.usage_scope == ["business_collaboration",
                                                                     "work_reference"]
    page = get(app, world["applicant"], f"/govshare/requests/{created.id}")
    assert str(created.deadline) in page.body and "核验收入" in page.body


def test_duplicate_request_error_is_shown_above_the_form(app, world):
    create_request(world)
    page = tree(post(app, world["applicant"], f"/dataset/{world['entry']['id']}/request", {
        "usage_scope": "work_reference", "purpose": "p", "basis": "b", "contact": "c",
        "period_start": TODAY.isoformat(), "period_end": FUTURE}))
    alert = page.xpath('//*[contains(@class, "govshare-form-errors")]')[0].text_content()
    assert model.Session.query(Request).one().id in alert


def test_no_form_for_users_who_cannot_request(app, world):
    get(app, world["provider_admin"], f"/dataset/{world['entry']['id']}/request", status=403)
    response = app.get(f"/dataset/{world['entry']['id']}/request", follow_redirects=False)
    assert response.status_code == 302 and "/user/login" in response.location


# ------------------------------------------------------------------ the application form

@pytest.fixture
def open_entry(sysadmin_context, known_calendar):
    provider = make_department(name="open-provider")
    entry = create_entry(sysadmin_context, provider, open_type="authorized",
                         open_condition="实名申请", title="公交客流",
                         resources=[{"url": "http://open.example/traffic.csv", "name": "流量"}])
    return {"entry": entry, "admin": make_user(provider, "admin")}


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_application_form_needs_the_commitment(app, open_entry):
    citizen = make_user()
    url = f"/dataset/{open_entry['entry']['id']}/request"
    page = tree(get(app, citizen, url))
    assert page.xpath('//input[@name="commitment_accepted"]')
    assert "承诺" in page.xpath('//*[contains(@class, "govshare-commitment")]')[0].text_content()
    data = {"purpose": "研究", "scenario": "课题", "security_measures": "内网",
            "period_end": FUTURE}
    page = tree(post(app, citizen, url, data))
    assert field_error(page, "field-commitment_accepted")
    assert page.xpath('//textarea[@id="field-scenario"]')[0].text == "课题"
    post(app, citizen, url, dict(data, commitment_accepted="true"), status=302,
         follow_redirects=False)
    assert model.Session.query(Request).one().kind == "open"


# ------------------------------------------------------------------ the dashboard

def _rows(page) -> list[str]:
    return page.xpath('//tr[contains(@class, "govshare-request-row")]/@data-request-id')


def test_inbox_is_sorted_by_deadline_and_marks_overdue(app, world, sysadmin_context):
    entries = [world["entry"]] + [
        create_entry(sysadmin_context, world["provider"], share_type="conditional",
                     share_condition="x", usage_scope=["work_reference"], open_type="closed")
        for _ in range(2)]
    with freeze_time(TODAY - datetime.timedelta(days=30)):
        old = create_request(world, package_id=entries[1]["id"],
                             period_start=(TODAY - datetime.timedelta(days=30)).isoformat())
    newest = create_request(world, package_id=entries[0]["id"])
    with freeze_time(TODAY - datetime.timedelta(days=7)):
        middle = create_request(world, package_id=entries[2]["id"],
                                period_start=(TODAY - datetime.timedelta(days=7)).isoformat())
    page = tree(get(app, world["provider_admin"], "/govshare/requests?tab=inbox"))
    # soonest deadline first; equal deadlines (long holidays) in the order of filing
    by_deadline = sorted([old, newest, middle], key=lambda r: r["deadline"])
    assert _rows(page) == [r["id"] for r in by_deadline]
    assert by_deadline[0] == old
    overdue = page.xpath('//tr[contains(@class, "table-danger")]/@data-request-id')
    assert overdue == [old["id"]]
    left = page.xpath(f'//tr[@data-request-id="{newest["id"]}"]'
                      '//*[contains(@class, "govshare-days-left")]')[0].text_content()
    assert "10" in left
    # the requester has nothing to decide: no inbox, its department's requests
    page = tree(get(app, world["applicant"], "/govshare/requests"))
    assert not page.xpath('//a[contains(@href, "tab=inbox")]')
    assert sorted(_rows(page)) == sorted([old["id"], middle["id"], newest["id"]])
    # the authority decides only overdue requests: its inbox, and the overdue tab
    assert _rows(tree(get(app, world["authority"], "/govshare/requests?tab=inbox"))) == [old["id"]]
    queue = tree(get(app, world["authority"], "/govshare/requests?tab=overdue"))
    assert _rows(queue) == [old["id"]]
    assert _rows(tree(get(app, world["bystander_admin"], "/govshare/requests?tab=all"))) == []


def test_dashboard_pages(app, world, sysadmin_context):
    for _ in range(21):
        entry = create_entry(sysadmin_context, world["provider"], share_type="conditional",
                             share_condition="x", usage_scope=["work_reference"],
                             open_type="closed")
        create_request(world, package_id=entry["id"])
    first = tree(get(app, world["provider_admin"], "/govshare/requests?tab=inbox"))
    second = tree(get(app, world["provider_admin"], "/govshare/requests?tab=inbox&page=2"))
    assert len(_rows(first)) == 20 and len(_rows(second)) == 1
    assert first.xpath('//ul[contains(@class, "pagination")]//a[contains(@href, "page=2")]')
    assert len(_rows(tree(get(app, world["authority"], "/govshare/requests?tab=all&page=2")))) == 1


# ------------------------------------------------------------------ the request page

def _forms(page) -> set[str]:
    return {c.split("govshare-")[1].split("-form")[0] for c in page.xpath("//form/@class")
            if "-form" in c and "govshare-" in c}


def test_decision_forms_only_for_allowed_users(app, world):
    request = create_request(world)
    url = f"/govshare/requests/{request['id']}"
    assert _forms(tree(get(app, world["provider_admin"], url))) == {"approve", "refuse"}
    assert _forms(tree(get(app, world["applicant"], url))) == {"withdraw"}
    assert _forms(tree(get(app, world["authority"], url))) == set()
    get(app, world["bystander_admin"], url, status=403)
    page = tree(get(app, world["applicant"], url))
    trail = page.xpath('//ol[contains(@class, "govshare-audit")]/li')
    assert len(trail) == 1 and "张三" in trail[0].text_content()


def test_refusal_without_reason_is_shown_on_its_form(app, world):
    request = create_request(world)
    url = f"/govshare/requests/{request['id']}/refuse"
    page = tree(post(app, world["provider_admin"], url, {"reason": " "}, status=400))
    assert field_error(page, "refuse-reason")
    assert model.Session.get(Request, request["id"]).state == "pending"
    post(app, world["provider_admin"], url, {"reason": "用途不符", "confirmed": "yes"})
    page = tree(get(app, world["applicant"], f"/govshare/requests/{request['id']}"))
    note = page.xpath('//*[contains(@class, "govshare-decision-note")]')[0]
    assert note.text_content() == "用途不符"
    assert _forms(page) == {"coordination"}  # no decision left; the requester may ask for coordination


def test_approval_may_narrow_resources_and_period(app, world):
    request = create_request(world)
    first = world["entry"]["resources"][0]["id"]
    end = (TODAY + datetime.timedelta(days=30)).isoformat()
    url = f"/govshare/requests/{request['id']}/approve"
    page = tree(post(app, world["provider_admin"], url, {"period_end": "2999-01-01"}, status=400))
    assert field_error(page, "approve-period_end")
    post(app, world["provider_admin"], url, {"resource_scope": "some", "resource_ids": first,
                                             "period_end": end, "comment": "同意",
                                             "confirmed": "yes"})
    grant = model.Session.query(Grant).one()
    assert grant.resource_ids == [first] and grant.valid_until.isoformat() == end


def test_others_cannot_decide_through_the_page(app, world):
    request = create_request(world)
    post(app, world["applicant"], f"/govshare/requests/{request['id']}/approve", {}, status=400)
    assert model.Session.get(Request, request["id"]).state == "pending"
    post(app, world["applicant"], f"/govshare/requests/{request['id']}/withdraw", {})
    assert model.Session.get(Request, request["id"]).state == "withdrawn"


@pytest.mark.ckan_config("govshare.site_role", "open")
@pytest.mark.ckan_config("govshare.application.authority_precheck", "true")
def test_authority_prechecks_applications(app, open_entry):
    authority = make_user(make_department(name="data-authority"), "member")
    citizen = make_user()
    application = helpers.call_action(
        "govshare_application_create", as_user(citizen), package_id=open_entry["entry"]["id"],
        purpose="研究", scenario="课题", security_measures="内网", commitment_accepted=True,
        period_end=FUTURE)
    url = f"/govshare/requests/{application['id']}"
    assert _forms(tree(get(app, open_entry["admin"], url))) == set()
    assert _forms(tree(get(app, authority, url))) == {"precheck"}
    assert _rows(tree(get(app, authority, "/govshare/requests?tab=inbox&kind=open"))) == [
        application["id"]]
    post(app, authority, url + "/precheck", {})
    assert _forms(tree(get(app, open_entry["admin"], url))) == {"approve", "refuse"}


# ------------------------------------------------------------------ usage

def test_usage_page_and_csv(app, world):
    request = create_request(world)
    approved = helpers.call_action("govshare_request_approve", as_user(world["provider_admin"]),
                                   id=request["id"])
    resource = world["entry"]["resources"][0]
    helpers.call_action("resource_show", as_user(world["applicant"]), id=resource["id"])
    page = tree(get(app, world["provider_admin"], "/govshare/usage"))
    cells = [td.text_content().strip()
             for td in page.xpath('//table[contains(@class, "govshare-usage")]//td')]
    assert {"市人社局", "低保对象名册", "名册A"} <= set(cells)
    response = get(app, world["provider_admin"], "/govshare/usage.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2
    record = dict(zip(["at", "department", "user", "provider", "entry", "resource", "grant",
                       "route"], rows[1]))
    assert record["department"] == "市人社局" and record["entry"] == "低保对象名册"
    assert record["provider"] == "市民政局" and record["resource"] == "名册A"
    assert record["grant"] == approved["grant_id"] and record["user"] == "张三"
    bystander = get(app, world["bystander_admin"], "/govshare/usage.csv")
    assert len(list(csv.reader(io.StringIO(bystander.data.decode("utf-8-sig"))))) == 1


# ------------------------------------------------------------------ notifications

def test_notifications_are_listed_then_seen(app, world):
    request = create_request(world)
    helpers.call_action("govshare_request_refuse", as_user(world["provider_admin"]),
                        id=request["id"], reason="用途不符")
    home = tree(get(app, world["applicant"], "/dataset/"))
    assert home.xpath('//*[contains(@class, "govshare-unread")]')[0].text_content() == "1"
    page = tree(get(app, world["applicant"], "/govshare/notifications"))
    new = page.xpath('//li[contains(@class, "govshare-new")]')
    assert len(new) == 1 and "用途不符" in new[0].text_content()
    assert new[0].xpath(".//a/@href") == [f"/govshare/requests/{request['id']}"]
    assert model.Session.query(Notification).filter_by(
        user_id=world["applicant"]["id"], seen=False).count() == 0
    again = tree(get(app, world["applicant"], "/govshare/notifications"))
    assert again.xpath('//li[contains(@class, "govshare-new")]') == []
    assert len(again.xpath('//ul[contains(@class, "govshare-notifications")]/li')) == 1
    assert tree(get(app, world["applicant"], "/dataset/")).xpath(
        '//*[contains(@class, "govshare-unread")]') == []
