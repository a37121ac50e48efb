"""The department figures (figures.py, govshare_department_figures): a small city whose
requests, grants, reads, error reports, duplicated items and duty changes are made through
the real actions on known days; the expected numbers are counted from what the test made,
the reply times with workdays.py, the overdue updates with timeliness.statuses."""
from __future__ import annotations

import datetime
import statistics
from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories, helpers
from freezegun import freeze_time
from sqlalchemy import text

from conftest import as_user, create_entry, make_department, make_user
from ckanext.govshare import figures, timeliness, workdays, workflow
from ckanext.govshare.model import ErrorReport, Request

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

YEAR = datetime.date.today().year
FAR = f"{YEAR + 1}-06-30"


def day(month: int, dom: int) -> datetime.date:
    return datetime.date(YEAR, month, dom)


def at(when: datetime.date, hour: int = 10) -> Any:
    """Freeze the clock at ``hour`` o'clock in China on that day (02:00 UTC for 10:00)."""
    return freeze_time(utc(when, hour))


def utc(when: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(when.year, when.month, when.day, hour - 8)


def pin_times(filed: dict[tuple[type, str], datetime.datetime]) -> None:
    """The models' column defaults hold the ``utcnow`` of before freezegun started: write the
    frozen filing times into the rows (the grants were made when their request was decided)."""
    for (row_class, row_id), when in filed.items():
        column = "metadata_created" if row_class is model.Package else "created"
        model.Session.query(row_class).filter(row_class.id == row_id).update({column: when})
    model.Session.execute(text("UPDATE govshare_grant g SET created = r.decided "
                               "FROM govshare_request r WHERE r.grant_id = g.id"))
    model.Session.commit()


def call(user, action, **data):
    return helpers.call_action(action, as_user(user), **data)


def items(*names: str) -> list[dict[str, str]]:
    return [{"name": name, "data_type": "C", "length": "50"} for name in names]


FIGURES_DAY = day(5, 4)  # the day the figures are asked for


@pytest.fixture
def city(sysadmin_context, known_calendar, app):
    """Two departments and the authority; what happened to them is listed in ``made``."""
    civil = make_department(name="civil-dept", title="市民政局")
    labour = make_department(name="labour-dept", title="市人社局")
    authority_org = make_department(name="data-authority", title="市大数据局")
    people = {
        "civil_admin": make_user(civil, "admin"), "civil_editor": make_user(civil, "editor"),
        "labour_admin": make_user(labour, "admin"), "clerk": make_user(labour, "member"),
        "authority": make_user(authority_org, "member"), "citizen": make_user(),
    }
    made: dict[str, Any] = {"requests": [], "applications": [], "reports": []}
    filed: dict[tuple[type, str], datetime.datetime] = {}
    with at(day(3, 2)):
        entries = {
            "cond": create_entry(sysadmin_context, civil, title="低保对象名册",
                                 share_type="conditional", share_condition="限业务协同",
                                 usage_scope=["work_reference"], open_type="authorized",
                                 open_condition="实名申请", publish_date=f"{YEAR}-01-05",
                                 resources=[{"url": "http://intra.example/a.csv", "name": "A"}]),
            "base": create_entry(sysadmin_context, civil, title="人口基础信息",
                                 resource_class="base", base_category="population",
                                 resource_code="101001/000901",
                                 update_frequency="irregular", info_items=items("身份证号"),
                                 resources=[{"url": "http://open.example/p.csv", "name": "P"}]),
            "closed": create_entry(sysadmin_context, civil, share_type="none", open_type="closed",
                                   no_share_basis="《保守国家秘密法》", update_frequency="annual",
                                   publish_date=f"{YEAR}-02-01"),
            "draft": create_entry(sysadmin_context, civil, catalog_state="draft",
                                  update_frequency="annual", publish_date=f"{YEAR}-01-20"),
            "labour": create_entry(sysadmin_context, labour, resource_class="theme", themes=["health"],
                                   resource_code="201001/000902", update_frequency="annual",
                                   publish_date=f"{YEAR}-01-10",
                                   info_items=items("身份证 号", "工资")),
        }
        filed.update({(model.Package, e["id"]): utc(day(3, 2)) for e in entries.values()})
        call(people["authority"], "govshare_source_designate", name="身份证号",
             owner_org="civil-dept")
        call(people["authority"], "govshare_duty_change_create", owner_org="civil-dept",
             description="新增养老服务职责", date=day(3, 2).isoformat())

    def request(when: datetime.date) -> dict[str, Any]:
        with at(when):
            made["requests"].append(call(
                people["clerk"], "govshare_request_create", package_id=entries["cond"]["id"],
                usage_scope=["work_reference"], purpose="核验低保对象", basis="《社会救助暂行办法》",
                period_start=when.isoformat(), period_end=FAR, contact="张三 0392-1234567"))
        filed[(Request, made["requests"][-1]["id"])] = utc(when)
        return made["requests"][-1]

    def decide(who: str, action: str, when: datetime.date, **data: Any) -> None:
        with at(when, 15):
            call(people[who], action, **data)

    first = request(day(3, 2))
    decide("civil_admin", "govshare_request_approve", day(3, 4), id=first["id"])
    with at(day(3, 5)):  # the clerk reads the granted data twice
        for _ in range(2):
            call(people["clerk"], "resource_show", id=entries["cond"]["resources"][0]["id"])
    late = request(day(3, 5))  # refused after its deadline
    decide("civil_admin", "govshare_request_refuse", day(3, 27), id=late["id"],
           reason="不符合共享条件")
    withdrawn = request(day(3, 30))
    decide("clerk", "govshare_request_withdraw", day(3, 31), id=withdrawn["id"])
    request(day(4, 1))  # left pending: the deadline job escalates it
    with at(day(4, 30)):
        workflow.remind_and_escalate()
        model.Session.commit()
    with at(day(3, 3)):
        made["applications"].append(call(
            people["citizen"], "govshare_application_create", package_id=entries["cond"]["id"],
            purpose="研究", scenario="高校课题", security_measures="专人管理",
            commitment_accepted=True, period_end=FAR))
        filed[(Request, made["applications"][0]["id"])] = utc(day(3, 3))
    decide("civil_admin", "govshare_application_approve", day(3, 10),
           id=made["applications"][0]["id"])

    def report(when: datetime.date) -> dict[str, Any]:
        with at(when):
            made["reports"].append(call(people["clerk"], "govshare_error_report_create",
                                        package_id=entries["base"]["id"], location="第2行",
                                        description="身份证号位数不对"))
        filed[(ErrorReport, made["reports"][-1]["id"])] = utc(when)
        return made["reports"][-1]

    corrected = report(day(3, 2))
    decide("civil_editor", "govshare_error_report_resolve", day(3, 3), id=corrected["id"],
           outcome="corrected", explanation="已更正")
    slow = report(day(3, 2))
    decide("civil_admin", "govshare_error_report_resolve", day(3, 20), id=slow["id"],
           outcome="not_error", explanation="核对无误")
    report(day(4, 1))  # still open
    pin_times(filed)
    # two downloads of the base entry's file, as the resource page's button does
    for _ in range(2):
        app.get(f"/dataset/{entries['base']['id']}/resource/"
                f"{entries['base']['resources'][0]['id']}/download", follow_redirects=False)
    return {"civil": civil, "labour": labour, "entries": entries, "made": made, **people}


def figures_of(user, **data) -> dict[str, Any]:
    with at(FIGURES_DAY):
        return call(user, "govshare_department_figures", **data)


def department(found: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d["figures"] for d in found["departments"] if d["name"] == name)


def reply_days(requests: list[dict[str, Any]]) -> list[int]:
    """Working days from filing to answer (approved or refused), counted by workdays.py."""
    days = []
    for shown in requests:
        row = model.Session.get(Request, shown["id"])
        if row.state in ("approved", "refused"):
            days.append(workdays.working_days_between(
                _china_day(row.created), _china_day(row.decided)))
    return days


def _china_day(value: datetime.datetime) -> datetime.date:
    return (value + datetime.timedelta(hours=8)).date()


def test_the_catalog_counts(city):
    found = figures_of(city["authority"], year=YEAR)
    civil, labour = department(found, "civil-dept"), department(found, "labour-dept")
    assert civil["entries"] == 4 and labour["entries"] == 1
    assert (civil["share_type_conditional"], civil["share_type_unconditional"],
            civil["share_type_none"]) == (1, 2, 1)
    assert civil["shared_share"] == 0.75 and labour["shared_share"] == 1.0
    assert (civil["open_type_authorized"], civil["open_type_general"],
            civil["open_type_closed"]) == (1, 2, 1)
    assert civil["open_share"] == 0.75
    assert civil["open_entries"] == 2  # the draft is general but not registered
    assert (civil["resource_class_base"], civil["resource_class_department"],
            labour["resource_class_theme"]) == (1, 3, 1)
    assert civil["catalog_state_registered"] == 3 and civil["catalog_state_draft"] == 1
    city_figures = found["city"]
    assert city_figures["entries"] == 5 and city_figures["share_type_unconditional"] == 3
    assert city_figures["shared_share"] == 0.8


def test_the_requests_and_their_reply_times(city):
    found = figures_of(city["authority"], year=YEAR)
    civil = department(found, "civil-dept")
    requests = city["made"]["requests"]
    assert civil["share_requests_received"] == len(requests) == 4
    assert (civil["share_requests_approved"], civil["share_requests_refused"],
            civil["share_requests_withdrawn"], civil["share_requests_pending"]) == (1, 1, 1, 1)
    # answered by their deadline: the first (2 working days); the refusal came after it
    deadlines = {r["id"]: datetime.date.fromisoformat(r["deadline"]) for r in requests}
    assert deadlines[requests[1]["id"]] < day(3, 27)
    assert civil["share_requests_on_time"] == 1 and civil["share_requests_on_time_rate"] == 0.5
    assert civil["share_requests_escalated"] == 1
    days = reply_days(requests)
    assert civil["share_requests_reply_days_median"] == statistics.median(days)
    assert civil["share_requests_reply_days_p90"] == pytest.approx(
        statistics.quantiles(days, n=10, method="inclusive")[8])
    assert civil["open_applications_received"] == civil["open_applications_approved"] == 1
    assert civil["open_applications_reply_days_median"] == reply_days(
        city["made"]["applications"])[0]
    labour = department(found, "labour-dept")
    assert labour["share_requests_received"] == 0
    assert labour["share_requests_reply_days_median"] is None
    assert found["city"]["share_requests_received"] == 4


def test_grants_reads_and_downloads(city):
    found = figures_of(city["authority"], year=YEAR)
    civil, labour = department(found, "civil-dept"), department(found, "labour-dept")
    assert (civil["grants_given"], civil["departments_served"], civil["users_served"]) == (2, 1, 1)
    assert civil["reads_by_others"] == 2 and labour["reads_as_user"] == 2
    assert civil["reads_as_user"] == 0 and labour["reads_by_others"] == 0
    assert (labour["grants_received_as_user"], labour["providers_used_as_user"]) == (1, 1)
    assert civil["downloads"] == 2 and found["city"]["downloads"] == 2


def test_quality_figures(city):
    found = figures_of(city["authority"], year=YEAR)
    civil, labour = department(found, "civil-dept"), department(found, "labour-dept")
    assert (civil["error_reports_received"], civil["error_reports_resolved_in_time"],
            civil["error_reports_confirmed"], civil["error_reports_open"]) == (3, 1, 1, 1)
    # 一数一源: labour lists 身份证号 (spelt 身份证 号), whose source is civil
    assert (labour["duplicated_items"], labour["duplicated_entries"]) == (1, 1)
    assert civil["duplicated_items"] == 0
    assert civil["duty_changes_overdue"] == 1 and labour["duty_changes_overdue"] == 0
    # update timeliness: the same entries as the timeliness module's rule finds overdue
    statuses = timeliness.statuses(today=FIGURES_DAY)
    for org, shown in ((city["civil"], civil), (city["labour"], labour)):
        overdue = [s for s in statuses if s.owner_org == org["id"] and s.overdue]
        assert shown["update_overdue"] == len(overdue)
        assert shown["update_days_overdue"] == sum((FIGURES_DAY - s.due).days for s in overdue)
    # the monthly entry, whose resource was added on 2 March, due again on 2 April
    assert civil["update_overdue"] == 1 and labour["update_overdue"] == 0
    assert civil["update_days_overdue_max"] == (FIGURES_DAY - day(4, 2)).days


def test_the_period_counts_what_happened_in_it(city):
    march = figures_of(city["authority"], date_from=day(3, 1).isoformat(),
                       date_to=day(3, 31).isoformat())
    civil = department(march, "civil-dept")
    assert march["period"] == {"date_from": f"{YEAR}-03-01", "date_to": f"{YEAR}-03-31"}
    assert civil["share_requests_received"] == 3  # the fourth was filed on 1 April
    assert civil["error_reports_received"] == 2
    before = figures_of(city["authority"], date_from=f"{YEAR}-01-01", date_to=f"{YEAR}-02-28")
    assert department(before, "civil-dept")["entries"] == 0  # created in March
    assert department(before, "civil-dept")["share_requests_received"] == 0


def test_a_department_admin_sees_its_own_figures_only(city):
    own = figures_of(city["civil_admin"], owner_org="civil-dept", year=YEAR)
    assert [d["name"] for d in own["departments"]] == ["civil-dept"] and own["city"] is None
    assert own["departments"][0]["figures"]["share_requests_received"] == 4
    for user, data in ((city["civil_admin"], {"owner_org": "labour-dept"}),
                       (city["civil_admin"], {}), (city["clerk"], {"owner_org": "labour-dept"}),
                       (city["civil_editor"], {"owner_org": "civil-dept"}), (None, {})):
        with pytest.raises(tk.NotAuthorized):
            figures_of(user, **data)
    everything = figures_of(city["authority"], owner_org="labour-dept", year=YEAR)
    assert [d["name"] for d in everything["departments"]] == ["labour-dept"]


def test_every_figure_is_named_once(city):
    found = figures_of(city["authority"], year=YEAR)
    named = [f["key"] for f in found["figures"]]
    assert len(named) == len(set(named))
    assert set(named) == set(found["city"]) == set(found["departments"][0]["figures"])


def test_the_public_figures(city):
    """Registered entries (not the draft), departments with one, registered open entries
    (not the closed one), the downloads and the open-data application made above."""
    assert figures.public() == {"entries": 4, "departments": 2, "open_entries": 3,
                                "downloads": 2, "applications": 1}


@pytest.mark.parametrize("data,field", [
    ({"year": "twenty"}, "year"), ({"year": 1800}, "year"),
    ({"year": YEAR, "date_from": f"{YEAR}-01-01"}, "year"),
    ({"date_from": f"{YEAR}-03-01", "date_to": f"{YEAR}-02-01"}, "date_to"),
    ({"date_from": f"{YEAR}-02-30"}, "date_from"),
    ({"owner_org": "no-such-department"}, "owner_org"),
])
def test_bad_input_is_refused_in_chinese_naming_the_field(app, city, data, field):
    token = factories.APIToken(user=city["authority"]["name"])["token"]
    response = app.post("/api/3/action/govshare_department_figures", json=data, status=409,
                        headers={"Authorization": token})
    errors = {k: v for k, v in response.json["error"].items() if k != "__type"}
    assert list(errors) == [field]
    assert any("\u4e00" <= c <= "\u9fff" for c in errors[field][0]), errors


# ------------------------------------------------------------------ the dashboard

def page(app, user, url: str, status: int = 200):
    """The page as the user sees it, today (a frozen clock would make the API token invalid:
    the pages are asked for the year, which holds everything the fixture made)."""
    headers = {"Authorization": factories.APIToken(user=user["name"])["token"]}
    response = app.get(url, headers=headers, status=status)
    return lxml.html.fromstring(response.body) if status == 200 else response


def shown_figure(tree, key: str) -> str:
    return tree.xpath(f'//table[contains(@class, "govshare-figures")]//td[@data-figure="{key}"]'
                      )[0].text_content().strip()


def chart_links(tree, chart: str) -> list[str]:
    return tree.xpath(f'//section[@id="{chart}"]//*[local-name()="a"]/@href')


def test_the_authority_dashboard_shows_the_city_with_charts_linking_to_lists(app, city):
    tree = page(app, city["authority"], f"/govshare/dashboard?year={YEAR}")
    assert shown_figure(tree, "entries") == "5"
    assert shown_figure(tree, "share_requests_received") == "4"
    assert shown_figure(tree, "share_requests_on_time_rate") == "50.0%"
    overdue = [s for s in timeliness.statuses() if s.overdue]
    assert shown_figure(tree, "update_overdue") == str(len(overdue))
    assert set(chart_links(tree, "chart-share-types")) == {
        f"/dataset/?share_type={code}" for code in ("unconditional", "conditional", "none")}
    assert chart_links(tree, "chart-overdue") == [
        f"/govshare/timeliness?owner_org={name}&overdue=true"
        for name in sorted({model.Group.get(s.owner_org).name for s in overdue})]
    assert chart_links(tree, "chart-error-reports") == ["/govshare/error-reports?tab=all"]
    # two reads of the conditional entry, two downloads of the base entry's file
    assert set(chart_links(tree, "chart-top-entries")) == {
        f"/dataset/{city['entries'][e]['name']}" for e in ("cond", "base")}
    ranked = chart_links(tree, "chart-ranking")
    assert ranked[0] == "/govshare/dashboard?owner_org=civil-dept"  # 3 registered entries
    # one column per month of the year so far, March's holding three requests and an application
    months = tree.xpath('//section[@id="chart-months"]//*[local-name()="g"]/*[local-name()="title"]')
    assert len(months) == 12
    assert months[2].text.startswith(f"{YEAR}-03: ") and " 4," in months[2].text


def test_a_department_admin_gets_its_own_dashboard(app, city):
    tree = page(app, city["civil_admin"], f"/govshare/dashboard?year={YEAR}")
    assert "市民政局" in tree.xpath("//h1")[-1].text_content()
    assert shown_figure(tree, "entries") == "4"
    assert not tree.xpath('//section[@id="chart-ranking"]')
    assert set(chart_links(tree, "chart-share-types")) == {
        f"/dataset/?share_type={code}&organization=civil-dept"
        for code in ("unconditional", "conditional", "none")}
    page(app, city["civil_admin"], "/govshare/dashboard?owner_org=labour-dept", status=403)
    page(app, city["clerk"], "/govshare/dashboard", status=403)


def test_a_bad_period_on_the_dashboard_is_shown_on_its_field(app, city):
    tree = page(app, city["authority"], f"/govshare/dashboard?date_from={YEAR}-02-30")
    assert tree.xpath('//input[@id="field-date_from"]/following-sibling::div[@class="text-danger"]')
    assert shown_figure(tree, "entries") == "5"  # this year's figures meanwhile
