"""Share requests and open-data applications: every transition and every invalid one,
deadlines in working days, reminders, escalation, cases, usage records, audit."""
from __future__ import annotations

import datetime
import logging
import threading
from typing import Any, Callable

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from click.testing import CliRunner
from freezegun import freeze_time

from conftest import as_user, create_entry, make_department, make_user, run_jobs
from ckanext.govshare import cli, workdays
from ckanext.govshare.model import Audit, Case, Grant, Notification, OutboxMail, Request, Usage

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
FUTURE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
TODAY = datetime.date.today().isoformat()


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A provider with a conditional entry (two resources), a requesting department, the authority."""
    provider = make_department(name="provider-dept")
    requester = make_department(name="requester-dept")
    bystander = make_department(name="bystander-dept")
    authority = make_department(name="data-authority")
    entry = create_entry(
        sysadmin_context, provider, share_type="conditional", share_condition="限业务协同",
        usage_scope=["work_reference", "business_collaboration"], open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "A"},
                   {"url": "http://intra.example/b.csv", "name": "B"}])
    return {
        "provider": provider, "requester": requester, "entry": entry,
        "provider_admin": make_user(provider, "admin", email="admin@provider.test"),
        "provider_editor": make_user(provider, "editor"),
        "applicant": make_user(requester, "member", email="clerk@requester.test"),
        "bystander_admin": make_user(bystander, "admin"),
        "authority": make_user(authority, "member", email="chief@authority.test"),
    }


def request_data(world, **kwargs):
    data = {"package_id": world["entry"]["id"], "usage_scope": ["work_reference"],
            "purpose": "核验低保对象家庭收入", "basis": "《社会救助暂行办法》第十一条",
            "period_start": TODAY, "period_end": FUTURE, "contact": "张三 0392-1234567"}
    data.update(kwargs)
    return data


def create_request(world, **kwargs):
    return helpers.call_action("govshare_request_create", as_user(world["applicant"]),
                               **request_data(world, **kwargs))


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


def urls(user, entry):
    return [r["url"] for r in call(user, "package_show", id=entry["id"])["resources"]]


# ------------------------------------------------------------------ create

def test_request_is_pending_with_deadline_and_parties(world):
    request = create_request(world)
    assert request["state"] == "pending"
    assert request["overdue"] is False
    assert request["requester_org"] == world["requester"]["id"]
    assert request["provider_org"] == world["entry"]["owner_org"]
    expected = workdays.add_working_days(workdays.today(), 10)
    assert request["deadline"] == expected.isoformat()


@pytest.mark.parametrize("share_type,extra", [
    ("unconditional", {}),
    ("none", {"no_share_basis": "《保守国家秘密法》"}),
])
def test_only_conditional_entries_are_requested(world, sysadmin_context, share_type, extra):
    entry = create_entry(sysadmin_context, world["provider"], share_type=share_type,
                         open_type="closed", **extra)
    with pytest.raises(tk.ValidationError) as err:
        create_request(world, package_id=entry["id"])
    assert list(err.value.error_dict) == ["package_id"]


def test_provider_cannot_request_its_own_entry(world):
    with pytest.raises(tk.ValidationError) as err:
        call(world["provider_editor"], "govshare_request_create", **request_data(world))
    assert list(err.value.error_dict) == ["package_id"]


@pytest.mark.parametrize("field,value", [
    ("purpose", ""), ("basis", ""), ("contact", ""), ("usage_scope", ["gossip"]),
    ("usage_scope", ["data_verification"]),  # a real code the entry does not allow
    ("period_end", "2001-01-01"), ("resource_ids", ["not-a-resource"]),
])
def test_bad_request_names_the_field_and_saves_nothing(world, field, value):
    with pytest.raises(tk.ValidationError) as err:
        create_request(world, **{field: value})
    assert field in err.value.error_dict
    assert model.Session.query(Request).count() == 0


def test_public_users_cannot_request(world):
    with pytest.raises(tk.NotAuthorized):
        call(make_user(), "govshare_request_create", **request_data(world))


def test_one_pending_request_per_department_and_entry(world):
    create_request(world)
    with pytest.raises(tk.ValidationError):
        create_request(world)


# ------------------------------------------------------------------ decide

def test_approval_grants_the_requester_the_data(world):
    request = create_request(world)
    assert urls(world["applicant"], world["entry"]) == ["", ""]
    approved = call(world["provider_admin"], "govshare_request_approve", id=request["id"],
                    comment="同意")
    assert approved["state"] == "approved" and approved["grant_id"]
    grant = model.Session.get(Grant, approved["grant_id"])
    assert grant.grantee_org_id == world["requester"]["id"]
    assert urls(world["applicant"], world["entry"]) == ["http://intra.example/a.csv",
                                                        "http://intra.example/b.csv"]
    notes = model.Session.query(Notification).filter_by(
        user_id=world["applicant"]["id"]).all()
    assert any("approved" in n.subject or "批准" in n.subject for n in notes)


def test_approval_may_narrow_resources_and_period(world):
    request = create_request(world)
    first = world["entry"]["resources"][0]["id"]
    end = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    approved = call(world["provider_admin"], "govshare_request_approve", id=request["id"],
                    resource_ids=[first], period_end=end)
    grant = model.Session.get(Grant, approved["grant_id"])
    assert grant.resource_ids == [first] and grant.valid_until.isoformat() == end
    assert urls(world["applicant"], world["entry"]) == ["http://intra.example/a.csv", ""]


def test_approval_cannot_widen_the_period(world):
    request = create_request(world, period_end=(datetime.date.today()
                                                + datetime.timedelta(days=10)).isoformat())
    with pytest.raises(tk.ValidationError) as err:
        call(world["provider_admin"], "govshare_request_approve", id=request["id"], period_end=FUTURE)
    assert list(err.value.error_dict) == ["period_end"]
    assert model.Session.get(Request, request["id"]).state == "pending"


def test_refusal_needs_a_reason(world):
    request = create_request(world)
    with pytest.raises(tk.ValidationError) as err:
        call(world["provider_admin"], "govshare_request_refuse", id=request["id"], reason=" ")
    assert list(err.value.error_dict) == ["reason"]
    refused = call(world["provider_admin"], "govshare_request_refuse", id=request["id"],
                   reason="用途超出共享条件")
    assert refused["state"] == "refused" and refused["decision_note"] == "用途超出共享条件"


@pytest.mark.parametrize("first,second", [
    ("govshare_request_approve", "govshare_request_approve"),
    ("govshare_request_refuse", "govshare_request_approve"),
    ("govshare_request_withdraw", "govshare_request_approve"),
])
def test_decided_requests_do_not_change_again(world, first, second):
    request = create_request(world)
    actor = world["applicant"] if first.endswith("withdraw") else world["provider_admin"]
    call(actor, first, id=request["id"], reason="理由")
    before = model.Session.query(Audit).count()
    with pytest.raises(tk.ValidationError) as err:
        call(world["provider_admin"], second, id=request["id"], reason="理由")
    assert "id" in err.value.error_dict
    assert model.Session.query(Audit).count() == before
    assert model.Session.query(Grant).count() == (1 if first.endswith("approve") else 0)


@pytest.mark.parametrize("who", ["applicant", "bystander_admin", "provider_editor", "authority"])
def test_only_provider_admins_decide_before_the_deadline(world, who):
    request = create_request(world)
    with pytest.raises(tk.NotAuthorized):
        call(world[who], "govshare_request_approve", id=request["id"])
    assert model.Session.get(Request, request["id"]).state == "pending"


@pytest.mark.ckan_config("govshare.request.editors_decide", "true")
def test_editors_decide_when_configured(world):
    request = create_request(world)
    assert call(world["provider_editor"], "govshare_request_refuse", id=request["id"],
                reason="不符合条件")["state"] == "refused"


def test_only_the_requester_withdraws(world):
    request = create_request(world)
    with pytest.raises(tk.NotAuthorized):
        call(world["provider_admin"], "govshare_request_withdraw", id=request["id"])
    assert call(world["applicant"], "govshare_request_withdraw", id=request["id"])["state"] == "withdrawn"


def test_two_simultaneous_decisions_one_wins(world, app):
    request_id = create_request(world)["id"]
    admin = world["provider_admin"]["name"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(action: str) -> None:
        with app.flask_app.test_request_context():
            barrier.wait()
            try:
                tk.get_action(action)({"user": admin}, {"id": request_id, "reason": "冲突测试"})
                outcomes.append("won")
            except tk.ValidationError:
                outcomes.append("refused")
            finally:
                model.Session.remove()

    threads = [threading.Thread(target=decide, args=(a,)) for a in
               ("govshare_request_approve", "govshare_request_refuse")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused", "won"]
    model.Session.expire_all()
    assert model.Session.query(Audit).filter(Audit.object_id == request_id,
                                             Audit.action.in_(["approved", "refused"])).count() == 1


def test_revoked_grant_ends_access(world):
    request = create_request(world)
    approved = call(world["provider_admin"], "govshare_request_approve", id=request["id"])
    call(world["provider_admin"], "govshare_grant_revoke", id=approved["grant_id"], reason="滥用")
    assert urls(world["applicant"], world["entry"]) == ["", ""]
    trail = [(a.action, a.from_state, a.to_state, a.user_id) for a in model.Session.query(Audit)
             .filter(Audit.object_type == "grant").order_by(Audit.id)]
    assert trail == [("create", None, "active", world["provider_admin"]["id"]),
                     ("revoke", "active", "revoked", world["provider_admin"]["id"])]


def test_grants_expire_by_themselves(world):
    request = create_request(world, period_end=(datetime.date.today()
                                                + datetime.timedelta(days=3)).isoformat())
    call(world["provider_admin"], "govshare_request_approve", id=request["id"])
    with freeze_time(datetime.date.today() + datetime.timedelta(days=4)):
        assert urls(world["applicant"], world["entry"]) == ["", ""]


# ------------------------------------------------------------------ audit and lists

def test_request_show_has_the_audit_trail(world):
    request = create_request(world)
    call(world["provider_admin"], "govshare_request_refuse", id=request["id"], reason="不符")
    shown = call(world["applicant"], "govshare_request_show", id=request["id"])
    trail = [(a["action"], a["from_state"], a["to_state"]) for a in shown["audit"]]
    assert trail == [("create", None, "pending"), ("refused", "pending", "refused")]
    assert shown["audit"][1]["user_id"] == world["provider_admin"]["id"]
    with pytest.raises(tk.NotAuthorized):
        call(world["bystander_admin"], "govshare_request_show", id=request["id"])


def test_request_list_filters_and_visibility(world, sysadmin_context):
    second = create_entry(sysadmin_context, world["provider"], share_type="conditional",
                          share_condition="x", usage_scope=["work_reference"], open_type="closed")
    create_request(world)
    create_request(world, package_id=second["id"])
    inbox = call(world["provider_admin"], "govshare_request_list", state="pending")
    assert inbox["count"] == 2
    assert call(world["bystander_admin"], "govshare_request_list")["count"] == 0
    assert call(world["authority"], "govshare_request_list")["count"] == 2
    assert call(world["provider_admin"], "govshare_request_list",
                package_id=second["name"])["count"] == 1
    assert call(world["provider_admin"], "govshare_request_list", overdue=True)["count"] == 0
    # the inbox: what each user may decide now
    assert call(world["provider_admin"], "govshare_request_list", decidable=True)["count"] == 2
    assert call(world["provider_editor"], "govshare_request_list", decidable=True)["count"] == 0
    assert call(world["authority"], "govshare_request_list", decidable=True)["count"] == 0
    with freeze_time(datetime.date.today() + datetime.timedelta(days=40)):
        assert call(world["authority"], "govshare_request_list", decidable=True)["count"] == 2


# ------------------------------------------------------------------ time

@pytest.mark.usefixtures("clean_db")
def test_working_days_skip_the_spring_festival_and_count_makeup_saturdays():
    # 2026: 15-23 February off, Saturdays 14 and 28 February are working days.
    assert workdays.is_working_day(datetime.date(2026, 2, 14))
    assert not workdays.is_working_day(datetime.date(2026, 2, 16))
    assert workdays.add_working_days(datetime.date(2026, 2, 12), 10) == datetime.date(2026, 3, 4)
    assert workdays.add_working_days(datetime.date(2026, 2, 12), 5) == datetime.date(2026, 2, 26)
    assert workdays.working_days_between(datetime.date(2026, 2, 12), datetime.date(2026, 3, 4)) == 10


@pytest.mark.usefixtures("clean_db")
@pytest.mark.ckan_config("govshare.calendar.extra_holidays", "2026-12-31 2027-01-01")
@pytest.mark.ckan_config("govshare.calendar.extra_workdays", "2026-12-26")
def test_configured_dates_override_days_but_do_not_make_a_year_known():
    assert not workdays.is_working_day(datetime.date(2026, 12, 31))  # a Thursday, configured off
    assert workdays.is_working_day(datetime.date(2026, 12, 26))     # a Saturday, configured on
    assert not workdays.is_working_day(datetime.date(2026, 12, 27))  # an ordinary Sunday
    with pytest.raises(workdays.UnknownYear):  # 2027 is listed, but nobody entered it
        workdays.add_working_days(datetime.date(2026, 12, 30), 2)


@pytest.mark.ckan_config("govshare.request.reply_working_days", "5")
def test_deadline_is_configurable_and_spans_the_festival(world):
    with freeze_time("2026-02-12 09:00:00"):
        request = create_request(world, period_start="2026-02-12")
    assert request["deadline"] == "2026-02-26"


def test_reminder_then_escalation_then_the_authority_decides(world):
    with freeze_time("2026-02-12 09:00:00"):
        request = create_request(world, period_start="2026-02-12")
    assert request["deadline"] == "2026-03-04"
    with freeze_time("2026-03-02 08:00:00"):  # two working days before
        assert helpers.call_action("govshare_remind_and_escalate") == {"reminded": 1, "escalated": 0}
        assert helpers.call_action("govshare_remind_and_escalate") == {"reminded": 0, "escalated": 0}
        with pytest.raises(tk.NotAuthorized):
            call(world["authority"], "govshare_request_approve", id=request["id"])
    with freeze_time("2026-03-05 08:00:00"):
        assert helpers.call_action("govshare_remind_and_escalate") == {"reminded": 0, "escalated": 1}
        queue = call(world["authority"], "govshare_request_list", escalated=True)
        assert [r["id"] for r in queue["results"]] == [request["id"]]
        assert queue["results"][0]["overdue"] is True
        decided = call(world["authority"], "govshare_request_approve", id=request["id"])
        assert decided["state"] == "approved"
    told = {n.user_id for n in model.Session.query(Notification)}
    assert {world["provider_admin"]["id"], world["authority"]["id"], world["applicant"]["id"]} <= told


# ------------------------------------------------------------------ cases

def test_authority_coordinates_a_refused_request(world):
    request = create_request(world)
    with pytest.raises(tk.ValidationError):
        call(world["authority"], "govshare_case_create", package_id=world["entry"]["id"],
             request_id=request["id"], description="协调")
    call(world["provider_admin"], "govshare_request_refuse", id=request["id"], reason="不符")
    with pytest.raises(tk.NotAuthorized):  # neither the authority nor the requester
        call(world["provider_admin"], "govshare_case_create", package_id=world["entry"]["id"],
             request_id=request["id"], description="协调")
    case = call(world["authority"], "govshare_case_create", package_id=world["entry"]["id"],
                request_id=request["id"], description="民政局确需核验收入")
    resolved = call(world["authority"], "govshare_case_resolve", id=case["id"],
                    outcome="协商同意按季度提供核验结果")
    assert resolved["state"] == "resolved" and resolved["outcome"].startswith("协商")
    with pytest.raises(tk.ValidationError):
        call(world["authority"], "govshare_case_resolve", id=case["id"], outcome="再次")


def test_case_for_a_not_shared_entry(world, sysadmin_context):
    secret = create_entry(sysadmin_context, world["provider"], share_type="none",
                          no_share_basis="《保守国家秘密法》", open_type="closed")
    case = call(world["authority"], "govshare_case_create", package_id=secret["id"],
                description="应急指挥需要")
    assert case["state"] == "open"
    with pytest.raises(tk.ValidationError):
        call(world["authority"], "govshare_case_create", package_id=world["entry"]["id"],
             description="条件共享资源应走共享申请")


# ------------------------------------------------------------------ usage

def test_granted_access_is_recorded_and_shown_to_the_provider(world, app):
    request = create_request(world)
    approved = call(world["provider_admin"], "govshare_request_approve", id=request["id"])
    resource_id = world["entry"]["resources"][0]["id"]
    call(world["applicant"], "resource_show", id=resource_id)
    rows = model.Session.query(Usage).all()
    assert [(u.resource_id, u.grant_id, u.route, u.org_id) for u in rows] == [
        (resource_id, approved["grant_id"], "resource_show", world["requester"]["id"])]
    # the provider's own reads are not usage by others
    call(world["provider_admin"], "resource_show", id=resource_id)
    assert model.Session.query(Usage).count() == 1
    seen = call(world["provider_admin"], "govshare_usage_list")
    assert [u["grant_id"] for u in seen] == [approved["grant_id"]]
    assert call(world["bystander_admin"], "govshare_usage_list") == []
    assert len(call(world["authority"], "govshare_usage_list")) == 1


# ------------------------------------------------------------------ open site

@pytest.fixture
def open_entry(sysadmin_context, known_calendar):
    provider = make_department(name="open-provider")
    admin = make_user(provider, "admin")
    entry = create_entry(sysadmin_context, provider, open_type="authorized",
                         open_condition="实名申请，限科研用途",
                         resources=[{"url": "http://open.example/traffic.csv", "name": "流量"}])
    return {"entry": entry, "admin": admin}


def application_data(entry, **kwargs):
    data = {"package_id": entry["id"], "purpose": "交通流量研究", "scenario": "高校课题",
            "security_measures": "内网存储，专人管理", "commitment_accepted": True,
            "period_end": FUTURE}
    data.update(kwargs)
    return data


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_application_flow_on_the_open_site(open_entry):
    citizen = make_user()
    entry = open_entry["entry"]
    assert urls(citizen, entry) == [""]
    with pytest.raises(tk.ValidationError) as err:
        call(citizen, "govshare_application_create",
             **application_data(entry, commitment_accepted=False))
    assert list(err.value.error_dict) == ["commitment_accepted"]
    application = call(citizen, "govshare_application_create", **application_data(entry))
    assert application["state"] == "pending" and application["commitment_text"]
    approved = call(open_entry["admin"], "govshare_application_approve", id=application["id"])
    assert model.Session.get(Grant, approved["grant_id"]).grantee_user_id == citizen["id"]
    assert urls(citizen, entry) == ["http://open.example/traffic.csv"]
    assert urls(make_user(), entry) == [""]


@pytest.mark.ckan_config("govshare.site_role", "open")
@pytest.mark.ckan_config("govshare.application.authority_precheck", "true")
def test_authority_precheck_comes_first(open_entry):
    authority = make_user(make_department(name="data-authority"), "member")
    citizen = make_user()
    application = call(citizen, "govshare_application_create",
                       **application_data(open_entry["entry"]))
    with pytest.raises(tk.ValidationError):
        call(open_entry["admin"], "govshare_application_approve", id=application["id"])
    call(authority, "govshare_application_precheck", id=application["id"])
    assert call(open_entry["admin"], "govshare_application_approve",
                id=application["id"])["state"] == "approved"


# ------------------------------------------------------------------ email and downloads

@pytest.mark.usefixtures("clean_queues")
def test_decision_is_emailed_to_the_requester(world, smtp_server):
    request = create_request(world)
    call(world["provider_admin"], "govshare_request_refuse", id=request["id"], reason="用途不符")
    assert run_jobs() == 2  # each action queued a sweep of the outbox after its commit
    assert model.Session.query(OutboxMail).filter(OutboxMail.sent.is_(None)).count() == 0
    assert len(smtp_server.received) == model.Session.query(OutboxMail).count() >= 2
    recipients = {r for rcpts, _ in smtp_server.received for r in rcpts}
    # the provider's admins are told of the request, the requester of the refusal
    assert {"admin@provider.test", "clerk@requester.test"} <= recipients
    assert "chief@authority.test" not in recipients
    import email
    raw = next(data for rcpts, data in smtp_server.received if rcpts == ["clerk@requester.test"])
    message = email.message_from_bytes(raw)
    body = next(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk() if part.get_content_type() == "text/plain")
    assert "用途不符" in body and f"/govshare/requests/{request['id']}" in body


def test_download_through_a_grant_is_recorded_once(world, app):
    request = create_request(world)
    approved = call(world["provider_admin"], "govshare_request_approve", id=request["id"])
    token = factories.APIToken(user=world["applicant"]["name"])["token"]
    resource = world["entry"]["resources"][1]
    response = app.get(f"/dataset/{world['entry']['id']}/resource/{resource['id']}/download",
                       headers={"Authorization": token}, follow_redirects=False)
    assert response.status_code == 302 and response.location == "http://intra.example/b.csv"
    rows = [(u.route, u.resource_id, u.grant_id) for u in model.Session.query(Usage)]
    assert rows == [("download", resource["id"], approved["grant_id"])]
    other = factories.APIToken(user=world["bystander_admin"]["name"])["token"]
    refused = app.get(f"/dataset/{world['entry']['id']}/resource/{resource['id']}/download",
                      headers={"Authorization": other}, follow_redirects=False)
    assert refused.status_code == 403
    assert "申请" in refused.body or "apply" in refused.body


# ------------------------------------------------------------------ transactions, races, outbox

@pytest.fixture
def redis_down(monkeypatch):
    """Redis unreachable: the job queue points at a port where nothing listens."""
    from ckan.lib import jobs
    from ckan.lib import redis as ckan_redis
    from redis import ConnectionPool

    from conftest import free_port
    monkeypatch.setattr(ckan_redis, "_connection_pool",
                        ConnectionPool.from_url(f"redis://127.0.0.1:{free_port()}/0"))
    monkeypatch.setattr(jobs, "_queues", {})


def test_redis_down_the_change_is_saved_and_its_email_sent_later(world, smtp_server, request,
                                                                caplog, monkeypatch):
    request.getfixturevalue("redis_down")
    outbox_log = logging.getLogger("ckanext.govshare.outbox")  # the test logging config
    monkeypatch.setattr(outbox_log, "disabled", False)         # disables it, without
    monkeypatch.setattr(outbox_log, "handlers", [caplog.handler])  # propagation
    created = create_request(world)  # succeeds: the sweep could not be queued, that is all
    assert "Could not queue the outbox sweep" in caplog.text
    assert model.Session.get(Request, created["id"]).state == "pending"
    [mail] = model.Session.query(OutboxMail).filter(OutboxMail.sent.is_(None)).all()
    assert mail.to_address == "admin@provider.test"
    assert smtp_server.received == []
    result = CliRunner().invoke(cli.govshare, ["outbox-sweep"], catch_exceptions=False)
    assert "sent 1, failed 0" in result.output
    assert [rcpts for rcpts, _ in smtp_server.received] == [["admin@provider.test"]]
    model.Session.expire_all()
    assert model.Session.get(OutboxMail, mail.id).sent is not None


def test_deferred_commit_is_left_to_the_caller(world):
    context = dict(as_user(world["applicant"]), defer_commit=True)
    helpers.call_action("govshare_request_create", context, **request_data(world))
    model.Session.rollback()
    assert model.Session.query(Request).count() == 0
    assert model.Session.query(OutboxMail).count() == 0


def _at_once(app, calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls in threads released together: "won" or the validation error's fields."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call_: Callable[[], Any]) -> None:
        with app.flask_app.test_request_context():
            barrier.wait()
            try:
                call_()
                outcomes.append("won")
            except tk.ValidationError as error:
                outcomes.append(",".join(error.error_dict))
            finally:
                model.Session.remove()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def test_the_same_request_filed_twice_at_once_one_wins(world, app):
    clerk = world["applicant"]["name"]
    data = request_data(world)
    for _ in range(5):
        outcomes = _at_once(app, [
            lambda: tk.get_action("govshare_request_create")({"user": clerk}, dict(data))] * 2)
        assert outcomes == ["package_id", "won"]
        pending = model.Session.query(Request).filter_by(state="pending").all()
        assert len(pending) == 1
        call(world["applicant"], "govshare_request_withdraw", id=pending[0].id)
    first = create_request(world)
    with pytest.raises(tk.ValidationError) as err:
        create_request(world)
    assert first["id"] in err.value.error_dict["package_id"][0]  # names the pending one


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_one_pending_application_per_user_and_entry(open_entry):
    citizen = make_user()
    first = call(citizen, "govshare_application_create", **application_data(open_entry["entry"]))
    with pytest.raises(tk.ValidationError) as err:
        call(citizen, "govshare_application_create", **application_data(open_entry["entry"]))
    assert first["id"] in err.value.error_dict["package_id"][0]


def test_one_case_per_request_even_at_once(world, app):
    request_ = create_request(world)
    call(world["provider_admin"], "govshare_request_refuse", id=request_["id"], reason="不符")
    chief = world["authority"]["name"]
    data = {"package_id": world["entry"]["id"], "request_id": request_["id"],
            "description": "协调"}
    outcomes = _at_once(app, [
        lambda: tk.get_action("govshare_case_create")({"user": chief}, dict(data))] * 2)
    assert outcomes == ["request_id", "won"]
    assert model.Session.query(Case).filter_by(request_id=request_["id"]).count() == 1


def test_the_authority_gets_one_digest_a_day_and_providers_one_reminder(world, sysadmin_context):
    entries = [world["entry"]] + [create_entry(
        sysadmin_context, world["provider"], share_type="conditional", share_condition="限业务协同",
        usage_scope=["work_reference"], open_type="closed") for _ in range(2)]
    with freeze_time("2026-02-12 09:00:00"):
        for entry in entries:
            create_request(world, package_id=entry["id"], period_start="2026-02-12")
    model.Session.query(OutboxMail).delete()
    model.repo.commit()

    def mails_to(address):
        return model.Session.query(OutboxMail).filter_by(to_address=address).all()

    with freeze_time("2026-03-02 08:00:00"):
        assert helpers.call_action("govshare_remind_and_escalate")["reminded"] == 3
    [reminder] = mails_to("admin@provider.test")
    assert all(e["title"] in reminder.body for e in entries)
    with freeze_time("2026-03-05 08:00:00"):
        assert helpers.call_action("govshare_remind_and_escalate")["escalated"] == 3
        assert helpers.call_action("govshare_remind_and_escalate")["escalated"] == 0
    [digest] = mails_to("chief@authority.test")
    assert all(e["title"] in digest.body for e in entries)
    assert "3" in digest.subject
    with freeze_time("2026-03-06 08:00:00"):  # the next day: the queue is still there
        helpers.call_action("govshare_remind_and_escalate")
    assert len(mails_to("chief@authority.test")) == 2
    notes = model.Session.query(Notification).filter_by(user_id=world["authority"]["id"])
    assert notes.count() == 2


def test_the_constraint_migration_closes_the_twins_the_race_left(world):
    from ckan.cli.db import _run_migrations
    from sqlalchemy import text

    kept = create_request(world)["id"]
    model.Session.remove()
    _run_migrations("govshare", "0003_request_escalated", forward=False)
    model.Session.execute(text(
        "INSERT INTO govshare_request SELECT 'twin', kind, package_id, provider_org_id,"
        " requester_org_id, requester_user_id, resource_ids, usage_scope, purpose, basis,"
        " scenario, security_measures, commitment_text, contact, period_start, period_end,"
        " state, prechecked, created + interval '1 second', deadline, reminded, escalated,"
        " decided, decided_by, decision_note, grant_id FROM govshare_request WHERE id = :id"),
        {"id": kept})
    model.repo.commit()
    _run_migrations("govshare")
    model.Session.expire_all()
    assert model.Session.get(Request, kept).state == "pending"
    twin = model.Session.get(Request, "twin")
    assert twin.state == "withdrawn" and kept in twin.decision_note
    assert model.Session.query(Audit).filter_by(object_id="twin", action="withdrawn").count() == 1
