"""Training: coverage by community and role, hours and person-times by month, formats, who is untrained, mentoring."""

import plotly.express as px
import streamlit as st

import metrics
import queries
import ui
from ui import numbers

page = ui.setup("training.title")
kpis = page.q(queries.kpis)
roster = kpis.set_index("metric").loc["training_coverage"]
if not roster["denominator"]:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.filtered")
    st.stop()
ui.kpi_tiles(page, kpis, tuple(m.code for m in metrics.shown("training")), per_row=5)

pct = {"coverage": page.t("training.coverage_axis")}


def coverage_bars(frame, dimension: str, height: int) -> None:
    """Coverage per community or role as horizontal bars labelled with their percentage."""
    fig = px.bar(
        frame,
        x="coverage",
        y=dimension,
        orientation="h",
        text=[numbers.percent(c) for c in frame["coverage"]],
        hover_data=["trained", "roster"],
        labels={**pct, dimension: ""},
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1.1])
    fig.update_yaxes(type="category")
    page.chart(fig, frame, f"coverage_by_{dimension}", height=height)


st.subheader(page.t("training.by_community"))
by_community = page.q(queries.coverage_by, by="community")
coverage_bars(by_community, "community", height=max(260, 24 * len(by_community) + 90))

left, right = st.columns(2)
with left:
    st.subheader(page.t("training.by_role"))
    coverage_bars(page.labelled(page.q(queries.coverage_by, by="role"), role="role"), "role", height=300)
with right:
    st.subheader(page.t("training.formats"))
    formats = page.filled(page.labelled(page.q(queries.format_mix), format="format"), "format")
    if formats.empty:
        page.empty("empty.no_sessions")
    else:
        fig = px.pie(formats, names="format", values="hours", hole=0.5)
        fig.update_traces(textinfo="percent", textposition="inside", hovertemplate="%{label}: %{value} h")
        page.chart(fig, formats, "training_formats", height=340, legend_rows=2)
        st.caption(page.t("training.formats_help"))

st.subheader(page.t("training.by_month"))
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
        fig.update_xaxes(dtick="M1", tickformat="%Y-%m")
        page.chart(fig, monthly, "training_hours_by_month", height=300)
    with right:
        fig = px.bar(
            monthly,
            x="month",
            y="person_times",
            labels={"month": "", "person_times": metrics.METRICS["person_times"].label(page.lang)},
            color_discrete_sequence=["#ff7f0e"],
        )
        fig.update_xaxes(dtick="M1", tickformat="%Y-%m")
        page.chart(fig, monthly, "person_times_by_month", height=300)

st.subheader(page.t("training.untrained", period=page.period()))
untrained = page.labelled(page.q(queries.untrained_workers), role="role")
if untrained.empty:
    st.success(page.t("training.all_trained"), icon=":material/check_circle:")
else:
    st.caption(page.t("training.untrained_count", count=len(untrained)))
    page.table(
        untrained,
        "untrained_workers",
        {"worker_id": "table.worker_id", "name": "table.name", "community": "table.community", "role": "table.role"},
    )

st.subheader(page.t("training.mentoring"))
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
