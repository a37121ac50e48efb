"""The evaluation scorecard (scorecard.py, 第二十八条): a small city whose failings are made
through the real actions on known days — a returned entry, an entry overdue for update, an
overdue duty change, a refusal taken to coordination, a late answer, an escalated request,
a confirmed error report, a duplicated item, a finding of misuse, a department with no
catalog. The expected counts, scores, ranks and monthly trend are worked out here from what
the test made and the weights it configures."""
from __future__ import annotations

import datetime
from typing import Any

import lxml.html
import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from sqlalchemy import text

from conftest import create_entry, make_department, make_user
from test_figures import YEAR, at, call, day, items, pin_times, utc
from ckanext.govshare import scorecard, timeliness, workflow
from ckanext.govshare.model import ErrorReport, Request, ScorecardPublication

WEIGHTS = ("catalog_not_compiled:7 entries_returned:1.5 duty_changes_overdue:3 update_overdue:2 "
           "refusals_contested:4 requests_answered_late:2 requests_escalated:5 "
           "error_reports_confirmed:1 duplicated_items:6 misuse_findings:9")
pytestmark = [pytest.mark.usefixtures("clean_db", "clean_index"),
              pytest.mark.ckan_config("govshare.scorecard.weights", WEIGHTS)]

WEIGHT = {k: float(v) for k, v in (pair.split(":") for pair in WEIGHTS.split())}
SCORE_DAY = day(5, 4)
FAR = f"{YEAR + 1}-06-30"
NOTHING = dict.fromkeys(scorecard.KEYS, 0)


@pytest.fixture
def city(sysadmin_context, known_calendar, app):
    civil = make_department(name="civil-dept", title="市民政局")
    labour = make_department(name="labour-dept", title="市人社局")
    stats = make_department(name="stats-dept", title="市统计局")  # compiles no catalog
    authority_org = make_department(name="data-authority", title="市大数据局")
    people = {"civil_admin": make_user(civil, "admin"), "civil_editor": make_user(civil, "editor"),
              "labour_admin": make_user(labour, "admin"), "clerk": make_user(labour, "member"),
              "authority": make_user(authority_org, "member"), "citizen": make_user()}
    filed: dict[tuple[type, str], datetime.datetime] = {}
    with at(day(3, 2)):
        entries = {
            "cond": create_entry(sysadmin_context, civil, title="低保对象名册",
                                 share_type="conditional", share_condition="限业务协同",
                                 usage_scope=["work_reference"], open_type="authorized",
                                 open_condition="实名申请", update_frequency="irregular",
                                 resources=[{"url": "http://intra.example/a.csv", "name": "A"}]),
            "base": create_entry(sysadmin_context, civil, title="人口基础信息",
                                 update_frequency="irregular", info_items=items("身份证号"),
                                 resources=[{"url": "http://open.example/p.csv", "name": "P"}]),
            # monthly, never updated since its publication in January: overdue
            "monthly": create_entry(sysadmin_context, civil, title="月度救助统计",
                                    update_frequency="monthly", publish_date=f"{YEAR}-01-05"),
            # returned by the authority, not resubmitted (never falls due: not registered)
            "returned": create_entry(sysadmin_context, civil, title="退回的目录",
                                     catalog_state="returned", update_frequency="monthly"),
            "labour": create_entry(sysadmin_context, labour, title="参保人员信息",
                                   update_frequency="irregular", info_items=items("身份证 号")),
        }
        filed.update({(model.Package, e["id"]): utc(day(3, 2)) for e in entries.values()})
        call(people["authority"], "govshare_source_designate", name="身份证号",
             owner_org="civil-dept")
        duty = call(people["authority"], "govshare_duty_change_create", owner_org="civil-dept",
                    description="新增养老服务职责", date=day(3, 2).isoformat())

    def request(when: datetime.date) -> dict[str, Any]:
        with at(when):
            made = call(people["clerk"], "govshare_request_create",
                        package_id=entries["cond"]["id"], usage_scope=["work_reference"],
                        purpose="核验低保对象", basis="《社会救助暂行办法》",
                        period_start=when.isoformat(), period_end=FAR, contact="张三 0392-1234567")
        filed[(Request, made["id"])] = utc(when)
        return made

    def decide(who: str, action: str, when: datetime.date, **data: Any) -> Any:
        with at(when, 15):
            return call(people[who], action, **data)

    granted = request(day(3, 2))
    decide("civil_admin", "govshare_request_approve", day(3, 4), id=granted["id"])
    late = request(day(3, 5))  # refused after its deadline
    decide("civil_admin", "govshare_request_refuse", day(3, 27), id=late["id"], reason="不符合条件")
    contested = request(day(3, 9))  # refused in time, taken to coordination by the authority
    decide("civil_admin", "govshare_request_refuse", day(3, 10), id=contested["id"],
           reason="数据敏感")
    decide("authority", "govshare_case_create", day(3, 11), package_id=entries["cond"]["id"],
           request_id=contested["id"], description="拒绝理由不充分")
    ignored = request(day(4, 1))  # never answered: escalated by the deadline job
    with at(day(4, 30)):
        workflow.remind_and_escalate()
        model.Session.commit()

    def report(when: datetime.date) -> dict[str, Any]:
        with at(when):
            made = call(people["clerk"], "govshare_error_report_create",
                        package_id=entries["base"]["id"], location="第2行",
                        description="身份证号位数不对")
        filed[(ErrorReport, made["id"])] = utc(when)
        return made

    confirmed = report(day(3, 2))
    decide("civil_editor", "govshare_error_report_resolve", day(3, 3), id=confirmed["id"],
           outcome="corrected", explanation="已更正")
    doubted = report(day(4, 6))
    decide("civil_admin", "govshare_error_report_resolve", day(4, 7), id=doubted["id"],
           outcome="not_error", explanation="核对无误")
    misuse = decide("authority", "govshare_misuse_record", day(4, 15),
                    request_id=granted["id"], found_on=day(4, 15).isoformat(),
                    description="将低保数据用于招商宣传，超出核验用途")
    pin_times(filed)
    return {"civil": civil, "labour": labour, "stats": stats, "entries": entries, "duty": duty,
            "requests": {"granted": granted, "late": late, "contested": contested,
                         "ignored": ignored},
            "reports": {"confirmed": confirmed, "doubted": doubted}, "misuse": misuse, **people}


