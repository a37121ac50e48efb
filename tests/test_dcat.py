"""The govshare DCAT profile (ckanext/govshare/profiles/): every catalog field there and back,
the vocabularies it points to, and no resource URL for anyone who may not have it."""
from __future__ import annotations

from typing import Any

import pytest
from ckan import model
from ckan.cli.cli import ckan
from ckan.lib import api_token
from ckan.tests import factories, helpers
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS

from ckanext.dcat.processors import RDFParser, RDFSerializer
from ckanext.govshare import schema as catalog
from ckanext.govshare import vocab
from ckanext.govshare.profiles.govshare import access_right

from conftest import create_entry, make_department

PROFILES = ["govshare"]


def to_rdf(shown: dict[str, Any]) -> str:
    return RDFSerializer(profiles=PROFILES).serialize_dataset(shown, _format="turtle")


def from_rdf(turtle: str) -> dict[str, Any]:
    parser = RDFParser(profiles=PROFILES)
    parser.parse(turtle, _format="turtle")
    (parsed,) = list(parser.datasets())
    return parsed


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _norm(value: Any) -> Any:
    """Values as compared: blanks alike, scalars as text, lists and dicts item by item."""
    if _blank(value):
        return None
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if not _blank(v)}
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def field_value(entry: dict[str, Any], field: dict[str, Any]) -> Any:
    """A field as the entry has it (package_show gives tags, not the tag string; the
    department by id)."""
    name = field["field_name"]
    if name == "tag_string":
        tags = entry.get("tags")
        names = [t["name"] for t in tags] if tags is not None else (
            entry.get("tag_string") or "").split(",")
        return sorted(n for n in names if n) or None
    if name == "owner_org":
        org = model.Group.get(entry.get(name) or "")
        return org.id if org else None
    if field.get("repeating_subfields"):
        subs = [s["field_name"] for s in field["repeating_subfields"]]
        return [{s: _norm(item.get(s)) for s in subs if not _blank(item.get(s))}
                for item in entry.get(name) or []] or None
    return _norm(entry.get(name))


def resource_values(entry: dict[str, Any]) -> list[dict[str, Any]]:
    fields = [f["field_name"] for f in catalog.resource_fields()]
    return [{f: _norm(r.get(f)) for f in fields} for r in entry.get("resources") or []]


# Entries that together give every field of the schema a value (the test checks they do).
ENTRIES = [
    dict(resource_class="theme", resource_code="201001/900001", themes=["health", "ecology_environment"],
         share_type="conditional", share_condition="限本市政务部门履职使用",
         usage_scope=["work_reference", "data_verification"], share_method=["api", "bulk_download"],
         open_type="authorized", open_condition="经申请审核后开放", update_frequency="semiannual",
         provider_unit="人口管理科", format_class="spreadsheet", format_type="xlsx",
         tag_string="人口,户籍", record_count="123456", storage_size_gb="2.5",
         related_codes=["101001/000001"], returned_to=["114106000000090021"],
         info_items=[{"name": "姓名", "data_type": "C", "length": "50", "share_type": "conditional",
                      "open": "true"},
                     {"name": "出生日期", "data_type": "D", "share_type": "none", "open": "false"},
                     {"name": "人口数", "data_type": "I", "length": "10"}]),
    dict(resource_class="base", resource_code="101001/900002", base_category="population", share_type="unconditional",
         open_type="general", update_frequency="realtime", publish_date="2020-02-29",
         format_class="image"),
    dict(share_type="none", no_share_basis="《中华人民共和国保守国家秘密法》", open_type="closed",
         update_frequency="irregular", catalog_state="draft"),
]


@pytest.fixture
def entries(sysadmin_context):
    org = make_department(region_level="county")
    created = [create_entry(sysadmin_context, org, **values) for values in ENTRIES]
    for pkg, fmt in zip(created, ("CSV", "XLSX", "API")):
        helpers.call_action("resource_create", dict(sysadmin_context), package_id=pkg["id"],
                            name="数据", description="数据文件", format=fmt,
                            access_method="bulk_download", url="https://files.example.gov/a.csv")
        helpers.call_action("resource_create", dict(sysadmin_context), package_id=pkg["id"],
                            name="接口", url="https://api.example.gov/v1/", access_method="api")
    return [helpers.call_action("package_show", dict(sysadmin_context), id=p["id"])
            for p in created]


def test_rdf_to_entry_restores_every_field_of_the_schema(entries, sysadmin_context):
    fields = catalog.dataset_fields()
    given = set()
    for shown in entries:
        parsed = from_rdf(to_rdf(shown))
        for field in fields:
            assert field_value(parsed, field) == field_value(shown, field), field["field_name"]
            if field_value(shown, field) is not None:
                given.add(field["field_name"])
        assert resource_values(parsed) == resource_values(shown)
    assert given == {f["field_name"] for f in fields}, "some field was never tried"


def test_the_parsed_dict_makes_the_same_entry(entries, sysadmin_context):
    """What a harvester would do: the entry made from the RDF equals the original."""
    for shown in entries:
        parsed = from_rdf(to_rdf(shown))
        helpers.call_action("dataset_purge", dict(sysadmin_context), id=shown["id"])
        made = helpers.call_action("package_create", dict(sysadmin_context), **parsed)
        made = helpers.call_action("package_show", dict(sysadmin_context), id=made["id"])
        for field in catalog.dataset_fields():
            assert field_value(made, field) == field_value(shown, field), field["field_name"]
        assert resource_values(made) == resource_values(shown)


