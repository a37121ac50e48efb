"""Under load, side by side: stock CKAN and govshare served by gunicorn to N concurrent clients.

Run it through bench/run_all.sh, which gives both sites empty databases and Solr cores:

    bash bench/run_all.sh load [--entries 2000] [--clients 10,50,100] [--duration 20]
                               [--warmup 10] [--workers W] [--seed 1]

Both sites get the same N entries as bench/search.py (bench/catalog.py's generator; stock CKAN
as title/notes/tags with the catalog fields as extras, ``private`` where govshare does not
publish an entry, as bench/labels.py does), an uploaded CSV file on up to 50 general-open
entries, and per department a member and an admin with an API token. The two sites are set
up at once (two processes), then served one after the other: gunicorn with
docker/gunicorn.conf.py and docker/wsgi.py, the same number of workers (--workers, default
the configuration's), on a free port of 127.0.0.1; only the address is overridden on the
command line. GUNICORN_* variables of the environment reach both servers alike.

Each server is warmed up (--warmup seconds with as many clients as workers, not counted),
then loaded by each number of clients in turn for --duration seconds: every client (a thread
with its own connection) makes one call after the other, without pause, drawn from the mix of
MIX below. Throughput is the successful calls per second; an error is a connection failure,
a timeout or an answer other than the expected one (status 200, and ``success`` for the API).
The server's memory is the sum of the resident sizes of gunicorn's master and workers,
sampled every SAMPLE_S seconds (/proc).

Stock CKAN has no share requests: the share-request calls are govshare's only, and a stock
client draws another call in their place; they are marked n/a.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import io
import itertools
import json
import os
import random
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import catalog
import common
from common import SIDES, log, percentile

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "docker" / "gunicorn.conf.py"
PUBLISHED = ("general", "authorized")  # the open types govshare publishes (bench/labels.py)
UPLOADS = 50
OWN_SHOWN = 20  # entries of their own department a signed-in user opens
ROWS = 20
TIMEOUT_S = 120  # a client waits as long as gunicorn lets a worker work (its default timeout)
SAMPLE_S = 0.25
FACETS = ("organization", "groups", "tags", "res_format")
READY_S = 300


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    page: bool = False  # an HTML page, counted in the page p95
    govshare_only: bool = False
    # The same page on both sites. Not so for Chinese words: stock CKAN's English analyser finds
    # no entry for most of them, so its page is an empty list where govshare's lists 20 entries.
    like_for_like: bool = True


KINDS = (
    Kind("home", "home page, anonymous", page=True),
    Kind("search", "search page, words both sites find (English, + a facet), anonymous", page=True),
    Kind("search_zh", "search page, Chinese words (+ a facet), anonymous", page=True,
         like_for_like=False),
    Kind("entry", "entry page, anonymous", page=True),
    Kind("download", "resource download (uploaded CSV), anonymous"),
    Kind("api_search", "API package_search, Chinese words, facets"),
    Kind("api_show", "API package_show"),
    Kind("user_search", "search page, signed-in department member", page=True),
    Kind("user_entry", "entry page, signed-in department member", page=True),
    Kind("user_dashboard", "dashboard datasets page, signed in", page=True),
    Kind("request_file", "share request filed (API), member", govshare_only=True),
    Kind("request_inbox", "request inbox page, provider admin", govshare_only=True),
    Kind("request_decide", "share request approved/refused (API)", govshare_only=True),
)
KIND = {k.name: k for k in KINDS}
TARGET_PAGES = ("home", "search", "entry")  # each within 1.2x stock's p95, as all pages together
# What a client does next, by weight: a scenario is one or more calls (the kinds it records).
MIX = {"home": 8, "search": 12, "search_zh": 8, "entry": 16, "download": 8, "api_search": 12, "api_show": 12,
       "user_search": 8, "user_entry": 8, "user_dashboard": 4, "share_request": 4}


# ------------------------------------------------------------------ worker: set up one site

def upload_csv(entry: dict[str, Any]) -> bytes:
    """A small CSV of the entry's information items, as a department publishes one."""
    out = io.StringIO()
    writer = csv.writer(out)
    names = [i["name"] for i in entry["info_items"]]
    writer.writerow(names)
    for row in range(200):
        writer.writerow([f"{name}{row:04d}" for name in names])
    return out.getvalue().encode("utf-8")


