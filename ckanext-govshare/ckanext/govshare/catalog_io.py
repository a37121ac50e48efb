"""The national catalog template (《政务信息资源目录编制指南》) as a spreadsheet: its
columns, reading a department's .xlsx or .csv into entries, and writing entries back.

The columns are the dataset schema's form fields under their Chinese labels, in schema
order, and the information items' subfields (schemas/dataset.yaml is the single source of
truth: nothing here names a field or a choice). A file holds one row per entry, or one
row per information item with the entry's columns repeated or merged (blank). Choices are
read by their Chinese (or English) label or their code; structured values (codes, choices,
dates, numbers) are folded to half-width (NFKC) and stripped of stray spaces, free text is
only stripped (NFKC would turn Chinese punctuation into ASCII).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import functools
import io
import json
import re
import unicodedata
from typing import IO, Any, Iterable, Iterator, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import or_

from ckanext.govshare import access
from ckanext.govshare import schema as catalog

ITEMS = "info_items"  # the repeating field: one row per item
TAGS = "tag_string"   # shown by package_show as ``tags``
# What separates the values of a multi-valued cell (after NFKC: 、 stays, ，；become ,;).
_SEPARATORS = re.compile(r"[、,;\n|]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SPREADSHEET_EPOCH = datetime.date(1899, 12, 30)
TEMPLATE_LANG = "zh_Hans_CN"  # the template's headers are the fields' Chinese labels


@functools.lru_cache(maxsize=65536)  # a file repeats its choices' labels on every row
def _key(text: str) -> str:
    """How a header or a choice is compared: half-width, no spaces, case folded, no
    required-field marks."""
    return re.sub(r"[\s*＊]", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of the template: a dataset field, or a subfield of the items."""
    header: str
    field: str
    sub: Optional[str] = None
    choices: tuple[tuple[str, dict[str, str]], ...] = ()  # (code, labels by language)
    multiple: bool = False
    date: bool = False
    structured: bool = False  # codes and numbers: folded to half-width

    def code_of(self, text: str) -> Optional[str]:
        wanted = _key(text)
        for code, labels in self.choices:
            if wanted == _key(code) or any(wanted == _key(label) for label in labels.values()):
                return code
        return None

    def label_of(self, code: str) -> str:
        for value, labels in self.choices:
            if value == code:
                return catalog.scheming_language_text(labels, TEMPLATE_LANG)
        return code

    @property
    def choice_labels(self) -> str:
        return "、".join(self.label_of(code) for code, _ in self.choices)


def _column(field: dict[str, Any], header: str, sub: Optional[str] = None) -> Column:
    choices = tuple((c["value"], c["label"] if isinstance(c["label"], dict) else {"": c["label"]})
                    for c in field.get("choices") or [])
    preset = field.get("preset") or ""
    validators = field.get("validators") or ""
    return Column(header=header, field=field["field_name"] if sub is None else sub,
                  sub=None if sub is None else field["field_name"], choices=choices,
                  multiple=preset.startswith("multiple") or "multiple" in validators,
                  date=preset == "date",
                  structured=bool(choices) or "count" in validators or "number" in validators
                  or "code" in validators)


@functools.lru_cache(maxsize=1)
def _columns() -> tuple[Column, ...]:
    return tuple(_derived_columns())


def columns() -> tuple[Column, ...]:
    """The template's columns (the schema is read once: it does not change while CKAN runs)."""
    return _columns()


