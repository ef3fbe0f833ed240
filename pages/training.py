"""Training: coverage by community and role, hours and person-times by month, formats, who is untrained, mentoring."""

import plotly.express as px
import streamlit as st

import metrics
import queries
from ui import charts, numbers, widgets
from ui.page import setup

page = setup("training.title")
kpis = page.q(queries.kpis)
roster = kpis.set_index("metric").loc["training_coverage"]
if not roster["denominator"]:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.filtered")
    st.stop()
widgets.kpi_tiles(page, kpis, tuple(m.code for m in metrics.shown("training")), per_row=5)

pct = {"coverage": page.t("training.coverage_axis")}
MANY = 8  # more communities than this: those that reached the target become one line, not a wall of equal bars
MOST_BARS = 20  # more communities below the target than this: the lowest, and one bar pooling the others


def coverage_bars(frame, dimension: str, height: int, data=None, target: float | None = None) -> None:
    """Coverage per community or role as horizontal bars labelled with their percentage, lowest first (a frame
    from charts.lowest_with_rest is already in its order: its pooled bar comes last)."""
    if "pooled" not in frame.columns:
        frame = frame.sort_values(["coverage", dimension], kind="stable")
    fig = px.bar(frame, x="coverage", y=dimension, orientation="h", labels={**pct, dimension: ""})
    fig.update_xaxes(range=[0, 1.1])
    fig.update_yaxes(type="category", autorange="reversed")
    if target:
        fig.add_vline(x=target, line_dash="dash", line_color="#d62728")
    detail = [
        f"{numbers.number(t)} / {numbers.number(r)}" for t, r in zip(frame["trained"], frame["roster"], strict=True)
    ]
    charts.readable(fig, page, unit="percent", labels=True, detail=detail)
    page.chart(fig, frame if data is None else data, f"coverage_by_{dimension}", height=height)


by_community = page.q(queries.coverage_by, by="community")
# Forty bars all at 100 % say one thing: draw only the communities below the target (100 % without one) and
# say the rest in a line.
goal = page.target("training_coverage") or 1.0
below = by_community[by_community["coverage"] < goal - 1e-9]
rest = by_community.drop(below.index)
if len(by_community) <= MANY:
    below, rest = by_community, by_community.iloc[0:0]
pooled = len(below) > MOST_BARS  # the lowest communities, and the others below the target as one bar
st.header(page.t("training.by_community_lowest", n=MOST_BARS - 1) if pooled else page.t("training.by_community"))
if not below.empty:
    others = page.t("training.other_communities", count=numbers.number(len(below) - MOST_BARS + 1))
    bars = charts.lowest_with_rest(below, "community", MOST_BARS, others)
    coverage_bars(
        bars, "community", height=max(200, 28 * len(bars) + 90), data=by_community, target=goal if goal < 1 else None
    )
if pooled:
    st.caption(
        page.md(
            "training.pooled_note",
            n=MOST_BARS - 1,
            below=numbers.number(len(below)),
            rest=numbers.number(len(below) - MOST_BARS + 1),
        )
    )
    with st.expander(page.t("training.all_communities", count=numbers.number(len(by_community)))):
        columns = {
            "community": page.t("table.community"),
            "roster": page.t("export.col.roster"),
            "trained": page.t("export.col.trained"),
            "coverage": page.t("training.coverage_axis"),
        }
        st.dataframe(
            by_community.sort_values(["coverage", "community"])[list(columns)].rename(columns=columns),
            hide_index=True,
            width="stretch",
            column_config={columns["coverage"]: st.column_config.NumberColumn(format="percent")},
        )
if not rest.empty:
    lowest, highest = float(rest["coverage"].min()), float(rest["coverage"].max())
    same = abs(highest - lowest) < 1e-9
    key = ("chart.coverage_all_" if below.empty else "chart.coverage_rest_") + ("same" if same else "met")
    line = page.md(
        key,
        count=len(rest),
        coverage=numbers.percent(lowest),
        target=numbers.percent(goal),
        lowest=numbers.percent(lowest),
    )
    if below.empty:
        st.success(line, icon=":material/check_circle:")
        page.downloads(by_community, "coverage_by_community")
    else:
        st.caption(line)

left, right = st.columns(2)
with left:
    st.header(page.t("training.by_role"))
    coverage_bars(page.labelled(page.q(queries.coverage_by, by="role"), role="role"), "role", height=300)
with right:
    st.header(page.t("training.formats"))
    formats = page.filled(page.labelled(page.q(queries.format_mix), format="format"), "format")
    if formats.empty:
        page.empty("empty.no_sessions")
    else:
        fig = charts.donut(page, list(formats["format"]), list(formats["hours"]), unit="hours")
        page.chart(fig, formats, "training_formats", height=340, legend_rows=2)
        st.caption(page.t("training.formats_help"))

st.header(page.t("training.by_month"))
monthly = page.q(queries.training_by_month)
if monthly.empty:
    page.empty("empty.no_sessions")
else:
    left, right = st.columns(2)
    with left:
        fig = px.bar(
            monthly,
            x="month",
            y="hours",
            labels={"month": "", "hours": metrics.METRICS["training_hours"].label(page.lang)},
        )
        charts.readable(fig, page, unit="hours", months="x")
        charts.mark_notes(fig, page, "training_hours_by_month")
        page.chart(fig, monthly, "training_hours_by_month", height=300)
    with right:
        fig = px.bar(
            monthly,
            x="month",
            y="person_times",
            labels={"month": "", "person_times": metrics.METRICS["person_times"].label(page.lang)},
            color_discrete_sequence=["#ff7f0e"],
        )
        charts.readable(fig, page, months="x")
        charts.mark_notes(fig, page, "person_times_by_month")
        page.chart(fig, monthly, "person_times_by_month", height=300)

st.header(page.t("training.untrained", period=page.period()))
untrained = page.labelled(page.q(queries.untrained_workers), role="role")
if untrained.empty:
    st.success(page.t("training.all_trained"), icon=":material/check_circle:")
else:
    st.caption(page.t("training.untrained_count", count=len(untrained)))
    page.table(
        untrained,
        "untrained_workers",
        {
            "worker_id": "table.worker_id",
            "name": "table.person_name",
            "community": "table.community",
            "role": "table.role",
        },
    )

st.header(page.t("training.mentoring"))
pairs = page.q(queries.mentoring_pairs)
if pairs.empty:
    page.empty("empty.no_mentoring")
else:
    summary = page.q(queries.mentoring_summary).iloc[0]
    st.caption(
        page.t(
            "training.mentoring_summary",
            mentors=numbers.number(summary["mentors"]),
            mentees=numbers.number(summary["mentees"]),
            finished=numbers.number(summary["finished"]),
            average=numbers.number(summary["average"], 1),
        )
    )
    page.table(
        pairs,
        "mentoring_pairs",
        {
            "mentor": "table.mentor",
            "mentee": "table.mentee",
            "activities_done": "table.activities_done",
            "community": "table.community",
            "start_date": "table.start_date",
        },
        activities_done=st.column_config.ProgressColumn(
            min_value=0, max_value=metrics.ACTIVITIES_PER_PAIR, format=f"%d / {metrics.ACTIVITIES_PER_PAIR}"
        ),
    )
