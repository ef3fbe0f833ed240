"""Fund ledger (基金公示): every donation and payment of the community fund with the running balance, totals that
reconcile to the catalogue's fund figures, and printable copies. Public when $DASHBOARD_PUBLIC=1; published data only.
"""

import duckdb
import pandas as pd
import streamlit as st

import declared
import i18n
from etl import db
from i18n import numbers, t
from presenter import ledger, markdown
from ui import pager
from ui.downloads import copies_row
from ui.page import FOCUS_CSS
from ui.routing import route_through_app
from ui.session import opened, reader, snapshot, version_key
from ui.signin import for_reader, gate

route_through_app()
st.html(FOCUS_CSS)
lang = gate("ledger")
path = str(db.db_path())
# user None: never the draft view. Whoever reads it (an analyst too), the ledger shows the published version only.
source, con, _ = reader(path, lang, None)
snapshot(con)
# the fund by the name the published data declare (none yet: the working data's are not shown either)
names = declared.Names() if source == path else declared.of(con)
st.title(markdown.t("ledger.title", lang, **names.params(lang)))
if source == path:  # nothing published yet: the working data are never shown here
    st.info(t("ledger.empty", lang), icon=":material/info:")
    st.stop()

ALL = "all"
PAGER = "ledger"  # the entries' pager (ui.pager): its page shown (from 1) is kept per session as ledger_page
PAGE_SIZE = 50  # entries a page: a phone scrolls through them, a laptop shows them in one table


@st.cache_data(show_spinner=False, max_entries=16)
def _years(version: tuple[str, int], _con: duckdb.DuckDBPyConnection) -> list[int]:
    return ledger.years(_con)


@st.cache_data(show_spinner=False, max_entries=64)
def _summary(version: tuple[str, int], year: int | None, lang: str, _con: duckdb.DuckDBPyConnection) -> ledger.Ledger:
    """The ledger's head and totals for a period of one published version (its entries are read a page at a time)."""
    return ledger.summary(_con, year=year, lang=lang)


def _details(row: dict, col: dict[str, str], lang: str) -> str:
    """Who gave, or which project, community and purpose: one column on screen."""
    donor, kind = row[col["donor"]], row[col["donor_type"]]
    if isinstance(donor, str) and donor:
        if not (isinstance(kind, str) and kind):
            return donor
        return i18n.bracketed(donor, kind, lang)
    parts = [row[col[c]] for c in ("project", "community", "purpose")]
    return " · ".join(p for p in parts if isinstance(p, str) and p)


@st.cache_data(show_spinner=False, max_entries=256)
def _screen(
    version: tuple[str, int],
    year: int | None,
    lang: str,
    number: int,
    size: int,
    _book: ledger.Ledger,
    _con: duckdb.DuckDBPyConnection,
) -> pd.DataFrame:
    """One page of entries as the screen shows them (newest first; `_book` is the summary of the same version,
    period and language): one line per entry that fits a laptop, who gave or which project, community and purpose
    read as one "details" column, money exact to the fen with blanks where an entry has none."""
    shown = ledger.page(_con, _book, number, size)
    col = {c: t(key, lang) for c, (key, _) in ledger.COLUMNS.items()}
    money = [col[c] for c in ("income", "spending", "balance")]
    records = shown.to_dict("records")
    return pd.DataFrame(
        {
            col["date"]: shown[col["date"]],
            col["entry"]: shown[col["entry"]].fillna(""),
            col["ref"]: shown[col["ref"]].fillna(""),
            t("ledger.col.details", lang): [_details(r, col, lang) for r in records],
            **{c: [("" if pd.isna(v) else f"{float(v):,.2f}") for v in shown[c]] for c in money},
        }
    )


version = version_key(source)  # never the working data: the page reads only a published version
periods: list[int | str] = [ALL, *_years(version, con)]
chosen = st.segmented_control(
    t("ledger.period_choice", lang),
    periods,
    default=ALL,
    format_func=lambda v: t("filter.all_years", lang) if v == ALL else str(v),
    key="ledger_year",
    on_change=pager.restart,
    args=(PAGER,),
)
year = None if chosen in (None, ALL) else int(chosen)
book = _summary(version, year, lang, con)

st.caption(" · ".join((ledger.period(book), ledger.version_line(book))))
if book.sample:
    st.warning(t(for_reader("page.sample"), lang), icon=":material/science:")  # no Data page to send a visitor to
st.write(t("ledger.intro", lang))
totals = st.columns(3)
for column, key, value in zip(
    totals,
    ("ledger.total.raised", "ledger.total.used", "ledger.total.balance"),
    (book.raised, book.used, book.closing),
    strict=True,
):
    column.metric(t(key, lang), ledger.money(value))
if book.reconciled:
    st.success(ledger.reconciliation(book), icon=":material/check_circle:")
else:
    st.error(ledger.reconciliation(book), icon=":material/error:")
st.caption(ledger.masking_note(book))

st.header(t("ledger.entries", lang))
if not book.count:
    st.info(t("ledger.no_entries", lang), icon=":material/info:")
# A page of entries at a time, newest first: the balance after each is over every entry since the fund began.
number = pager.page_number(PAGER, book.rows, PAGE_SIZE)
screen = _screen(version, year, lang, number - 1, PAGE_SIZE, book, con)
col = {c: t(key, lang) for c, (key, _) in ledger.COLUMNS.items()}
st.dataframe(
    screen,
    hide_index=True,
    width="stretch",
    column_config={
        col["date"]: st.column_config.DateColumn(format=numbers.date_format(lang), width=110),
        t("ledger.col.details", lang): st.column_config.TextColumn(width="medium"),
        **{
            col[c]: st.column_config.TextColumn(alignment="right", width=100) for c in ("income", "spending", "balance")
        },
    },
    placeholder="",
)
pager.pager(PAGER, number, book.rows, PAGE_SIZE, lang)
st.caption(t("ledger.entries_help", lang, size=PAGE_SIZE))


def _full() -> ledger.Ledger:
    """Every entry of the period shown, read when a download is clicked (through a cursor of its own: the run has
    ended) from the same published version."""
    with opened(source, path) as c:
        return ledger.build(c, year=year, lang=lang)


# each file built only when its button is clicked, from every entry
copies_row(
    lang,
    ledger.stem(book),
    "ledger",
    csv=lambda: ledger.to_csv(_full()),
    xlsx=lambda: ledger.to_xlsx(_full()),
    pdf=lambda: ledger.to_pdf(_full()),
    html=lambda: ledger.to_html(_full()),
    edition=(version, year, lang),
)
