"""From voices to projects (民意到实事): the residents' voices of the period — the funnel from collected to answered,
to projects and their completion; answer times against the promise; by community and by category; the voices
waiting past the promise; every figure's rows (查看明细)."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import queries
from i18n import numbers
from presenter import charts
from presenter.proposals import ENUMS, public_summary
from ui.page import Page, setup
from ui.widgets import names_shown

FUNNEL_COLOURS = ("#1f77b4", "#4a90c2", "#2e7d32", "#1b5e20")  # collected → completed: darker as they go further
PARTS = {"project": "#2e7d32", "answered_only": "#1f77b4", "declined": "#d62728", "waiting": "#9e9e9e"}
WITHIN, LATE = "#2e7d32", "#ff7f0e"


def summaries(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """The summaries a reader may see: every one for signed-in staff; for a visitor who has not signed in (a forum
    screen), only those marked publishable."""
    if names_shown() or "summary" not in frame:
        return frame
    marked = [not pd.isna(p) and bool(p) for p in frame["publishable"]]  # a blank is no
    return frame.assign(summary=[public_summary(s, m) for s, m in zip(frame["summary"], marked, strict=True)])


def worded(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the voices' codes in the reader's words (status, category, channel, satisfaction, the project's
    status)."""
    enums = {column: enum for column, enum in {**ENUMS, "project_status": "status"}.items() if column in frame}
    return page.labelled(frame, **enums)


ROW_COLUMNS = {
    "voice_id": "voices.col.voice_id",
    "collected_date": "voices.col.collected_date",
    "community": "voices.col.community",
    "category": "voices.col.category",
    "channel": "voices.col.channel",
    "summary": "voices.col.summary",
    "status": "voices.col.status",
    "answered_date": "voices.col.answered_date",
    "days": "voices.col.days",
    "project": "voices.col.project",
    "project_status": "voices.col.project_status",
    "decline_reason": "voices.col.decline_reason",
    "satisfaction": "voices.col.satisfaction",
}
# the voices waiting past the promise: the first of those columns, and how long each has waited
OPEN_COLUMNS = {
    **{c: ROW_COLUMNS[c] for c in ("voice_id", "collected_date", "community", "category", "channel", "summary")},
    "days": "voices.col.waiting",
}

page = setup("voices.title")
if page.empty_warehouse:
    page.empty("empty.warehouse")
    st.stop()
if not int(page.q(queries.voices_count).iloc[0]["voices"]):
    st.info(page.t("voices.empty"), icon=":material/info:")
    st.stop()
st.caption(page.t("voices.intro"))
masked = not names_shown()

funnel = page.q(queries.voices_funnel, **page.filters)
counts = dict(zip(funnel["stage"], funnel["voices"].astype(int), strict=True))
promise, declined = int(funnel.iloc[0]["promise"]), int(funnel.iloc[0]["declined"])
collected = counts["collected"]
waiting = page.q(queries.voices_overdue, **page.filters)  # open past the promise on the as-of date
# the tiles are the catalogue's figures (metrics.py, group "voices"), as the Overview shows them
figures = page.q(queries.kpis, **page.filters).set_index("metric")


def _value(code: str, column: str = "value") -> float | None:
    value = figures.at[code, column]
    return None if value is None or pd.isna(value) else float(value)


def _count(code: str, column: str = "value") -> str:
    return numbers.number(_value(code, column) or 0)


# --- the tiles: collected, answered in time, became projects, their projects completed
tiles = st.container(horizontal=True, gap="small", key="kpis_4_voices")
with tiles.container(border=True, key="tile_voices_collected"):
    st.metric(page.t("voices.tile.collected"), _count("voices_collected"))
    lines = [page.t("voices.tile.open_late", n=numbers.number(len(waiting)), days=promise)] if len(waiting) else []
    st.caption(" · ".join(lines) or "\u00a0")
with tiles.container(border=True, key="tile_voices_in_time"):
    st.metric(page.t("voices.tile.in_time"), numbers.percent(_value("voices_answered_in_time")))
    st.caption(
        page.t(
            "voices.tile.of_due",
            n=_count("voices_answered_in_time", "numerator"),
            total=_count("voices_answered_in_time", "denominator"),
            days=promise,
        )
    )
with tiles.container(border=True, key="tile_voices_project"):
    st.metric(page.t("voices.tile.project"), _count("voices_to_projects", "numerator"))
    st.caption(page.t("voices.tile.of_collected", share=numbers.percent(_value("voices_to_projects"))))
with tiles.container(border=True, key="tile_voices_completed"):
    st.metric(page.t("voices.tile.completed"), _count("voice_projects_completed"))
    median = _value("voice_days_to_completion")
    st.caption(page.t("voices.tile.median_days", days=numbers.number(median)) if median is not None else "\u00a0")

if not collected:
    st.info(page.t("voices.none_in_period"), icon=":material/info:")