EXPECTED = {
    "civil-dept": {**NOTHING, "entries_returned": 1, "duty_changes_overdue": 1,
                   "update_overdue": 1, "refusals_contested": 1, "requests_answered_late": 1,
                   "requests_escalated": 1, "error_reports_confirmed": 1},
    "labour-dept": {**NOTHING, "duplicated_items": 1, "misuse_findings": 1},
    "stats-dept": {**NOTHING, "catalog_not_compiled": 1},
}


def penalty(counts: dict[str, int]) -> float:
    return sum(WEIGHT[k] * n for k, n in counts.items())


def card_of(user, **data) -> dict[str, Any]:
    with at(SCORE_DAY):
        return call(user, "govshare_scorecard", **data)


def row(card: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in card["departments"] if d["name"] == name)


def test_the_failings_scores_and_ranking(city):
    card = card_of(city["authority"], year=YEAR)
    # every department but the data authority itself
    assert {d["name"] for d in card["departments"]} == set(EXPECTED)
    for name, expected in EXPECTED.items():
        shown = row(card, name)
        assert shown["failings"] == expected, name
        assert shown["penalty"] == penalty(expected)
        assert shown["score"] == 100 - penalty(expected)
    # 18.5, 15 and 7 weighted failings: fewest first
    assert [(d["name"], d["rank"]) for d in card["departments"]] == [
        ("stats-dept", 1), ("labour-dept", 2), ("civil-dept", 3)]
    # the overdue entries are those the timeliness rule finds
    overdue = [s for s in timeliness.statuses(today=SCORE_DAY)
               if s.owner_org == city["civil"]["id"] and s.overdue]
    assert [s.package_id for s in overdue] == [city["entries"]["monthly"]["id"]]
    assert {f["key"]: f["weight"] for f in card["failings"]} == WEIGHT
    assert card["live"] is True and card["published"] is None


