"""A slide on the projector: a Plotly figure per chart and the stylesheet for a 1920×1080 room (dark or bright).
No Streamlit: ui.projector draws them in the Presenter page."""

from __future__ import annotations

from html import escape as _escape_html

import plotly.graph_objects as go

from i18n import numbers
from presenter.slides import Chart, fmt


def escape(text: object) -> str:
    """Text for the slide's raw HTML: escaped, on one line (a blank line would end the HTML block and let what
    follows be read as Markdown)."""
    return _escape_html(" ".join(str(text).split()))


THEMES = {
    "dark": {
        "bg": "#0e1726",
        "panel": "#16223a",
        "ink": "#f2f5f9",
        "muted": "#a9b6c8",
        "accent": "#ffb74d",
        "alarm": "#ff8a80",  # the sample mark: 7.9:1 on the dark background (#d32f2f was 3.6:1)
        "series": ("#5aa9ff", "#8595a8"),
        "rule": "#2a3a55",
    },
    "bright": {
        "bg": "#ffffff",
        "panel": "#f4f6f8",
        "ink": "#1b2a41",
        "muted": "#5b6778",
        "accent": "#c62828",
        "alarm": "#c62828",
        "series": ("#1f5fa8", "#b0bec5"),
        "rule": "#e3e6ea",
    },
}
TICK_FORMATS = {"percent": ".0%", "yuan": ",.0f", "count": ",.0f", "hours": ",.1f"}


def _say(chart: Chart, lang: str):
    """How the chart writes a value and the factor its values are drawn divided by: money counts in one unit per
    chart (万 throughout in zh, '¥431,800' in en, as on the pages); other units as the slide's figures."""
    if chart.unit == "yuan":  # one decimal, as the .pptx's 0!.0,"万" shows it: '8.5万', not '8.48万', across a room
        return (lambda v: numbers.chart_money(v, lang, decimals=1)), numbers.money_scale(lang)
    return (lambda v: fmt(chart.unit, v, lang)), 1


def figure(chart: Chart, theme: str, lang: str, height: int = 600) -> go.Figure:
    """The chart in projector sizes: labels on the bars, no axis that repeats them, big type."""
    colours = THEMES[theme]
    say, scale = _say(chart, lang)
    fig = go.Figure()
    for i, series in enumerate(chart.series):
        colour = colours["series"][i % len(colours["series"])]
        text = [say(v) if v else "" for v in series.values]
        drawn = [v / scale for v in series.values]
        if chart.kind == "line":
            fig.add_trace(
                go.Scatter(
                    x=list(chart.categories),
                    y=drawn,
                    name=series.name,
                    mode="lines+markers+text",
                    text=text,
                    textposition="top center",
                    line={"color": colour, "width": 5},
                    marker={"size": 12},
                    cliponaxis=False,
                )
            )
            continue
        horizontal = chart.kind == "bar"
        positions = list(range(len(chart.categories)))  # positions, not names: masked names may repeat (刘*, 刘*)
        fig.add_trace(
            go.Bar(
                x=drawn if horizontal else positions,
                y=positions if horizontal else drawn,
                customdata=list(chart.categories),
                hovertemplate="%{customdata}: %{text}<extra></extra>",
                orientation="h" if horizontal else "v",
                name=series.name,
                text=text,
                textposition="outside",
                marker={"color": colour},
                cliponaxis=False,
            )
        )
    values = {"visible": chart.kind == "line", "showgrid": True, "gridcolor": colours["rule"], "zeroline": False}
    values["tickformat"] = TICK_FORMATS.get(chart.unit, ",")
    if chart.unit == "yuan":
        values.update(
            {"tickformat": ",.2~f", "ticksuffix": unit_word}
            if (unit_word := numbers.money_unit(lang))
            else {"tickformat": ",.0f", "tickprefix": "¥"}
        )
    top = (chart.ceiling or max((v for s in chart.series for v in s.values), default=1) or 1) / scale
    values["range"] = [0, top * 1.15]
    categories = {"showgrid": False, "tickfont": {"size": 24, "color": colours["ink"]}}
    if chart.kind == "line":
        categories["type"] = "category"
    else:
        positions = list(range(len(chart.categories)))
        categories.update(tickmode="array", tickvals=positions, ticktext=list(chart.categories), type="linear")
    if chart.kind == "bar":
        categories["autorange"] = "reversed"
        fig.update_layout(xaxis=values, yaxis=categories)
    else:
        fig.update_layout(xaxis=categories, yaxis=values)
    fig.update_layout(
        height=height,
        barmode="group",
        bargap=0.3,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"size": 22, "color": colours["ink"]},
        uniformtext={"minsize": 18, "mode": "show"},
        showlegend=len(chart.series) > 1,
        legend={"orientation": "h", "y": 1.08, "x": 0, "font": {"size": 22, "color": colours["ink"]}},
        margin={"l": 10, "r": 40, "t": 50 if len(chart.series) > 1 else 20, "b": 10},
        separators=".,",
    )
    return fig


