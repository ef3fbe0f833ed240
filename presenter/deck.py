"""The take-away deck: the same slides as the screen, as a 16:9 .pptx with native (editable) charts and speaker notes."""

from __future__ import annotations

import io
import math
import unicodedata
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

import i18n
from i18n import numbers
from presenter.slides import Chart, Deck, Slide, describe

WIDTH, HEIGHT = Emu(12_192_000), Emu(6_858_000)  # 16:9, 13.333 × 7.5 in (PowerPoint's widescreen)
INK = RGBColor(0x1B, 0x2A, 0x41)  # titles and figures' labels
MUTED = RGBColor(0x5B, 0x67, 0x78)  # messages, details, footers
ACCENT = RGBColor(0xC6, 0x28, 0x28)  # the town's red: big numbers and the rule under the title
SERIES = (RGBColor(0x1F, 0x5F, 0xA8), RGBColor(0xB0, 0xBE, 0xC5), RGBColor(0xE6, 0x8A, 0x00))
RULE = RGBColor(0xE3, 0xE6, 0xEA)
# Every run's East Asian typeface, whatever the deck's language (an English deck names Chinese communities too):
# 微软雅黑 with its GB2312 charset, as PowerPoint writes it, so PowerPoint and WPS use it and an office suite
# without it substitutes a Simplified Chinese font. DrawingML names one typeface per run, so the rest of the list
# comes with the language tag: LibreOffice picks a missing font's stand-in by the run's Asian language, from its
# list for zh-CN (Source Han Sans SC, Noto Sans CJK SC, 微软雅黑, PingFang SC, …); an untagged run took the
# install's default Asian language (a Japanese font and Japanese punctuation spacing where that is ja).
EAST_ASIAN = {"typeface": "Microsoft YaHei", "panose": "020B0503020204020204", "pitchFamily": "34", "charset": "-122"}
CHART_TYPES = {
    "bar": XL_CHART_TYPE.BAR_CLUSTERED,
    "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
    "line": XL_CHART_TYPE.LINE_MARKERS,
}
NUMBER_FORMATS = {"count": "#,##0", "hours": "#,##0.#", "percent": "0%", "yuan": "¥#,##0"}
LABEL_FORMATS = {**NUMBER_FORMATS, "yuan": "¥#,##0;-¥#,##0;;"}  # a month with no money gets no "¥0" label
# A money chart in a language that counts money in a larger unit (万 in Chinese, i18n.numbers.money_unit) counts in
# it, as its title says (每月募集与使用（万元）): its values are stored in that unit (exact to the yuan: four
# decimals), so its data read as the slide shows them, and its formats are plain ones every office suite reads alike
# (Excel's '0!.0,"万"' divided on display, and LibreOffice showed 347!.0 万 for 34.7万).


def _in_unit(unit: str, lang: str) -> str:
    """The word money is counted in on this deck's charts ('万'), '' for yuan with ¥ (or a chart not of money)."""
    return numbers.money_unit(lang) if unit == "yuan" else ""


def number_formats(unit: str, lang: str) -> tuple[str, str]:
    """The (axis, data label) number formats of a chart in `unit` for a deck in `lang`."""
    if word := _in_unit(unit, lang):
        return f'#,##0"{word}"', f'#,##0.0"{word}";-#,##0.0"{word}";;'
    return NUMBER_FORMATS[unit], LABEL_FORMATS[unit]


def data_format(unit: str, lang: str) -> str:
    """The number format of the chart's embedded workbook cells: to the yuan."""
    if word := _in_unit(unit, lang):
        return f'#,##0.0###"{word}"'
    return NUMBER_FORMATS[unit]


def stored(unit: str, lang: str, value: float) -> float:
    """A chart value as the .pptx stores it: in the unit its labels show (万 for money in Chinese)."""
    return round(value / numbers.money_scale(lang), 4) if _in_unit(unit, lang) else value


def label_text(unit: str, lang: str, value: float) -> str:
    """What a data label reads for `value` under the label format (for sizing labels; '' for a hidden zero)."""
    if unit == "yuan" and not value:
        return ""
    if word := _in_unit(unit, lang):
        return f"{value / numbers.money_scale(lang):,.1f}{word}"
    if unit == "yuan":
        return f"¥{value:,.0f}"
    return f"{value:.0%}" if unit == "percent" else f"{value:,.1f}" if unit == "hours" else f"{value:,.0f}"


