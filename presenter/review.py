"""Tables and sentences the Data page shows about uploads, imports and batches (no Streamlit here)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

import i18n
from etl import db, publish
from etl.changes import DESCRIPTIONS, Changes, Fact, RowChange, Rows, between, compare
from etl.export import export_bytes
from etl.kinds import AMOUNT, BOOL, DATE, ENUM, INT, KINDS, LOAD_ORDER, NUMBER, TARGET, YEAR, Column
from etl.load import FileResult
from etl.summary import change_summary
from etl.template import write_template
from etl.validate import Problem
from i18n import numbers, t
from metrics import METRICS
from presenter.ledger import shown_donor


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


# The problems table fits the main column at 1280 px (≈ 780 px): narrow columns for where a problem is, the rest for
# what to do. Streamlit's grid cannot show a long message whole (it wraps only rows taller than 64 px, and then
# misjudges mixed Chinese and Latin text: a line runs past the cell), so each distinct message is also written
# out once under the table (`problem_kinds`), where the browser wraps it.
PROBLEM_WIDTHS = {"sheet": 90, "row": 50, "column": 65, "header": 110, "value": 110, "message": 355}
CELLS_NAMED = 5  # cells named for each kind of problem; the rest are counted


def _where(p: Problem, lang: str) -> str:
    """Where a problem is, as a spreadsheet user names it: 名册!D2, 名册 第1行 / 名册 row 1, or the sheet."""
    if p.column and p.row:
        return f"{p.sheet}!{p.column}{p.row}"
    if p.row:
        return f"{p.sheet} {t('data.problem_row', lang, row=p.row)}"
    return p.sheet


def problem_kinds(problems: list[Problem], lang: str) -> list[tuple[str, int, list[str]]]:
    """Each distinct message once, in order of first appearance: (message, how many cells, the first few cells)."""
    kinds: dict[str, list[str]] = {}
    for p in problems:
        kinds.setdefault(p.message(lang), []).append(_where(p, lang))
    return [(message, len(cells), [c for c in cells if c][:CELLS_NAMED]) for message, cells in kinds.items()]


def split_warnings(warnings: list[Problem]) -> tuple[list[str], list[Problem]]:
    """Sheets that only had headers (named once, quietly) apart from the warnings worth reading."""
    empty = [w.sheet for w in warnings if w.key == "sheet.no_rows"]
    return empty, [w for w in warnings if w.key != "sheet.no_rows"]


def kind_name(kind: str, lang: str) -> str:
    return i18n.header(t(f"kind.{kind}", lang), KINDS[kind].zh, lang)


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


def label(column: Column, code: object, lang: str) -> str:
    """An enumeration code as the pages show it (ui.page.Page.label): its Chinese label in zh, readable English in en."""
    if _missing(code):
        return ""
    return i18n.label(column.name, code, lang)


def _plain(x: float) -> str:
    """12345.678 -> '12,345.68', 10000.0 -> '10,000': separators, and the decimals typed (up to two)."""
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and pd.isna(x)) or x is pd.NaT


def _target(value: float, metric: object, lang: str) -> str:
    """A target in its metric's unit: 0.9 -> '90.0%' for a rate, ¥ for money, a number otherwise."""
    unit = METRICS[metric].unit if isinstance(metric, str) and metric in METRICS else "count"
    if unit == "percent":
        return numbers.percent(value)
    return "¥" + _plain(value) if unit == "yuan" else _plain(value)


def cell(column: Column, value: Any, lang: str, row: dict | None = None) -> str:
    """One stored value as the rest of the UI shows it: enumerations as labels, amounts with separators and ¥,
    dates as dates (2023年8月1日 in zh), yes/no in words; a blank cell stays blank (never "None")."""
    if _missing(value):
        return ""
    if column.type == ENUM:
        return label(column, value, lang)
    if column.type == AMOUNT:
        return "¥" + _plain(float(value))
    if column.type in (INT, NUMBER):
        return _plain(float(value))
    if column.type == TARGET:
        return _target(float(value), (row or {}).get("metric"), lang)
    if column.type == YEAR:
        return str(int(value))
    if column.type == BOOL:
        return t("common.yes" if value else "common.no", lang)
    if column.type == DATE:
        return numbers.day(pd.Timestamp(value).date(), lang)
    return str(value)


NUMERIC = (AMOUNT, INT, NUMBER, TARGET, YEAR)


