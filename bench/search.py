"""Stock CKAN and govshare side by side on the same catalog: load speed, search latency, hit rate.

Run it through bench/run.sh, which gives both sites empty databases and Solr cores:

    bash bench/run.sh [--entries 2000] [--queries-repeat 20] [--seed 1]
    bash bench/run.sh --entries 50000 --bulk --load-workers 2   # a province's catalog

Both sites get the same N generated entries (bench/catalog.py: Chinese titles, summaries,
information items and tags, some English and resource codes): govshare as full catalog
entries, stock CKAN (CKAN's dataset schema and Solr schema) as title/notes/tags with the
catalog fields as extras, so both index the same text. With --bulk (10^4–10^5 entries, where one
package_create each takes hours) both get them without resources, govshare by its spreadsheet
import and stock CKAN by its own package_create with the index deferred, then its index rebuild
(bench/catalog.py's bulk_load). Each site runs in its own worker
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
TIMED = ("zh", "en")  # the query sets whose latency is measured


def searchable_text(entry: dict[str, Any]) -> str:
    """The entry's free text (indexed by both sites), against which relevance is judged."""
    resource = (entry.get("resources") or [{}])[0]  # none when bulk-loaded (catalog.for_bulk)
    parts = [entry["title"], entry["notes"], entry["tag_string"], entry["resource_code"],
             entry["provider_unit"], entry["format_type"], resource.get("name", ""),
             resource.get("description", ""),
             *entry["related_codes"], *(i["name"] for i in entry["info_items"]),
             *(entry.get(k, "") for k in ("share_condition", "no_share_basis", "open_condition"))]
    return "\n".join(parts).lower()


def is_relevant(query: str, text: str) -> bool:
    """Relevant: every space-separated word of the query occurs in the entry's text."""
    return all(word in text for word in query.lower().split())


# What people type besides the catalog's own words (govshare: synonyms.py, search.suggestions).
# Traditional characters: the simplified query of ZH_QUERIES each stands for.
TRADITIONAL = {
    "戶籍": "户籍", "流動人口": "流动人口", "身份證": "身份证", "駕駛證": "驾驶证",
    "營業執照": "营业执照", "個體工商戶": "个体工商户", "行政處罰": "行政处罚",
    "養老保險": "养老保险", "就業": "就业", "不動產": "不动产", "醫療機構": "医疗机构",
    "學籍": "学籍", "空氣質量": "空气质量", "公積金": "公积金", "納稅": "纳税",
    "危險化學品": "危险化学品", "高新區": "高新区",
}
# The authority's synonym list on the govshare side (as the demo city's): pairs of words
# people use for the same thing. Stock CKAN has no such list.
SYNONYMS = (("驾照", "驾驶证"), ("低保", "最低生活保障"), ("出生证", "出生医学证明"),
            ("结婚登记", "婚姻登记"), ("房产", "不动产"), ("企业登记", "营业执照"),
            ("社会保险", "社保"))
# Queries that match no entry as typed, with the word of the data they are after: answered
# when the first page (the results, or govshare's suggestions when there are none) holds an
# entry with that word.
NO_RESULT = {
    "户籍人口统计年鉴": "户籍人口", "营业执照年检查询": "营业执照", "养老保险缴费明细查询": "养老保险",
    "空气质量预报": "空气质量", "公交线路实时到站": "公交线路", "疫苗接种预约": "疫苗接种",
    "不动产抵押登记证明": "不动产登记", "婚姻状况证明开具": "婚姻", "学籍转学手续": "学籍",
    "危险化学品运输车辆": "危险化学品",
}


def meanings(query: str) -> tuple[str, ...]:
    """The queries of the data whose answers are this query's answers."""
    if query in TRADITIONAL:
        return (TRADITIONAL[query],)
    if query in NO_RESULT:
        return (NO_RESULT[query],)
    for pair in SYNONYMS:
        if query == pair[0]:
            return pair
    return (query,)


