"""Projects: progress by programme, theme, level and community; each programme's completions against its own target;
the project list."""

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import i18n
import metrics
import queries
from presenter import charts
from ui.page import setup

STATUSES = ("completed", "in_progress", "planned", "cancelled")
ENUM_DIMENSIONS = {"program": "program", "level": "level"}
PROGRAMMES = tuple(dict.fromkeys(m.line for m in metrics.shown("programme")))  # the catalogue's, in its order

page = setup("projects.title")
projects = page.q(queries.project_list, **page.filters)
if projects.empty:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.filtered")
    st.stop()

st.header(page.t("projects.by"))
by = st.radio(
    page.t("projects.group_by"),
    queries.PROJECT_DIMENSIONS,
    format_func=lambda d: page.t(f"projects.dim.{d}"),
    horizontal=True,
    key="projects_by",
)
grouped = page.q(queries.projects_by, by=by, **page.filters)
labelled = page.labelled(grouped, key=ENUM_DIMENSIONS[by]) if by in ENUM_DIMENSIONS else grouped
# Projects with no theme (level, ...) are a note, never a bar that dwarfs the named ones (190 against 8 or 9).
shown, unspecified = labelled[labelled["key"].notna()], int(labelled.loc[labelled["key"].isna(), "total"].sum())
if not shown.empty:

    def by_dimension() -> go.Figure:
        fig = px.bar(
            shown,
            y="key",
            x=list(STATUSES),
            orientation="h",
            color_discrete_map=charts.STATUS_COLOURS,
            labels={"key": "", "value": page.t("projects.count")},
        )
        fig.for_each_trace(lambda tr: tr.update(name=page.label("status", tr.name)))
        fig.update_yaxes(autorange="reversed", type="category")
        charts.readable(fig, page.lang)
        return fig

    page.chart(
        by_dimension,
        page.filled(labelled, "key"),
        f"projects_by_{by}",
        height=max(280, 28 * len(shown) + 150),
        legend_rows=2,
    )
if unspecified:
    dimension = page.t(f"projects.dim.{by}")
    st.caption(
        page.md(
            "chart.unspecified_project" if unspecified == 1 else "chart.unspecified_projects",
            count=f"{unspecified:,}",
            dimension=i18n.style(page.lang).inline(dimension),
        )
    )
    if shown.empty:
        page.downloads(page.filled(labelled, "key"), f"projects_by_{by}")

# Each programme on its own, against its own target (metrics.COMPLETED): never every programme's completions (249)
# against one programme's target (50), nor a donut that adds the programmes up.
st.header(page.t("projects.progress"))
present = [k for k in page.q(queries.projects_by, by="program", **page.filters)["key"] if isinstance(k, str)]
# offered by name (the radio's value is what the reader reads, never a stored code)
programmes = {page.label("program", p): p for p in dict.fromkeys([*PROGRAMMES, *sorted(present)])}
named = st.radio(page.t("projects.programme"), list(programmes), horizontal=True, key="projects_programme")
program = programmes[named]
if program == "micro_renewal" and int(page.q(queries.voices_count).iloc[0]["voices"]):  # the voices behind them
    st.page_link("pages/voices.py", label=page.t("voices.to_page"), icon=":material/record_voice_over:")
code = metrics.COMPLETED.get(program)
figures = page.q(queries.kpis, **page.filters).set_index("metric")
target = None if code is None or pd.isna(figures.at[code, "target"]) else float(figures.at[code, "target"])
left, right = st.columns(2)
with left:
    st.header(page.t("projects.burnup"))
    burnup = page.q(queries.completions_burnup, program=program, **page.filters)
    if burnup.empty:
        page.empty("empty.no_completions")
    else:

        def completions() -> go.Figure:
            fig = px.line(
                burnup,
                x="month",
                y="cumulative",
                markers=True,
                line_shape="hv",
                labels={"month": "", "cumulative": page.t("projects.cumulative")},
            )
            charts.readable(fig, page.lang, months="x")
            if code:
                charts.of_metric(fig, code)
            charts.mark_notes(fig, page.q(queries.notes, **page.filters), "completions_burnup", page.lang)
            if target and code:
                charts.target_line(fig, target, code, page.t("projects.target_line", target=f"{target:,.0f}"))
            return fig

        page.chart(completions, burnup.assign(program=named), "completions_burnup", height=320)
    if target:
        why = page.t("projects.burnup_target", year=page.year)
    elif code is None:
        why = page.t("projects.burnup_no_target")
    elif page.year is None:
        why = page.t("kpi.no_target_all_years")
    elif page.community:
        why = page.t("kpi.no_target_community")
    else:
        why = page.t("kpi.no_target")
    st.caption(page.md("projects.burnup_help", programme=named, why=why))
with right:
    st.header(page.t("projects.status"))
    statuses = page.labelled(page.q(queries.project_statuses, program=program, **page.filters), status="status")
    if statuses.empty:
        st.info(page.t("projects.no_projects", programme=named), icon=":material/info:")
    else:
        page.chart(
            lambda: charts.donut(
                page.lang,
                list(statuses["status"]),
                list(statuses["projects"]),
                colours=page.colours("status", charts.STATUS_COLOURS),
                inside="value",
            ),
            statuses.assign(program=named),
            "project_status",
            height=340,
            legend_rows=2,
        )

st.header(page.t("projects.list"))
search = st.text_input(page.t("projects.search"), placeholder=page.t("projects.search_hint"), key="projects_search")
listed = page.labelled(
    page.q(queries.project_list, search=search.strip(), **page.filters),
    program="program",
    level="level",
    status="status",
)
if listed.empty:
    page.empty("empty.search")
else:
    st.caption(page.t("projects.count_shown", count=len(listed)))
    page.table(
        listed,
        "projects",
        {
            "project_id": "table.project_id",
            "name": "table.name",
            "program": "table.program",
            "theme": "table.theme",
            "level": "table.level",
            "community": "table.community",
            "status": "table.status",
            "start_date": "table.start_date",
            "completed_date": "table.completed_date",
            "budget_yuan": "table.budget_yuan",
            "residents_involved": "table.residents_involved",
        },
        budget_yuan=st.column_config.NumberColumn(format="yen"),
    )
