"""Grants do not slow search: govshare department A (5,000 grants) and B (none) next to stock CKAN.

Run it through bench/run_all.sh, which gives both sites empty databases and Solr cores:

    bash bench/run_all.sh labels [--entries 2000] [--grants 5000] [--queries 200] [--seed 1]

Both sites get the same N entries as bench/search.py (bench/catalog.py's generator; stock
CKAN as title/notes/tags with the catalog fields as extras, and ``private`` where govshare makes
an entry non-public, so that its members see private datasets through their organization).
Users: on govshare a member of department A (gongan) and one of department B (scjg); on stock
CKAN a member of gongan, the equivalent user. Department A then gets G grants (default 5,000)
in the govshare_grant table: the conditional entries of the other departments, each granted
again and again in consecutive quarters (N entries hold fewer conditional entries than G), the
current quarter's grant active, every tenth entry's current grant revoked, every fifth grant
limited to the entry's resource. The first grants go through govshare_grant_create, the rest are
inserted in bulk with the same values the action would store.

Timed, in-process as the API calls them: package_search (q=*:* and Chinese words, rows=20, full
results with resources) and package_show of conditional entries that A may use through a grant.
Printed next to the latencies: each user's permission labels and the Solr fq actually sent,
which do not grow with grants, and what a label per grant would have sent.

The two sites load in parallel (two processes), then are timed one after the other.
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

import catalog
import common
from common import SIDES, log, p50_p95, percentile

DEPT_A, DEPT_B = "gongan", "scjg"  # the departments of bench/catalog.py with the most entries
USERS = {"A": "bench-member-a", "B": "bench-member-b"}
ROWS = 20
SHOW_ENTRIES = 50
VIA_ACTION = 10  # grants made through govshare_grant_create; the rest in bulk
PUBLISHED = ("general", "authorized")


def conditional_entries(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries A can be granted: conditional, of another department (generator order)."""
    return [e for e in entries if e["share_type"] == "conditional" and e["owner_org"] != DEPT_A]


def current_grant_revoked(rank: int) -> bool:
    """Every tenth grantable entry's current grant is revoked: A may not use its data."""
    return rank % 10 == 9


def show_entries(entries: list[dict[str, Any]]) -> list[str]:
    """Conditional, authorized-open entries of neither A nor B: only a grant lets A or B use
    their data (a general-open one is open data for all), and stock CKAN shows them to everyone
    (published), so all three users can read them."""
    return [e["name"] for rank, e in enumerate(conditional_entries(entries))
            if not current_grant_revoked(rank) and e["owner_org"] != DEPT_B
            and e["open_type"] == "authorized"][:SHOW_ENTRIES]


def search_queries() -> list[str]:
    return ["*:*"] + list(catalog.ZH_QUERIES)


# ------------------------------------------------------------------ worker (one CKAN site)

def create_users(call: Callable[..., Any]) -> None:
    for key, org in (("A", DEPT_A), ("B", DEPT_B)):
        name = USERS[key]
        call("user_create", name=name, email=f"{name}@bench.example", password="bench-password-1")
        call("organization_member_create", id=org, username=name, role="member")


def insert_grants(call: Callable[..., Any], admin: str, entries: list[dict[str, Any]],
                  total: int) -> dict[str, int]:
    """A's grants: grant i is for grantable entry i mod C, in quarter i div C before today's."""
    from ckan import model
    from ckanext.govshare.model import Grant

    grantable = conditional_entries(entries)
    if not grantable:
        sys.exit("no conditional entries of other departments: raise --entries")
    packages = {p.name: p for p in model.Session.query(model.Package).filter(
        model.Package.name.in_([e["name"] for e in grantable]))}
    org_a = model.Group.get(DEPT_A)
    admin_id = model.User.get(admin).id
    today = datetime.date.today()
    now = datetime.datetime.utcnow()
    rows = []
    for i in range(total):
        rank, quarter = i % len(grantable), i // len(grantable)
        package = packages[grantable[rank]["name"]]
        until = today + datetime.timedelta(days=45 - 91 * quarter)
        grant = {"package_id": package.id, "grantee_org": DEPT_A,
                 "resource_ids": [package.resources[0].id] if i % 5 == 0 else None,
                 "valid_from": until - datetime.timedelta(days=90), "valid_until": until,
                 "reason": f"共享申请批复（第{quarter + 1}期）"}
        revoked = quarter == 0 and current_grant_revoked(rank)
        if i < VIA_ACTION and not revoked:
            call("govshare_grant_create", **{**grant, "valid_from": grant["valid_from"].isoformat(),
                                             "valid_until": grant["valid_until"].isoformat(),
                                             "resource_ids": grant["resource_ids"] or []})
            continue
        rows.append({"id": str(uuid.uuid4()), "package_id": package.id, "grantee_org_id": org_a.id,
                     "grantee_user_id": None, "resource_ids": grant["resource_ids"],
                     "valid_from": grant["valid_from"], "valid_until": until,
                     "reason": grant["reason"], "granted_by": admin_id, "created": now,
                     "revoked": now if revoked else None, "revoked_by": admin_id if revoked else None,
                     "revoke_reason": "部门职能调整" if revoked else None})
    model.Session.execute(Grant.__table__.insert(), rows)
    model.Session.commit()
    return {"grantable_entries": len(grantable), "grants": total}