def test_each_count_comes_with_its_evidence(city):
    card = card_of(city["authority"], year=YEAR, owner_org="civil-dept")
    civil = card["department"]
    proof = {key: [(r["kind"], r["id"]) for r in rows] for key, rows in civil["evidence"].items()}
    requests, entries = city["requests"], city["entries"]
    assert proof == {
        "entries_returned": [("entry", entries["returned"]["id"])],
        "update_overdue": [("entry", entries["monthly"]["id"])],
        "duty_changes_overdue": [("duty_change", str(city["duty"]["id"]))],
        "refusals_contested": [("request", requests["contested"]["id"])],
        "requests_answered_late": [("request", requests["late"]["id"])],
        "requests_escalated": [("request", requests["ignored"]["id"])],
        "error_reports_confirmed": [("error_report", city["reports"]["confirmed"]["id"])],
    }
    for key, count in civil["failings"].items():
        assert len(civil["evidence"].get(key, [])) == count, key
    labour = card_of(city["authority"], year=YEAR, owner_org="labour-dept")["department"]
    assert [r["label"] for r in labour["evidence"]["duplicated_items"]] == ["身份证号"]
    finding = labour["evidence"]["misuse_findings"][0]
    assert (finding["id"], finding["name"]) == (city["misuse"]["id"], requests["granted"]["id"])


def test_the_trend_scores_each_month_by_what_happened_in_it(city):
    card = card_of(city["authority"], year=YEAR)
    months = [m["month"] for m in card["trend"]]
    assert months == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    civil, labour = city["civil"]["id"], city["labour"]["id"]
    by_month = {m["month"]: m["scores"] for m in card["trend"]}
    # March: the late answer, the contested refusal, the confirmed report; April: the
    # escalated request (filed on 1 April) and the finding against labour
    march = WEIGHT["requests_answered_late"] + WEIGHT["refusals_contested"] + WEIGHT[
        "error_reports_confirmed"]
    assert by_month[f"{YEAR}-03"][civil] == 100 - march
    assert by_month[f"{YEAR}-04"][civil] == 100 - WEIGHT["requests_escalated"]
    assert by_month[f"{YEAR}-04"][labour] == 100 - WEIGHT["misuse_findings"]
    assert all(by_month[m][civil] == 100 for m in by_month if m not in (f"{YEAR}-03", f"{YEAR}-04"))
    # the catalog failings (a state as of today) are not in the trend
    assert all(s[city["stats"]["id"]] == 100 for s in by_month.values())
    one = card_of(city["authority"], year=YEAR, owner_org="civil-dept")["department"]["trend"]
    assert [m["score"] for m in one] == [by_month[m][civil] for m in months]


def test_departments_see_the_published_scorecard_only_their_own_row(city):
    with pytest.raises(tk.ObjectNotFound):  # nothing published yet
        card_of(city["civil_admin"])
    with at(SCORE_DAY):
        call(city["authority"], "govshare_scorecard_annotate", year=YEAR,
             owner_org="civil-dept", note="请尽快更新逾期目录")
        call(city["authority"], "govshare_scorecard_publish", year=YEAR)
    seen = card_of(city["civil_admin"])
    assert seen["live"] is False and seen["period"]["date_from"] == f"{YEAR}-01-01"
    assert [(d["name"], d["rank"], d["score"]) for d in seen["departments"]] == [
        (n, r, 100 - penalty(EXPECTED[n]))
        for n, r in (("stats-dept", 1), ("labour-dept", 2), ("civil-dept", 3))]
    assert all(set(d) == {"id", "name", "title", "score", "rank"} for d in seen["departments"])
    own = seen["department"]
    assert own["name"] == "civil-dept" and own["failings"] == EXPECTED["civil-dept"]
    assert own["note"] == "请尽快更新逾期目录"
    assert card_of(city["labour_admin"])["department"]["note"] is None
    # the published numbers stay as published until published again
    with at(SCORE_DAY):
        call(city["authority"], "govshare_misuse_record", request_id=city["requests"]["granted"]["id"],
             description="再次超范围使用", found_on=SCORE_DAY.isoformat())
    assert card_of(city["labour_admin"])["department"]["failings"]["misuse_findings"] == 1
    assert row(card_of(city["authority"], year=YEAR), "labour-dept")["failings"][
        "misuse_findings"] == 2
    with at(SCORE_DAY):
        call(city["authority"], "govshare_scorecard_publish", year=YEAR)
    assert card_of(city["labour_admin"])["department"]["failings"]["misuse_findings"] == 2
    assert model.Session.query(ScorecardPublication).count() == 1  # one per period
    assert card_of(city["authority"], year=YEAR)["published"]["date_to"] == f"{YEAR}-12-31"
    # a period nobody published
    with pytest.raises(tk.ObjectNotFound):
        card_of(city["civil_admin"], date_from=f"{YEAR}-03-01", date_to=f"{YEAR}-03-31")