def stylesheet(theme: str, fullscreen: bool) -> str:
    """CSS for the slide (very large type, the room's colours) and, in full screen, no sidebar or page furniture."""
    c = THEMES[theme]
    css = f"""
    .stApp, [data-testid="stHeader"] {{ background: {c["bg"]}; color: {c["ink"]}; }}
    .st-key-slide {{ padding: 8px 8px 0; }}
    .st-key-slide .slide-kicker {{ color: {c["muted"]}; font-size: 24px; letter-spacing: .02em; }}
    .st-key-slide .slide-sample {{ margin-left: 1em; padding: 0 .5em; border: 2px solid {c["alarm"]}; color: {c["alarm"]};
        font-weight: 700; border-radius: 4px; }}
    .st-key-slide .slide-title {{ color: {c["ink"]}; font-size: 60px; font-weight: 800; line-height: 1.1; margin: 4px 0 8px;
        padding: 0; }}
    .st-key-slide .slide-message {{ color: {c["muted"]}; font-size: 32px; line-height: 1.25;
        border-bottom: 6px solid {c["accent"]}; padding-bottom: 14px; margin-bottom: 4px; display: inline-block; }}
    .st-key-slide .slide-cover {{ color: {c["ink"]}; font-size: 96px; font-weight: 800; line-height: 1.1; margin-top: 12vh;
        padding: 0; }}
    .st-key-slide .slide-cover-message {{ color: {c["accent"]}; font-size: 48px; font-weight: 700; margin: 24px 0; }}
    .st-key-slide .slide-programmes {{ color: {c["muted"]}; font-size: 30px; line-height: 1.5; max-width: 1500px; }}
    .st-key-slide .slide-chart-title {{ color: {c["muted"]}; font-size: 26px; font-weight: 600; padding: 0; margin: 0; }}
    .st-key-slide .slide-line {{ color: {c["ink"]}; font-size: 40px; font-weight: 700; line-height: 1.3; margin: 48px 0 24px; }}
    [data-testid="stMain"] [data-testid="stCaptionContainer"], [data-testid="stMain"] [data-testid="stCaptionContainer"] p
        {{ color: {c["muted"]}; opacity: 1; }}
    .st-key-slide [data-testid="stMetric"] {{ padding: 4px 0 0; }}
    .st-key-slide [data-testid="stMetricValue"] {{ font-size: 92px; font-weight: 800; color: {c["accent"]};
        line-height: 1.0; }}
    .st-key-slide [data-testid="stMetricValue"] > div {{ overflow: visible; }}
    .st-key-slide [data-testid="stMetricLabel"] p {{ font-size: 30px; font-weight: 700; color: {c["ink"]}; }}
    .st-key-slide [data-testid="stMetricLabel"] {{ height: auto; }}
    .st-key-slide [data-testid="stCaptionContainer"] p {{ font-size: 22px; color: {c["muted"]}; }}
    .st-key-slide .slide-footer p {{ font-size: 20px; }}
    .st-key-slide_nav {{ align-items: center; }}
    .st-key-slide_nav [data-testid="stMarkdownContainer"] p {{ font-size: 22px; color: {c["muted"]}; margin: 0; }}
    .st-key-slide_nav button {{ background: {c["panel"]}; border-color: {c["rule"]}; color: {c["ink"]}; }}
    .st-key-slide_nav button:disabled {{ opacity: .45; }}
    .st-key-slide_nav button p, .st-key-slide_nav label p {{ font-size: 20px; color: {c["ink"]}; }}
    .st-key-presenter_clicker, .st-key-presenter_fullscreen, .st-key-slide_preload {{ display: none; }}
    [data-testid="stMain"] [data-testid="stDownloadButton"] button, [data-testid="stMain"] button[kind="secondary"]
        {{ background: {c["panel"]}; border-color: {c["rule"]}; color: {c["ink"]}; }}
    [data-testid="stMain"] [data-testid="stDownloadButton"] button p, [data-testid="stMain"] button[kind="secondary"] p
        {{ color: {c["ink"]}; }}
    .presenter-fullscreen {{ font: inherit; font-size: 20px; padding: 6px 16px; border-radius: 8px; cursor: pointer;
        background: {c["panel"]}; border: 1px solid {c["rule"]}; color: {c["ink"]}; }}
    .st-key-slide_nav button:focus-visible, .presenter-fullscreen:focus-visible
        {{ outline: 3px solid {c["accent"]}; outline-offset: 2px; }}  /* the keyboard's place, seen in either room */
    [data-testid="stMain"] [data-testid="stTooltipIcon"] svg, [data-testid="stMain"] [data-testid="stTooltipHoverTarget"] svg
        {{ color: {c["muted"]}; fill: currentColor; }}
    [data-testid="stMain"] label p, [data-testid="stMain"] [data-testid="stWidgetLabel"] p {{ color: {c["ink"]}; }}
    /* the room's switch in the room's colours: Streamlit writes the chosen one in its primary blue, 2.9:1 on dark */
    [data-testid="stMain"] button[data-variant="segmented_control"],
    [data-testid="stMain"] button[data-variant="segmented_control"]:hover
        {{ background: {c["panel"]}; border-color: {c["rule"]}; color: {c["ink"]}; }}
    [data-testid="stMain"] button[data-variant="segmented_control"] p {{ color: {c["ink"]}; }}
    [data-testid="stMain"] button[data-variant="segmented_control"][aria-checked="true"],
    [data-testid="stMain"] button[data-variant="segmented_control"][aria-checked="true"]:hover
        {{ background: {c["accent"]}; border-color: {c["accent"]}; color: {c["bg"]}; }}
    [data-testid="stMain"] button[data-variant="segmented_control"][aria-checked="true"] p {{ color: {c["bg"]}; }}
    """
    if fullscreen:
        css += """
    [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
    [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
    [data-testid="stMainBlockContainer"] { padding: 24px 56px 8px !important; max-width: 100% !important; }
    .st-key-slide { min-height: calc(100vh - 110px); }  /* the slide fills the screen, its buttons below it */
    [data-testid="stMainBlockContainer"] > [data-testid="stVerticalBlock"]
        > *:not(:has(> .st-key-slide)):not(:has(> .st-key-slide_nav)) { display: none; }
    """
    return f"<style>{css}</style>"
