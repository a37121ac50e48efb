"""The working-day calendar: a deadline is never computed on a year the platform does not
know; the data authority enters a year's official arrangement (API, CLI, page), which
overrides the library; the authority is warned before an unknown year begins; grants and
deadlines are dates in China whatever the server's time zone.

2027 is unknown to the holidays package pinned here, and no test enters it unless it says
so: the arrangements entered below are made up for the tests, not the official ones."""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from ckan import model
from ckan.cli.cli import ckan as ckan_cli
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from freezegun import freeze_time

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import workdays
from ckanext.govshare.model import Audit, CalendarYear, Grant, Notification, Request

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
UTC = datetime.timezone.utc
D = datetime.date
TEST_NOTE = "TEST ONLY: made-up arrangement"


@pytest.fixture
def world(sysadmin_context):
    provider = make_department(name="provider-dept")
    requester = make_department(name="requester-dept")
    authority = make_department(name="data-authority")
    entry = create_entry(
        sysadmin_context, provider, share_type="conditional", share_condition="限业务协同",
        usage_scope=["work_reference"], open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "A"}])
    return {"entry": entry, "provider": provider, "requester": requester,
            "provider_admin": make_user(provider, "admin"),
            "applicant": make_user(requester, "member"),
            "authority": make_user(authority, "member")}


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


def enter(user, year, holidays=(), workdays_=(), note=TEST_NOTE):
    return call(user, "govshare_calendar_update", year=year, holidays=list(holidays),
                workdays=list(workdays_), note=note)


def share_request(world):
    return call(world["applicant"], "govshare_request_create", package_id=world["entry"]["id"],
                usage_scope=["work_reference"], purpose="核验", basis="依据", contact="张三",
                period_start="2026-12-18", period_end="2027-12-31")


# ------------------------------------------------------------------ unknown years

def test_a_request_filed_2026_12_18_waits_for_the_arrangement_of_2027(world):
    assert not workdays.is_known(2027)
    with freeze_time("2026-12-18 02:00:00"):  # 10:00 in China
        with pytest.raises(tk.ValidationError) as refused:
            share_request(world)
    assert "2027" in refused.value.error_dict["package_id"][0]
    assert model.Session.query(Request).count() == 0

    entered = enter(world["authority"], 2027, holidays=["2027-01-01"])
    assert entered["known"] is True and entered["source"] == "stored"
    with freeze_time("2026-12-18 02:00:00"):
        request = share_request(world)
    # 21-25 and 28-31 December are nine working days; 1 January is off: the tenth is 4 January.
    assert request["deadline"] == "2027-01-04"


def test_the_deadline_job_reminds_and_escalates_up_to_an_unknown_year(world):
    with freeze_time("2026-12-16 02:00:00"):
        share = share_request(world)
    assert share["deadline"] == "2026-12-30"
    with freeze_time("2026-12-29 02:00:00"):  # counting 2 working days ahead reaches 2027
        assert helpers.call_action("govshare_remind_and_escalate") == {"reminded": 1, "escalated": 0}
    with freeze_time("2026-12-31 02:00:00"):
        assert helpers.call_action("govshare_remind_and_escalate") == {"reminded": 0, "escalated": 1}
    assert model.Session.get(Request, share["id"]).escalated is True


def test_a_page_shows_unknown_instead_of_failing(app, world):
    with freeze_time("2026-12-01 02:00:00"):
        share_request(world)
    # A deadline beyond an unknown year (possible only through data entered by other means).
    model.Session.query(Request).update({Request.deadline: D(2099, 1, 5)})
    model.Session.commit()
    page = app.get("/govshare/requests?tab=all", headers=headers(world["applicant"]))
    assert "剩余工作日：未知" in page.body


# ------------------------------------------------------------------ the stored arrangement

