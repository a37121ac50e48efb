"""The department figures (鹤壁 第十九条, 第二十条, 第二十八条; requirements §4.6): how each
department and the whole city share, defined once here and used by every page, export
and report (``govshare_department_figures``, the dashboard, the home page's statistics).

Every figure is an SQL aggregate over the tables the domain modules write, grouped by
department with ``GROUPING SETS ((department), ())``: the empty set is the city, computed
by the same expression (a city median is the median of all requests, not of the
departments' medians). A figure belongs to the department it is about: entries, requests
received, grants given, error reports and downloads to the provider (``owner_org``); the
``*_as_user`` figures to the department using others' data.

When: flows (requests, grants, reads, error reports, downloads) count what happened in the
period, by its day in China (``ckan.display_timezone``); the catalog counts the entries
that existed at the period's end; update timeliness and duty changes are as of today.
"""
from __future__ import annotations

import dataclasses
import datetime
import re
import zoneinfo
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import text

from ckanext.govshare import codes, timeliness, workdays
from ckanext.govshare.model.audit import SUCCESS
from ckanext.govshare.model.error_report import CORRECTED, OPEN
from ckanext.govshare.workflow import APPROVED, PENDING, REFUSED, SHARE, WITHDRAWN
from ckanext.govshare.workflow import OPEN as APPLICATION


# ------------------------------------------------------------------ what each figure is

def _code_figures(field: str) -> list[tuple[str, str]]:
    from ckanext.govshare import schema as catalog
    return [(f"{field}_{code}", catalog.choice_label(field, code)) for code in codes.USED[field]]


def groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every figure, by group: (key, label). The one list pages, exports and reports show."""
    def requests(prefix: str) -> list[tuple[str, str]]:
        return [(f"{prefix}_received", tk._("received")), (f"{prefix}_approved", tk._("approved")),
                (f"{prefix}_refused", tk._("refused")), (f"{prefix}_withdrawn", tk._("withdrawn")),
                (f"{prefix}_pending", tk._("pending")),
                (f"{prefix}_on_time", tk._("answered within the deadline")),
                (f"{prefix}_on_time_rate", tk._("share answered within the deadline")),
                (f"{prefix}_escalated", tk._("escalated")),
                (f"{prefix}_reply_days_median", tk._("median reply time (working days)")),
                (f"{prefix}_reply_days_p90", tk._("90th percentile reply time (working days)"))]
    return [
        (tk._("Catalog"), [("entries", tk._("entries"))] + _code_figures("share_type")
         + [("shared_share", tk._("shared share (unconditional + conditional)"))]
         + _code_figures("open_type") + [("open_share", tk._("open share (general + authorized)"))]
         + [("open_entries", tk._("open entries (registered, general or authorized)"))]
         + _code_figures("resource_class") + _code_figures("catalog_state")),
        (tk._("Share requests"), requests("share_requests")),
        (tk._("Open-data applications"), requests("open_applications")),
        (tk._("Use of the data"), [
            ("grants_given", tk._("grants given")),
            ("departments_served", tk._("departments served")),
            ("users_served", tk._("users served (open data)")),
            ("reads_by_others", tk._("reads of its data by others")),
            ("downloads", tk._("downloads of its resources")),
            ("grants_received_as_user", tk._("grants received (as a user of others' data)")),
            ("providers_used_as_user", tk._("departments whose data it uses")),
            ("reads_as_user", tk._("reads of others' data"))]),
        (tk._("Quality"), [
            ("update_overdue", tk._("entries overdue for update")),
            ("update_days_overdue", tk._("days overdue, summed over the entries")),
            ("update_days_overdue_max", tk._("most days overdue of one entry")),
            ("error_reports_received", tk._("error reports received")),
            ("error_reports_resolved_in_time", tk._("error reports resolved in time")),
            ("error_reports_confirmed", tk._("error reports confirmed as errors")),
            ("error_reports_open", tk._("error reports still open")),
            ("duplicated_items", tk._("information items duplicated from a source department")),
            ("duplicated_entries", tk._("entries with such items")),
            ("duty_changes_overdue", tk._("catalog updates overdue after a duty change"))]),
    ]


def keys() -> list[str]:
    return [key for _, figures in groups() for key, _ in figures]


# ------------------------------------------------------------------ the period

@dataclasses.dataclass(frozen=True)
class Period:
    """Days in China, both included."""

    start: datetime.date
    end: datetime.date

    def utc_bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end] as UTC naive datetimes, as the tables keep their times."""
        zone = _zone()

        def utc(day: datetime.date) -> datetime.datetime:
            local = datetime.datetime.combine(day, datetime.time(), zone)
            return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return utc(self.start), utc(self.end + datetime.timedelta(days=1))

    def as_dict(self) -> dict[str, str]:
        return {"date_from": self.start.isoformat(), "date_to": self.end.isoformat()}


