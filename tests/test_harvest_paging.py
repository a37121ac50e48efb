"""The DCAT catalog's pages stay whole while the catalog changes (catalog_pages.py).

With ckanext-dcat's offset pages over ``metadata_modified desc``, an entry created, changed
or deleted between two page fetches shifted the rest by one: an entry came twice and
another never. A harvester following ``hydra:next`` must get every entry that exists for
the whole walk exactly once.
"""
from __future__ import annotations

from typing import Callable

import pytest
from ckan.tests import helpers
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF

from ckanext.govshare import catalog_pages

from conftest import create_entry, make_department

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")

pytestmark = [pytest.mark.usefixtures("clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", "3")]


def walk(app, between: Callable[[int], None]) -> list[str]:
    """Every resource code on the catalog's pages, in order, following hydra:next;
    ``between(n)`` runs after the n-th page."""
    codes, url, fetched = [], "/catalog.ttl", 0
    while url:
        response = app.get(url)
        assert response.status_code == 200, response.body[:500]
        graph = Graph().parse(data=response.body, format="turtle")
        codes += [str(graph.value(d, DCTERMS.identifier))
                  for d in graph.subjects(RDF.type, DCAT.Dataset)]
        following = next(graph.objects(None, HYDRA.next), None)
        if following is not None:
            assert f"page={catalog_pages.CURSOR}" in str(following).replace("%3A", ":")
        url = str(following)[str(following).index("/catalog"):] if following else None
        fetched += 1
        between(fetched)
    return codes


@pytest.fixture
def catalog(sysadmin_context):
    org = make_department()
    return org, [create_entry(sysadmin_context, org)["resource_code"] for _ in range(10)]


def test_entries_created_and_deleted_during_a_walk_take_no_other_entry_away(
        app, catalog, sysadmin_context):
    org, codes = catalog
    shown = {c: helpers.call_action("package_search", fq=f'resource_code:"{c}"')["results"][0]
             for c in codes}
    created, deleted = [], []

    def change(page: int) -> None:
        """After each page: a new entry, one of those not yet fetched deleted, one changed."""
        created.append(create_entry(sysadmin_context, org)["resource_code"])
        if page == 1:
            victim = sorted(shown.values(), key=lambda e: e["id"])[-1]
            helpers.call_action("package_delete", context=dict(sysadmin_context),
                                id=victim["id"])
            deleted.append(victim["resource_code"])
        if page == 2:
            first = sorted(shown.values(), key=lambda e: e["id"])[0]
            helpers.call_action("package_patch", context=dict(sysadmin_context),
                                id=first["id"], notes="改过")

    walked = walk(app, change)
    kept = set(codes) - set(deleted)
    assert len(walked) == len(set(walked)), f"an entry came twice: {walked}"
    assert kept <= set(walked), f"missing {kept - set(walked)} of {sorted(codes)} in {walked}"
    assert not set(deleted) & set(walked)
    assert set(walked) <= set(codes) | set(created)


@pytest.mark.parametrize("page", ["0", "-1", "abc", 'after:"x" OR *', "after:"])
def test_a_bad_page_is_refused_naming_it(app, page):
    response = app.get("/catalog.ttl", query_string={"page": page})
    assert response.status_code == 409
    assert "page" in response.body.lower() or "页" in response.body
