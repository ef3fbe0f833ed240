"""Charts in the reader's words: colours that mean the same on every page, text legible from the back of a room,
ticks, labels and hover in one unit (readable), donuts whose small slices stay readable, and the fund's Sankey."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from html import escape
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

import i18n
from i18n import numbers, t

# Colours that mean the same thing on every page.
STATUS_COLOURS = {"completed": "#2e7d32", "in_progress": "#1f77b4", "planned": "#9e9e9e", "cancelled": "#d62728"}
FUND_COLOURS = {"raised": "#1f77b4", "used": "#ff7f0e", "balance": "#2e7d32"}
PNG_OPTIONS = {"format": "png", "scale": 2}  # the chart toolbar's PNG download
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": PNG_OPTIONS}


CHART_TEXT_SIZE, CHART_TEXT_COLOUR = 14, "#31333f"  # ≥ 14 px and dark: read from the back of a meeting room


def legible(fig: go.Figure) -> go.Figure:
    """Chart text at least 14 px and dark (ticks, legend, labels), unless a chart asked for larger.

    Tick labels are never hidden for overflowing the chart's box (ticklabeloverflow "allow", Plotly's own default on
    a category axis): the axes' automatic margins make room for them. On a number or date axis Plotly otherwise
    measures every label on its own, each a layout of the whole page, to find one to hide (none is): a tenth of a
    first visit to Fund in the browser (bench/RESULTS.md, issue 27, eighth pass)."""
    fig.update_layout(font={"size": max(fig.layout.font.size or 0, CHART_TEXT_SIZE), "color": CHART_TEXT_COLOUR})
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        axis.tickfont.size = max(axis.tickfont.size or 0, CHART_TEXT_SIZE)
        axis.tickfont.color = CHART_TEXT_COLOUR
        if axis.ticklabeloverflow is None:
            axis.ticklabeloverflow = "allow"
    return fig


def readable(
    fig: go.Figure,
    lang: str,
    *,
    unit: str = "count",
    months: str | None = None,
    labels: bool = False,
    detail: list[str] | None = None,
) -> go.Figure:
    """Every chart's ticks, labels and hover in the reader's words and in one unit (returns the same figure).

    unit: of the values (count | hours | decimal | percent | yuan). A money chart counts in 万 in Chinese (values
      drawn in 万: ticks '20万', labels '43.18万', the axis titled '金额（万元）') and in '¥431,800' in English.
    months: the axis ("x" or "y") holding month dates: its ticks read '2023年4月', '5月' (zh) or 'Apr 2023', 'May'
      (en) from numbers.month_ticks, never Plotly's own English dates.
    labels: write each value on its bar or point, in the same words as the axis.
    detail: a further text per point for the hover (one series), e.g. '6 / 7'.
    Hover reads '<category>: <value>', with the series' name when there are several.
    """
    scale = numbers.money_scale(lang) if unit == "yuan" else 1

    def say(x: float | None) -> str:
        return numbers.chart_money(x, lang) if unit == "yuan" else numbers.by_unit(unit, x, lang)

    month_values: set = set()
    for trace in fig.data:
        value_axis = "x" if getattr(trace, "orientation", None) == "h" else "y"
        category_axis = "y" if value_axis == "x" else "x"
        raw = trace[value_axis] if trace[value_axis] is not None else ()
        values = [None if pd.isna(v) else float(v) for v in raw]
        categories = list(trace[category_axis]) if trace[category_axis] is not None else [""] * len(values)
        if category_axis == months:
            stamps = [pd.Timestamp(c).date() for c in categories]
            month_values.update(stamps)
            categories = [numbers.month(d, lang) for d in stamps]
        words = [say(v) for v in values]
        several = len(fig.data) > 1 and trace.name
        colon = i18n.style(lang).colon
        hover = [
            f"{trace.name} · {c}{colon}{w}" if several else f"{c}{colon}{w}"
            for c, w in zip(categories, words, strict=True)
        ]
        if detail is not None:
            hover = [f"{h} ({d})" for h, d in zip(hover, detail, strict=True)]
        trace.update(hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")
        if labels:
            trace.update(text=words, texttemplate="%{text}")
        if scale != 1:
            trace[value_axis] = [None if v is None else v / scale for v in values]
    value_axis = "xaxis" if fig.data and getattr(fig.data[0], "orientation", None) == "h" else "yaxis"
    if unit == "yuan":
        if unit_word := numbers.money_unit(lang):
            fig.layout[value_axis].update(ticksuffix=unit_word, tickprefix="", tickformat=",.2~f")
        else:
            fig.layout[value_axis].update(tickprefix="¥", ticksuffix="", tickformat=",.0f")
        fig.layout[value_axis].title.text = t("chart.money_axis", lang)
    elif unit == "percent":
        fig.layout[value_axis].update(tickformat=".0%")
    if months:
        ticks, texts = numbers.month_ticks(sorted(month_values), lang, most=6)  # level and whole at 390 px too
        fig.layout[f"{months}axis"].update(
            tickmode="array", tickvals=[d.isoformat() for d in ticks], ticktext=texts, title={"text": ""}
        )
    return fig


TARGET_COLOUR = "#d62728"


def of_metric(fig: go.Figure, code: str) -> go.Figure:
    """Mark every trace of `fig` as a series of catalogue metric `code` (its meta), before notes are drawn: a target
    may be drawn only on a figure whose every series is of the target's metric (target_line)."""
    fig.update_traces(meta={"metric": code})
    return fig