def period(year: Optional[int] = None, date_from: Optional[datetime.date] = None,
           date_to: Optional[datetime.date] = None) -> Period:
    """A year, or from–to (either open end: the year's first day, today); nothing: this year
    to date."""
    today = workdays.today()
    if year:
        return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    end = date_to or today
    return Period(date_from or datetime.date(end.year, 1, 1), end)


def _zone_name() -> str:
    name = tk.config.get("ckan.display_timezone") or "UTC"
    return "UTC" if name == "server" else name


def _zone() -> datetime.tzinfo:
    return zoneinfo.ZoneInfo(_zone_name())


def local_day(column: str) -> str:
    """A UTC naive timestamp column as its day in China, in SQL."""
    return f"(timezone(:tz, timezone('UTC', {column})))::date"


# ------------------------------------------------------------------ working days in SQL

def _working_day_numbers(start: datetime.date, end: datetime.date) -> tuple[list[datetime.date],
                                                                              list[int]]:
    """Each day of [start, end] with the number of working days from ``start`` up to it:
    the working days in (a, b] are n(b) − n(a), ``workdays.working_days_between`` in SQL.
    A year nobody entered counts weekends only (a statistic, not a deadline)."""
    days, numbers, count = [], [], 0
    years: dict[int, workdays.Arrangement] = {}
    day = start
    while day <= end:
        if day.year not in years:
            years[day.year] = workdays.arrangement(day.year)
        if day > start and years[day.year].is_working_day(day):
            count += 1
        days.append(day)
        numbers.append(count)
        day += datetime.timedelta(days=1)
    return days, numbers


# ------------------------------------------------------------------ the queries

_ENTRY_CODES = ("share_type", "open_type", "resource_class", "catalog_state")


def _entries_sql() -> str:
    def code_of(field: str) -> str:
        default = f"'{codes.DRAFT}'" if field == "catalog_state" else "''"
        return f"coalesce(p.extras ->> '{field}', {default})"
    counts = ",\n".join(f"count(*) FILTER (WHERE {code_of(field)} = '{code}') AS {field}_{code}"
                        for field in _ENTRY_CODES for code in codes.USED[field])
    published = ", ".join(f"'{c}'" for c in codes.PUBLISHED_OPEN_TYPES)
    return f"""
        SELECT p.owner_org AS org, GROUPING(p.owner_org) AS city, count(*) AS entries,
               count(*) FILTER (WHERE {code_of('catalog_state')} = '{codes.REGISTERED}'
                                AND {code_of('open_type')} IN ({published})) AS open_entries,
               {counts}
        FROM package p
        WHERE p.state = 'active' AND p.type = 'dataset' AND p.owner_org IS NOT NULL
          AND p.metadata_created < :until AND {{orgs:p.owner_org}}
        GROUP BY GROUPING SETS ((p.owner_org), ())"""


BY_DEPARTMENT, BY_MONTH = "GROUPING SETS ((r.provider_org_id), ())", "1"


