"""The vocabularies of the catalog in RDF: the govshare namespace, the SKOS concept schemes
the portal publishes at ``/vocab/<scheme>`` (one per choice field of schemas/dataset.yaml),
and the EU and IANA vocabularies the national codes map to.

The govshare terms (properties and classes) live in the namespace of
``govshare.rdf.namespace``, by default the portal's own ``<site>/ns/govshare#``, whose document
the portal publishes (``namespace_graph``, ``/ns/govshare``); platforms that exchange catalogs
share one. The concepts are the portal's (``<site>/vocab/<scheme>#<code>``) and carry their
code as ``skos:notation``, which is what a reader goes by.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional

import ckan.plugins.toolkit as tk
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from ckanext.govshare import schema as catalog

EU = "http://publications.europa.eu/resource/authority/"
EU_FREQUENCY = Namespace(EU + "frequency/")
EU_ACCESS_RIGHT = Namespace(EU + "access-right/")
EU_FILE_TYPE = Namespace(EU + "file-type/")
EU_LANGUAGE = Namespace(EU + "language/")
EU_LICENCE = Namespace(EU + "licence/")
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
# A distribution's planned availability: registered (备案) entries stay, others may change.
AVAILABILITY = {True: URIRef(EU + "planned-availability/STABLE"),
                False: URIRef(EU + "planned-availability/EXPERIMENTAL")}

# update_frequency → the EU frequency vocabulary (one EU code each, so it reads back).
FREQUENCY = {"realtime": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
             "quarterly": "QUARTERLY", "semiannual": "BIANNUAL", "annual": "ANNUAL",
             "irregular": "IRREG"}

# CKAN's format names → EU file type and IANA media type (None: IANA registers none).
FILE_TYPES: dict[str, tuple[str, Optional[str]]] = {
    "CSV": ("CSV", "text/csv"), "XLSX": ("XLSX", "application/vnd.openxmlformats-officedocument"
                                         ".spreadsheetml.sheet"),
    "XLS": ("XLS", "application/vnd.ms-excel"), "JSON": ("JSON", "application/json"),
    "XML": ("XML", "application/xml"), "PDF": ("PDF", "application/pdf"),
    "DOC": ("DOC", "application/msword"),
    "DOCX": ("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "ODS": ("ODS", "application/vnd.oasis.opendocument.spreadsheet"),
    "ZIP": ("ZIP", "application/zip"), "HTML": ("HTML", "text/html"),
    "TXT": ("TXT", "text/plain"), "GeoJSON": ("GEOJSON", "application/geo+json"),
    "SHP": ("SHP", None), "JPEG": ("JPEG", "image/jpeg"), "PNG": ("PNG", "image/png"),
    "TIFF": ("TIFF", "image/tiff"), "MP4": ("MP4", "video/mp4"), "OFD": ("OFD", "application/ofd"),
    "API": ("REST", None), "SQL": ("SQL", "application/sql"), "RDF": ("RDF", "application/rdf+xml"),
}
_FORMAT_OF_FILE_TYPE = {eu: ckan for ckan, (eu, _) in FILE_TYPES.items()}

LANGUAGES = {"zh_Hans_CN": "ZHO", "en": "ENG"}
RDF_LANGUAGE = {"zh_Hans_CN": "zh", "en": "en"}


def base_uri() -> str:
    return (tk.config.get("ckanext.dcat.base_uri") or tk.config.get("ckan.site_url")).rstrip("/")


NAMESPACE_PATH = "/ns/govshare"


def namespace() -> Namespace:
    """The govshare namespace: ``govshare.rdf.namespace``, else this portal's own."""
    return Namespace(tk.config.get("govshare.rdf.namespace")
                     or f"{base_uri()}{NAMESPACE_PATH}#")


def ontology() -> URIRef:
    """The namespace document's IRI (the namespace without its ``#``)."""
    return URIRef(str(namespace()).rstrip("#"))