def target_line(fig: go.Figure, value: float, code: str, text: str = "", *, axis: str = "y") -> go.Figure:
    """Metric `code`'s target as a dashed line across the plot (axis "y": at height `value`; "x": at `value` along
    x), labelled `text` when given; refused unless every series of `fig` is of that metric (of_metric): a chart
    compares like with like, never one programme's completions with another's target. Shape and label are named
    target:<code>, so whoever reads the figure can tell whose target it is."""
    series = [tr for tr in fig.data if tr.meta != "notes"]
    mismatched = [tr.name for tr in series if not isinstance(tr.meta, dict) or tr.meta.get("metric") != code]
    if mismatched or not series:
        raise ValueError(f"a target of {code} drawn on other series: {mismatched}")
    name = f"target:{code}"
    line = {"line_dash": "dash", "line_color": TARGET_COLOUR, "name": name}
    label = {"annotation_text": text, "annotation": {"name": name}} if text else {}
    if axis == "y":
        fig.add_hline(y=value, **line, **label, **({"annotation_position": "top left"} if text else {}))
    else:
        fig.add_vline(x=value, **line, **label)
    return fig


ZERO_BAR = 0.004  # of a percentage axis: how long a bar at 0 % is drawn, so that it and its label show


def zeros_shown(fig: go.Figure, stub: float = ZERO_BAR) -> go.Figure:
    """Horizontal bars whose value is 0 drawn as a sliver `stub` long with their label outside (Plotly draws neither
    a bar nor a label for a bar of no length: the community with nobody trained vanished). Call it after
    `readable`, which writes the labels from the true values; hover and labels keep saying 0."""
    for trace in fig.data:
        if getattr(trace, "orientation", None) != "h" or trace.x is None:
            continue
        zero = [v is not None and not pd.isna(v) and float(v) == 0 for v in trace.x]
        if any(zero):
            trace.x = [stub if z else v for v, z in zip(trace.x, zero, strict=True)]
            trace.textposition = ["outside" if z else "auto" for z in zero]  # no room inside a sliver
    return fig