def test_national_fields_are_in_the_dcat_ap_properties(entries):
    shown = entries[0]
    g = Graph().parse(data=to_rdf(shown), format="turtle")
    dataset = g.value(None, RDF.type, DCAT.Dataset)
    assert str(g.value(dataset, DCTERMS.identifier)) == shown["resource_code"]
    assert str(g.value(dataset, DCTERMS.issued)) == shown["publish_date"]
    assert g.value(dataset, DCTERMS.accrualPeriodicity) == vocab.EU_FREQUENCY.BIANNUAL
    assert {vocab.code_of(g, t) for t in g.objects(dataset, DCAT.theme)} == set(shown["themes"])
    assert g.value(dataset, DCTERMS.accessRights) == vocab.EU_ACCESS_RIGHT.RESTRICTED
    publisher = g.value(dataset, DCTERMS.publisher)
    org = helpers.call_action("organization_show", id=shown["owner_org"])
    assert str(g.value(publisher, DCTERMS.identifier)) == org["department_code"]
    assert vocab.code_of(g, g.value(publisher, vocab.REGION_LEVEL)) == "county"
    assert g.value(dataset, DCAT.contactPoint) is not None
    share = g.value(dataset, vocab.term("share_type"))
    assert share == vocab.concept("share-type", "conditional")
    assert g.value(share, SKOS.prefLabel) is not None
    items = list(g.objects(dataset, vocab.term("info_items")))
    assert len(items) == 3 and all((i, RDF.type, vocab.INFORMATION_ITEM) in g for i in items)
    formats = {g.value(d, DCTERMS["format"]) for d in g.objects(dataset, DCAT.distribution)}
    assert vocab.EU_FILE_TYPE.CSV in formats
    media = {g.value(d, DCAT.mediaType) for d in g.objects(dataset, DCAT.distribution)}
    assert URIRef(vocab.IANA + "text/csv") in media
    assert all(g.value(d, DCAT.accessURL) for d in g.objects(dataset, DCAT.distribution))
    assert all(g.value(d, DCTERMS.license) for d in g.objects(dataset, DCAT.distribution))


def test_access_rights_follow_the_share_and_open_types():
    assert access_right("unconditional", "general") == vocab.EU_ACCESS_RIGHT.PUBLIC
    assert access_right("conditional", "authorized") == vocab.EU_ACCESS_RIGHT.RESTRICTED
    assert access_right("unconditional", "closed") == vocab.EU_ACCESS_RIGHT.RESTRICTED
    assert access_right("none", "closed") == vocab.EU_ACCESS_RIGHT.NON_PUBLIC


def test_each_concept_of_the_output_is_published_in_its_scheme(app, entries):
    """The concepts the DCAT output names are on the portal's /vocab/<scheme> pages,
    open to anyone, with the schema's labels."""
    g = Graph()
    for shown in entries:
        g.parse(data=to_rdf(shown), format="turtle")
    concepts = {c for c in g.subjects(RDF.type, SKOS.Concept)
                if str(c).startswith(vocab.base_uri() + "/vocab/")}
    assert len(concepts) > 20
    pages: dict[str, Graph] = {}
    for node in concepts:
        scheme = g.value(node, SKOS.inScheme)
        path = str(scheme)[len(vocab.base_uri()):]
        if path not in pages:
            response = app.get(path)
            assert response.status_code == 200, path
            assert response.headers["Content-Type"].startswith("text/turtle")
            pages[path] = Graph().parse(data=response.body, format="turtle")
        assert (node, SKOS.inScheme, scheme) in pages[path]
        assert set(pages[path].objects(node, SKOS.prefLabel)) == set(g.objects(node, SKOS.prefLabel))
    assert app.get("/vocab/no-such-scheme").status_code == 404


def test_the_namespace_page_names_every_govshare_term_of_the_output(app, entries):
    response = app.get("/vocab", headers={"Accept": "application/rdf+xml"})
    assert response.headers["Content-Type"].startswith("application/rdf+xml")
    described = Graph().parse(data=response.body, format="xml")
    g = Graph()
    for shown in entries:
        g.parse(data=to_rdf(shown), format="turtle")
    used = {p for p in g.predicates() if str(p).startswith(str(vocab.GS))}
    used |= {o for o in g.objects(None, RDF.type) if str(o).startswith(str(vocab.GS))}
    assert used and all((term, RDFS.label, None) in described for term in used), used


@pytest.mark.ckan_config("govshare.site_role", "sharing")
def test_the_vocabularies_are_open_on_the_sharing_site(app, clean_db):
    response = app.get("/vocab/share-type", follow_redirects=False)
    assert response.status_code == 200
    g = Graph().parse(data=response.body, format="turtle")
    assert {vocab.code_of(g, c) for c in g.subjects(RDF.type, SKOS.Concept)} == set(
        catalog.choice_values("share_type"))


def test_the_publisher_is_found_again_by_its_credit_code(entries):
    parsed = from_rdf(to_rdf(entries[0]))
    assert model.Group.get(parsed["owner_org"]).id == entries[0]["owner_org"]


def test_package_list_refuses_a_bad_limit(app, clean_db):
    response = app.get("/api/3/action/package_list", query_string={"limit": "x"})
    assert response.status_code == 409 and "limit" in response.json["error"]


def test_token_add_prints_the_bare_token(cli, clean_db):
    """ckan user token add: stdout is the token alone (CKAN's own prints a heading and a
    tab before it), and the token signs the user in."""
    user = factories.User()
    result = cli.invoke(ckan, ["user", "token", "add", user["name"], "script"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip("\n")
    assert token and token == token.strip() and "\t" not in result.stdout
    assert result.stdout == token + "\n"
    app_user = model.Session.query(model.ApiToken).filter_by(user_id=user["id"]).one()
    assert app_user.name == "script"
    assert api_token.get_user_from_token(token).name == user["name"]
    listed = cli.invoke(ckan, ["user", "token", "list", user["name"]])
    assert listed.exit_code == 0 and "script" in listed.output
