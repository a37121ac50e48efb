"""Stock CKAN and govshare side by side on the same catalog: load speed, search latency, hit rate.

Run it through bench/run.sh, which gives both sites empty databases and Solr cores:

    bash bench/run.sh [--entries 2000] [--queries-repeat 20] [--seed 1]

Both sites get the same N generated entries (bench/catalog.py: Chinese titles, summaries,
information items and tags, some English and resource codes): govshare as full catalog
entries, stock CKAN (CKAN's dataset schema and Solr schema) as title/notes/tags with the
catalog fields as extras, so both index the same text. Each site runs in its own worker
process (bench/common.py); the parent prints their figures side by side.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import catalog
import common
from common import SIDES, log, percentile

PAGE = 10  # package_search's default rows: the first page an API client gets


def searchable_text(entry: dict[str, Any]) -> str:
    """The entry's free text (indexed by both sites), against which relevance is judged."""
    resource = entry["resources"][0]
    parts = [entry["title"], entry["notes"], entry["tag_string"], entry["resource_code"],
             entry["provider_unit"], entry["format_type"], resource["name"], resource["description"],
             *entry["related_codes"], *(i["name"] for i in entry["info_items"]),
             *(entry.get(k, "") for k in ("share_condition", "no_share_basis", "open_condition"))]
    return "\n".join(parts).lower()


def is_relevant(query: str, text: str) -> bool:
    """Relevant: every space-separated word of the query occurs in the entry's text."""
    return all(word in text for word in query.lower().split())