# Terms of the govshare namespace that are no catalog field: local name → (zh, en) label.
EXTRA_TERMS = {"InformationItem": ("信息项", "Information item"),
               "order": ("排列顺序", "Position in its entry"),
               "regionLevel": ("行政层级", "Administrative level of a department")}


def __getattr__(name: str) -> URIRef:
    """``GS`` and the terms that are no catalog field, in the configured namespace."""
    terms = {"GS": "", "INFORMATION_ITEM": "InformationItem", "ORDER": "order",
             "REGION_LEVEL": "regionLevel"}
    if name not in terms:
        raise AttributeError(name)
    return namespace() if name == "GS" else namespace()[terms[name]]


# ------------------------------------------------------------------ concept schemes

def scheme_name(field_name: str, parent: Optional[str] = None) -> str:
    """The scheme of a choice field: ``share_type`` → ``share-type``, an information
    item's ``data_type`` → ``info-items-data-type``."""
    return "-".join(n.replace("_", "-") for n in (parent, field_name) if n)


def _choice_fields() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every choice field of the dataset and resource schema, under its scheme name."""
    for field in catalog.dataset_fields():
        if field.get("choices"):
            yield scheme_name(field["field_name"]), field
        for sub in field.get("repeating_subfields") or []:
            if sub.get("choices"):
                yield scheme_name(sub["field_name"], field["field_name"]), sub
    for field in catalog.resource_fields():
        if field.get("choices"):
            yield scheme_name(field["field_name"], "resource"), field
    for field in catalog.organization_fields():
        if field.get("choices"):
            yield scheme_name(field["field_name"]), field


def schemes() -> dict[str, dict[str, Any]]:
    """scheme name → the schema field it enumerates (the same scheme is published once)."""
    return dict(_choice_fields())


def scheme_uri(name: str) -> URIRef:
    return URIRef(f"{base_uri()}/vocab/{name}")


def code_text(code: Any) -> str:
    """A code as the schema's choices write it (booleans as ``true`` / ``false``)."""
    return str(code).lower() if isinstance(code, bool) else str(code)


def concept(name: str, code: Any) -> URIRef:
    return URIRef(f"{scheme_uri(name)}#{code_text(code)}")


def _labels(label: Any) -> Iterator[Literal]:
    if isinstance(label, dict):
        for lang, text in label.items():
            yield Literal(text, lang=RDF_LANGUAGE.get(lang, lang))
    else:
        yield Literal(str(label))


def add_concept(g: Graph, name: str, code: Any) -> URIRef:
    """The concept of ``code`` in scheme ``name``, described enough to stand alone in a
    catalog (DCAT-AP asks a label of every concept and a title of every scheme)."""
    field = schemes()[name]
    node = concept(name, code)
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.notation, Literal(code_text(code))))
    g.add((node, SKOS.inScheme, scheme_uri(name)))
    for choice in field["choices"]:
        if code_text(choice["value"]) == code_text(code):
            for label in _labels(choice["label"]):
                g.add((node, SKOS.prefLabel, label))
    add_scheme(g, name)
    return node


def add_scheme(g: Graph, name: str) -> URIRef:
    """The head of scheme ``name`` (without its concepts)."""
    field = schemes()[name]
    node = scheme_uri(name)
    g.add((node, RDF.type, SKOS.ConceptScheme))
    for label in _labels(field.get("label", field["field_name"])):
        g.add((node, DCT.title, label))
    g.add((node, RDFS.isDefinedBy, ontology()))
    return node


def code_of(g: Graph, node: Any) -> Optional[str]:
    """A concept's code: its ``skos:notation``, else the IRI's fragment."""
    notation = g.value(node, SKOS.notation)
    if notation is not None:
        return str(notation)
    text = str(node)
    return text.rsplit("#", 1)[-1] if "#" in text else None