def _derived_columns() -> list[Column]:
    """The template's columns: every form field of the dataset schema (a field without a
    form, such as the catalog state, is moved by the catalog actions only), the items'
    subfields in place of the items field. A subfield whose label is also an entry
    field's (共享类型) is headed with the items' label before it (信息项共享类型)."""
    fields = [f for f in catalog.dataset_fields()
              if not ("form_snippet" in f and f["form_snippet"] is None)]
    entry_labels = {catalog.field_label(f, TEMPLATE_LANG) for f in fields}
    found: list[Column] = []
    for field in fields:
        if field.get("repeating_subfields"):
            for sub in field["repeating_subfields"]:
                header = catalog.field_label(sub, TEMPLATE_LANG)
                if header in entry_labels:
                    header = catalog.field_label(field, TEMPLATE_LANG) + header
                column = _column(sub, header)
                found.append(dataclasses.replace(column, field=field["field_name"],
                                                 sub=sub["field_name"]))
        else:
            found.append(_column(field, catalog.field_label(field, TEMPLATE_LANG)))
    return found


def headers() -> list[str]:
    return [c.header for c in columns()]


def column_of(field: str, sub: Optional[str] = None) -> Optional[Column]:
    for column in columns():
        if (column.field, column.sub) == (field, sub):
            return column
    return None


# ------------------------------------------------------------------ reading cells

@dataclasses.dataclass
class Problem:
    """A bad cell or row: the spreadsheet row (1-based, as the spreadsheet shows it), the
    column's Chinese header, the reason in the user's language."""
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _text(value: Any, structured: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        value = value.date().isoformat() if isinstance(value, datetime.datetime) \
            and value.time() == datetime.time() else value.isoformat()
    text = str(value)
    if structured:
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def _date(value: Any) -> str:
    """A date cell as ISO text: spreadsheet dates, their serial numbers, and the ways
    people type dates (2024-1-5, 2024/01/05, 2024.1.5, 2024年1月5日, 20240105). What is
    not a date is passed on for the schema's validator to refuse."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2958466:
        return (_SPREADSHEET_EPOCH + datetime.timedelta(days=int(value))).isoformat()
    text = _text(value, True)
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if match:
        try:
            return datetime.date(*map(int, match.groups())).isoformat()
        except ValueError:
            return text
    return text


def cell_value(column: Column, value: Any, row: int,
               problems: list[Problem]) -> Any:
    """One cell as the schema takes it: a code, a list of codes or texts, an ISO date, a
    text; None when blank. An unknown choice is a problem."""
    if column.date:
        return _date(value) or None
    text = _text(value, column.structured or column.multiple)
    if not text:
        return None
    if column.multiple:
        parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    else:
        parts = [text]
    if column.choices:
        codes = []
        for part in parts:
            code = column.code_of(part)
            if code is None:
                problems.append(Problem(row, column.header, tk._(
                    "“{value}” is not one of: {choices}").format(
                        value=part, choices=column.choice_labels)))
            codes.append(code)
        parts = codes
    return parts if column.multiple else parts[0]


# ------------------------------------------------------------------ reading files

def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    """The first sheet's rows, from its first row and column (so that row numbers are the
    spreadsheet's). Read with calamine (Rust): openpyxl's parsing took most of an import's
    reading time; openpyxl still writes the exports."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(stream).get_sheet_by_index(0)
    except (CalamineError, OSError, ValueError) as error:
        raise tk.ValidationError({"upload": [tk._("Not a readable .xlsx workbook: {error}")
                                             .format(error=error)]})
    first_row, first_column = sheet.start or (0, 0)  # calamine starts at the first filled cell
    for _ in range(first_row):
        yield []
    for row in sheet.iter_rows():
        yield [None] * first_column + list(row)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without its BOM), else GB18030 (which GBK and GB2312 files are)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise tk.ValidationError({"upload": [tk._(
            "The CSV file is neither UTF-8 nor GB18030 text")]})


def _csv_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    yield from csv.reader(io.StringIO(_decode(stream.read()), newline=""))


