"""Residents' proposals (居民提案进展): what became of the voices residents raised, for residents to read — each voice
that became a project with its category, community, dates, status and the project's own status, each declined
voice with the reason, and the voices counted by status; as the public page shows them, as CSV and Excel, and as
a printable page (HTML, printed to PDF by headless Chromium like the fund ledger).

No personal data ever: a voice's summary is shown only when the analyst marked it publishable (default no), and
even then any phone or ID-card-like number in it (or in a reason) is blanked; no column names a person. Read it
from a published version (the page does): it shows whatever the connection holds. A voice's codes are written by
i18n.label with their own lists (ENUMS: voice_status, voice_category, …; i18n/zh.py LABELS). Never imports Streamlit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape

import pandas as pd

import declared
import i18n
import queries
from i18n import numbers, t
from presenter import export, printable
from presenter.report import print_pdf

# A voice's columns whose codes share their names with other kinds' columns, and the lists that write them.
ENUMS = {
    "status": "voice_status",
    "category": "voice_category",
    "channel": "voice_channel",
    "satisfaction": "satisfaction",
}

# An 11-digit mobile number, an 18-character ID-card number (or 15 digits), however spaced or hyphenated: never on a
# public surface, even in a summary marked publishable or in a reason (the validator warns; this is the last guard).
_PERSONAL = re.compile(r"(?<![0-9A-Za-z])(?:1[3-9]\d(?:[ -]?\d){8}|\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
HIDDEN = "＊＊＊"


def worded(column: str, code: object, lang: str) -> str:
    """A voice's code in `column` (status, category, channel, satisfaction) as i18n.label writes it with the voices'
    own list (ENUMS); '' for nothing."""
    return "" if _blank(code) else i18n.label(ENUMS[column], code, lang)


def scrubbed(text: object) -> str:
    """Free text fit for the public: '' for nothing, any phone or ID-card-like number replaced by ＊＊＊."""
    if text is None or text is pd.NA or (isinstance(text, float) and pd.isna(text)):
        return ""
    return _PERSONAL.sub(HIDDEN, str(text)).strip()


def public_summary(summary: object, publishable: object) -> str:
    """A voice's summary as the public may read it: only when marked publishable (True; a blank is no), scrubbed."""
    return scrubbed(summary) if publishable is True else ""


def _blank(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value))


def _day(value: object) -> date | None:
    if _blank(value) or value == "":
        return None
    return pd.Timestamp(value).date()


# The reader's columns: internal name -> (text key of its header, export kind). Nothing here names a person.
COLUMNS = {
    "voice_id": ("proposals.col.voice_id", "text"),
    "collected_date": ("proposals.col.collected_date", "date"),
    "community": ("proposals.col.community", "text"),
    "category": ("proposals.col.category", "text"),
    "status": ("proposals.col.status", "text"),
    "answered_date": ("proposals.col.answered_date", "date"),
    "summary": ("proposals.col.summary", "text"),
    "project": ("proposals.col.project", "text"),
    "project_status": ("proposals.col.project_status", "text"),
    "progress_date": ("proposals.col.progress_date", "date"),
    "resolved_date": ("proposals.col.resolved_date", "date"),
}
DECLINED_COLUMNS = {
    "voice_id": ("proposals.col.voice_id", "text"),
    "collected_date": ("proposals.col.collected_date", "date"),
    "community": ("proposals.col.community", "text"),
    "category": ("proposals.col.category", "text"),
    "answered_date": ("proposals.col.answered_date", "date"),
    "summary": ("proposals.col.summary", "text"),
    "decline_reason": ("proposals.col.decline_reason", "text"),
}