def _ems(text: str) -> float:
    """A text's width in ems: a Chinese character one, a digit or letter about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.6 for c in text)


LABEL_PT = 12  # data labels' size when they fit
GAP_WIDTH = 60  # the gap between categories, in % of a column's width
SERIES_OVERLAP = -10  # the gap between one category's columns (several series), in % of a column's width


def label_fit(chart: Chart, lang: str, plot_pt: float) -> tuple[int, bool]:
    """The data labels' font size and whether they stand on end, so that the labels of neighbouring columns never
    overlap: a month's two columns are 1.1 column widths apart, and their labels, centred on them, must be
    narrower than that (e.g. 9月's 8.5万 beside 7.3万). Bars (one label per row) and lines keep 12 pt."""
    if chart.kind != "column" or not chart.categories:
        return LABEL_PT, False
    n = len(chart.series)
    column = plot_pt / len(chart.categories) / (n + GAP_WIDTH / 100 - SERIES_OVERLAP / 100 * (n - 1))
    pitch = column * (1 - SERIES_OVERLAP / 100 if n > 1 else 1 + GAP_WIDTH / 100)  # label centre to centre
    widest = max((_ems(label_text(chart.unit, lang, v)) for s in chart.series for v in s.values), default=0)
    size = math.floor(0.9 * pitch / widest) if widest else LABEL_PT
    if size >= 9:
        return min(LABEL_PT, size), False
    return max(7, min(LABEL_PT - 2, math.floor(0.9 * pitch / 1.3))), True  # on end: a line's height side by side


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
        self.font = i18n.style(deck.lang).font
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
        self.tag(font._rPr)

    def tag(self, rpr) -> None:
        """A run's (or a chart text's) languages and fonts: lang/altLang zh-CN and en-US (the deck's language
        first), and its East Asian typeface (EAST_ASIAN): Chinese is neither left to chance nor read as Japanese."""
        rpr.set("lang", i18n.style(self.deck.lang).pptx[0])
        rpr.set("altLang", i18n.style(self.deck.lang).pptx[1])
        after = rpr.find(qn("a:latin"))  # the schema's order: latin, ea, cs
        for tag, font in (("a:ea", EAST_ASIAN), ("a:cs", {"typeface": self.font})):
            node = rpr.find(qn(tag))
            if node is None:
                node = OxmlElement(tag)
                if after is None:
                    rpr.append(node)
                else:
                    after.addnext(node)
            for name, value in font.items():
                node.set(name, value)
            after = node

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
        lang = self.deck.lang
        axis_format, label_format = number_formats(chart.unit, lang)
        data = TextOnlyChartData(number_format=data_format(chart.unit, lang))
        data.categories = list(chart.categories)
        for series in chart.series:
            data.add_series(series.name, [stored(chart.unit, lang, v) for v in series.values])
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
            plot.legend.include_in_layout = True  # a room of its own: a tall column's label never runs into it
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
            values.maximum_scale = stored(chart.unit, lang, chart.ceiling)
        categories = plot.category_axis
        categories.format.line.color.rgb = RULE
        categories.has_major_gridlines = False
        if chart.kind == "bar":
            categories.reverse_order = True  # PowerPoint draws the first category at the bottom otherwise
        group = plot.plots[0]
        if chart.kind != "line":
            group.gap_width = GAP_WIDTH
            group.overlap = SERIES_OVERLAP if len(chart.series) > 1 else 0
        group.has_data_labels = True
        labels = group.data_labels
        labels.number_format = label_format
        labels.number_format_is_linked = False
        labels.position = XL_LABEL_POSITION.ABOVE if chart.kind == "line" else XL_LABEL_POSITION.OUTSIDE_END
        size, on_end = label_fit(chart, lang, width * 0.9 / 12_700)  # the plot area: about 90% of the frame, in pt
        self.style(labels.font, size, INK)
        if on_end:  # read bottom to top, as a column's own label
            labels._element.get_or_add_txPr().bodyPr.set("rot", "-5400000")
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
        elif page.line:  # a chart whose bars would all be the same: its one line, where the chart would stand
            self.text(s, page.line, Inches(5.2), Inches(2.3), Inches(7.6), Inches(1.2), size=24, bold=True)
        self.remarks(s, page)
        self.notes(s, page)

    def remarks(self, slide, page: Slide) -> None:
        """The notes (说明备注) that explain the slide's figures, on one line beside the rule under the message
        (and in the speaker notes, with the definitions)."""
        if page.remarks:
            line = self.deck.t("note.speaker", line=i18n.style(self.deck.lang).clause_sep.join(page.remarks))
            self.text(slide, line, Inches(2.0), Inches(1.86), Inches(10.7), Inches(0.3), size=12, colour=ACCENT)

    def notes(self, slide, page: Slide) -> None:
        frame = slide.notes_slide.notes_text_frame
        frame.text = self.deck.speaker_notes(page)
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.name = self.font
                self.tag(run.font._rPr)

    def write(self) -> bytes:
        for number, page in enumerate(self.deck.slides, start=1):
            if page.key == "cover":
                self.cover(page)
            else:
                self.content(page, number)
        props = self.prs.core_properties
        props.title = f"{self.deck.title} · {self.deck.year}"
        props.author = props.last_modified_by = self.deck.t("presenter.footer_town")
        props.subject = self.deck.t("presenter.as_of", date=numbers.day(self.deck.day, self.deck.lang))
        buffer = io.BytesIO()
        self.prs.save(buffer)
        return buffer.getvalue()


def to_pptx(deck: Deck) -> bytes:
    """The deck as .pptx bytes: one slide per Slide, charts as native charts, definitions and sources in the notes."""
    return _Writer(deck).write()
