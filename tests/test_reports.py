"""The annual report (reports.py, report_xlsx.py, report_pdf.py, views/reports.py): a small city
whose entries and share requests are made through the real actions; the expected figures are
counted from what the test made. The PDF is rendered page by page with pdftoppm and read
back with pdftotext (so its Chinese is real text in embedded fonts, not boxes); the cover and
a department page are kept in test-artifacts/reports/ to look at."""
from __future__ import annotations

import datetime
import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest
from ckan import model
from ckan.tests import factories, helpers
from click.testing import CliRunner
from freezegun import freeze_time

from conftest import ROOT, as_user, create_entry, make_department, make_user
from ckanext.govshare import reports
from ckanext.govshare.model import AnnualReport, Notification, OutboxMail

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

YEAR = datetime.date.today().year
ARTIFACTS = ROOT / "test-artifacts" / "reports"
# what each department's entries are: (share_type, open_type, extra fields)
CATALOG = {
    "civil-dept": [("unconditional", "general", {}), ("unconditional", "general", {}),
                   ("conditional", "authorized", {"share_condition": "限业务协同",
                                                  "usage_scope": ["work_reference"],
                                                  "open_condition": "实名申请"}),
                   ("none", "closed", {"no_share_basis": "《保守国家秘密法》"})],
    "labour-dept": [("conditional", "closed", {"share_condition": "限业务协同",
                                               "usage_scope": ["work_reference"]}),
                    ("none", "closed", {"no_share_basis": "《保守国家秘密法》"}),
                    ("none", "closed", {"no_share_basis": "《保守国家秘密法》"})],
}
TITLES = {"civil-dept": "市民政局", "labour-dept": "市人力资源和社会保障局",
          "data-authority": "市大数据管理局"}


@pytest.fixture
def city(sysadmin_context, known_calendar):
    departments = {name: make_department(name=name, title=title) for name, title in TITLES.items()}
    entries: dict[str, list[dict[str, Any]]] = {}
    for name, rows in CATALOG.items():
        entries[name] = [create_entry(sysadmin_context, departments[name], share_type=share,
                                      open_type=opened, **extra)
                         for share, opened, extra in rows]
    people = {
        "civil_admin": make_user(departments["civil-dept"], "admin"),
        "civil_member": make_user(departments["civil-dept"], "member"),
        "labour_admin": make_user(departments["labour-dept"], "admin"),
        "labour_member": make_user(departments["labour-dept"], "member"),
        "authority": make_user(departments["data-authority"], "member"),
        "citizen": make_user(),
    }
    conditional = next(e for e in entries["civil-dept"] if e["share_type"] == "conditional")
    made = []
    # three share requests to the civil department: approved, refused, left pending
    for decision, extra in (("approve", {}), ("refuse", {"reason": "不符合共享条件"}), (None, {})):
        made.append(helpers.call_action(
            "govshare_request_create", as_user(people["labour_member"]),
            package_id=conditional["id"], usage_scope=["work_reference"], purpose="核验低保对象",
            basis="《社会救助暂行办法》", period_start=datetime.date.today().isoformat(),
            period_end=f"{YEAR + 1}-06-30", contact="张三 0392-1234567"))
        if decision:
            helpers.call_action(f"govshare_request_{decision}", as_user(people["civil_admin"]),
                                id=made[-1]["id"], **extra)
    return {"departments": departments, "entries": entries, "requests": made, **people}


def expected_catalog(name: str) -> dict[str, Any]:
    """The catalog figures of a department, counted from CATALOG."""
    shares = Counter(share for share, _, _ in CATALOG[name])
    opened = Counter(o for _, o, _ in CATALOG[name])
    total = len(CATALOG[name])
    return {"entries": total, **{f"share_type_{k}": v for k, v in shares.items()},
            **{f"open_type_{k}": v for k, v in opened.items()},
            "shared_share": round((shares["unconditional"] + shares["conditional"]) / total, 4)}


def headers(user: dict[str, Any] | None) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]} if user else {}


def get(app, user, url: str, status: int = 200):
    return app.get(url, headers=headers(user), status=status, follow_redirects=False)


def show(user, **data) -> dict[str, Any]:
    return helpers.call_action("govshare_annual_report_show", as_user(user), **data)


def chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


# ------------------------------------------------------------------ the figures

