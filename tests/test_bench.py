"""bench/'s generated catalog, search scoring and load driver on small input; the benchmark
itself is `make bench`.

Timings are not tested: the bench prints them next to stock CKAN's from the same run.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories, helpers

# bench/*.py are scripts that import each other by name from their directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import catalog  # noqa: E402
import common  # noqa: E402
import load  # noqa: E402
import search  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_entries_are_the_same_for_a_seed_and_uniquely_named():
    entries = catalog.make_entries(300, 7)
    assert entries == catalog.make_entries(300, 7)
    assert len({e["name"] for e in entries}) == len({e["resource_code"] for e in entries}) == 300


def test_every_query_has_answers_in_the_default_data():
    """A query without relevant entries could never count as a hit, on either site."""
    entries = catalog.make_entries(2000, 1)
    for query_set in search.queries(entries).values():
        for query in query_set:
            assert search.relevant_names(entries, query), query


def test_stock_form_carries_the_catalog_fields_as_extras():
    entry = catalog.make_entries(1, 1)[0]
    stock = catalog.as_stock(entry)
    extras = {e["key"]: e["value"] for e in stock["extras"]}
    assert extras["resource_code"] == entry["resource_code"]
    assert all(isinstance(v, str) for v in extras.values())
    assert entry["info_items"][0]["name"] in extras["info_items"]


def test_quality_counts_first_page_hits_recall_and_precision():
    relevant = {"a": {"x", "y"}, "b": {"z"}, "c": set()}
    found = {"a": ["x", "q"], "b": [], "c": ["w"]}
    assert search.quality(found, relevant) == {
        "hits": 1, "queries": 3, "recall": 0.25, "precision": pytest.approx(1 / 3)}


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1 … 20
    assert (common.percentile(values, 50), common.percentile(values, 95)) == (10.0, 19.0)
    assert common.percentile([7.0], 95) == 7.0
    assert common.p50_p95([]) == "–"


def test_generated_entries_pass_govshare_validation(clean_db):
    """The bench loads these as they are; every class, share and open type is among the first 13."""
    admin = factories.Sysadmin()["name"]

    def call(action: str, **data: Any) -> Any:
        return helpers.call_action(action, {"user": admin}, **data)

    catalog.setup_site(call, "govshare")
    entries = catalog.make_entries(13, 1)
    assert {e["resource_class"] for e in entries} == {"base", "theme", "department"}
    assert {e["share_type"] for e in entries} == {"unconditional", "conditional", "none"}
    assert {e["open_type"] for e in entries} == {"general", "authorized", "closed"}
    for entry in entries:
        created = call("package_create", **entry)
        assert {t["name"] for t in created["tags"]} == set(entry["tag_string"].split(","))


@pytest.fixture
def index_emptied_after():
    """The load bench indexes into the test core from another process: empty it afterwards."""
    yield
    from ckan.lib import search as ckan_search
    ckan_search.clear_all()


def test_load_serves_every_call_of_the_mix_through_gunicorn(clean_db, clean_index,
                                                           index_emptied_after, tmp_path):
    """govshare on 13 entries behind gunicorn: each call of the mix (pages, download, API,
    signed-in pages, share requests filed and decided) answers as expected, at 2 clients too."""
    figures = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "bench/load.py", "--sites", "govshare", "--govshare-ini", "config/test.ini",
         "--entries", "13", "--clients", "2", "--duration", "1", "--warmup", "0.5",
         "--workers", "1", "--log-dir", str(tmp_path), "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(figures.read_text())["govshare"]
    assert result["warmup_errors"] == 0, result["warmup_notes"]
    assert result["warmup_kinds"] == sorted(k.name for k in load.KINDS)
    (level,) = result["levels"]
    assert level["errors"] == {}, level["notes"]
    assert level["ok"] > 0 and level["peak_mb"] > 0
    assert "share request filed (API), member" in run.stdout


def _level(throughput: float, page_ms: float, errors: int = 0) -> dict[str, Any]:
    return {"throughput": throughput, "errors": {"search": errors} if errors else {},
            "ms": {"search": [page_ms] * 10, "api_show": [1000.0] * 10}}


@pytest.mark.parametrize("govshare, met", [
    (_level(90, 120), True),
    (_level(89, 100), False),             # throughput below 0.9x stock's
    (_level(100, 121), False),            # page p95 above 1.2x stock's
    (_level(100, 100, errors=1), False),  # an error
])
def test_load_targets_against_stock(govshare, met):
    """Only HTML pages count in the page p95 (the API call's 1 s does not)."""
    assert load.verdicts(_level(100, 100), govshare)["ok"] is met


def test_load_targets_each_named_page():
    """A home page above 1.2x stock's fails the targets, though all pages together are within."""
    stock, govshare = (_level(100, 100) for _ in range(2))
    for level, home_ms in ((stock, 100.0), (govshare, 130.0)):
        level["ms"].update(search=[100.0] * 100, home=[home_ms])
    verdict = load.verdicts(stock, govshare)
    assert verdict["page_p95_ratio"] == 1.0 and verdict["page_p95_ratios"]["home"] == 1.3
    assert verdict["ok"] is False
