"""Error reports (纠错 / 校核, requirements §4.3): who may report and answer, the deadline in
working days, overdue reports reaching the authority, the emails, and the pages."""
from __future__ import annotations

import email
import io
import os
from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from freezegun import freeze_time

from conftest import as_user, create_entry, make_department, make_user, run_jobs
from ckanext.govshare import audit, error_reports
from ckanext.govshare.model import Audit, AuditEvent, ErrorReport, Notification

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def world(sysadmin_context, known_calendar):
    """A provider with an open entry (one resource) and a closed one, another department,
    the authority, a citizen."""
    provider = make_department(name="provider-dept", title="市民政局")
    other = make_department(name="other-dept", title="市人社局")
    authority = make_department(name="data-authority")
    entry = create_entry(sysadmin_context, provider, title="养老机构名录", open_type="general",
                         resources=[{"url": "http://open.example/homes.csv", "name": "名录"}])
    closed = create_entry(sysadmin_context, provider, title="低保对象名册", open_type="closed")
    return {
        "provider": provider, "entry": entry, "closed": closed,
        "provider_admin": make_user(provider, "admin", email="admin@provider.test"),
        "provider_editor": make_user(provider, "editor", email="editor@provider.test"),
        "provider_member": make_user(provider, "member"),
        "clerk": make_user(other, "member", email="clerk@other.test"),
        "other_admin": make_user(other, "admin"),
        "authority": make_user(authority, "member", email="chief@authority.test"),
        "citizen": make_user(email="citizen@example.test"),
    }


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


def report(world, user=None, **kwargs) -> dict[str, Any]:
    data = {"package_id": world["entry"]["id"], "location": "第3行 地址",
            "description": "地址写成了旧址，该机构已于2025年迁至新区", "evidence": "民政局2025年第4号公告"}
    data.update(kwargs)
    return call(user or world["clerk"], "govshare_error_report_create", **data)


def errors_of(action_call) -> dict[str, Any]:
    with pytest.raises(tk.ValidationError) as err:
        action_call()
    return err.value.error_dict


def api_errors(app, user, action: str, **data: Any) -> dict[str, Any]:
    """The validation errors the API answers, in the portal's language (Chinese)."""
    response = app.post(f"/api/3/action/{action}", json=data, status=409,
                        headers={"Authorization": factories.APIToken(user=user["name"])["token"]})
    return {k: v for k, v in response.json["error"].items() if k != "__type"}


# ------------------------------------------------------------------ reporting

def test_a_department_user_reports_and_the_report_waits_for_the_provider(world):
    created = report(world, resource_id=world["entry"]["resources"][0]["id"])
    assert created["state"] == "open" and created["overdue"] is False
    assert created["provider_org"] == world["provider"]["id"]
    assert created["reporter_user"] == world["clerk"]["id"]
    assert created["resource_id"] == world["entry"]["resources"][0]["id"]
    shown = call(world["clerk"], "govshare_error_report_show", id=created["id"])
    assert [a["action"] for a in shown["audit"]] == ["create"]


@pytest.mark.ckan_config("govshare.site_role", "open")
def test_a_citizen_reports_on_the_open_site(world):
    created = report(world, world["citizen"])
    assert created["state"] == "open"
    listed = call(world["citizen"], "govshare_error_report_list", mine=True)
    assert [r["id"] for r in listed["results"]] == [created["id"]]


def test_a_hidden_entry_is_refused_like_a_missing_one(world):
    hidden = errors_of(lambda: report(world, world["citizen"], package_id=world["closed"]["id"]))
    missing = errors_of(lambda: report(world, world["citizen"], package_id="no-such-entry"))
    assert hidden == missing and list(hidden) == ["package_id"]
    assert model.Session.query(ErrorReport).count() == 0


def test_a_hidden_entry_over_the_api_answers_like_a_missing_one(app, world):
    token = factories.APIToken(user=world["citizen"]["name"])["token"]

    def answer(package_id: str) -> tuple[int, str]:
        response = app.post("/api/3/action/govshare_error_report_create", json={
            "package_id": package_id, "location": "标题", "description": "错"},
            headers={"Authorization": token})
        return response.status_code, response.get_data(as_text=True).replace(package_id, "X")

    assert answer(world["closed"]["id"]) == answer("00000000-0000-0000-0000-000000000000")
    assert answer(world["closed"]["id"])[0] == 409