def scheme_graph(name: str) -> Graph:
    """A whole scheme, as ``/vocab/<name>`` publishes it."""
    g = _graph()
    field = schemes()[name]
    head = add_scheme(g, name)
    for choice in field["choices"]:
        node = add_concept(g, name, choice["value"])
        g.add((head, SKOS.hasTopConcept, node))
    return g


# ------------------------------------------------------------------ the govshare terms

def term(field_name: str) -> URIRef:
    """The govshare property of a schema field: ``share_type`` → ``gs:shareType``."""
    head, *rest = field_name.split("_")
    return namespace()[head + "".join(part.capitalize() for part in rest)]


def namespace_graph(fields: dict[str, dict[str, Any]]) -> Graph:
    """The govshare namespace document: a property per catalog field the profile writes as a
    govshare term (``fields``: term name → schema field, with the schema's zh/en labels), the
    terms of ``EXTRA_TERMS``, and the schemes."""
    g = _graph()
    gs, head = namespace(), ontology()
    g.add((head, RDF.type, OWL.Ontology))
    g.add((head, DCT.title, Literal("政务信息资源目录 govshare 术语", lang="zh")))
    g.add((head, DCT.title, Literal("govshare: government information resource catalog terms",
                                    lang="en")))
    g.add((head, DCT.description, Literal(
        "《政务信息资源目录编制指南》中 DCAT-AP 没有对应属性的目录字段，由 govshare DCAT 配置写出。",
        lang="zh")))
    g.add((head, DCT.description, Literal(
        "The national catalog fields (政务信息资源目录编制指南) that DCAT-AP has no property "
        "for, as written by the govshare DCAT profile.", lang="en")))
    g.add((head, RDFS.seeAlso, URIRef(base_uri() + NAMESPACE_PATH)))
    for name, field in fields.items():
        prop = gs[name]
        g.add((prop, RDF.type, RDF.Property))
        g.add((prop, RDFS.isDefinedBy, head))
        for label in _labels(field.get("label", field["field_name"])):
            g.add((prop, RDFS.label, label))
        if field.get("choices"):
            g.add((prop, RDFS.range, SKOS.Concept))
    for name, (zh, en) in EXTRA_TERMS.items():
        node = gs[name]
        g.add((node, RDF.type, RDFS.Class if name[0].isupper() else RDF.Property))
        g.add((node, RDFS.label, Literal(zh, lang="zh")))
        g.add((node, RDFS.label, Literal(en, lang="en")))
        g.add((node, RDFS.isDefinedBy, head))
    g.add((gs["order"], RDFS.range, XSD.integer))
    g.add((gs["regionLevel"], RDFS.range, SKOS.Concept))
    for name in schemes():
        g.add((scheme_uri(name), RDFS.seeAlso, head))
    return g


def _graph() -> Graph:
    g = Graph()
    g.bind("gs", namespace())
    g.bind("skos", SKOS)
    g.bind("dct", DCT)
    return g


# ------------------------------------------------------------------ formats

def file_type(fmt: Optional[str]) -> tuple[Optional[URIRef], Optional[URIRef]]:
    """(EU file type, IANA media type) of a CKAN format name, None where unknown."""
    if not fmt:
        return None, None
    known = FILE_TYPES.get(fmt) or next(
        (v for k, v in FILE_TYPES.items() if k.upper() == fmt.upper()), None)
    if known is None:
        code = re.sub(r"[^A-Z0-9_]", "_", fmt.upper())
        return EU_FILE_TYPE[code], None
    eu, iana = known
    return EU_FILE_TYPE[eu], (URIRef(IANA + iana) if iana else None)


def format_of(file_type_iri: Any) -> Optional[str]:
    text = str(file_type_iri)
    if not text.startswith(str(EU_FILE_TYPE)):
        return None
    code = text[len(str(EU_FILE_TYPE)):]
    return _FORMAT_OF_FILE_TYPE.get(code, code)
