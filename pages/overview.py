"""Overview: are we on track? KPIs against targets and their change, and what needs attention."""

import streamlit as st

import queries
import ui

page = ui.setup("overview.title")
if page.empty_warehouse:
    page.empty("empty.warehouse")
    st.stop()

kpis = page.q(queries.kpis)
if page.year is None:
    st.caption(page.t("overview.all_years_note"))

st.subheader(page.t("overview.projects"))
ui.kpi_tiles(page, kpis, ("projects_completed", "micro_renewal_completed"))
st.subheader(page.t("overview.training"))
ui.kpi_tiles(page, kpis, ("training_coverage", "training_hours", "person_times"))
st.subheader(page.t("overview.fund"))
if page.community:
    st.caption(page.md("fund.community_note", community=page.community))
ui.kpi_tiles(page, kpis, ("fund_raised", "fund_used", "usage_rate", "balance"))
page.downloads(kpis, "kpis")

st.subheader(page.t("overview.attention"))
st.caption(page.t("overview.attention_help"))
ui.attention_list(page, page.q(queries.needs_attention))
