"""Fund ledger (基金公示): every donation and payment of the community fund with the running balance, totals that
reconcile to the catalogue's fund figures, and printable copies. Public when $DASHBOARD_PUBLIC=1; published data only.
"""

import pandas as pd
import streamlit as st

import declared
import i18n
from etl import db
from i18n import numbers, t
from presenter import ledger, report
from ui import markdown
from ui.page import FOCUS_CSS
from ui.routing import route_through_app
from ui.session import reader, snapshot
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
periods: list[int | str] = [ALL, *ledger.years(con)]
chosen = st.segmented_control(
    t("ledger.period_choice", lang),
    periods,
    default=ALL,
    format_func=lambda v: t("filter.all_years", lang) if v == ALL else str(v),
    key="ledger_year",
)
book = ledger.build(con, year=None if chosen in (None, ALL) else int(chosen), lang=lang)

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
shown = ledger.table(book)
if book.entries.empty:
    st.info(t("ledger.no_entries", lang), icon=":material/info:")
# On screen, one line per entry that fits a laptop: who gave, or which project, community and purpose, read as one
# "details" column; money exact to the fen with blanks where an entry has none. The downloads keep every column.
col = {c: t(key, lang) for c, (key, _) in ledger.COLUMNS.items()}
money = [col[c] for c in ("income", "spending", "balance")]


def _details(row: pd.Series) -> str:
    donor, kind = row[col["donor"]], row[col["donor_type"]]
    if isinstance(donor, str) and donor:
        if not (isinstance(kind, str) and kind):
            return donor
        return i18n.bracketed(donor, kind, lang)
    parts = [row[col[c]] for c in ("project", "community", "purpose")]
    return " · ".join(p for p in parts if isinstance(p, str) and p)


screen = pd.DataFrame(
    {
        col["date"]: shown[col["date"]],
        col["entry"]: shown[col["entry"]].fillna(""),
        col["ref"]: shown[col["ref"]].fillna(""),
        t("ledger.col.details", lang): shown.apply(_details, axis=1) if len(shown) else [],
        **{c: [("" if pd.isna(v) else f"{float(v):,.2f}") for v in shown[c]] for c in money},
    }
)
st.dataframe(
    screen,
    hide_index=True,
    width="stretch",
    column_config={
        col["date"]: st.column_config.DateColumn(format=numbers.date_format(lang), width=110),
        t("ledger.col.details", lang): st.column_config.TextColumn(width="medium"),
        **{c: st.column_config.TextColumn(alignment="right", width=100) for c in money},
    },
)
st.caption(t("ledger.entries_help", lang))

stem = ledger.stem(book)
printer = report.chromium()
# (label, what makes the file, suffix, type, icon): the PDF only where this server can print one
copies = [
    ("download.csv", lambda: ledger.to_csv(book), "csv", "text/csv", "download"),
    (
        "download.xlsx",
        lambda: ledger.to_xlsx(book),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "download",
    ),
    *(
        [("ledger.download.pdf", lambda: ledger.to_pdf(book), "pdf", "application/pdf", "picture_as_pdf")]
        if printer
        else []
    ),
    ("ledger.download.html", lambda: ledger.to_html(book).encode("utf-8"), "html", "text/html", "print"),
]
with st.container(horizontal=True, gap="small"):
    for label, make, suffix, mime, icon in copies:
        st.download_button(
            t(label, lang),
            make,
            file_name=f"{stem}.{suffix}",
            mime=mime,
            key=f"ledger_{suffix}",
            on_click="ignore",
            icon=f":material/{icon}:",
        )
if not printer:
    st.caption(t("ledger.no_pdf", lang))