def test_the_report_has_the_figures_of_what_was_made(city):
    shown = show(city["authority"], year=YEAR)
    by_name = {d["name"]: d["figures"] for d in shown["departments"]}
    for name in CATALOG:
        for key, value in expected_catalog(name).items():
            assert by_name[name][key] == value, (name, key)
    assert by_name["civil-dept"]["share_requests_received"] == len(city["requests"])
    assert by_name["civil-dept"]["share_requests_approved"] == 1
    assert by_name["civil-dept"]["share_requests_refused"] == 1
    assert by_name["civil-dept"]["share_requests_pending"] == 1
    assert by_name["labour-dept"]["share_requests_received"] == 0
    entries = sum(len(rows) for rows in CATALOG.values())
    assert shown["city"]["entries"] == entries
    assert shown["city"]["share_type_none"] == sum(
        1 for rows in CATALOG.values() for share, _, _ in rows if share == "none")
    month = next(m for m in shown["months"] if m["month"] == datetime.date.today().isoformat()[:7])
    assert month["figures"]["share_requests_received"] == len(city["requests"])
    department = show(city["civil_member"], year=YEAR, owner_org="civil-dept")
    assert department["city"] is None and department["department"]["name"] == "civil-dept"
    assert department["department"]["figures"]["entries"] == len(CATALOG["civil-dept"])


def test_the_pages_show_the_figures_as_tables(app, city):
    page = lxml.html.fromstring(get(app, city["authority"], f"/govshare/report/{YEAR}").body)
    row = page.xpath('//tr[@data-department="labour-dept"]')[0]
    assert row.xpath('td[@data-figure="entries"]')[0].text_content().strip() == str(
        len(CATALOG["labour-dept"]))
    assert row.xpath('td[@data-figure="shared_share"]')[0].text_content().strip() == "33.3%"
    assert page.xpath('//section[@id="chart-share-types"]//svg')
    assert page.xpath('//section[@id="chart-ranking"]//a[contains(@href, '
                      f'"/organization/civil-dept/report/{YEAR}")]')
    own = lxml.html.fromstring(get(app, city["civil_member"],
                                   f"/organization/civil-dept/report/{YEAR}").body)
    assert own.xpath('//td[@data-figure="share_requests_received"]')[0].text_content().strip() \
        == str(len(city["requests"]))
    assert "市民政局" in own.xpath('//h1[@class="govshare-report-title"]')[0].text_content()


# ------------------------------------------------------------------ XLSX

def test_the_xlsx_has_a_sheet_per_table_with_numbers(app, city):
    response = get(app, city["authority"], f"/govshare/report/{YEAR}.xlsx")
    assert response.headers["Content-Disposition"].endswith(f'govshare-report-{YEAR}.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["说明", "目录", "共享申请", "开放申请", "数据使用", "质量",
                               "按月申请", "报告文字"], book.sheetnames
    catalog = book["目录"]
    header = [c.value for c in catalog[1]]
    rows = {r[0]: dict(zip(header, r)) for r in catalog.iter_rows(min_row=2, values_only=True)}
    labour = rows["市人力资源和社会保障局"]
    assert labour["目录条目数"] == len(CATALOG["labour-dept"])
    assert type(labour["目录条目数"]) is int
    shared = header.index(next(h for h in header if h.startswith("共享比例")))
    cell = next(r for r in catalog.iter_rows(min_row=2) if r[0].value == "市人力资源和社会保障局")[shared]
    assert cell.value == expected_catalog("labour-dept")["shared_share"]
    assert isinstance(cell.value, float) and cell.number_format == "0.0%"
    assert rows["全市"]["目录条目数"] == sum(len(r) for r in CATALOG.values())
    requests = book["共享申请"]
    civil = next(r for r in requests.iter_rows(min_row=2, values_only=True) if r[0] == "市民政局")
    assert civil[1] == len(city["requests"]) and isinstance(civil[1], int)
    assert all(not isinstance(v, str) for v in civil[1:]), civil


# ------------------------------------------------------------------ PDF

def pdf_pages(path: Path) -> list[str]:
    """Each page's text, as pdftotext reads it."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    count = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


def render(path: Path, out: Path) -> list[Path]:
    """Every page as a PNG (pdftoppm): a page it cannot draw fails here."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{path.stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(out / path.stem)], check=True)
    return sorted(out.glob(f"{path.stem}-*.png"))