def test_the_stored_arrangement_overrides_the_library(world):
    library = call(world["applicant"], "govshare_calendar_show", year=2026)
    assert library["known"] is True and library["source"] == "library"
    assert {"date": "2026-02-14", "source": "library", "name": None} in library["workdays"]
    assert workdays.is_working_day(D(2026, 2, 14)) and not workdays.is_working_day(D(2026, 2, 16))

    enter(world["authority"], 2026, holidays=["2026-02-17"], workdays_=[])
    shown = call(world["applicant"], "govshare_calendar_show", year=2026)
    assert shown["source"] == "stored" and shown["note"] == TEST_NOTE
    assert shown["holidays"] == [{"date": "2026-02-17", "source": "stored", "name": None}]
    assert shown["workdays"] == []
    assert workdays.is_working_day(D(2026, 2, 16))        # the library's day off, not stored
    assert not workdays.is_working_day(D(2026, 2, 14))    # the library's makeup Saturday
    assert not workdays.is_working_day(D(2026, 2, 17))

    enter(world["authority"], 2026, holidays=["2026-02-18"], workdays_=["2026-02-14"])
    assert workdays.is_working_day(D(2026, 2, 17)) and workdays.is_working_day(D(2026, 2, 14))


def test_the_library_estimate_of_a_year_is_not_an_arrangement(world):
    """holidays computes 2027 by rule (e.g. 9 February "observed"); without the State
    Council's substituted days it is not the official arrangement, so 2027 stays unknown."""
    assert 2026 in workdays.library_years() and 2027 not in workdays.library_years()
    shown = call(world["applicant"], "govshare_calendar_show", year=2027)
    assert shown == {"year": 2027, "known": False, "source": None, "holidays": [],
                     "workdays": [], "note": None, "updated": None, "updated_by": None}
    with pytest.raises(workdays.UnknownYear):
        workdays.is_working_day(D(2027, 2, 9))


@pytest.mark.parametrize("who", [None, "applicant", "provider_admin"])
def test_only_the_data_authority_enters_a_year(world, who):
    with pytest.raises(tk.NotAuthorized):
        enter(world[who] if who else None, 2027, holidays=["2027-01-01"])
    assert model.Session.query(CalendarYear).count() == 0
    assert not workdays.is_known(2027)


def test_every_logged_in_user_reads_the_calendar_but_not_anonymous(world):
    assert call(world["applicant"], "govshare_calendar_show", year=2027)["known"] is False
    with pytest.raises(tk.NotAuthorized):
        call(None, "govshare_calendar_show", year=2027)


@pytest.mark.parametrize("data, field", [
    ({"holidays": ["tomorrow"]}, "holidays"),
    ({"holidays": ["2027-02-30"]}, "holidays"),
    ({"holidays": "2027-01-01, 2027-13-01"}, "holidays"),
    ({"workdays": [5, 6]}, "workdays"),
    ({"workdays": {"day": "2027-02-06"}}, "workdays"),
    ({"year": 1999}, "year"),
    ({"year": 2101}, "year"),
    ({"year": "twenty"}, "year"),
    ({"year": True}, "year"),
    ({"holidays": ["2027-02-06"], "workdays": ["2027-02-06"]}, "workdays"),  # both
    ({"holidays": ["2026-12-31"]}, "holidays"),                              # another year
    ({"workdays": ["2027-02-08"]}, "workdays"),                              # a Monday
    ({"note": ""}, "note"),
    ({"note": ["source"]}, "note"),
])
def test_bad_input_names_the_field_and_saves_nothing(world, data, field):
    sent = {"year": 2027, "holidays": ["2027-01-01"], "workdays": [], "note": TEST_NOTE, **data}
    with pytest.raises(tk.ValidationError) as refused:
        call(world["authority"], "govshare_calendar_update", **sent)
    assert field in refused.value.error_dict
    assert model.Session.query(CalendarYear).count() == 0
    assert model.Session.query(Audit).filter(Audit.object_type == "calendar").count() == 0


def test_entering_a_year_is_audited(world):
    enter(world["authority"], 2027, holidays=["2027-01-01"], note="第一次")
    enter(world["authority"], 2027, holidays=["2027-01-01", "2027-02-08"],
          workdays_=["2027-02-20"], note="更正")
    rows = (model.Session.query(Audit).filter(Audit.object_type == "calendar")
            .order_by(Audit.id).all())
    assert [(r.object_id, r.action, r.from_state, r.to_state) for r in rows] == [
        ("2027", "update", "unknown", "stored"), ("2027", "update", "stored", "stored")]
    assert rows[1].user_id == world["authority"]["id"]
    assert rows[1].detail == {"note": "更正", "holidays": ["2027-01-01", "2027-02-08"],
                              "workdays": ["2027-02-20"], "previous_holidays": ["2027-01-01"],
                              "previous_workdays": []}


