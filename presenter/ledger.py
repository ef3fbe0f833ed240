"""The community fund's public ledger (基金公示): every donation and every disbursement with the running balance, as
the page shows it, as CSV and Excel, and as a printable page (HTML, printed to PDF by headless Chromium).

Totals are the ledger's own sums, checked against the metric catalogue's fund figures for the same period
(fund raised, fund used, balance: metrics.py is their one definition); the reconciliation line says whether they
agree. Every donor who is not a company or an organisation is masked (张三 -> 张*; presenter.slides.donor_name, the
one rule every public surface follows); anonymous gifts read 匿名. Read it from a published version (the page and
`etl ledger` do): it shows whatever the connection holds. Never imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

import pandas as pd

import declared
import i18n
import metrics
import queries
from i18n import numbers, t
from presenter import export, printable
from presenter.report import print_pdf
from presenter.slides import ANONYMOUS as ANONYMOUS  # re-exported: what analysts write for a donor with no name
from presenter.slides import donor_name

FIGURES = ("fund_raised", "fund_used", "balance")  # the catalogue's fund figures the totals reconcile to
TOLERANCE = 0.005  # half a fen
# The reader's columns: internal name -> (text key of its header, export kind).
COLUMNS = {
    "date": ("ledger.col.date", "date"),
    "entry": ("ledger.col.entry", "text"),
    "ref": ("ledger.col.ref", "text"),
    "donor": ("ledger.col.donor", "text"),
    "donor_type": ("ledger.col.donor_type", "text"),
    "project": ("ledger.col.project", "text"),
    "community": ("ledger.col.community", "text"),
    "purpose": ("ledger.col.purpose", "text"),
    "income": ("ledger.col.income", "yuan_fen"),
    "spending": ("ledger.col.spending", "yuan_fen"),
    "balance": ("ledger.col.balance", "yuan_fen"),
}


@dataclass(frozen=True)
class Ledger:
    """The ledger for a period (a year, or since the fund began) as of the data's as-of date, donors as shown."""

    lang: str
    year: int | None
    start: date | None  # None: since the fund began
    end: date  # the period's last day (the as-of date for the year it falls in, or for all years)
    as_of: date
    version: str | None  # the published version read (None: the connection holds no publication record)
    published_at: datetime | None
    sample: bool
    masked: bool
    opening: float  # the balance brought into the period
    entries: pd.DataFrame | None  # see COLUMNS (donor already masked), plus category; None: not read (summary)
    raised: float
    used: float
    closing: float
    catalogue: dict[str, float]  # the catalogue's fund_raised, fund_used and balance for the same period
    names: declared.Names = field(default_factory=declared.Names)  # the fund and the town as the data declare them
    count: int = 0  # the period's entries (len(entries) when they were read)

    @property
    def rows(self) -> int:
        """The rows of the reader's table: every entry, and for a year the balance brought forward."""
        return self.count + (self.year is not None)

    def pages(self, size: int) -> int:
        """How many pages of `size` rows the reader's table takes (at least one)."""
        return max(1, -(-self.rows // size))

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **{**self.names.params(self.lang), **params})

    @property
    def reconciled(self) -> bool:
        """The ledger's totals equal the catalogue's fund figures (to the fen)."""
        ours = {"fund_raised": self.raised, "fund_used": self.used, "balance": self.closing}
        return all(abs(ours[code] - self.catalogue[code]) < TOLERANCE for code in FIGURES)


def money(x: float | None) -> str:
    """650000 -> '¥650,000.00': exact to the fen, never rounded to 万 (a ledger is checked figure by figure)."""
    if x is None or pd.isna(x):
        return ""
    return f"{'-' if x < 0 else ''}¥{abs(float(x)):,.2f}"


shown_donor = donor_name  # a donor as the ledger shows them: the one rule, presenter.slides.donor_name


def _label(enum: str, code: object, lang: str) -> str | None:
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return None
    return i18n.label(enum, code, lang)


def _entries(rows: pd.DataFrame, lang: str, mask: bool) -> pd.DataFrame:
    """queries.fund_ledger's rows (or a page of them) as the reader sees them: words for codes, donors masked."""
    entry = {e: t(f"ledger.entry.{e}", lang) for e in ("donation", "disbursement")}

    def labels(enum: str, codes: pd.Series) -> list[str | None]:
        known = {code: _label(enum, code, lang) for code in codes.dropna().unique()}
        return [None if pd.isna(code) else known[code] for code in codes]

    return pd.DataFrame(
        {
            "date": [pd.Timestamp(d).date() for d in rows["date"]],
            "entry": [entry.get(e) or t(f"ledger.entry.{e}", lang) for e in rows["entry"]],
            "ref": rows["ref"],
            "donor": [
                donor_name(d, k, lang, mask) if e == "donation" else None
                for d, k, e in zip(rows["donor"], rows["donor_type"], rows["entry"], strict=True)
            ],
            "donor_type": labels("donor_type", rows["donor_type"]),
            "project": rows["project"],
            "community": rows["community"],
            "purpose": rows["purpose"],
            "category": labels("category", rows["category"]),
            "income": rows["income"],
            "spending": rows["spending"],
            "balance": rows["balance"],
        },
        index=pd.RangeIndex(len(rows)),
    )


def _ledger(
    con: queries.Con,
    year: int | None,
    lang: str,
    mask: bool,
    entries: pd.DataFrame | None,
    totals: tuple[int, float, float],
) -> Ledger:
    """The ledger with its head (period, opening balance, version, catalogue figures) read from `con`."""
    as_of = queries.as_of_date(con)
    head = queries.fund_opening(con, year=year).iloc[0]
    figures = metrics.figures(con, year=year, as_of=as_of)
    catalogue = {
        code: float(v or 0) for code, v in zip(figures["code"], figures["value"], strict=True) if code in FIGURES
    }
    publication = queries.publication(con)
    opening = float(head["opening"])
    count, raised, used = totals
    published = publication.iloc[0] if len(publication) else None
    return Ledger(
        lang=lang,
        year=year,
        start=head["start"],
        end=head["end"],
        as_of=as_of,
        version=None if published is None else str(published["version"]),
        published_at=None if published is None else pd.Timestamp(published["published_at"]).to_pydatetime(),
        sample=bool(queries.sample_only(con).iloc[0]["sample"]),
        masked=mask,
        opening=opening,
        entries=entries,
        raised=raised,
        used=used,
        closing=round(opening + raised - used, 2),
        catalogue=catalogue,
        names=declared.of(con),
        count=count,
    )


def build(con: queries.Con, *, year: int | None = None, lang: str = "zh", mask: bool = True) -> Ledger:
    """The ledger of `year` (None: since the fund began) from what `con` holds, with the catalogue's figures and
    every entry (what the downloads hold)."""
    rows = queries.fund_ledger(con, year=year)
    entries = _entries(rows, lang, mask)
    totals = (len(entries), float(rows["income"].sum()), float(rows["spending"].sum()))
    return _ledger(con, year, lang, mask, entries, totals)


def summary(con: queries.Con, *, year: int | None = None, lang: str = "zh", mask: bool = True) -> Ledger:
    """The ledger's head and totals without its entries (entries None; count says how many there are): what the
    page shows above its table, whose entries it reads a page at a time (page)."""
    totals = queries.fund_ledger_totals(con, year=year).iloc[0]
    return _ledger(
        con, year, lang, mask, None, (int(totals["entries"]), float(totals["raised"]), float(totals["used"]))
    )


def page(con: queries.Con, ledger: Ledger, number: int, size: int) -> pd.DataFrame:
    """Page `number` (from 0) of the reader's table newest first, `size` rows a page, with the reader's headers: the
    latest entries first, each with the balance after it (over every entry since the fund began, whatever the page),
    and for a year the balance brought forward last (on the last page)."""
    first = max(number, 0) * size
    rows = queries.fund_ledger_page(con, year=ledger.year, offset=first, limit=min(size, max(ledger.count - first, 0)))
    frame = _entries(rows, ledger.lang, ledger.masked)
    if ledger.year is not None and first + size > ledger.count >= first:  # the page reaches past the last entry
        carried = _carried(ledger, frame.columns)
        frame = pd.concat([frame, carried], ignore_index=True) if len(frame) else carried
    return _reader(ledger, frame)


def years(con: queries.Con) -> list[int]:
    """The years from the fund's first entry to the as-of date's, newest first (none before the first entry)."""
    first = queries.fund_ledger_totals(con).iloc[0]["first"]
    if first is None or pd.isna(first):
        return []
    return list(range(queries.as_of_date(con).year, pd.Timestamp(first).year - 1, -1))


# --- words around the table


def title(ledger: Ledger) -> str:
    return ledger.t("ledger.title")


def period(ledger: Ledger) -> str:
    """'2023' or 'since the fund began', up to the as-of date."""
    what = str(ledger.year) if ledger.year is not None else ledger.t("ledger.since_start")
    return ledger.t("ledger.period", period=what, date=numbers.day(ledger.end, ledger.lang))


version_line = printable.version_line


def masking_note(ledger: Ledger) -> str:
    return ledger.t("ledger.masked" if ledger.masked else "ledger.unmasked")


def reconciliation(ledger: Ledger) -> str:
    """The line that shows the totals agree with the catalogue (or by how much they do not)."""
    params = {
        "opening": money(ledger.opening),
        "raised": money(ledger.raised),
        "used": money(ledger.used),
        "closing": money(ledger.closing),
    }
    if ledger.reconciled:
        return ledger.t("ledger.reconciled" if ledger.year is None else "ledger.reconciled_year", **params)
    return ledger.t(
        "ledger.not_reconciled",
        **params,
        c_raised=money(ledger.catalogue["fund_raised"]),
        c_used=money(ledger.catalogue["fund_used"]),
        c_balance=money(ledger.catalogue["balance"]),
    )


def lines(ledger: Ledger) -> list[str]:
    """What the header block of every copy says: period and as-of date, version, masking, reconciliation."""
    return [
        period(ledger),
        ledger.t("export.as_of", date=numbers.day(ledger.as_of, ledger.lang)),
        version_line(ledger),
        masking_note(ledger),
        reconciliation(ledger),
        ledger.t("export.source"),
    ]


# --- the reader's table and the files


def _carried(ledger: Ledger, columns: pd.Index) -> pd.DataFrame:
    """The balance brought forward into a year, as a row of the entries."""
    carried = {c: None for c in columns} | {
        "date": ledger.start,
        "entry": ledger.t("ledger.entry.opening"),
        "balance": ledger.opening,
    }
    return pd.DataFrame([carried])


def _reader(ledger: Ledger, frame: pd.DataFrame) -> pd.DataFrame:
    """Entries with the reader's headers, in COLUMNS' order."""
    return frame[list(COLUMNS)].rename(columns={c: ledger.t(key) for c, (key, _) in COLUMNS.items()})


def table(ledger: Ledger) -> pd.DataFrame:
    """Every entry with the reader's headers, oldest first (as the downloads hold them); for a year, the balance
    brought forward first. Needs a ledger with its entries (build, not summary)."""
    if ledger.entries is None:
        raise ValueError("a summary holds no entries: build the ledger to write them out")
    frame = ledger.entries
    if ledger.year is not None:
        frame = pd.concat([_carried(ledger, frame.columns), frame], ignore_index=True)
    return _reader(ledger, frame)


def stem(ledger: Ledger) -> str:
    """杨行镇_基金收支公示_全部年份_v000003: what the file is, for which period, from which version."""
    return printable.stem(ledger, title(ledger))


def to_export(ledger: Ledger) -> export.Export:
    """The ledger as a download (presenter.export): the table, exact money, and the header block above it."""
    kinds_ = {ledger.t(key): kind for key, kind in COLUMNS.values()}
    return printable.to_export(ledger, table(ledger), kinds_, title(ledger), lines(ledger))


def to_csv(ledger: Ledger) -> bytes:
    return export.to_csv(to_export(ledger))


def to_xlsx(ledger: Ledger) -> bytes:
    return export.to_xlsx(to_export(ledger))


# the ledger's own rules, after the printable page's (presenter.printable.CSS)
CSS = """
.totals { display: flex; gap: 8mm; margin: 3mm 0 1mm; }
.totals b { display: block; font-size: 13pt; color: #c62828; }
.check { margin: 1mm 0 3mm; font-weight: 600; }
.check.bad { color: #b71c1c; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.e { white-space: nowrap; }
tr.opening td { font-style: italic; color: #5b6778; }
/* on every printed page (a fixed element repeats on each page in print): that the figures are the sample's */
.running { position: fixed; bottom: 0; right: 0; padding: 0.5mm 2mm; background: #fff; color: #b71c1c;
  border: 0.4mm solid #b71c1c; font-weight: 700; font-size: 8pt; }
tfoot.room td { height: 6mm; padding: 0; border: 0; }  /* repeated at the foot of each page, under the mark */
"""

_PRINTED = ("date", "entry", "donor", "project", "community", "purpose", "income", "spending", "balance")


def to_html(ledger: Ledger) -> str:
    """The print layout: title, period, version, masking note, totals and their reconciliation, then every entry
    (the header row repeated on each page)."""
    frame = table(ledger)
    headers = [ledger.t(COLUMNS[c][0]) for c in _PRINTED]
    numeric = {ledger.t(COLUMNS[c][0]) for c in ("income", "spending", "balance")}
    day, entry = ledger.t(COLUMNS["date"][0]), ledger.t(COLUMNS["entry"][0])
    rows = []
    for i, record in enumerate(frame[headers].to_dict("records")):
        cells = []
        for h in headers:
            value = record[h]
            if h in numeric:
                cells.append(printable.cell(money(value), "n"))
            elif h == entry:
                cells.append(printable.cell(str(value), "e"))
            elif h == day:
                cells.append(printable.cell(printable.day(value, ledger.lang), "d"))
            else:
                cells.append(printable.cell(printable.shown(value)))
        rows.append(printable.row(cells, "opening" if ledger.year is not None and i == 0 else ""))
    head = [(h, "n" if h in numeric else "") for h in headers]
    totals = "".join(
        f"<div><b>{escape(money(v))}</b>{escape(ledger.t(k))}</div>"
        for k, v in (
            ("ledger.total.raised", ledger.raised),
            ("ledger.total.used", ledger.used),
            ("ledger.total.balance", ledger.closing),
        )
    )
    marks = room = ""  # the foot of the table on every printed page: room for the mark, so that it hides no row
    if ledger.sample:  # and a mark of its own on every printed page
        marks = f'\n<div class="running">{escape(t("presenter.sample_mark", ledger.lang))}</div>'
        room = f'<tfoot class="room"><tr><td colspan="{len(headers)}"></td></tr></tfoot>'
    body = f"""<div class="totals">{totals}</div>
<p class="check{"" if ledger.reconciled else " bad"}">{escape(reconciliation(ledger))}</p>
<p class="meta">{escape(masking_note(ledger))}</p>
{printable.table(head, rows, room)}"""
    return printable.page(ledger, title(ledger), (period(ledger), version_line(ledger)), body, css=CSS, marks=marks)


def to_pdf(ledger: Ledger, browser: str | None = None) -> bytes:
    """The print layout printed to PDF by headless Chromium (A4, as a browser prints it). Raises OSError when no
    Chromium is found or it fails."""
    return print_pdf(to_html(ledger), browser, "the ledger")
