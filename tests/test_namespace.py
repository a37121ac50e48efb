"""The govshare namespace is documented by the portal itself (issue 12 leftovers): every
govshare term that the DCAT output of the demo city uses is described at ``/ns/govshare``
(Turtle, and an HTML page) with its labels in Chinese and English; the namespace is
``govshare.rdf.namespace``, by default the portal's own ``<site>/ns/govshare#``."""
from __future__ import annotations

import lxml.html
import pytest
from ckan import plugins
from ckan.common import config
from ckan.config.middleware import make_app
from ckan.tests import factories
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from ckanext.govshare import demo, vocab

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ENTRIES = 40


@pytest.fixture(scope="module")
def demo_city(reset_db, migrate_db_for, reset_index) -> None:
    """The demo city in a fresh database and index (as tests/test_dcat_shacl.py loads it)."""
    plugins.load_all()
    try:
        reset_db()
        migrate_db_for("activity")
        migrate_db_for("govshare")
        migrate_db_for("harvest")
        reset_index()
        with make_app(config)._wsgi_app.test_request_context():
            demo.load(ENTRIES)
    finally:
        plugins.unload_all()


def whole_catalog(app, headers: dict[str, str]) -> Graph:
    g, url = Graph(), "/catalog.ttl"
    while url:
        response = app.get(url, headers=headers)
        assert response.status_code == 200, (url, response.body[:300])
        page = Graph().parse(data=response.body, format="turtle")
        g += page
        following = next(page.objects(None, HYDRA.nextPage), None)
        url = str(following)[str(following).index("/catalog"):] if following else None
    return g


def govshare_terms(g: Graph) -> set[URIRef]:
    """Every IRI of the govshare namespace in a graph, wherever it stands."""
    gs = str(vocab.namespace())
    return {node for triple in g for node in triple
            if isinstance(node, URIRef) and str(node).startswith(gs)}


def test_every_govshare_term_of_the_demo_catalog_is_described(demo_city, app):
    sysadmin = factories.SysadminWithToken()
    used = govshare_terms(whole_catalog(app, {"Authorization": sysadmin["token"]}))
    assert len(used) > 20, used  # the fields, the item class, order, region level
    assert str(vocab.namespace()) == config["ckan.site_url"].rstrip("/") + "/ns/govshare#"

    response = app.get("/ns/govshare", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    described = Graph().parse(data=response.body, format="turtle")
    for term in used:
        assert (term, RDF.type, None) in described, term
        languages = {label.language for label in described.objects(term, RDFS.label)}
        assert {"zh", "en"} <= languages, (term, languages)
        assert described.value(term, RDFS.isDefinedBy) == vocab.ontology(), term

    page = app.get("/ns/govshare", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    rows = {row.get("id"): [cell.text_content().strip() for cell in row.xpath("td")]
            for row in lxml.html.fromstring(page.body).xpath(
                "//table[contains(@class, 'govshare-namespace-terms')]//tr[@id]")}
    for term in used:
        name = str(term)[len(str(vocab.namespace())):]
        zh = {str(o) for o in described.objects(term, RDFS.label) if o.language == "zh"}
        assert name in rows and rows[name][1] in zh, name


@pytest.mark.ckan_config("govshare.rdf.namespace", "https://province.example/ns/govshare#")
def test_the_namespace_comes_from_the_configuration(app, clean_db):
    from conftest import create_entry, make_department

    sysadmin = factories.SysadminWithToken()
    entry = create_entry({"user": sysadmin["name"], "ignore_auth": True}, make_department(),
                         share_type="conditional", share_condition="业务协同使用",
                         usage_scope=["work_reference"])
    response = app.get(f"/dataset/{entry['name']}.ttl",
                       headers={"Authorization": sysadmin["token"]})
    g = Graph().parse(data=response.body, format="turtle")
    gs = Namespace("https://province.example/ns/govshare#")
    assert (None, gs.shareCondition, None) in g
    assert not [p for p in g.predicates() if "/ns/govshare#" in str(p) and
                not str(p).startswith(str(gs))]
    described = Graph().parse(data=app.get("/ns/govshare").body, format="turtle")
    assert (gs.shareCondition, RDF.type, RDF.Property) in described