def test_anonymous_users_cannot_report(world):
    with pytest.raises(tk.NotAuthorized):
        call(None, "govshare_error_report_create", package_id=world["entry"]["id"],
             location="标题", description="错")


def test_a_resource_of_another_entry_is_refused(world, sysadmin_context):
    elsewhere = create_entry(sysadmin_context, world["provider"],
                             resources=[{"url": "http://open.example/x.csv", "name": "X"}])
    errors = errors_of(lambda: report(world, resource_id=elsewhere["resources"][0]["id"]))
    assert list(errors) == ["resource_id"]


@pytest.mark.parametrize("field", ["description", "location"])
def test_an_empty_text_is_refused_naming_the_field_in_chinese(app, world, field):
    data = {"package_id": world["entry"]["id"], "location": "标题", "description": "错",
            field: "  "}
    errors = api_errors(app, world["clerk"], "govshare_error_report_create", **data)
    assert errors == {field: ["缺少该值"]}
    assert model.Session.query(ErrorReport).count() == 0


# ------------------------------------------------------------------ answering

@pytest.mark.parametrize("who", ["clerk", "other_admin", "authority", "provider_member"])
def test_only_the_provider_answers(world, who):
    created = report(world)
    with pytest.raises(tk.NotAuthorized):
        call(world[who], "govshare_error_report_resolve", id=created["id"], outcome="corrected",
             explanation="已更正")
    assert model.Session.get(ErrorReport, created["id"]).state == "open"


@pytest.mark.parametrize("who,outcome", [("provider_admin", "corrected"),
                                         ("provider_editor", "not_error")])
def test_the_provider_answers_once(world, who, outcome):
    created = report(world)
    answered = call(world[who], "govshare_error_report_resolve", id=created["id"],
                    outcome=outcome, explanation="经核对公告原文")
    assert answered["state"] == outcome and answered["explanation"] == "经核对公告原文"
    assert answered["resolved_by"] == world[who]["id"]
    again = errors_of(lambda: call(world["provider_admin"], "govshare_error_report_resolve",
                                   id=created["id"], outcome="corrected", explanation="再次"))
    assert list(again) == ["id"]
    trail = [a.action for a in model.Session.query(Audit).filter(
        Audit.object_type == "error_report").order_by(Audit.id)]
    assert trail == ["create", outcome]


def test_a_bad_outcome_or_no_explanation_is_refused_in_chinese(app, world):
    created = report(world)
    bad = api_errors(app, world["provider_admin"], "govshare_error_report_resolve",
                     id=created["id"], outcome="maybe", explanation="说明")
    assert list(bad) == ["outcome"] and "处理结果只能是" in bad["outcome"][0] and "corrected" in bad["outcome"][0]
    missing = api_errors(app, world["provider_admin"], "govshare_error_report_resolve",
                         id=created["id"], outcome="corrected", explanation="")
    assert missing == {"explanation": ["缺少该值"]}
    again = api_errors(app, world["provider_admin"], "govshare_error_report_resolve",
                       id=created["id"], outcome="maybe", explanation="")
    assert set(again) == {"explanation"}  # the schema first; nothing answered either way
    assert model.Session.get(ErrorReport, created["id"]).state == "open"


# ------------------------------------------------------------------ who sees what

def test_lists_show_each_their_reports(world):
    mine = report(world)
    theirs = report(world, world["authority"])
    ids = lambda user, **f: {r["id"] for r in call(user, "govshare_error_report_list", **f)["results"]}  # noqa: E731
    assert ids(world["clerk"]) == {mine["id"]}
    assert ids(world["other_admin"]) == set()  # the clerk's department: not its reports
    assert ids(world["provider_member"]) == {mine["id"], theirs["id"]}
    assert ids(world["authority"]) == {mine["id"], theirs["id"]}
    assert ids(world["authority"], mine=True) == {theirs["id"]}
    assert ids(world["authority"], owner_org="other-dept") == set()
    assert ids(world["authority"], package_id=world["entry"]["name"]) == {mine["id"], theirs["id"]}
    assert ids(world["authority"], state="corrected") == set()
    with pytest.raises(tk.NotAuthorized):
        call(world["other_admin"], "govshare_error_report_show", id=mine["id"])