def test_the_pdf_has_a_cover_contents_and_a_page_per_department(app, city, tmp_path):
    helpers.call_action("govshare_annual_report_submit", as_user(city["civil_admin"]), year=YEAR,
                        owner_org="civil-dept", narrative="本年度我局坚持以共享为原则、不共享为例外。\n"
                        "全年受理共享申请三件。")
    response = get(app, city["authority"], f"/govshare/report/{YEAR}.pdf")
    assert response.mimetype == "application/pdf"
    path = tmp_path / f"govshare-report-{YEAR}.pdf"
    path.write_bytes(response.data)
    pages = pdf_pages(path)
    images = render(path, tmp_path)
    assert len(images) == len(pages)
    assert f"{YEAR}" in pages[0] and "年度政务数据共享工作报告" in pages[0]
    assert "目" in pages[1] and "录" in pages[1]
    shown = show(city["authority"], year=YEAR)
    assert len(shown["departments"]) == len(TITLES)

    def top(text: str) -> list[str]:
        """A page's first two lines (the part's heading may come first)."""
        return [line.strip() for line in text.splitlines() if line.strip()][:2]

    # each department's part starts a page with its heading (（一）市民政局 …), after the
    # contents, which list it
    starts = {}
    for department in shown["departments"]:
        starts[department["title"]] = [n for n, text in enumerate(pages) if n > 1 and any(
            line.endswith(f"）{department['title']}") for line in top(text))]
        assert len(starts[department["title"]]) == 1, department["title"]
        assert department["title"] in pages[1]
    first = starts["市民政局"][0]
    following = min([n for [n] in starts.values() if n > first] + [len(pages)])
    assert "不共享为例外" in "".join(pages[first:following])  # its narrative, in its part
    assert all(f"共 {len(pages)} 页" in text for text in pages[1:])
    assert f"共 {len(pages)} 页" not in pages[0]
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "UMing" in fonts and "MicroHei" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # embedded
    keep = ARTIFACTS
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(images[0], keep / "city-cover.png")
    shutil.copy(images[1], keep / "city-contents.png")
    shutil.copy(images[2], keep / "city-overview.png")
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-f", str(first + 1), "-l", str(first + 1),
                    "-singlefile", str(path), str(keep / "city-department-page")], check=True)


