"""The national exchange format: the catalog as the 《政务信息资源目录编制指南》/ GB/T 21063.3
element set in XML, its XSD, and reading such a file into entries for the catalog import.

Provincial platforms cascade catalogs as XML; this is the same catalog as the spreadsheet
template (catalog_io), in the same element set: the template's fields, in schema order, are
the elements (schemas/dataset.yaml is the single source of truth: nothing here names a field
or a choice). The mapping, which the XSD (``xsd()``, published at ``/govshare/exchange.xsd``)
states:

* target namespace ``NS``; the root ``<catalog>`` (``generated``, ``source``) holds
  ``<entry>`` elements (both global, so that one entry validates on its own);
* a field is the element of its API name, its zh/en labels the element's
  ``xs:documentation``; required fields occur once (minOccurs 1), others may be left out;
* a field with several values (multiple choices, related codes) repeats its element, one per
  value; the information items repeat ``<info_items>``, each holding its subfields;
* choices are enumerations of their codes (each code documented with its labels); dates are
  ``xs:date`` (YYYY-MM-DD); counts ``xs:nonNegativeInteger`` up to the validator's limit;
  numbers ``xs:decimal`` ≥ 0; texts ``xs:string`` of at most the validator's length; resource
  codes by the code pattern;
* ``owner_org`` holds the department's 统一社会信用代码 (its name when it has none), its
  title in the attribute ``title``.

What one element cannot say (共享条件 when conditional, a unique code, …) is the catalog
schema's validation, which the import applies after the XSD.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from typing import IO, Any, Iterable, Iterator, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from lxml import etree

from ckanext.govshare import catalog_io
from ckanext.govshare import schema as catalog
from ckanext.govshare.catalog_io import ITEMS, Column, Entry, Problem
from ckanext.govshare.logic.validators import RESOURCE_CODE, RESOURCE_CODE_MAX

NS = "http://purl.org/govshare/ns/exchange/1.0"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VERSION = "1.0"
ROOT, ENTRY = "catalog", "entry"
DEPARTMENT_TITLE = "title"  # owner_org's attribute
XSD_PATH = "/govshare/exchange.xsd"
_FLUSH_BYTES = 1 << 16  # what a streamed export hands on at a time
_VALIDATOR = re.compile(r"(\w+)(?:\(([^)]*)\))?")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _xs(name: str) -> str:
    return f"{{{XS}}}{name}"


@dataclasses.dataclass(frozen=True)
class Element:
    """One element of an entry (or of an information item): its template column, the
    schema field it comes from, and the type the field's validators give it."""
    column: Column
    field: dict[str, Any]
    required: bool
    base: str                    # the XSD base type
    facets: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.column.sub or self.column.field

    @property
    def type_name(self) -> str:
        return ".".join(filter(None, (self.column.field if self.column.sub else None, self.name)))

    def label(self, lang: Optional[str] = None) -> str:
        return catalog.field_label(self.field, lang)

    def expected(self) -> str:
        """What a value of this element looks like, for messages."""
        facets = dict(self.facets)
        if self.column.choices:
            return tk._("one of: {choices}").format(choices=_choice_list(self.column))
        if self.base == "xs:date":
            return tk._("a date written YYYY-MM-DD")
        if self.base == "xs:nonNegativeInteger":
            return tk._("a whole number from 0 to {limit}").format(limit=facets["maxInclusive"])
        if self.base == "xs:decimal":
            return tk._("a number not below 0")
        if "pattern" in facets:
            return tk._("a resource code such as 101001/000001")
        return tk._("text of at most {limit} characters").format(limit=facets["maxLength"]) \
            if "maxLength" in facets else tk._("text")


def _choice_list(column: Column) -> str:
    return "、".join(f"{code}（{column.label_of(code)}）" for code, _ in column.choices)


def _validators(field: dict[str, Any]) -> dict[str, list[str]]:
    found = {}
    for match in _VALIDATOR.finditer(field.get("validators") or ""):
        found[match.group(1)] = [a.strip() for a in (match.group(2) or "").split(",") if a]
    return found


