"""Downloads that stand alone: the data behind a chart or table as CSV and Excel, in the reader's language.

One place decides how every download reads (no Streamlit here, so tests call it directly):

- `build(frame, name, about, label=…)` turns a page's frame into an `Export`: headers and enumeration values in the
  reader's language (the column registry `COLUMNS` and the per-download `SPECS`), each column's kind (percent, yuan,
  date, month, …), a title, the filters it was taken with (year or all years; a community or the whole town), the
  as-of date, the source and — while the warehouse holds only the sample — the sample-data notice.
- `to_xlsx(export)`: that header block above the table, real numbers with number formats (a percent is 1.0 shown as
  100.0%; dates are dates with no time; money as ¥#,##0), column widths, a frozen header row and filters.
- `to_csv(export)`: the plain table only (one header row, machine-readable), translated headers and labels;
  percentages as numbers of percent with "(%)" in the header, dates as YYYY-MM-DD. A CSV cannot carry a header
  block without breaking every program that reads it, so its context is in its file name (`file_stem`).
- Text cells starting with = + - @ are neutralised in both (formula injection).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xlsxwriter

import declared
import i18n
import metrics
from etl import kinds
from i18n import numbers, t

# _SAFE_RULE: etl.annotate.neutralise is the one rule for every file the product writes (formula injection); it is
# imported where a file is written, not here: etl.annotate imports openpyxl (≈ 0.06-0.18 s of the app's first run,
# and no page run writes a file until a download is clicked).

Label = Callable[[str, object], str]  # (enumeration, code) -> the reader's word (ui.page.Page.label)

# Enumerations stored as codes: a column of that name holding codes is shown with their labels.
ENUMS = kinds.ENUMS

# Kinds of cell: how a column is written and formatted.
KINDS = (
    "text",
    "int",
    "number",
    "hours",
    "decimal",
    "percent",
    "yuan",
    "yuan_fen",
    "date",
    "month",
    "quarter",
    "datetime",
)

# Excel number formats per kind (and language, for dates as the screen writes them).
_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.##########",
    "hours": "#,##0.0",
    "decimal": "0.0",
    "percent": "0.0%",
    "yuan": '"¥"#,##0',
    "yuan_fen": '"¥"#,##0.00',  # money exact to the fen (the fund's public ledger)
}

# Columns of the pages' frames: internal name -> (text key of its header, kind). A download's spec may override.
COLUMNS: dict[str, tuple[str, str]] = {
    "month": ("export.col.month", "month"),
    "quarter": ("export.col.quarter", "quarter"),
    "community": ("table.community", "text"),
    "role": ("table.role", "text"),
    "format": ("export.col.format", "text"),
    "roster": ("export.col.roster", "int"),
    "trained": ("export.col.trained", "int"),
    "coverage": ("training.coverage_axis", "percent"),
    "sessions": ("export.col.sessions", "int"),
    "hours": ("export.col.hours", "hours"),
    "person_times": ("export.col.person_times", "int"),
    "completed": ("export.col.completed_month", "int"),
    "cumulative": ("projects.cumulative", "int"),
    "projects": ("projects.count", "int"),
    "total": ("export.col.total", "int"),
    "status": ("table.status", "text"),
    "program": ("table.program", "text"),
    "level": ("table.level", "text"),
    "theme": ("table.theme", "text"),
    "name": ("table.name", "text"),
    "project_id": ("table.project_id", "text"),
    "start_date": ("table.start_date", "date"),
    "completed_date": ("table.completed_date", "date"),
    "joined_date": ("export.col.joined_date", "date"),
    "budget_yuan": ("table.budget_yuan", "yuan"),
    "residents_involved": ("table.residents_involved", "int"),
    "worker_id": ("table.worker_id", "text"),
    "mentor": ("table.mentor", "text"),
    "mentee": ("table.mentee", "text"),
    "activities_done": ("table.activities_done", "int"),
    "amount": ("export.col.amount", "yuan"),
    "donations": ("export.col.donations", "int"),
    "donors": ("export.col.donors", "int"),
    "donor_type": ("export.col.donor_type", "text"),
    "category": ("export.col.category", "text"),
    "disbursements": ("export.col.disbursements", "int"),
    "raised": ("export.col.raised", "yuan"),
    "used": ("export.col.used", "yuan"),
    "raised_cum": ("export.col.raised_cum", "yuan"),
    "used_cum": ("export.col.used_cum", "yuan"),
    "balance": ("export.col.balance", "yuan"),
}


@dataclass(frozen=True)
class About:
    """What a download was taken with: the reader's language, the filters, the data's as-of date, sample or not."""

    lang: str = "en"
    year: int | None = None
    community: str | None = None
    as_of: dt.date | None = None
    sample: bool = False
    exported: dt.datetime | None = None  # when it was made (now, when not given)
    names: declared.Names = field(default_factory=declared.Names)  # what the data call the town (file names)


@dataclass(frozen=True)
class Export:
    """A table as the reader reads it, and what to say above it.

    formats: header -> kind (see KINDS), or a list of kinds, one per row (a KPI table mixes units in a column).
    """

    frame: pd.DataFrame
    formats: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    title: str = ""
    lines: Sequence[str] = ()  # the filters, the as-of date, the source
    notice: str = ""  # the sample-data notice, empty when the data are the town's own
    lang: str = "en"
    stem: str = "export"  # the file name without its extension


# --- what each download is


@dataclass(frozen=True)
class Spec:
    """A download: its title, the scope its filters apply in, and how its frame becomes the reader's table.

    scope: "filtered" (the year and community apply), "town" (the year applies; town-wide data), "none" (no filter
    applies, e.g. the audit trail). columns: internal name -> (header, kind) overriding COLUMNS; a header is a text
    key, or a function (lang, label) -> header. keep: only these columns, in this order.
    """

    title: Callable[[str], str]
    scope: str = "filtered"
    columns: Mapping[str, tuple[str | Callable[[str, Label], str], str]] = field(default_factory=dict)
    keep: tuple[str, ...] | None = None
    prepare: Callable[[pd.DataFrame, About, Label], tuple[pd.DataFrame, dict]] | None = None


def _titled(key: str, **params: Callable[[str], str]) -> Callable[[str], str]:
    return lambda lang: t(key, lang, **{k: f(lang) for k, f in params.items()})


def _word(key: str) -> Callable[[str], str]:
    """A text used inside a sentence: lower-case in English ('Projects by programme')."""
    return lambda lang: i18n.style(lang).inline(t(key, lang))


def _status_columns() -> dict[str, tuple[Callable[[str, Label], str], str]]:
    """The projects-by charts' status columns, headed by the statuses' labels (已完成, 实施中, …)."""
    return {s: (_status_header(s), "int") for s in kinds.STATUSES}


def _status_header(status: str) -> Callable[[str, Label], str]:
    return lambda lang, label: label("status", status)


def _drill_prepare(table: str) -> Callable[[pd.DataFrame, About, Label], tuple[pd.DataFrame, dict]]:
    """The stored rows behind a figure (their headers already the reader's, from the spreadsheet contract)."""

    def prepare(frame: pd.DataFrame, about: About, label: Label) -> tuple[pd.DataFrame, dict]:
        out, formats = frame.copy(), {}
        kind = kinds.KINDS.get(table)
        for column in kind.columns if kind else ():
            header = i18n.header(column.name, column.zh, about.lang)
            if header not in out:
                continue
            if column.type == kinds.ENUM:
                out[header] = [_enum_label(column.name, column.choices, v, about.lang, label) for v in out[header]]
            elif column.type == kinds.BOOL:
                out[header] = [_yes_no(v, about.lang) for v in out[header]]
            else:
                formats[header] = {kinds.DATE: "date", kinds.AMOUNT: "yuan", kinds.INT: "int"}.get(
                    column.type, "number" if column.type == kinds.NUMBER else "text"
                )
        for extra in ("person_times", "trained"):
            header = t(f"drill.col.{extra}", about.lang)
            if header in out:
                formats[header] = "int"
        return out, formats

    return prepare


def _flows(frame: pd.DataFrame, about: About, label: Label) -> tuple[pd.DataFrame, dict]:
    """Donor type -> spending category (or the balance not yet spent), amounts in yuan."""
    out = pd.DataFrame(
        {
            "donor_type": [label("donor_type", s) for s in frame["source"]],
            "category": [
                t("fund.unspent", about.lang) if b else label("category", c)
                for c, b in zip(frame["target"], frame["is_balance"], strict=True)
            ],
            "amount": frame["amount"],
        }
    )
    return out, {}


# The 民意到实事 page's figures (pages/voices.py): their frames' columns, headed in the reader's words.
_VOICE_COLUMNS: dict[str, tuple[str | Callable[[str, Label], str], str]] = {
    "stage": ("voices.col.stage", "text"),
    "voices": ("voices.col.voices", "int"),
    "share": ("voices.col.share", "percent"),
    "days": ("voices.col.days", "int"),
    "within": ("voices.col.within", "text"),
    "collected": ("voices.col.collected", "int"),
    "answered": ("voices.col.answered", "int"),
    "in_time": ("voices.col.in_time", "int"),
    "project": ("voices.part.project", "int"),
    "completed": ("voices.stage.completed", "int"),
    "declined": ("voices.part.declined", "int"),
    "waiting": ("voices.part.waiting", "int"),
    "answered_only": ("voices.part.answered_only", "int"),
    "median_days": ("voices.col.median_days", "decimal"),
}
_VOICE_SPECS = {
    "voices_funnel": Spec(_titled("export.title.voices_funnel"), columns=_VOICE_COLUMNS),
    "voices_answer_times": Spec(_titled("export.title.voices_answer_times"), columns=_VOICE_COLUMNS),
    "voices_open": Spec(_titled("export.title.voices_open")),
}


def spec(name: str) -> Spec:
    """The spec of the download called `name` (the name a page gives page.downloads / page.chart / page.table)."""
    fixed = {
        "kpis": Spec(_titled("export.title.kpis"), prepare=lambda f, a, lb: kpi_table(f, a)),
        "completions_burnup": Spec(_titled("export.title.completions_burnup")),
        "project_status": Spec(_titled("export.title.project_status")),
        "projects": Spec(_titled("export.title.projects")),
        "coverage_by_community": Spec(_titled("export.title.coverage_by_community")),
        "coverage_by_role": Spec(_titled("export.title.coverage_by_role")),
        "training_formats": Spec(_titled("export.title.training_formats")),
        "training_hours_by_month": Spec(_titled("export.title.training_hours_by_month")),
        "person_times_by_month": Spec(_titled("export.title.person_times_by_month")),
        "untrained_workers": Spec(_titled("export.title.untrained_workers")),
        "mentoring_pairs": Spec(_titled("export.title.mentoring_pairs")),
        "fund_over_time": Spec(_titled("export.title.fund_over_time")),
        "donations_by_quarter": Spec(_titled("export.title.donations_by_quarter"), scope="town"),
        "donors_by_type": Spec(_titled("export.title.donors_by_type"), scope="town"),
        "fund_flows": Spec(_titled("export.title.fund_flows"), prepare=_flows),
        "audit_trail": Spec(_titled("audit.title"), scope="none"),
        **_VOICE_SPECS,
    }
    if name in fixed:
        return fixed[name]
    if name.startswith("voices_rows_"):  # the rows behind a figure of the 民意到实事 page
        return Spec(
            _titled("export.title.voices_rows", figure=_titled(f"voices.figure.{name.removeprefix('voices_rows_')}"))
        )
    head, _, by = name.rpartition("_by_")
    if head == "voices" and by:
        return Spec(
            _titled("export.title.voices_by", by=_word(f"voices.dim.{by}")),
            columns={"key": (f"voices.dim.{by}", "text"), **_VOICE_COLUMNS},
        )
    if head == "projects" and by:
        return Spec(
            _titled("export.title.projects_by", by=_word(f"projects.dim.{by}")),
            columns={"key": (f"projects.dim.{by}", "text"), **_status_columns()},
            keep=("key", "total", *kinds.STATUSES),
        )
    if head == "spending" and by:
        return Spec(
            _titled("export.title.spending_by", by=_word(f"fund.dim.{by}")),
            columns={"key": ("table.project_id", "text"), "label": (f"fund.dim.{by}", "text")},
            keep=("key", "label", "amount", "disbursements")
            if by == "project"
            else ("label", "amount", "disbursements"),
        )
    for code, metric in metrics.METRICS.items():  # the drill-down's rows: {metric}_{table}
        table = name.removeprefix(f"{code}_")
        if name.startswith(f"{code}_") and table in kinds.KINDS:
            return Spec(
                _titled("export.title.drill", metric=metric.label, table=_titled(f"kind.{table}")),
                scope="town" if metric.scope == "town" else "filtered",
                prepare=_drill_prepare(table),
            )
    return Spec(lambda lang: name)


# --- the reader's table


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _yes_no(value: object, lang: str) -> object:
    if _missing(value):
        return None
    return t("common.yes" if value else "common.no", lang)


def _enum_label(enum: str, choices: Mapping[str, str], value: object, lang: str, label: Label) -> object:
    """A stored code as the reader's word; a value that is no code (already a label, free text) stays."""
    if _missing(value) or str(value) not in choices:
        return value
    # the enumeration is the one the column's choices are (a voice's "status" is voice_status, not a project's)
    own = next((name for name, listed in ENUMS.items() if listed is choices), enum)
    return label(own, value)


def _infer(series: pd.Series) -> str:
    """The kind of a column nobody declared, from its values."""
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        midnight = values.empty or bool((values == values.dt.normalize()).all())
        return "date" if midnight else "datetime"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_numeric_dtype(series):
        values = series.dropna()
        return "int" if len(values) and bool((values == values.round()).all()) else "number"
    values = series.dropna()
    if len(values) and all(isinstance(v, dt.datetime) for v in values):
        return "datetime"
    if len(values) and all(isinstance(v, dt.date) for v in values):
        return "date"
    return "text"


def _header(key: str, lang: str) -> str:
    text = t(key, lang)
    return key if text == key else text


def kpi_table(frame: pd.DataFrame, about: About) -> tuple[pd.DataFrame, dict]:
    """The Overview's figures as a leader reads them: one row per catalogue metric, in the catalogue's words.

    Columns: metric, value, unit, the same dates a year before, change, full-year target, scope (全镇 or the
    community), definition (口径). Values stay numbers, each row formatted in its metric's unit.
    """
    lang = about.lang
    rows, units = [], []
    for r in frame.to_dict("records"):
        metric = metrics.METRICS[r["metric"]]
        value, previous, target = (None if _missing(r.get(k)) else float(r[k]) for k in ("value", "previous", "target"))
        town = r.get("scope") == "town" or about.community is None
        rows.append(
            {
                t("export.kpi.metric", lang): metric.label(lang),
                t("export.kpi.value", lang): value,
                t("export.kpi.unit", lang): t(f"export.unit.{metric.unit}", lang),
                t("export.kpi.previous", lang): previous,
                t("export.kpi.change", lang): None if value is None or previous is None else value - previous,
                t("export.kpi.target", lang): target,
                t("export.kpi.scope", lang): t("export.scope.town", lang) if town else about.community,
                t("export.kpi.definition", lang): metric.explain(lang),
            }
        )
        units.append("hours" if metric.unit == "hours" else "int" if metric.unit == "count" else metric.unit)
    out = pd.DataFrame(rows, columns=[t(f"export.kpi.{c}", lang) for c in _KPI_COLUMNS])
    formats = {t(f"export.kpi.{c}", lang): units for c in ("value", "previous", "change", "target")}
    return out, formats


_KPI_COLUMNS = ("metric", "value", "unit", "previous", "change", "target", "scope", "definition")


def table(
    frame: pd.DataFrame,
    name: str,
    about: About,
    *,
    label: Label,
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """`frame` (a page's internal columns) as the reader's table: (frame with their headers and labels, kinds).

    headers: column -> header text (a page's own, e.g. Page.table's); formats: column -> kind. Both override the
    download's spec and the registry COLUMNS; a column found in none keeps its name and a kind inferred from its values.
    """
    lang, headers, formats = about.lang, dict(headers or {}), dict(formats or {})
    what = spec(name)
    if what.prepare is not None:
        frame, kinds_ = what.prepare(frame, about, label)
        frame = frame.copy()
    else:
        frame, kinds_ = frame.copy(), {}
    if what.keep is not None:
        frame = frame[[c for c in what.keep if c in frame.columns]]
    out, out_kinds = {}, {}
    for column in frame.columns:
        values = frame[column]
        if column in ENUMS:
            values = pd.Series([_enum_label(column, ENUMS[column], v, lang, label) for v in values], index=frame.index)
        key, kind = what.columns.get(column) or COLUMNS.get(column) or (None, None)
        if column in headers:
            header = headers[column]
        elif callable(key):
            header = key(lang, label)
        elif key:
            header = _header(key, lang)
        else:  # a stored column's own name: made readable ('resident_proposed' -> 'Resident proposed')
            header = str(column).replace("_", " ").capitalize() if _IDENTIFIER.fullmatch(str(column)) else str(column)
        kind = formats.get(column) or kinds_.get(column) or kind or _infer(values)
        if kind == "quarter":
            values = values.map(lambda q: _quarter(q, lang))
        if pd.api.types.is_bool_dtype(values):
            values = values.map(lambda v: _yes_no(v, lang))
        out[header] = values.reset_index(drop=True)
        out_kinds[header] = kind
    return pd.DataFrame(out), out_kinds


_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[a-z]+")


def _quarter(value: object, lang: str) -> object:
    """'2023 Q3' -> '2023年第3季度' in zh."""
    match = re.fullmatch(r"(\d{4}) ?Q([1-4])", str(value)) if not _missing(value) else None
    return t("export.quarter", lang, year=match[1], quarter=match[2]) if match else value


# --- what is said above the table, and the file name


def title(name: str, lang: str) -> str:
    return spec(name).title(lang)


def lines(about: About, scope: str = "filtered") -> list[str]:
    """Under the title: the year, the community, the as-of date, the source, when the file was made."""
    lang, out = about.lang, []
    if scope != "none":
        year = str(about.year) if about.year is not None else t("filter.all_years", lang)
        out.append(t("export.filter.year", lang, year=year))
        if about.community is None:
            community = t("export.scope.town", lang)
        elif scope == "town":
            community = t("export.scope.town_only", lang, community=about.community)
        else:
            community = about.community
        out.append(t("export.filter.community", lang, community=community))
    if about.as_of is not None:
        out.append(t("export.as_of", lang, date=numbers.day(about.as_of, lang)))
    out.append(t("export.source", lang))
    made = about.exported or dt.datetime.now().replace(microsecond=0)
    out.append(t("export.made", lang, time=f"{numbers.day(made.date(), lang)} {made:%H:%M}"))
    return out


_UNSAFE = re.compile(r"[^\w\-]+")  # \w: letters and digits of any script (杨行镇), and _


def safe_name(text: str, limit: int = 120) -> str:
    """Only letters, digits, - and _ (no path separators, spaces, quotes or dots); at most `limit` characters."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"_+", "_", _UNSAFE.sub("_", text)).strip("_-")[:limit].rstrip("_-") or "export"


def file_stem(name: str, about: About, scope: str | None = None, heading: str | None = None) -> str:
    """What the file is: 杨行镇_各社区培训覆盖率_2023_丰宁苑 · Yanghang_Town_training_coverage_by_community_2023_丰宁苑
    (the town as the data declare it; no town declared, no town in the name).

    Town-wide data taken with a community selected end in 全镇 / whole_town; an export no filter applies to (the
    audit trail) names neither year nor community."""
    lang, scope = about.lang, scope or spec(name).scope
    heading = heading or title(name, lang)
    parts = [about.names.name("town", lang), i18n.style(lang).inline(heading)]
    if scope != "none":
        parts.append(str(about.year) if about.year is not None else t("filter.all_years", lang))
        if about.community:
            parts.append(about.community if scope == "filtered" else t("export.scope.town", lang))
    return safe_name("_".join(safe_name(p) for p in parts if p))


def build(
    frame: pd.DataFrame,
    name: str,
    about: About,
    *,
    label: Label,
    heading: str | None = None,
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    scope: str | None = None,
) -> Export:
    """The download `name` of `frame`, taken with `about`: see the module's docstring."""
    scope = scope or spec(name).scope
    shown, kinds_ = table(frame, name, about, label=label, headers=headers, formats=formats)
    heading = heading or title(name, about.lang)
    return Export(
        shown,
        kinds_,
        title=heading,
        lines=lines(about, scope),
        notice=t("export.sample", about.lang) if about.sample else "",
        lang=about.lang,
        stem=file_stem(name, about, scope, heading),
    )


# --- the files


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and headers) starting with = + - @ get a leading ' so no program runs them."""
    from etl.annotate import neutralise as _safe  # when a file is written: etl.annotate brings openpyxl (_SAFE_RULE)

    out = frame.copy()
    out.columns = [_safe(str(c)) for c in out.columns]
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].map(_safe)
    return out