def create_users(call: Callable[..., Any]) -> dict[str, dict[str, str]]:
    """Per department a member and an admin, each with an API token: {role: {dept: token}}."""
    tokens: dict[str, dict[str, str]] = {"member": {}, "admin": {}}
    for department in catalog.DEPARTMENTS:
        for role in tokens:
            name = f"load-{role}-{department.name}"
            call("user_create", name=name, email=f"{name}@bench.example", password="bench-password-1")
            call("organization_member_create", id=department.name, username=name, role=role)
            tokens[role][department.name] = call("api_token_create", user=name, name="bench")["token"]
    return tokens


def run_setup(side: str, ini: str, args: argparse.Namespace) -> dict[str, Any]:
    """Departments, users, entries, uploads; returns what the clients ask for (the plan)."""
    from ckan.lib.search import make_connection
    from werkzeug.datastructures import FileStorage

    # Index without a Solr commit per entry (Solr soft-commits every second); one commit at the end.
    with common.site(ini, **{"ckan.search.solr_commit": "false"}):
        common.require_empty(ini)
        call = common.caller(common.site_user())
        catalog.setup_site(call, side)
        tokens = create_users(call)
        entries = catalog.make_entries(args.entries, args.seed)

        def create(action: str, **data: Any) -> Any:
            if side == "stock":
                data["private"] = data_of(data).get("open_type") not in PUBLISHED
            return call(action, **data)

        seconds = catalog.load(create, side, entries)
        downloads = []
        for entry in [e for e in entries if e["open_type"] == "general"][:UPLOADS]:
            resource = call("resource_create", package_id=entry["name"], name="数据文件", format="CSV",
                            description="批量下载", **({"access_method": "bulk_download"}
                                                   if side == "govshare" else {}),
                            upload=FileStorage(io.BytesIO(upload_csv(entry)), filename="data.csv"))
            downloads.append(f"/dataset/{entry['name']}/resource/{resource['id']}/download/data.csv")
        make_connection().commit()
        log(side, f"loaded {len(entries)} entries in {seconds:.0f} s, {len(downloads)} uploads")
    return {"load_s": seconds, "tokens": tokens, "downloads": downloads, **plan_entries(entries)}


def data_of(data: dict[str, Any]) -> dict[str, Any]:
    """The catalog fields of a stock package (extras) as one dict."""
    return {e["key"]: e["value"] for e in data.get("extras", [])}