def preview(result: FileResult, sheet_index: int, lang: str = "en", rows: int = 10) -> pd.DataFrame:
    """The first rows of a sheet as they will be stored, written as the rest of the UI writes them (see `cell`);
    Excel row number first; Chinese headers in zh."""
    assert result.report is not None, "a checked file has a report"
    sheet = result.report.sheets[sheet_index]
    kind = KINDS[sheet.kind]
    frame = sheet.frame.head(rows)
    records = frame.to_dict("records")
    shown = {t("problems.row", lang): frame["_row"].astype("Int64").tolist()}
    for name in frame.columns:
        if name == "_row":
            continue
        column = kind.column(name)
        shown[i18n.header(name, column.zh, lang)] = [cell(column, r[name], lang, r) for r in records]
    return pd.DataFrame(shown)


def right_aligned(result: FileResult, sheet_index: int, lang: str = "en") -> list[str]:
    """The headers of `preview`'s numeric columns (written as text, aligned as numbers)."""
    assert result.report is not None, "a checked file has a report"
    sheet = result.report.sheets[sheet_index]
    kind = KINDS[sheet.kind]
    columns = [kind.column(c) for c in sheet.frame.columns if c != "_row"]
    return [(i18n.header(c.name, c.zh, lang)) for c in columns if c.type in NUMERIC]


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


def _key_text(kind: str, key: dict, lang: str) -> str:
    """A row's key as people read it: P001, S01 / 000101, 培训覆盖率 / 2023."""
    columns = KINDS[kind]
    return " / ".join(cell(columns.column(k), v, lang, key) for k, v in key.items())


def _fields_changed(change: RowChange, lang: str, blank: str) -> str:
    """A changed row's fields as '字段：旧 → 新' clauses, in the reader's language (a blank for an empty value)."""
    columns = KINDS[change.kind]
    return i18n.style(lang).clause_sep.join(
        t(
            "roundtrip.field",
            lang,
            field=_field_name(columns.column(name), lang),
            old=cell(columns.column(name), old, lang, change.row) or blank,
            new=cell(columns.column(name), new, lang, change.row) or blank,
        )
        for name, old, new in change.fields
    )


def _field_name(column: Column, lang: str) -> str:
    return i18n.header(column.name.replace("_", " "), column.zh, lang)


def change_lines(changes: Changes, lang: str) -> list[str]:
    """What an upload changes, row by row (etl.changes.compare), by IDs: the keys it adds, and for each updated row
    every field that changes, stored → new, written as the rest of the UI writes values (labels, dates, ¥). Plain
    text: escape it for Markdown. The pages write changes in business words with `row_lines`."""
    sep = i18n.style(lang).list_sep
    lines = []
    for kind, rows in changes.added.items():
        keys = rows.keys
        shown = sep.join(_key_text(kind, key, lang) for key in keys)
        total = rows.total
        if total > len(keys):
            shown = t("roundtrip.added_more", lang, keys=shown, n=total)
        lines.append(t("roundtrip.added", lang, kind=kind_name(kind, lang), keys=shown))
    blank = t("roundtrip.blank", lang)
    for change in changes.updated:
        fields = _fields_changed(change, lang, blank)
        key = _key_text(change.kind, change.key, lang)
        if change.name:
            key += i18n.bracketed("", change.name, lang)
        lines.append(t("roundtrip.row", lang, kind=kind_name(change.kind, lang), key=key, changes=fields))
    if changes.more_updated:
        lines.append(t("roundtrip.more", lang, n=changes.more_updated))
    return lines


def _fact(fact: Fact, value: object, lang: str) -> str:
    """One fact of a row as the UI writes it; a donor as the public ledger shows donors (presenter.ledger)."""
    if fact.donor:
        value = value if isinstance(value, dict) else {}
        return shown_donor(value.get("donor"), value.get("type"), lang)
    return cell(fact.column, value, lang)


def _described(facts: tuple[Fact, ...], values: dict[str, object], sep: str, lang: str) -> str:
    """A row's facts written and joined ('' when none is known)."""
    return sep.join(text for text in (_fact(f, values.get(f.name), lang) for f in facts) if text)


def _with_key(key: str, text: str, lang: str) -> str:
    """P001（楼道微更新） / P001 (楼道微更新): the key, and what people know the row by beside it."""
    if not text:
        return key
    return i18n.bracketed(key, text, lang)


def named_row(kind: str, key: dict, facts: dict, lang: str) -> str:
    """A row as people know it: its key, then its description (etl.changes.DESCRIPTIONS): 000101（张三 · 杨行一村）,
    D9（某企业 · ¥40,000）, PX-01 / 000101（张三）."""
    described = DESCRIPTIONS[kind]
    return _with_key(_key_text(kind, key, lang), _described(described.facts, facts, described.sep, lang), lang)