def donut(
    lang: str,
    labels: list[str],
    values: list[float],
    *,
    unit: str = "count",
    colours: dict[str, str] | None = None,
    inside: str = "percent",
    small: float = 0.05,
) -> go.Figure:
    """A donut whose small slices stay readable: every slice's value and share in the legend ('已取消 2（0.8%）'),
    and text inside only the slices of at least `small` of the whole (`inside`: their "percent" or "value"), so
    thin slices never carry labels that overlap."""
    total = float(sum(values)) or 1.0

    def say(x: float) -> str:
        return numbers.chart_money(x, lang) if unit == "yuan" else numbers.by_unit(unit, x, lang)

    shares = [float(v) / total for v in values]
    opening, closing = i18n.style(lang).parens
    legend = [
        f"{n} {say(v)}{opening}{numbers.percent(s)}{closing}" for n, v, s in zip(labels, values, shares, strict=True)
    ]
    text = [
        (numbers.percent(s) if inside == "percent" else say(v)) if s >= small else ""
        for v, s in zip(values, shares, strict=True)
    ]
    marker = {"colors": [colours.get(n, "#9e9e9e") for n in labels]} if colours else {}  # else the theme's colours
    return go.Figure(
        go.Pie(
            labels=legend,
            values=list(values),
            hole=0.5,
            sort=False,
            direction="clockwise",
            marker=marker,
            text=text,
            textinfo="text",
            textposition="inside",
            insidetextorientation="horizontal",
            hovertemplate="%{label}<extra></extra>",
        )
    )


def sankey(flows: pd.DataFrame, lang: str, label: Callable[[str, object], str]) -> go.Figure:
    """Donor types -> spending categories (and the unspent balance), drawn from queries.fund_flows; `label` words a
    stored code as the page does (Page.label)."""
    unspent = t("fund.unspent", lang)
    sources = [label("donor_type", s) for s in flows["source"]]
    targets = [
        unspent if b else label("category", c) for c, b in zip(flows["target"], flows["is_balance"], strict=True)
    ]
    nodes = list(dict.fromkeys(sources)) + [n for n in dict.fromkeys(targets) if n not in sources]
    index = {n: i for i, n in enumerate(nodes)}
    money = [numbers.yuan(a, lang) for a in flows["amount"]]
    palette = px.colors.qualitative.Safe
    colours = [palette[i % len(palette)] for i in range(len(nodes))]
    if unspent in index:
        colours[index[unspent]] = "#9e9e9e"

    def faint(hex_colour: str) -> str:
        r, g, b = px.colors.hex_to_rgb(hex_colour) if hex_colour.startswith("#") else px.colors.unlabel_rgb(hex_colour)
        return f"rgba({r:.0f},{g:.0f},{b:.0f},0.35)"

    return go.Figure(
        go.Sankey(
            valueformat=",.0f",
            node={
                "label": nodes,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "line": {"width": 0},
                "hovertemplate": "%{label}<extra></extra>",
            },
            link={
                "source": [index[s] for s in sources],
                "target": [index[x] for x in targets],
                "value": flows["amount"].tolist(),
                "color": [faint(colours[index[s]]) for s in sources],
                "customdata": money,
                "hovertemplate": "%{source.label} → %{target.label}: %{customdata}<extra></extra>",
            },
            textfont={"color": "#262730", "size": 12, "shadow": "none"},
        )
    )


# --- what a screen reader reads for a chart (issue 19)


