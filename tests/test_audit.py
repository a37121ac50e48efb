"""The security audit log (audit.py, 等级保护三级): every kind of event recorded with who,
what, when, from where and the outcome; the authority's search, page and CSV; the log
append-only in the database; the retention purge; sign-in throttling (signin.py).

The log is not emptied between tests (the database refuses that): each test looks at
the records of its own users and objects.
"""
from __future__ import annotations

import csv
import datetime
import io
import json
import time
from typing import Any, Optional

import lxml.html
import pytest
import sqlalchemy.exc
from ckan import model
from ckan.tests import factories, helpers
from sqlalchemy import text

from conftest import create_entry, make_department, make_user
from ckanext.govshare import audit, registration
from ckanext.govshare.model import AuditEvent

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
PASSWORD = "Correct-horse-9"
_addresses = iter(range(1, 250))


def new_ip() -> str:
    """A client address no other test used (the sign-in counters live in Redis)."""
    return f"10.99.{next(_addresses)}.7"


def records(object_id: Optional[str] = None, event: Optional[str] = None,
            actor: Optional[str] = None) -> list[AuditEvent]:
    model.Session.expire_all()
    query = model.Session.query(AuditEvent)
    if object_id:
        query = query.filter(AuditEvent.object_id == object_id)
    if event:
        query = query.filter(AuditEvent.event == event)
    if actor:
        query = query.filter(AuditEvent.actor_name == actor)
    return query.order_by(AuditEvent.id).all()


def token(user: dict[str, Any]) -> str:
    return factories.APIToken(user=user["name"])["token"]


def api(app, action: str, caller: Optional[dict[str, Any]], ip: str = "10.0.0.1",
        status: int = 200, **data: Any) -> Any:
    sent = {"Authorization": token(caller)} if caller else {}
    response = app.post(f"/api/3/action/{action}", json=data, headers=sent,
                        environ_base={"REMOTE_ADDR": ip}, status=status)
    return response.json


def sign_in(app, login: str, password: str, ip: str) -> Any:
    return app.post("/user/login", data={"login": login, "password": password},
                    environ_base={"REMOTE_ADDR": ip}, follow_redirects=False)


def signed_in(app, login: str, password: str, ip: str) -> bool:
    """Whether the login form let this user in (then signs out again)."""
    response = sign_in(app, login, password, ip)
    inside = app.get("/user/edit", follow_redirects=False).status_code == 200
    app.get("/user/_logout", follow_redirects=True)
    return response.status_code == 302 and inside


def just_now(record: AuditEvent) -> bool:
    return abs(datetime.datetime.now(datetime.timezone.utc) - record.at) < datetime.timedelta(
        minutes=5)


@pytest.fixture
def authority(clean_db):
    """A member of the data authority's department (govshare.authority_org)."""
    return make_user(make_department(name="data-authority"), "member")


# ------------------------------------------------------------------ events

def test_sign_ins_are_recorded_with_who_when_where_and_outcome(app):
    user = factories.User(password=PASSWORD)
    ip = new_ip()
    assert not signed_in(app, user["name"], "wrong-password", ip)
    assert signed_in(app, user["name"], PASSWORD, ip)
    failed, = records(event=audit.LOGIN_FAILED, actor=user["name"])
    assert (failed.outcome, failed.ip, failed.object_id) == ("failure", ip, user["id"])
    assert "wrong-password" not in json.dumps(failed.detail)
    succeeded, = records(event=audit.LOGIN_SUCCEEDED, actor=user["name"])
    assert (succeeded.outcome, succeeded.actor_id, succeeded.ip) == ("success", user["id"], ip)
    assert just_now(succeeded)
    logout, = records(event=audit.LOGOUT, actor=user["name"])
    assert logout.ip == "127.0.0.1"  # the test client's default address