def test_who_may_do_what(city):
    with at(SCORE_DAY):
        call(city["authority"], "govshare_scorecard_publish", year=YEAR)
    card_of(city["civil_admin"], owner_org="civil-dept")
    refused = [
        (city["civil_admin"], "govshare_scorecard", {"owner_org": "labour-dept"}),
        (city["civil_editor"], "govshare_scorecard", {}),
        (city["clerk"], "govshare_scorecard", {}),
        (city["citizen"], "govshare_scorecard", {}),
        (None, "govshare_scorecard", {}),
    ] + [(who, action, data) for who in ("civil_admin", "citizen", None) for action, data in (
        ("govshare_scorecard_publish", {"year": YEAR}),
        ("govshare_scorecard_annotate", {"year": YEAR, "owner_org": "civil-dept", "note": "x"}),
        ("govshare_misuse_record", {"request_id": city["requests"]["granted"]["id"],
                                    "description": "x"}))]
    for who, action, data in refused:
        user = city[who] if isinstance(who, str) else who
        with at(SCORE_DAY), pytest.raises(tk.NotAuthorized):
            call(user, action, **data)


def test_recording_a_finding_is_audited(city):
    rows = model.Session.execute(text(
        "SELECT a.action, a.user_id, a.detail ->> 'owner_org' FROM govshare_audit a "
        "WHERE a.object_type = 'misuse' AND a.object_id = :id"), {"id": city["misuse"]["id"]})
    assert rows.all() == [("record", city["authority"]["id"], city["labour"]["id"])]
    events = model.Session.execute(text(
        "SELECT count(*) FROM govshare_audit_log WHERE event = 'misuse.record' "
        "AND object_id = :id"), {"id": city["misuse"]["id"]}).scalar()
    assert events == 1


def api_errors(app, user, action: str, data: dict[str, Any]) -> dict[str, Any]:
    token = factories.APIToken(user=user["name"])["token"]
    response = app.post(f"/api/3/action/{action}", json=data, status=409,
                        headers={"Authorization": token})
    return {k: v for k, v in response.json["error"].items() if k != "__type"}


@pytest.mark.parametrize("action,data,field", [
    ("govshare_scorecard", {"year": "twenty"}, "year"),
    ("govshare_scorecard", {"date_from": f"{YEAR}-03-01", "date_to": f"{YEAR}-02-01"}, "date_to"),
    ("govshare_scorecard", {"owner_org": "no-such-department"}, "owner_org"),
    ("govshare_scorecard", {"owner_org": "data-authority"}, "owner_org"),
    ("govshare_scorecard_publish", {"year": YEAR, "date_to": f"{YEAR}-02-01"}, "year"),
    ("govshare_scorecard_annotate", {"year": YEAR, "note": "x"}, "owner_org"),
    ("govshare_scorecard_annotate", {"year": YEAR, "owner_org": "data-authority", "note": "x"},
     "owner_org"),
    ("govshare_scorecard_annotate", {"year": YEAR, "owner_org": "civil-dept"}, "note"),
    ("govshare_misuse_record", {"description": "x"}, "grant_id"),
    ("govshare_misuse_record", {"request_id": "late", "description": "x"}, "request_id"),
    ("govshare_misuse_record", {"request_id": "no-such-request", "description": "x"}, "request_id"),
    ("govshare_misuse_record", {"grant_id": "no-such-grant", "description": "x"}, "grant_id"),
    ("govshare_misuse_record", {"request_id": "granted", "description": ""}, "description"),
    ("govshare_misuse_record", {"request_id": "granted", "description": "x",
                                "found_on": f"{YEAR + 2}-01-01"}, "found_on"),
])
def test_bad_input_is_refused_in_chinese_naming_the_field(app, city, action, data, field):
    data = {k: city["requests"][v]["id"] if k == "request_id" and v in city["requests"] else v
            for k, v in data.items()}
    errors = api_errors(app, city["authority"], action, data)
    assert list(errors) == [field]
    assert any("\u4e00" <= c <= "\u9fff" for c in errors[field][0]), errors