def rows(stream: IO[bytes], filename: str) -> Iterator[list[Any]]:
    """The rows of a workbook's first sheet or of a CSV file (by its name's ending, else by
    its first bytes: a workbook is a zip)."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return _csv_rows(stream)
    if name.endswith(".xlsx"):
        return _xlsx_rows(stream)
    head = stream.read(4)
    stream.seek(0)
    return _xlsx_rows(stream) if head == b"PK\x03\x04" else _csv_rows(stream)


@dataclasses.dataclass
class Entry:
    """One entry as the file gives it: the row it starts on, its values by field (schema
    codes), its information items (each with its row)."""
    row: int
    values: dict[str, Any]
    items: list[tuple[int, dict[str, Any]]]
    cells: dict[str, int]  # field → the row its value came from (for messages)


def _find_header(found: Iterator[list[Any]], cols: list[Column]
                 ) -> tuple[int, dict[int, Column]]:
    """The header row (the first one naming the resource code column; a title row may sit
    above it) and which column each position holds. Columns the template does not know
    (序号, remarks) are left out."""
    by_key = {_key(c.header): c for c in cols}
    code_key = _key(column_of("resource_code").header)
    for number, row in enumerate(found, 1):
        keys = [_key(_text(v, True)) for v in row]
        if code_key in keys:
            return number, {i: by_key[k] for i, k in enumerate(keys) if k in by_key}
        if number >= 20:
            break
    raise tk.ValidationError({"upload": [tk._(
        "No header row with the column “{column}”: use the catalog template").format(
            column=column_of("resource_code").header)]})


def read(stream: IO[bytes], filename: str) -> tuple[list[Entry], list[Problem]]:
    """The entries of a template file and the problems of its cells and rows.

    A row with a resource code other than the current entry's starts an entry; a row with
    the same code or none continues it (merged cells read as blank), adding its
    information item. A continuation row whose repeated entry values disagree with the
    entry's is a problem: it is probably a new entry whose code was left out."""
    cols = columns()
    found = rows(stream, filename)
    header_row, positions = _find_header(found, cols)
    entries: list[Entry] = []
    problems: list[Problem] = []
    current: Optional[Entry] = None
    for number, row in enumerate(found, header_row + 1):
        values: dict[str, Any] = {}
        item: dict[str, Any] = {}
        for position, column in positions.items():
            raw = row[position] if position < len(row) else None
            value = cell_value(column, raw, number, problems)
            if value is None:
                continue
            if column.sub:
                item[column.sub] = value
            else:
                values[column.field] = value
        if not values and not item:
            continue
        code = values.get("resource_code")
        if current is None or (code and code != current.values.get("resource_code")):
            current = Entry(number, {}, [], {})
            entries.append(current)
        for field, value in values.items():
            known = current.values.get(field)
            if known is not None and known != value:
                problems.append(Problem(number, column_of(field).header, tk._(
                    "Differs from row {row} of the same entry; a new entry needs its own "
                    "resource code").format(row=current.cells[field])))
            elif known is None:
                current.values[field] = value
                current.cells[field] = number
        if item:
            current.items.append((number, item))
    return entries, problems


# ------------------------------------------------------------------ entries as rows

