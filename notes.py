"""Notes that explain a figure (说明备注, the `notes` kind): which apply to a metric for a period and a community,
and each as one line in the reader's language. Every surface reads them here: the charts, the tiles, the slides,
the .pptx and the printed report.

A note applies to a period when its date (or its period, date .. end_date) overlaps it. A town-wide note (no
community) applies everywhere; a community's note applies to that community's view and to the town's, where its
line names the community.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime

import duckdb
import pandas as pd
import xlsxwriter

import i18n
from etl.kinds import KINDS
from i18n import numbers, t

COLUMNS = ("note_id", "date", "end_date", "metric", "community", "text_zh", "text_en")

# The monthly charts of the pages (by the name they are drawn and downloaded under) and the figures they show:
# a note on one of those figures is drawn on the chart.
CHARTS: dict[str, tuple[str, ...]] = {
    "completions_burnup": (
        "projects_completed",
        "group_governance_themes",
        "beautiful_community_district_plus",
        "beautiful_community_municipal",
        "micro_renewal_completed",
        "micro_renewal_resident_proposed",
    ),
    "training_hours_by_month": ("training_hours", "sessions"),
    "person_times_by_month": ("person_times",),
    "fund_over_time": ("fund_raised", "fund_used", "usage_rate", "balance"),
}


def _held(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has a notes table (a version published before notes existed has none)."""
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'notes' AND database_name = current_database() "
            "AND schema_name = 'main'"
        ).fetchall()[0][0]
    )


def in_period(con: duckdb.DuckDBPyConnection, *, start: date, end: date, community: str | None = None) -> pd.DataFrame:
    """The notes that overlap start .. end (for `community`: the town's and that community's), by date."""
    if not _held(con):
        return pd.DataFrame(columns=list(COLUMNS))
    return con.execute(
        """
        SELECT note_id, date, end_date, metric, community, text_zh, text_en FROM notes
        WHERE date <= $end::DATE AND coalesce(greatest(end_date, date), date) >= $start::DATE
          AND ($community::VARCHAR IS NULL OR community IS NULL OR community = $community::VARCHAR)
        ORDER BY date, note_id
        """,
        {"start": start, "end": end, "community": community},
    ).df()


def for_metrics(frame: pd.DataFrame, codes: Iterable[str]) -> pd.DataFrame:
    """The notes of `frame` that explain one of the metrics `codes`."""
    return frame[frame["metric"].isin(list(codes))]


def _present(value: object) -> bool:
    return value is not None and not pd.isna(value)


def _day(value: object) -> date:
    return pd.Timestamp(value).date()


def text(note: dict, lang: str) -> str:
    """The note's words: its English text in English when it has one, else its Chinese text."""
    english = note.get("text_en")
    return (
        str(english)
        if i18n.style(lang).english_data and _present(english) and str(english).strip()
        else str(note["text_zh"])
    )


def when(note: dict, lang: str) -> str:
    """'2023年8月1日' or '2023年8月1日–2023年8月31日' (zh); '2023-08-01' or '2023-08-01 – 2023-08-31' (en)."""
    first = _day(note["date"])
    last = _day(note["end_date"]) if _present(note.get("end_date")) else first
    if last <= first:
        return numbers.day(first, lang)
    return t("note.period", lang, start=numbers.day(first, lang), end=numbers.day(last, lang))


def line(note: dict, lang: str) -> str:
    """One note as a line: when, the community when it is one's, and its words."""
    where = note.get("community")
    key = "note.line_community" if _present(where) else "note.line"
    return t(key, lang, when=when(note, lang), community=where if _present(where) else "", text=text(note, lang))


def lines(frame: pd.DataFrame, codes: Iterable[str], lang: str) -> tuple[str, ...]:
    """The lines of the notes in `frame` that explain one of `codes`, by date."""
    return tuple(line(n, lang) for n in for_metrics(frame, codes).to_dict("records"))


def anchor(note: dict) -> date:
    """Where a note sits on a monthly chart: the first day of its (first) month, where that month's bar or point is."""
    return _day(note["date"]).replace(day=1)


def new_id(now: datetime | None = None) -> str:
    """An id for a note added on the Data page: N and the time to the second (N20240131093000)."""
    return f"N{(now or datetime.now()):%Y%m%d%H%M%S}"


def workbook(note: dict) -> bytes:
    """A one-sheet workbook (说明备注) holding `note` (column name -> value; dates as dates), as the Data page
    imports it: through the same checks, batch, audit trail, undo and publishing as any upload."""
    kind = KINDS["notes"]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(kind.zh)
    sheet.write_row(0, 0, [c.zh for c in kind.columns])
    for c, column in enumerate(kind.columns):
        value = note.get(column.name)
        if isinstance(value, date):
            value = value.isoformat()
        if value is not None and str(value).strip():
            sheet.write_string(1, c, str(value).strip())
    book.close()
    return buffer.getvalue()