def test_forwarded_for_is_believed_only_from_declared_proxies(app, ckan_config, monkeypatch):
    user = factories.User(password=PASSWORD)
    forged = {"X-Forwarded-For": "6.6.6.6, 203.0.113.5"}
    app.post("/user/login", data={"login": user["name"], "password": "x"}, headers=forged,
             environ_base={"REMOTE_ADDR": "10.1.2.3"})
    monkeypatch.setitem(ckan_config, "govshare.audit.trusted_proxies", 1)
    app.post("/user/login", data={"login": user["name"], "password": "y"}, headers=forged,
             environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert [r.ip for r in records(event=audit.LOGIN_FAILED, actor=user["name"])] == [
        "10.1.2.3", "203.0.113.5"]


def test_password_and_token_changes_are_recorded_without_secrets(app):
    user = factories.User(password=PASSWORD)
    api(app, "user_patch", user, ip="10.3.0.1", id=user["id"], password="New-horse-77",
        old_password=PASSWORD)
    changed, = records(user["id"], audit.PASSWORD_CHANGED)
    assert (changed.actor_name, changed.ip, changed.outcome) == (user["name"], "10.3.0.1",
                                                                 "success")
    created = api(app, "api_token_create", user, ip="10.3.0.2", user=user["name"],
                  name="导出脚本")["result"]
    made = [r for r in records(event=audit.TOKEN_CREATED, actor=user["name"])
            if r.detail["name"] == "导出脚本"]
    assert len(made) == 1 and made[0].ip == "10.3.0.2"
    api(app, "api_token_revoke", user, ip="10.3.0.3", token=created["token"])
    revoked, = records(made[0].object_id, audit.TOKEN_REVOKED)
    assert (revoked.actor_name, revoked.ip) == (user["name"], "10.3.0.3")
    everything = json.dumps([r.as_dict() for r in records(actor=user["name"])],
                            ensure_ascii=False)
    assert created["token"] not in everything and "New-horse-77" not in everything
    assert PASSWORD not in everything


def test_sysadmin_flag_and_membership_changes_are_recorded(app):
    admin = factories.Sysadmin()
    user = factories.User()
    org = make_department()
    api(app, "user_patch", admin, ip="10.4.0.1", id=user["id"], sysadmin=True)
    api(app, "user_patch", admin, id=user["id"], sysadmin=False)
    assert [r.event for r in records(user["id"]) if r.event.startswith("user.sysadmin")] == [
        audit.SYSADMIN_GRANTED, audit.SYSADMIN_REVOKED]
    assert records(user["id"], audit.SYSADMIN_GRANTED)[0].actor_name == admin["name"]
    api(app, "organization_member_create", admin, id=org["id"], username=user["name"],
        role="editor")
    api(app, "organization_member_create", admin, id=org["id"], username=user["name"],
        role="admin")
    api(app, "organization_member_delete", admin, id=org["id"], username=user["name"])
    member = [r for r in records(actor=admin["name"]) if r.event.startswith("member.")
              and r.detail["user_id"] == user["id"]]
    assert [(r.event, r.detail["capacity"], r.detail.get("previous")) for r in member] == [
        (audit.MEMBER_CREATED, "editor", None), (audit.MEMBER_ROLE_CHANGED, "admin", "editor"),
        (audit.MEMBER_DELETED, "admin", None)]
    assert {r.detail["group"] for r in member} == {org["name"]}
    # the sysadmin's writes are recorded as such, with the fields named but not their values
    actions = [r.detail["action"] for r in records(event=audit.SYSADMIN_ACTION,
                                                    actor=admin["name"])]
    assert actions.count("user_patch") == 2 and "organization_member_delete" in actions


def test_a_change_rolled_back_leaves_no_record():
    user = factories.User()
    model.User.get(user["id"]).sysadmin = True
    model.Session.flush()
    assert len(records(user["id"], audit.SYSADMIN_GRANTED)) == 1  # in the change's transaction
    model.Session.rollback()
    assert records(user["id"], audit.SYSADMIN_GRANTED) == []
    model.User.get(user["id"]).sysadmin = True
    model.Session.commit()
    assert len(records(user["id"], audit.SYSADMIN_GRANTED)) == 1


def test_share_and_open_type_changes_of_entries_are_recorded(app, sysadmin_context):
    org = make_department()
    provider_admin = make_user(org, "admin")
    # A draft: its department's changes apply at once (a registered entry's wait for review).
    entry = create_entry(sysadmin_context, org, catalog_state="draft")
    created = {r.event: (r.detail["from"], r.detail["to"]) for r in records(entry["id"])
               if r.event in (audit.SHARE_TYPE_CHANGED, audit.OPEN_TYPE_CHANGED)}
    assert created == {audit.SHARE_TYPE_CHANGED: (None, "unconditional"),
                       audit.OPEN_TYPE_CHANGED: (None, "general")}
    api(app, "package_patch", provider_admin, ip="10.5.0.1", id=entry["id"],
        share_type="conditional", share_condition="仅限业务协同",
        usage_scope=["work_reference"], open_type="closed")
    api(app, "package_patch", provider_admin, id=entry["id"], title="改个标题")
    changes = [r for r in records(entry["id"]) if r.actor_name == provider_admin["name"]]
    assert sorted((r.event, r.detail["from"], r.detail["to"], r.ip) for r in changes) == [
        (audit.OPEN_TYPE_CHANGED, "general", "closed", "10.5.0.1"),
        (audit.SHARE_TYPE_CHANGED, "unconditional", "conditional", "10.5.0.1")]


def test_grants_created_revoked_and_expired_are_recorded(app, sysadmin_context):
    provider = make_department()
    grantee = make_department()
    provider_admin = make_user(provider, "admin")
    entry = create_entry(sysadmin_context, provider, share_type="conditional",
                         share_condition="仅限业务协同", usage_scope=["work_reference"],
                         open_type="closed")
    today = datetime.date.today()
    grant = api(app, "govshare_grant_create", provider_admin, ip="10.6.0.1",
                package_id=entry["id"], grantee_org=grantee["name"],
                valid_from=today.isoformat(), valid_until=today.isoformat(),
                reason="联合执法")["result"]
    api(app, "govshare_grant_revoke", provider_admin, ip="10.6.0.2", id=grant["id"],
        reason="执法结束")
    old = api(app, "govshare_grant_create", provider_admin, package_id=entry["id"],
              grantee_org=grantee["name"], valid_from="2020-01-01", valid_until="2020-12-31",
              reason="往年协作")["result"]
    assert audit.record_expired_grants() >= 1
    assert audit.record_expired_grants() == 0  # once per grant
    model.Session.commit()
    assert [(r.event, r.actor_name, r.ip) for r in records(grant["id"])] == [
        (audit.GRANT_CREATED, provider_admin["name"], "10.6.0.1"),
        (audit.GRANT_REVOKED, provider_admin["name"], "10.6.0.2")]
    assert records(grant["id"])[1].detail["reason"] == "执法结束"
    assert [r.event for r in records(old["id"])] == [audit.GRANT_CREATED, audit.GRANT_EXPIRED]


def test_self_registration_steps_are_recorded():
    context = {registration.SELF_REGISTRATION: True, "user": "", "ignore_auth": False}
    helpers.call_action("user_create", context, name="lisi", email="lisi@example.test",
                        password=PASSWORD, applicant_type="person")
    user = model.User.by_name("lisi")
    helpers.call_action("govshare_registration_confirm", {"user": ""},
                        token=registration.make_token(user))
    assert [r.event for r in records(user.id)] == [
        audit.USER_CREATED, audit.REGISTRATION_SUBMITTED, audit.REGISTRATION_CONFIRMED]


def test_exports_and_downloads_are_recorded_without_the_data_url(app, sysadmin_context,
                                                                 authority):
    org = make_department()
    provider_admin = make_user(org, "admin")
    entry = create_entry(sysadmin_context, org, resources=[
        {"url": "http://intra.example/secret-path.csv", "name": "名册"}])
    resource_id = entry["resources"][0]["id"]
    app.get(f"/dataset/{entry['id']}/resource/{resource_id}/download",
            headers={"Authorization": token(provider_admin)},
            environ_base={"REMOTE_ADDR": "10.7.0.1"}, follow_redirects=False)
    download, = records(resource_id, audit.DOWNLOADED)
    assert (download.actor_name, download.ip, download.outcome) == (
        provider_admin["name"], "10.7.0.1", "success")
    assert "secret-path" not in json.dumps(download.detail)
    app.get("/govshare/usage.csv", headers={"Authorization": token(provider_admin)})
    assert records(event=audit.EXPORTED, actor=provider_admin["name"])[-1].detail[
        "endpoint"] == "govshare.usage_csv"
    app.get(f"/organization/{org['name']}/catalog.xlsx",
            headers={"Authorization": token(provider_admin)})
    app.get("/govshare/catalog.xlsx", headers={"Authorization": token(authority)})
    assert [r.detail["endpoint"] for r in records(event=audit.EXPORTED)
            if r.actor_name in (provider_admin["name"], authority["name"])][-2:] == [
        "govshare.catalog_export", "govshare.catalog_export_all"]
    app.get("/govshare/audit.csv?event=login.failed",
            headers={"Authorization": token(authority)})
    exported, = records(event=audit.AUDIT_EXPORTED, actor=authority["name"])
    assert exported.detail["filters"] == {"event": "login.failed"}
    # a refused export is recorded as a failure
    app.get("/govshare/audit.csv", headers={"Authorization": token(provider_admin)},
            status=403)
    refused, = records(event=audit.AUDIT_EXPORTED, actor=provider_admin["name"])
    assert refused.outcome == "failure"


# ------------------------------------------------------------------ reading the log

def test_the_authority_filters_and_pages_the_log(app, authority):
    user = factories.User(password=PASSWORD)
    for n in range(3):
        sign_in(app, user["name"], f"wrong-{n}", "10.8.0.1")
    result = api(app, "govshare_audit_list", authority, actor=user["name"])["result"]
    assert result["count"] == 3 and [r["event"] for r in result["results"]] == [
        audit.LOGIN_FAILED] * 3
    ids = [r["id"] for r in result["results"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    page = api(app, "govshare_audit_list", authority, actor=user["name"], limit=2, offset=2)
    assert [r["id"] for r in page["result"]["results"]] == ids[2:]
    by_event = api(app, "govshare_audit_list", authority, actor=user["name"],
                   event=audit.LOGIN_SUCCEEDED)["result"]
    assert by_event["count"] == 0
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert api(app, "govshare_audit_list", authority, actor=user["name"],
               since=tomorrow)["result"]["count"] == 0
    assert api(app, "govshare_audit_list", authority, actor=user["id"],
               since=datetime.date.today().isoformat())["result"]["count"] == 3
    bad = api(app, "govshare_audit_list", authority, status=409, since="明天")
    assert "since" in bad["error"]


def test_only_the_data_authority_and_sysadmins_read_the_log(app, authority):
    department_admin = make_user(make_department(), "admin")
    refused = api(app, "govshare_audit_list", department_admin, status=403)
    assert refused["error"]["__type"] == "Authorization Error"
    assert api(app, "govshare_audit_list", None, status=403)["success"] is False
    for url in ("/govshare/audit", "/govshare/audit.csv"):
        app.get(url, headers={"Authorization": token(department_admin)}, status=403)
        anonymous = app.get(url, follow_redirects=False)
        assert anonymous.status_code == 302 and "/user/login" in anonymous.location
        app.get(url, headers={"Authorization": token(authority)}, status=200)
    assert api(app, "govshare_audit_list", factories.Sysadmin())["success"]


def test_the_audit_page_shows_filters_a_table_and_pages(app, authority):
    user = factories.User(password=PASSWORD)
    for n in range(3):
        sign_in(app, user["name"], f"wrong-{n}", "10.9.0.1")
    response = app.get(f"/govshare/audit?actor={user['name']}&event=login.failed",
                       headers={"Authorization": token(authority)})
    page = lxml.html.fromstring(response.body)
    assert "安全审计日志" in page.xpath('//div[@role="main"]//h1')[0].text_content()
    rows = page.xpath('//tr[contains(@class, "govshare-audit-row")]')
    assert len(rows) == 3
    cells = [c.text_content().strip() for c in rows[0].xpath("td")]
    assert cells[1] == "登录失败" and cells[2] == "失败" and cells[3] == user["name"]
    assert cells[4] == "10.9.0.1"
    assert page.xpath('//select[@name="event"]/option[@value="login.failed"][@selected]')
    csv_href = page.xpath('//a[contains(@class, "govshare-audit-csv")]/@href')[0]
    assert "actor=" in csv_href and "event=login.failed" in csv_href
    body = app.get(csv_href, headers={"Authorization": token(authority)}).body
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[0][:4] == ["时间", "事件", "结果", "用户"]
    assert len(table) == 4 and {row[1] for row in table[1:]} == {"登录失败"}
    # paging: 50 a page
    for n in range(50):
        sign_in(app, user["name"], f"again-{n}", "10.9.0.1")
    second = lxml.html.fromstring(app.get(
        f"/govshare/audit?actor={user['name']}&page=2",
        headers={"Authorization": token(authority)}).body)
    assert len(second.xpath('//tr[contains(@class, "govshare-audit-row")]')) == 3
    bad = lxml.html.fromstring(app.get("/govshare/audit?since=2024-99-99",
                                       headers={"Authorization": token(authority)}).body)
    assert bad.xpath('//div[contains(@class, "invalid-feedback")]')


# ------------------------------------------------------------------ append-only, retention

def _insert(days_ago: int, marker: str) -> None:
    with model.meta.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO govshare_audit_log (at, event, outcome, object_id) "
            "VALUES (now() - make_interval(days => :days), 'test.old', 'success', :marker)"),
            {"days": days_ago, "marker": marker})


def _refused(sql: str, *setup: str) -> bool:
    model.Session.rollback()  # the test's session holds no lock on the log
    with model.meta.engine.connect() as connection:
        try:
            with connection.begin():
                connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                for statement in setup:
                    connection.execute(text(statement))
                connection.execute(text(sql))
        except sqlalchemy.exc.DBAPIError as error:
            return "append-only" in str(error)
    return False


def test_the_database_refuses_to_change_or_delete_records():
    user = factories.User()
    record, = records(user["id"], audit.USER_CREATED)
    assert _refused(f"UPDATE govshare_audit_log SET outcome = 'failure' WHERE id = {record.id}")
    assert _refused(f"DELETE FROM govshare_audit_log WHERE id = {record.id}")
    assert _refused("TRUNCATE govshare_audit_log")
    # the purge's mark does not open recent rows
    assert _refused(f"DELETE FROM govshare_audit_log WHERE id = {record.id}",
                    "SELECT set_config('govshare.audit_purging', 'on', true)")
    # nor old rows without the mark
    _insert(400, "old-unmarked")
    assert _refused("DELETE FROM govshare_audit_log WHERE object_id = 'old-unmarked'")
    assert len(records(user["id"], audit.USER_CREATED)) == 1
    # the ORM cannot either
    model.Session.delete(model.Session.get(AuditEvent, record.id))
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"):
        model.Session.commit()
    model.Session.rollback()


def test_retention_purge_removes_only_old_records():
    _insert(400, "purge-old")
    _insert(200, "purge-middle")
    _insert(100, "purge-recent")
    assert audit.purge(365) >= 1
    model.Session.commit()
    left = {r.object_id for r in records() if r.object_id and r.object_id.startswith("purge-")}
    assert left == {"purge-middle", "purge-recent"}
    purged = records(event=audit.AUDIT_PURGED)[-1]
    assert purged.detail["retention_days"] == 365
    # less than six months is refused by the database, whatever the configuration says
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="at least 180"):
        audit.purge(30)
    model.Session.rollback()
    assert audit.purge() >= 1  # the configured default: 180 days
    model.Session.commit()
    left = {r.object_id for r in records() if r.object_id and r.object_id.startswith("purge-")}
    assert left == {"purge-recent"}