def _code_pattern() -> str:
    """The resource code's regular expression as an XSD pattern (anchored already)."""
    return re.sub(r"\(\?P<\w+>", "(", RESOURCE_CODE.pattern.strip("^$"))


def _typed(column: Column, field: dict[str, Any]) -> Element:
    """The element of a template column, typed by its field's preset, choices and
    validators."""
    checks = _validators(field)
    facets: list[tuple[str, str]] = []
    if column.choices:
        base = "xs:token"
    elif column.date:
        base, facets = "xs:date", [("pattern", r"\d{4}-\d{2}-\d{2}")]
    elif "govshare_count" in checks:
        base, facets = "xs:nonNegativeInteger", [("maxInclusive", checks["govshare_count"][0])]
    elif "govshare_non_negative_number" in checks:
        base, facets = "xs:decimal", [("minInclusive", "0")]
    elif "govshare_resource_code" in checks or "govshare_related_codes" in checks:
        base, facets = "xs:token", [("pattern", _code_pattern()),
                                    ("maxLength", str(RESOURCE_CODE_MAX))]
    else:
        base = "xs:string"
        for name in ("govshare_text", "govshare_long_text"):
            if checks.get(name):
                facets = [("maxLength", checks[name][0])]
    required = bool(field.get("required")) or "not_empty" in checks
    return Element(column, field, required, base, tuple(facets))


def _subfield(field_name: str, sub: str) -> dict[str, Any]:
    return next(s for s in catalog.dataset_field(field_name)["repeating_subfields"]
                if s["field_name"] == sub)


@functools.lru_cache(maxsize=1)
def elements() -> tuple[tuple[Element, tuple[Element, ...]], ...]:
    """The entry's elements in template order, each with its subelements (the
    information items' subfields; none for the other fields)."""
    found: list[tuple[Element, list[Element]]] = []
    for column in catalog_io.columns():
        if column.sub is None:
            found.append((_typed(column, catalog.dataset_field(column.field)), []))
        elif found and found[-1][0].name == column.field:
            found[-1][1].append(_typed(column, _subfield(column.field, column.sub)))
        else:
            items = Column(header=column.field, field=column.field, multiple=True)
            found.append((Element(items, catalog.dataset_field(column.field), False,
                                  "complex"), [_typed(column, _subfield(column.field,
                                                                      column.sub))]))
    return tuple((element, tuple(subs)) for element, subs in found)


def _element_named(name: str, parent: Optional[str] = None) -> Optional[Element]:
    for element, subs in elements():
        if parent is None and element.name == name:
            return element
        if parent == element.name:
            return next((s for s in subs if s.name == name), None)
    return None


# ------------------------------------------------------------------ the XSD

def _documentation(parent: etree._Element, labels: Any) -> None:
    note = etree.SubElement(parent, _xs("annotation"))
    if not isinstance(labels, dict):
        labels = {"": labels}
    for lang, text in labels.items():
        doc = etree.SubElement(note, _xs("documentation"))
        if lang:
            doc.set(XML_LANG, lang.replace("_", "-"))
        doc.text = text


def _simple_type(schema: etree._Element, element: Element) -> None:
    simple = etree.SubElement(schema, _xs("simpleType"), name=element.type_name)
    restriction = etree.SubElement(simple, _xs("restriction"), base=element.base)
    for facet, value in element.facets:
        etree.SubElement(restriction, _xs(facet), value=value)
    for code, labels in element.column.choices:
        enumeration = etree.SubElement(restriction, _xs("enumeration"), value=code)
        _documentation(enumeration, labels)


def _declare(sequence: etree._Element, element: Element, type_name: str) -> None:
    declared = etree.SubElement(sequence, _xs("element"), name=element.name, type=type_name,
                                minOccurs="1" if element.required else "0",
                                maxOccurs="unbounded" if element.column.multiple else "1")
    _documentation(declared, element.field.get("label", element.name))