def test_defer_commit_leaves_the_transaction_to_the_caller(world):
    context = {**as_user(world["authority"]), "defer_commit": True}
    helpers.call_action("govshare_calendar_update", context, year=2027,
                        holidays=["2027-01-01"], workdays=[], note=TEST_NOTE)
    model.Session.rollback()
    assert not workdays.is_known(2027)


# ------------------------------------------------------------------ CLI

def test_cli_sets_and_shows_a_year(cli, world, tmp_path):
    result = cli.invoke(ckan_cli, ["govshare", "calendar", "show", "2027"])
    assert result.exit_code == 0, result.output
    assert "UNKNOWN" in result.output

    result = cli.invoke(ckan_cli, ["govshare", "calendar", "set", "2027",
                                   "--holidays", "2027-01-01,2027-02-08", "--workdays",
                                   "2027-02-20", "--note", TEST_NOTE])
    assert result.exit_code == 0, result.output
    assert workdays.is_known(2027) and workdays.is_working_day(D(2027, 2, 20))
    assert model.Session.query(Audit).filter(Audit.object_type == "calendar").count() == 1

    arrangement = tmp_path / "2027.json"
    arrangement.write_text(json.dumps({"holidays": ["2027-01-01"], "workdays": [],
                                       "note": TEST_NOTE}), encoding="utf-8")
    result = cli.invoke(ckan_cli, ["govshare", "calendar", "set", "2027", "--file",
                                   str(arrangement)])
    assert result.exit_code == 0, result.output
    result = cli.invoke(ckan_cli, ["govshare", "calendar", "show", "2027"])
    assert "stored" in result.output and "2027-01-01(stored)" in result.output
    assert "2027-02-08" not in result.output


def test_cli_names_the_bad_field(cli, world):
    result = cli.invoke(ckan_cli, ["govshare", "calendar", "set", "2027", "--holidays",
                                   "2027-02-30", "--note", TEST_NOTE])
    assert result.exit_code != 0
    assert "holidays" in result.output and "2027-02-30" in result.output
    assert not workdays.is_known(2027)


# ------------------------------------------------------------------ the page

def headers(user):
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def test_the_authority_enters_a_year_on_the_page(app, world):
    page = app.get("/govshare/calendar/2027", headers=headers(world["authority"]))
    assert "govshare-calendar-form" in page.body and "未知" in page.body

    bad = app.post("/govshare/calendar/2027", headers=headers(world["authority"]), status=400,
                   data={"holidays": "2027-01-01\n2027-02-30", "workdays": "", "note": TEST_NOTE})
    error = lxml.html.fromstring(bad.body).xpath(
        '//*[@id="field-holidays"]/ancestor::*[contains(@class, "form-group")][1]'
        '//*[contains(@class, "error-block")]')
    assert error and "不是日期" in error[0].text_content() and "2027-02-30" in error[0].text_content()
    assert not workdays.is_known(2027)

    app.post("/govshare/calendar/2027", headers=headers(world["authority"]),
             data={"holidays": "2027-01-01\n2027-02-08", "workdays": "2027-02-20",
                   "note": TEST_NOTE})
    assert workdays.is_known(2027)
    page = app.get("/govshare/calendar/2027", headers=headers(world["authority"]))
    days = lxml.html.fromstring(page.body).xpath('//table[contains(@class, "govshare-calendar-holidays")]//td[1]')
    assert [d.text_content() for d in days] == ["2027-01-01", "2027-02-08"]
    assert "由共享主管部门录入" in page.body


def test_a_department_user_reads_the_calendar_but_cannot_edit(app, world):
    page = app.get("/govshare/calendar/2026", headers=headers(world["applicant"]))
    assert "2026-02-14" in page.body and "govshare-calendar-form" not in page.body
    app.post("/govshare/calendar/2026", headers=headers(world["applicant"]), status=403,
             data={"holidays": "2026-01-01", "note": TEST_NOTE})
    assert workdays.arrangement(2026).source == "library"
    app.get("/govshare/calendar/1999", headers=headers(world["applicant"]), status=404)
    anonymous = app.get("/govshare/calendar", follow_redirects=False)
    assert anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]


