"""Fund: raised vs used vs balance over time (and the rows behind each figure), donations by quarter and donor type,
spending, and the money's flow."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

import i18n
import queries
from i18n import numbers
from presenter import charts
from ui import widgets
from ui.page import setup

page = setup("fund.title")
if page.counts["donations"] + page.counts["disbursements"] == 0:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.no_fund")
    st.stop()

if page.community:
    st.info(page.md("fund.community_note", community=page.community), icon=":material/info:")
FIGURES = ("fund_raised", "fund_used", "usage_rate", "balance")
widgets.kpi_tiles(page, page.q(queries.kpis, **page.filters), FIGURES)
widgets.drilldown(page, FIGURES)  # 查看明细: the donations and payments behind each figure, names as the reader may see

st.header(page.t("fund.over_time"))
monthly = page.q(queries.fund_monthly, **page.filters)
if monthly.empty:
    page.empty("empty.no_fund_activity")
else:

    def over_time() -> go.Figure:
        series = {"raised_cum": "fund.raised_cum", "used_cum": "fund.used_cum", "balance": "fund.balance"}
        fig = px.line(
            monthly,
            x="month",
            y=list(series),
            markers=True,
            labels={"month": ""},
            color_discrete_sequence=list(charts.FUND_COLOURS.values()),
        )
        fig.for_each_trace(lambda tr: tr.update(name=page.t(series[tr.name])))
        charts.readable(fig, page.lang, unit="yuan", months="x")
        charts.mark_notes(fig, page.q(queries.notes, **page.filters), "fund_over_time", page.lang)
        return fig

    page.chart(over_time, monthly, "fund_over_time", height=360, legend_rows=1)
    st.caption(page.t("fund.over_time_help"))

left, right = st.columns(2)
with left:
    st.header(page.t("fund.by_quarter"))
    quarters = page.q(queries.donations_by_quarter, year=page.year)
    if quarters.empty:
        page.empty("empty.no_donations")
    else:
        quarters = quarters.assign(quarter=[numbers.quarter(q, page.lang) for q in quarters["quarter"]])

        def by_quarter() -> go.Figure:
            fig = px.bar(quarters, x="quarter", y="amount", labels={"quarter": ""})
            fig.update_xaxes(type="category")
            charts.readable(fig, page.lang, unit="yuan", labels=True)
            return fig

        page.chart(by_quarter, quarters, "donations_by_quarter", height=300)
with right:
    st.header(page.t("fund.by_donor_type"))
    donors = page.filled(
        page.labelled(page.q(queries.donors_by_type, year=page.year), donor_type="donor_type"), "donor_type"
    )
    if donors.empty:
        page.empty("empty.no_donations")
    else:
        page.chart(
            lambda: charts.donut(page.lang, list(donors["donor_type"]), list(donors["amount"]), unit="yuan"),
            donors,
            "donors_by_type",
            height=320,
            legend_rows=1,
        )
if page.community:
    st.caption(page.t("fund.donations_town_wide"))

st.header(page.t("fund.spending"))
by = st.radio(
    page.t("fund.spending_by"),
    queries.SPENDING_DIMENSIONS,
    format_func=lambda d: page.t(f"fund.dim.{d}"),
    horizontal=True,
    key="fund_spending_by",
)
spending = page.q(queries.spending_by, by=by, **page.filters)
if spending.empty:
    page.empty("empty.no_spending")
else:
    spending = page.labelled(spending, label="category") if by == "category" else spending
    # Spending with no project (category, community) is a note, never a bar that dwarfs the named ones.
    named, unspecified = (
        spending[spending["label"].notna()],
        float(spending.loc[spending["label"].isna(), "amount"].sum()),
    )
    if not named.empty:

        def spent() -> go.Figure:
            fig = px.bar(
                named,
                x="amount",
                y="label",
                orientation="h",
                labels={"label": ""},
                color_discrete_sequence=[charts.FUND_COLOURS["used"]],
            )
            fig.update_yaxes(autorange="reversed", type="category")
            charts.readable(fig, page.lang, unit="yuan", labels=True)
            return fig

        page.chart(spent, page.filled(spending, "label"), f"spending_by_{by}", height=max(180, 28 * len(named) + 110))
    if unspecified:
        dimension = page.t(f"fund.dim.{by}")
        st.caption(
            page.md(
                "chart.unspecified_spending",
                amount=page.money(unspecified),
                dimension=i18n.style(page.lang).inline(dimension),
            )
        )
        if named.empty:
            page.downloads(page.filled(spending, "label"), f"spending_by_{by}")

st.header(page.t("fund.flow"))
flows = page.q(queries.fund_flows, **page.filters)
if flows.empty:
    page.empty("empty.no_donations")
else:

    def flow() -> go.Figure:
        fig = charts.sankey(flows, page.lang, page.label)
        fig.data[0].link.customdata = [numbers.chart_money(a, page.lang) for a in flows["amount"]]  # one unit a chart
        return fig

    page.chart(flow, flows, "fund_flows", height=420)
    st.caption(page.t("fund.flow_help"))
    if page.community:
        st.caption(page.t("fund.flow_community"))