def _schema_tree() -> etree._Element:
    schema = etree.Element(_xs("schema"), nsmap={"xs": XS, None: NS}, targetNamespace=NS,
                           elementFormDefault="qualified", version=VERSION)
    _documentation(schema, {"zh_Hans_CN": "政务信息资源目录交换格式（《政务信息资源目录编制指南》、"
                                          "GB/T 21063.3 核心元数据），由 schemas/dataset.yaml 生成",
                            "en": "Government information resource catalog exchange format, "
                                  "generated from schemas/dataset.yaml"})
    root = etree.SubElement(schema, _xs("element"), name=ROOT)
    _documentation(root, {"zh_Hans_CN": "政务信息资源目录", "en": "Catalog"})
    root_type = etree.SubElement(root, _xs("complexType"))
    etree.SubElement(etree.SubElement(root_type, _xs("sequence")), _xs("element"), ref=ENTRY,
                     minOccurs="0", maxOccurs="unbounded")
    etree.SubElement(root_type, _xs("attribute"), name="generated", type="xs:dateTime")
    etree.SubElement(root_type, _xs("attribute"), name="source", type="xs:anyURI")

    entry = etree.SubElement(schema, _xs("element"), name=ENTRY)
    _documentation(entry, {"zh_Hans_CN": "信息资源", "en": "Catalog entry"})
    sequence = etree.SubElement(etree.SubElement(entry, _xs("complexType")), _xs("sequence"))
    for element, subs in elements():
        if subs:
            _declare(sequence, element, element.name)
            items = etree.SubElement(schema, _xs("complexType"), name=element.name)
            item_sequence = etree.SubElement(items, _xs("sequence"))
            for sub in subs:
                _declare(item_sequence, sub, sub.type_name)
                _simple_type(schema, sub)
        elif element.name == "owner_org":
            _declare(sequence, element, element.name)
            value = dataclasses.replace(element, column=dataclasses.replace(
                element.column, field="owner_org", sub="code"))
            _simple_type(schema, value)
            department = etree.SubElement(schema, _xs("complexType"), name=element.name)
            extension = etree.SubElement(etree.SubElement(department, _xs("simpleContent")),
                                         _xs("extension"), base=value.type_name)
            etree.SubElement(extension, _xs("attribute"), name=DEPARTMENT_TITLE,
                             type="xs:string")
        else:
            _declare(sequence, element, element.type_name)
            _simple_type(schema, element)
    return schema


@functools.lru_cache(maxsize=1)
def xsd() -> bytes:
    """The XSD of the exchange format (the schema does not change while CKAN runs)."""
    return etree.tostring(_schema_tree(), xml_declaration=True, encoding="utf-8",
                          pretty_print=True)


@functools.lru_cache(maxsize=1)
def xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(xsd()))


# ------------------------------------------------------------------ writing

def _texts(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if v not in (None, "")]


def _date_text(value: str) -> str:
    return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else value


def entry_element(package: dict[str, Any], departments: dict[str, tuple[str, str]]
                  ) -> etree._Element:
    """One entry (a package dict as package_show gives its catalog fields) as ``<entry>``;
    ``departments``: id → (code, title)."""
    values = catalog_io.entry_values(package)
    entry = etree.Element(_q(ENTRY))
    for element, subs in elements():
        if subs:
            for item in values[ITEMS]:
                node = etree.SubElement(entry, _q(element.name))
                for sub in subs:
                    for text in _texts(item.get(sub.name)):
                        etree.SubElement(node, _q(sub.name)).text = text
            continue
        if element.name == "owner_org":
            code, title = departments.get(package.get("owner_org"), (None, None))
            if code:
                etree.SubElement(entry, _q(element.name), {DEPARTMENT_TITLE: title}).text = code
            continue
        for text in _texts(values.get(element.name)):
            etree.SubElement(entry, _q(element.name)).text = \
                _date_text(text) if element.column.date else text
    return entry


def department_codes() -> dict[str, tuple[str, str]]:
    """Every department's id → (统一社会信用代码, or its name without one; title)."""
    found = {}
    for group in (model.Session.query(model.Group)
                  .filter(model.Group.is_organization.is_(True))):
        found[group.id] = ((group.extras or {}).get("department_code") or group.name,
                           group.title)
    return found