# ------------------------------------------------------------------ the warning

def test_the_authority_is_warned_once_before_an_unknown_year(world):
    def warnings():
        return model.Session.query(Notification).filter(
            Notification.user_id == world["authority"]["id"],
            Notification.link == "/govshare/calendar/2027").count()

    from ckanext.govshare import workflow

    workflow.remind_and_escalate(today=D(2026, 10, 31))   # 62 days before
    assert warnings() == 0
    workflow.remind_and_escalate(today=D(2026, 11, 2))    # 60 days before
    workflow.remind_and_escalate(today=D(2026, 11, 3))
    assert warnings() == 1
    assert model.Session.query(Notification).filter(
        Notification.user_id == world["applicant"]["id"]).count() == 0

    assert workdays.unknown_years_ahead(D(2026, 12, 1)) == [2027]
    enter(world["authority"], 2027, holidays=["2027-01-01"])
    assert workdays.unknown_years_ahead(D(2026, 12, 1)) == []
    workflow.remind_and_escalate(today=D(2026, 12, 1))
    assert warnings() == 1


@pytest.mark.ckan_config("govshare.calendar.warn_days_before", "36500")  # whatever today is
def test_the_authority_sees_the_warning_on_its_dashboard_and_the_calendar(app, world):
    dashboard = app.get("/govshare/requests", headers=headers(world["authority"]))
    assert "govshare-calendar-warning" in dashboard.body and "放假安排尚未录入" in dashboard.body
    applicant = app.get("/govshare/requests", headers=headers(world["applicant"]))
    assert "govshare-calendar-warning" not in applicant.body
    calendar = app.get("/govshare/calendar", headers=headers(world["applicant"]))
    assert "govshare-calendar-warning" in calendar.body


# ------------------------------------------------------------------ start-up

def test_a_bad_config_date_stops_ckan_at_start_up(tmp_path):
    config = Path(tk.config["__file__"])
    ini = tmp_path / "bad.ini"
    ini.write_text(f"[app:main]\nuse = config:{config}\n"
                   "govshare.calendar.extra_holidays = 2027-01-01 2027-02-30\n")
    ckan = Path(sys.executable).with_name("ckan")
    result = subprocess.run([str(ckan), "-c", str(ini), "govshare", "calendar", "show", "2026"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "govshare.calendar.extra_holidays" in result.stdout + result.stderr
    assert "2027-02-30" in result.stdout + result.stderr


# ------------------------------------------------------------------ time zone

def test_today_is_the_date_in_china():
    assert workdays.today(datetime.datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == D(2026, 12, 1)
    assert workdays.today(datetime.datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == D(2026, 12, 2)


@pytest.mark.parametrize("frozen, offset", [
    ("2026-12-01 17:00:00", 0),   # UTC's date is still 1 December; in China it is the 2nd
    ("2026-12-02 12:00:00", 14),  # a server at UTC+14: its date is already the 3rd
])
def test_a_grant_ends_at_the_end_of_its_day_in_china(world, frozen, offset):
    def grant(until):
        row = Grant(package_id=world["entry"]["id"], grantee_org_id=world["requester"]["id"],
                    valid_from=D(2026, 11, 1), valid_until=until, reason="test",
                    granted_by=world["authority"]["id"])
        model.Session.add(row)
        return row
    ends_today, ended = grant(D(2026, 12, 2)), grant(D(2026, 12, 1))
    starts_today = grant(D(2026, 12, 31))
    starts_today.valid_from = D(2026, 12, 2)
    model.Session.commit()
    with freeze_time(frozen, tz_offset=offset):
        assert datetime.date.today() != D(2026, 12, 2)
        assert ends_today.is_active() and starts_today.is_active() and not ended.is_active()
        active = {g.id for g in model.Session.query(Grant).filter(Grant.active_clause())}
        assert active == {ends_today.id, starts_today.id}
        request = Request(deadline=D(2026, 12, 1), state="pending")
        assert request.is_overdue()