def _rows_lines(kind: str, rows: Rows, how: str, lang: str) -> list[str]:
    """The lines for the rows of one kind a change adds (how='added') or removes ('removed')."""
    sep = i18n.style(lang).list_sep
    described = DESCRIPTIONS[kind]
    name = kind_name(kind, lang)
    if not described.group:
        shown = sep.join(named_row(kind, one.key, one.facts, lang) for one in rows.named)
        if rows.total > len(rows.named):
            shown = t("roundtrip.added_more", lang, keys=shown, n=rows.total)
        return [t(f"roundtrip.{how}", lang, kind=name, keys=shown)]
    lines = []
    for group in rows.named:
        facts = _described(described.group_facts, group.facts, " · ", lang)
        text = _with_key(_key_text(kind, group.key, lang), facts, lang)
        members = sep.join(
            _described(described.facts, m.facts, described.sep, lang) or _key_text(kind, m.key, lang)
            for m in group.members
        )
        if group.n > len(group.members):
            members += t("roundtrip.members_more", lang)
        lines.append(t(f"roundtrip.{how}_group", lang, n=group.n, kind=name, group=text, members=members))
    rest = rows.total - sum(group.n for group in rows.named)
    if rest:
        others = kind_name(described.group_kind or kind, lang)
        groups = rows.groups - len(rows.named)
        lines.append(t(f"roundtrip.{how}_groups_more", lang, n=rest, kind=name, groups=groups, group=others))
    return lines


def row_lines(changes: Changes, lang: str) -> list[str]:
    """What a change does to the rows, in business words, kind by kind (load order): the rows it adds, the rows it
    removes, and for each row it changes every field stored → new, each row known by its key and what people know it
    by (a worker's name and community, a session's date and title, a donation's donor — masked as the public ledger
    masks donors — and amount; attendance by session, a few names each). For an upload (etl.changes.compare, the
    Data page's preview) and for publishing (etl.changes.between, the Review page). Plain text: escape it for
    Markdown."""
    lines = []
    blank = t("roundtrip.blank", lang)
    more = dict(changes.updated_total)
    for kind in LOAD_ORDER:
        if kind in changes.added:
            lines += _rows_lines(kind, changes.added[kind], "added", lang)
        if kind in changes.removed:
            lines += _rows_lines(kind, changes.removed[kind], "removed", lang)
        for change in (c for c in changes.updated if c.kind == kind):
            fields = _fields_changed(change, lang, blank)
            key = named_row(kind, change.key, change.facts, lang)
            lines.append(t("roundtrip.row", lang, kind=kind_name(kind, lang), key=key, changes=fields))
            more[kind] -= 1
        if more.get(kind):
            lines.append(t("roundtrip.more_kind", lang, n=more[kind], kind=kind_name(kind, lang)))
    return lines


def upload_changes(con: duckdb.DuckDBPyConnection, result: FileResult) -> Changes:
    """The rows a checked upload would add and update against the working data (for `row_lines`)."""
    return compare(con, result)


def version_changes(con: duckdb.DuckDBPyConnection, published: Path | None) -> Changes:
    """The rows publishing now would add, change and remove: the working data (`con`) against the published version
    file `published` (publish.current_file; None: nothing is published yet), for `row_lines`."""
    return between(con, published)


def data_workbook(lang: str, path: str | None = None) -> bytes:
    """The working data as a workbook in the template's layout, to edit and upload again (etl.export). It opens a
    connection of its own: a download's data is made when it is clicked, after the page's run has ended."""
    con = db.connect(path or db.db_path(), wait=db.lock_wait())
    try:
        return export_bytes(con, lang)[0]
    finally:
        con.close()


def data_file_name(lang: str, day: date | None = None) -> str:
    """The download's file name, with the day it was made."""
    return t("data.export.file", lang, date=(day or date.today()).isoformat())


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
    sep = i18n.style(lang).clause_sep
    return t("data.undo.statement", lang, batch=batch["batch_id"], file=batch["file_name"], what=sep.join(parts))


def template_bytes(lang: str) -> bytes:
    """The blank template workbook in one language."""
    with tempfile.TemporaryDirectory() as folder:
        return write_template(Path(folder) / "template.xlsx", lang).read_bytes()


def _css_string(text: str) -> str:
    """`text` as a CSS string literal (quotes, backslashes and anything that could end the <style> escaped)."""
    return '"' + "".join(ch if ch.isalnum() or ch in " .·,:;()（）：，。-" else f"\\{ord(ch):x} " for ch in text) + '"'


