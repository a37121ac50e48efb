"""The govshare DCAT profile: the national catalog (schemas/dataset.yaml) in DCAT-AP 3.

On top of ckanext-dcat's DCAT-AP 3 profile, it puts the national fields where DCAT-AP has
a property for them (resource_code → dct:identifier, publish_date → dct:issued, the data's
last update → dct:modified, update_frequency → the EU frequency vocabulary, themes →
dcat:theme, the department → dct:publisher with its 统一社会信用代码), writes every other
catalog field as a govshare term (``vocab.GS``; choice fields as concepts of the portal's
schemes), and reads all of it back, so that RDF → entry restores every field.

A distribution's URLs are the resource's only when the dict it is made from carries them:
the dicts come from package_show / package_search, where ``access.DataPolicy`` removed the
URLs the caller may not have and marked the resource ``data_access: false``. Every other
distribution gets the entry's landing page as its access URL, never a resource URL.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, SKOS, XSD

from ckanext.dcat.profiles import DCAT, DCT, VCARD, CleanedURIRef
from ckanext.dcat.profiles.euro_dcat_ap_3 import EuropeanDCATAP3Profile
from ckanext.dcat.utils import publisher_uri_organization_fallback, resource_uri

from ckanext.govshare import codes, harvest, vocab
from ckanext.govshare import schema as catalog

# Catalog fields written with a DCAT-AP property; every other field is a govshare term.
DCAT_FIELDS = ("title", "notes", "tag_string", "owner_org", "resource_code", "publish_date",
               "update_frequency", "themes")
LIST_PRESETS = ("multiple_select", "multiple_checkbox", "multiple_text")
ACCESS_METHOD = "access_method"


def access_right(share_type: Optional[str], open_type: Optional[str]) -> URIRef:
    """The EU access right: public when anyone may use the data, restricted when some may
    (shared with departments, or open by authorization), non-public otherwise."""
    if open_type == codes.GENERAL:
        return vocab.EU_ACCESS_RIGHT.PUBLIC
    if open_type == codes.AUTHORIZED or share_type in (codes.UNCONDITIONAL, codes.CONDITIONAL):
        return vocab.EU_ACCESS_RIGHT.RESTRICTED
    return vocab.EU_ACCESS_RIGHT.NON_PUBLIC


def govshare_fields() -> dict[str, dict[str, Any]]:
    """Term name → schema field, for the fields written as govshare terms."""
    fields = [f for f in catalog.dataset_fields() if f["field_name"] not in DCAT_FIELDS]
    fields += [s for f in catalog.dataset_fields() for s in f.get("repeating_subfields") or []]
    fields += [f for f in catalog.resource_fields() if f["field_name"] == ACCESS_METHOD]
    return {str(vocab.term(f["field_name"])).rsplit("#", 1)[1]: f for f in fields}


def _is_list(field: dict[str, Any]) -> bool:
    return field.get("preset") in LIST_PRESETS or "multiple" in (field.get("validators") or "")


def _literal(value: Any) -> Literal:
    if isinstance(value, bool):
        return Literal(value, datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    return Literal(str(value))


def _python(node: Any) -> Any:
    value = node.toPython() if isinstance(node, Literal) else str(node)
    return float(value) if isinstance(value, Decimal) else value


class GovshareDCATAP3Profile(EuropeanDCATAP3Profile):
    """DCAT-AP 3 with the national catalog fields (registered as ``govshare``)."""

    # ------------------------------------------------------------ entry → RDF

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        super().graph_from_dataset(dataset_dict, dataset_ref)
        g = self.g
        g.bind("gs", vocab.GS)
        for predicate in (DCT.identifier, DCT.issued, DCT.modified, DCT.accrualPeriodicity,
                          DCAT.theme, DCT.accessRights, DCAT.landingPage, DCT.language):
            g.remove((dataset_ref, predicate, None))
        landing = URIRef(tk.url_for("dataset.read", id=dataset_dict["name"], _external=True))
        g.add((dataset_ref, DCAT.landingPage, landing))
        g.add((landing, RDF.type, FOAF.Document))
        g.add((landing, RDF.type, RDFS.Resource))
        g.add((dataset_ref, DCT.identifier, Literal(dataset_dict["resource_code"])))
        if dataset_dict.get("publish_date"):
            g.add((dataset_ref, DCT.issued, Literal(dataset_dict["publish_date"],
                                                    datatype=XSD.date)))
        if dataset_dict.get("data_updated"):
            g.add((dataset_ref, DCT.modified, Literal(dataset_dict["data_updated"],
                                                      datatype=XSD.dateTime)))
        frequency = vocab.FREQUENCY.get(dataset_dict.get("update_frequency") or "")
        if frequency:
            node = vocab.EU_FREQUENCY[frequency]
            g.add((dataset_ref, DCT.accrualPeriodicity, node))
            g.add((node, RDF.type, DCT.Frequency))
        for theme in dataset_dict.get("themes") or []:
            g.add((dataset_ref, DCAT.theme, vocab.add_concept(g, "themes", theme)))
        rights = access_right(dataset_dict.get("share_type"), dataset_dict.get("open_type"))
        g.add((dataset_ref, DCT.accessRights, rights))
        g.add((rights, RDF.type, DCT.RightsStatement))
        self._add_language(dataset_ref)
        self._add_terms(dataset_ref, dataset_dict)
        org = self._department(dataset_dict.get("owner_org"))
        if org:
            publisher = URIRef(publisher_uri_organization_fallback(dataset_dict))
            g.remove((publisher, None, None))
            self._add_agent(publisher, org)
            g.add((dataset_ref, DCT.publisher, publisher))
            self._add_contact_point(dataset_ref, org)
        for position, resource in enumerate(dataset_dict.get("resources") or []):
            self._distribution(dataset_dict, resource, position, landing)

    def _add_language(self, subject: Any) -> None:
        node = vocab.EU_LANGUAGE[vocab.LANGUAGES.get(
            tk.config.get("ckan.locale_default"), "ZHO")]
        self.g.add((subject, DCT.language, node))
        self.g.add((node, RDF.type, DCT.LinguisticSystem))

    def _add_terms(self, subject: Any, values: dict[str, Any],
                   fields: Optional[list[dict[str, Any]]] = None,
                   parent: Optional[str] = None) -> None:
        """Every field of ``fields`` (the catalog fields without a DCAT-AP property) as its
        govshare term: choices as concepts, information items as structured nodes."""
        if fields is None:
            fields = [f for f in catalog.dataset_fields() if f["field_name"] not in DCAT_FIELDS]
        for field in fields:
            name = field["field_name"]
            value = values.get(name)
            if field.get("repeating_subfields"):
                for position, item in enumerate(value or []):
                    node = BNode()
                    self.g.add((subject, vocab.term(name), node))
                    self.g.add((node, RDF.type, vocab.INFORMATION_ITEM))
                    self.g.add((node, vocab.ORDER, Literal(position, datatype=XSD.integer)))
                    self._add_terms(node, item, field["repeating_subfields"], name)
                continue
            for one in value if isinstance(value, list) else [value]:
                if one is None or one == "":
                    continue
                if field.get("choices"):
                    obj = vocab.add_concept(self.g, vocab.scheme_name(name, parent), one)
                else:
                    obj = _literal(one)
                self.g.add((subject, vocab.term(name), obj))

    def _department(self, org_id: Optional[str]) -> Optional[dict[str, Any]]:
        if not org_id:
            return None
        if org_id not in self._org_cache:
            try:
                self._org_cache[org_id] = tk.get_action("organization_show")(
                    {"ignore_auth": True}, {"id": org_id, "include_datasets": False,
                                            "include_users": False})
            except tk.ObjectNotFound:
                return None
        return self._org_cache[org_id]

    def _add_agent(self, agent: Any, org: dict[str, Any]) -> None:
        """A department as foaf:Agent: name, 统一社会信用代码 (dct:identifier) and level."""
        g = self.g
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, RDF.type, FOAF.Organization))
        g.add((agent, FOAF.name, Literal(org["title"] or org["name"], lang="zh")))
        if org.get("department_code"):
            g.add((agent, DCT.identifier, Literal(org["department_code"])))
        if org.get("region_level"):
            g.add((agent, vocab.REGION_LEVEL,
                   vocab.add_concept(g, "region-level", org["region_level"])))
        kind = vocab.ADMS_PUBLISHER_TYPE.LocalAuthority
        g.add((agent, DCT.type, kind))
        g.add((kind, RDF.type, SKOS.Concept))
        g.add((kind, SKOS.prefLabel, Literal("Local Authority", lang="en")))
        page = URIRef(tk.url_for("organization.read", id=org["name"], _external=True))
        g.add((agent, FOAF.homepage, page))
        g.add((page, RDF.type, FOAF.Document))

    def _add_contact_point(self, dataset_ref: Any, org: dict[str, Any]) -> None:
        g = self.g
        contact = URIRef(tk.url_for("organization.read", id=org["name"], _external=True)
                         + "#contact")
        g.add((dataset_ref, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, VCARD.fn, Literal(org["title"] or org["name"], lang="zh")))
        g.add((contact, VCARD.hasURL, URIRef(
            tk.url_for("organization.read", id=org["name"], _external=True))))

    def _distribution(self, dataset_dict: dict[str, Any], resource: dict[str, Any],
                      position: int, landing: URIRef) -> None:
        g = self.g
        dist = CleanedURIRef(resource_uri(resource))
        for predicate in (DCAT.accessURL, DCAT.downloadURL, DCT["format"], DCAT.mediaType,
                          DCT.license):
            g.remove((dist, predicate, None))
        g.add((dist, vocab.ORDER, Literal(position, datatype=XSD.integer)))
        url = resource.get("url") if resource.get("data_access") is not False else None
        if url:
            data = URIRef(url)
            g.add((dist, DCAT.accessURL, data))
            g.add((data, RDF.type, RDFS.Resource))
            if resource.get("url_type") == "upload":
                g.add((dist, DCAT.downloadURL, data))
        else:
            g.add((dist, DCAT.accessURL, landing))
        file_type, media_type = vocab.file_type(resource.get("format"))
        if file_type is not None:
            g.add((dist, DCT["format"], file_type))
            g.add((file_type, RDF.type, DCT.MediaTypeOrExtent))
        if media_type is not None:
            g.add((dist, DCAT.mediaType, media_type))
            g.add((media_type, RDF.type, DCT.MediaType))
        if dataset_dict.get("open_type") in codes.PUBLISHED_OPEN_TYPES:
            self._add_licence(dist)
        availability = vocab.AVAILABILITY[dataset_dict.get("catalog_state") == codes.REGISTERED]
        g.add((dist, vocab.DCATAP.availability, availability))
        g.add((availability, RDF.type, SKOS.Concept))
        g.add((availability, SKOS.prefLabel,
               Literal(str(availability).rsplit("/", 1)[1].capitalize(), lang="en")))
        access = [f for f in catalog.resource_fields() if f["field_name"] == ACCESS_METHOD]
        self._add_terms(dist, resource, access, "resource")

    def _add_licence(self, subject: Any) -> None:
        licence = URIRef(tk.config.get("govshare.dcat.licence"))
        self.g.add((subject, DCT.license, licence))
        self.g.add((licence, RDF.type, DCT.LicenseDocument))

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: Any) -> None:
        super().graph_from_catalog(catalog_dict, catalog_ref)
        g = self.g
        g.bind("gs", vocab.GS)
        g.remove((catalog_ref, DCT.language, None))
        self._add_language(catalog_ref)
        # The home page, not the catalog's own IRI (which the base profile names as such).
        g.remove((catalog_ref, FOAF.homepage, None))
        homepage = URIRef(tk.url_for("home.index", _external=True))
        g.add((catalog_ref, FOAF.homepage, homepage))
        g.add((homepage, RDF.type, FOAF.Document))
        self._add_licence(catalog_ref)
        themes = vocab.scheme_uri("themes")
        g.add((catalog_ref, DCAT.themeTaxonomy, themes))
        vocab.add_scheme(g, "themes")
        authority = self._department(tk.config.get("govshare.authority_org"))
        if authority:
            publisher = URIRef(tk.url_for("organization.read", id=authority["name"],
                                          _external=True))
            self._add_agent(publisher, authority)
        else:
            publisher = BNode()
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(tk.config.get("ckan.site_title"))))
        g.add((catalog_ref, DCT.publisher, publisher))

    # ------------------------------------------------------------ RDF → entry

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> dict[str, Any]:
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        g = self.g
        dataset_dict["extras"] = [e for e in dataset_dict.get("extras", []) if e["key"] == "uri"]
        dataset_dict.update(self._read_terms(dataset_ref))
        dataset_dict["resource_code"] = self._object_value(dataset_ref, DCT.identifier)
        issued = g.value(dataset_ref, DCT.issued)
        if issued is not None:
            dataset_dict["publish_date"] = str(issued)[:10]
        frequency = g.value(dataset_ref, DCT.accrualPeriodicity)
        by_code = {str(vocab.EU_FREQUENCY[eu]): code for code, eu in vocab.FREQUENCY.items()}
        if frequency is not None and str(frequency) in by_code:
            dataset_dict["update_frequency"] = by_code[str(frequency)]
        themes = {vocab.code_of(g, t) for t in g.objects(dataset_ref, DCAT.theme)
                  if f"/vocab/{vocab.scheme_name('themes')}#" in str(t)}
        dataset_dict["themes"] = [c for c in catalog.choice_values("themes") if c in themes]
        tags = dataset_dict.pop("tags", None) or []
        dataset_dict["tag_string"] = ",".join(t["name"] for t in tags)
        publisher = g.value(dataset_ref, DCT.publisher)
        owner = self._owner_org(publisher)
        if owner:
            dataset_dict["owner_org"] = owner
        if publisher is not None:  # the department where the entry comes from (回流)
            dataset_dict["extras"] += [
                {"key": key, "value": self._object_value(publisher, predicate)}
                for key, predicate in ((harvest.PUBLISHER_NAME, FOAF.name),
                                       (harvest.PUBLISHER_CODE, DCT.identifier))]
        if not dataset_dict.get("license_id"):
            dataset_dict.pop("license_id", None)
        landing = g.value(dataset_ref, DCAT.landingPage)
        dataset_dict.pop("url", None)
        dataset_dict["resources"] = [
            self._resource(dist, landing)
            for dist in sorted(g.objects(dataset_ref, DCAT.distribution),
                               key=lambda d: int(g.value(d, vocab.ORDER) or 0))]
        return dataset_dict

    def _read_terms(self, subject: Any, fields: Optional[list[dict[str, Any]]] = None,
                    parent: Optional[str] = None) -> dict[str, Any]:
        g = self.g
        if fields is None:
            fields = [f for f in catalog.dataset_fields() if f["field_name"] not in DCAT_FIELDS]
        values: dict[str, Any] = {}
        for field in fields:
            name = field["field_name"]
            objects = list(g.objects(subject, vocab.term(name)))
            if field.get("repeating_subfields"):
                nodes = sorted(objects, key=lambda n: int(g.value(n, vocab.ORDER) or 0))
                values[name] = [self._read_terms(n, field["repeating_subfields"], name)
                                for n in nodes]
                continue
            if field.get("choices"):
                found = [vocab.code_of(g, o) for o in objects]
            else:
                found = [_python(o) for o in objects]
            if _is_list(field):
                order = [str(c["value"]) for c in field.get("choices") or []]
                values[name] = sorted(found, key=order.index) if order else found
            elif found:
                values[name] = found[0]
        return values

    def _owner_org(self, agent: Any) -> Optional[str]:
        """The local department with the publisher's 统一社会信用代码, if there is one."""
        code = self.g.value(agent, DCT.identifier) if agent is not None else None
        if code is None:
            return None
        row = (model.Session.query(model.Group.name)
               .filter(model.Group.is_organization.is_(True), model.Group.state == "active",
                       model.Group.extras["department_code"].astext == str(code))
               .first())
        return row.name if row else None

    def _resource(self, dist: Any, landing: Any) -> dict[str, Any]:
        g = self.g
        access = g.value(dist, DCAT.accessURL)
        url = g.value(dist, DCAT.downloadURL) or (access if access != landing else None)
        resource = {"name": self._object_value(dist, DCT.title),
                    "description": self._object_value(dist, DCT.description),
                    "url": str(url) if url is not None else "",
                    "format": vocab.format_of(g.value(dist, DCT["format"])) or ""}
        resource.update(self._read_terms(
            dist, [f for f in catalog.resource_fields() if f["field_name"] == ACCESS_METHOD],
            "resource"))
        resource["uri"] = str(dist)
        return resource