def requests_sql(group: str = BY_DEPARTMENT) -> str:
    """The request figures, by department and city, or (``group`` = ``BY_MONTH``) by the
    month they were received in: the same expressions either way."""
    decided_day, created_day = local_day("r.decided"), local_day("r.created")
    reply = "(de.n - cr.n)"
    answered = f"r.state IN ('{APPROVED}', '{REFUSED}')"
    per_kind = []
    for kind, prefix in ((SHARE, "share_requests"), (APPLICATION, "open_applications")):
        of = f"r.kind = '{kind}'"
        per_kind.append(f"""
               count(*) FILTER (WHERE {of}) AS {prefix}_received,
               count(*) FILTER (WHERE {of} AND r.state = '{APPROVED}') AS {prefix}_approved,
               count(*) FILTER (WHERE {of} AND r.state = '{REFUSED}') AS {prefix}_refused,
               count(*) FILTER (WHERE {of} AND r.state = '{WITHDRAWN}') AS {prefix}_withdrawn,
               count(*) FILTER (WHERE {of} AND r.state = '{PENDING}') AS {prefix}_pending,
               count(*) FILTER (WHERE {of} AND {answered} AND {decided_day} <= r.deadline)
                   AS {prefix}_on_time,
               count(*) FILTER (WHERE {of} AND r.escalated) AS {prefix}_escalated,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY {reply})
                   FILTER (WHERE {of} AND {answered}) AS {prefix}_reply_days_median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY {reply})
                   FILTER (WHERE {of} AND {answered}) AS {prefix}_reply_days_p90""")
    kinds = ",".join(per_kind)
    selected = ("r.provider_org_id AS org, GROUPING(r.provider_org_id) AS city"
                if group == BY_DEPARTMENT else f"date_trunc('month', {created_day})::date AS month")
    return f"""
        WITH wd AS (SELECT * FROM unnest(CAST(:days AS date[]), CAST(:numbers AS int[]))
                    AS t(day, n))
        SELECT {selected}, {kinds}
        FROM govshare_request r
        LEFT JOIN wd cr ON cr.day = {created_day}
        LEFT JOIN wd de ON de.day = {decided_day}
        WHERE r.created >= :since AND r.created < :until AND {{orgs:r.provider_org_id}}
        GROUP BY {group}"""


GRANTS_GIVEN = """
    SELECT p.owner_org AS org, GROUPING(p.owner_org) AS city, count(*) AS grants_given,
           count(DISTINCT g.grantee_org_id) AS departments_served,
           count(DISTINCT g.grantee_user_id) AS users_served
    FROM govshare_grant g JOIN package p ON p.id = g.package_id
    WHERE g.created >= :since AND g.created < :until AND {orgs:p.owner_org}
    GROUP BY GROUPING SETS ((p.owner_org), ())"""

GRANTS_RECEIVED = """
    SELECT g.grantee_org_id AS org, GROUPING(g.grantee_org_id) AS city,
           count(*) AS grants_received_as_user,
           count(DISTINCT p.owner_org) AS providers_used_as_user
    FROM govshare_grant g JOIN package p ON p.id = g.package_id
    WHERE g.grantee_org_id IS NOT NULL AND g.created >= :since AND g.created < :until
      AND {orgs:g.grantee_org_id}
    GROUP BY GROUPING SETS ((g.grantee_org_id), ())"""

# Reads of a department's data by others: the usage record (usage.py) of the data its
# grants let others use; the same rows, by the reading department, are its own use.
READS_BY_OTHERS = """
    SELECT u.provider_org_id AS org, GROUPING(u.provider_org_id) AS city,
           count(*) AS reads_by_others
    FROM govshare_usage u
    WHERE u.at >= :since AND u.at < :until AND u.provider_org_id IS NOT NULL
      AND u.org_id IS DISTINCT FROM u.provider_org_id AND {orgs:u.provider_org_id}
    GROUP BY GROUPING SETS ((u.provider_org_id), ())"""

