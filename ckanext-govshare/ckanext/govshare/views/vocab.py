"""``/vocab``: the govshare namespace and ``/vocab/<scheme>``: the SKOS concept schemes that
the DCAT output's concepts belong to. Open to everyone on every site: they describe the
catalog's codes, never an entry."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Response, request
from rdflib import Graph

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


@govshare.route("/vocab/<name>")
def vocab_scheme(name: str) -> Response:
    if name not in vocab.schemes():
        return tk.abort(404, tk._("No such vocabulary"))
    return _answer(vocab.scheme_graph(name))