@dataclass(frozen=True)
class Proposals:
    """What became of the residents' voices of a period (a year, or all), as the public reads it."""

    lang: str
    year: int | None
    as_of: date
    version: str | None
    published_at: datetime | None
    sample: bool
    # COLUMNS: the voices that became projects (labels, public summaries); DECLINED_COLUMNS: the voices not taken
    # up, with the reason. None: not read (a summary; rows says how many each table holds)
    projects: pd.DataFrame | None
    declined: pd.DataFrame | None
    counts: pd.DataFrame  # status (label), voices: every voice of the period by status
    names: declared.Names = field(default_factory=declared.Names)
    rows: dict[str, int] = field(default_factory=dict)  # TABLES -> its rows (len(projects), len(declined) when read)

    def pages(self, table: str, size: int) -> int:
        """How many pages of `size` rows a table (TABLES) takes (at least one)."""
        return max(1, -(-self.rows.get(table, 0) // size))

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **{**self.names.params(self.lang), **params})

    @property
    def total(self) -> int:
        return int(self.counts["voices"].sum()) if len(self.counts) else 0


TABLES = ("projects", "declined")  # the page's two tables, as queries.VOICE_TABLES names them


def _shaped(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """queries.voices_public's rows (or a page of them) as the public reads them: words for codes, days for
    dates, a summary only when publishable, no phone or ID number; plus code (the status's) and linked (a project)."""
    summaries = [public_summary(s, bool(p)) for s, p in zip(rows["summary"], rows["publishable"], strict=True)]
    return pd.DataFrame(
        {
            "voice_id": rows["voice_id"].astype(object),
            "collected_date": [_day(d) for d in rows["collected_date"]],
            "community": rows["community"].astype(object),
            "category": [worded("category", c, lang) for c in rows["category"]],
            "status": [worded("status", s, lang) for s in rows["status"]],
            "answered_date": [_day(d) for d in rows["answered_date"]],
            "summary": summaries,
            "project": [scrubbed(p) for p in rows["project"]],
            "project_status": [_project_status(s, lang) for s in rows["project_status"]],
            # the project's latest step: completed on, else started on
            "progress_date": [
                _day(c) if _day(c) else _day(s)
                for c, s in zip(rows["project_completed"], rows["project_start"], strict=True)
            ],
            "resolved_date": [_day(d) for d in rows["resolved_date"]],
            "decline_reason": [scrubbed(r) for r in rows["decline_reason"]],
            "code": rows["status"].astype(object),
            "linked": rows["project_id"].notna(),
        },
        index=pd.RangeIndex(len(rows)),
    )


def _proposals(
    con: queries.Con,
    year: int | None,
    lang: str,
    projects: pd.DataFrame | None,
    declined: pd.DataFrame | None,
    rows: dict[str, int],
) -> Proposals:
    """The proposals with their head (as-of date, version, sample flag, counts by status) read from `con`."""
    counts = queries.voices_statuses(con, year=year)
    publication = queries.publication(con)
    published = publication.iloc[0] if len(publication) else None
    return Proposals(
        lang=lang,
        year=year,
        as_of=queries.as_of_date(con),
        version=None if published is None else str(published["version"]),
        published_at=None if published is None else pd.Timestamp(published["published_at"]).to_pydatetime(),
        sample=bool(queries.sample_only(con).iloc[0]["sample"]),
        projects=projects,
        declined=declined,
        counts=pd.DataFrame(
            {"status": [worded("status", s, lang) for s in counts["status"]], "voices": counts["voices"].astype(int)}
        ),
        names=declared.of(con),
        rows=rows,
    )


def build(con: queries.Con, *, year: int | None = None, lang: str = "zh") -> Proposals:
    """The residents' proposals of `year` (None: every year) from what `con` holds, every row of both tables (what
    the downloads hold)."""
    frame = _shaped(queries.voices_public(con, year=year), lang)
    projects = frame[frame["linked"]][list(COLUMNS)].reset_index(drop=True)
    declined = frame[(frame["code"] == "declined") & ~frame["linked"]][list(DECLINED_COLUMNS)].reset_index(drop=True)
    return _proposals(con, year, lang, projects, declined, {"projects": len(projects), "declined": len(declined)})


def summary(con: queries.Con, *, year: int | None = None, lang: str = "zh") -> Proposals:
    """The head of `year`'s proposals without their rows (projects and declined None; rows says how many each table
    holds): what the page shows above its tables, whose rows it reads a page at a time (page)."""
    totals = queries.voices_public_totals(con, year=year).iloc[0]
    return _proposals(con, year, lang, None, None, {table: int(totals[table]) for table in TABLES})


def page(con: queries.Con, book: Proposals, table: str, number: int, size: int) -> pd.DataFrame:
    """Page `number` (from 0) of a table (TABLES: projects, declined) of `book`'s period and language, `size` rows a
    page: the rows build gives that table, in its order (newest collected first), with its columns (COLUMNS,
    DECLINED_COLUMNS), shaped by the same rules."""
    first = max(number, 0) * size
    rows = queries.voices_public_page(con, table=table, year=book.year, offset=first, limit=size)
    return _shaped(rows, book.lang)[list(COLUMNS if table == "projects" else DECLINED_COLUMNS)]


def _project_status(code: object, lang: str) -> str:
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    return i18n.label("status", code, lang)


def years(con: queries.Con) -> list[int]:
    """The years voices were collected in, newest first."""
    return [int(y) for y in queries.voices_years(con)["year"]]


# --- words around the tables


def title(book: Proposals) -> str:
    return book.t("proposals.title")


def period(book: Proposals) -> str:
    what = str(book.year) if book.year is not None else book.t("filter.all_years")
    return book.t("proposals.period", period=what, date=numbers.day(book.as_of, book.lang))


version_line = printable.version_line


def counts_line(book: Proposals) -> str:
    """'8 voices: 2 received · 1 answered · …' in the reader's words."""
    items = (book.t("proposals.count_item", status=s, n=numbers.number(n)) for s, n in book.counts.values)
    parts = i18n.joined(items, book.lang)
    return book.t("proposals.counts", total=numbers.number(book.total), parts=parts)


def lines(book: Proposals) -> list[str]:
    """What every copy says above its tables: period and as-of date, version, privacy, counts, source."""
    return [
        period(book),
        book.t("export.as_of", date=numbers.day(book.as_of, book.lang)),
        version_line(book),
        book.t("proposals.privacy"),
        counts_line(book),
        book.t("export.source"),
    ]


# --- the files


def _tables(book: Proposals) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every row of both tables: the voices that became projects, and the declined ones (a book built, not a
    summary)."""
    if book.projects is None or book.declined is None:
        raise ValueError("a summary holds no rows: build the proposals to write them out")
    return book.projects, book.declined


def table(book: Proposals) -> pd.DataFrame:
    """One table for the downloads: the voices that became projects, then the declined ones, reader's headers."""
    projects, declined = _tables(book)
    both = pd.concat(
        [
            projects.assign(decline_reason=""),
            declined.reindex(columns=[*COLUMNS, "decline_reason"]).assign(
                status=worded("status", "declined", book.lang)
            ),
        ],
        ignore_index=True,
    )
    every = {**COLUMNS, "decline_reason": DECLINED_COLUMNS["decline_reason"]}
    both = both[list(every)].astype(object)
    for column, (_, kind) in every.items():  # a blank for nothing: None in a date column, '' in a text one
        both[column] = [_day(v) if kind == "date" else ("" if _blank(v) else v) for v in both[column]]
    return both.rename(columns={c: book.t(key) for c, (key, _) in every.items()})


def stem(book: Proposals) -> str:
    return printable.stem(book, title(book))


def to_export(book: Proposals) -> export.Export:
    every = {**COLUMNS, "decline_reason": DECLINED_COLUMNS["decline_reason"]}
    kinds = {book.t(key): kind for key, kind in every.values()}
    return printable.to_export(book, table(book), kinds, title(book), lines(book))


def to_csv(book: Proposals) -> bytes:
    return export.to_csv(to_export(book))


def to_xlsx(book: Proposals) -> bytes:
    return export.to_xlsx(to_export(book))


# the page's own rules, after the printable page's (presenter.printable.CSS)
CSS = """
h2 { font-size: 11pt; margin: 4mm 0 1.5mm; }
.counts { font-weight: 600; margin: 2mm 0; }
"""


def _html_table(book: Proposals, frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> str:
    head = [(book.t(key), "") for key, _ in columns.values()]
    rows = (
        printable.row(
            printable.cell(printable.day(record.get(column), book.lang), "d")
            if kind == "date"
            else printable.cell(printable.shown(record.get(column)))
            for column, (_, kind) in columns.items()
        )
        for record in frame.to_dict("records")
    )
    return printable.table(head, rows)


def to_html(book: Proposals) -> str:
    """The print layout: title, period, version, privacy note and counts, then both tables."""
    rows, turned_down = _tables(book)
    projects = _html_table(book, rows, COLUMNS) if len(rows) else ""
    declined = _html_table(book, turned_down, DECLINED_COLUMNS) if len(turned_down) else ""
    none = f'<p class="meta">{escape(book.t("proposals.none"))}</p>'
    body = f"""<p class="counts">{escape(counts_line(book))}</p>
<p class="meta">{escape(book.t("proposals.privacy"))}</p>
<h2>{escape(book.t("proposals.projects"))}</h2>
{projects or none}
<h2>{escape(book.t("proposals.declined"))}</h2>
{declined or none}"""
    return printable.page(book, title(book), (period(book), version_line(book)), body, css=CSS)


def to_pdf(book: Proposals, browser: str | None = None) -> bytes:
    """The print layout printed to PDF by headless Chromium. Raises OSError when no Chromium is found or it fails."""
    return print_pdf(to_html(book), browser, "the residents' proposals")