# ------------------------------------------------------------------ time

@pytest.mark.ckan_config("govshare.error_report.reply_working_days", "5")
def test_the_deadline_counts_working_days_across_the_festival(world):
    with freeze_time("2026-02-12 09:00:00"):  # 春节 2026: 15-23 February off, 14 and 28 worked
        assert report(world)["deadline"] == "2026-02-26"


@pytest.mark.ckan_config("govshare.error_report.reply_working_days", "3")
def test_the_deadline_is_configurable(world):
    with freeze_time("2026-03-02 09:00:00"):  # a Monday
        assert report(world)["deadline"] == "2026-03-05"


def test_overdue_reports_come_first_and_go_to_the_authority(world):
    with freeze_time("2026-03-02 09:00:00"):
        late = report(world)                     # due 2026-03-09
    with freeze_time("2026-03-06 09:00:00"):
        fresh = report(world, world["citizen"])  # due 2026-03-13
    with freeze_time("2026-03-10 08:00:00"):
        listed = call(world["authority"], "govshare_error_report_list")["results"]
        assert [(r["id"], r["overdue"]) for r in listed] == [(late["id"], True), (fresh["id"], False)]
        overdue = call(world["provider_admin"], "govshare_error_report_list", overdue=True)
        assert [r["id"] for r in overdue["results"]] == [late["id"]]
        helpers.call_action("govshare_remind_and_escalate")
        helpers.call_action("govshare_remind_and_escalate")  # once only
        assert model.Session.get(ErrorReport, late["id"]).escalated is True
        assert model.Session.get(ErrorReport, fresh["id"]).escalated is False
    told = model.Session.query(Notification).filter(
        Notification.user_id == world["authority"]["id"]).all()
    assert len(told) == 1 and "1" in told[0].subject


# ------------------------------------------------------------------ email

def _body(raw: bytes) -> str:
    message = email.message_from_bytes(raw)
    return next(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk() if part.get_content_type() == "text/plain")


@pytest.mark.usefixtures("clean_queues")
def test_the_provider_and_then_the_reporter_are_emailed(world, smtp_server):
    created = report(world)
    run_jobs()
    assert sorted(r for rcpts, _ in smtp_server.received for r in rcpts) == [
        "admin@provider.test", "editor@provider.test"]
    assert "地址写成了旧址" in _body(smtp_server.received[0][1])
    call(world["provider_editor"], "govshare_error_report_resolve", id=created["id"],
         outcome="corrected", explanation="已按公告更正地址")
    run_jobs()
    raw = next(data for rcpts, data in smtp_server.received if rcpts == ["clerk@other.test"])
    body = _body(raw)
    assert "已按公告更正地址" in body and f"/govshare/error-reports/{created['id']}" in body


# ------------------------------------------------------------------ pages

def _headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def _tree(response) -> Any:
    return lxml.html.fromstring(response.body)


def test_every_entry_page_has_the_button_for_signed_in_users(app, world):
    url = f"/dataset/{world['entry']['name']}"
    button = '//a[contains(@class, "govshare-error-report-button")]/@href'
    for who in ("clerk", "provider_admin", "citizen"):
        page = _tree(app.get(url, headers=_headers(world[who])))
        assert page.xpath(button) == [f"{url}/error-report"]
    assert _tree(app.get(url)).xpath(button) == []
    app.get(f"/dataset/{world['closed']['name']}/error-report",
            headers=_headers(world["citizen"]), status=404)


def test_the_form_reports_and_shows_errors_in_chinese(app, world):
    url = f"/dataset/{world['entry']['name']}/error-report"
    page = _tree(app.post(url, data={"location": "标题", "description": ""},
                          headers=_headers(world["clerk"]), status=400))
    error = page.xpath('//*[@id="field-description"]/ancestor::*[contains(@class, "form-group")]'
                       '[1]//*[contains(@class, "error-block")]')
    assert error and "缺少该值" in error[0].text_content()
    assert page.xpath('//input[@id="field-location"]/@value') == ["标题"]
    assert model.Session.query(ErrorReport).count() == 0
    shown = app.post(url, data={"location": "标题", "description": "错别字", "resource_id": ""},
                     headers=_headers(world["clerk"]))
    created = model.Session.query(ErrorReport).one()
    assert "错别字" in shown.body and created.description == "错别字"