def test_a_retention_below_six_months_stops_the_plugin(ckan_config):
    with pytest.raises(RuntimeError, match="at least 180"):
        audit.check_config({"govshare.audit.retention_days": 90})


# ------------------------------------------------------------------ sign-in throttling

@pytest.fixture
def limits(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "govshare.signin.max_failures", 3)
    monkeypatch.setitem(ckan_config, "govshare.signin.max_failures_per_address", 5)
    monkeypatch.setitem(ckan_config, "govshare.signin.lockout_seconds", 2)


def test_repeated_failures_lock_the_account_until_the_delay_passes(app, limits):
    user = factories.User(password=PASSWORD, email="wangwu@example.test")
    other = factories.User(password=PASSWORD)
    ip = new_ip()
    for n in range(3):  # by name or by email: one account
        sign_in(app, user["name"] if n % 2 else "wangwu@example.test", f"wrong-{n}", ip)
    refused = sign_in(app, user["name"], PASSWORD, ip)
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.body
    assert not signed_in(app, user["name"], PASSWORD, new_ip())  # from anywhere
    throttled = records(event=audit.LOGIN_THROTTLED, actor=user["name"])
    assert len(throttled) == 2 and throttled[0].outcome == "failure"
    assert signed_in(app, other["name"], PASSWORD, new_ip())  # others are unaffected
    time.sleep(2.5)
    assert signed_in(app, user["name"], PASSWORD, ip)


def test_repeated_failures_from_one_address_lock_that_address(app, limits):
    users = [factories.User(password=PASSWORD) for _ in range(3)]
    ip = new_ip()
    for n in range(5):
        sign_in(app, users[n % 2]["name"], "wrong", ip)
    assert sign_in(app, users[2]["name"], PASSWORD, ip).status_code == 429
    assert signed_in(app, users[2]["name"], PASSWORD, new_ip())


def test_a_successful_sign_in_clears_the_accounts_failures(app, limits):
    user = factories.User(password=PASSWORD)
    ip = new_ip()
    for _ in range(2):
        sign_in(app, user["name"], "wrong", ip)
    assert signed_in(app, user["name"], PASSWORD, ip)
    for _ in range(2):
        sign_in(app, user["name"], "wrong", ip)
    assert signed_in(app, user["name"], PASSWORD, ip)
