"""The annual report as a PDF a city would file: a cover, the contents (with page numbers and
PDF bookmarks), the city's figures with charts and the authority's summary, then a page (or
more) per department with its figures, a chart and its own narrative; every page after the
cover numbered 第 n 页 共 N 页.

Chinese is set in two TrueType CJK fonts embedded as subsets (``govshare.report.font``, a
明体 for the text; ``govshare.report.heading_font``, a 黑体 for headings, tables and charts),
lines broken between any two characters (``wordWrap="CJK"``), paragraphs indented by two
characters. Charts are reportlab drawings: vector, in the same fonts.
"""
from __future__ import annotations

import functools
import io
import os
from typing import Any, Optional
from xml.sax.saxutils import escape

import ckan.plugins.toolkit as tk
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether,
                                NextPageTemplate, PageBreak, PageTemplate, Paragraph, Spacer,
                                Table, TableStyle)
from reportlab.platypus.tableofcontents import TableOfContents

from ckanext.govshare import access, codes, figures, reports
from ckanext.govshare import schema as catalog

TEXT, HEADING = "GovshareText", "GovshareHeading"
BLUE, RED, GREY = colors.HexColor("#2f6fb0"), colors.HexColor("#c0392b"), colors.HexColor("#666666")
MARGIN_X, MARGIN_Y = 25 * mm, 22 * mm
WIDTH = A4[0] - 2 * MARGIN_X
# Chinese section numbers: 一、二、… and （一）（二）…
NUMERALS = "一二三四五六七八九十"


# ------------------------------------------------------------------ fonts and styles

@functools.cache
def _fonts() -> None:
    for name, option in ((TEXT, "govshare.report.font"), (HEADING, "govshare.report.heading_font")):
        path = tk.config.get(option)
        if not path or not os.path.exists(path):
            raise RuntimeError(f"{option}: the CJK font {path!r} is not installed (Debian: "
                               "fonts-arphic-uming, fonts-wqy-microhei)")
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    body = ParagraphStyle("body", fontName=TEXT, fontSize=12, leading=21, wordWrap="CJK",
                          firstLineIndent=24, spaceAfter=4)
    return {
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontSize=10, leading=16, textColor=GREY,
                               firstLineIndent=0),
        "h1": ParagraphStyle("h1", fontName=HEADING, fontSize=16, leading=24, spaceBefore=6,
                             spaceAfter=10, wordWrap="CJK"),
        "h2": ParagraphStyle("h2", fontName=HEADING, fontSize=13, leading=20, spaceBefore=10,
                             spaceAfter=6, wordWrap="CJK"),
        # a chart's title: set like h2, but not in the contents
        "h3": ParagraphStyle("h3", fontName=HEADING, fontSize=13, leading=20, spaceBefore=10,
                             spaceAfter=6, wordWrap="CJK"),
        "cell": ParagraphStyle("cell", fontName=HEADING, fontSize=9, leading=12, wordWrap="CJK"),
        "cover_title": ParagraphStyle("cover_title", fontName=HEADING, fontSize=26, leading=40,
                                      alignment=TA_CENTER, wordWrap="CJK"),
        "cover_sub": ParagraphStyle("cover_sub", fontName=HEADING, fontSize=18, leading=28,
                                    alignment=TA_CENTER, wordWrap="CJK"),
        "cover_line": ParagraphStyle("cover_line", fontName=TEXT, fontSize=14, leading=26,
                                     alignment=TA_CENTER, wordWrap="CJK"),
        "toc_title": ParagraphStyle("toc_title", fontName=HEADING, fontSize=18, leading=28,
                                    alignment=TA_CENTER, spaceAfter=18),
        "toc1": ParagraphStyle("toc1", fontName=HEADING, fontSize=12, leading=22),
        "toc2": ParagraphStyle("toc2", fontName=TEXT, fontSize=11, leading=19, leftIndent=24),
    }


# ------------------------------------------------------------------ the document