def test_a_department_pdf_and_the_command(app, city, tmp_path):
    response = get(app, city["labour_member"], f"/organization/labour-dept/report/{YEAR}.pdf")
    path = tmp_path / "labour.pdf"
    path.write_bytes(response.data)
    pages = pdf_pages(path)
    assert "市人力资源和社会保障局" in pages[0] and f"{YEAR}" in pages[0]
    assert not any("市民政局" in text for text in pages)
    images = render(path, tmp_path)
    assert len(images) == len(pages)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(images[0], ARTIFACTS / "department-cover.png")
    shutil.copy(images[2], ARTIFACTS / "department-page.png")
    from ckanext.govshare.cli import annual_report
    result = CliRunner().invoke(annual_report, ["--year", str(YEAR), "--department",
                                                "labour-dept", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [f"govshare-report-{YEAR}-labour-dept.pdf",
                       f"govshare-report-{YEAR}-labour-dept.xlsx"]
    assert len(pdf_pages(tmp_path / "out" / written[0])) == len(pages)
    bad = CliRunner().invoke(annual_report, ["--year", "2090"])
    assert bad.exit_code != 0 and "year" in bad.output


# ------------------------------------------------------------------ the texts

def test_a_department_writes_and_submits_its_narrative(app, city):
    url = f"/organization/civil-dept/report/{YEAR}"
    saved = app.post(url, data={"narrative": "草稿：本年度共编制目录四条。", "action": "save"},
                     headers=headers(city["civil_admin"]), follow_redirects=False)
    assert saved.status_code == 302
    # its members read the draft; the authority and other departments do not yet
    assert show(city["civil_member"], year=YEAR, owner_org="civil-dept")[
        "department"]["text"]["narrative"] == "草稿：本年度共编制目录四条。"
    seen = show(city["authority"], year=YEAR, owner_org="civil-dept")["department"]["text"]
    assert seen["state"] == "draft" and seen["narrative"] is None
    # a member may not write it
    with pytest.raises(Exception) as refused:
        helpers.call_action("govshare_annual_report_update", as_user(city["civil_member"]),
                            year=YEAR, owner_org="civil-dept", narrative="x")
    assert "NotAuthorized" in type(refused.value).__name__
    blank = app.post(url, data={"narrative": "   ", "action": "submit"},
                     headers=headers(city["civil_admin"]), status=400)
    error = lxml.html.fromstring(blank.body).xpath(
        '//textarea[@id="field-narrative"]/following-sibling::div[@class="text-danger"]')
    assert error and chinese(error[0].text_content())
    app.post(url, data={"narrative": "本年度共编制目录四条。", "action": "submit"},
             headers=headers(city["civil_admin"]))
    seen = show(city["authority"], year=YEAR, owner_org="civil-dept")["department"]["text"]
    assert seen["state"] == "submitted" and seen["narrative"] == "本年度共编制目录四条。"
    assert seen["submitted"] == reports.workdays.today().isoformat()
    again = app.post("/api/3/action/govshare_annual_report_update", json={
        "year": YEAR, "owner_org": "civil-dept", "narrative": "改"},
        headers=headers(city["civil_admin"]), status=409)
    assert list(k for k in again.json["error"] if k != "__type") == ["narrative"]
    assert chinese(again.json["error"]["narrative"][0])
    assert model.Session.query(AnnualReport).one().narrative == "本年度共编制目录四条。"


@pytest.mark.parametrize("data,field", [
    ({"year": "twenty"}, "year"), ({"year": 1999}, "year"), ({"year": YEAR + 1}, "year"),
    ({"year": YEAR, "owner_org": "no-such-department"}, "owner_org"),
    ({"year": YEAR, "owner_org": "civil-dept", "narrative": 5}, "narrative"),
])
def test_bad_input_is_refused_in_chinese_naming_the_field(app, city, data, field):
    response = app.post("/api/3/action/govshare_annual_report_update", json={
        "narrative": "文字", **data}, headers=headers(city["authority"]), status=409)
    errors = {k: v for k, v in response.json["error"].items() if k != "__type"}
    assert list(errors) == [field]
    assert chinese(errors[field][0]), errors


# ------------------------------------------------------------------ who sees what

def test_who_may_see_which_report(app, city):
    city_page, own = f"/govshare/report/{YEAR}", f"/organization/civil-dept/report/{YEAR}"
    assert "/user/login" in get(app, None, city_page, status=302).location
    get(app, city["citizen"], city_page, status=403)
    get(app, city["civil_admin"], city_page, status=403)  # the city's is the authority's
    get(app, city["authority"], city_page)
    get(app, city["authority"], own)
    get(app, city["civil_member"], own)
    get(app, city["civil_member"], own + ".xlsx")
    get(app, city["labour_admin"], own, status=403)
    get(app, city["labour_admin"], own + ".pdf", status=403)
    get(app, city["citizen"], own, status=403)
    # published: the city report and its departments' parts are open to everyone
    helpers.call_action("govshare_annual_report_submit", as_user(city["authority"]), year=YEAR,
                        narrative="全市政务数据共享工作总结。")
    for url in (city_page, city_page + ".pdf", own, own + ".xlsx"):
        get(app, None, url)
    page = lxml.html.fromstring(get(app, city["labour_admin"], own).body)
    assert not page.xpath('//textarea[@id="field-narrative"]')  # nobody else's to write
    with pytest.raises(Exception) as refused:
        helpers.call_action("govshare_annual_report_update", as_user(city["labour_admin"]),
                            year=YEAR, owner_org="civil-dept", narrative="x")
    assert "NotAuthorized" in type(refused.value).__name__


@pytest.mark.parametrize("url,status", [
    ("/govshare/report/twenty", 400), ("/govshare/report/twenty.pdf", 400),
    ("/govshare/report/1999", 404), (f"/govshare/report/{YEAR + 1}.xlsx", 404),
    ("/govshare/report/99999999999999999999", 404),
    (f"/organization/no-such-department/report/{YEAR}", 404),
    (f"/organization/civil-dept/report/{YEAR + 5}.pdf", 404),
    (f"/govshare/report/{YEAR}.doc", 400),
])
def test_a_bad_year_or_department_is_a_clear_chinese_answer(app, city, url, status):
    response = get(app, city["authority"], url, status=status)
    assert chinese(response.get_data(as_text=True))


def test_the_report_index_is_last_years(app, city):
    assert get(app, city["authority"], "/govshare/report", status=302).location.endswith(
        f"/govshare/report/{YEAR - 1}")


# ------------------------------------------------------------------ January reminders

def test_january_reminders_go_once_per_round_to_who_has_not_submitted(city):
    helpers.call_action("govshare_annual_report_submit", as_user(city["labour_admin"]), year=YEAR,
                        owner_org="labour-dept", narrative="本年度工作情况。")
    site = {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": True}

    def remind(when: datetime.date) -> int:
        with freeze_time(datetime.datetime(when.year, when.month, when.day, 2)):
            return helpers.call_action("govshare_annual_report_remind", dict(site))[
                "annual_report_reminded"]

    assert remind(datetime.date(YEAR, 12, 20)) == 0      # not January
    assert remind(datetime.date(YEAR + 1, 1, 3)) == 0    # before the first round
    assert remind(datetime.date(YEAR + 1, 1, 6)) == 1    # civil only (labour submitted)
    assert remind(datetime.date(YEAR + 1, 1, 7)) == 0    # the round went
    told = model.Session.query(Notification).filter(
        Notification.link.like("%/report/%")).all()
    admins = {m[0] for m in helpers.call_action("member_list", id="civil-dept",
                                                object_type="user", capacity="admin")}
    assert city["civil_admin"]["id"] in admins  # and the department's creator
    assert sorted(n.user_id for n in told) == sorted(admins)
    assert f"{YEAR}" in told[0].subject and chinese(told[0].body)
    assert told[0].link == f"/organization/civil-dept/report/{YEAR}"
    assert model.Session.query(OutboxMail).filter(
        OutboxMail.subject == told[0].subject).count() == sum(
            1 for admin in admins if model.User.get(admin).email)
    assert remind(datetime.date(YEAR + 1, 1, 16)) == 1   # the next round
    assert remind(datetime.date(YEAR + 1, 2, 1)) == 0    # after January
