"""The authorization workflow at scale: 100,000 requests, the provider inbox, the authority's
queues and the deadline job.

Run it through bench/run_all.sh, which gives it an empty database and Solr core:

    bash bench/run_all.sh workflow [--requests 100000] [--queries 200] [--seed 1]

Set-up through the actions: 30 departments and the data authority (data-authority), an admin
(who decides) and a staff member per department, 3 authority members, 50 citizens, and
conditional entries from bench/catalog.py's generator, 5 per department. Then 100,000 requests
(and their audit trail) are written with COPY, as the workflow would have left them over two
years: a request every ~10 minutes, its deadline 10 working days on (workdays.py), share
requests from another department (90%) and open-data applications by citizens for the
authorized-open entries (10%); most decided within the deadline (approved 70%, refused 20%,
withdrawn 10%), some late (escalated before they were decided), 4% of the past-due ones still
pending, a fifth of those already escalated: the deadline job's first run escalates the rest.

Timed: the job's first run (reminders and thousands of escalations) and second run (nothing to
do); then govshare_request_list in-process as the API calls it: a department admin's pending
requests (its inbox), the authority's overdue and escalated queues; then the SQL of those calls
on govshare_request and on a copy of it without the partial indexes, with EXPLAIN ANALYZE.
Stock CKAN has no requests, deadlines or escalation, so there is no stock column.

The figures case (``--case figures`` alone, or after the rest): the catalog grown to
``--figures-entries`` (50,000) entries by one INSERT ... SELECT over generate_series (every share
type, open type, class, catalog state and update frequency; 3 information items each, a source
department designated for 20 items), 20,000 grants, 200,000 usage records, 50,000 downloads in
the audit log and 10,000 error reports, all in SQL; then govshare_department_figures timed
in-process: the authority for the whole city (this year, and the two years of history) and a
department admin for its own department.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import random
import re
import time
import uuid
from typing import Any, Callable

import catalog
import common
from common import log, p50_p95, percentile, print_table

DEPARTMENTS = 30
AUTHORITY_MEMBERS = 3
CITIZENS = 50
HISTORY_DAYS = 730
PENDING_PAST_DUE = 0.04  # past-due requests still pending
ESCALATED_ALREADY = 0.2  # of those, escalated by an earlier run of the job
LIMIT = 50
SIDE = "workflow"

REQUEST_COLUMNS = (
    "id", "kind", "package_id", "provider_org_id", "requester_org_id", "requester_user_id",
    "resource_ids", "usage_scope", "purpose", "basis", "scenario", "security_measures",
    "commitment_text", "contact", "period_start", "period_end", "state", "prechecked", "created",
    "deadline", "reminded", "escalated", "decided", "decided_by", "decision_note", "grant_id")
AUDIT_COLUMNS = ("object_type", "object_id", "action", "from_state", "to_state", "user_id", "at",
                 "detail")


# ------------------------------------------------------------------ set-up through the actions

def dept_name(n: int) -> str:
    return f"wf-dept-{n:02d}"


def setup_site(call: Callable[..., Any], per_department: int, seed: int) -> dict[str, Any]:
    """Departments, the authority, users and members, entries; returns what requests refer to."""
    from ckan import model

    orgs = [dept_name(n) for n in range(1, DEPARTMENTS + 1)] + ["data-authority"]
    for serial, name in enumerate(orgs, 1):
        title = "市大数据管理局" if name == "data-authority" else f"市第{serial:02d}委办局"
        call("organization_create", name=name, title=title, region_level="city",
             department_code=catalog.department_code(serial))
        # CKAN makes the creator (the site user) an admin of the organization: it would decide
        # every department's requests and be told of every reminder and escalation.
        call("organization_member_delete", id=name, username=common.site_user())

    def user(name: str, org: str | None = None, role: str = "member") -> None:
        call("user_create", name=name, email=f"{name}@bench.example", password="bench-password-1")
        if org:
            call("organization_member_create", id=org, username=name, role=role)

    for n in range(1, DEPARTMENTS + 1):
        user(f"wf-admin-{n:02d}", dept_name(n), "admin")
        user(f"wf-staff-{n:02d}", dept_name(n))
    for n in range(1, AUTHORITY_MEMBERS + 1):
        user(f"wf-authority-{n}", "data-authority")
    for n in range(1, CITIZENS + 1):
        user(f"wf-citizen-{n:02d}")

    wanted = DEPARTMENTS * per_department
    size = wanted * 5
    while len(conditional := [e for e in catalog.make_entries(size, seed)
                              if e["share_type"] == "conditional"]) < wanted:
        size *= 2
    start = time.perf_counter()
    for i, entry in enumerate(conditional[:wanted]):
        call("package_create", **{**entry, "owner_org": dept_name(i % DEPARTMENTS + 1),
                                  "related_codes": []})
    log(SIDE, f"{wanted} entries in {time.perf_counter() - start:.0f} s")

    ids = {u.name: u.id for u in model.Session.query(model.User.name, model.User.id)}
    org_ids = {g.name: g.id for g in model.Session.query(model.Group.name, model.Group.id)}
    org_names = {v: k for k, v in org_ids.items()}
    entries = []
    for package in model.Session.query(model.Package).filter(model.Package.state == "active"):
        entries.append({"id": package.id, "provider": package.owner_org,
                        "dept": int(org_names[package.owner_org][-2:]),
                        "resource": package.resources[0].id,
                        "authorized": (package.extras or {}).get("open_type") == "authorized"})
    return {"entries": entries, "users": ids, "orgs": org_ids}


# ------------------------------------------------------------------ 100,000 requests by COPY

def make_requests(site: dict[str, Any], n: int, seed: int) -> tuple[list[tuple], list[tuple]]:
    """Request rows and their audit rows, as the workflow would have written them."""
    from ckan.plugins import toolkit as tk
    from ckanext.govshare import workdays

    rng = random.Random(seed)
    users, orgs, entries = site["users"], site["orgs"], site["entries"]
    authorized = [e for e in entries if e["authorized"]]
    reply_days = tk.config.get("govshare.request.reply_working_days")
    commitment = tk.config.get("govshare.application.commitment_text")
    today = datetime.date.today()
    now = datetime.datetime.combine(today, datetime.time())  # the same rows all day long
    deadlines: dict[datetime.date, datetime.date] = {}
    requests, audits = [], []
    pending_askers: set[tuple[str, str, str]] = set()
    for i in range(n):
        created = now - datetime.timedelta(seconds=int(HISTORY_DAYS * 86400 * (i + rng.random()) / n))
        day = created.date()
        if day not in deadlines:
            deadlines[day] = workdays.add_working_days(day, reply_days)
        deadline = deadlines[day]
        if authorized and rng.random() < 0.1:
            kind, entry = "open", rng.choice(authorized)
            requester_org = None
            requester = users[f"wf-citizen-{rng.randrange(1, CITIZENS + 1):02d}"]
        else:
            kind, entry = "share", rng.choice(entries)
            other = rng.choice([d for d in range(1, DEPARTMENTS + 1) if d != entry["dept"]])
            requester_org = orgs[dept_name(other)]
            requester = users[f"wf-staff-{other:02d}"]
        decider = users[f"wf-admin-{entry['dept']:02d}"]
        past_due = deadline < today
        pending = rng.random() < (PENDING_PAST_DUE if past_due else 0.65)
        # one pending request per department (or user) and entry: a unique index (0005_outbox)
        asker = (kind, entry["id"], requester_org or requester)
        pending = pending and asker not in pending_askers
        if pending:
            pending_askers.add(asker)
        state, decided, decided_by, note = "pending", None, None, None
        reminded = escalated = False
        if pending:
            reminded = past_due
            escalated = past_due and rng.random() < ESCALATED_ALREADY
        else:
            late = past_due and rng.random() < 0.1
            delay = rng.uniform(15, 40) if late else rng.uniform(0.05, 13.5)
            decided = min(created + datetime.timedelta(days=delay), now)
            reminded, escalated = decided.date() >= deadline - datetime.timedelta(days=3), late
            state = rng.choices(("approved", "refused", "withdrawn"), (70, 20, 10))[0]
            decided_by = requester if state == "withdrawn" else decider
            note = "不符合共享条件：申请用途超出共享条件范围" if state == "refused" else None
        request_id = str(uuid.uuid4())
        requests.append((
            request_id, kind, entry["id"], entry["provider"], requester_org, requester,
            json.dumps([entry["resource"]]) if rng.random() < 0.2 else None,
            json.dumps(["work_reference"]) if kind == "share" else None,
            "用于行政审批事项办理中的信息核验", "《政务信息资源共享管理办法》" if kind == "share" else None,
            "企业信用评估" if kind == "open" else None, "专人专机、访问留痕" if kind == "open" else None,
            commitment if kind == "open" else None, "0000-12345678", day,
            day + datetime.timedelta(days=365), state, True, created, deadline, reminded, escalated,
            decided, decided_by, note, None))
        audits.append(("request", request_id, "create", None, "pending", requester, created,
                       json.dumps({"kind": kind})))
        if reminded:
            audits.append(("request", request_id, "remind", "pending", "pending", None,
                           datetime.datetime.combine(deadline - datetime.timedelta(days=2),
                                                     datetime.time(1)), None))
        if escalated:
            audits.append(("request", request_id, "escalate", "pending", "pending", None,
                           datetime.datetime.combine(deadline + datetime.timedelta(days=1),
                                                     datetime.time(1)), None))
        if decided:
            audits.append(("request", request_id, state, "pending", state, decided_by, decided,
                           json.dumps({"note": note}, ensure_ascii=False)))
    return requests, audits


def copy_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    from ckan import model

    def cell(value: Any) -> Any:
        if isinstance(value, bool):
            return "t" if value else "f"
        return value  # None: an empty unquoted field, which COPY reads as NULL

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    buffer.seek(0)
    raw = model.meta.engine.raw_connection()
    try:
        raw.cursor().copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                                 buffer)
        raw.commit()
    finally:
        raw.close()


def sql(statement: str, *params: Any) -> list[tuple]:
    from ckan import model
    from sqlalchemy import text

    with model.meta.engine.begin() as connection:
        result = connection.execute(text(statement), *params)
        return result.fetchall() if result.returns_rows else []


# ------------------------------------------------------------------ measuring

class Probe(common.StatementCounter):
    """Counts SQL statements; keeps those of one call when asked."""

    def __init__(self) -> None:
        super().__init__()
        self.keep: list[tuple[str, Any]] | None = None

    def _statement(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        super()._statement()
        if self.keep is not None:
            self.keep.append((statement, parameters))


def job_run(probe: Probe) -> dict[str, Any]:
    from ckan.lib import jobs
    from ckanext.govshare import workflow
    from ckanext.govshare.model import Notification
    from ckan import model

    queue = jobs.get_queue()
    before = (probe.statements, queue.count, model.Session.query(Notification).count())
    model.Session.remove()
    start = time.perf_counter()
    counts = workflow.remind_and_escalate()
    model.Session.commit()  # the job commits nothing itself: its action (or this) does
    seconds = time.perf_counter() - start
    return {**counts, "s": seconds, "sql": probe.statements - before[0],
            "jobs": queue.count - before[1],
            "notifications": model.Session.query(Notification).count() - before[2]}


def plan_summary(statement: str, params: Any) -> list[str]:
    """EXPLAIN ANALYZE, node lines only: what is scanned, with which index, rows and time."""
    from ckan import model

    raw = model.meta.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        lines = [row[0] for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    keep = []
    for line in lines:
        text = re.sub(r"\s*\(cost=[^)]*\)", "", line)
        stripped = text.strip()
        if (line is lines[0] or stripped.startswith("->") or stripped.startswith("Execution Time")
                or stripped.startswith("Rows Removed by Filter")):
            keep.append(text.rstrip())
    return keep


def time_sql(statement: str, params: Any, repeat: int) -> list[float]:
    from ckan import model

    raw = model.meta.engine.raw_connection()
    try:
        cursor = raw.cursor()
        timings = []
        for _ in range(repeat + 1):  # the first run warms the cache and is not counted
            start = time.perf_counter()
            cursor.execute(statement, params)
            cursor.fetchall()
            timings.append((time.perf_counter() - start) * 1000)
        raw.rollback()
        return timings[1:]
    finally:
        raw.close()


COPY_TABLE = "bench_request_no_partial"


def copy_without_partial_indexes() -> list[str]:
    """govshare_request copied with all its indexes, then the partial ones dropped."""
    sql(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    sql(f"CREATE TABLE {COPY_TABLE} (LIKE govshare_request INCLUDING ALL)")
    dropped = [name for (name,) in sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexdef LIKE '% WHERE %'",
        {"t": COPY_TABLE})]
    for name in dropped:
        sql(f'DROP INDEX "{name}"')
    sql(f"INSERT INTO {COPY_TABLE} SELECT * FROM govshare_request")
    sql(f"ANALYZE {COPY_TABLE}")
    return [name for (name,) in sql(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'govshare_request' "
        "AND indexdef LIKE '% WHERE %' ORDER BY 1")]


def on_copy(statement: str) -> str:
    return re.sub(r"\bgovshare_request\b", COPY_TABLE, statement)


def run(args: argparse.Namespace) -> None:
    wall = time.perf_counter()
    with common.site(args.ini, **{"ckan.search.solr_commit": "false"}):
        common.require_empty(args.ini)
        call = common.caller(common.site_user())
        start = time.perf_counter()
        site = setup_site(call, args.entries_per_department, args.seed)
        setup_s = time.perf_counter() - start
        start = time.perf_counter()
        requests, audits = make_requests(site, args.requests, args.seed)
        copy_rows("govshare_request", REQUEST_COLUMNS, requests)
        copy_rows("govshare_audit", AUDIT_COLUMNS, audits)
        sql("ANALYZE govshare_request")
        sql("ANALYZE govshare_audit")
        copy_s = time.perf_counter() - start
        log(SIDE, f"{len(requests)} requests and {len(audits)} audit rows in {copy_s:.1f} s")
        if args.case == "figures":
            print_figures(figures_case(args, Probe()))
            return
        before = state_counts()

        probe = Probe()
        runs = [job_run(probe), job_run(probe)]
        sql("ANALYZE govshare_request")
        after = state_counts()

        def list_call(user: str, **data: Any) -> tuple[float, int, dict[str, Any]]:
            return probe.timed("govshare_request_list", user, limit=LIMIT, **data)

        admins = [f"wf-admin-{n:02d}" for n in range(1, DEPARTMENTS + 1)]
        calls = {
            "provider inbox: a department admin, state=pending":
                lambda i: list_call(admins[i % len(admins)], state="pending"),
            "authority queue: overdue=true": lambda i: list_call("wf-authority-1", overdue=True),
            "authority queue: escalated=true": lambda i: list_call("wf-authority-1", escalated=True),
            "authority queue: escalated=true, state=pending":
                lambda i: list_call("wf-authority-1", escalated=True, state="pending"),
        }
        timings: dict[str, dict[str, list[float]]] = {}
        for i in range(-1, args.queries):  # -1: untimed warm-up
            for name, fn in calls.items():
                ms, statements, result = fn(i)
                if i >= 0:
                    t = timings.setdefault(name, {"ms": [], "sql": [], "count": []})
                    t["ms"].append(ms)
                    t["sql"].append(statements)
                    t["count"].append(result["count"])

        partial = copy_without_partial_indexes()
        plans = {}
        for name, fn in calls.items():
            probe.keep = []
            fn(0)
            kept, probe.keep = probe.keep, None
            rows_sql = next((s, p) for s, p in kept if "ORDER BY govshare_request.deadline" in s)
            count_sql = next((s, p) for s, p in kept if "count(*)" in s)
            plans[name] = {
                kind: {"with": plan_summary(*q), "without": plan_summary(on_copy(q[0]), q[1]),
                       "ms_with": time_sql(q[0], q[1], args.queries),
                       "ms_without": time_sql(on_copy(q[0]), q[1], args.queries)}
                for kind, q in (("rows", rows_sql), ("count", count_sql))}
        report(args, before, after, runs, timings, plans, partial, setup_s, copy_s,
               len(audits), time.perf_counter() - wall)
        print_figures(figures_case(args, probe))


# ------------------------------------------------------------------ the figures case

FIGURES_SQL = [
    # entries: what bench/catalog.py's generator would vary, written in one statement
    """INSERT INTO package (id, name, title, type, state, owner_org, private, metadata_created,
                           metadata_modified, extras)
       SELECT md5('fig-entry-' || n)::uuid::text, 'fig-' || n, '统计条目' || n, 'dataset', 'active',
              orgs.ids[n % array_length(orgs.ids, 1) + 1], false,
              now() - (n % 700) * interval '1 day', now(),
              jsonb_build_object(
                'share_type', (ARRAY['unconditional', 'conditional', 'none'])[n % 3 + 1],
                'open_type', (ARRAY['general', 'authorized', 'closed'])[n % 3 + 1],
                'resource_class', (ARRAY['base', 'theme', 'department', 'department'])[n % 4 + 1],
                'catalog_state', (ARRAY['registered', 'registered', 'registered', 'draft',
                                        'submitted', 'returned'])[n % 6 + 1],
                'update_frequency', (ARRAY['realtime', 'daily', 'weekly', 'monthly', 'quarterly',
                                           'semiannual', 'annual', 'irregular'])[n % 8 + 1],
                'publish_date', to_char(current_date - (n % 900), 'YYYY-MM-DD'))
       FROM generate_series(1, :entries) n,
            (SELECT array_agg(id ORDER BY name) AS ids FROM "group"
             WHERE name LIKE 'wf-dept-%') orgs""",
    """INSERT INTO govshare_data_update (package_id, data_updated, source, overdue)
       SELECT id, now() - (abs(hashtext(id)) % 400) * interval '1 day', 'resource', false
       FROM package WHERE name LIKE 'fig-%' AND abs(hashtext(id)) % 2 = 0""",
    """INSERT INTO govshare_info_item (package_id, position, name, normalised)
       SELECT p.id, k, '信息项' || (abs(hashtext(p.id)) + k) % 500,
              '信息项' || (abs(hashtext(p.id)) + k) % 500
       FROM package p, generate_series(0, 2) k WHERE p.name LIKE 'fig-%'""",
    """INSERT INTO govshare_info_item_source (item, name, owner_org, designated)
       SELECT '信息项' || k, '信息项' || k, (SELECT id FROM "group" WHERE name = 'wf-dept-01'), now()
       FROM generate_series(0, 19) k""",
    """INSERT INTO govshare_grant (id, package_id, grantee_org_id, valid_from, valid_until, reason,
                                  granted_by, created)
       SELECT md5('fig-grant-' || n)::uuid::text, e.id, g.id, current_date - 30,
              current_date + 335, '统计基准', u.id, now() - (n % 700) * interval '1 day'
       FROM generate_series(1, 20000) n
       JOIN LATERAL (SELECT id, owner_org FROM package WHERE name = 'fig-' || (n * 7 % :entries + 1))
            e ON true
       JOIN LATERAL (SELECT id FROM "group" WHERE name LIKE 'wf-dept-%' AND id <> e.owner_org
                     ORDER BY md5(name || n) LIMIT 1) g ON true,
            (SELECT id FROM "user" WHERE name = 'wf-authority-1') u""",
    """INSERT INTO govshare_usage (user_id, org_id, package_id, provider_org_id, grant_id, route, at)
       SELECT g.granted_by, g.grantee_org_id, g.package_id, p.owner_org, g.id, 'resource_show',
              now() - (n % 700) * interval '1 day'
       FROM generate_series(1, 200000) n
       JOIN govshare_grant g ON g.id = md5('fig-grant-' || (n % 20000 + 1))::uuid::text
       JOIN package p ON p.id = g.package_id""",
    """INSERT INTO govshare_audit_log (at, event, outcome, object_type, object_id)
       SELECT now() - (n % 700) * interval '1 day', 'data.downloaded', 'success', 'resource',
              r.ids[n % array_length(r.ids, 1) + 1]
       FROM generate_series(1, 50000) n, (SELECT array_agg(id) AS ids FROM resource) r""",
    """INSERT INTO govshare_error_report (id, package_id, provider_org_id, reporter_user_id,
                                         description, location, state, created, deadline,
                                         escalated, resolved)
       SELECT md5('fig-report-' || n)::uuid::text, p.id, p.owner_org, u.id, '数值有误', '第1行',
              (ARRAY['open', 'corrected', 'not_error'])[n % 3 + 1],
              now() - (n % 700) * interval '1 day', current_date - (n % 700) + 7, false,
              CASE WHEN n % 3 <> 0 THEN now() - (n % 700) * interval '1 day'
                   + (n % 12) * interval '1 day' END
       FROM generate_series(1, 10000) n
       JOIN package p ON p.name = 'fig-' || (n * 13 % :entries + 1),
            (SELECT id FROM "user" WHERE name = 'wf-citizen-01') u""",
]


def figures_case(args: argparse.Namespace, probe: Probe) -> dict[str, Any]:
    """Grow the site in SQL, then time the figures."""
    start = time.perf_counter()
    for statement in FIGURES_SQL:
        sql(statement, {"entries": args.figures_entries - DEPARTMENTS * args.entries_per_department})
    for table in ("package", "govshare_data_update", "govshare_info_item", "govshare_grant",
                  "govshare_usage", "govshare_audit_log", "govshare_error_report"):
        sql(f"ANALYZE {table}")
    generate_s = time.perf_counter() - start
    counts = dict(zip(("entries", "requests", "grants", "usage", "downloads", "error reports",
                       "information items"), sql("""
        SELECT (SELECT count(*) FROM package WHERE state = 'active'),
               (SELECT count(*) FROM govshare_request), (SELECT count(*) FROM govshare_grant),
               (SELECT count(*) FROM govshare_usage),
               (SELECT count(*) FROM govshare_audit_log WHERE event = 'data.downloaded'),
               (SELECT count(*) FROM govshare_error_report),
               (SELECT count(*) FROM govshare_info_item)""")[0]))
    year = datetime.date.today().year
    calls = {
        "authority, whole city, this year": ("wf-authority-1", {"year": year}),
        "authority, whole city, two years": ("wf-authority-1", {
            "date_from": (datetime.date.today() - datetime.timedelta(days=HISTORY_DAYS)).isoformat()}),
        "department admin, own department, this year": (
            "wf-admin-01", {"owner_org": dept_name(1), "year": year}),
    }
    timings: dict[str, dict[str, Any]] = {}
    for name, (user, data) in calls.items():
        probe.timed("govshare_department_figures", user, **data)  # warm-up, not counted
        runs = [probe.timed("govshare_department_figures", user, **data)
                for _ in range(args.figures_calls)]
        result = runs[-1][2]
        shown = result["city"] or result["departments"][0]["figures"]
        timings[name] = {"ms": [ms for ms, _, _ in runs], "sql": runs[-1][1],
                         "requests": shown["share_requests_received"] + shown["open_applications_received"],
                         "entries": shown["entries"]}
    return {"counts": counts, "generate_s": generate_s, "timings": timings}


def print_figures(found: dict[str, Any]) -> None:
    print(f"\ngovshare_department_figures: the site grown in SQL in {found['generate_s']:.1f} s to "
          + ", ".join(f"{v:,} {k}" for k, v in found["counts"].items()) + ":\n")
    print_table(("call", "entries / requests counted", "p50 / max (ms)", "SQL statements"),
                [(name, f"{t['entries']:,} / {t['requests']:,}",
                  f"{percentile(t['ms'], 50):.0f} / {max(t['ms']):.0f}", str(t["sql"]))
                 for name, t in found["timings"].items()])
    print(f"\nTarget: under 5 s. 1-minute load average: {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores.")


def state_counts() -> dict[str, int]:
    rows = sql("""
        SELECT count(*) FILTER (WHERE state = 'pending' AND deadline >= current_date),
               count(*) FILTER (WHERE state = 'pending' AND deadline < current_date),
               count(*) FILTER (WHERE state = 'pending' AND deadline < current_date AND escalated),
               count(*) FILTER (WHERE state = 'pending' AND reminded),
               count(*) FILTER (WHERE state <> 'pending'),
               count(*) FILTER (WHERE escalated),
               count(*) FILTER (WHERE kind = 'open'),
               count(*)
        FROM govshare_request""")[0]
    keys = ("pending, not yet due", "pending, overdue", "pending, overdue, escalated",
            "pending, reminded", "decided (approved/refused/withdrawn)", "escalated (any state)",
            "open-data applications", "all")
    return dict(zip(keys, rows))


# ------------------------------------------------------------------ printing

def report(args: argparse.Namespace, before: dict[str, int], after: dict[str, int],
           runs: list[dict[str, Any]], timings: dict[str, dict[str, list[float]]],
           plans: dict[str, Any], partial: list[str], setup_s: float, copy_s: float,
           audit_rows: int, wall: float) -> None:
    print(f"\n{args.requests} requests (seed {args.seed}) over {DEPARTMENTS} departments and "
          f"{DEPARTMENTS * args.entries_per_department} conditional entries, written by COPY with "
          f"{audit_rows} audit rows in {copy_s:.1f} s (set-up through the actions: {setup_s:.0f} s); "
          f"{args.queries} timed calls each; wall time {wall:.0f} s\n")
    print_table(("requests", "before the job", "after its 2 runs"),
          [(k, str(before[k]), str(after[k])) for k in before])
    print("\nThe deadline job, workflow.remind_and_escalate():\n")
    print_table(("run", "reminded", "escalated", "seconds", "SQL statements", "notifications",
           "email jobs queued"),
          [(f"{n}{' (nothing left to do)' if n == 2 else ''}", str(r["reminded"]),
            str(r["escalated"]), f"{r['s']:.2f}", str(r["sql"]), str(r["notifications"]),
            str(r["jobs"])) for n, r in enumerate(runs, 1)])
    print(f"\ngovshare_request_list (limit {LIMIT}), in-process as the API calls it:\n")
    print_table(("call", "matching (count)", "p50 / p95 (ms)", "SQL statements per call"),
          [(name, str(int(percentile(t["count"], 50))), p50_p95(t["ms"]),
            str(int(percentile(t["sql"], 50)))) for name, t in timings.items()])
    print(f"\nThe same calls' SQL alone, on govshare_request and on {COPY_TABLE} (a copy with the "
          f"same rows and indexes but without the partial ones: {', '.join(partial)}):\n")
    rows = []
    for name, p in plans.items():
        for kind in ("rows", "count"):
            q = p[kind]
            with_, without = percentile(q["ms_with"], 50), percentile(q["ms_without"], 50)
            label = "SELECT … ORDER BY deadline LIMIT 50" if kind == "rows" else "SELECT count(*)"
            rows.append((f"{name}: {label}", p50_p95(q["ms_with"]), p50_p95(q["ms_without"]),
                         f"{without / with_:.1f}×" if with_ else "–"))
    print_table(("query", "with partial indexes p50 / p95 (ms)", "copy without p50 / p95 (ms)",
           "p50 ratio"), rows)
    print("\nEXPLAIN ANALYZE (node lines; cost estimates removed):")
    for name, p in plans.items():
        for kind in ("rows", "count"):
            for side in ("with", "without"):
                where = "govshare_request" if side == "with" else COPY_TABLE
                print(f"\n  {name}, {kind} query, on {where}:")
                for line in p[kind][side]:
                    print("    " + line)
    print(f"""
Stock CKAN has no share requests, deadlines, reminders or escalation: there is nothing to put
  next to these figures, so the comparison is the same SQL without the partial indexes.
The job ran against the real Redis queue (emails are queued, not sent: no worker runs) and
  today's date; the list calls' timings include auth, validation, the caller's departments and
  as_dict of {LIMIT} rows, not HTTP. 1-minute load average at the end: {os.getloadavg()[0]:.1f}
  on {os.cpu_count()} cores (the services are shared).""")


def parse_args() -> argparse.Namespace:
    p = common.parser(__doc__)
    p.add_argument("--requests", type=int, default=100_000)
    p.add_argument("--entries-per-department", type=int, default=5)
    p.add_argument("--queries", type=int, default=200, help="timed calls of each kind")
    p.add_argument("--ini", default=".stack/bench-workflow.ini")
    p.add_argument("--case", choices=("all", "figures"), default="all",
                   help="figures: only the department figures at --figures-entries entries")
    p.add_argument("--figures-entries", type=int, default=50_000)
    p.add_argument("--figures-calls", type=int, default=5, help="timed calls of each kind")
    return p.parse_args()


if __name__ == "__main__":
    run(parse_args())