class _Numbered(Canvas):
    """Numbers every page but the cover 第 n 页 共 N 页 once the total is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if self._pageNumber > 1:
                self.setFont(TEXT, 10)
                self.setFillColor(GREY)
                self.drawCentredString(A4[0] / 2, 12 * mm, tk._("Page {page} of {total}").format(
                    page=self._pageNumber, total=total))
            super().showPage()
        super().save()


class _Document(BaseDocTemplate):
    """Headings go into the contents and the PDF's bookmarks."""

    def __init__(self, out: io.BytesIO, title: str) -> None:
        super().__init__(out, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                         topMargin=MARGIN_Y, bottomMargin=MARGIN_Y, title=title,
                         author=tk.config.get("ckan.site_title") or "", lang="zh-CN",
                         initialFontName=TEXT, initialFontSize=10)
        frame = Frame(MARGIN_X, MARGIN_Y, WIDTH, A4[1] - 2 * MARGIN_Y, id="body")
        self.addPageTemplates([PageTemplate("cover", [frame]), PageTemplate("page", [frame])])
        self._headings = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        level = {"h1": 0, "h2": 1}.get(getattr(getattr(flowable, "style", None), "name", ""))
        if level is None:
            return
        self._headings += 1
        key = f"h{self._headings}"
        text = flowable.getPlainText()
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, escape(text), self.page, key))

    def beforeDocument(self) -> None:
        self._headings = 0


