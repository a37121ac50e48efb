"""Catalog spreadsheet import against `ckanapi load`, on the same entries: entries per second.

Run it through bench/run_all.sh, which gives both sites empty databases and Solr cores:

    bash bench/run_all.sh import [--entries 50000] [--sample 1000] [--seed 1]

Both sites are govshare (the same catalog schema, validators and plugins). The entries are
bench/catalog.py's, all of one department, without resources (the template describes
entries, not their distributions) and as drafts (what an import makes). The import site gets
all N of them as one .xlsx in the national template (`ckan govshare import`'s code,
catalog_import.run, in-process); the ckanapi site gets the first SAMPLE of the same entries
as JSON lines through `ckanapi load datasets -c INI` (in-process package_create per entry,
one process, ckanapi's default): at 50,000 entries ckanapi would take hours, so it is
measured on the sample and its rate compared. Making the .xlsx is not timed.
`--profile FILE` writes cProfile's statistics of the import (with `--workers 1`: forked
workers are not profiled) to FILE; `--sides import` leaves ckanapi out (no table then).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import catalog
import common
from common import log

SIDES = {"import": "govshare import (.xlsx)", "ckanapi": "ckanapi load"}
DEPARTMENT = catalog.DEPARTMENTS[0]


def entries(n: int, seed: int) -> list[dict[str, Any]]:
    """catalog.py's entries as one department's drafts without resources."""
    made = catalog.make_entries(n, seed)
    for entry in made:
        entry.pop("resources", None)
        entry.pop("catalog_state", None)
        entry["owner_org"] = DEPARTMENT.name
    return made


def workbook(made: list[dict[str, Any]], path: Path) -> None:
    from ckanext.govshare import catalog_io

    with path.open("wb") as out:
        catalog_io.write_xlsx(made, {DEPARTMENT.name: DEPARTMENT.title}, out)


def run_import(ini: str, n: int, seed: int, workdir: Path, workers: int,
               profile: str | None = None) -> dict[str, Any]:
    from ckan import model

    from ckanext.govshare import catalog_import

    with common.site(ini):
        common.require_empty(ini)
        user = common.site_user()
        catalog.setup_site(common.caller(user), "govshare")
        made = entries(n, seed)
        path = workdir / "catalog.xlsx"
        workbook(made, path)
        log("import", f"{path.stat().st_size / 1e6:.1f} MB workbook of {n} entries; importing")
        stages: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if stage != last[1]:
                log("import", f"{stage} …")
            stages[stage] = stages.get(stage, 0.0) + now - last[0]
            last[:] = [now, stage]

        profiler = cProfile.Profile() if profile else None
        cpu_before = sum(getattr(resource.getrusage(who), field) for who in
                         (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                         for field in ("ru_utime", "ru_stime"))
        start = last[0] = time.perf_counter()
        with path.open("rb") as stream:
            if profiler:
                profiler.enable()
            result = catalog_import.run(model.User.get(user), model.Group.get(DEPARTMENT.name),
                                        stream, path.name, progress=progress,
                                        workers=workers)
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
        seconds = time.perf_counter() - start
        cpu = sum(getattr(resource.getrusage(who), field) for who in
                  (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for field in ("ru_utime", "ru_stime")) - cpu_before
        log("import", f"{n} entries in {seconds:.1f} s ({n / seconds:.1f} entries/s), "
                      f"{cpu:.1f} s CPU of the import's processes; "
                      f"stages {json.dumps({k: round(v, 1) for k, v in stages.items()})}")
        assert not result["errors"], result["errors"][:5]
        assert result["created"] == n, result
        count = model.Session.query(model.Package).filter(model.Package.state == "active").count()
        return {"entries": n, "seconds": seconds, "created": result["created"], "in_db": count,
                "stages": stages, "cpu_seconds": cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_ckanapi(ini: str, n: int, seed: int, workdir: Path) -> dict[str, Any]:
    with common.site(ini):
        common.require_empty(ini)
        catalog.setup_site(common.caller(common.site_user()), "govshare")
    path = workdir / "catalog.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for entry in entries(n, seed):
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    ckanapi = Path(sys.executable).with_name("ckanapi")
    log("ckanapi", f"ckanapi load datasets of {n} entries")
    start = time.perf_counter()
    # with -c, ckanapi runs `ckan -c INI api load ...` (its CKAN CLI command): found on PATH
    env = dict(os.environ, PATH=f"{ckanapi.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run([str(ckanapi), "load", "datasets", "-I", str(path), "-c", ini],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"ckanapi load failed:\n{done.stderr[-2000:]}")
    with common.site(ini):
        from ckan import model
        count = model.Session.query(model.Package).filter(model.Package.state == "active").count()
    return {"entries": n, "seconds": seconds, "in_db": count,
            "errors": sum(1 for line in done.stdout.splitlines() if '"error"' in line)}


def print_table(results: dict[str, dict[str, Any]], args: Any, wall: float) -> None:
    imported, loaded = results["import"], results["ckanapi"]
    rate = {side: r["entries"] / r["seconds"] for side, r in results.items()}
    print(f"\n{args.entries} entries imported ({args.workers} processes building the documents), ckanapi load measured on the first {args.sample} "
          f"of them (at {args.entries} it would take about "
          f"{args.entries / rate['ckanapi'] / 3600:.1f} h); seed {args.seed}; "
          f"wall time {wall:.0f} s\n")
    rows = [("entries", str(imported["entries"]), str(loaded["entries"])),
            ("in the database after", str(imported["in_db"]), str(loaded["in_db"])),
            ("seconds", f"{imported['seconds']:.1f}", f"{loaded['seconds']:.1f}"),
            ("entries per second", f"{rate['import']:.1f}", f"{rate['ckanapi']:.1f}"),
            ("speed-up", f"{rate['import'] / rate['ckanapi']:.1f}×", "1×")]
    rows += [(f"  of which {stage} (s)", f"{seconds:.1f}", "–")
             for stage, seconds in imported["stages"].items()]
    rows.append(("CPU of the import's processes (s)", f"{imported['cpu_seconds']:.1f}", "–"))
    rows.append(("peak RSS of the import (MB)", f"{imported['peak_rss_mb']:.0f}", "–"))
    common.print_table(("metric", *SIDES.values()), rows)
    print(f"""
