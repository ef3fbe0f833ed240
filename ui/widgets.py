"""What the overview and the other pages draw beside their charts: the KPI tiles, the drill-down to the rows behind a
figure (查看明细) and the "needs attention" list (their stylesheet is drawn by ui.page.setup)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

import i18n
import metrics
import queries
from etl import kinds
from i18n import numbers, t
from notes import lines as note_lines
from presenter import export, markdown
from presenter.slides import donor_name, mask_name
from ui.session import opened
from ui.signin import names_shown

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig  # what st.column_config's functions return

    from ui.page import Page


def _change(page: Page, unit: str, change: float) -> str:
    if unit == "percent":
        return page.t("kpi.points", points=f"{change * 100:+.1f}")
    return numbers.signed(numbers.by_unit(unit, change, page.lang), change)


def kpi_tiles(page: Page, frame: pd.DataFrame, codes: tuple[str, ...], per_row: int = 4) -> None:
    """One bordered tile per catalogue metric (metrics.py): value, change against the same dates a year before,
    the full-year target with the pace expected by the as-of date, and how far it is reached (neither, before a
    year's first quarter has passed: metrics.Period.judged).

    A town-wide metric shown while a community is selected says 全镇 / town-wide in its label.
    """
    rows = {r["metric"]: r for r in frame.to_dict("records")}
    # the notes (说明备注) of the same period and community, listed under their tile
    found = page.q(queries.notes, **page.filters)
    # one wrapping line of tiles (TILE_CSS): up to `per_row` on a laptop, two on a phone, never a lone column
    line = st.container(horizontal=True, gap="small", key=f"kpis_{per_row}_{codes[0]}")
    for code in codes:
        row, metric = rows[code], metrics.METRICS[code]
        value, previous, target, expected = (
            None if pd.isna(row[k]) else float(row[k]) for k in ("value", "previous", "target", "expected")
        )
        judged = bool(row.get("judged", True))  # measured against its target yet
        label = metric.label(page.lang)
        if page.community and row["scope"] == "town":
            label += page.t("kpi.town_wide")
        with line.container(border=True, key=f"tile_{code}"):
            change = None if value is None or previous is None else value - previous
            versus = "kpi.vs_same_dates" if row["partial"] else "kpi.vs"
            st.metric(
                label,
                numbers.by_unit(metric.unit, value, page.lang),
                delta=None if change is None else (0 if change == 0 else _change(page, metric.unit, change)),
                delta_description=None if change is None or page.year is None else page.t(versus, year=page.year - 1),
                delta_color="normal" if metric.better == "up" else "off",
                help=metric.explain(page.lang),
            )
            notes = []
            if metric.numerator and metric.unit == "percent" and not pd.isna(row["denominator"]) and row["denominator"]:
                notes.append(
                    page.t(
                        f"kpi.of.{code}" if code == "training_coverage" else "kpi.of",
                        numerator=numbers.number(row["numerator"]),
                        denominator=numbers.number(row["denominator"]),
                    )
                )
            if target is not None:
                key = "kpi.target_full_year" if row["partial"] else "kpi.target"
                notes.append(
                    page.t(key, target=numbers.by_unit(metric.unit, target, page.lang), year=row["target_year"])
                )
                if not judged:  # a year not a quarter old: no pace, no share of it (metrics.Period.judged)
                    notes.append(page.t("kpi.not_judged"))
                elif row["partial"] and expected is not None and metric.kind == "flow":
                    notes.append(page.t("kpi.pace", expected=numbers.by_unit(metric.unit, expected, page.lang)))
            elif metric.target:
                reason = "kpi.no_target_all_years" if page.year is None else "kpi.no_target"
                notes.append(page.t("kpi.no_target_community" if page.community and page.year else reason))
            st.caption(" · ".join(notes) if notes else "\u00a0")
            paced = row["partial"] and metric.kind == "flow"
            goal = expected if paced else target
            if goal and value is not None and judged:
                share = value / goal
                key = "kpi.reached_pace" if paced else ("kpi.reached_so_far" if row["partial"] else "kpi.reached")
                st.progress(min(max(share, 0.0), 1.0), text=page.t(key, share=numbers.percent(share)))
            for note in note_lines(found, (code,), page.lang):
                st.caption(f":material/sticky_note_2: {markdown.escape(note)}")


def _headers(table: str, columns: list[str], lang: str) -> dict[str, str]:
    """A stored table's columns as the reader's spreadsheets name them (Chinese headers in zh); a column joined from
    another table (an attendance row's session date and title) as the table it comes from names it."""
    kind = kinds.KINDS.get(table)
    names: dict[str, str] = {}
    for column in [*(kind.columns if kind else ()), *(c for k in kinds.KINDS.values() for c in k.columns)]:
        names.setdefault(column.name, i18n.header(column.name, column.zh, lang))
    extra = {"person_times": t("drill.col.person_times", lang), "trained": t("drill.col.trained", lang)}
    return {c: names.get(c) or extra.get(c) or c for c in columns}


PEOPLE = {"workers": ("name",)}  # stored columns that name a person, by table (a donor: donor_name's rule)


def public_rows(table: str, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Stored rows of `table` as a visitor who has not signed in sees them: each person's name as 张*, a donor by
    the one rule (presenter.slides.donor_name: companies and organisations named, everyone else masked)."""
    out = frame.copy()
    if table == "donations" and "donor" in out:
        types = out["donor_type"] if "donor_type" in out else pd.Series([None] * len(out), index=out.index)
        out["donor"] = [donor_name(d, k, lang) for d, k in zip(out["donor"], types, strict=True)]
    for column in PEOPLE.get(table, ()):
        if column in out:
            out[column] = [mask_name(n) for n in out[column]]
    if table == "resident_voices" and "summary" in out:  # a voice's summary only where the analyst marked it so
        shown = out["publishable"].fillna(False).astype(bool) if "publishable" in out else False
        out["summary"] = out["summary"].where(shown, None)
    return out


DRILL_ROWS = 1000  # rows of a figure shown on the page; the downloads hold them all

# The columns of a figure's rows the page shows, by table and in this order: the ones a reader tells the rows apart
# by and reads first, narrow enough to be in view together beside the sidebar at 1280 px (no sideways scrolling).
# The rest — a project's programme and status (the figure's own: every row the same), a session's organiser and
# venue, a payment's approving meeting, … — are in the CSV and Excel downloads, which hold every column.
DRILL_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "community", "theme", "level", "completed_date", "budget_yuan"),
    "workers": ("worker_id", "name", "community", "role", "joined_date", "active", "trained"),
    "training_sessions": ("session_id", "title", "date", "hours", "format", "person_times"),
    "attendance": ("session_id", "date", "title", "worker_id"),
    "mentorships": ("mentor_id", "mentee_id", "start_date", "activities_done"),
    "meetings": ("meeting_id", "date", "type", "topic", "attendees"),
    "donations": ("donation_id", "date", "donor", "donor_type", "amount_yuan", "channel"),
    "disbursements": ("disbursement_id", "date", "amount_yuan", "purpose", "category", "community", "project_id"),
    "resident_voices": ("voice_id", "collected_date", "community", "channel", "category", "status", "project_id"),
}
# Long text, in px (a longer cell is cut; the downloads hold it whole): a project's name, a session's title, …
DRILL_WIDE = {
    ("projects", "name"): 210,
    ("training_sessions", "title"): 230,
    ("attendance", "title"): 230,
    ("disbursements", "purpose"): 190,
    ("meetings", "topic"): 170,
    ("donations", "donor"): 170,
}


def drill_table(
    rows: pd.DataFrame, table: str, name: str, about: export.About, label: export.Label
) -> tuple[pd.DataFrame, dict[str, ColumnConfig]]:
    """A figure's stored rows as the page shows them: (table, column_config).

    The table's key columns (DRILL_COLUMNS; one with nothing in it left out) in the words of the Excel download
    (export.table: headers, business labels such as 组团治理 and 已完成, 是/否), a blank for nothing (not "None"),
    dates in the reader's style without a time (2023年4月17日 · 2023-04-17) and money in yuan. Rows are masked by
    the caller (public_rows) before they get here: masking reads the stored codes."""
    wanted = DRILL_COLUMNS.get(table, tuple(rows.columns))
    keep = [c for c in wanted if c in rows.columns and (rows.empty or rows[c].notna().any())]
    headers = _headers(table, keep, about.lang)
    shown, kinds_ = export.table(rows[keep].rename(columns=headers), name, about, label=label)
    for column in shown.columns:
        if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "")
    config: dict[str, ColumnConfig] = {}
    for field, header in zip(keep, shown.columns, strict=True):  # export.table keeps the order (its own headers)
        kind = kinds_.get(header)
        if kind == "date":
            config[header] = st.column_config.DateColumn(format=numbers.date_format(about.lang))
        elif kind in ("yuan", "yuan_fen"):
            config[header] = st.column_config.NumberColumn(format="yen")
        elif (table, field) in DRILL_WIDE:
            config[header] = st.column_config.TextColumn(width=DRILL_WIDE[table, field])
    return shown, config


DRILLDOWN = "drilldown"  # the key of the drill-down's expander (its state: open or not)


def drilldown(page: Page, codes: tuple[str, ...]) -> None:
    """查看明细: pick a figure, see the stored rows it counts (downloadable) and the files and batches they came from.

    Run when opened (a rerun): its queries and its grid are not part of the page's first run and drawing."""
    with st.expander(page.t("drill.title"), icon=":material/table_rows:", key=DRILLDOWN, on_change="rerun") as drill:
        if drill.open:
            _drilldown(page, codes)


def _drilldown(page: Page, codes: tuple[str, ...]) -> None:
    """The drill-down's content, once its expander is open."""
    by_label = {metrics.METRICS[c].label(page.lang): c for c in codes}  # options as the reader reads them
    code = by_label[st.selectbox(page.t("drill.pick"), list(by_label), key="drill_metric")]
    metric = metrics.METRICS[code]
    st.caption(metric.explain(page.lang))
    if page.community and metric.scope == "town":
        st.caption(page.t("drill.town_wide"))
    masked = not names_shown()
    if masked:
        st.caption(page.t("drill.masked"))
    for part, spec in enumerate(metrics.RECORDS[code]):
        rows = page.q(queries.metric_rows, code=code, part=part, limit=DRILL_ROWS, **page.filters)
        if masked:  # after the cache: signed-in staff and visitors share the cached rows, never what is shown
            rows = public_rows(spec.table, rows, page.lang)
        count = int(page.q(queries.metric_row_count, code=code, part=part, **page.filters).iloc[0]["rows"])
        st.markdown(page.md("drill.rows", n=f"{count:,}", table=page.t(f"kind.{spec.table}"), shown=DRILL_ROWS))
        headers = _headers(spec.table, list(rows.columns), page.lang)  # the downloads: every column
        shown, config = drill_table(rows, spec.table, f"{code}_{spec.table}", page.about(), page.label)
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config, placeholder="")
        if len(shown.columns) < len(rows.columns):
            st.caption(page.t("drill.columns"))
        filters = {"year": page.year, "community": page.community}

        def every_row(code=code, part=part, table=spec.table, headers=headers, filters=filters) -> pd.DataFrame:
            # fetched when the download is clicked, through a cursor of its own (the run's has ended), on the data
            # the page showed: the published version, or the working data in an analyst's draft view
            with opened(page.source, page.path) as con:
                rows = queries.metric_rows(con, code=code, part=part, **filters)
            return (public_rows(table, rows, page.lang) if masked else rows).rename(columns=headers)

        page.downloads(every_row, f"{code}_{spec.table}")
    origin = page.q(queries.metric_sources, code=code, **page.filters)
    files = [
        page.t("drill.source", file=r["file_name"], batch=r["batch_id"], n=f"{r['rows']:,}")
        for r in origin.to_dict("records")
    ]
    st.caption(markdown.escape(page.t("drill.sources") + i18n.joined(files or ["—"], page.lang, "clause")))


ATTENTION_ORDER = {
    "low_balance": 0,
    "stalled": 1,
    "late": 2,
    "voice_overdue": 3,
    "low_coverage": 4,
}  # the most urgent kinds first
ATTENTION_LINES = 8  # issues written out as sentences; every issue is in the table and the downloads below them
ATTENTION_TABLE = "attention_table"  # the key of the expander holding every issue (its state: open or not)


def _attention_values(r: dict) -> tuple[str, str]:
    if r["issue"] == "low_coverage":
        return numbers.percent(r["value"]), numbers.percent(r["threshold"])
    return numbers.number(r["value"], 1), numbers.number(r["threshold"])


def _most_urgent_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The issues ordered by ATTENTION_ORDER, in their query's order within a kind (a stable sort)."""
    return frame.iloc[frame["issue"].map(ATTENTION_ORDER).fillna(9).argsort(kind="stable")]


def attention_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every issue of queries.needs_attention as a table row in the reader's words, the most urgent kinds first
    (for the table and the downloads that hold them all)."""
    rows = _most_urgent_first(frame).to_dict("records")
    values = [_attention_values(r) for r in rows]
    return pd.DataFrame(
        {
            "issue": [t(f"attention.kind.{r['issue']}", lang) for r in rows],
            "subject": [str(r["subject"] or "") for r in rows],
            "community": [str(r["community"] or "") for r in rows],
            "value": [v for v, _ in values],
            "threshold": [th for _, th in values],
        }
    )


def attention_counts(frame: pd.DataFrame, lang: str) -> str:
    """How many issues of each kind, most urgent first: '1,234 stalled projects · 56 late projects · …'."""
    counts = frame["issue"].value_counts()
    kinds_ = sorted(counts.index, key=lambda k: ATTENTION_ORDER.get(k, 9))
    return " · ".join(t(f"attention.count.{k}", lang, n=numbers.number(counts[k])) for k in kinds_)


def attention_list(page: Page, frame: pd.DataFrame, limit: int = ATTENTION_LINES) -> None:
    """The "needs attention" list: how many issues of each kind, the `limit` most urgent written out, and every
    issue in a table (and its downloads) below them. Thousands of lines of Markdown took seconds to draw."""
    if frame.empty:
        kpis = page.q(queries.kpis, **page.filters)
        judged = kpis.empty or bool(kpis["judged"].all())  # a year a month in: coverage is not judged yet
        st.success(page.t("attention.none" if judged else "attention.none_early"), icon=":material/check_circle:")
        return
    rows = _most_urgent_first(frame).head(limit).to_dict("records")  # not all of them: 10,000 took 0.1 s a run

    def line(r: dict) -> str:
        value, threshold = _attention_values(r)
        return "- " + markdown.t(
            f"attention.{r['issue']}",
            page.lang,
            subject=str(r["subject"]),
            community=str(r["community"] or ""),
            value=value,
            threshold=threshold,
        )

    if len(frame) > limit:
        st.markdown(markdown.escape(attention_counts(frame, page.lang)))
    st.markdown("\n".join(line(r) for r in rows))
    if len(frame) > limit:
        label = page.t("attention.all", count=numbers.number(len(frame)))
        # drawn when opened (a rerun): the grid and its thousands of rows are not part of the page's first drawing
        with st.expander(label, icon=":material/table_rows:", key=ATTENTION_TABLE, on_change="rerun") as everything:
            if everything.open:
                table = attention_table(frame, page.lang)
                headers = {c: page.t(f"attention.col.{c}") for c in table.columns}
                st.dataframe(table.rename(columns=headers), hide_index=True, width="stretch", placeholder="")
                page.downloads(table, "needs_attention", title=page.t("overview.attention"), headers=headers)


class ImportProgress:
    """A progress bar through an import's stages (load.import_file's `progress`): the stage in the reader's words,
    rows done of the total and rows per second; `stages` are the ones this work goes through, each an equal share
    of the bar ("read", "check" for a check; and "load" for an import)."""

    def __init__(self, lang: str, stages: tuple[str, ...] = ("read", "check", "load")) -> None:
        self.lang, self.stages = lang, stages
        self.bar = st.progress(0.0, text=t("load.progress.start", lang))
        self.stage, self.started, self.rows, self.began = "", 0.0, 0, time.monotonic()
        self.last: tuple[str, float, str] = ("", 0.0, "")  # what the bar shows now: stage, share, text

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.started = stage, now
        self.rows = total  # the rows of the stage reached (the last: the rows loaded)
        rate = done / (now - self.started) if done and now > self.started else 0.0
        index = self.stages.index(stage) if stage in self.stages else len(self.stages) - 1
        share = (index + (done / total if total else 0.0)) / len(self.stages)
        text = t(f"progress.{stage}", self.lang, done=numbers.number(done), total=numbers.number(total),
                 rate=numbers.number(rate))  # fmt: skip
        self.last = (stage, min(max(share, 0.0), 1.0), text)
        self.bar.progress(self.last[1], text=text)

    def clear(self) -> None:
        """Take the bar off the page."""
        self.bar.empty()

    def finished(self) -> str:
        """The line that says the work is done: rows, seconds and rows per second over all its stages."""
        seconds = max(time.monotonic() - self.began, 1e-6)
        return t(
            "load.progress.done",
            self.lang,
            rows=numbers.number(self.rows),
            seconds=numbers.number(seconds, 1),
            rate=numbers.number(self.rows / seconds),
        )