def entry_values(package: dict[str, Any]) -> dict[str, Any]:
    """A package dict (package_show) as the template's values: what an unchanged row
    reads back as. The items are compared and written as a list of subfield dicts."""
    values: dict[str, Any] = {}
    for column in columns():
        if column.sub:
            continue
        if column.field == TAGS:
            names = sorted(t["name"] for t in package.get("tags") or [])
            value: Any = ",".join(names) if names else None
        else:
            value = package.get(column.field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = _text(value, True)
        if isinstance(value, list):
            value = [v for v in value if v not in (None, "")] or None
        values[column.field] = None if value in ("", None) else value
    values[ITEMS] = [_item_values(item) for item in package.get(ITEMS) or []]
    return values


def _item_values(item: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    for column in columns():
        if column.sub is None:
            continue
        value = item.get(column.sub)
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = _text(value, True)
        if value not in (None, ""):
            shown[column.sub] = value
    return shown


def _shown(column: Column, value: Any, departments: dict[str, str]) -> Any:
    if value in (None, "", []):
        return None
    if column.field == "owner_org" and column.sub is None:
        return departments.get(value, value)
    values = value if isinstance(value, list) else [value]
    if column.choices:
        values = [column.label_of(str(v)) for v in values]
    return "、".join(str(v) for v in values) if column.multiple else str(values[0])


def template_rows(packages: Iterable[dict[str, Any]],
                  departments: dict[str, str]) -> Iterator[list[Any]]:
    """The header and one row per information item (the entry's columns repeated), or
    one row for an entry without items; codes as their Chinese labels, the department
    by its title (``departments``: id → title)."""
    cols = columns()
    yield [c.header for c in cols]
    for package in packages:
        values = entry_values(package)
        values["owner_org"] = package.get("owner_org")
        for item in values[ITEMS] or [{}]:
            yield [_shown(c, item.get(c.sub) if c.sub else values.get(c.field), departments)
                   for c in cols]


def write_xlsx(packages: Iterable[dict[str, Any]], departments: dict[str, str],
               target: IO[bytes]) -> None:
    """The template as a workbook, written row by row (a write-only workbook keeps no
    sheet in memory)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(tk._("Catalog"))
    for row in template_rows(packages, departments):
        sheet.append(row)
    book.save(target)


# ------------------------------------------------------------------ exporting

def _stored(row: Any, tags: list[str]) -> dict[str, Any]:
    """An entry row as package_show gives its catalog fields (scheming keeps lists and the
    items as JSON in the extras), read without building package_show for each of 10^5
    entries."""
    extras = row.extras or {}
    package: dict[str, Any] = {"tags": [{"name": t} for t in tags]}
    for column in columns():
        if column.sub or column.field == TAGS:
            continue
        value = getattr(row, column.field, None) if column.field in _CORE else \
            extras.get(column.field)
        if (column.multiple or column.field == ITEMS) and isinstance(value, str):
            value = json.loads(value or "[]")
        package[column.field] = value
    items = extras.get(ITEMS)
    package[ITEMS] = json.loads(items) if isinstance(items, str) else items or []
    return package


_CORE = {c.name for c in model.package_table.columns}


def exported_entries(user: model.User | None, org_id: Optional[str] = None
                     ) -> Iterator[dict[str, Any]]:
    """The active entries of ``org_id`` (or of the whole catalog) that ``user`` may see by
    the one visibility rule, unregistered ones only to their own department; in
    resource-code order."""
    query = (model.Session.query(model.Package)
             .filter(model.Package.state == "active", model.Package.type == "dataset",
                     access.visible_clause(user))
             .order_by(model.Package.extras["resource_code"].astext, model.Package.id))
    if not access.is_sysadmin(user):
        query = query.filter(or_(access.registered_clause(),
                                 model.Package.owner_org.in_(access.department_ids(user))))
    if org_id is not None:
        query = query.filter(model.Package.owner_org == org_id)
    for chunk in batches(query.yield_per(2000), 2000):
        tags: dict[str, list[str]] = {}
        for package_id, name in (model.Session.query(model.PackageTag.package_id, model.Tag.name)
                                 .join(model.Tag, model.Tag.id == model.PackageTag.tag_id)
                                 .filter(model.PackageTag.package_id.in_([p.id for p in chunk]),
                                         model.PackageTag.state == "active")):
            tags.setdefault(package_id, []).append(name)
        for package in chunk:
            yield _stored(package, tags.get(package.id, []))


def batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items of ``rows`` (the last one shorter)."""
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def department_titles() -> dict[str, str]:
    return dict(model.Session.query(model.Group.id, model.Group.title)
                .filter(model.Group.is_organization.is_(True)))


def export(user: model.User | None, org_id: Optional[str], target: IO[bytes]) -> None:
    """The catalog (one department's, or the whole) as the template workbook."""
    write_xlsx(exported_entries(user, org_id), department_titles(), target)
