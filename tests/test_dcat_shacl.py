"""The DCAT output against the official DCAT-AP 3.0.1 SHACL shapes (tests/shacl/, vendored
with their licence): the public catalog and the sharing catalog as a department sees it
give no violation of the mandatory properties and ranges.

The demo city is loaded once for the module (DCAT_DEMO_ENTRIES entries, 60 by default; 300
is `make run`'s city). The figures of ckanext-dcat's own DCAT-AP 3 profile on the same data
are printed beside ours (`-s` shows them): the measurement of issue 12.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pyshacl
import pytest
from ckan import model, plugins
from ckan.common import config
from ckan.config.middleware import make_app
from ckan.tests import factories, helpers
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, RDF

from ckanext.govshare import demo

SHAPES = Path(__file__).parent / "shacl" / "dcat-ap-3.0.1"
SH = Namespace("http://www.w3.org/ns/shacl#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ENTRIES = int(os.environ.get("DCAT_DEMO_ENTRIES", "60"))
OURS, STOCK = "govshare", "euro_dcat_ap_3"


@pytest.fixture(scope="module")
def demo_city(reset_db, migrate_db_for, reset_index) -> None:
    """The demo city in a fresh database and index (module-scoped: the plugins of
    config/test.ini are loaded here, as tests/test_demo.py does)."""
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


def without_dangling_shapes(shapes: Graph) -> Graph:
    """The official 3.0.1 files name five property shapes (``sh:property``) that they never
    define (no ``sh:path``), which pyshacl refuses as malformed: such a link constrains
    nothing, so it is left out, and only it."""
    dangling = [(node, shape) for node, shape in shapes.subject_objects(SH.property)
                if shapes.value(shape, SH.path) is None]
    assert len(dangling) <= 5, dangling  # a new defect in the vendored files shows here
    for link in dangling:
        shapes.remove((link[0], SH.property, link[1]))
    return shapes


@pytest.fixture(scope="module")
def shapes() -> dict[str, Graph]:
    mandatory = Graph()
    for name in ("dcat-ap-SHACL.ttl", "ranges.ttl"):
        mandatory.parse(SHAPES / name, format="turtle")
    recommended = Graph().parse(SHAPES / "shapes_recommended.ttl", format="turtle")
    return {"mandatory": without_dangling_shapes(mandatory),
            "recommended": without_dangling_shapes(recommended)}


def catalog(app, profile: str, headers: dict[str, str]) -> Graph:
    """The whole catalog, page after page (hydra:nextPage), as one graph."""
    g, url = Graph(), f"/catalog.ttl?profiles={profile}"
    while url:
        response = app.get(url, headers=headers)
        assert response.status_code == 200, (url, response.body[:300])
        page = Graph().parse(data=response.body, format="turtle")
        g += page
        following = next(page.objects(None, HYDRA.nextPage), None)
        url = str(following)[str(following).index("/catalog"):] if following else None
    return g


def findings(data: Graph, shapes: Graph) -> Counter:
    """Validation results by (severity, focus class, path, constraint): what the shapes find."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                    allow_warnings=True, advanced=True)
    found: Counter = Counter()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(result, SH.resultPath)
        focus = data.value(report.value(result, SH.focusNode), RDF.type)
        found[(str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
               data.namespace_manager.normalizeUri(focus) if focus is not None else "-",
               data.namespace_manager.normalizeUri(path) if path is not None else "-",
               str(report.value(result, SH.sourceConstraintComponent)).rsplit("#", 1)[-1])] += 1
    return found


def figures(found: Counter) -> dict[str, int]:
    totals: dict[str, int] = Counter()
    for (severity, *_), count in found.items():
        totals[severity] += count
    return dict(totals)


def department_token() -> str:
    user = factories.User(name="dcat-department-user")
    helpers.call_action("organization_member_create", {"ignore_auth": True},
                        id="gongan", username=user["name"], role="member")
    return factories.APIToken(user=user["name"])["token"]


def _report(label: str, profile: str, found: dict[str, Counter], datasets: int) -> str:
    lines = [f"{label} / {profile}: {datasets} datasets; mandatory+ranges "
             f"{figures(found['mandatory'])}, recommended {figures(found['recommended'])}"]
    for kind in ("mandatory", "recommended"):
        lines += [f"    {kind}: {count} × {key}" for key, count in
                  found[kind].most_common()]
    return "\n".join(lines)


def check(app, shapes, label: str, headers: dict[str, str], expected_count: int) -> None:
    measured: dict[str, Any] = {}
    for profile in (STOCK, OURS):
        g = catalog(app, profile, headers)
        found = {kind: findings(g, graph) for kind, graph in shapes.items()}
        datasets = len(set(g.subjects(RDF.type, DCAT.Dataset)))
        print(_report(label, profile, found, datasets))
        measured[profile] = (found, datasets)
    found, datasets = measured[OURS]
    assert datasets == expected_count
    violations = {k: v for k, v in found["mandatory"].items() if k[0] == "Violation"}
    assert not violations, violations


def test_the_public_catalog_is_valid_dcat_ap_3(demo_city, app, shapes):
    public = helpers.call_action("package_search", {"user": "", "ignore_auth": False},
                                 rows=0)["count"]
    assert public
    check(app, shapes, "public catalog", {}, public)


def test_the_sharing_catalog_as_a_department_sees_it_is_valid_dcat_ap_3(
        demo_city, app, shapes, monkeypatch):
    """The city loaded as a combined site, served as the sharing site: the index's labels
    of registered entries are the same (``gov``), the site role decides the rest."""
    token = department_token()
    monkeypatch.setitem(config, "govshare.site_role", "sharing")
    seen = helpers.call_action("package_search", {"user": "dcat-department-user",
                                                  "ignore_auth": False}, rows=0)["count"]
    assert seen > helpers.call_action("package_search", {"user": "", "ignore_auth": False},
                                      rows=0)["count"]
    check(app, shapes, "sharing catalog (department)", {"Authorization": token}, seen)
    model.Session.remove()
