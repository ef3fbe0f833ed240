"""Training: coverage by community and role, hours and person-times by month, formats, who is untrained, mentoring."""

import plotly.express as px
import streamlit as st

import queries
import ui
from ui import numbers

page = ui.setup("training.title")
roster = page.q(queries.coverage).iloc[0]
if roster["roster"] == 0:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.filtered")
    st.stop()

totals = page.q(queries.training_totals).iloc[0]
with st.container(horizontal=True):
    st.metric(page.t("kpi.training_coverage"), numbers.percent(roster["coverage"]), border=True)
    st.metric(
        page.t("training.trained"),
        page.t("kpi.trained_value", trained=numbers.number(roster["trained"]), roster=numbers.number(roster["roster"])),
        border=True,
    )
    st.metric(page.t("training.sessions"), numbers.number(totals["sessions"]), border=True)
    st.metric(page.t("kpi.training_hours"), numbers.number(totals["hours"], 1), border=True)
    st.metric(page.t("kpi.person_times"), numbers.number(totals["person_times"]), border=True)

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
        fig = px.bar(monthly, x="month", y="hours", labels={"month": "", "hours": page.t("kpi.training_hours")})
        fig.update_xaxes(dtick="M1", tickformat="%Y-%m")
        page.chart(fig, monthly, "training_hours_by_month", height=300)
    with right:
        fig = px.bar(
            monthly,
            x="month",
            y="person_times",
            labels={"month": "", "person_times": page.t("kpi.person_times")},
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
        activities_done=st.column_config.ProgressColumn(min_value=0, max_value=10, format="%d / 10"),
    )