def document(shown: dict[str, Any]) -> bytes:
    """The PDF of ``govshare_annual_report_show``'s answer."""
    styles = _styles()
    out = io.BytesIO()
    doc = _Document(out, _title(shown))
    story: list[Flowable] = _cover(shown) + [NextPageTemplate("page"), PageBreak()]
    contents = TableOfContents(levelStyles=[styles["toc1"], styles["toc2"]], dotsMinLevel=0,
                               tableStyle=TableStyle([
                                   ("FONT", (0, 0), (-1, -1), TEXT, 11),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Paragraph(tk._("Contents"), styles["toc_title"]), contents, PageBreak()]
    department = shown["department"]
    if department is None:
        story += _city(shown)
        story += [PageBreak(), Paragraph(_numbered(2, tk._("The departments")), styles["h1"])]
        for index, each in enumerate(shown["departments"]):
            if index:
                story.append(PageBreak())
            story += _department(each, _sub_numbered(index + 1, each["title"]))
    else:
        story += _department(department, _numbered(1, tk._("The year's figures")),
                             heading_style="h1", narrative_heading=_numbered(2, tk._(
                                 "The department's report")))
    story += [Spacer(1, 12), Paragraph(tk._(
        "Figures from {start} to {end}; update timeliness and duty changes as of {today}. "
        "Generated by {site}.").format(start=shown["period"]["date_from"],
                                        end=shown["period"]["date_to"], today=shown["today"],
                                        site=tk.config.get("ckan.site_title")), styles["note"])]
    doc.multiBuild(story, canvasmaker=_Numbered)
    return out.getvalue()


def _title(shown: dict[str, Any]) -> str:
    return tk._("{year} annual report on government data sharing").format(year=shown["year"])


def _numbered(n: int, text: str) -> str:
    return f"{NUMERALS[n - 1] if n <= len(NUMERALS) else n}、{text}"


def _sub_numbered(n: int, text: str) -> str:
    number = NUMERALS[n - 1] if n <= len(NUMERALS) else (
        "十" + NUMERALS[n - 11] if n < 20 else str(n))
    return f"（{number}）{text}"


def _cover(shown: dict[str, Any]) -> list[Flowable]:
    styles = _styles()
    department = shown["department"]
    authority = _authority_title()
    author = department["title"] if department else authority
    state = (tk._("The department's report: {state}").format(
        state=reports.state_label(department["text"]["state"])) if department
        else tk._("The city report is published.") if shown["published"]
        else tk._("The city report is not published yet (internal draft)."))
    return [
        Spacer(1, 60 * mm),
        Paragraph(escape(author if department else tk.config.get("ckan.site_title") or author),
                  styles["cover_sub"]),
        Spacer(1, 8 * mm), _Rule(), Spacer(1, 10 * mm),
        Paragraph(escape(_title(shown)), styles["cover_title"]),
        Spacer(1, 70 * mm),
        Paragraph(escape(tk._("Prepared by: {who}").format(who=author)), styles["cover_line"]),
        Paragraph(escape(tk._("Report period: {start} to {end}").format(
            start=shown["period"]["date_from"], end=shown["period"]["date_to"])),
            styles["cover_line"]),
        Paragraph(escape(tk._("Generated on {day}").format(day=shown["today"])),
                  styles["cover_line"]),
        Paragraph(escape(state), styles["cover_line"]),
    ]


def _authority_title() -> str:
    from ckan import model
    org = model.Group.get(access.authority_org_name())
    return (org.title or org.name) if org else tk._("the data authority")


class _Rule(Flowable):
    """The red line under the cover's heading (as a government document's 红头)."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._width = avail_width
        return avail_width, 3

    def draw(self) -> None:
        self.canv.setStrokeColor(RED)
        self.canv.setLineWidth(2)
        self.canv.line(0, 1.5, self._width, 1.5)


# ------------------------------------------------------------------ sections

def _city(shown: dict[str, Any]) -> list[Flowable]:
    styles = _styles()
    city = shown["city"]
    story: list[Flowable] = [Paragraph(_numbered(1, tk._("The city's year")), styles["h1"])]
    story += _summary_text(shown["summary"])
    story += [Paragraph(tk._("Charts"), styles["h2"]),
              Paragraph(tk._("Entries by share type"), styles["h3"]), _share_chart(city)]
    story += [CondPageBreak(80 * mm),
              Paragraph(tk._("Requests by month and share answered within the deadline"),
                        styles["h3"]), _month_chart(shown["months"])]
    story += [CondPageBreak(60 * mm), Paragraph(tk._("Departments by shared share"), styles["h3"]),
              _ranking_chart(shown["departments"], "shared_share")]
    story += [PageBreak(), Paragraph(tk._("The city's figures"), styles["h2"])]
    story += _figure_tables(city)
    return story


def _summary_text(summary: dict[str, Any]) -> list[Flowable]:
    styles = _styles()
    story: list[Flowable] = [Paragraph(tk._("Summary"), styles["h2"])]
    if summary["narrative"]:
        if summary["state"] != reports.PUBLISHED:
            story.append(Paragraph(tk._("(Draft, not yet published.)"), styles["note"]))
        story += _paragraphs(summary["narrative"])
    else:
        story.append(Paragraph(tk._("The data authority has not written the city summary yet."),
                               styles["note"]))
    return story


def _department(department: dict[str, Any], heading: str, heading_style: str = "h2",
                narrative_heading: Optional[str] = None) -> list[Flowable]:
    """A department's part: its figures, a chart and its narrative (under
    ``narrative_heading`` in a department's own report, else under a small title)."""
    styles = _styles()
    values = department["figures"]
    story: list[Flowable] = [Paragraph(escape(heading), styles[heading_style])]
    text = department["text"]
    story.append(Paragraph(escape(tk._("Report: {state}{when}").format(
        state=reports.state_label(text["state"]),
        when=tk._(", submitted on {day}").format(day=text["submitted"]) if text["submitted"]
        else "")), styles["note"]))
    story += [_key_figures(values), Spacer(1, 6),
              Paragraph(tk._("Entries by share type"), styles["cell"]),
              _share_chart(values, height=110)]
    story += _figure_tables(values)
    if narrative_heading:
        story.append(Paragraph(escape(narrative_heading), styles["h1"]))
    else:
        story.append(Paragraph(tk._("The department's report"), styles["cell"]))
    if text["narrative"]:
        story += _paragraphs(text["narrative"])
    else:
        story.append(Paragraph(tk._("Not submitted."), styles["note"]))
    return story


def _paragraphs(narrative: str) -> list[Flowable]:
    body = _styles()["body"]
    return [Paragraph(escape(line.strip()), body) for line in narrative.splitlines()
            if line.strip()]


# ------------------------------------------------------------------ tables

def _value(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if reports.is_percent(key):
        return f"{value:.1%}"
    return f"{value:g}" if isinstance(value, float) else str(value)


KEY_FIGURES = ("entries", "shared_share", "open_share", "share_requests_received",
               "share_requests_on_time_rate", "update_overdue", "error_reports_received",
               "error_reports_resolved_in_time")


def _key_figures(values: dict[str, Any]) -> Table:
    """The few figures a reader looks for first, as a row of boxes."""
    catalog_group = figures.groups()[0][0]
    labels = {key: label if group == catalog_group else f"{group}：{label}"
              for group, items in figures.groups() for key, label in items}
    cell = _styles()["cell"]
    big = ParagraphStyle("big", parent=cell, fontSize=15, leading=20, alignment=TA_CENTER)
    small = ParagraphStyle("small", parent=cell, fontSize=8, leading=10, alignment=TA_CENTER,
                           textColor=GREY)
    data = []
    for i in (0, 4):
        keys = KEY_FIGURES[i:i + 4]
        data.append([Paragraph(_value(k, values[k]), big) for k in keys])
        data.append([Paragraph(escape(labels[k]), small) for k in keys])
    table = Table(data, colWidths=[WIDTH / 4] * 4)
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, 1), 0.5, BLUE), ("BOX", (0, 2), (-1, 3), 0.5, BLUE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8d7ea")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3fa")),
        ("BACKGROUND", (0, 2), (-1, 2), colors.HexColor("#eef3fa")),
        ("FONT", (0, 0), (-1, -1), HEADING, 9), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _figure_tables(values: dict[str, Any]) -> list[Flowable]:
    """Every figure, by group: two label–value pairs a row."""
    cell = _styles()["cell"]
    right = ParagraphStyle("right", parent=cell, alignment=2)
    story: list[Flowable] = []
    for group, items in figures.groups():
        pairs = [(Paragraph(escape(label), cell), Paragraph(_value(key, values[key]), right))
                 for key, label in items]
        if len(pairs) % 2:
            pairs.append(("", ""))
        data = [[escape(group), "", "", ""]] + [
            [*pairs[i], *pairs[i + 1]] for i in range(0, len(pairs), 2)]
        table = Table(data, colWidths=[WIDTH * 0.34, WIDTH * 0.16] * 2, repeatRows=1)
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), HEADING, 9),
            ("SPAN", (0, 0), (-1, 0)), ("FONT", (0, 0), (-1, 0), HEADING, 10),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f3")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9fb4cc")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        story += [Spacer(1, 6), KeepTogether(table)]
    return story