def queries(entries: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The fixed query set: Chinese words, English words and three resource codes of the data."""
    picks = sorted({len(entries) // 7, len(entries) // 3, len(entries) * 5 // 7})
    codes = tuple(entries[i]["resource_code"] for i in picks if i < len(entries))
    return {"zh": catalog.ZH_QUERIES, "en": catalog.EN_QUERIES + codes}


def relevant_names(entries: list[dict[str, Any]], query: str) -> set[str]:
    return {e["name"] for e in entries if is_relevant(query, searchable_text(e))}


def quality(found: dict[str, list[str]], relevant: dict[str, set[str]]) -> dict[str, Any]:
    """Hit rate, recall and first-page precision of ranked result names against known answers."""
    hits = [q for q, names in found.items() if relevant[q] & set(names[:PAGE])]
    recalls = [len(relevant[q] & set(names)) / len(relevant[q])
               for q, names in found.items() if relevant[q]]
    first = [(q, n) for q, names in found.items() for n in names[:PAGE]]
    return {"hits": len(hits), "queries": len(found),
            "recall": sum(recalls) / len(recalls) if recalls else None,
            "precision": sum(n in relevant[q] for q, n in first) / len(first) if first else None}



# ------------------------------------------------------------------ worker (one CKAN site)

def ranked_names(search: Any, query: str) -> list[str]:
    """All result names of a query in rank order (CKAN's default sort), page by page."""
    names: list[str] = []
    while True:
        page = search(q=query, fl=["name"], rows=1000, start=len(names))
        names += [r["name"] for r in page["results"]]
        if len(names) >= page["count"] or not page["results"]:
            return names


def facet_fields() -> list[str]:
    """The facets the site's search page asks for: CKAN's search.facets, then IFacets plugins."""
    from ckan import plugins
    from ckan.lib import helpers as h

    facets: dict[str, Any] = {name: name for name in h.facets()}
    for plugin in plugins.PluginImplementations(plugins.IFacets):
        facets = plugin.dataset_facets(facets, "dataset")
    return list(facets)


def latencies(search: Any, query_set: tuple[str, ...], repeat: int) -> list[float]:
    """package_search as the search page calls it (its facets, full results), in ms."""
    facets = facet_fields()
    timings = []
    for _ in range(repeat):
        for query in query_set:
            start = time.perf_counter()
            search(q=query, rows=PAGE, **{"facet.field": facets})
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def run_site(side: str, ini: str, n: int, seed: int, repeat: int, load_workers: int) -> dict[str, Any]:
    """Load and search one site, inside a request as the portal would."""
    with common.site(ini):
        common.require_empty(ini)
        call = common.caller(common.site_user())

        def search(**data: Any) -> Any:
            """As a sysadmin, who sees every entry on both sites, as the search page does."""
            return call("package_search", include_private=True, **data)

        catalog.setup_site(call, side)
        entries = catalog.make_entries(n, seed)
        seconds = catalog.load(call, side, entries, load_workers)
        log(side, f"loaded {n} entries in {seconds:.0f} s; searching")
        result: dict[str, Any] = {"entries_per_s": n / seconds}
        for lang, query_set in queries(entries).items():
            found = {q: ranked_names(search, q) for q in query_set}  # also warms Solr up
            result[lang] = quality(found, {q: relevant_names(entries, q) for q in query_set})
            result[lang]["ms"] = latencies(search, query_set, repeat)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# ------------------------------------------------------------------ parent: both sites, one table

def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) of one site, in table order."""
    out = [("entries created per second", f"{r['entries_per_s']:.1f}")]
    for lang, label in (("zh", "Chinese"), ("en", "English/code")):
        ms = r[lang]["ms"]
        out += [(f"package_search p50, {label} queries (ms)", f"{percentile(ms, 50):.1f}"),
                (f"package_search p95, {label} queries (ms)", f"{percentile(ms, 95):.1f}")]
    for lang, label in (("zh", "Chinese"), ("en", "English/code")):
        q = r[lang]
        out += [(f"{label} hit rate", f"{q['hits']}/{q['queries']} ({q['hits'] / q['queries']:.0%})"),
                (f"{label} recall", _pct(q["recall"])),
                (f"{label} precision@{PAGE}", _pct(q["precision"]))]
    out.append(("peak RSS of the process (MB)", f"{r['peak_rss_mb']:.0f}"))
    return out


def print_table(results: dict[str, dict[str, Any]], args: argparse.Namespace, wall: float) -> None:
    q = results["govshare"]
    print(f"\n{args.entries} entries (seed {args.seed}, created by {args.load_workers} "
          f"process{'es' if args.load_workers > 1 else ''}); {q['zh']['queries']} Chinese and "
          f"{q['en']['queries']} English/code queries, each timed {args.queries_repeat} times; "
          f"wall time {wall:.0f} s\n")
    stock, govshare = (rows(results[side]) for side in SIDES)
    common.print_table(("metric", *SIDES.values()),
                       [(m, a, b) for (m, a), (_, b) in zip(stock, govshare)])
    print(f"""
hit rate: share of queries whose first page ({PAGE} results, CKAN's default ranking) holds at least
  one relevant entry. Relevant: every word of the query occurs in the entry's free text (title,
  summary, tags, information item names, resource name/description, resource and related codes),
  known from the generator. recall: per query, relevant entries found among all results / relevant
  entries, averaged over queries. precision@{PAGE}: relevant share of all first-page results.
latency: package_search called in-process as the search page calls it (first page of full
  results, the site's facets) by a sysadmin, who sees all entries on both sites; every query once
  per round, after one untimed pass. Includes CKAN's and the plugins' work, not HTTP.""")


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--queries-repeat", type=int, default=20, help="timed runs of each query")
    p.add_argument("--load-workers", type=int, default=1,
                   help="processes creating the entries at once (e.g. 2 for --entries 50000, "
                        "which one process loads in hours); the same on both sites")
    common.add_sides(p, "bench", ("site",))
    args = p.parse_args()
    if args.worker:
        common.write_result(args.result, run_site(args.side, args.ini, args.entries, args.seed,
                                                  args.queries_repeat, args.load_workers))
        return
    start = time.perf_counter()
    inis = {"stock": args.stock_ini, "govshare": args.govshare_ini}
    with tempfile.TemporaryDirectory() as tmp:  # one site after the other
        results = {side: common.run_worker(__file__, "site", side, inis[side], Path(tmp, side))
                   for side in SIDES}
    print_table(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