def run_load(side: str, ini: str, args: argparse.Namespace) -> dict[str, Any]:
    """Departments, users, the entries (one package_create each), then A's grants."""
    from ckan.lib.search import make_connection

    # Index without a Solr commit per entry (Solr soft-commits every second); one commit at the end.
    with common.site(ini, **{"ckan.search.solr_commit": "false"}):
        common.require_empty(ini)
        admin = common.site_user()
        as_admin = common.caller(admin)

        def call(action: str, **data: Any) -> Any:
            if side == "stock" and action == "package_create":
                extras = {e["key"]: e["value"] for e in data["extras"]}
                data["private"] = extras.get("open_type") not in PUBLISHED  # as govshare decides
            return as_admin(action, **data)

        catalog.setup_site(call, side)
        create_users(call)
        entries = catalog.make_entries(args.entries, args.seed)
        seconds = catalog.load(call, side, entries)
        result: dict[str, Any] = {"load_s": seconds}
        if side == "govshare":
            start = time.perf_counter()
            result.update(insert_grants(call, admin, entries, args.grants))
            result["grants_s"] = time.perf_counter() - start
        make_connection().commit()
        log(side, f"loaded {args.entries} entries in {seconds:.0f} s")
    return result


class Probe(common.StatementCounter):
    """Counts SQL statements and keeps the fq of the last Solr search."""

    def __init__(self) -> None:
        import pysolr

        super().__init__()
        self.fq: list[str] = []
        original = pysolr.Solr.search

        def search(solr: Any, q: str, search_handler: Any = None, **kwargs: Any) -> Any:
            fq = kwargs.get("fq")
            self.fq = fq if isinstance(fq, list) else [fq] if fq else []
            return original(solr, q, search_handler, **kwargs)

        pysolr.Solr.search = search


def label_fq(fq: list[str]) -> str:
    return next((f for f in fq if f.startswith("+permission_labels:")), "")


def per_grant_fq(org_name: str) -> list[dict[str, Any]]:
    """What designs with a permission label per grant would send for this department: one
    label per grant held, and one per entry with an active grant."""
    import pysolr
    from ckan import model
    from ckan.lib.search import make_connection
    from ckanext.govshare.model import Grant

    org = model.Group.get(org_name)
    held = model.Session.query(Grant.id, Grant.package_id).filter(Grant.grantee_org_id == org.id)
    designs = (("a label per grant held", [g for g, _ in held]),
               ("a label per entry with an active grant",
                sorted({p for _, p in held.filter(Grant.active_clause())})))
    out = []
    for design, labels in designs:
        if not labels:
            continue
        fq = "+permission_labels:(%s)" % " OR ".join(f'"grant-{label}"' for label in labels)
        try:
            make_connection().search(q="*:*", fq=fq, rows=0)
            error = None
        except pysolr.SolrError as e:  # Solr quotes the whole filter back: keep its verdict
            text = str(e)
            status = re.search(r"HTTP \d+", text)
            error = f"{status.group(0) if status else 'error'}: {text.rsplit(':', 1)[-1].strip(' ]')}"
        out.append({"design": design, "labels": len(labels), "fq_chars": len(fq),
                    "error": error[:200] if error else None})
    return out


