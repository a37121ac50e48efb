"""``/ns/govshare``: the govshare namespace document (Turtle, RDF/XML, JSON-LD, N-Triples, or
an HTML page, by ``Accept``; ``/vocab`` answers the same RDF), and ``/vocab/<scheme>``: the
SKOS concept schemes that the DCAT output's concepts belong to. Open to everyone on every
site: they describe the catalog's terms and codes, never an entry."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Response, request
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from ckanext.govshare import vocab
from ckanext.govshare.profiles.govshare import govshare_fields
from ckanext.govshare.views.base import govshare

# RDF serialisations by media type (rdflib's names), Turtle first: the default.
FORMATS = {"text/turtle": "turtle", "application/rdf+xml": "xml",
           "application/ld+json": "json-ld", "application/n-triples": "nt"}


def _answer(g: Graph) -> Response:
    media_type = request.accept_mimetypes.best_match(list(FORMATS), default="text/turtle")
    return Response(g.serialize(format=FORMATS[media_type]),
                    mimetype=media_type, headers={"Vary": "Accept"})


@govshare.route("/vocab")
def vocab_index() -> Response:
    """The govshare terms (``vocab.GS``), each with its label, and the schemes."""
    return _answer(vocab.namespace_graph(govshare_fields()))


def _terms(g: Graph, kind: URIRef) -> list[dict[str, str]]:
    """The terms of ``kind`` in the namespace document, as the HTML page lists them."""
    gs = str(vocab.namespace())
    rows = []
    for node in sorted(g.subjects(RDF.type, kind)):
        if not str(node).startswith(gs):
            continue
        labels = {label.language: str(label) for label in g.objects(node, RDFS.label)}
        rows.append({"name": str(node)[len(gs):], "iri": str(node), "zh": labels.get("zh", ""),
                     "en": labels.get("en", ""),
                     "range": g.namespace_manager.normalizeUri(g.value(node, RDFS.range))
                     if g.value(node, RDFS.range) is not None else ""})
    return rows


@govshare.route(vocab.NAMESPACE_PATH)
def namespace_document() -> Response | str:
    """The govshare namespace document: RDF by ``Accept``, or a page for people."""
    g = vocab.namespace_graph(govshare_fields())
    wanted = request.accept_mimetypes.best_match([*FORMATS, "text/html"], default="text/turtle")
    if wanted != "text/html":
        return _answer(g)
    return tk.render("govshare/namespace.html", {
        "namespace": str(vocab.namespace()), "formats": list(FORMATS),
        "classes": _terms(g, RDFS.Class), "properties": _terms(g, RDF.Property),
        "schemes": sorted(vocab.schemes())})


@govshare.route("/vocab/<name>")
def vocab_scheme(name: str) -> Response:
    if name not in vocab.schemes():
        return tk.abort(404, tk._("No such vocabulary"))
    return _answer(vocab.scheme_graph(name))