def _cell(value: Any, kind: str, lang: str) -> str:
    """A table cell as the page writes it (money, shares, dates in the reader's words)."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if kind in ("date", "month", "datetime"):
        with contextlib.suppress(ValueError, TypeError):
            stamp = pd.Timestamp(value).date()
            return numbers.month(stamp, lang) if kind == "month" else numbers.day(stamp, lang)
    if pd.api.types.is_number(value) and not pd.api.types.is_bool(value):
        if kind == "percent":
            return numbers.percent(float(value))
        if kind == "yuan":
            return numbers.yuan(float(value), lang)
        return numbers.number(float(value), 0 if float(value).is_integer() else 1)
    return str(value)


ALT_ROWS = 60  # a screen reader's table, not the download: the downloads hold every row


def alternative(key: str, title: str, frame: pd.DataFrame, kinds: dict[str, str], lang: str, note: str = "") -> str:
    """HTML for st.html after the chart whose element key is `key`: its figures as a table a screen reader reaches
    (captioned with the chart's title; none when `frame` has no columns) and `note` (a sentence of its figures),
    hidden from sight by TILE_CSS's .chart-alt rule; and a line of script that names the chart's own box
    (role=figure, aria-label = the title, aria-describedby = that text)."""
    ident = "alt-" + re.sub(r"[^\w-]", "_", key)
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v, kinds.get(c, ''), lang))}</td>" for c, v in row.items()) + "</tr>"
        for _, row in frame.head(ALT_ROWS).iterrows()
    )
    table = (
        f"<table><caption>{escape(title)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        if len(frame.columns)
        else ""
    )
    more = f"<p>{escape(note)}</p>" if note else ""
    names = json.dumps({"key": key, "title": title, "alt": ident}).replace("</", "<\\/")
    return (
        f'<div class="chart-alt" id="{ident}">{table}{more}</div>'
        f"<script>(() => {{ const a = {names};"
        " const box = document.querySelector('.st-key-' + a.key);"
        " if (box) { box.setAttribute('role', 'figure'); box.setAttribute('aria-label', a.title);"
        " box.setAttribute('aria-describedby', a.alt); } })();</script>"
    )


NOTE_COLOUR = "#6a3d9a"  # notes (说明备注): one colour on every chart, apart from the series' own


def mark_notes(fig: go.Figure, found: pd.DataFrame, chart: str, lang: str) -> go.Figure:
    """The notes (说明备注) that explain the figures of monthly chart `chart` (notes.CHARTS) among `found` (the page's
    queries.notes: its period and community): a dotted line at each note's month and a marker above the data whose
    hover is the note's line (returns the same figure). Call it after `readable`, which rewrites every trace's hover."""
    import notes as notes_module

    return draw_notes(fig, notes_module.for_metrics(found, notes_module.CHARTS[chart]), lang)


def draw_notes(fig: go.Figure, found: pd.DataFrame, lang: str) -> go.Figure:
    """Notes (rows of notes.in_period) drawn on a monthly chart whose x axis holds dates (see mark_notes)."""
    import notes as notes_module

    if found.empty:
        return fig
    heights = [
        float(v) for trace in fig.data if trace.y is not None for v in trace.y if v is not None and not pd.isna(v)
    ]
    top = max(heights, default=0.0) or 1.0
    rows = found.to_dict("records")
    months = [notes_module.anchor(n).isoformat() for n in rows]
    for month in dict.fromkeys(months):
        fig.add_vline(x=month, line_dash="dot", line_width=1, line_color=NOTE_COLOUR, layer="below")
    fig.add_trace(
        go.Scatter(
            x=months,
            y=[top * 1.08] * len(rows),
            mode="markers",
            marker={"symbol": "triangle-down", "size": 14, "color": NOTE_COLOUR},
            name=t("note.label", lang),
            hovertext=[notes_module.line(n, lang) for n in rows],
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=False,
            meta="notes",
        )
    )
    return fig


def lowest_with_rest(frame: pd.DataFrame, dimension: str, most: int, rest: str) -> pd.DataFrame:
    """At most `most` bars of coverage: the `most - 1` lowest rows of `frame` (dimension, roster, trained,
    coverage), then one row named `rest` pooling all the others (their roster and trained summed, coverage the
    ratio of the sums) — a chart of 1,900 bars took seconds to draw and could not be read. Fewer rows pass as
    they are. The pooled row's `pooled` column counts the rows it holds (1 for every other row)."""
    ordered = frame.sort_values(["coverage", dimension], kind="stable").assign(pooled=1)
    if len(ordered) <= most:
        return ordered.reset_index(drop=True)
    shown, others = ordered.iloc[: most - 1], ordered.iloc[most - 1 :]
    roster, trained = int(others["roster"].sum()), int(others["trained"].sum())
    pooled = {
        dimension: rest,
        "roster": roster,
        "trained": trained,
        "coverage": trained / roster if roster else 0.0,
        "pooled": len(others),
    }
    return pd.concat([shown, pd.DataFrame([pooled])], ignore_index=True)
