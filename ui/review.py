"""Tables and sentences the Data page shows about uploads, imports and batches (no Streamlit here)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from etl.kinds import KINDS
from etl.load import FileResult
from etl.summary import change_summary
from etl.template import write_template
from etl.validate import Problem
from i18n import t
from ui import numbers


def problems_table(problems: list[Problem], lang: str) -> pd.DataFrame:
    """One row per problem: sheet, Excel row, column letter and header, the value, what to do."""
    rows = [
        {
            "sheet": p.sheet,
            "row": p.row,
            "column": p.column,
            "header": p.header,
            "value": p.value,
            "message": p.message(lang),
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=["sheet", "row", "column", "header", "value", "message"])
    frame["row"] = frame["row"].astype("Int64")
    return frame.rename(columns={c: t(f"problems.{c}", lang) for c in frame.columns})


def split_warnings(warnings: list[Problem]) -> tuple[list[str], list[Problem]]:
    """Sheets that only had headers (named once, quietly) apart from the warnings worth reading."""
    empty = [w.sheet for w in warnings if w.key == "sheet.no_rows"]
    return empty, [w for w in warnings if w.key != "sheet.no_rows"]


def kind_name(kind: str, lang: str) -> str:
    return KINDS[kind].zh if lang == "zh" else t(f"kind.{kind}", lang)


def sheets_table(result: FileResult, lang: str) -> pd.DataFrame:
    """The sheets found, the kind recognised for each, and (once checked against the warehouse) what importing
    them would do."""
    report = result.report
    counts = {s["sheet"]: s for s in result.sheets}
    rows = []
    for sheet in report.sheets if report else []:
        row = {
            t("data.col.sheet", lang): sheet.sheet,
            t("data.col.kind", lang): kind_name(sheet.kind, lang),
            t("data.col.rows", lang): len(sheet.frame),
        }
        if counts:  # a rejected file was never compared with the warehouse
            c = counts.get(sheet.sheet, {})
            for key in ("inserted", "updated", "unchanged"):
                row[t(f"data.col.{key}", lang)] = c.get(key, 0)
        rows.append(row)
    return pd.DataFrame(rows)


def preview(result: FileResult, sheet_index: int, lang: str = "en", rows: int = 10) -> pd.DataFrame:
    """The first rows of a sheet as they will be stored (Excel row number first; Chinese headers in zh)."""
    sheet = result.report.sheets[sheet_index]
    kind = KINDS[sheet.kind]
    frame = sheet.frame.head(rows)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.date
    names = {c: (kind.column(c).zh if lang == "zh" else c) for c in frame.columns if c != "_row"}
    return frame.rename(columns={"_row": t("problems.row", lang), **names})


def summary_sentences(result: FileResult, lang: str) -> list[str]:
    """What an import will change, in business terms."""
    out = []
    for key, params in change_summary(result):
        shown = dict(params)
        if "kind" in shown:
            shown["kind"] = kind_name(shown["kind"], lang)
        for money in ("before", "after"):
            if money in shown:
                shown[money] = numbers.yuan(shown[money], lang)
        out.append(t(key, lang, **shown))
    return out


def history_table(batches: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Import batches for people: time, user, file, counts, status."""
    frame = batches[["batch_id", "imported_at", "user_name", "file_name", "inserted", "updated", "unchanged"]].copy()
    frame["status"] = [t(f"data.status.{s}", lang) for s in batches["status"]]
    return frame.rename(columns={c: t(f"data.col.{c}", lang) for c in frame.columns})


def undo_statement(batch: pd.Series, lang: str) -> str:
    """What undoing a batch will remove and restore."""
    parts = []
    for sheet in json.loads(batch["sheets"]):
        name = kind_name(sheet["kind"], lang)
        if sheet["inserted"]:
            parts.append(t("data.undo.removes", lang, n=sheet["inserted"], kind=name))
        if sheet["updated"]:
            parts.append(t("data.undo.restores", lang, n=sheet["updated"], kind=name))
    sep = "；" if lang == "zh" else "; "
    return t("data.undo.statement", lang, batch=batch["batch_id"], file=batch["file_name"], what=sep.join(parts))


def template_bytes(lang: str) -> bytes:
    """The blank template workbook in one language."""
    with tempfile.TemporaryDirectory() as folder:
        return write_template(Path(folder) / "template.xlsx", lang).read_bytes()