def run_time(side: str, ini: str, args: argparse.Namespace) -> dict[str, Any]:
    from ckan import model
    from ckan.lib.plugins import get_permission_labels
    from ckan.lib.search import SearchError
    from ckan.plugins import toolkit as tk

    subjects = {"A": USERS["A"], "B": USERS["B"]} if side == "govshare" else {"stock": USERS["A"]}
    entries = catalog.make_entries(args.entries, args.seed)
    shows = show_entries(entries)
    out: dict[str, Any] = {}
    with common.site(ini):
        probe = Probe()
        timed = probe.timed

        def search(user: str, q: str, **extra: Any) -> tuple[float, int, Any]:
            return timed("package_search", user, q=q, rows=ROWS, include_private=True, **extra)

        for key, user in subjects.items():
            r: dict[str, Any] = {"search_all": [], "search_zh": [], "show": [], "errors": 0,
                                 "search_sql": [], "show_sql": []}
            user_obj = model.User.get(user)
            r["labels"] = get_permission_labels().get_user_dataset_labels(user_obj)
            _, _, first = search(user, "*:*")
            r["fq"] = label_fq(probe.fq)
            r["fq_all"] = " ".join(probe.fq)
            r["visible"] = first["count"]
            if side == "govshare":
                r.update(grant_counts(user_obj))
                r["usable_conditional"] = usable_conditional(search, user)
            out[key] = r
            model.Session.remove()
        for q in search_queries():  # warm-up: Solr caches and CKAN's first-call costs
            for user in subjects.values():
                search(user, q)
            for name in shows[:3]:
                for user in subjects.values():
                    timed("package_show", user, id=name)

        keys = list(subjects)
        zh = catalog.ZH_QUERIES
        for i in range(args.queries):
            order = keys[i % len(keys):] + keys[:i % len(keys)]  # no user always goes first
            for key in order:
                r, user = out[key], subjects[key]
                for q, bucket in (("*:*", "search_all"), (zh[i % len(zh)], "search_zh")):
                    try:
                        ms, statements, _ = search(user, q)
                    except (SearchError, tk.ValidationError):  # e.g. too many boolean clauses
                        r["errors"] += 1
                        continue
                    r[bucket].append(ms)
                    r["search_sql"].append(statements)
                ms, statements, shown = timed("package_show", user, id=shows[i % len(shows)])
                r["show"].append(ms)
                r["show_sql"].append(statements)
                r["show_data_access"] = r.get("show_data_access", 0) + all(
                    res.get("data_access", True) for res in shown["resources"])
        if side == "govshare":
            out["per_grant"] = per_grant_fq(DEPT_A)
            from ckanext.govshare.model import Usage
            out["usage_rows"] = model.Session.query(Usage).count()
    out["show_entries"] = len(shows)
    out["loadavg"] = os.getloadavg()[0]
    return out


def grant_counts(user: Any) -> dict[str, int]:
    from ckan import model
    from ckanext.govshare import access
    from ckanext.govshare.model import Grant

    departments = access.department_ids(user)
    query = model.Session.query(Grant).filter(Grant.grantee_org_id.in_(departments))
    return {"grants": query.count(), "grants_active": query.filter(Grant.active_clause()).count()}


def usable_conditional(search: Callable[..., Any], user: str) -> int:
    """Conditional entries of other departments whose data the user may use (all pages)."""
    usable, start = 0, 0
    while True:
        _, _, page = search(user, "*:*", fq="+share_type:conditional -open_type:general",
                            start=start)
        for result in page["results"]:
            own = result["organization"]["name"] in (DEPT_A, DEPT_B)
            if not own and result["resources"] and all(r["data_access"] for r in result["resources"]):
                usable += 1
        start += len(page["results"])
        if start >= page["count"] or not page["results"]:
            return usable


# ------------------------------------------------------------------ parent: both sites, one table

def run_workers(args: argparse.Namespace) -> dict[str, Any]:
    inis = {"stock": args.stock_ini, "govshare": args.govshare_ini}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Load both sites at once (2 cores), then time them one after the other.
        procs = {side: subprocess.Popen(common.worker_argv(__file__, "load", side, inis[side],
                                                           Path(tmp, f"load-{side}")))
                 for side in SIDES}
        if any(p.wait() for p in procs.values()):
            sys.exit("loading failed")
        for side in SIDES:
            results[f"load-{side}"] = common.read_result(Path(tmp, f"load-{side}"))
        for side in SIDES:
            results[side] = common.run_worker(__file__, "time", side, inis[side], Path(tmp, f"time-{side}"))
    return results


def _median(values: list[int]) -> str:
    return str(int(percentile(values, 50))) if values else "–"


