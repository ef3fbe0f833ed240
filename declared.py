"""The names the town declares with its data, once: the town (and its district), the community fund and the
town's own programmes (mentoring, training). They live in the `metadata` sheet (数据说明: 镇名, 基金名称, …) and
every surface takes them from there — the pages, the slides and the .pptx, the printed report, the fund ledger and
the downloads — through the text catalogue's placeholders ({town}, {place}, {fund}, {mentoring}, {training} and
their capitalised forms {Town}, {Fund}, … for an English title), so a name is never written twice, let alone
two ways.

The most recent import that declares a name counts (a blank cell keeps the earlier declaration); with nothing
declared the text reads without a name ("社区基金", "the community fund").
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import duckdb
import pandas as pd

import i18n

FIELDS = ("town", "district", "fund", "mentoring", "training")  # each with an English form, <field>_en

# What the text says where nothing is declared.
# (each language's own words: i18n's Style.neutral)


@dataclass(frozen=True)
class Names:
    """The declared names (blank: not declared); English forms fall back to the Chinese ones."""

    town: str = ""
    town_en: str = ""
    district: str = ""
    district_en: str = ""
    fund: str = ""
    fund_en: str = ""
    mentoring: str = ""
    mentoring_en: str = ""
    training: str = ""
    training_en: str = ""

    def name(self, field: str, lang: str) -> str:
        """A declared name as written ('杨行镇', 'Yanghang Town'; '' when none is declared)."""
        own = getattr(self, field)
        return (getattr(self, f"{field}_en") or own) if i18n.style(lang).english_data else own

    def town_name(self, lang: str) -> str:
        return self.name("town", lang) or i18n.style(lang).neutral["town"]

    def place(self, lang: str) -> str:
        """The town with its district: '宝山区杨行镇', 'Yanghang Town, Baoshan District'."""
        town, district = self.name("town", lang), self.name("district", lang)
        if not town:
            return i18n.style(lang).neutral["town"]
        if not district:
            return town
        return i18n.style(lang).place(town, district)

    def fund_name(self, lang: str) -> str:
        """'“暖杨汇”社区基金', 'Warm Yang Hui community fund' ('社区基金' when none is declared)."""
        own = self.name("fund", lang)
        if not own:
            return i18n.style(lang).neutral["fund"]
        return i18n.style(lang).fund_name(own)

    def mentoring_name(self, lang: str) -> str:
        """'“头雁”带教', 'Head Goose mentoring' ('师徒带教' when none is declared)."""
        own = self.name("mentoring", lang)
        if not own:
            return i18n.style(lang).neutral["mentoring"]
        return i18n.style(lang).mentoring_name(own)

    def training_name(self, lang: str) -> str:
        """'社工成长计划', 'Social-worker growth plan' ('社工培训' when none is declared)."""
        return self.name("training", lang) or i18n.style(lang).neutral["training"]

    def params(self, lang: str) -> dict[str, str]:
        """The catalogue's name placeholders in `lang`, each also capitalised ({Fund}) for an English title."""
        out = {
            "town": self.town_name(lang),
            "place": self.place(lang),
            "fund": self.fund_name(lang),
            "mentoring": self.mentoring_name(lang),
            "training": self.training_name(lang),
        }
        out.update({key.capitalize(): value[:1].upper() + value[1:] for key, value in list(out.items())})
        return out

    def declared(self) -> dict[str, str]:
        """The names as the metadata sheet's columns hold them (the declared ones only)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


COLUMNS = tuple(f.name for f in fields(Names))


def from_frame(frame: pd.DataFrame) -> Names:
    """Names from queries.names' one row (or none)."""
    if frame.empty:
        return Names()
    row = frame.iloc[0]
    given = {}
    for column in COLUMNS:
        value = row.get(column)
        given[column] = "" if value is None or pd.isna(value) else str(value).strip()
    return Names(**given)


def read(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row: each name as the most recent import that declared it says. A row a later import replaced still
    counts for the names that import left blank (metadata_history keeps it, with the batch it came from, while that
    import stands), so declaring a new as-of date alone never forgets the fund's name. A column the file lacks —
    a version published before names were declared — reads as not declared."""
    sql = "SELECT m.*, b.seq AS _seq FROM metadata m LEFT JOIN import_batches b ON b.batch_id = m._batch_id"
    kept = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = 'metadata_history'"
    ).fetchall()[0][0]
    if kept:
        sql += (
            " UNION ALL BY NAME SELECT h.* EXCLUDE (_batch_id, _action, _prev_batch_id), b.seq AS _seq "
            "FROM metadata_history h JOIN import_batches b ON b.batch_id = h._prev_batch_id AND b.status = 'loaded'"
        )
    frame = con.execute(sql).df()
    frame = frame.sort_values(["_seq", "as_of"], na_position="first")
    row = {}
    for column in COLUMNS:
        values = frame[column].dropna() if column in frame else pd.Series(dtype=object)
        values = values[values.astype(str).str.strip() != ""]
        row[column] = str(values.iloc[-1]).strip() if len(values) else None
    return pd.DataFrame([row], columns=list(COLUMNS))


def of(con: duckdb.DuckDBPyConnection) -> Names:
    """The names the data `con` reads declare."""
    return from_frame(read(con))
