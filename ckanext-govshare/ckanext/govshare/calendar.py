"""The data authority's working-day calendar: entering a year's official arrangement
(国务院办公厅 放假安排) and warning the authority before a year the platform does not
know begins. The counting itself is in ``workdays``."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from ckanext.govshare import notify, workdays, workflow
from ckanext.govshare.model import Audit, CalendarDay, CalendarYear
from ckanext.govshare.model.calendar import HOLIDAY, WORKDAY


def _iso(days: list[datetime.date]) -> list[str]:
    return [d.isoformat() for d in sorted(days)]


def as_dict(arrangement: workdays.Arrangement) -> dict[str, Any]:
    """A year for the API and the page: its days off and makeup working days, each with
    where it comes from (stored, library, config), and whether the year is known."""
    def days(working: bool) -> list[dict[str, Any]]:
        return [{"date": d.isoformat(), "source": arrangement.origin[d],
                 "name": arrangement.names.get(d)} for d in arrangement.days(working)]
    return {"year": arrangement.year, "known": arrangement.known, "source": arrangement.source,
            "holidays": days(False), "workdays": days(True), "note": arrangement.note,
            "updated": arrangement.updated.isoformat() if arrangement.updated else None,
            "updated_by": arrangement.updated_by}


def _check(year: int, holidays: list[datetime.date], workdays_: list[datetime.date]) -> None:
    errors: dict[str, list[str]] = {}
    for field, days in (("holidays", holidays), ("workdays", workdays_)):
        outside = [d for d in days if d.year != year]
        if outside:
            errors[field] = [tk._("Not in {year}: {days}").format(
                year=year, days=", ".join(_iso(outside)))]
    weekdays = [d for d in workdays_ if d.weekday() < 5]
    if weekdays:
        errors.setdefault("workdays", []).append(tk._(
            "A makeup working day is a Saturday or a Sunday: {days}").format(
            days=", ".join(_iso(weekdays))))
    both = set(holidays) & set(workdays_)
    if both:
        errors.setdefault("workdays", []).append(tk._(
            "Listed both as a day off and as a working day: {days}").format(
            days=", ".join(_iso(list(both)))))
    if errors:
        raise tk.ValidationError(errors)


def enter(user: model.User, year: int, holidays: list[datetime.date],
          workdays_: list[datetime.date], note: str) -> workdays.Arrangement:
    """Replace the year's stored arrangement: from now on the platform knows the year and
    counts it this way, whatever the library says. Audited; the caller commits."""
    _check(year, holidays, workdays_)
    before = workdays.arrangement(year)
    # Two authority users saving the same year: the row lock makes the second wait.
    model.Session.execute(insert(CalendarYear).values(
        year=year, note=note, updated=datetime.datetime.utcnow()).on_conflict_do_nothing())
    stored = model.Session.execute(select(CalendarYear).where(CalendarYear.year == year)
                                   .with_for_update()).scalar_one()
    stored.note, stored.updated, stored.updated_by = note, datetime.datetime.utcnow(), user.id
    model.Session.query(CalendarDay).filter(CalendarDay.year == year).delete()
    model.Session.add_all([CalendarDay(day=d, year=year, kind=HOLIDAY) for d in holidays]
                          + [CalendarDay(day=d, year=year, kind=WORKDAY) for d in workdays_])
    model.Session.flush()
    workflow.audit("calendar", str(year), "update", user, before.source or "unknown",
                   workdays.STORED, note=note, holidays=_iso(holidays), workdays=_iso(workdays_),
                   previous_holidays=_iso(before.days(False)),
                   previous_workdays=_iso(before.days(True)))
    return workdays.arrangement(year)


def warn_authority(today: datetime.date) -> list[int]:
    """Tell the authority's users, once per year, that a year the platform does not know
    begins within ``govshare.calendar.warn_days_before`` days (or has begun). Part of the
    daily deadline job; the caller commits."""
    years = workdays.unknown_years_ahead(today)
    if not years:
        return []
    # Two runs of the job at once: the second waits and sees the first one's audit rows.
    model.Session.execute(select(func.pg_advisory_xact_lock(func.hashtext("govshare_calendar_warn"))))
    warned = {object_id for (object_id,) in model.Session.query(Audit.object_id).filter(
        Audit.object_type == "calendar", Audit.action == "warn",
        Audit.object_id.in_([str(y) for y in years]))}
    new = [year for year in years if str(year) not in warned]
    users = workflow.authority_users() if new else []
    for year in new:
        workflow.audit("calendar", str(year), "warn", None)
        notify.tell(users, tk._("Enter the holiday arrangement of {year}").format(year=year),
                    tk._("The platform does not know the official working days of {year} yet. "
                         "Requests whose deadline would fall in {year} are refused until the "
                         "data authority enters the State Council's holiday arrangement "
                         "(holidays and makeup working days) for that year.").format(year=year),
                    link=f"/govshare/calendar/{year}")
    model.Session.flush()  # CKAN's session does not autoflush: a rerun before commit sees them
    return new
