"""The leadership summary: the deck on one or two printed A4 pages, as self-contained HTML (print it to get a PDF)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html import escape
from pathlib import Path

import i18n
from i18n import numbers
from presenter.slides import Chart, Deck, Slide, describe, fmt

CSS = """
@page { size: A4; margin: 10mm 12mm 12mm; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }  /* bars are backgrounds */
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", system-ui, sans-serif;
       color: #1b2a41; margin: 0 auto; max-width: 190mm; font-size: 9.5pt; line-height: 1.35; }
header { border-left: 6px solid #c62828; padding: 2mm 0 2mm 5mm; margin: 3mm 0 3mm; }
header .town { color: #5b6778; font-size: 9.5pt; }
h1 { font-size: 19pt; margin: 1mm 0; }
.sample-mark { margin: 0 0 2mm; padding: 1.5mm 3mm; border: 0.6mm solid #b71c1c; color: #b71c1c;
  font-weight: 700; font-size: 11pt; text-align: center; }
header .sub { color: #c62828; font-weight: 700; }
p.summary { font-size: 9.5pt; line-height: 1.45; margin: 1.5mm 0 0; }
h2 { font-size: 12pt; margin: 3.5mm 0 1.5mm; border-bottom: 1px solid #e3e6ea; padding-bottom: 1mm; }
table.kpis { width: 100%; border-collapse: collapse; }
table.kpis th, table.kpis td { padding: 0.9mm 2mm; border-bottom: 1px solid #e3e6ea; text-align: right; }
table.kpis th:first-child, table.kpis td:first-child { text-align: left; }
table.kpis th { color: #5b6778; font-weight: 600; font-size: 9pt; }
td.reached { width: 34%; }
.meter { display: flex; align-items: center; gap: 2mm; justify-content: flex-end; }
.meter .track { flex: 1; height: 3mm; background: #eef1f4; border-radius: 1.5mm; overflow: hidden; }
.meter .fill { height: 100%; background: #1f5fa8; }
.meter .fill.met { background: #2e7d32; }
.meter span { min-width: 14mm; }
.highlights { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 2.5mm 3mm; }
.card { border: 1px solid #e3e6ea; border-radius: 2mm; padding: 2.4mm; break-inside: avoid; min-width: 0; }
.card.span2 { grid-column: span 2; }
.card.span3 { grid-column: span 3; }
.card.span4 { grid-column: span 4; }
.card.beside, .card.span4 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 4mm; align-items: start; }
.card.span4 { grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: 5mm; }
.card h3 { margin: 0 0 1mm; font-size: 11pt; }
.card .message { color: #5b6778; margin: 0 0 2mm; }
.card .remark { grid-column: 1 / -1; margin: 1.5mm 0 0; font-size: 8.5pt; color: #6a3d9a; }
.figures { display: flex; flex-wrap: wrap; gap: 1mm 5mm; margin-bottom: 2mm; }
.figures b { color: #c62828; font-size: 13pt; }
.figures small { display: block; color: #1b2a41; font-size: 8.5pt; }
.bars { display: grid; grid-template-columns: minmax(0, max-content) minmax(8mm, 1fr) max-content;
        gap: 0.8mm 1.5mm; align-items: center; font-size: 8.5pt; line-height: 1.2; }
.bars .label { overflow-wrap: break-word; }
.bars .value { text-align: right; white-space: nowrap; }
.bar { height: 2.6mm; background: #1f5fa8; border-radius: 0 1mm 1mm 0; }
.bar.s1 { background: #b0bec5; }
.legend { font-size: 8pt; color: #5b6778; }
.legend i { display: inline-block; width: 3mm; height: 3mm; background: #1f5fa8; margin: 0 1mm 0 3mm; }
.legend i.s1 { background: #b0bec5; }
.chart-title { font-size: 8.5pt; color: #5b6778; font-weight: 600; margin-bottom: 1mm; }
.chart-title .legend { font-weight: 400; white-space: nowrap; }
.columns { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr); gap: 1.2mm; }
.columns .month { display: flex; flex-direction: column; align-items: stretch; min-width: 0; }
.columns .top { height: 3.2mm; line-height: 3.2mm; font-size: 6.8pt; color: #5b6778; text-align: center;
                white-space: nowrap; }
.columns .plot { display: flex; align-items: flex-end; gap: 0.4mm; border-bottom: 1px solid #b0bec5; }
.columns .col { flex: 1 1 0; min-width: 0; background: #1f5fa8; border-radius: 0.8mm 0.8mm 0 0; }
.columns .col.s1 { background: #b0bec5; }
.columns .axis { font-size: 7pt; line-height: 1.3; color: #5b6778; text-align: center; white-space: nowrap;
                 padding-top: 0.5mm; }
.notes { font-size: 8.5pt; color: #5b6778; }
.card p.line { font-size: 9pt; font-weight: 600; color: #1b2a41; margin: 2mm 0 0; }
dl.notes { columns: 3; column-gap: 5mm; font-size: 6.8pt; line-height: 1.25; margin: 0; }
dl.notes dt, dl.notes dd { break-inside: avoid; }
.notes dt { font-weight: 600; color: #1b2a41; }
.notes dd { margin: 0 0 0.6mm; }
p.sources { margin: 2mm 0 0; }
.print-hint { color: #5b6778; font-size: 9pt; }
/* on every printed page (a fixed element repeats on each page in print): that the figures are a draft or the sample */
.running { position: fixed; bottom: 0; right: 0; padding: 0.5mm 2mm; background: #fff; color: #b71c1c;
  border: 0.4mm solid #b71c1c; font-weight: 700; font-size: 8pt; }
@media print { .print-hint { display: none; } h2 { break-after: avoid; } }
"""


def _meter(reached: float | None, text: str) -> str:
    if reached is None:
        return escape(text)
    width = max(0.0, min(reached, 1.0)) * 100
    met = " met" if reached >= 1 - 1e-9 else ""
    return (
        f'<div class="meter"><div class="track"><div class="fill{met}" style="width:{width:.1f}%"></div></div>'
        f"<span>{escape(text)}</span></div>"
    )


PLOT_MM = 16.0  # the height of a column chart's plot area: a column of the chart's top value is this tall
COLUMNS = 4  # the highlights grid: a card spans one column, a chart over months two


def _top(chart: Chart) -> float:
    """The value drawn at full length: the chart's fixed ceiling (1.0 for shares), else its largest value."""
    return chart.ceiling or max((v for s in chart.series for v in s.values), default=0) or 1


def _columns(chart: Chart, lang: str) -> str:
    """A chart over months as vertical columns: each column's height is its value's share of the top value, in
    millimetres of a fixed plot area (so 3 is drawn 3/185 as tall as 185); the value above a single series' column
    and the month under it, each on one line."""
    top = _top(chart)
    cells = []
    for c, category in enumerate(chart.categories):
        value = chart.series[0].values[c]
        above = escape(_chart_value(chart.unit, value, lang)) if len(chart.series) == 1 and value else ""
        bars = "".join(
            f'<span class="col s{i}" data-value="{s.values[c]!r}" '
            f'style="height:{max(0.0, s.values[c]) / top * PLOT_MM:.3f}mm" '
            f'title="{escape(s.name)}: {escape(_chart_value(chart.unit, s.values[c], lang))}"></span>'
            for i, s in enumerate(chart.series)
        )
        cells.append(
            f'<div class="month"><div class="top">{above}</div>'
            f'<div class="plot" style="height:{PLOT_MM}mm">{bars}</div>'
            f'<div class="axis">{escape(category)}</div></div>'
        )
    legend = ""
    if len(chart.series) > 1:
        legend = (
            ' <span class="legend">'
            + "".join(
                f'<i class="s{i}"></i>{escape(s.name)} {escape(_chart_value(chart.unit, sum(s.values), lang))}'
                for i, s in enumerate(chart.series)
            )
            + "</span>"
        )
    return (
        f'<div class="chart" data-kind="columns" role="img" aria-label="{escape(describe(chart, lang))}">'
        f'<div class="chart-title">{escape(chart.title)}{legend}</div>'
        f'<div class="columns">{"".join(cells)}</div></div>'
    )


def _as_columns(chart: Chart | None) -> bool:
    return chart is not None and chart.kind in ("column", "line") and len(chart.categories) > 4


# Headless Chromium as this workplace runs it (no sandbox as root, no network chatter): the PDF of `etl report`
# and the browser tests launch it with these.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    """The Chromium (or Chrome) found on PATH, or None (a PDF is then not offered; the HTML page still is)."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def print_pdf(html: str, browser: str | None = None, what: str = "the page") -> bytes:
    """`html` printed to PDF by headless Chromium, as a browser prints it (A4 from the page's CSS), for the report
    and the fund ledger alike. Raises OSError when no Chromium is found, or it fails or takes over 180 s."""
    browser = browser or chromium()
    if browser is None:
        raise OSError("printing a PDF needs Chromium, which is not installed")
    with tempfile.TemporaryDirectory(prefix="print-") as folder:
        page, target = Path(folder) / "page.html", Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, *CHROMIUM_FLAGS, "--no-pdf-header-footer", f"--user-data-dir={Path(folder) / 'profile'}"]
        command += [f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        except subprocess.TimeoutExpired:
            raise OSError(f"Chromium did not finish printing {what} within 180 s") from None
        data = target.read_bytes() if target.is_file() else b""
        if done.returncode != 0 or not data.startswith(b"%PDF-"):
            lines = [x for x in (done.stderr or "").splitlines() if x.strip()]
            reason = lines[-1].strip() if lines else f"exit code {done.returncode}"
            raise OSError(f"Chromium could not print {what}: {reason}")
        return data


def _chart_value(unit: str, value: float, lang: str) -> str:
    """A value on a chart, in the chart's one unit: money in 万 in Chinese (the titles say 万元), as on the slides."""
    return numbers.chart_money(value, lang, decimals=1) if unit == "yuan" else fmt(unit, value, lang)


def _bars(chart: Chart, lang: str) -> str:
    """A chart as a table of HTML bars (prints crisply, needs no script); charts over months as columns."""
    if _as_columns(chart):
        return _columns(chart, lang)
    top = _top(chart)
    legend = ""
    if len(chart.series) > 1:
        legend = (
            '<div class="legend">'
            + "".join(f'<i class="s{i}"></i>{escape(s.name)}' for i, s in enumerate(chart.series))
            + "</div>"
        )
    rows = []
    for c, category in enumerate(chart.categories):
        for i, series in enumerate(chart.series):
            value = series.values[c]
            rows.append(
                f'<div class="label">{escape(category) if i == 0 else ""}</div><div class="track"><div class="bar s{i}" '
                f'data-value="{value!r}" style="width:{max(0.0, min(value, top)) / top * 100:.3f}%"></div></div>'
                f'<div class="value">{escape(_chart_value(chart.unit, value, lang))}</div>'
            )
    return (
        f'<div class="chart" data-kind="bars" role="img" aria-label="{escape(describe(chart, lang))}">'
        f'<div class="chart-title">{escape(chart.title)}{legend}</div>'
        f'<div class="bars">{"".join(rows)}</div></div>'
    )


def _spans(slides: list[Slide]) -> list[int]:
    """How many grid columns each card takes: two for a chart over months (its month labels need the room), one
    otherwise. A row that would end half empty is closed by widening its cards with bar charts, a column each in
    turn, the longest chart first (their bars then sit beside their text, so the row gets lower), else its last card."""
    spans = [2 if _as_columns(s.chart) else 1 for s in slides]
    row: list[int] = []

    def close() -> None:
        hole = COLUMNS - sum(spans[i] for i in row)
        if row and hole:
            beside = sorted((i for i in row if _beside(slides[i], 2)), key=lambda i: -_length(slides[i].chart))
            for k in range(hole):  # a column each, the longest chart first
                spans[beside[k % len(beside)] if beside else row[-1]] += 1

    for i, span in enumerate(spans):
        if sum(spans[j] for j in row) + span > COLUMNS:
            close()
            row = []
        row.append(i)
    close()
    return spans


def _beside(slide: Slide, span: int) -> bool:
    """Whether a card of this span draws its chart beside its text rather than under it: a bar chart (not one over
    months, nor a line said instead of a chart) on a card at least two columns wide."""
    return span >= 2 and slide.chart is not None and not slide.line and not _as_columns(slide.chart)


def _length(chart: Chart | None) -> int:
    """How many bars a chart draws."""
    return len(chart.categories) * len(chart.series) if chart is not None else 0


def _card(deck: Deck, slide: Slide, span: int) -> str:
    figures = "".join(f"<div><b>{escape(f.text)}</b><small>{escape(f.label)}</small></div>" for f in slide.figures)
    chart = _bars(slide.chart, deck.lang) if slide.chart is not None else ""
    if slide.line:  # a chart whose bars would all be the same, as its one line
        chart = f'<p class="line">{escape(slide.line)}</p>'
    # the notes (说明备注) that explain the card's figures, under its chart
    remarks = "".join(f'<p class="remark">{escape(deck.t("note.speaker", line=r))}</p>' for r in slide.remarks)
    return (
        f'<section class="card span{span}{" beside" if _beside(slide, span) else ""}"><div class="text"><h3>{escape(slide.title)}</h3>'
        f'<p class="message">{escape(slide.message)}</p><div class="figures">{figures}</div></div>{chart}{remarks}'
        "</section>"
    )


def _marks(deck: Deck) -> str:
    """What every printed page says when the figures are not the approved ones: draft, sample, or both."""
    marks = [deck.stamp] if deck.draft else []
    marks += [deck.sample_mark] if deck.sample else []
    return " · ".join(marks)


def _running(deck: Deck) -> str:
    """The mark on screen, at the window's foot; in print it moves into each page's bottom margin (_page_mark)."""
    return f'<div class="running">{escape(_marks(deck))}</div>' if _marks(deck) else ""


def _css_string(text: str) -> str:
    """`text` as a CSS string: every character but letters and digits written as a hex escape, so a name in the
    approval stamp can neither end the string nor the style element."""
    return '"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in text) + '"'


def _page_mark(deck: Deck) -> str:
    """The mark in every printed page's bottom-right margin box, clear of the page's text (a fixed element would
    print over the last lines of each page)."""
    if not _marks(deck):
        return ""
    return (
        "@media print { .running { display: none; } }\n"
        f"@page {{ @bottom-right {{ content: {_css_string(_marks(deck))}; color: #b71c1c; font-weight: 700; "
        'font-size: 8pt; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; border: 0.4mm solid #b71c1c; '
        "padding: 0.5mm 2mm; margin: 3mm 0; vertical-align: top; }} }}"
    )


def to_html(deck: Deck) -> str:
    """The printable summary: KPIs against targets, each programme's figures and chart, definitions and sources."""
    t = deck.t
    # a year not a quarter old is measured against no target (metrics.Period.judged): it says so, not "—"
    reached = (lambda k: fmt("percent", k.reached, deck.lang)) if deck.judged else (lambda k: t("kpi.not_judged"))
    kpi_rows = "".join(
        f"<tr><td>{escape(k.label)}</td><td><b>{escape(k.text)}</b></td><td>{escape(k.target_text)}</td>"
        f'<td class="reached">{_meter(k.reached, reached(k))}</td></tr>'
        for k in deck.kpis
    )
    # the voices' slide is on screen and in the .pptx; on paper it would be a third A4 page, and the leadership
    # summary promises two (its card waits for a layout that makes room)
    shown = [s for s in deck.slides if s.key not in ("cover", "targets")]
    cards = "".join(_card(deck, s, span) for s, span in zip(shown, _spans(shown), strict=True))
    defined = {f.label: f.definition for s in deck.slides for f in s.figures if f.definition}
    definitions = "".join(f"<dd><b>{escape(label)}</b>: {escape(text)}</dd>" for label, text in defined.items())
    files = dict.fromkeys(f for s in deck.slides for f in s.sources)
    return f"""<!DOCTYPE html>
<html lang="{i18n.style(deck.lang).html}"><head><meta charset="utf-8">
<title>{escape(t("presenter.report.title", year=deck.year))}</title><style>{CSS}{_page_mark(deck)}</style></head>
<body>
<p class="print-hint">{escape(t("presenter.report.print"))}</p>
{_running(deck)}
{f'<p class="sample-mark">{escape(deck.sample_mark)}</p>' if deck.sample else ""}
<header><div class="town">{escape(t("presenter.footer_town"))}</div>
<h1>{escape(t("presenter.report.title", year=deck.year))}</h1>
<div class="sub">{escape(t("presenter.report.subtitle", date=numbers.day(deck.day, deck.lang)))} · {escape(deck.stamp)}</div></header>
<p class="summary">{escape(deck.summary)}</p>
<h2>{escape(t("presenter.report.kpis"))}</h2>
<table class="kpis"><thead><tr><th>{escape(t("presenter.report.metric"))}</th><th>{escape(t("presenter.report.value"))}</th>
<th>{escape(t("presenter.report.target"))}</th><th>{escape(t("presenter.report.reached"))}</th></tr></thead>
<tbody>{kpi_rows}</tbody></table>
<h2>{escape(t("presenter.report.highlights"))}</h2>
<div class="highlights">{cards}</div>
<h2>{escape(t("presenter.report.definitions"))}</h2>
<dl class="notes">{definitions}</dl>
<p class="notes sources"><b>{escape(t("presenter.report.sources"))}</b>{escape(i18n.style(deck.lang).colon)}{escape(t("presenter.as_of", date=numbers.day(deck.day, deck.lang)))} · {escape(", ".join(files))}</p>
</body></html>
"""