class _Sink:
    """Collects what the XML writer writes, to be handed on in pieces."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)

    def take(self) -> bytes:
        data, self.parts, self.size = b"".join(self.parts), [], 0
        return data


def stream(packages: Iterable[dict[str, Any]], departments: dict[str, tuple[str, str]],
           source: Optional[str] = None) -> Iterator[bytes]:
    """The catalog document in pieces of about 64 kB, one entry built at a time: memory
    stays the same for any number of entries."""
    sink = _Sink()
    attributes = {"generated": datetime.datetime.now(datetime.timezone.utc)
                  .replace(microsecond=0).isoformat(),
                  f"{{{XSI}}}schemaLocation": f"{NS} {(source or '').rstrip('/')}{XSD_PATH}"}
    if source:
        attributes["source"] = source
    with etree.xmlfile(sink, encoding="utf-8") as document:
        document.write_declaration()
        with document.element(_q(ROOT), attributes, nsmap={None: NS, "xsi": XSI}):
            document.write("\n")
            for package in packages:
                entry = entry_element(package, departments)
                etree.indent(entry, level=1)
                document.write("  ", entry, "\n", pretty_print=False)
                if sink.size >= _FLUSH_BYTES:
                    document.flush()
                    yield sink.take()
    yield sink.take()


def export(user: model.User | str | None, org_id: Optional[str]) -> Iterator[bytes]:
    """The catalog (one department's, or the whole) as the exchange document, with exactly
    the entries the spreadsheet export gives the same user."""
    source = tk.config.get("ckan.site_url")
    return stream(catalog_io.exported_entries(user, org_id), department_codes(), source)


# ------------------------------------------------------------------ reading

def is_xml(stream: IO[bytes], filename: str) -> bool:
    """An exchange document by its name, else (neither .xlsx nor .csv) by its first bytes."""
    name = (filename or "").lower()
    if name.endswith(".xml"):
        return True
    if name.endswith((".xlsx", ".csv")):
        return False
    head = stream.read(64)
    stream.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _place(name: str, parent: Optional[str] = None) -> str:
    """How a problem names an element: ``<share_type>`` with its Chinese label."""
    element = _element_named(name, parent)
    label = element.label(catalog_io.TEMPLATE_LANG) if element else None
    return f"<{name}>（{label}）" if label else f"<{name}>"


_MESSAGE_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'(?:, attribute '([^']+)')?")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ([^)]*) \)")
_VALUE = re.compile(r"(?:The value '|^Element '[^']*': ')((?:[^']|'(?!\s))*)'")


def _expected(message: str) -> str:
    match = _EXPECTED.search(message)
    if not match:
        return ""
    names = [re.sub(r"^\{[^}]*\}|^##other\{[^}]*\}", "", n.strip())
             for n in match.group(1).split(",")]
    return "、".join(f"<{n}>" for n in names if n)


def _parent_at(entry: etree._Element, name: str, line: int) -> Optional[str]:
    """The parent of the element ``name`` on ``line`` (libxml2's messages name the element
    and its line, not its place)."""
    for node in entry.iter(_q(name)):
        if node.sourceline == line and node.getparent() is not None:
            return etree.QName(node.getparent()).localname
    return None


def _problem(error: Any, parent: Optional[str]) -> Problem:
    """libxml2's message of an XSD violation, said in the user's language: the line, the
    element with its label, what is wrong and what was expected."""
    message = error.message
    match = _MESSAGE_ELEMENT.match(message)
    name, attribute = (match.group(1), match.group(2)) if match else ("", None)
    in_item = parent if parent not in (None, ENTRY, ROOT) else None
    element = _element_named(name, in_item)
    place = _place(name, in_item) if name else ""
    value_match = _VALUE.search(message)
    value = value_match.group(1) if value_match else ""
    kind = error.type_name
    if attribute:
        text = tk._("The attribute {attribute} is not allowed here").format(attribute=attribute)
    elif kind == "SCHEMAV_ELEMENT_CONTENT" and "Missing child" in message:
        text = tk._("Missing: {expected}").format(expected=_expected(message))
    elif kind == "SCHEMAV_ELEMENT_CONTENT":
        expected = _expected(message)
        text = (tk._("Not expected here; expected: {expected}").format(expected=expected)
                if expected else tk._("Not expected here: the entry ends before it"))
    elif kind == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
        text = tk._("Text is not allowed directly in this element")
    elif element is not None and kind.startswith("SCHEMAV_CVC_"):
        text = tk._("“{value}” is not valid: {expected}").format(
            value=value, expected=element.expected())
    else:
        text = tk._("Not valid in the exchange format: {detail}").format(detail=message)
    return Problem(error.line, place, text)


def _problems(entry: etree._Element) -> list[Problem]:
    """The XSD's verdict on one entry; libxml2 says a bad value twice (the facet, then the
    type), once is enough."""
    schema = xml_schema()
    if schema.validate(entry):
        return []
    found: list[Problem] = []
    for error in schema.error_log:
        match = _MESSAGE_ELEMENT.match(error.message)
        parent = _parent_at(entry, match.group(1), error.line) if match else None
        problem = _problem(error, parent)
        if not any((p.row, p.column) == (problem.row, problem.column) for p in found):
            found.append(problem)
    return found


def _text(node: etree._Element, element: Optional[Element]) -> Optional[str]:
    text = (node.text or "").strip()
    if element is not None and element.column.structured:
        text = re.sub(r"\s+", " ", text)
    return text or None


def _entry(node: etree._Element) -> Entry:
    """A valid ``<entry>`` as the values the template reader gives (catalog_io.read)."""
    entry = Entry(node.sourceline, {}, [], {})
    for child in node:
        if not isinstance(child.tag, str):
            continue  # a comment or a processing instruction
        name = etree.QName(child).localname
        element = _element_named(name)
        if name == ITEMS:
            item = {}
            for part in child:
                if isinstance(part.tag, str):
                    sub = etree.QName(part).localname
                    value = _text(part, _element_named(sub, ITEMS))
                    if value is not None:
                        item[sub] = value
            entry.items.append((child.sourceline, item))
            continue
        value = _text(child, element)
        if value is None:
            continue
        entry.cells.setdefault(name, child.sourceline)
        if element is not None and element.column.multiple:
            entry.values.setdefault(name, []).append(value)
        else:
            entry.values[name] = value
    return entry


def _unreadable(error: etree.XMLSyntaxError) -> tk.ValidationError:
    line, column = error.position if error.position else (0, 0)
    return tk.ValidationError({"upload": [tk._(
        "Not a well-formed XML file: line {line}, column {column}: {detail}").format(
            line=line, column=column,
            detail=re.sub(r", line \d+, column \d+$", "", error.msg))]})


def _has_dtd(root: etree._Element) -> bool:
    """Entities and external references come with a DTD: the format has none."""
    info = root.getroottree().docinfo
    return bool(info.doctype) or info.internalDTD is not None


def read(stream: IO[bytes]) -> tuple[list[Entry], list[Problem]]:
    """The entries of an exchange document and the problems the XSD finds, each entry
    checked as it is read (then dropped from the tree: memory holds the entries' values,
    not the document)."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    parser = etree.iterparse(stream, events=("start", "end"), resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    depth = 0
    try:
        for event, node in parser:
            if event == "start":
                depth += 1
                if depth == 1 and _has_dtd(node):
                    raise tk.ValidationError({"upload": [tk._(
                        "A document type declaration (DOCTYPE) is not allowed in the exchange "
                        "format")]})
                if depth == 1 and node.tag != _q(ROOT):
                    raise tk.ValidationError({"upload": [tk._(
                        "Not a catalog in the exchange format: the document must be a "
                        "<catalog> of the namespace {namespace} (see {xsd})").format(
                            namespace=NS, xsd=XSD_PATH)]})
                if depth == 2 and node.tag != _q(ENTRY):
                    problems.append(Problem(node.sourceline, f"<{etree.QName(node).localname}>",
                                            tk._("Not expected here; expected: {expected}")
                                            .format(expected=f"<{ENTRY}>")))
                continue
            depth -= 1
            if depth != 1:
                continue
            if node.tag == _q(ENTRY):
                found = _problems(node)
                problems += found
                if not found:
                    entries.append(_entry(node))
            node.clear()
            parent = node.getparent()
            while parent is not None and node.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as error:
        raise _unreadable(error)
    return entries, problems
