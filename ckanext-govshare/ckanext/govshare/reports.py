"""The annual report (年度报告; 鹤壁 第十九条, 第二十条; requirements §4.6): by the end of
January every department reports last year's sharing, and the data authority reports for
the whole city.

A report is the year's figures (figures.py, the one definition), each department's own
narrative (written and submitted on the platform: draft → submitted, then fixed) and the
authority's city-wide summary (draft → published, then fixed). Pages, the XLSX and the PDF
(report_xlsx.py, report_pdf.py) and ``ckan govshare annual-report`` all show ``content()``.

Who sees what: the authority every report; a department's members (any capacity) their own
department's. Once the authority publishes the city summary, the city report (and so every
department's part of it) is public: it is the platform's annual account of sharing, made of
counts, with no entry, person or data in it. A narrative is shown to others only once it is
submitted; a draft only to its own department (and the city summary's draft to the
authority).

Reminders: in January, on each day of ``govshare.annual_report.remind_days`` (the daily
deadline job, ``ckan govshare escalate``), the admins of every department that has not
submitted last year's narrative are told, once per round.
"""
from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy.dialects.postgresql import insert

from ckanext.govshare import access, figures, notify, workdays
from ckanext.govshare.model.annual_report import (DRAFT, PUBLISHED, SUBMITTED, AnnualReport,
                                                  AnnualReportReminder)
from ckanext.govshare.workflow import error

DUE_MONTH, DUE_DAY = 1, 31  # reported by the end of January of the next year


# ------------------------------------------------------------------ the years

def last_year() -> int:
    """The year being reported on now."""
    return workdays.today().year - 1


def check_year(year: int) -> None:
    """A report is about a year that has begun: not before the platform's calendar, not in the
    future."""
    latest = workdays.today().year
    if not workdays.FIRST_YEAR <= year <= latest:
        raise error("year", tk._("There is no annual report for {year}: give a year from "
                                 "{first} to {last}").format(year=year, first=workdays.FIRST_YEAR,
                                                             last=latest))


def due_date(year: int) -> datetime.date:
    return datetime.date(year + 1, DUE_MONTH, DUE_DAY)


# ------------------------------------------------------------------ who may

def _authority_org_id() -> Optional[str]:
    org = model.Group.get(access.authority_org_name())
    return org.id if org else None


def is_published(year: int) -> bool:
    return model.Session.query(AnnualReport).filter(
        AnnualReport.year == year, AnnualReport.owner_org.is_(None),
        AnnualReport.state == PUBLISHED).first() is not None


def may_see(user: Optional[model.User], year: int, org_id: Optional[str]) -> bool:
    """The city report (``org_id`` None) or a department's, as said at the top."""
    if access.is_authority(user) or is_published(year):
        return True
    return org_id is not None and org_id in access.department_ids(user)


def may_write(user: Optional[model.User], org_id: Optional[str]) -> bool:
    """A department's admins write its narrative; the authority the city summary."""
    if org_id is None:
        return access.is_authority(user)
    return user is not None and (access.is_sysadmin(user)
                                 or access.is_department_admin(user, org_id))


# ------------------------------------------------------------------ the texts

def _row(year: int, org_id: Optional[str], lock: bool = False) -> Optional[AnnualReport]:
    query = model.Session.query(AnnualReport).filter(AnnualReport.year == year)
    query = query.filter(AnnualReport.owner_org.is_(None) if org_id is None
                         else AnnualReport.owner_org == org_id)
    return (query.with_for_update() if lock else query).one_or_none()


def save(user: model.User, year: int, org_id: Optional[str], narrative: str) -> AnnualReport:
    """Keep the draft; a submitted narrative or a published summary is not changed."""
    check_year(year)
    model.Session.execute(insert(AnnualReport).values(  # two first saves at once: one row
        year=year, owner_org=org_id, state=DRAFT, narrative="",
        updated=datetime.datetime.utcnow()).on_conflict_do_nothing())
    row = _row(year, org_id, lock=True)
    if row.state != DRAFT:
        raise error("narrative", tk._("This report was already submitted and can no longer "
                                      "be changed."))
    row.narrative = narrative
    row.updated = datetime.datetime.utcnow()
    row.updated_by = user.id
    model.Session.flush()
    return row


def finish(user: model.User, year: int, org_id: Optional[str],
           narrative: Optional[str] = None) -> AnnualReport:
    """Submit a department's narrative, or publish the city summary (with ``narrative``: saved
    first, in the same transaction)."""
    if narrative is not None and not narrative.strip():
        raise error("narrative", tk._("Write the report's text before submitting it."))
    row = save(user, year, org_id, narrative) if narrative is not None else _row(
        year, org_id, lock=True)
    if row is None or not row.narrative.strip():
        raise error("narrative", tk._("Write the report's text before submitting it."))
    if row.state != DRAFT:
        raise error("narrative", tk._("This report was already submitted and can no longer "
                                      "be changed."))
    row.state = PUBLISHED if org_id is None else SUBMITTED
    row.submitted = datetime.datetime.utcnow()
    row.submitted_by = user.id
    model.Session.flush()
    return row