targets: {args.entries} entries in under 10 minutes ({'met' if imported['seconds'] < 600
      else 'NOT met'}: {imported['seconds'] / 60:.1f} min); at least 10× ckanapi load's entries per
  second ({'met' if rate['import'] >= 10 * rate['ckanapi'] else 'NOT met'}).
import: catalog_import.run in-process (what `ckan govshare import` and the RQ job run): read the
  workbook, validate every entry with the catalog schema, bulk-insert in one transaction, build the
  search documents, send them in batches with one Solr commit. ckanapi: `ckanapi load datasets -c`
  (in-process package_create per entry, each indexed and committed), one process.""")


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--entries", type=int, default=5000, help="entries imported")
    p.add_argument("--sample", type=int, default=1000, help="entries loaded by ckanapi")
    p.add_argument("--workers", type=int, default=2,
                   help="processes building the imported entries' search documents")
    for side in SIDES:
        p.add_argument(f"--{side}-ini", default=f".stack/bench-import-{side}.ini")
    p.add_argument("--profile", help="cProfile statistics of the import into this file")
    p.add_argument("--sides", default=",".join(SIDES), help="import,ckanapi or one of them")
    p.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    p.add_argument("--side", help=argparse.SUPPRESS)
    p.add_argument("--ini", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        with tempfile.TemporaryDirectory() as tmp:
            if args.worker == "import":
                result = run_import(args.ini, args.entries, args.seed, Path(tmp), args.workers,
                                    args.profile)
            else:
                result = run_ckanapi(args.ini, min(args.sample, args.entries), args.seed, Path(tmp))
            common.write_result(args.result, result)
        return
    start = time.perf_counter()
    inis = {"import": args.import_ini, "ckanapi": args.ckanapi_ini}
    with tempfile.TemporaryDirectory() as tmp:  # one site after the other
        results = {side: common.run_worker(__file__, side, side, inis[side], Path(tmp, side))
                   for side in SIDES if side in args.sides.split(",")}
    if len(results) == len(SIDES):
        print_table(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