READS_AS_USER = """
    SELECT u.org_id AS org, GROUPING(u.org_id) AS city, count(*) AS reads_as_user
    FROM govshare_usage u
    WHERE u.at >= :since AND u.at < :until AND u.org_id IS NOT NULL
      AND u.org_id IS DISTINCT FROM u.provider_org_id AND {orgs:u.org_id}
    GROUP BY GROUPING SETS ((u.org_id), ())"""

DOWNLOADS = f"""
    SELECT p.owner_org AS org, GROUPING(p.owner_org) AS city, count(*) AS downloads
    FROM govshare_audit_log a
    JOIN resource res ON res.id = a.object_id
    JOIN package p ON p.id = res.package_id
    WHERE a.event = 'data.downloaded' AND a.outcome = '{SUCCESS}' AND a.object_type = 'resource'
      AND a.at >= :since_tz AND a.at < :until_tz AND {{orgs:p.owner_org}}
    GROUP BY GROUPING SETS ((p.owner_org), ())"""

ERROR_REPORTS = f"""
    SELECT e.provider_org_id AS org, GROUPING(e.provider_org_id) AS city,
           count(*) AS error_reports_received,
           count(*) FILTER (WHERE e.state <> '{OPEN}' AND {local_day('e.resolved')} <= e.deadline)
               AS error_reports_resolved_in_time,
           count(*) FILTER (WHERE e.state = '{CORRECTED}') AS error_reports_confirmed,
           count(*) FILTER (WHERE e.state = '{OPEN}') AS error_reports_open
    FROM govshare_error_report e
    WHERE e.created >= :since AND e.created < :until AND {{orgs:e.provider_org_id}}
    GROUP BY GROUPING SETS ((e.provider_org_id), ())"""

# 一数一源: an item of a registered entry whose designated source department is another.
DUPLICATED = """
    SELECT p.owner_org AS org, GROUPING(p.owner_org) AS city,
           count(DISTINCT (p.owner_org, s.item)) AS duplicated_items,
           count(DISTINCT p.id) AS duplicated_entries
    FROM govshare_info_item i
    JOIN package p ON p.id = i.package_id
    LEFT JOIN govshare_info_item_synonym syn ON syn.variant = i.normalised
    JOIN govshare_info_item_source s ON s.item = coalesce(syn.canonical, i.normalised)
    WHERE p.state = 'active' AND coalesce(p.extras ->> 'catalog_state', '') = :registered
      AND s.owner_org <> p.owner_org AND {orgs:p.owner_org}
    GROUP BY GROUPING SETS ((p.owner_org), ())"""

DUTY_CHANGES = """
    SELECT d.owner_org AS org, GROUPING(d.owner_org) AS city, count(*) AS duty_changes_overdue
    FROM govshare_duty_change d
    WHERE d.updated IS NULL AND d.due < :today AND {orgs:d.owner_org}
    GROUP BY GROUPING SETS ((d.owner_org), ())"""


def _due_sql() -> str:
    """``timeliness.due_date`` of an entry in SQL: its last data change (else publish_date,
    else creation) plus the period of its update_frequency; NULL when it has none."""
    last = ("coalesce(du.data_updated::date, CASE WHEN p.extras ->> 'publish_date' ~ "
            "'^\\d{4}-\\d{2}-\\d{2}' THEN substr(p.extras ->> 'publish_date', 1, 10)::date END, "
            "p.metadata_created::date)")
    periods = " ".join(
        f"WHEN '{frequency}' THEN interval '{delta.years} years {delta.months} months "
        f"{delta.days} days'" for frequency, delta in timeliness.PERIODS.items())
    return f"({last} + CASE p.extras ->> 'update_frequency' {periods} END)::date"


# Only registered entries fall due (timeliness.statuses): a draft has promised nothing yet.
_FALLS_DUE = f"p.extras ->> 'catalog_state' = '{codes.REGISTERED}'"