def queries(entries: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """The fixed query sets: Chinese words, English words and three resource codes of the data,
    then what people type: traditional characters, synonyms, queries with no result."""
    picks = sorted({len(entries) // 7, len(entries) // 3, len(entries) * 5 // 7})
    codes = tuple(entries[i]["resource_code"] for i in picks if i < len(entries))
    return {"zh": catalog.ZH_QUERIES, "en": catalog.EN_QUERIES + codes,
            "trad": tuple(TRADITIONAL), "syn": tuple(pair[0] for pair in SYNONYMS),
            "none": tuple(NO_RESULT)}


def relevant_names(entries: list[dict[str, Any]], query: str) -> set[str]:
    texts = [(e["name"], searchable_text(e)) for e in entries]
    return {name for name, text in texts if any(is_relevant(m, text) for m in meanings(query))}


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


def suggested(call: Any, side: str, query: str) -> list[str]:
    """What the site offers for a query that found nothing (stock CKAN: nothing)."""
    if side != "govshare":
        return []
    return [s["name"] for s in call("govshare_search_suggest", q=query)]


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


def run_site(side: str, ini: str, n: int, seed: int, repeat: int, load_workers: int,
             bulk: bool) -> dict[str, Any]:
    """Load and search one site, inside a request as the portal would."""
    from ckan import model
    from ckan.common import login_user

    with common.site(ini):
        common.require_empty(ini)
        call = common.caller(common.site_user())

        def search(**data: Any) -> Any:
            """As a sysadmin, who sees every entry on both sites, as the search page does."""
            return call("package_search", include_private=True, **data)

        catalog.setup_site(call, side)
        if side == "govshare":
            for term, synonym in SYNONYMS:
                call("govshare_synonym_create", term=term, synonym=synonym)
        entries = catalog.make_entries(n, seed)
        if bulk:
            entries = catalog.for_bulk(entries)
            with tempfile.TemporaryDirectory() as tmp:
                seconds = catalog.bulk_load(common.site_user(), side, entries, Path(tmp),
                                            load_workers)
        else:
            seconds = catalog.load(call, side, entries, load_workers)
        log(side, f"loaded {n} entries in {seconds:.0f} s; searching")
        # Signed in, as the search page's sysadmin is: who the user is comes from the session,
        # not a database query per permission check.
        login_user(model.User.get(common.site_user()))
        result: dict[str, Any] = {"entries_per_s": n / seconds}
        for lang, query_set in queries(entries).items():
            found = {q: ranked_names(search, q) for q in query_set}  # also warms Solr up
            if lang == "none":
                result["none_empty"] = sum(not names for names in found.values())
                found = {q: names or suggested(call, side, q) for q, names in found.items()}
            result[lang] = quality(found, {q: relevant_names(entries, q) for q in query_set})
            if lang in TIMED:
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
    for lang, label in (("zh", "Chinese"), ("en", "English/code"), ("trad", "traditional"),
                        ("syn", "synonym")):
        q = r[lang]
        out += [(f"{label} hit rate", f"{q['hits']}/{q['queries']} ({q['hits'] / q['queries']:.0%})"),
                (f"{label} recall", _pct(q["recall"])),
                (f"{label} precision@{PAGE}", _pct(q["precision"]))]
    q = r["none"]
    out += [("no-result queries that found nothing", f"{r['none_empty']}/{q['queries']}"),
            ("no-result queries answered (results or suggestions)",
             f"{q['hits']}/{q['queries']} ({q['hits'] / q['queries']:.0%})")]
    out.append(("peak RSS of the process (MB)", f"{r['peak_rss_mb']:.0f}"))
    return out


def print_table(results: dict[str, dict[str, Any]], args: argparse.Namespace, wall: float) -> None:
    q = results["govshare"]
    how = ("bulk-loaded (catalog.bulk_load: govshare's import; stock CKAN's package_create "
           "with the index deferred, then its index rebuild), without resources"
           if args.bulk else "created by package_create")
    print(f"\n{args.entries} entries (seed {args.seed}, {how}, {args.load_workers} "
          f"process{'es' if args.load_workers > 1 else ''}); {q['zh']['queries']} Chinese and "
          f"{q['en']['queries']} English/code queries, each timed {args.queries_repeat} times; "
          f"{q['trad']['queries']} in traditional characters, {q['syn']['queries']} synonyms, "
          f"{q['none']['queries']} with no result as typed; "
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
traditional: a query in traditional characters is relevant where its simplified form is.
  synonym: relevant where the query or the other word of its pair occurs (govshare has the
  pairs on its synonym list, stock CKAN has none). no result: queries no entry matches as
  typed; answered when the first page, or govshare's suggestions for an empty result, holds
  an entry with the word the query is after.
latency: package_search called in-process as the search page calls it (first page of full
  results, the site's facets) by a sysadmin, who sees all entries on both sites; every query once
  per round, after one untimed pass. Includes CKAN's and the plugins' work, not HTTP.""")


def main() -> None:
    p = common.parser(__doc__)
    p.add_argument("--queries-repeat", type=int, default=20, help="timed runs of each query")
    p.add_argument("--load-workers", type=int, default=1,
                   help="processes creating the entries at once (e.g. 2 for --entries 50000, "
                        "which one process loads in hours); the same on both sites")
    p.add_argument("--bulk", action="store_true",
                   help="load the entries by catalog.bulk_load (for 10^4-10^5 entries) instead "
                        "of one package_create each")
    common.add_sides(p, "bench", ("site",))
    args = p.parse_args()
    if args.worker:
        common.write_result(args.result, run_site(args.side, args.ini, args.entries, args.seed,
                                                  args.queries_repeat, args.load_workers,
                                                  args.bulk))
        return
    start = time.perf_counter()
    inis = {"stock": args.stock_ini, "govshare": args.govshare_ini}
    with tempfile.TemporaryDirectory() as tmp:  # one site after the other
        results = {side: common.run_worker(__file__, "site", side, inis[side], Path(tmp, side))
                   for side in SIDES}
    print_table(results, args, time.perf_counter() - start)


if __name__ == "__main__":
    main()
