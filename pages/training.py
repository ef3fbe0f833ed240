"""Training: coverage by community and role, hours and person-times by month, formats, who is untrained, mentoring."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import metrics
import queries
from i18n import numbers
from presenter import charts
from presenter.slides import same_value
from ui import widgets
from ui.page import setup

page = setup("training.title")
kpis = page.q(queries.kpis, **page.filters)
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

    def bars() -> go.Figure:
        fig = px.bar(frame, x="coverage", y=dimension, orientation="h", labels={**pct, dimension: ""})
        fig.update_xaxes(range=[0, 1.1])
        fig.update_yaxes(type="category", autorange="reversed")
        charts.of_metric(fig, "training_coverage")
        if target:
            charts.target_line(fig, target, "training_coverage", axis="x")
        detail = [
            f"{numbers.number(t)} / {numbers.number(r)}" for t, r in zip(frame["trained"], frame["roster"], strict=True)
        ]
        charts.readable(fig, page.lang, unit="percent", labels=True, detail=detail)
        charts.zeros_shown(fig)  # a community with nobody trained: a sliver and its 0.0 %, never nothing
        return fig

    page.chart(bars, frame if data is None else data, f"coverage_by_{dimension}", height=height)


by_community = page.q(queries.coverage_by, by="community", **page.filters)
# Forty bars all at 100 % say one thing: draw only the communities below the target (100 % without one) and
# say the rest in a line; bars that are all the same are one line. Before the year's first quarter has passed
# (metrics.Period.judged) no community is below the target: each is drawn, lowest first, none called 未达标.
goal = page.target("training_coverage") or 1.0
judged = bool(roster["judged"])
shared = same_value(by_community["coverage"]) if len(by_community) > 1 else None
below = by_community[by_community["coverage"] < goal - 1e-9] if judged else by_community
if shared is not None:
    below = by_community.iloc[0:0]
elif len(by_community) <= MANY:
    below = by_community
rest = by_community.drop(below.index)
pooled = len(below) > MOST_BARS  # the lowest communities, and the others (below the target, if judged) as one bar
st.header(page.t("training.by_community_lowest", n=MOST_BARS - 1) if pooled else page.t("training.by_community"))
if not judged:
    st.caption(page.t("training.not_judged", year=page.year, end=numbers.day(roster["end"], page.lang)))
if not below.empty:
    count = numbers.number(len(below) - MOST_BARS + 1)
    others = page.t("training.other_communities" if judged else "training.other_communities_all", count=count)
    bars = charts.lowest_with_rest(below, "community", MOST_BARS, others)
    coverage_bars(
        bars,
        "community",
        height=max(200, 28 * len(bars) + 90),
        data=by_community,
        target=goal if goal < 1 and judged else None,
    )
if pooled:
    st.caption(
        page.md(
            "training.pooled_note" if judged else "training.pooled_note_all",
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
            placeholder="",
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
        met = judged and lowest >= goal - 1e-9
        (st.success if met else st.info)(line, icon=":material/check_circle:" if met else ":material/info:")
        page.downloads(by_community, "coverage_by_community")
    else:
        st.caption(line)

left, right = st.columns(2)
with left:
    st.header(page.t("training.by_role"))
    roles = page.labelled(page.q(queries.coverage_by, by="role", **page.filters), role="role")
    alike = same_value(roles["coverage"]) if len(roles) > 1 else None
    if alike is None:
        coverage_bars(roles, "role", height=300)
    else:  # five bars at 100 % say one thing: one line, as the communities' (and slide 5's, and the report's)
        line = page.md("chart.coverage_roles_same", count=len(roles), coverage=numbers.percent(alike))
        met = judged and alike >= goal - 1e-9
        (st.success if met else st.info)(line, icon=":material/check_circle:" if met else ":material/info:")
        page.downloads(roles, "coverage_by_role")
with right:
    st.header(page.t("training.formats"))
    formats = page.filled(page.labelled(page.q(queries.format_mix, **page.filters), format="format"), "format")
    if formats.empty:
        page.empty("empty.no_sessions")
    else:
        page.chart(
            lambda: charts.donut(page.lang, list(formats["format"]), list(formats["hours"]), unit="hours"),
            formats,
            "training_formats",
            height=340,
            legend_rows=2,
        )
        st.caption(page.t("training.formats_help"))

st.header(page.t("training.by_month"))
monthly = page.q(queries.training_by_month, **page.filters)
if monthly.empty:
    page.empty("empty.no_sessions")
else:

    def by_month(name: str, column: str, metric: str, unit: str, colours: list[str] | None) -> None:
        """Chart `name`: `column` of `monthly` by month, headed as catalogue `metric`, in `unit`."""

        def bars() -> go.Figure:
            fig = px.bar(
                monthly,
                x="month",
                y=column,
                labels={"month": "", column: metrics.METRICS[metric].label(page.lang)},
                color_discrete_sequence=colours,
            )
            charts.readable(fig, page.lang, unit=unit, months="x")
            charts.mark_notes(fig, page.q(queries.notes, **page.filters), name, page.lang)
            return fig

        page.chart(bars, monthly, name, height=300)

    left, right = st.columns(2)
    with left:
        by_month("training_hours_by_month", "hours", "training_hours", "hours", None)
    with right:
        by_month("person_times_by_month", "person_times", "person_times", "count", ["#ff7f0e"])

st.header(page.t("training.untrained", period=page.period()))
untrained = page.labelled(page.q(queries.untrained_workers, **page.filters), role="role")
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
pairs = page.q(queries.mentoring_pairs, **page.filters)
if pairs.empty:
    page.empty("empty.no_mentoring")
else:
    summary = page.q(queries.mentoring_summary, **page.filters).iloc[0]
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