# ------------------------------------------------------------------ the page

def page(app, user, url: str, status: int = 200, **kwargs: Any):
    headers = {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}
    response = app.get(url, headers=headers, status=status, **kwargs)
    return lxml.html.fromstring(response.body) if status == 200 else response


def ranking(tree) -> list[tuple[str, str, str]]:
    return [(tr.get("data-department"), tr.xpath("td[@data-rank]")[0].text_content().strip(),
             tr.xpath("td[@data-score]")[0].text_content().strip())
            for tr in tree.xpath('//table[@id="scorecard-ranking"]/tbody/tr')]


def test_the_authority_page_ranks_links_and_publishes(app, city):
    tree = page(app, city["authority"], f"/govshare/scorecard?year={YEAR}")
    assert ranking(tree) == [("stats-dept", "1", "93"), ("labour-dept", "2", "85"),
                             ("civil-dept", "3", "81.5")]
    civil = tree.xpath('//tr[@data-department="civil-dept"]')[0]
    assert civil.xpath('td[@data-failing="requests_escalated"]')[0].text_content() == "1"
    assert tree.xpath('//table[@id="scorecard-trend"]//th')[1].text_content() == f"{YEAR}-01"
    assert "评估" in tree.xpath("//h1")[-1].text_content()
    detail = page(app, city["authority"], f"/govshare/scorecard?year={YEAR}&owner_org=civil-dept")
    links = detail.xpath('//section[@id="scorecard-department"]//li/a/@href')
    requests = city["requests"]
    assert f"/govshare/requests/{requests['late']['id']}" in links
    assert f"/dataset/{city['entries']['monthly']['name']}" in links
    assert f"/govshare/error-reports/{city['reports']['confirmed']['id']}" in links
    token = {"Authorization": factories.APIToken(user=city["authority"]["name"])["token"]}
    app.post("/govshare/scorecard/annotate", headers=token, data={
        "date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31", "owner_org": "civil-dept",
        "note": "目录更新不及时"}, status=302, follow_redirects=False)
    refused = app.post("/govshare/scorecard/misuse", headers=token, data={
        "date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31", "description": "x"}, status=400)
    assert lxml.html.fromstring(refused.body).xpath('//div[@data-error="grant_id"]')
    app.post("/govshare/scorecard/publish", headers=token, data={
        "date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"}, status=302,
        follow_redirects=False)
    seen = page(app, city["civil_admin"], "/govshare/scorecard")
    assert ranking(seen) == ranking(tree)
    assert not seen.xpath('//td[@data-failing]')  # others' failings are not shown
    assert seen.xpath('//div[@id="scorecard-note"]')[0].text_content().strip().endswith(
        "目录更新不及时")
    assert seen.xpath('//section[@id="scorecard-department"]/@data-department') == ["civil-dept"]
    assert not seen.xpath('//form[@id="scorecard-annotate"]')


def test_the_page_for_others(app, city):
    assert page(app, city["civil_admin"], "/govshare/scorecard").xpath('//p[@id="scorecard-none"]')
    page(app, city["citizen"], "/govshare/scorecard", status=403)
    page(app, city["clerk"], "/govshare/scorecard", status=403)
    page(app, city["civil_admin"], "/govshare/scorecard?owner_org=labour-dept", status=403)
    assert "/user/login" in page(app, None, "/govshare/scorecard", status=302,
                                 follow_redirects=False).headers["Location"]
    token = {"Authorization": factories.APIToken(user=city["civil_admin"]["name"])["token"]}
    app.post("/govshare/scorecard/publish", headers=token, data={"year": str(YEAR)}, status=403)


def test_the_weights_come_from_the_config(monkeypatch):
    monkeypatch.setitem(tk.config, "govshare.scorecard.weights",
                        ["misuse_findings:20", "no_such_failing:3", "update_overdue:lots"])
    found = scorecard.weights()
    assert found["misuse_findings"] == 20
    assert found["update_overdue"] == dict((k, w) for k, _, w in scorecard.FAILINGS)[
        "update_overdue"]
    assert set(found) == set(scorecard.KEYS)