@dataclasses.dataclass
class Text:
    """A narrative or summary as one viewer may see it: ``narrative`` is None when it is not
    shown (nothing written, or a draft of another department)."""

    state: Optional[str]
    narrative: Optional[str]
    submitted: Optional[str]
    editable: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def text_of(row: Optional[AnnualReport], shown_draft: bool, editable: bool) -> Text:
    if row is None:
        return Text(None, None, None, editable)
    shown = row.state != DRAFT or shown_draft
    submitted = _china_day(row.submitted) if row.submitted else None
    return Text(row.state, row.narrative if shown else None, submitted,
                editable and row.state == DRAFT)


def _china_day(value: datetime.datetime) -> str:
    return workdays.today(value.replace(tzinfo=datetime.timezone.utc)).isoformat()


# ------------------------------------------------------------------ the report

def content(viewer: Optional[model.User], year: int,
            org_id: Optional[str] = None) -> dict[str, Any]:
    """The report of a year, as ``viewer`` may see it: the city's (``org_id`` None: the city's
    figures, every department's, the summary) or one department's."""
    check_year(year)
    span = figures.period(year)
    org_ids = [org_id] if org_id else None
    found = figures.compute(span, org_ids)
    rows = {r.owner_org: r for r in model.Session.query(AnnualReport)
            .filter(AnnualReport.year == year)}
    own = access.department_ids(viewer)
    for department in found["departments"]:
        department["text"] = text_of(rows.get(department["id"]), department["id"] in own,
                                   may_write(viewer, department["id"])).as_dict()
    authority = access.is_authority(viewer)
    return {
        "year": year, "period": found["period"], "today": found["today"],
        "due": due_date(year).isoformat(),
        "department": found["departments"][0] if org_id else None,
        "departments": found["departments"], "city": found["city"],
        "summary": text_of(rows.get(None), authority, authority).as_dict(),
        "published": bool(rows.get(None) and rows[None].state == PUBLISHED),
        "months": figures.monthly(span, org_ids),
        "figures": [{"group": group, "key": key, "label": label}
                    for group, items in figures.groups() for key, label in items],
    }


def file_name(shown: dict[str, Any]) -> str:
    """The downloads' name without its suffix: govshare-report-<year>[-<department>]."""
    department = shown["department"]
    return f"govshare-report-{shown['year']}" + (f"-{department['name']}" if department else "")


def state_label(state: Optional[str]) -> str:
    return {DRAFT: tk._("draft"), SUBMITTED: tk._("submitted"),
            PUBLISHED: tk._("published")}.get(state or "", tk._("not written"))


def is_percent(key: str) -> bool:
    """The figures that are shares (0–1) rather than counts or days."""
    return key.endswith(("_share", "_rate"))


# ------------------------------------------------------------------ January reminders

def remind_days() -> list[int]:
    return sorted(int(d) for d in tk.config.get("govshare.annual_report.remind_days"))


def remind(today: Optional[datetime.date] = None) -> int:
    """In January, on or after each reminder day, tell the admins of the departments that have
    not submitted last year's narrative, once per round. Returns how many departments."""
    today = today or workdays.today()
    rounds = [d for d in remind_days() if d <= today.day] if today.month == DUE_MONTH else []
    if not rounds:
        return 0
    year, round_ = today.year - 1, rounds[-1]
    submitted = {org for org, in model.Session.query(AnnualReport.owner_org).filter(
        AnnualReport.year == year, AnnualReport.state == SUBMITTED)}
    departments = {g.id: g for g in model.Session.query(model.Group).filter(
        model.Group.is_organization.is_(True), model.Group.state == "active",
        model.Group.id != (_authority_org_id() or ""))
        if g.id not in submitted}
    if not departments:
        return 0
    sent = model.Session.execute(
        insert(AnnualReportReminder)
        .values([{"year": year, "owner_org": org_id, "round": round_,
                  "created": datetime.datetime.utcnow()} for org_id in departments])
        .on_conflict_do_nothing()
        .returning(AnnualReportReminder.owner_org)).scalars().all()
    admins = _admins(sent)
    notify.tell_many([(
        admins.get(org_id, []),
        tk._("Your department's {year} annual report is due by {due}").format(
            year=year, due=due_date(year).isoformat()),
        tk._("{department} has not submitted its report on {year}'s data sharing yet. Write "
             "and submit it on the platform by {due}.").format(
            department=departments[org_id].title or departments[org_id].name, year=year,
            due=due_date(year).isoformat()),
        f"/organization/{departments[org_id].name}/report/{year}") for org_id in sent])
    return len(sent)


def _admins(org_ids: list[str]) -> dict[str, list[model.User]]:
    rows = (model.Session.query(model.Member.group_id, model.User)
            .join(model.User, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id.in_(org_ids), model.Member.table_name == "user",
                    model.Member.state == "active", model.Member.capacity == "admin",
                    model.User.state == "active"))
    found: dict[str, list[model.User]] = {}
    for org_id, user in rows:
        found.setdefault(org_id, []).append(user)
    return found
