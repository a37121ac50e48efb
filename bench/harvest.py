"""How long a provincial platform takes to harvest the city's catalog (issue 12, item 3).

    .venv/bin/python bench/harvest.py               # the demo city (ckan govshare demo-load)
    .venv/bin/python bench/harvest.py --entries N   # N entries of bench/catalog.py
    .venv/bin/python bench/harvest.py --entries 50000 --bulk   # loaded by catalog.deferred_load

On the test stack (`make test` started it): the city is the test site's database and core,
emptied and loaded here (so do not run it while tests run); the province is the platform of
tests/harvest_sites.py. Both serve HTTP with `ckan run`; the province harvests the city's
open catalog (anonymous, 100 entries a page) with ckanext-harvest's `ckan harvester run-test`
and source type govshare_dcat, twice: the first harvest creates every entry, the second
finds nothing changed. Prints entries and seconds of each.

Measured 2026-12-01 on the shared 2-core machine (other test runs beside it): demo city,
169 open entries: 27.8 s, again 12.3 s (169 not modified); --entries 1000, 542 open
entries: 94.8 s, again 33.8 s (542 not modified). 2026-12-02, idle, before migration
0018_harvest_guid: --entries 50000 --bulk, loaded in 1695 s, 26,528 open entries: 5874.5 s
(gather 24 min, import 73 min); the re-harvest was not run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from common import caller, log, make_app, print_table, site_user  # noqa: E402


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--entries", type=int, default=0,
                         help="entries of bench/catalog.py instead of the demo city")
    options.add_argument("--bulk", action="store_true",
                         help="load the entries with the index deferred, two loaders "
                              "(catalog.deferred_load; for 10^4-10^5 entries)")
    options.add_argument("--seed", type=int, default=12)
    args = options.parse_args()
    test_ini = str(ROOT / "config" / "test.ini")
    with make_app(test_ini)._wsgi_app.test_request_context():
        import harvest_sites
        from conftest import uscc

        tmp = Path(tempfile.mkdtemp(prefix="bench_harvest_"))
        lower = harvest_sites.city(tmp)
        for command in (("db", "clean", "--yes"), ("db", "upgrade"),
                        ("db", "pending-migrations", "--apply"), ("search-index", "clear")):
            lower.ckan(*command)
        started = time.monotonic()
        if args.entries:
            import catalog

            with make_app(str(lower.ini))._wsgi_app.test_request_context():
                user = site_user()
                catalog.setup_site(caller(user), "govshare")
                entries = catalog.make_entries(args.entries, args.seed)
                if args.bulk:
                    catalog.deferred_load(user, "govshare", entries)
                else:
                    catalog.load(caller(user), "govshare", entries)
        else:
            lower.ckan("govshare", "demo-load")
        loaded = time.monotonic() - started
        log("city", f"loaded in {loaded:.0f} s")
        upper = harvest_sites.province(tmp)
        try:
            upper.start(tmp / "province.log")
            lower.start(tmp / "city.log")
            admin = upper.api(upper.token("provadmin"))
            owner = admin.action.organization_create(
                name="binzhou", title="滨州市", department_code=uscc(99999),
                region_level="city")
            source = admin.action.harvest_source_create(
                name="binzhou-open", title="滨州市", url=f"{lower.url}/catalog.ttl",
                source_type="govshare_dcat", owner_org=owner["id"])["id"]
            open_entries = lower.api().action.package_search(rows=0)["count"]
            rows = []
            for run in ("first", "again"):
                started = time.monotonic()
                stats = upper.harvest(source, admin)
                rows.append((run, str(open_entries), f"{time.monotonic() - started:.1f}",
                             ", ".join(f"{k} {v}" for k, v in sorted(stats.items()) if v)))
                log("province", " | ".join(rows[-1]))
        finally:
            upper.stop()
            lower.stop()
    print(f"city loaded in {loaded:.0f} s ({'demo' if not args.entries else args.entries})")
    print_table(("harvest", "open entries", "seconds", "job"), rows)


if __name__ == "__main__":
    main()