def plan_entries(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Which entries each kind of call opens; all visible on both sites to whom opens them."""
    public = [e["name"] for e in entries if e["open_type"] in PUBLISHED]
    own: dict[str, list[str]] = {d.name: [] for d in catalog.DEPARTMENTS}
    for e in entries:
        if len(own[e["owner_org"]]) < OWN_SHOWN:
            own[e["owner_org"]].append(e["name"])
    conditional = [e for e in entries if e["share_type"] == "conditional"]
    # Seen by any department member: published on both sites; stock CKAN shows it to all.
    shared = [[e["name"], e["owner_org"]] for e in conditional if e["open_type"] in PUBLISHED]
    pairs = [[d.name, e["name"], e["owner_org"]] for e in conditional
             for d in catalog.DEPARTMENTS if d.name != e["owner_org"]]
    random.Random(0).shuffle(pairs)
    return {"public": public, "own": own, "shared": shared, "pairs": pairs}


# ------------------------------------------------------------------ the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configured_workers() -> int:
    """The worker count docker/gunicorn.conf.py gives in this environment."""
    return int(runpy.run_path(str(GUNICORN_CONF))["workers"])


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0  # a worker that just exited


def children(pid: int) -> list[int]:
    """gunicorn's workers: the master's child processes."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


class Server:
    """gunicorn serving a site's ini, and a sampler of its processes' memory."""

    def __init__(self, side: str, ini: str, workers: int, log_dir: Path) -> None:
        self.side, self.workers = side, workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"bench-load-{side}-gunicorn.log"
        env = {**os.environ, "CKAN_INI": str(Path(ini).resolve()), "GUNICORN_WORKERS": str(workers),
               "CKAN_SITE_URL": self.base}
        self.log_file = open(self.log_path, "w")
        # As make run and docker/ do: webassets built once, not by the first requests of
        # several workers at once (which collide on the webassets cache).
        subprocess.run([str(Path(sys.executable).with_name("ckan")), "-c", env["CKAN_INI"],
                        "asset", "build"], env=env, stdout=self.log_file,
                       stderr=subprocess.STDOUT, check=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "--bind",
             f"127.0.0.1:{self.port}", "--pythonpath", str(ROOT / "docker"), "wsgi:application"],
            env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self.peak = 0
        self.worker_pids: set[int] = set()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            pids = children(self.proc.pid)
            self.worker_pids.update(pids)
            self.peak = max(self.peak, sum(rss_bytes(p) for p in [self.proc.pid, *pids]))

    def take_peak(self) -> float:
        """The peak memory (MB) since the last call."""
        peak, self.peak = self.peak, 0
        return peak / 2**20

    def wait_ready(self) -> None:
        """Until every worker has booted and the site answers."""
        import requests

        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"gunicorn ({self.side}) exited; see {self.log_path}")
            booted = self.log_path.read_text(errors="replace").count("Booting worker")
            try:
                answer = requests.get(f"{self.base}/api/3/action/status_show", timeout=10)
                if answer.status_code == 200 and booted >= self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        sys.exit(f"gunicorn ({self.side}) did not answer in {READY_S} s; see {self.log_path}")

    def stop(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()


# ------------------------------------------------------------------ the clients

@dataclass
class Record:
    """One client's calls: kind -> latencies (ms) of successes, errors, a few error notes."""
    ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Client:
    """One simulated user session: a connection, a random stream of calls from MIX."""

    def __init__(self, base: str, plan: dict[str, Any], side: str, seed: int,
                 pairs: Pairs) -> None:
        import requests

        self.base, self.plan, self.side = base, plan, side
        self.http = requests.Session()
        self.rng = random.Random(seed)
        self.pairs = pairs
        self.record = Record()
        self.failure: Optional[Exception] = None
        self.scenarios = {name: weight for name, weight in MIX.items()
                          if side == "govshare" or name != "share_request"}

    def call(self, kind: str, method: str, path: str, token: Optional[str] = None,
             **kwargs: Any) -> Optional[dict[str, Any]]:
        """One timed call; the API's result when it succeeded, {} for a page, None on error."""
        import requests

        headers = {"Authorization": token} if token else {}
        start = time.perf_counter()
        try:
            answer = self.http.request(method, self.base + path, headers=headers, timeout=TIMEOUT_S,
                                       allow_redirects=False, **kwargs)
            ms = (time.perf_counter() - start) * 1000
            result: Optional[dict[str, Any]] = {}
            if answer.status_code != 200:
                result, note = None, f"HTTP {answer.status_code}"
            elif path.startswith("/api/"):
                body = answer.json()
                result = body["result"] if body.get("success") else None
                note = json.dumps(body.get("error"), ensure_ascii=False)[:200]
        except requests.RequestException as failure:
            ms, result, note = (time.perf_counter() - start) * 1000, None, type(failure).__name__
        if result is None:
            self.record.errors[kind] = self.record.errors.get(kind, 0) + 1
            if len(self.record.notes) < 5:
                self.record.notes.append(f"{kind} {method} {path[:120]}: {note}")
        else:
            self.record.ms.setdefault(kind, []).append(ms)
        return result

    def words(self, queries: tuple[str, ...] = catalog.ZH_QUERIES) -> str:
        return self.rng.choice(queries)

    def search_params(self, queries: tuple[str, ...] = catalog.EN_QUERIES) -> dict[str, str]:
        """Words of QUERIES (by default English ones, which both sites find), and on every
        other search a facet the page offers."""
        params = {"q": self.words(queries)}
        department = self.rng.choice(catalog.DEPARTMENTS)
        facet = self.rng.choice((None, "tags", "organization", "groups", "res_format"))
        if facet:
            params[facet] = {"tags": department.tag, "organization": department.name,
                             "groups": self.rng.choice(list(catalog.THEMES)),
                             "res_format": self.rng.choice(("XLSX", "CSV", "PDF", "ORACLE"))}[facet]
        return params

    def step(self, scenario: Optional[str] = None) -> None:
        """One scenario of MIX: SCENARIO, or one drawn by its weight."""
        plan, rng = self.plan, self.rng
        scenario = scenario or rng.choices(list(self.scenarios), list(self.scenarios.values()))[0]
        dept = rng.choice(catalog.DEPARTMENTS).name
        member = plan["tokens"]["member"][dept]
        if scenario == "home":
            self.call("home", "GET", "/")
        elif scenario == "search":
            self.call("search", "GET", "/dataset/", params=self.search_params())
        elif scenario == "search_zh":
            self.call("search_zh", "GET", "/dataset/", params=self.search_params(catalog.ZH_QUERIES))
        elif scenario == "entry":
            self.call("entry", "GET", f"/dataset/{rng.choice(plan['public'])}")
        elif scenario == "download":
            self.call("download", "GET", rng.choice(plan["downloads"]))
        elif scenario == "api_search":
            self.call("api_search", "GET", "/api/3/action/package_search", params={
                "q": self.words(), "rows": ROWS, "facet.field": json.dumps(FACETS)})
        elif scenario == "api_show":
            self.call("api_show", "GET", "/api/3/action/package_show",
                      params={"id": rng.choice(plan["public"])})
        elif scenario == "user_search":
            self.call("user_search", "GET", "/dataset/", member, params=self.search_params())
        elif scenario == "user_entry":
            # Their own department's entries (also those not published) or another's conditional one.
            dept = rng.choice([d for d, names in plan["own"].items() if names])
            others = [name for name, org in plan["shared"] if org != dept]
            name = rng.choice(plan["own"][dept] if rng.random() < 0.5 or not others else others)
            self.call("user_entry", "GET", f"/dataset/{name}", plan["tokens"]["member"][dept])
        elif scenario == "user_dashboard":
            self.call("user_dashboard", "GET", "/dashboard/datasets", member)
        else:
            self.share_request()

    def share_request(self) -> None:
        """A member files a share request; the provider's admin opens the inbox and decides."""
        tokens = self.plan["tokens"]
        requester, name, provider = self.pairs.next()
        today = datetime.date.today()
        filed = self.call("request_file", "POST", "/api/3/action/govshare_request_create",
                          tokens["member"][requester], json={
                              "package_id": name, "usage_scope": ["work_reference"],
                              "purpose": "用于行政审批事项办理中的信息核验",
                              "basis": "《政务信息资源共享管理办法》", "contact": "0000-12345678",
                              "period_start": today.isoformat(),
                              "period_end": (today + datetime.timedelta(days=180)).isoformat()})
        admin = tokens["admin"][provider]
        self.call("request_inbox", "GET", "/govshare/requests", admin)
        if filed is None:
            return
        if self.rng.random() < 0.7:
            self.call("request_decide", "POST", "/api/3/action/govshare_request_approve", admin,
                      json={"id": filed["id"]})
        else:
            self.call("request_decide", "POST", "/api/3/action/govshare_request_refuse", admin,
                      json={"id": filed["id"], "reason": "申请用途超出共享条件范围"})

    def run(self, until: float, every_scenario: bool = False) -> None:
        """Calls until UNTIL (monotonic), after one of each scenario if EVERY_SCENARIO. A
        failure of the client itself (not of a call) is kept, for drive() to raise."""
        try:
            for scenario in self.scenarios if every_scenario else ():
                self.step(scenario)
            while time.monotonic() < until:
                self.step()
        except Exception as failure:  # re-raised by drive() in the main thread
            self.failure = failure


class Pairs:
    """(requester department, entry, provider department) in turn, for all clients at once."""

    def __init__(self, pairs: list[list[str]]) -> None:
        self._cycle = itertools.cycle(pairs)
        self._lock = threading.Lock()

    def next(self) -> list[str]:
        with self._lock:
            return next(self._cycle)


def drive(base: str, plan: dict[str, Any], side: str, clients: int, seconds: float,
          seed: int, pairs: Pairs, every_scenario: bool = False) -> dict[str, Any]:
    """CLIENTS clients for SECONDS: every call's latency by kind, errors, throughput."""
    sessions = [Client(base, plan, side, seed * 10_000 + i, pairs) for i in range(clients)]
    start = time.monotonic()
    threads = [threading.Thread(target=c.run, args=(start + seconds, every_scenario))
               for c in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    failure = next((c.failure for c in sessions if c.failure), None)
    if failure:
        raise failure
    ms: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    notes: list[str] = []
    for c in sessions:
        for kind, values in c.record.ms.items():
            ms.setdefault(kind, []).extend(values)
        for kind, n in c.record.errors.items():
            errors[kind] = errors.get(kind, 0) + n
        notes += c.record.notes
    ok = sum(len(v) for v in ms.values())
    return {"clients": clients, "seconds": elapsed, "ok": ok, "errors": errors,
            "throughput": ok / elapsed, "ms": ms, "notes": notes[:10]}


def run_site(side: str, ini: str, plan: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Serve the site, warm it up, load it at each number of clients, stop it."""
    server = Server(side, ini, args.workers, Path(args.log_dir))
    try:
        server.wait_ready()
        pairs = Pairs(plan["pairs"])
        boot_mb = server.take_peak()
        log(side, f"gunicorn with {args.workers} workers on {server.base}; warming up "
                  f"{args.warmup:g} s")
        # Every client (one per worker) makes each scenario's calls once, then the mix.
        warm = drive(server.base, plan, side, args.workers, args.warmup, args.seed, pairs,
                     every_scenario=True)
        levels = []
        for clients in args.clients:
            server.take_peak()
            level = drive(server.base, plan, side, clients, args.duration, args.seed + clients, pairs)
            level["peak_mb"] = server.take_peak()
            log(side, f"{clients} clients: {level['throughput']:.1f} calls/s, "
                      f"{sum(level['errors'].values())} errors")
            levels.append(level)
    finally:
        server.stop()
    return {"levels": levels, "boot_mb": boot_mb, "warmup_errors": sum(warm["errors"].values()),
            "warmup_kinds": sorted(warm["ms"]),
            "warmup_notes": warm["notes"], "worker_processes": len(server.worker_pids),
            "log": str(server.log_path)}


# ------------------------------------------------------------------ figures and verdicts

def pages_ms(level: dict[str, Any]) -> list[float]:
    """Latencies of the HTML pages both sites serve alike (the page p95 of the targets)."""
    return [ms for kind, values in level["ms"].items() if KIND[kind].page
            and KIND[kind].like_for_like and not KIND[kind].govshare_only for ms in values]


def p95_ratio(stock_ms: list[float], govshare_ms: list[float]) -> Optional[float]:
    return (percentile(govshare_ms, 95) / percentile(stock_ms, 95)
            if stock_ms and govshare_ms else None)


def pcts(values: list[float]) -> str:
    if not values:
        return "–"
    return " / ".join(f"{percentile(values, p):.0f}" for p in (50, 95, 99))


def verdicts(stock: dict[str, Any], govshare: dict[str, Any]) -> dict[str, Any]:
    """The targets at one number of clients: 0 errors, throughput >= 0.9x, the p95 of all
    pages and of each of TARGET_PAGES (those measured) <= 1.2x."""
    errors = sum(stock["errors"].values()) + sum(govshare["errors"].values())
    throughput = govshare["throughput"] / stock["throughput"] if stock["throughput"] else None
    p95 = p95_ratio(pages_ms(stock), pages_ms(govshare))
    each = {kind: p95_ratio(stock["ms"].get(kind, []), govshare["ms"].get(kind, []))
            for kind in TARGET_PAGES}
    return {"errors": errors, "throughput_ratio": throughput, "page_p95_ratio": p95,
            "page_p95_ratios": each,
            "ok": errors == 0 and throughput is not None and throughput >= 0.9
            and p95 is not None and p95 <= 1.2
            and all(ratio <= 1.2 for ratio in each.values() if ratio is not None)}


def _ratio(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}×"


def level_rows(levels: dict[str, dict[str, Any]], sides: list[str]) -> list[tuple[str, ...]]:
    """(metric, value per side) of one number of clients, in table order."""
    def row(metric: str, cell: Callable[[dict[str, Any], str], str]) -> tuple[str, ...]:
        return (metric, *(cell(levels[side], side) for side in sides))

    rows = [row("throughput (successful calls/s)", lambda lv, _: f"{lv['throughput']:.1f}"),
            row("calls (errors)", lambda lv, _: f"{lv['ok']} ({sum(lv['errors'].values())})")]
    for kind in KINDS:
        def cell(lv: dict[str, Any], side: str, kind: Kind = kind) -> str:
            if kind.govshare_only and side == "stock":
                return "n/a"
            text = pcts(lv["ms"].get(kind.name, []))
            errors = lv["errors"].get(kind.name, 0)
            return f"{text} ({errors} err)" if errors else text
        rows.append(row(f"{kind.label} p50/p95/p99 ms", cell))
    rows += [row("all pages both serve, p50/p95/p99 ms", lambda lv, _: pcts(pages_ms(lv))),
             row("server peak memory, master + workers (MB)", lambda lv, _: f"{lv['peak_mb']:.0f}")]
    return rows


def print_report(results: dict[str, Any], args: argparse.Namespace, wall: float) -> None:
    sides = [s for s in SIDES if s in results]
    loads = ", ".join(f"{s} {results[s]['load_s']:.0f} s" for s in sides)
    print(f"\n{args.entries} entries (seed {args.seed}), the same on both sites; gunicorn "
          f"(docker/gunicorn.conf.py) with {args.workers} workers each, one site after the other; "
          f"{args.duration:g} s per level after {args.warmup:g} s of warm-up; wall time {wall:.0f} s "
          f"(loading: {loads}); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    for i, clients in enumerate(args.clients):
        levels = {side: results[side]["levels"][i] for side in sides}
        print(f"### {clients} concurrent clients\n")
        common.print_table(("", *(SIDES[s] for s in sides)), level_rows(levels, sides))
        for side in sides:
            for note in levels[side]["notes"]:
                print(f"  {side} error: {note}")
        print()
    if len(sides) == 2:
        print("### targets\n")
        rows = []
        for i, clients in enumerate(args.clients):
            v = verdicts(results["stock"]["levels"][i], results["govshare"]["levels"][i])
            rows.append((f"{clients} clients", str(v["errors"]), _ratio(v["throughput_ratio"]),
                         *(_ratio(v["page_p95_ratios"][kind]) for kind in TARGET_PAGES),
                         _ratio(v["page_p95_ratio"]), "met" if v["ok"] else "NOT met"))
        common.print_table(("", "errors (both sites; target 0)", "throughput govshare/stock (≥ 0.90×)",
                            *(f"{kind} page p95 (≤ 1.20×)" for kind in TARGET_PAGES),
                            "all pages p95 govshare/stock (≤ 1.20×)", "targets"), rows)
    for side in sides:
        r = results[side]
        print(f"\n{SIDES[side]}: {r['worker_processes']} worker processes seen, "
              f"{r['boot_mb']:.0f} MB after start, {r['warmup_errors']} warm-up errors; log {r['log']}")
    print(f"""
mix (weights per call drawn): {', '.join(f'{k} {w}' for k, w in MIX.items())}; share_request is
  three calls (request_file, request_inbox, request_decide), govshare only: on stock CKAN, which
  has no share requests, a client draws another call instead, so the two mixes differ by that.
  Clients call without pause (closed loop), each with its own connection; latency is the whole
  answer read by the client, queueing in gunicorn's backlog included. Signed-in calls carry the
  user's API token. Pages: home, search, entry, signed-in search/entry/dashboard (HTML). The
  search pages (anonymous and signed in) search English words, which both sites find; the
  Chinese-word search page is shown beside them and left out of the targets: stock CKAN's
  English analyser finds no entry for most Chinese words, so its page is an empty list.""")


def parse_clients(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--clients", type=parse_clients, default=[10, 50, 100],
                   help="numbers of concurrent clients, comma-separated (default 10,50,100)")
    p.add_argument("--duration", type=float, default=20, help="seconds of load per number of clients")
    p.add_argument("--warmup", type=float, default=10, help="seconds of warm-up per site")
    p.add_argument("--workers", type=int, default=configured_workers(),
                   help="gunicorn workers of each site (default: docker/gunicorn.conf.py's)")
    p.add_argument("--sites", default=",".join(SIDES),
                   help="the sites to run, comma-separated (default stock,govshare)")
    p.add_argument("--log-dir", default=str(ROOT / ".stack"), help="where gunicorn's logs go")
    p.add_argument("--json", help="also write the figures to this file")
    common.add_sides(p, "bench-load", ("setup",))
    args = p.parse_args()
    if args.worker:
        common.write_result(args.result, run_setup(args.side, args.ini, args))
        return
    start = time.perf_counter()
    inis = {"stock": args.stock_ini, "govshare": args.govshare_ini}
    sites = [s for s in SIDES if s in args.sites.split(",")]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # Set both sites up at once, then serve them one after the other.
        procs = {side: subprocess.Popen(common.worker_argv(__file__, "setup", side, inis[side],
                                                           Path(tmp, side))) for side in sites}
        if any(p.wait() for p in procs.values()):
            sys.exit("setting a site up failed")
        plans = {side: common.read_result(Path(tmp, side)) for side in sites}
    for what in ("public", "downloads", "shared", "pairs"):
        if not plans[sites[0]][what]:
            sys.exit(f"no entries for the calls that need {what}: raise --entries")
    for side in sites:
        results[side] = {"load_s": plans[side]["load_s"],
                         **run_site(side, inis[side], plans[side], args)}
    if args.json:
        Path(args.json).write_text(json.dumps(results), encoding="utf-8")
    print_report(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
