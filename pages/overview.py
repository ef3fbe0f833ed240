"""Overview: are we on track? The programmes as the town reports them, training, mentoring and the fund, each
figure from the metric catalogue against its target and the same dates a year before; then what needs attention."""

import streamlit as st

import metrics
import queries
from i18n import numbers
from presenter import markdown, narrative
from ui import widgets
from ui.page import setup

page = setup("overview.title")
if page.empty_warehouse:
    page.empty("empty.warehouse")
    st.stop()

kpis = page.q(queries.kpis, **page.filters)
if page.year is None:
    st.caption(page.t("overview.all_years_note"))
elif kpis["partial"].any():
    end = numbers.day(kpis["end"].iloc[0], page.lang)
    early = not kpis["judged"].all()  # its first quarter not yet over: nothing measured against a target
    note = "overview.partial_note_early" if early else "overview.partial_note"
    st.caption(page.t(note, year=page.year, end=end, before=page.year - 1))

with st.container(
    border=True, key="narrative"
):  # 文字综述: the figures in a few sentences, from the catalogue's templates
    st.markdown(f"**{page.t('narrative.title')}**")
    sentences = narrative.narrative(kpis, page.lang, community=page.community, names=page.names)
    st.markdown(markdown.escape(narrative.joined(sentences, page.lang)))

for group in metrics.GROUPS:
    st.header(page.md(f"overview.{group}"))  # the fund and the programmes by their declared names
    if group == "fund" and page.community:
        st.caption(page.md("fund.community_note", community=page.community))
    for line in metrics.lines(group):  # the programmes each on a line of their own
        widgets.kpi_tiles(page, kpis, line, per_row=max(len(line), 3) if group == "programme" else 4)
page.downloads(kpis, "kpis")
widgets.drilldown(page, tuple(m.code for m in metrics.shown()))

st.header(page.t("overview.attention"))
st.caption(page.t("overview.attention_help"))
widgets.attention_list(page, page.q(queries.needs_attention, **page.filters))