def uploader_css(key: str, button: str, zone: str) -> str:
    """A stylesheet that writes the drop zone of the uploader inside st.container(key=key) in the reader's language.

    Streamlit 1.67 draws "Upload" and "50MB per file • XLSX, …" in English and has no parameter for them; this hides
    them and shows `button` and `zone` in their place (matched by Streamlit's data-testid attributes: if a later
    version renames them, its English text simply shows again).
    """
    scope = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    return (
        "<style>"
        f"{scope} button [data-testid='stMarkdownContainer'] p {{font-size: 0;}}"
        f"{scope} button [data-testid='stMarkdownContainer'] p::after {{content: {_css_string(button)}; font-size: 0.875rem;}}"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span {{font-size: 0;}}"
        f"{scope} [data-testid='stFileUploaderDropzoneInstructions'] span::after "
        f"{{content: {_css_string(zone)}; font-size: 0.875rem;}}"
        "</style>"
    )


# --- review and publish (审核发布)


def pending_table(batches: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Imports waiting for approval: batch, time, who imported it, file, rows added and changed."""
    frame = batches[["batch_id", "imported_at", "user_name", "file_name", "inserted", "updated"]].copy()
    if "claimed_user" in batches:  # `load --user ann` run by the OS user root: root（ann）, the claim beside the fact
        frame["user_name"] = [
            who if pd.isna(claim) or not claim else t("publish.claimed", lang, user=who, claimed=claim)
            for who, claim in zip(batches["user_name"], batches["claimed_user"], strict=True)
        ]
    return frame.rename(columns={c: t(f"data.col.{c}", lang) for c in frame.columns})


def _figure_texts(frame: pd.DataFrame | None, lang: str) -> dict[str, str]:
    """Each figure of a metrics.figures frame (by `code` or `metric`) as the reader reads it: value (numerator/denominator)."""
    if frame is None:
        return {}
    key = "metric" if "metric" in frame else "code"
    out = {}
    for row in frame.to_dict("records"):
        metric = METRICS[row[key]]
        value = None if pd.isna(row["value"]) else row["value"]
        text = numbers.by_unit(metric.unit, value, lang)
        if metric.numerator and not pd.isna(row.get("denominator")):
            text += f"（{numbers.number(row['numerator'])}/{numbers.number(row['denominator'])}）"
        out[row[key]] = text
    return out


def publish_changes(
    before: pd.DataFrame | None, after: pd.DataFrame, lang: str, period: str | None = None
) -> pd.DataFrame:
    """The catalogue's figures as published and as they would be after publishing (metrics.figures frames), only
    those that change: (period,) figure, published, after publishing."""
    was, will = _figure_texts(before, lang), _figure_texts(after, lang)
    columns = [t(f"publish.col.{c}", lang) for c in ("metric", "published", "working")]
    rows = [
        [METRICS[code].label(lang), was.get(code, numbers.DASH), text]
        for code, text in will.items()
        if was.get(code) != text
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if period is not None:
        frame.insert(0, t("publish.col.period", lang), period)
    return frame


def period_name(year: int | None, lang: str) -> str:
    """A period as the Review page names it: 2024年 / 2024, or all years."""
    if year is None:
        return t("filter.all_years", lang)
    return numbers.year(year, lang)


def all_changes(pairs: list[tuple[int | None, pd.DataFrame | None, pd.DataFrame]], lang: str) -> pd.DataFrame:
    """Every figure that publishing changes, for every period given ((year or None for all years, published figures,
    figures after publishing)): one table, period first, periods in the order given."""
    frames = [publish_changes(before, after, lang, period_name(year, lang)) for year, before, after in pairs]
    changed = [f for f in frames if not f.empty]
    if not changed:
        return publish_changes(None, pd.DataFrame(columns=["code", "value"]), lang, "")
    return pd.concat(changed, ignore_index=True)


def versions_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Published versions, newest first: version, when, by whom (and whether they approved their own import), the
    imports approved, current."""

    def by(name: str, own: object) -> str:
        who = publish.publisher(name, lang)
        return who + t("publish.self_mark", lang) if own is True else who

    approved = frame["approved"] if "approved" in frame else pd.Series([None] * len(frame), index=frame.index)
    out = pd.DataFrame(
        {
            t("publish.col.version", lang): frame["version"],
            t("publish.col.at", lang): frame["published_at"],
            t("publish.col.by", lang): [
                by(n, own) for n, own in zip(frame["published_by"], frame["self_approved"], strict=True)
            ],
            t("publish.col.approved", lang): [batch_list(a, lang) for a in approved],
            t("publish.col.current", lang): ["✓" if c else "" for c in frame["current"]],
        }
    )
    return out


def batch_list(batches: object, lang: str) -> str:
    """A list of batch ids as people read it: B00006、B00007 (or B00006, B00007); blank for none."""
    if batches is None or (isinstance(batches, float) and pd.isna(batches)):
        return ""
    return i18n.style(lang).list_sep.join(str(b) for b in list(batches))  # type: ignore[call-overload]