def print_table(res: dict[str, Any], args: argparse.Namespace, wall: float) -> None:
    g, s = res["govshare"], res["stock"]
    a, b, st = g["A"], g["B"], s["stock"]
    load = res["load-govshare"]
    print(f"\n{args.entries} entries (seed {args.seed}), the same on both sites; department A "
          f"holds {load['grants']} grants over {load['grantable_entries']} conditional entries of "
          f"other departments; {args.queries} timed calls per user and kind; wall time {wall:.0f} s "
          f"(loading: stock {res['load-stock']['load_s']:.0f} s, govshare {load['load_s']:.0f} s "
          f"+ grants {load['grants_s']:.1f} s)\n")
    cols = ("", f"govshare, member of A ({DEPT_A})", f"govshare, member of B ({DEPT_B})",
            f"stock CKAN, member of {DEPT_A}")

    def fq_len(r: dict[str, Any]) -> str:
        return f"{len(r['fq'])} ({len(r['fq_all'])})"

    rows = [
        ("grants held by the department (active)", f"{a['grants']} ({a['grants_active']})",
         f"{b['grants']} ({b['grants_active']})", "– (no grants)"),
        ("permission labels of the user", str(len(a["labels"])), str(len(b["labels"])),
         str(len(st["labels"]))),
        ("Solr fq chars: label filter (whole fq)", fq_len(a), fq_len(b), fq_len(st)),
        ("entries visible (q=*:*)", str(a["visible"]), str(b["visible"]), str(st["visible"])),
        ("others' conditional entries, not open to all, usable", str(a["usable_conditional"]),
         str(b["usable_conditional"]), "– (URLs shown to all who see)"),
        ("package_search q=*:* p50 / p95 (ms)", p50_p95(a["search_all"]), p50_p95(b["search_all"]),
         p50_p95(st["search_all"])),
        ("package_search Chinese words p50 / p95 (ms)", p50_p95(a["search_zh"]), p50_p95(b["search_zh"]),
         p50_p95(st["search_zh"])),
        ("SQL statements per package_search (median)", _median(a["search_sql"]),
         _median(b["search_sql"]), _median(st["search_sql"])),
        ("package_search errors", str(a["errors"]), str(b["errors"]), str(st["errors"])),
        ("package_show, conditional entry p50 / p95 (ms)", p50_p95(a["show"]), p50_p95(b["show"]),
         p50_p95(st["show"])),
        ("SQL statements per package_show (median)", _median(a["show_sql"]), _median(b["show_sql"]),
         _median(st["show_sql"])),
        ("package_show calls with all data usable", f"{a['show_data_access']}/{len(a['show'])}",
         f"{b['show_data_access']}/{len(b['show'])}", f"{st['show_data_access']}/{len(st['show'])}"),
    ]
    common.print_table(cols, rows)
    print(f"""
labels of A: {', '.join(a['labels'])}
label filter sent for A: {a['fq']}
label filter sent for B: {b['fq']}
  A's and B's differ only by ids (the user's, the department's): labels come from departments,
  never from grants, so the filter has the same {len(a['labels'])} clauses with 0 or {a['grants']} grants. Grants count
  after Solr, in one indexed query per page (package_id IN page AND grantee) and per package_show.
  For comparison, designs that govshare does not use, sent for A to the same Solr core:""")
    for design in g["per_grant"]:
        print(f"  - {design['design']}: {design['labels']} clauses, {design['fq_chars']} chars: "
              f"{design['error'] or 'accepted'}")
    print(f"""
latency: package_search and package_show called in-process as the API calls them (new context and
  database session per call, not HTTP), rows={ROWS} with full results and resources; q=*:* and the
  {len(catalog.ZH_QUERIES)} Chinese words of bench/catalog.py in turn; users alternate, after one untimed pass.
  include_private=true on both sites (the search page's default). package_show cycles through
  {g['show_entries']} conditional, authorized-open entries of other departments, which A may use by a grant
  (govshare records each such read in govshare_usage: {g['usage_rows']} rows written during the run)
  and B may not; stock CKAN shows their URLs to anyone. "(whole fq)": with site, state and
  capacity filters. The sites run one after the other on the same machine (1-minute load average
  after timing: stock {s['loadavg']:.1f}, govshare {g['loadavg']:.1f}; {os.cpu_count()} cores).""")


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--grants", type=int, default=5000, help="grants of department A")
    p.add_argument("--queries", type=int, default=200, help="timed calls per user and kind")
    common.add_sides(p, "bench-labels", ("load", "time"))
    args = p.parse_args()
    if args.worker:
        run = run_load if args.worker == "load" else run_time
        common.write_result(args.result, run(args.side, args.ini, args))
        return
    start = time.perf_counter()
    results = run_workers(args)
    print_table(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