def _timeliness_sql() -> str:
    late = f"(:today - ({_due_sql()}))"
    overdue = f"{late} > :grace"
    return f"""
        SELECT p.owner_org AS org, GROUPING(p.owner_org) AS city,
               count(*) FILTER (WHERE {overdue}) AS update_overdue,
               coalesce(sum({late}) FILTER (WHERE {overdue}), 0) AS update_days_overdue,
               coalesce(max({late}) FILTER (WHERE {overdue}), 0) AS update_days_overdue_max
        FROM package p LEFT JOIN govshare_data_update du ON du.package_id = p.id
        WHERE p.state = 'active' AND p.type = 'dataset' AND p.owner_org IS NOT NULL
          AND {_FALLS_DUE} AND {{orgs:p.owner_org}}
        GROUP BY GROUPING SETS ((p.owner_org), ())"""


def overdue_entries_sql() -> str:
    """The ids of the entries overdue for update, as counted by ``update_overdue``."""
    return f"""SELECT p.id FROM package p LEFT JOIN govshare_data_update du
               ON du.package_id = p.id WHERE p.state = 'active' AND p.type = 'dataset'
               AND {_FALLS_DUE} AND (:today - ({_due_sql()})) > :grace"""


def _queries() -> list[str]:
    return [_entries_sql(), requests_sql(), GRANTS_GIVEN, GRANTS_RECEIVED, READS_BY_OTHERS,
            READS_AS_USER, DOWNLOADS, ERROR_REPORTS, DUPLICATED, DUTY_CHANGES, _timeliness_sql()]


def scoped(statement: str, org_ids: Optional[list[str]]) -> str:
    """``{orgs:column}``: the column among the departments asked for, or true."""
    return re.sub(r"\{orgs:([\w.]+)\}",
                  lambda m: f"{m.group(1)} = ANY(:org_ids)" if org_ids is not None else "true",
                  statement)


# ------------------------------------------------------------------ together

def _ratios(row: dict[str, Any]) -> None:
    entries = row.get("entries") or 0
    shared = row.get(f"share_type_{codes.UNCONDITIONAL}", 0) + row.get(
        f"share_type_{codes.CONDITIONAL}", 0)
    opened = sum(row.get(f"open_type_{c}", 0) for c in codes.PUBLISHED_OPEN_TYPES)
    row["shared_share"] = round(shared / entries, 4) if entries else None
    row["open_share"] = round(opened / entries, 4) if entries else None
    for prefix in ("share_requests", "open_applications"):
        answered = row.get(f"{prefix}_approved", 0) + row.get(f"{prefix}_refused", 0)
        row[f"{prefix}_on_time_rate"] = (round(row.get(f"{prefix}_on_time", 0) / answered, 4)
                                         if answered else None)


_AVERAGES = ("reply_days_median", "reply_days_p90")


def _blank() -> dict[str, Any]:
    return {key: (None if key.endswith(_AVERAGES) else 0) for key in keys()}


def query_params(span: Period, wanted: Optional[list[str]]) -> dict[str, Any]:
    """The bind parameters every figure statement takes (the scorecard's too)."""
    today = workdays.today()
    since, until = span.utc_bounds()
    days, numbers = _working_day_numbers(span.start, max(today, span.end))
    return {"since": since, "until": until,
            "since_tz": since.replace(tzinfo=datetime.timezone.utc),
            "until_tz": until.replace(tzinfo=datetime.timezone.utc),
            "tz": _zone_name(), "today": today, "grace": timeliness.grace_days(),
            "days": days, "numbers": numbers, "registered": codes.REGISTERED,
            "org_ids": wanted}


def row_values(found: Any) -> dict[str, Any]:
    """A result row's figures, averages as floats, without its grouping columns."""
    return {k: (float(v) if k.endswith(_AVERAGES) and v is not None else v)
            for k, v in found.items() if k not in ("org", "city", "month")}


