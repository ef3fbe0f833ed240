"""Fund: raised vs used vs balance over time, donations by quarter and donor type, spending, and the money's flow."""

import plotly.express as px
import streamlit as st

import queries
import ui

page = ui.setup("fund.title")
if page.counts["donations"] + page.counts["disbursements"] == 0:
    page.empty("empty.warehouse" if page.empty_warehouse else "empty.no_fund")
    st.stop()

if page.community:
    st.info(page.md("fund.community_note", community=page.community), icon=":material/info:")
ui.kpi_tiles(page, page.q(queries.kpis), ("fund_raised", "fund_used", "usage_rate", "balance"))

st.subheader(page.t("fund.over_time"))
monthly = page.q(queries.fund_monthly)
if monthly.empty:
    page.empty("empty.no_fund_activity")
else:
    series = {"raised_cum": "fund.raised_cum", "used_cum": "fund.used_cum", "balance": "fund.balance"}
    fig = px.line(
        monthly,
        x="month",
        y=list(series),
        markers=True,
        labels={"month": "", "value": page.t("fund.yuan")},
        color_discrete_sequence=list(ui.FUND_COLOURS.values()),
    )
    fig.for_each_trace(lambda tr: tr.update(name=page.t(series[tr.name]), hovertemplate="%{x|%Y-%m}: ¥%{y:,.0f}"))
    fig.update_xaxes(dtick="M1", tickformat="%Y-%m")
    fig.update_yaxes(tickformat=",.0f", tickprefix="¥")
    page.chart(fig, monthly, "fund_over_time", height=360, legend_rows=1)
    st.caption(page.t("fund.over_time_help"))

left, right = st.columns(2)
with left:
    st.subheader(page.t("fund.by_quarter"))
    quarters = page.q(queries.donations_by_quarter)
    if quarters.empty:
        page.empty("empty.no_donations")
    else:
        fig = px.bar(
            quarters, x="quarter", y="amount", text=[page.money(a) for a in quarters["amount"]],
            labels={"quarter": "", "amount": page.t("fund.yuan")},
        )  # fmt: skip
        fig.update_yaxes(tickformat=",.0f", tickprefix="¥")
        page.chart(fig, quarters, "donations_by_quarter", height=300)
with right:
    st.subheader(page.t("fund.by_donor_type"))
    donors = page.filled(page.labelled(page.q(queries.donors_by_type), donor_type="donor_type"), "donor_type")
    if donors.empty:
        page.empty("empty.no_donations")
    else:
        fig = px.pie(donors, names="donor_type", values="amount", hole=0.5, hover_data=["donors"])
        fig.update_traces(textinfo="percent", textposition="inside")
        page.chart(fig, donors, "donors_by_type", height=320, legend_rows=1)
if page.community:
    st.caption(page.t("fund.donations_town_wide"))

st.subheader(page.t("fund.spending"))
by = st.radio(
    page.t("fund.spending_by"),
    queries.SPENDING_DIMENSIONS,
    format_func=lambda d: page.t(f"fund.dim.{d}"),
    horizontal=True,
    key="fund_spending_by",
)
spending = page.q(queries.spending_by, by=by)
if spending.empty:
    page.empty("empty.no_spending")
else:
    spending = page.filled(page.labelled(spending, label="category") if by == "category" else spending, "label")
    fig = px.bar(
        spending,
        x="amount",
        y="label",
        orientation="h",
        text=[page.money(a) for a in spending["amount"]],
        labels={"label": "", "amount": page.t("fund.yuan")},
        color_discrete_sequence=[ui.FUND_COLOURS["used"]],
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickformat=",.0f", tickprefix="¥")
    page.chart(fig, spending, f"spending_by_{by}", height=max(180, 28 * len(spending) + 110))

st.subheader(page.t("fund.flow"))
flows = page.q(queries.fund_flows)
if flows.empty:
    page.empty("empty.no_donations")
else:
    page.chart(ui.sankey(page, flows), flows, "fund_flows", height=420)
    st.caption(page.t("fund.flow_help"))
    if page.community:
        st.caption(page.t("fund.flow_community"))
