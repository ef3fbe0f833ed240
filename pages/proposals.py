"""Residents' proposals (居民提案进展): what became of the voices residents raised — each that became a project with the
project's progress, each declined with the reason, and the voices counted by status; printable and downloadable.
Public beside the fund ledger when $DASHBOARD_PUBLIC=1; published data only; no personal data (presenter/proposals.py).
"""

import pandas as pd
import streamlit as st

from etl import db
from i18n import numbers, t
from presenter import proposals
from ui.downloads import copies_row
from ui.page import FOCUS_CSS
from ui.routing import route_through_app
from ui.session import NOTHING, reader, snapshot
from ui.signin import for_reader, gate

route_through_app()
st.html(FOCUS_CSS)
lang = gate("proposals")
path = str(db.db_path())
# user None: never the draft view. Whoever reads it, this page shows the published version only.
source, con, _ = reader(path, lang, None)
snapshot(con)
st.title(t("proposals.title", lang))
if source in (path, NOTHING):  # nothing published yet: the working data are never shown here
    st.info(t("proposals.empty", lang), icon=":material/info:")
    st.stop()
years = proposals.years(con)
if not years:
    st.info(t("proposals.none_yet", lang), icon=":material/info:")
    st.stop()

ALL = "all"
chosen = st.segmented_control(
    t("proposals.period_choice", lang),
    [ALL, *years],
    default=ALL,
    format_func=lambda v: t("filter.all_years", lang) if v == ALL else str(v),
    key="proposals_year",
)
book = proposals.build(con, year=chosen if isinstance(chosen, int) else None, lang=lang)

st.caption(" · ".join((proposals.period(book), proposals.version_line(book))))
if book.sample:
    st.warning(t(for_reader("page.sample"), lang), icon=":material/science:")
st.write(t("proposals.intro", lang))
st.caption(t("proposals.privacy", lang))

st.header(t("proposals.by_status", lang))
st.markdown(proposals.counts_line(book))
if len(book.counts):
    line = st.container(horizontal=True, gap="small")
    for status, n in book.counts.values:
        line.metric(status, numbers.number(n), border=True, width="content")


def _show(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], key: str) -> None:
    if frame.empty:
        st.info(t("proposals.none", lang), icon=":material/info:")
        return
    headers = {c: t(k, lang) for c, (k, _) in columns.items()}
    shown = frame[list(columns)].rename(columns=headers)
    text = [headers[c] for c, (_, kind) in columns.items() if kind == "text"]
    shown[text] = shown[text].fillna("")
    dates = {
        headers[c]: st.column_config.DateColumn(format=numbers.date_format(lang))
        for c, (_, kind) in columns.items()
        if kind == "date"
    }
    st.dataframe(shown, hide_index=True, width="stretch", column_config=dates, key=key)


st.header(t("proposals.projects", lang))
_show(book.projects, proposals.COLUMNS, "proposals_projects")
st.header(t("proposals.declined", lang))
_show(book.declined, proposals.DECLINED_COLUMNS, "proposals_declined")

copies_row(
    lang,
    proposals.stem(book),
    "proposals",
    csv=lambda: proposals.to_csv(book),
    xlsx=lambda: proposals.to_xlsx(book),
    pdf=lambda: proposals.to_pdf(book),
    html=lambda: proposals.to_html(book),
)
