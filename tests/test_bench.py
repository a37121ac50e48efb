"""bench/'s generated catalog and search scoring on small input; the benchmark itself is `make bench`.

Timings are not tested: the bench prints them next to stock CKAN's from the same run.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories, helpers

# bench/*.py are scripts that import each other by name from their directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import catalog  # noqa: E402
import common  # noqa: E402
import search  # noqa: E402


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
