"""Working days on the official Chinese calendar (holidays and makeup working days).

chinesecalendar knows each year once the State Council has published it; for a
year it does not know yet, weekends are days off, and the dates listed in
``govshare.calendar.extra_holidays`` / ``govshare.calendar.extra_workdays``
correct both (they also override the library).
"""
from __future__ import annotations

import datetime

import chinese_calendar
import ckan.plugins.toolkit as tk


def _dates(option: str) -> set[datetime.date]:
    return {datetime.date.fromisoformat(d) for d in tk.config.get(option) or []}


def is_working_day(day: datetime.date) -> bool:
    if day in _dates("govshare.calendar.extra_workdays"):
        return True
    if day in _dates("govshare.calendar.extra_holidays"):
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The ``count``-th working day after ``start`` (the day of filing does not count)."""
    day = start
    remaining = count
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1)
               if is_working_day(start + datetime.timedelta(days=n)))
