"""Residents' proposals (居民提案进展): what became of the voices residents raised — each that became a project with the
project's progress, each declined with the reason, and the voices counted by status; printable and downloadable.
Public beside the fund ledger when $DASHBOARD_PUBLIC=1; published data only; no personal data (presenter/proposals.py).
"""

import duckdb
import pandas as pd
import streamlit as st

from etl import db
from i18n import numbers, t
from presenter import proposals
from ui import pager
from ui.downloads import copies_row
from ui.page import FOCUS_CSS
from ui.routing import route_through_app
from ui.session import NOTHING, opened, reader, snapshot, version_key
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


@st.cache_data(show_spinner=False, max_entries=16)
def _years(version: tuple[str, int], _con: duckdb.DuckDBPyConnection) -> list[int]:
    return proposals.years(_con)


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(
    version: tuple[str, int], year: int | None, lang: str, _con: duckdb.DuckDBPyConnection
) -> proposals.Proposals:
    """The head of a period's proposals of one published version (their rows are read a page at a time)."""
    return proposals.summary(_con, year=year, lang=lang)


@st.cache_data(show_spinner=False, max_entries=256)
def _page(
    version: tuple[str, int],
    year: int | None,
    lang: str,
    table: str,
    number: int,
    size: int,
    _book: proposals.Proposals,
    _con: duckdb.DuckDBPyConnection,
) -> pd.DataFrame:
    """Page `number` (from 0) of a table (proposals.TABLES) as build shapes its rows (`_book` is the summary of the
    same version, period and language)."""
    return proposals.page(_con, _book, table, number, size)


version = version_key(source)  # never the working data: the page reads only a published version
years = _years(version, con)
if not years:
    st.info(t("proposals.none_yet", lang), icon=":material/info:")
    st.stop()

ALL = "all"
PAGE_SIZE = 50  # voices a page, newest first
PAGERS = {table: f"proposals_{table}" for table in proposals.TABLES}  # each table's pager (ui.pager), its own page
chosen = st.segmented_control(
    t("proposals.period_choice", lang),
    [ALL, *years],
    default=ALL,
    format_func=lambda v: t("filter.all_years", lang) if v == ALL else str(v),
    key="proposals_year",
    on_change=pager.restart,
    args=tuple(PAGERS.values()),
)
year = chosen if isinstance(chosen, int) else None
book = _summary(version, year, lang, con)

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


def _show(table: str, columns: dict[str, tuple[str, str]]) -> None:
    """A page of a table at a time, newest first, with its pager under it."""
    rows = book.rows[table]
    if not rows:
        st.info(t("proposals.none", lang), icon=":material/info:")
        return
    name = PAGERS[table]
    number = pager.page_number(name, rows, PAGE_SIZE)
    frame = _page(version, year, lang, table, number - 1, PAGE_SIZE, book, con)
    headers = {c: t(k, lang) for c, (k, _) in columns.items()}
    shown = frame[list(columns)].rename(columns=headers)
    text = [headers[c] for c, (_, kind) in columns.items() if kind == "text"]
    shown[text] = shown[text].fillna("")
    dates = {
        headers[c]: st.column_config.DateColumn(format=numbers.date_format(lang))
        for c, (_, kind) in columns.items()
        if kind == "date"
    }
    st.dataframe(shown, hide_index=True, width="stretch", column_config=dates, key=name, placeholder="")
    pager.pager(name, number, rows, PAGE_SIZE, lang)


st.header(t("proposals.projects", lang))
_show("projects", proposals.COLUMNS)
st.header(t("proposals.declined", lang))
_show("declined", proposals.DECLINED_COLUMNS)


def _full() -> proposals.Proposals:
    """Every row of the period shown, read when a download is clicked (through a cursor of its own: the run has
    ended) from the same published version."""
    with opened(source, path) as c:
        return proposals.build(c, year=year, lang=lang)


# each file built only when its button is clicked, from every row
copies_row(
    lang,
    proposals.stem(book),
    "proposals",
    csv=lambda: proposals.to_csv(_full()),
    xlsx=lambda: proposals.to_xlsx(_full()),
    pdf=lambda: proposals.to_pdf(_full()),
    html=lambda: proposals.to_html(_full()),
    edition=(version, year, lang),
)