def test_the_provider_answers_on_the_page(app, world):
    created = report(world)
    listed = _tree(app.get("/govshare/error-reports?tab=department",
                           headers=_headers(world["provider_admin"])))
    assert listed.xpath('//tr[contains(@class, "govshare-error-report-row")]/@data-report-id') == [
        created["id"]]
    url = f"/govshare/error-reports/{created['id']}"
    assert _tree(app.get(url, headers=_headers(world["clerk"]))).xpath(
        '//form[contains(@class, "govshare-error-report-answer")]') == []
    page = _tree(app.post(f"{url}/resolve", data={"outcome": "corrected", "explanation": ""},
                          headers=_headers(world["provider_admin"]), status=400))
    assert page.xpath('//*[@id="field-explanation"]/ancestor::*[contains(@class, "form-group")]'
                      '[1]//*[contains(@class, "error-block")]')
    app.post(f"{url}/resolve", data={"outcome": "not_error", "explanation": "地址无误"},
             headers=_headers(world["provider_admin"]))
    assert model.Session.get(ErrorReport, created["id"]).state == "not_error"
    mine = app.get("/govshare/error-reports?tab=mine", headers=_headers(world["clerk"]))
    assert created["id"] in mine.body


def test_the_authority_sees_all_reports_overdue_first(app, world):
    fresh = report(world, world["citizen"])
    with freeze_time("2026-03-02 09:00:00"):  # long overdue today (sign-in tokens need today)
        late = report(world)
    page = _tree(app.get("/govshare/error-reports", headers=_headers(world["authority"])))
    rows = page.xpath('//tr[contains(@class, "govshare-error-report-row")]')
    assert [r.get("data-report-id") for r in rows] == [late["id"], fresh["id"]]
    assert "table-danger" in rows[0].get("class") and "table-danger" not in rows[1].get("class")


# ------------------------------------------------------------------ evidence files

PDF = b"%PDF-1.4\n% evidence: the 2025 notice of the move\n%%EOF\n"


def _with_evidence_file(app, world, content: bytes = PDF, name: str = "民政局公告.pdf",
                        **form: Any):
    url = f"/dataset/{world['entry']['name']}/error-report"
    data = {"location": "第3行 地址", "description": "地址已变更", **form,
            "evidence": (io.BytesIO(content), name)}
    return app.post(url, data=data, headers=_headers(world["clerk"]),
                    content_type="multipart/form-data")


def test_an_evidence_file_from_the_form_is_kept_and_downloaded_by_the_reporter(app, world):
    page = _with_evidence_file(app, world)
    created = model.Session.query(ErrorReport).one()
    assert created.evidence_filename == "民政局公告.pdf" and created.evidence_size == len(PDF)
    assert "民政局公告.pdf" in page.body
    download = app.get(f"/govshare/error-reports/{created.id}/evidence",
                       headers=_headers(world["clerk"]))
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # a download, in the security audit log like a resource's
    downloaded = model.Session.query(AuditEvent).filter_by(
        event=audit.DOWNLOADED, object_id="govshare.error_report_evidence").all()
    assert [d.actor_name for d in downloaded if d.detail["id"] == created.id] == [
        world["clerk"]["name"]]


def test_an_evidence_file_over_the_api(app, world):
    response = app.post("/api/3/action/govshare_error_report_create", data={
        "package_id": world["entry"]["id"], "location": "标题", "description": "错别字",
        "evidence": (io.BytesIO(b"a,b\n1,2\n"), "rows.csv")},
        headers=_headers(world["citizen"]), content_type="multipart/form-data")
    result = response.json["result"]
    assert result["evidence"] is None
    assert result["evidence_file"]["name"] == "rows.csv"
    assert result["evidence_file"]["size"] == 8
    assert app.get(result["evidence_file"]["url"],
                   headers=_headers(world["citizen"])).data == b"a,b\n1,2\n"