def compute(span: Period, org_ids: Optional[Iterable[str]] = None) -> dict[str, Any]:
    """The figures of the departments (``org_ids``; None: every department, and the city).

    Returns ``{"period", "today", "departments": [{id, name, title, figures}], "city"}``;
    ``city`` is None when only some departments were asked for."""
    wanted = list(org_ids) if org_ids is not None else None
    params = query_params(span, wanted)
    departments = (model.Session.query(model.Group.id, model.Group.name, model.Group.title)
                   .filter(model.Group.is_organization.is_(True), model.Group.state == "active"))
    if wanted is not None:
        departments = departments.filter(model.Group.id.in_(wanted))
    rows = {d.id: {"id": d.id, "name": d.name, "title": d.title or d.name, "figures": _blank()}
            for d in departments.order_by(model.Group.title)}
    city = _blank()
    for statement in _queries():
        for found in model.Session.execute(text(scoped(statement, wanted)), params).mappings():
            values = row_values(found)
            if found["city"]:
                city.update(values)
            elif found["org"] in rows:
                rows[found["org"]]["figures"].update(values)
    for row in rows.values():
        _ratios(row["figures"])
    _ratios(city)
    return {"period": span.as_dict(), "today": params["today"].isoformat(),
            "departments": list(rows.values()), "city": city if wanted is None else None}


def monthly(span: Period, org_ids: Optional[Iterable[str]] = None) -> list[dict[str, Any]]:
    """The request figures by month received (every month of the period, empty ones too)."""
    wanted = list(org_ids) if org_ids is not None else None
    rows = {found["month"]: row_values(found) for found in model.Session.execute(
        text(scoped(requests_sql(BY_MONTH), wanted)), query_params(span, wanted)).mappings()}
    request_keys = [k for k in keys() if k.startswith(("share_requests", "open_applications"))]
    result, month = [], span.start.replace(day=1)
    while month <= span.end:
        row = {k: (None if k.endswith(_AVERAGES) else 0) for k in request_keys}
        row.update(rows.get(month, {}))
        _ratios(row)
        result.append({"month": month.isoformat()[:7], "figures": row})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return result


TOP_ENTRIES = f"""
    SELECT p.id, p.name, p.title, p.owner_org, count(*) AS uses
    FROM (SELECT u.package_id FROM govshare_usage u
          WHERE u.at >= :since AND u.at < :until AND u.org_id IS DISTINCT FROM u.provider_org_id
          UNION ALL
          SELECT res.package_id FROM govshare_audit_log a JOIN resource res ON res.id = a.object_id
          WHERE a.event = 'data.downloaded' AND a.outcome = '{SUCCESS}'
            AND a.object_type = 'resource' AND a.at >= :since_tz AND a.at < :until_tz) used
    JOIN package p ON p.id = used.package_id
    WHERE p.state = 'active' AND {{orgs:p.owner_org}}
    GROUP BY p.id, p.name, p.title, p.owner_org
    ORDER BY uses DESC, p.title LIMIT :limit"""


def top_entries(span: Period, org_ids: Optional[Iterable[str]] = None,
                limit: int = 10) -> list[dict[str, Any]]:
    """The entries most used in the period: ``reads_by_others`` plus ``downloads``, per entry."""
    wanted = list(org_ids) if org_ids is not None else None
    return [dict(row) for row in model.Session.execute(
        text(scoped(TOP_ENTRIES, wanted)), {**query_params(span, wanted), "limit": limit}).mappings()]


# ------------------------------------------------------------------ for pages

def public() -> dict[str, int]:
    """The home page's statistics, from the same figures: entries (registered), departments,
    open entries, downloads and open-data applications (all time)."""
    span = Period(datetime.date(workdays.FIRST_YEAR, 1, 1), workdays.today())
    found = compute(span)
    city, registered = found["city"], f"catalog_state_{codes.REGISTERED}"
    return {"entries": city[registered],
            "departments": sum(1 for d in found["departments"] if d["figures"][registered]),
            "open_entries": city["open_entries"],
            "downloads": city["downloads"], "applications": city["open_applications_received"]}
