"""Working days on the official Chinese calendar (holidays and makeup working days, 调休),
and today's date in China.

A year is known when the data authority has entered its arrangement (the
``govshare_calendar_*`` tables, authoritative) or when the ``holidays`` package has the
State Council's arrangement for it. A count of working days that reaches into a year the
platform does not know raises ``UnknownYear``: no deadline is ever computed on a guessed
calendar. ``govshare.calendar.extra_holidays`` / ``extra_workdays`` override single days
of a known year (checked when CKAN starts, see config_declaration.yaml).
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import time
import zoneinfo
from typing import Any, Callable, Mapping, Optional

import ckan.plugins.toolkit as tk
import holidays
from ckan import model
from ckan.exceptions import CkanConfigurationException

from ckanext.govshare.model.calendar import WORKDAY, CalendarDay, CalendarYear

STORED, LIBRARY, CONFIG = "stored", "library", "config"
FIRST_YEAR, LAST_YEAR = 2000, 2100
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class UnknownYear(tk.ValidationError):
    """A working-day count reached a year whose arrangement nobody has entered yet."""

    def __init__(self, year: int, field: str) -> None:
        self.year = year
        super().__init__({field: [tk._(
            "The official holiday arrangement of {year} is not known yet: the data authority "
            "has to enter it (/govshare/calendar) before deadlines can reach into that year"
        ).format(year=year)]})


# ------------------------------------------------------------------ today

def today(now: Optional[datetime.datetime] = None) -> datetime.date:
    """Today's date in China (``ckan.display_timezone``), whatever the server's time zone:
    a grant ending on day D ends at the end of day D there. ``now`` (aware) is for tests."""
    name = tk.config.get("ckan.display_timezone") or "UTC"
    zone = None if name == "server" else zoneinfo.ZoneInfo(name)
    # From the epoch, not the local clock: independent of the machine's time zone.
    return (now.astimezone(zone) if now else datetime.datetime.fromtimestamp(time.time(), zone)).date()


def parse_date(value: object) -> datetime.date:
    """A strict ISO date (YYYY-MM-DD); ValueError for anything else, Feb 30 included."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError(value)
    return datetime.date.fromisoformat(value.strip())


# ------------------------------------------------------------------ a year's arrangement

@dataclasses.dataclass
class Arrangement:
    """What the platform knows of one year: the exceptions to "weekends are days off",
    each with where it comes from (stored, library or config)."""

    year: int
    source: Optional[str]  # stored | library | None: the year is not known
    working: dict[datetime.date, bool] = dataclasses.field(default_factory=dict)
    origin: dict[datetime.date, str] = dataclasses.field(default_factory=dict)
    names: dict[datetime.date, str] = dataclasses.field(default_factory=dict)
    note: Optional[str] = None
    updated: Optional[datetime.datetime] = None
    updated_by: Optional[str] = None

    @property
    def known(self) -> bool:
        return self.source is not None

    def is_working_day(self, day: datetime.date) -> bool:
        return self.working.get(day, day.weekday() < 5)

    def days(self, working: bool) -> list[datetime.date]:
        return sorted(d for d, w in self.working.items() if w is working)

    def _set(self, day: datetime.date, working: bool, origin: str) -> None:
        self.working[day], self.origin[day] = working, origin


def library_years() -> frozenset[int]:
    """Years for which ``holidays`` has the State Council's arrangement (its substituted
    days). For later years it only estimates the festivals by rule: they are not known."""
    from holidays.countries.china import ChinaStaticHolidays

    return frozenset(getattr(ChinaStaticHolidays, "special_public_holidays", {}))


@functools.lru_cache(maxsize=None)
def _library(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("CN", years=year, language="zh_CN")


CONFIG_OPTIONS = {"govshare.calendar.extra_holidays": False, "govshare.calendar.extra_workdays": True}


def _config_days(option: str) -> set[datetime.date]:
    return {parse_date(d) for d in tk.aslist(tk.config.get(option))}


def check_config(config: Mapping[str, Any]) -> None:
    """At start-up (IConfigurable): a config date that is not a date stops CKAN, naming the
    option, instead of failing the first deadline computed."""
    for option in CONFIG_OPTIONS:
        for value in tk.aslist(config.get(option)):
            try:
                parse_date(value)
            except ValueError:
                raise CkanConfigurationException(
                    f"{option}: {value!r} is not a date (YYYY-MM-DD, e.g. 2027-01-01)")


def arrangement(year: int) -> Arrangement:
    """The year as the platform counts it: the authority's entry, else the library; the
    config lists override single days of either."""
    stored = model.Session.get(CalendarYear, year)
    if stored is not None:
        found = Arrangement(year, STORED, note=stored.note, updated=stored.updated,
                            updated_by=stored.updated_by)
        for row in model.Session.query(CalendarDay).filter(CalendarDay.year == year):
            found._set(row.day, row.kind == WORKDAY, STORED)
    elif year in library_years():
        found = Arrangement(year, LIBRARY)
        days = _library(year)
        for day, name in days.items():
            if day.year == year:
                found._set(day, False, LIBRARY)
                found.names[day] = name
        for day in days.weekend_workdays:
            if day.year == year:
                found._set(day, True, LIBRARY)
    else:
        found = Arrangement(year, None)
    for option, working in CONFIG_OPTIONS.items():
        for day in _config_days(option):
            if day.year == year:
                found._set(day, working, CONFIG)
    return found


def is_known(year: int) -> bool:
    return year in library_years() or model.Session.get(CalendarYear, year) is not None


# ------------------------------------------------------------------ counting

def _lookup(field: str) -> Callable[[datetime.date], bool]:
    """is_working_day over the years one count visits, each read once; UnknownYear(field)
    for a year the platform does not know."""
    years: dict[int, Arrangement] = {}

    def is_working_day(day: datetime.date) -> bool:
        if day.year not in years:
            years[day.year] = arrangement(day.year)
        if not years[day.year].known:
            raise UnknownYear(day.year, field)
        return years[day.year].is_working_day(day)
    return is_working_day


def is_working_day(day: datetime.date, field: str = "date") -> bool:
    return _lookup(field)(day)


def add_working_days(start: datetime.date, count: int, field: str = "date") -> datetime.date:
    """The ``count``-th working day after ``start`` (the day of filing does not count).

    ``field`` names the caller's input in the UnknownYear error."""
    working = _lookup(field)
    day, remaining = start, count
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if working(day):
            remaining -= 1
    return day


def horizon(start: datetime.date, count: int) -> datetime.date:
    """``add_working_days``, or the first day of the first unknown year when the count
    reaches it: no deadline lies beyond, since none is computed on an unknown year."""
    try:
        return add_working_days(start, count)
    except UnknownYear as unknown:
        return datetime.date(unknown.year, 1, 1)


def working_days_between(start: datetime.date, end: datetime.date,
                         field: str = "date") -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start, field)
    working = _lookup(field)
    return sum(1 for n in range(1, (end - start).days + 1)
               if working(start + datetime.timedelta(days=n)))


def unknown_years_ahead(day: datetime.date) -> list[int]:
    """This year and those starting within ``govshare.calendar.warn_days_before`` days,
    when the platform does not know them: the authority is warned to enter them."""
    ahead = day + datetime.timedelta(days=tk.config.get("govshare.calendar.warn_days_before"))
    return [year for year in range(day.year, ahead.year + 1) if not is_known(year)]