@pytest.mark.parametrize("name, content, words", [
    ("page.html", b"<script>alert(1)</script>", "不接受此类型"),
    ("tool.exe", b"MZ", "不接受此类型"),
    ("big.pdf", b"%PDF" + b"0" * (1024 * 1024), "超过 1 MB"),
    ("empty.pdf", b"", "为空"),
    ("公告" * 100 + ".pdf", b"%PDF", "不超过 200 个字符")])
@pytest.mark.ckan_config("govshare.error_report.evidence_max_mb", "1")
def test_an_evidence_file_of_a_wrong_type_or_size_is_refused_in_chinese(
        app, world, name, content, words):
    evidence_dir = os.path.dirname(error_reports.evidence_path("x"))
    files = set(os.listdir(evidence_dir)) if os.path.isdir(evidence_dir) else set()
    response = app.post("/api/3/action/govshare_error_report_create", data={
        "package_id": world["entry"]["id"], "location": "标题", "description": "错别字",
        "evidence": (io.BytesIO(content), name)},
        headers=_headers(world["clerk"]), content_type="multipart/form-data", status=409)
    assert words in response.json["error"]["evidence"][0]
    assert model.Session.query(ErrorReport).count() == 0
    assert (set(os.listdir(evidence_dir)) if os.path.isdir(evidence_dir) else set()) == files


def test_the_form_refuses_text_and_file_together_and_shows_the_limits(app, world):
    page = app.get(f"/dataset/{world['entry']['name']}/error-report",
                   headers=_headers(world["clerk"]))
    tree = _tree(page)
    assert tree.xpath('//form[@id="govshare-error-report-form"]/@enctype') == [
        "multipart/form-data"]
    assert tree.xpath('//input[@id="field-evidence-file"][@type="file"]')
    assert "10 MB" in page.body
    refused = app.post(f"/dataset/{world['entry']['name']}/error-report", data={
        "location": "标题", "description": "错", "evidence": [(io.BytesIO(PDF), "a.pdf"),
                                                            "公告见附件"]},
        headers=_headers(world["clerk"]), content_type="multipart/form-data", status=400)
    assert "文字或文件" in refused.body
    assert model.Session.query(ErrorReport).count() == 0


@pytest.mark.parametrize("who, allowed", [
    ("clerk", True), ("provider_admin", True), ("provider_editor", True),
    ("provider_member", True), ("authority", True), ("sysadmin", True),
    ("other_admin", False), ("citizen", False), ("grantee", False), ("provider_of_another",
                                                                     False)])
def test_only_the_reporter_the_provider_and_the_authority_download_the_evidence(
        app, world, sysadmin_context, who, allowed):
    if who == "grantee":  # departments are granted conditional entries
        helpers.call_action("package_patch", dict(sysadmin_context), id=world["entry"]["id"],
                            share_type="conditional", share_condition="限履职使用",
                            usage_scope=["work_reference"])
    _with_evidence_file(app, world)
    report_id = model.Session.query(ErrorReport).one().id
    if who == "sysadmin":
        user = {"name": sysadmin_context["user"]}
    elif who == "grantee":  # a department that holds an active grant on the entry
        grantee = make_department(name="grantee-dept")
        user = make_user(grantee, "admin")
        import datetime
        helpers.call_action("govshare_grant_create", as_user(world["provider_admin"]),
                            package_id=world["entry"]["id"], grantee_org=grantee["id"],
                            reason="履职需要", valid_from=datetime.date.today().isoformat(),
                            valid_until=(datetime.date.today()
                                         + datetime.timedelta(days=30)).isoformat())
    elif who == "provider_of_another":  # the admin of a department with entries of its own
        elsewhere = make_department(name="elsewhere-dept")
        create_entry(sysadmin_context, elsewhere)
        user = make_user(elsewhere, "admin")
    else:
        user = world[who]
    response = app.get(f"/govshare/error-reports/{report_id}/evidence", headers=_headers(user),
                       status=200 if allowed else 403)
    assert (PDF in response.data) is allowed


def test_anonymous_users_get_no_evidence(app, world):
    _with_evidence_file(app, world)
    report_id = model.Session.query(ErrorReport).one().id
    response = app.get(f"/govshare/error-reports/{report_id}/evidence", follow_redirects=False)
    assert response.status_code in (302, 303) and PDF not in response.data