def _export(data: pd.DataFrame | Export) -> Export:
    return data if isinstance(data, Export) else Export(data, {c: _infer(data[c]) for c in data.columns})


def _kinds(data: Export, column: str) -> list[str]:
    kind = data.formats.get(column) or _infer(data.frame[column])
    return list(kind) if not isinstance(kind, str) else [kind] * len(data.frame)


def _as_datetime(value: object) -> dt.datetime | None:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return pd.Timestamp(value).to_pydatetime()
    except (ValueError, TypeError):
        return None


def _number(value: Any) -> float | None:
    if _missing(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_TEMPORAL = ("date", "month", "datetime")


def to_csv(data: pd.DataFrame | Export) -> bytes:
    """The table alone, UTF-8 with a byte-order mark so Excel opens Chinese text correctly.

    One header row and one row per record, for any program to read: percentages as numbers of percent ("(%)" in
    the header; per-row percent rows of a KPI table say % in their unit column), dates YYYY-MM-DD, months YYYY-MM.
    """
    from etl.annotate import neutralise as _safe  # _SAFE_RULE

    data = _export(data)
    out = {}
    for column in data.frame.columns:
        kinds_ = _kinds(data, column)
        cells = []
        for value, kind in zip(data.frame[column], kinds_, strict=True):
            if kind in _TEMPORAL:
                when = _as_datetime(value)
                pattern = {"date": "%Y-%m-%d", "month": "%Y-%m", "datetime": "%Y-%m-%d %H:%M:%S"}[kind]
                cells.append(when.strftime(pattern) if when else (None if _missing(value) else _safe(str(value))))
            elif (share := _number(value)) is not None and kind == "percent":
                cells.append(round(share * 100, 6))
            elif kind == "text" or share is None:
                cells.append(None if _missing(value) else _safe(str(value)))
            else:  # a number as a program reads it: 431800, 1.5 (money to the fen)
                number = round(share, 2 if kind == "yuan" else 6)
                cells.append(int(number) if number == int(number) else number)
        header = str(column)
        if set(kinds_) == {"percent"}:
            header += t("export.percent_suffix", data.lang)
        out[_safe(header)] = pd.Series(cells, dtype=object)
    return pd.DataFrame(out).to_csv(index=False).encode("utf-8-sig")


def _width(text: str) -> int:
    """Display width: a CJK character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _shown(value: object, kind: str, lang: str) -> str:
    """Roughly how Excel will show the cell, to size its column."""
    if _missing(value):
        return ""
    number = _number(value) if kind not in ("text", *_TEMPORAL, "quarter") else None
    if kind == "percent" and number is not None:
        return numbers.percent(number)
    if kind == "yuan" and number is not None:
        return f"¥{number:,.0f}"
    if number is not None:
        return numbers.number(number, 2)
    if kind in _TEMPORAL:
        when = _as_datetime(value)
        if when:
            if kind == "month":
                return numbers.month_cell(when.date(), lang)
            text = numbers.day(when.date(), lang)
            return text + (" 00:00:00" if kind == "datetime" else "")
    return str(value)


MIN_WIDTH, MAX_WIDTH = 6, 60


def sheet_name(text: str) -> str:
    """An Excel sheet name: no []:*?/\\, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "data"


def to_xlsx(data: pd.DataFrame | Export, sheet: str | None = None) -> bytes:
    """One sheet: the header block (title, filters, as-of date, source, sample notice) above the table.

    Text is always written as text, never as a formula or link; numbers as numbers with the kind's number format
    (a percent as 1.0 formatted 0.0%), dates as dates without a time; sensible column widths, the table's header
    row frozen and filterable, printed landscape one page wide with the header row repeated.
    """
    from etl.annotate import neutralise as _safe  # _SAFE_RULE

    data = _export(data)
    frame, lang = data.frame, data.lang
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    book.set_properties({"title": data.title, "subject": " · ".join(data.lines), "comments": data.notice})
    ws = book.add_worksheet(sheet_name(sheet or data.title or "data"))
    fmt = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "line": book.add_format({"font_color": "#444444"}),
        "notice": book.add_format({"bold": True, "font_color": "#C00000"}),
        "header": book.add_format(
            {"bold": True, "bg_color": "#EEEEEE", "bottom": 1, "text_wrap": True, "valign": "top"}
        ),
        "text": book.add_format({"valign": "top"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }
    cell_formats: dict[str, object] = {}

    def number_format(kind: str) -> object:
        if kind not in cell_formats:
            pattern = i18n.style(lang).excel_dates.get(kind) or _FORMATS.get(kind, "General")
            cell_formats[kind] = book.add_format({"num_format": pattern, "valign": "top"})
        return cell_formats[kind]

    row = 0
    if data.title:
        ws.write_string(row, 0, _safe(data.title), fmt["title"])
        row += 1
        for line in data.lines:
            ws.write_string(row, 0, _safe(line), fmt["line"])
            row += 1
        if data.notice:
            ws.write_string(row, 0, _safe(data.notice), fmt["notice"])
            row += 1
        row += 1  # a blank row between the block and the table
    top = row
    widths = []
    for col, column in enumerate(frame.columns):
        header = str(_safe(str(column)))
        ws.write_string(top, col, header, fmt["header"])
        width = _width(header)
        long_text = False
        for i, (value, kind) in enumerate(zip(frame[column], _kinds(data, column), strict=True)):
            r = top + 1 + i
            if i < 2000:
                shown = _width(_shown(value, kind, lang))
                long_text = long_text or shown > MAX_WIDTH
                width = max(width, shown)
            if _missing(value):
                ws.write_blank(r, col, None, fmt["text"])
            elif kind in _TEMPORAL and (when := _as_datetime(value)) is not None:
                ws.write_datetime(r, col, when, number_format(kind))
            elif kind not in ("text", "quarter") and (number := _number(value)) is not None:
                ws.write_number(r, col, number, number_format(kind))
            else:
                ws.write_string(r, col, str(_safe(str(value))), fmt["text"])
        widths.append(min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
        ws.set_column(col, col, widths[-1], fmt["wrap"] if long_text else None)
    last = top + len(frame)
    if len(frame.columns):
        ws.freeze_panes(top + 1, 0)
        ws.autofilter(top, 0, max(last, top), len(frame.columns) - 1)
        ws.repeat_rows(top)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    book.close()
    return buffer.getvalue()
