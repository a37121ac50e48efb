"""What the benchmarks share: their command lines, loading a site's configuration, workers,
timing, percentiles and tables.

bench/*.py are scripts run as ``python bench/NAME.py`` (bench/run.sh, bench/run_all.sh), so
their directory is first on ``sys.path`` and they import this module and bench/catalog.py
by name. A site runs in a worker process of its own because CKAN's configuration is
process-global; a worker is the same script with ``--worker PHASE --side SIDE --ini INI
--result FILE`` added to the parent's arguments, and writes its figures to FILE as JSON.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

SIDES = {"stock": "stock CKAN", "govshare": "govshare"}


def log(side: str, message: str) -> None:
    print(f"[{side}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ command lines

def parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's parser: its docstring's first line, and the seed of the generated data."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--seed", type=int, default=1, help="seed of the generated entries")
    return p


def add_sides(p: argparse.ArgumentParser, ini_prefix: str, phases: tuple[str, ...]) -> None:
    """Options of a benchmark that loads stock CKAN and govshare side by side (.stack/PREFIX-SIDE.ini),
    and the hidden ones of its workers."""
    p.add_argument("--entries", type=int, default=2000, help="entries loaded into each site")
    for side in SIDES:
        p.add_argument(f"--{side}-ini", default=f".stack/{ini_prefix}-{side}.ini")
    p.add_argument("--worker", choices=phases, help=argparse.SUPPRESS)
    p.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    p.add_argument("--ini", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)


def worker_argv(script: str, phase: str, side: str, ini: str, result: Path) -> list[str]:
    """The command of a worker: this process's arguments and the worker's."""
    return [sys.executable, script, *sys.argv[1:], "--worker", phase, "--side", side,
            "--ini", ini, "--result", str(result)]


def run_worker(script: str, phase: str, side: str, ini: str, result: Path) -> dict[str, Any]:
    subprocess.run(worker_argv(script, phase, side, ini, result), check=True)
    return read_result(result)


def read_result(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_result(path: str, result: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(result), encoding="utf-8")


# ------------------------------------------------------------------ a site

def make_app(ini: str, **overrides: Any) -> Any:
    """The CKAN app of INI, with OVERRIDES of its options."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app as ckan_app

    config = load_config(ini)
    config.update(overrides)
    app = ckan_app(config)
    # CKAN's default resource views (image_view, ...) are not enabled on either site, as in a
    # stock install; it warns about that on every resource created.
    logging.getLogger("ckan.lib.datapreview").setLevel(logging.ERROR)
    return app


@contextmanager
def site(ini: str, **overrides: Any) -> Iterator[None]:
    """Inside a request of INI's app, as the portal would run actions."""
    with make_app(ini, **overrides)._wsgi_app.test_request_context():
        yield


def require_empty(ini: str) -> None:
    """A site to load must hold no entry yet (bench/run.sh and bench/run_all.sh reset it)."""
    from ckan import model

    if model.Session.query(model.Package).count():
        sys.exit(f"{ini}: the site is not empty; run bench/run_all.sh, which resets it")


def site_user() -> str:
    from ckan.plugins import toolkit as tk

    return tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


def caller(user: str) -> Callable[..., Any]:
    """``call(action, **data)`` as USER."""
    from ckan.plugins import toolkit as tk

    def call(action: str, **data: Any) -> Any:
        return tk.get_action(action)({"user": user}, data)

    return call


class StatementCounter:
    """Counts the SQL statements of the site's engine; times actions as web requests make them."""

    def __init__(self) -> None:
        from ckan import model
        from sqlalchemy import event

        self.statements = 0
        event.listen(model.meta.engine, "before_cursor_execute", self._statement)

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def timed(self, action: str, user: str, **data: Any) -> tuple[float, int, Any]:
        """One call as a fresh web request would make it (new context, new session):
        milliseconds, SQL statements, result."""
        from ckan import model
        from ckan.plugins import toolkit as tk

        before = self.statements
        start = time.perf_counter()
        result = tk.get_action(action)({"user": user}, data)
        ms = (time.perf_counter() - start) * 1000
        statements = self.statements - before
        model.Session.remove()
        return ms, statements, result


# ------------------------------------------------------------------ figures

def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def p50_p95(values: list[float]) -> str:
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}" if values else "–"


def print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    all_rows = [header, *rows]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    for i, row in enumerate(all_rows):
        print("| " + " | ".join(c.ljust(w) if j == 0 else c.rjust(w)
                                for j, (c, w) in enumerate(zip(row, widths))) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
