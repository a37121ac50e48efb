"""Update timeliness (更新时效): when an entry's data last changed, whether it is overdue for
its update frequency, the lists and pages, reminders and notices, and the configured
consequence for a department with overdue entries."""
from __future__ import annotations

import datetime
import email
import io
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from freezegun import freeze_time
from werkzeug.datastructures import FileStorage

from conftest import as_user, create_entry, make_department, make_user, run_jobs
from ckanext.govshare import timeliness
from ckanext.govshare.model import DataUpdate, Notification, Request, TimelinessNotice

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
D = datetime.date


@pytest.fixture
def city(sysadmin_context, known_calendar):
    """A provider, a requesting department and the data authority, with their people."""
    provider = make_department(name="provider-dept")
    requester = make_department(name="requester-dept")
    authority = make_department(name="data-authority")
    return {
        "sysadmin": sysadmin_context, "provider": provider, "requester": requester,
        "provider_admin": make_user(provider, "admin", email="admin@provider.test"),
        "provider_editor": make_user(provider, "editor", email="editor@provider.test"),
        "provider_member": make_user(provider, "member", email="member@provider.test"),
        "requester_admin": make_user(requester, "admin", email="admin@requester.test"),
        "authority": make_user(authority, "member"),
    }


def entry_at(city: dict[str, Any], when: str, org: str = "provider", **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("resources", [{"url": "http://intra.example/a.csv", "name": "A"}])
    with freeze_time(when):
        return create_entry(city["sysadmin"], city[org], **kwargs)


def call(user: dict[str, Any] | None, action: str, **data: Any) -> Any:
    return helpers.call_action(action, as_user(user), **data)


def show(entry: dict[str, Any]) -> dict[str, Any]:
    return helpers.call_action("package_show", id=entry["id"])


def updated(entry: dict[str, Any]) -> str:
    return show(entry)["data_updated"][:10]


# ------------------------------------------------------------------ data_updated

def test_a_new_url_or_resource_is_new_data_an_edit_of_the_metadata_is_not(city):
    entry = entry_at(city, "2026-01-10 04:00:00")
    assert updated(entry) == "2026-01-10"
    with freeze_time("2026-02-01 04:00:00"):
        helpers.call_action("package_patch", dict(city["sysadmin"]), id=entry["id"], title="人口基础信息（修订）")
        helpers.call_action("resource_patch", dict(city["sysadmin"]), id=entry["resources"][0]["id"], name="A 表")
    assert updated(entry) == "2026-01-10"
    with freeze_time("2026-02-03 04:00:00"):
        helpers.call_action("resource_patch", dict(city["sysadmin"]), id=entry["resources"][0]["id"],
                            url="http://intra.example/a-2026-02.csv")
    assert updated(entry) == "2026-02-03"
    with freeze_time("2026-02-05 04:00:00"):
        helpers.call_action("resource_create", dict(city["sysadmin"]), package_id=entry["id"], name="B",
                            url="http://intra.example/b.csv")
    assert updated(entry) == "2026-02-05"
    # what package_show gives back can be saved as it is: the two fields are not stored
    helpers.call_action("package_update", dict(city["sysadmin"]), **show(entry))
    assert "data_updated" not in (model.Package.get(entry["id"]).extras or {})
    assert updated(entry) == "2026-02-05"


def test_an_upload_is_new_data_even_with_the_same_file_name(city):
    entry = entry_at(city, "2026-01-10 04:00:00", resources=[])
    assert show(entry)["data_updated"] is None

    def upload(content: bytes) -> FileStorage:
        return FileStorage(stream=io.BytesIO(content), filename="population.csv",
                           content_type="text/csv")

    with freeze_time("2026-01-20 04:00:00"):
        resource = helpers.call_action("resource_create", dict(city["sysadmin"]), package_id=entry["id"], name="户籍",
                                       url="population.csv", upload=upload(b"a,b\n1,2\n"))
    assert updated(entry) == "2026-01-20"
    with freeze_time("2026-02-20 04:00:00"):
        helpers.call_action("resource_update", dict(city["sysadmin"]), id=resource["id"], name="户籍",
                            url="population.csv", upload=upload(b"a,b\n1,2\n3,4\n"))
    assert updated(entry) == "2026-02-20"


def test_a_datastore_write_is_new_data(city):
    entry = entry_at(city, "2026-01-10 04:00:00")
    resource_id = entry["resources"][0]["id"]
    with freeze_time("2026-03-02 04:00:00"):
        helpers.call_action("datastore_create", dict(city["sysadmin"]), resource_id=resource_id, force=True,
                            fields=[{"id": "name", "type": "text"}], records=[{"name": "张三"}])
    assert updated(entry) == "2026-03-02"
    with freeze_time("2026-03-09 04:00:00"):
        helpers.call_action("datastore_upsert", dict(city["sysadmin"]), resource_id=resource_id, force=True,
                            method="insert", records=[{"name": "李四"}])
    assert updated(entry) == "2026-03-09"
    assert model.Session.get(DataUpdate, entry["id"], populate_existing=True).source == "datastore"
    # the index has it too (what package_search returns)
    found = helpers.call_action("package_search", fq=f"id:{entry['id']}")["results"][0]
    assert found["data_updated"].startswith("2026-03-09")


def test_the_provider_declares_an_update(city):
    entry = entry_at(city, "2026-01-10 04:00:00")
    with freeze_time("2026-03-05 04:00:00"):
        declared = call(city["provider_editor"], "govshare_data_update_declare",
                        package_id=entry["id"], date="2026-03-04")
        assert declared == {"data_updated": "2026-03-04T00:00:00", "update_overdue": False}
        # an older date does not make the recorded data older
        call(city["provider_admin"], "govshare_data_update_declare", package_id=entry["id"],
             date="2026-02-01")
        assert updated(entry) == "2026-03-04"
        with pytest.raises(tk.ValidationError) as err:
            call(city["provider_admin"], "govshare_data_update_declare", package_id=entry["id"],
                 date="2026-03-06")
        assert list(err.value.error_dict) == ["date"]
        with pytest.raises(tk.ValidationError) as err:
            call(city["provider_admin"], "govshare_data_update_declare", package_id=entry["id"],
                 date="2026-02-30")
        assert list(err.value.error_dict) == ["date"]
        for outsider in (city["provider_member"], city["requester_admin"]):
            with pytest.raises(tk.NotAuthorized):
                call(outsider, "govshare_data_update_declare", package_id=entry["id"],
                     date="2026-03-04")
    row = model.Session.get(DataUpdate, entry["id"], populate_existing=True)
    assert (row.source, row.declared_by) == ("declared", city["provider_editor"]["id"])


# ------------------------------------------------------------------ overdue

@pytest.mark.parametrize("frequency, last, due", [
    ("daily", D(2026, 1, 10), D(2026, 1, 11)),
    ("realtime", D(2026, 1, 10), D(2026, 1, 11)),
    ("weekly", D(2026, 1, 10), D(2026, 1, 17)),
    ("monthly", D(2026, 1, 31), D(2026, 2, 28)),
    ("quarterly", D(2026, 1, 10), D(2026, 4, 10)),
    ("semiannual", D(2026, 1, 10), D(2026, 7, 10)),
    ("annual", D(2024, 2, 29), D(2025, 2, 28)),
    ("irregular", D(2026, 1, 10), None),
])
def test_due_date_per_frequency(frequency, last, due):
    assert timeliness.due_date(frequency, last) == due


@pytest.mark.ckan_config("govshare.timeliness.grace_days", 5)
def test_overdue_after_the_grace_period(city):
    monthly = entry_at(city, "2026-01-10 04:00:00")
    weekly = entry_at(city, "2026-01-10 04:00:00", update_frequency="weekly")
    irregular = entry_at(city, "2025-01-10 04:00:00", update_frequency="irregular")
    with freeze_time("2026-02-15 04:00:00"):  # monthly: due 2026-02-10, + 5 days of grace
        assert show(monthly)["update_overdue"] is False
        assert show(weekly)["update_overdue"] is True
        assert show(irregular)["update_overdue"] is False
    with freeze_time("2026-02-16 04:00:00"):
        assert show(monthly)["update_overdue"] is True
        assert show(irregular)["update_overdue"] is False
        # a reader gets the entry from the index's copy: the fields are current there too
        assert call(city["provider_member"], "package_show", id=monthly["id"])["update_overdue"] is True
        call(city["provider_admin"], "govshare_data_update_declare", package_id=monthly["id"],
             date="2026-02-16")
        assert show(monthly)["update_overdue"] is False
        read = call(city["provider_member"], "package_show", id=monthly["id"])
        assert read["data_updated"][:10] == "2026-02-16" and read["update_overdue"] is False


@pytest.mark.ckan_config("govshare.timeliness.grace_days", 0)
def test_the_grace_period_is_configurable(city):
    monthly = entry_at(city, "2026-01-10 04:00:00")
    with freeze_time("2026-02-11 04:00:00"):
        assert show(monthly)["update_overdue"] is True


def test_an_entry_without_recorded_data_counts_from_its_publish_date(city):
    entry = entry_at(city, "2026-03-01 04:00:00", resources=[], publish_date="2026-01-05",
                     update_frequency="monthly")
    with freeze_time("2026-03-01 04:00:00"):
        shown = show(entry)
    assert shown["data_updated"] is None and shown["update_overdue"] is True


# ------------------------------------------------------------------ facet and daily job

def overdue_facet(**params: Any) -> dict[str, int]:
    result = helpers.call_action("package_search", **{"facet.field": '["update_overdue"]', **params})
    return {i["name"]: i["count"] for i in result["search_facets"]["update_overdue"]["items"]}


def test_the_daily_job_reindexes_entries_that_became_overdue(city):
    entry = entry_at(city, "2026-01-10 04:00:00")
    entry_at(city, "2026-01-10 04:00:00", update_frequency="annual")
    assert overdue_facet() == {"false": 2}
    with freeze_time("2026-02-20 04:00:00"):
        result = helpers.call_action("govshare_timeliness_check")
        assert result["reindexed"] == 1
        assert overdue_facet() == {"false": 1, "true": 1}
        found = helpers.call_action("package_search", fq="update_overdue:true")["results"]
        assert [r["id"] for r in found] == [entry["id"]]
        assert found[0]["update_overdue"] is True
        search = helpers.call_action("package_search", **{"facet.field": '["update_overdue"]'})
        labels = {i["name"]: i["display_name"] for i in search["search_facets"]["update_overdue"]["items"]}
        assert set(labels) == {"true", "false"} and labels["true"] != "true"
        assert helpers.call_action("govshare_timeliness_check")["reindexed"] == 0
        with pytest.raises(tk.NotAuthorized):
            call(city["authority"], "govshare_timeliness_check")


# ------------------------------------------------------------------ lists and pages

def test_list_filters_and_who_sees_it(city):
    late = entry_at(city, "2026-01-10 04:00:00", title="逾期资源")
    timely = entry_at(city, "2026-01-10 04:00:00", title="按时资源", update_frequency="annual")
    other = entry_at(city, "2026-01-10 04:00:00", org="requester", title="他部门资源")
    with freeze_time("2026-02-20 04:00:00"):
        own = call(city["provider_member"], "govshare_timeliness_list", owner_org="provider-dept")
        assert {r["package_id"] for r in own["results"]} == {late["id"], timely["id"]}
        only_late = call(city["provider_member"], "govshare_timeliness_list",
                         owner_org="provider-dept", overdue=True)
        assert [r["package_id"] for r in only_late["results"]] == [late["id"]]
        assert only_late["results"][0]["update_due"] == "2026-02-10"
        assert [r["package_id"] for r in call(city["provider_member"], "govshare_timeliness_list",
                                               owner_org="provider-dept", overdue=False)["results"]] == [timely["id"]]
        everything = call(city["authority"], "govshare_timeliness_list", overdue=True)
        assert {r["package_id"] for r in everything["results"]} == {late["id"], other["id"]}
        for outsider, data in ((city["requester_admin"], {"owner_org": "provider-dept"}),
                               (city["provider_admin"], {}), (None, {"owner_org": "provider-dept"})):
            with pytest.raises(tk.NotAuthorized):
                call(outsider, "govshare_timeliness_list", **data)
        with pytest.raises(tk.ValidationError) as err:
            call(city["authority"], "govshare_timeliness_list", owner_org="no-such-dept")
        assert list(err.value.error_dict) == ["owner_org"]
        with pytest.raises(tk.ValidationError) as err:
            call(city["authority"], "govshare_timeliness_list", overdue="maybe")
        assert list(err.value.error_dict) == ["overdue"]


def headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def stale(city: dict[str, Any], org: str = "provider", **kwargs: Any) -> dict[str, Any]:
    """An entry overdue today (the web tests run on the real date: API tokens do not work
    under freeze_time): monthly, published long ago, no data recorded since."""
    return create_entry(city["sysadmin"], city[org], publish_date="2024-01-15", **kwargs)


@pytest.mark.ckan_config("govshare.timeliness.sanction", "suspend_requests")
def test_pages_for_the_department_and_the_authority(city, app):
    stale(city, title="逾期资源")
    stale(city, org="requester", title="他部门资源", update_frequency="irregular")
    page = app.get("/govshare/timeliness", headers=headers(city["provider_member"])).body
    assert "逾期资源" in page and "他部门资源" not in page
    assert "更新时效" in page and "不能提交新的共享申请" in page
    city_wide = app.get("/govshare/timeliness", headers=headers(city["authority"])).body
    assert "逾期资源" in city_wide and "他部门资源" in city_wide
    assert "不能提交新的共享申请" not in city_wide
    app.get("/govshare/timeliness?owner_org=provider-dept",
            headers=headers(city["requester_admin"]), status=403)


# ------------------------------------------------------------------ reminders and notices

def sent_to(smtp_server) -> list[tuple[str, str]]:
    found = []
    for recipients, raw in smtp_server.received:
        message = email.message_from_bytes(raw)
        subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
        found += [(r, subject) for r in recipients]
    return sorted(found)


@pytest.mark.usefixtures("clean_queues")
@pytest.mark.ckan_config("govshare.timeliness.remind_before_days", 3)
@pytest.mark.ckan_config("govshare.timeliness.grace_days", 5)
def test_providers_are_reminded_then_told_once_each(city, smtp_server):
    entry = entry_at(city, "2026-01-10 04:00:00", title="月度统计")
    entry_at(city, "2026-01-10 04:00:00", update_frequency="daily", title="日报")
    run_jobs()
    with freeze_time("2026-02-06 04:00:00"):  # 4 days before 2026-02-10: not yet
        first = helpers.call_action("govshare_timeliness_check")
        assert first["reminded"] == 0
        assert first["overdue_notified"] == 1  # the daily one, overdue since 2026-01-17
    with freeze_time("2026-02-07 04:00:00"):
        second = helpers.call_action("govshare_timeliness_check")
        assert second == {"reminded": 1, "overdue_notified": 0, "reindexed": 0}
    with freeze_time("2026-02-09 04:00:00"):
        assert helpers.call_action("govshare_timeliness_check")["reminded"] == 0
    with freeze_time("2026-02-16 04:00:00"):
        assert helpers.call_action("govshare_timeliness_check")["overdue_notified"] == 1
        assert helpers.call_action("govshare_timeliness_check")["overdue_notified"] == 0
    run_jobs()
    providers = ("admin@provider.test", "editor@provider.test")
    assert [r for r, _ in sent_to(smtp_server)] == sorted(providers * 3)
    told = model.Session.query(Notification).filter(
        Notification.user_id == city["provider_admin"]["id"]).all()
    assert len(told) == 3 and any("月度统计" in n.body for n in told)
    assert not model.Session.query(Notification).filter(
        Notification.user_id == city["provider_member"]["id"]).count()
    kinds = sorted((n.kind, n.due.isoformat()) for n in model.Session.query(TimelinessNotice)
                   .filter(TimelinessNotice.package_id == entry["id"]))
    assert kinds == [("overdue", "2026-02-10"), ("remind", "2026-02-10")]
    # after an update the next due date brings its own reminder
    call(city["provider_admin"], "govshare_data_update_declare", package_id=entry["id"],
         date="2026-02-16")
    with freeze_time("2026-03-14 04:00:00"):
        assert helpers.call_action("govshare_timeliness_check")["reminded"] == 1


# ------------------------------------------------------------------ the consequence

def request_data(entry: dict[str, Any], start: str = "2026-02-20") -> dict[str, Any]:
    return {"package_id": entry["id"], "usage_scope": ["work_reference"],
            "purpose": "核验低保对象家庭收入", "basis": "《社会救助暂行办法》第十一条",
            "period_start": start, "period_end": "2099-12-31", "contact": "张三 0392-1234567"}


def conditional(city: dict[str, Any]) -> dict[str, Any]:
    return create_entry(city["sysadmin"], city["provider"], share_type="conditional",
                        share_condition="限业务协同", usage_scope=["work_reference"],
                        open_type="closed", update_frequency="irregular")


@pytest.mark.ckan_config("govshare.timeliness.sanction", "suspend_requests")
def test_suspend_requests_refuses_a_department_with_overdue_entries(city, app):
    wanted = conditional(city)
    own = stale(city, org="requester", title="低保台账")
    today = datetime.date.today().isoformat()
    refused = app.post("/api/3/action/govshare_request_create", json=request_data(wanted, today),
                       headers=headers(city["requester_admin"]), status=409).json
    message = refused["error"]["requester_org"][0]
    assert "不能提交新的共享申请" in message and "低保台账" in message
    assert model.Session.query(Request).count() == 0
    call(city["requester_admin"], "govshare_data_update_declare", package_id=own["id"],
         date=today)
    made = call(city["requester_admin"], "govshare_request_create", **request_data(wanted, today))
    assert made["state"] == "pending"


@pytest.mark.ckan_config("govshare.timeliness.sanction", "warn")
def test_warn_only_warns(city):
    wanted = conditional(city)
    entry_at(city, "2026-01-10 04:00:00", org="requester", title="低保台账")
    with freeze_time("2026-02-20 04:00:00"):
        made = call(city["requester_admin"], "govshare_request_create", **request_data(wanted))
        assert made["state"] == "pending"
        listed = call(city["requester_admin"], "govshare_timeliness_list", owner_org="requester-dept")
        assert listed["notice"] and "低保台账" in listed["notice"]


@pytest.mark.ckan_config("govshare.timeliness.sanction", "none")
def test_no_sanction_no_notice(city):
    entry_at(city, "2026-01-10 04:00:00", org="requester")
    with freeze_time("2026-02-20 04:00:00"):
        listed = call(city["requester_admin"], "govshare_timeliness_list", owner_org="requester-dept")
    assert listed["count"] == 1 and listed["results"][0]["update_overdue"] is True
    assert listed["notice"] is None


@pytest.mark.ckan_config("govshare.timeliness.sanction", "warn")
def test_the_request_pages_tell_the_department_why(city, app):
    wanted = conditional(city)
    stale(city, org="requester", title="低保台账")
    for url in ("/govshare/requests", f"/dataset/{wanted['name']}/request"):
        page = app.get(url, headers=headers(city["requester_admin"])).body
        assert "低保台账" in page and "请及时更新其数据" in page
    assert "低保台账" not in app.get("/govshare/requests", headers=headers(city["provider_admin"])).body


def test_the_daily_command_runs_the_timeliness_check(city, smtp_server):
    from click.testing import CliRunner

    from ckanext.govshare import cli

    entry_at(city, "2026-01-10 04:00:00")
    with freeze_time("2026-02-20 04:00:00"):
        output = CliRunner().invoke(cli.govshare, ["escalate"], catch_exceptions=False).output
        assert "timeliness: reminded 0, overdue 1, reindexed 1" in output
        assert overdue_facet() == {"true": 1}
    assert sorted(r for rcpts, _ in smtp_server.received for r in rcpts) == [
        "admin@provider.test", "editor@provider.test"]


# ------------------------------------------------------------------ drafts and the declare form

@pytest.mark.parametrize("state", ["draft", "submitted", "returned"])
@pytest.mark.ckan_config("govshare.timeliness.sanction", "suspend_requests")
def test_an_entry_never_registered_is_not_overdue_nor_reminded(city, smtp_server, state):
    draft = stale(city, title="未备案资源", catalog_state=state)
    registered = stale(city, title="已备案资源")
    listed = call(city["provider_member"], "govshare_timeliness_list", owner_org="provider-dept")
    by_name = {r["title"]: r for r in listed["results"]}
    assert by_name["未备案资源"]["update_overdue"] is False
    assert by_name["未备案资源"]["registered"] is False
    assert by_name["已备案资源"]["update_overdue"] is True
    overdue = call(city["provider_member"], "govshare_timeliness_list", owner_org="provider-dept",
                   overdue=True)
    assert [r["title"] for r in overdue["results"]] == ["已备案资源"]
    assert "未备案资源" not in listed["notice"] and "已备案资源" in listed["notice"]
    assert show(draft)["update_overdue"] is False
    helpers.call_action("govshare_timeliness_check")
    told = " ".join(n.body for n in model.Session.query(Notification))
    assert "已备案资源" in told and "未备案资源" not in told
    assert {n.package_id for n in model.Session.query(TimelinessNotice)} == {registered["id"]}


def test_a_draft_counts_once_registered(city):
    draft = stale(city, title="新编目录", catalog_state="draft")
    assert show(draft)["update_overdue"] is False
    call(city["provider_admin"], "govshare_catalog_submit", ids=[draft["id"]], secrecy_review={
        "reviewer": "张保密", "conclusion": "不涉密", "date": "2026-01-05"})
    call(city["authority"], "govshare_catalog_confirm", ids=[draft["id"]])
    assert show(draft)["update_overdue"] is True
    found = helpers.call_action("package_search", fq="update_overdue:true", include_private=True)
    assert [p["id"] for p in found["results"]] == [draft["id"]]


def test_the_provider_declares_from_the_page(city, app):
    entry = stale(city, title="逾期资源")
    page = app.get("/govshare/timeliness", headers=headers(city["provider_editor"]))
    assert page.body.count('class="govshare-declare-form"') == 1
    member_page = app.get("/govshare/timeliness", headers=headers(city["provider_member"]))
    assert 'class="govshare-declare-form"' not in member_page.body  # members do not edit
    today = timeliness.workdays.today()
    response = app.post("/govshare/timeliness/declare", headers=headers(city["provider_editor"]),
                        data={"package_id": entry["id"], "date": today.isoformat(),
                              "note": "已同步至2026年11月数据"}, follow_redirects=False)
    assert response.status_code == 302
    assert show(entry)["update_overdue"] is False
    assert updated(entry) == today.isoformat()
    page = app.get("/govshare/timeliness", headers=headers(city["authority"])).body
    assert "已同步至2026年11月数据" in page


@pytest.mark.parametrize("date, note, field, words", [
    ("", "", "date", "缺少该值"),
    ("2026-02-30", "", "date", "日期"),
    ("2999-01-01", "", "date", "不能晚于今天"),
    (None, "很长" * 101, "note", "200")])
def test_the_declare_form_shows_errors_in_chinese(city, app, date, note, field, words):
    entry = stale(city, title="逾期资源")
    date = timeliness.workdays.today().isoformat() if date is None else date
    response = app.post("/govshare/timeliness/declare", headers=headers(city["provider_admin"]),
                        data={"package_id": entry["id"], "date": date, "note": note}, status=400)
    import lxml.html
    tree = lxml.html.fromstring(response.body)
    errors = tree.xpath(f'//form[@class="govshare-declare-form"]//input[@name="{field}"]'
                        '/following-sibling::span[@class="error-block"]')
    assert errors and words in errors[0].text_content()
    assert show(entry)["update_overdue"] is True
    assert model.Session.get(DataUpdate, entry["id"]) is None or model.Session.get(
        DataUpdate, entry["id"]).source != timeliness.DECLARED


def test_another_department_cannot_declare_from_the_page(city, app):
    entry = stale(city, title="逾期资源")
    app.post("/govshare/timeliness/declare", headers=headers(city["requester_admin"]),
             data={"package_id": entry["id"], "date": timeliness.workdays.today().isoformat()},
             status=403)
    assert show(entry)["update_overdue"] is True


def test_the_page_shows_a_draft_as_not_counted(city, app):
    stale(city, title="未备案资源", catalog_state="draft")
    page = app.get("/govshare/timeliness", headers=headers(city["provider_member"])).body
    assert "未备案资源" in page and "尚未备案（不计入）" in page
    overdue = app.get("/govshare/timeliness?overdue=true",
                      headers=headers(city["provider_member"])).body
    assert "未备案资源" not in overdue