# ------------------------------------------------------------------ charts

def _chart_fonts(chart: Any, axis_size: int = 8) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = HEADING
        axis.labels.fontSize = axis_size
    chart.barLabels.fontName = HEADING
    chart.barLabels.fontSize = 8


def _share_chart(values: dict[str, Any], height: int = 150) -> Drawing:
    """Entries by share type, as bars with their counts."""
    drawing = Drawing(WIDTH, height, initialFontName=HEADING)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 22, WIDTH * 0.6, height - 34
    chart.data = [[values[f"share_type_{code}"] for code in codes.SHARE_STRICTNESS]]
    chart.categoryAxis.categoryNames = [catalog.choice_label("share_type", code)
                                        for code in codes.SHARE_STRICTNESS]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.forceZero = True
    chart.valueAxis.valueStep = max(1, _step(max(chart.data[0] + [1])))
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = _count_label
    chart.barLabels.nudge = 7
    _chart_fonts(chart)
    drawing.add(chart)
    return drawing


def _count_label(value: float) -> str:
    """A bar's count; none on an empty bar."""
    return f"{value:g}" if value else ""


def _step(top: float) -> int:
    """A round axis step giving about five ticks."""
    raw = top / 5
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if step >= raw:
            return step
    return int(raw)


def _month_chart(months: list[dict[str, Any]]) -> Drawing:
    """Requests and applications received per month, and those answered within the deadline."""
    drawing = Drawing(WIDTH, 190, initialFontName=HEADING)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, WIDTH - 60, 140
    received = [m["figures"]["share_requests_received"] + m["figures"]["open_applications_received"]
                for m in months]
    on_time = [m["figures"]["share_requests_on_time"] + m["figures"]["open_applications_on_time"]
               for m in months]
    chart.data = [received, on_time]
    chart.categoryAxis.categoryNames = [m["month"][5:] for m in months]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = _step(max(received + [1]))
    chart.bars[0].fillColor, chart.bars[1].fillColor = BLUE, RED
    chart.barLabelFormat = _count_label
    chart.barLabels.nudge = 6
    chart.groupSpacing = 6
    _chart_fonts(chart)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y, legend.fontName, legend.fontSize = 40, 12, HEADING, 8
    legend.alignment, legend.columnMaximum, legend.dx, legend.dy = "right", 1, 8, 8
    legend.deltax = 150
    legend.colorNamePairs = [(BLUE, tk._("Requests and applications received")),
                             (RED, tk._("answered within the deadline"))]
    drawing.add(legend)
    return drawing


def _ranking_chart(departments: list[dict[str, Any]], key: str) -> Drawing:
    """Departments by one share, highest first (those without entries last, as none)."""
    rows = sorted(departments, key=lambda d: (d["figures"][key] is None,
                                              -(d["figures"][key] or 0), d["title"]))
    row = 14
    height = max(len(rows), 1) * row + 30
    drawing = Drawing(WIDTH, height, initialFontName=HEADING)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 130, 20, WIDTH - 170, height - 30
    # reportlab draws the first category at the bottom: reversed, the highest is on top
    chart.data = [[round((d["figures"][key] or 0) * 100, 1) for d in reversed(rows)]]
    chart.categoryAxis.categoryNames = [d["title"][:12] for d in reversed(rows)]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = "%.1f%%"
    chart.barLabels.nudge = 14
    _chart_fonts(chart)
    drawing.add(chart)
    return drawing
