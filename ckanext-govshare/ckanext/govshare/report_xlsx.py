"""The annual report as a workbook: one sheet per table of the report (each group of figures
with a row per department and one for the city, the requests by month, the texts), real
numbers in the cells (shares as numbers formatted as percentages), a header row to sort and
filter by."""
from __future__ import annotations

import io
from typing import Any, Iterable

import ckan.plugins.toolkit as tk
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ckanext.govshare import figures, reports

PERCENT, DAYS = "0.0%", "0.0"
FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})  # not allowed in a sheet's name


def workbook(shown: dict[str, Any]) -> bytes:
    """The XLSX of ``govshare_annual_report_show``'s answer."""
    book = Workbook()
    about = book.active
    about.title = tk._("About")
    _table(about, [tk._("Item"), tk._("Value")], [
        [tk._("Annual report"), _title(shown)],
        [tk._("Year"), shown["year"]],
        [tk._("Report period"), f"{shown['period']['date_from']} – {shown['period']['date_to']}"],
        [tk._("Due by"), shown["due"]],
        [tk._("Figures as of"), shown["today"]],
        [tk._("City report published"), tk._("yes") if shown["published"] else tk._("no")]])
    rows = [(d["title"], d["figures"]) for d in shown["departments"]]
    if shown["city"] is not None:
        rows.append((tk._("The whole city"), shown["city"]))
    for group, items in figures.groups():
        sheet = book.create_sheet(_sheet_name(group))
        _table(sheet, [tk._("Department")] + [label for _, label in items],
               [[title] + [values[key] for key, _ in items] for title, values in rows],
               [_number_format(key) for key, _ in items])
    request_keys = [(k, f"{g}：{label}") for g, items in figures.groups() for k, label in items
                    if k.startswith(("share_requests", "open_applications"))]
    _table(book.create_sheet(_sheet_name(tk._("Requests by month"))),
           [tk._("Month")] + [label for _, label in request_keys],
           [[m["month"]] + [m["figures"][k] for k, _ in request_keys] for m in shown["months"]],
           [_number_format(k) for k, _ in request_keys])
    texts = [[d["title"], reports.state_label(d["text"]["state"]), d["text"]["submitted"],
              d["text"]["narrative"]] for d in shown["departments"]]
    if shown["city"] is not None:
        summary = shown["summary"]
        texts.insert(0, [tk._("City summary"), reports.state_label(summary["state"]),
                         summary["submitted"], summary["narrative"]])
    texts_sheet = book.create_sheet(_sheet_name(tk._("Texts")))
    _table(texts_sheet, [tk._("Department"), tk._("State"), tk._("Submitted on"), tk._("Text")],
           texts)
    texts_sheet.column_dimensions["D"].width = 80
    for row in texts_sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(shown: dict[str, Any]) -> str:
    department = shown["department"]
    return (department["title"] if department else tk._("The whole city")) + " " + tk._(
        "{year} annual report on government data sharing").format(year=shown["year"])


def _sheet_name(label: str) -> str:
    return label.translate(FORBIDDEN)[:31]


def _number_format(key: str) -> str:
    if reports.is_percent(key):
        return PERCENT
    return DAYS if key.endswith(("_median", "_p90")) else "0"


def _table(sheet: Any, header: list[str], rows: Iterable[list[Any]],
           formats: list[str] | None = None) -> None:
    """A header row (bold, frozen, filtered) and the rows; ``formats`` for the columns after
    the first."""
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(row)
    for index, number_format in enumerate(formats or [], start=2):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = number_format
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    sheet.column_dimensions["A"].width = 24
    for index in range(2, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