else:
    # --- the funnel
    st.header(page.t("voices.funnel"))
    stages = [page.t(f"voices.stage.{s}") for s in queries.VOICE_STAGES]
    values = [counts[s] for s in queries.VOICE_STAGES]

    def funnel() -> go.Figure:
        fig = go.Figure(
            go.Funnel(
                y=stages,
                x=values,
                orientation="h",
                marker={"color": list(FUNNEL_COLOURS)},
                textinfo="value+percent initial",
                textposition="inside",
            )
        )
        charts.readable(fig, page.lang)
        fig.update_traces(texttemplate="%{value:,} · %{percentInitial:.0%}", textfont={"color": "#ffffff"})
        return fig

    data = pd.DataFrame(
        {"stage": stages, "voices": values, "share": [v / collected for v in values]},
    )
    page.chart(funnel, data, "voices_funnel", height=300)
    st.caption(page.md("voices.funnel_help", period=page.period(), declined=numbers.number(declined)))

    # --- answer times against the promise
    st.header(page.t("voices.answer_times"))
    times = page.q(queries.voices_answer_times, **page.filters)
    if times.empty:
        st.info(page.t("voices.none_answered"), icon=":material/info:")
    else:

        def answer_times() -> go.Figure:
            fig = go.Figure()
            for within, name, colour in ((True, "voices.within", WITHIN), (False, "voices.late", LATE)):
                part = times[times["within"] == within]
                if len(part):
                    fig.add_trace(go.Bar(x=part["days"], y=part["voices"], name=page.t(name), marker_color=colour))
            charts.readable(fig, page.lang)
            fig.update_layout(
                barmode="stack", xaxis_title=page.t("voices.days_axis"), yaxis_title=page.t("voices.count_axis")
            )
            fig.update_yaxes(tickformat=",d", rangemode="tozero")
            fig.add_vline(
                x=promise + 0.5,
                line_dash="dash",
                line_color=charts.TARGET_COLOUR,
                name="promise",
                annotation_text=page.t("voices.promise_line", days=promise),
                annotation_position="top right",
            )
            return fig

        shown = times.assign(within=[page.t("voices.within" if w else "voices.late") for w in times["within"]])
        page.chart(answer_times, shown, "voices_answer_times", height=320, legend_rows=1)
        set_by_town = bool(page.q(queries.voices_promise, year=page.year).iloc[0]["set"])
        source = page.t("voices.promise_set" if set_by_town else "voices.promise_default")
        st.caption(page.md("voices.answer_help", days=promise, source=source))

    # --- by community and by category
    st.header(page.t("voices.by"))
    by = st.radio(
        page.t("voices.group_by"),
        queries.VOICE_DIMENSIONS,
        format_func=lambda d: page.t(f"voices.dim.{d}"),
        horizontal=True,
        key="voices_by",
    )
    grouped = page.q(queries.voices_outcomes_by, by=by, **page.filters)
    keys = [page.label(ENUMS[by], k) if by in ENUMS else page.t("common.unspecified") if pd.isna(k) else k
            for k in grouped["key"]]  # fmt: skip
    grouped = grouped.assign(key=keys)

    def outcomes() -> go.Figure:
        fig = go.Figure(
            [
                go.Bar(
                    y=grouped["key"],
                    x=grouped[part],
                    name=page.t(f"voices.part.{part}"),
                    orientation="h",
                    marker_color=colour,
                )
                for part, colour in PARTS.items()
            ]
        )
        fig.update_layout(barmode="stack", xaxis_title=page.t("voices.count_axis"))
        fig.update_yaxes(autorange="reversed", type="category")
        charts.readable(fig, page.lang)
        return fig

    page.chart(outcomes, grouped, f"voices_by_{by}", height=max(260, 30 * len(grouped) + 150), legend_rows=2)

# --- the voices waiting past the promise
st.header(page.t("voices.open"))
day = page.q(queries.as_of).iloc[0]["as_of"]
st.caption(page.md("voices.open_help", date=numbers.day(day, page.lang), period=page.period(), days=promise))
if waiting.empty:
    st.success(page.t("voices.open_none"), icon=":material/check_circle:")
else:
    if masked:
        st.caption(page.t("voices.summary_hidden"))
    page.table(
        worded(page, summaries(page, waiting)),
        "voices_open",
        OPEN_COLUMNS,
    )

# --- 查看明细: the voices behind each figure
with st.expander(page.t("drill.title"), icon=":material/table_rows:", key="voices_drill", on_change="rerun") as drill:
    if drill.open:
        figure = st.selectbox(
            page.t("voices.drill_pick"),
            queries.VOICE_LISTS,
            format_func=lambda f: page.t(f"voices.figure.{f}"),
            key="voices_drill_figure",
        )
        groups = page.q(queries.voices_outcomes_by, by="category", **page.filters)["key"].dropna().tolist()
        group = st.selectbox(
            page.t("voices.drill_group"),
            [None, *groups],
            format_func=lambda g: page.t("voices.drill_all") if g is None else page.label("voice_category", g),
            key="voices_drill_group",
        )
        rows = page.q(queries.voices_rows, figure=figure, key=group, by="category", **page.filters)
        st.markdown(page.md("voices.drill_rows", n=numbers.number(len(rows))))
        if masked:
            st.caption(page.t("voices.summary_hidden"))
        page.table(worded(page, summaries(page, rows)), f"voices_rows_{figure}", ROW_COLUMNS)
