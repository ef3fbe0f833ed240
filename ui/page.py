"""The page: what every page starts with (setup) and the Page it gets, with the run's cursor, language and filters
and the helpers that draw tables, charts and downloads the same way everywhere."""

from __future__ import annotations

import functools
import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import declared
import i18n
import queries
from etl import db, publish
from i18n import numbers, t
from presenter import export, markdown
from presenter.charts import PLOTLY_CONFIG, PNG_OPTIONS, alternative, legible
from presenter.slides import mask_name
from ui.filters import ALL, CLOSE_SIDEBAR_ON_PHONE, choice
from ui.preload import preload
from ui.routing import route_through_app
from ui.session import query, reader, snapshot, version_key, working
from ui.signin import current_user, for_reader, gate, names_shown

# Keyboard focus seen at a glance (issue 19): Streamlit rings a focused button, box or expander, but marks a focused
# checkbox, toggle, radio option or sidebar page link only with a faint tint (about 1.1:1 against its background),
# and a table's toolbar (columns, download, search, full screen) stays transparent while the keyboard is on its
# buttons; those get a ring in the primary colour (5.8:1 on white) and the toolbar is shown. Every page draws it
# first (ui.page.setup; the ledger).
FOCUS_CSS = """<style>
[data-testid="stSidebarNavLink"]:focus-visible,
[data-testid="stCheckbox"] label:has(input:focus-visible),
[data-testid="stRadioOption"]:has(input:focus-visible),
[data-testid="stBaseButton-elementToolbar"]:focus-visible {
  outline: 2px solid #1a6aa3; outline-offset: 2px; border-radius: 0.25rem; }
[data-testid="stBaseButton-elementToolbar"]:focus-visible { outline-offset: -2px; }
[data-testid="stElementToolbar"]:has(:focus-visible) { opacity: 1 !important; }
</style>"""


# Tiles read from a phone and from the back of a meeting room: two to a line on a phone (the fund within two
# screens), labels that wrap instead of being cut, larger type on a 1920 px screen. Streamlit's own classes are
# the only hooks: the keys of kpi_tiles' containers (st-key-kpis_<n>_…, st-key-tile_<code>) scope every rule.
TILE_CSS = """<style>
/* a chart's text alternative (presenter.charts.alternative): read by screen readers, out of sight and out of the layout */
div[data-testid="stElementContainer"]:has(.chart-alt) { position: absolute !important; width: 1px !important;
  height: 1px !important; overflow: hidden !important; clip-path: inset(50%); white-space: nowrap; margin: -1px; }
div[class*="st-key-kpis_"] > div { flex: 1 1 calc(25% - 0.75rem) !important; min-width: 11rem !important; }
div[class*="st-key-kpis_3_"] > div { flex-basis: calc(33% - 0.75rem) !important; }
div[class*="st-key-kpis_5_"] > div { flex-basis: calc(20% - 0.75rem) !important; min-width: 8.5rem !important; }
div[class*="st-key-tile_"] [data-testid="stMetricLabel"] p { white-space: normal; overflow: visible; }
@media (max-width: 640px) {
  div[class*="st-key-kpis_"] > div { flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important; }
  div[class*="st-key-tile_"] { padding: 0.6rem 0.7rem !important; gap: 0.3rem !important; }
  div[class*="st-key-tile_"] [data-testid="stMetricValue"] { font-size: 1.5rem; }
  div[class*="st-key-tile_"] [data-testid="stProgress"] { display: none; }
  div[data-testid="stLayoutWrapper"]:has(> div.st-key-narrative) { order: 99; }  /* phone: figures first, words after */
  [data-testid="stMain"] h1 { font-size: 1.75rem; }
  [data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 1.2rem; }
  [data-testid="stMain"] [data-testid="stAlertContainer"] p { font-size: 0.875rem; }
}
@media (min-width: 1600px) {
  div[class*="st-key-tile_"] [data-testid="stMetricLabel"] p { font-size: 1.1rem; }
  div[class*="st-key-tile_"] [data-testid="stMetricValue"] { font-size: 2.6rem; }
  div[class*="st-key-tile_"] [data-testid="stCaptionContainer"] p { font-size: 1rem; }
}
</style>"""


# The headers (text keys) of a page table's columns that name a person: a column of page.table headed with one of
# them is a person's name, masked for a visitor who has not signed in on the page and in its downloads. A table of
# people heads its names so (姓名 table.person_name, not 名称 table.name: a project's or a community's name).
PERSON_HEADERS = frozenset({"table.person_name", "table.mentor", "table.mentee"})


def public_table(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """A page table's rows (columns: field -> header key) as a visitor who has not signed in sees them: each column
    headed as a person (PERSON_HEADERS) holds 张*, never the name."""
    out = frame.copy()
    for column, key in columns.items():
        if key in PERSON_HEADERS and column in out:
            out[column] = [mask_name(n) for n in out[column]]
    return out


if TYPE_CHECKING:  # what st.column_config's functions return (Streamlit exports the type only from here)
    from streamlit.elements.lib.column_types import ColumnConfig


@dataclass
class Page:
    """What a page needs: the run's cursor, language and filters, and helpers that draw consistently."""

    con: duckdb.DuckDBPyConnection  # reads: one snapshot for the whole run (a published version, or the draft)
    path: str  # the working warehouse (writes go there)
    lang: str
    year: int | None
    community: str | None
    counts: dict[str, int] = field(default_factory=dict)  # rows per table (queries.has_data)
    version: str = ""  # which imports the snapshot holds; part of every cached query's key
    source: str = ""  # what the run reads (the published version's file, or the working warehouse)
    draft: bool = False  # the run reads the working data (unpublished imports included)

    def writer(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for an import, an undo or an audit record (the run's cursor only reads)."""
        return working()

    @property
    def empty_warehouse(self) -> bool:
        return not self.counts or sum(self.counts.values()) == 0

    @functools.cached_property
    def names(self) -> declared.Names:
        """The names the data this run reads declare (the town, the fund, its programmes; none without data)."""
        return declared.from_frame(self.q(queries.names)) if self.con is not None else declared.Names()

    def t(self, key: str, **params: object) -> str:
        """Text in the page's language, the declared names filled in."""
        return t(key, self.lang, **{**self.names.params(self.lang), **params})

    def md(self, key: str, **params: object) -> str:
        """Text in the page's language for Markdown (captions, alerts, labels): string parameters (the declared
        names too) shown literally."""
        return markdown.t(key, self.lang, **{**self.names.params(self.lang), **params})

    @property
    def filters(self) -> dict[str, object]:
        """The reader's year and community, for a query of their period: page.q(queries.kpis, **page.filters)."""
        return {"year": self.year, "community": self.community}

    def q(self, fn: Callable[..., pd.DataFrame], **params: object) -> pd.DataFrame:
        """Run a query function (cached) with exactly the parameters given: a page passes its filters itself
        (**page.filters, or year=page.year for a town-wide query), so a query that stops taking one fails loudly
        instead of silently dropping it."""
        return query(self.source or self.path, fn.__name__, tuple(sorted(params.items())), self.version, self.con)

    # --- words for values

    def label(self, enum: str, code: object) -> str:
        """An enumeration code as the reader should see it: its Chinese label in zh, readable English in en."""
        if code is None or (isinstance(code, float) and pd.isna(code)) or code is pd.NA:
            return self.t("common.unspecified")
        return i18n.label(enum, code, self.lang)

    def labelled(self, frame: pd.DataFrame, **enums: str) -> pd.DataFrame:
        """A copy with the given columns' codes replaced by labels (missing stays missing): labelled(df, key="program")."""
        out = frame.copy()
        for column, enum in enums.items():
            missing = out[column].isna().to_numpy()
            codes = out[column].to_numpy(dtype=object)
            words = {code: self.label(enum, code) for code in set(codes[~missing])}  # each code once, not each row
            out[column] = [None if m else words[code] for code, m in zip(codes, missing, strict=True)]
        return out

    def filled(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """A copy whose missing values in `column` read "unspecified"."""
        return frame.fillna({column: self.t("common.unspecified")})

    def colours(self, enum: str, by_code: dict[str, str]) -> dict[str, str]:
        """A colour map keyed by the labels this page shows."""
        return {self.label(enum, code): colour for code, colour in by_code.items()}

    def money(self, x: float | None) -> str:
        return numbers.yuan(x, self.lang)

    def target(self, metric: str) -> float | None:
        """The target of `metric` for the chosen year (None for all years or when none is set)."""
        goals = self.q(queries.targets, year=self.year)
        match = goals.loc[goals["metric"] == metric, "target"]
        return float(match.iloc[0]) if len(match) else None

    def period(self) -> str:
        """'2023' or 'all years', for captions."""
        return str(self.year) if self.year is not None else self.t("filter.all_years")

    # --- drawing

    def empty(self, key: str = "empty.filtered") -> None:
        """A helpful empty state instead of an empty axis (one that sends the reader to import fits their role)."""
        st.info(self.t(for_reader(key)), icon=":material/info:")

    def about(self) -> export.About:
        """What a download from this run is taken with: language, filters, the as-of date, sample data or not."""
        return self._about

    @functools.cached_property
    def _about(self) -> export.About:
        if self.empty_warehouse:
            return export.About(self.lang, self.year, self.community, names=self.names)
        as_of = self.q(queries.as_of).iloc[0]["as_of"]
        sample = bool(self.q(queries.sample_only).iloc[0]["sample"])
        return export.About(
            self.lang, self.year, self.community, None if pd.isna(as_of) else as_of, bool(sample), names=self.names
        )

    def downloads(
        self,
        frame: pd.DataFrame | Callable[[], pd.DataFrame],
        name: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        formats: dict[str, str] | None = None,
        scope: str | None = None,
    ) -> None:
        """CSV and Excel downloads of `frame` that stand alone (presenter/export.py): headers and labels in the reader's
        language, a header block with the title, filters, as-of date, source and sample notice in the Excel file,
        and a file name that says what it is (杨行镇_各社区培训覆盖率_2023_丰宁苑.xlsx).

        Built only when clicked; `frame` may be a function that fetches it then (rows too many to hold for every page
        run). name: the download's spec in export.spec (its title, columns, scope). title, headers (column -> text),
        formats (column -> kind: percent, yuan, date, …) and scope ("filtered" | "town" | "none") override it.
        """
        about = self.about()
        scope = scope or export.spec(name).scope
        stem = export.file_stem(name, about, scope, title)

        def built() -> export.Export:
            data = frame() if callable(frame) else frame
            return export.build(
                data, name, about, label=self.label, heading=title, headers=headers, formats=formats, scope=scope
            )

        with st.container(horizontal=True, gap="small"):
            st.download_button(
                self.t("download.csv"),
                lambda: export.to_csv(built()),  # built only when clicked
                file_name=f"{stem}.csv",
                mime="text/csv",
                key=f"csv_{name}",
                on_click="ignore",
                icon=":material/download:",
                type="tertiary",
            )
            st.download_button(
                self.t("download.xlsx"),
                lambda: export.to_xlsx(built()),
                file_name=f"{stem}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key=f"xlsx_{name}",
                on_click="ignore",
                icon=":material/download:",
                type="tertiary",
            )

    def chart(
        self,
        draw: Callable[[], go.Figure],
        data: pd.DataFrame,
        name: str,
        *,
        height: int = 380,
        legend_rows: int = 0,
    ) -> None:
        """A Plotly chart that fits any width (legend below, PNG via its toolbar) and its data downloads.

        draw: builds the figure. It is called once per published version (or state of the draft), filters,
        language and `data`, and the finished figure and its text alternative are kept for every reader after
        (building a Plotly figure costs 0.05–0.15 s of the server's time, on every run): so it may draw only from
        `data` and what those determine (the run's cached queries, its words), never from a widget's value that
        is not in `data` or in the chart's name.
        legend_rows: room to leave under the plot for a horizontal legend (it wraps on a phone).
        """
        about = self.about()
        fig, alt = _drawn(
            (version_key(self.source or self.path), self.version, self.lang, self.year, self.community, names_shown()),
            (name, _digest(data), height, legend_rows),
            _make=lambda: self._draw(draw(), data, name, about, height, legend_rows),
        )
        png = export.file_stem(name, about, export.spec(name).scope)  # the PNG is named like the data files
        config = {**PLOTLY_CONFIG, "toImageButtonOptions": {**PNG_OPTIONS, "filename": png}}
        st.plotly_chart(fig, width="stretch", config=config, key=f"chart_{name}")
        # what a screen reader reads instead: the chart named by its title, its figures as a table (issue 19)
        st.html(alt, unsafe_allow_javascript=True)
        self.downloads(data, name)

    def _draw(
        self, fig: go.Figure, data: pd.DataFrame, name: str, about: export.About, height: int, legend_rows: int
    ) -> tuple[go.Figure, str]:
        """The finished figure (the layout every chart shares, its texts escaped) and its text alternative."""
        fig.update_layout(
            height=height,
            margin={"l": 8, "r": 8, "t": 16, "b": 8 + 28 * legend_rows},
            legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "title": None},
            separators=".,",
        )
        legible(fig)
        shown, kinds = export.table(data, name, about, label=self.label)
        alt = alternative(f"chart_{name}", export.title(name, self.lang), shown, kinds, self.lang)
        return markdown.plotly_safe(fig), alt

    def table(self, frame: pd.DataFrame, name: str, columns: dict[str, str], **config: ColumnConfig) -> None:
        """A sortable table with translated headers (columns: field -> text key) and its downloads.

        A column headed as a person (PERSON_HEADERS: 姓名, 师傅, 徒弟, …) names one: a visitor who has not
        signed in (a forum screen) sees it as 张* on the page and in both downloads; signed-in staff see the name."""
        people = any(k in PERSON_HEADERS for k in columns.values())
        if people and not names_shown():  # after the cache: staff and visitors share the query, never what is shown
            frame = public_table(frame, columns)
            st.caption(self.t("table.masked"))
        shown = frame[list(columns)].rename(columns={c: self.t(k) for c, k in columns.items()})
        text = [c for c in shown.columns if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c])]
        shown[text] = shown[text].fillna("")  # a blank cell, not the word "None"
        dates: dict[str, ColumnConfig] = {
            c: st.column_config.DateColumn(format=numbers.date_format(self.lang)) for c in columns if c.endswith("date")
        }
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={self.t(columns[c]): v for c, v in {**dates, **config}.items()},
            placeholder="",
        )
        self.downloads(frame[list(columns)], name, headers={c: self.t(k) for c, k in columns.items()})


@st.cache_resource(max_entries=512, show_spinner=False)
def _drawn(reads: tuple, chart: tuple, _make: Callable[[], tuple[go.Figure, str]]) -> tuple[go.Figure, str]:
    """A chart drawn once for what it shows. reads: the file read and its modification time, the imports it holds,
    the language, year, community and whether names are shown; chart: its name, the digest of its data, its height
    and legend rows. Every reader's run gets the same figure object: nothing may change it after (st.plotly_chart
    only reads it)."""
    return _make()


def _digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's columns, types and values."""
    h = hashlib.blake2b(repr((list(frame.columns), [str(t) for t in frame.dtypes])).encode(), digest_size=16)
    try:
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    except TypeError:  # a cell holding a list or a dict
        h.update(pickle.dumps(frame))
    return h.hexdigest()


def setup(title_key: str) -> Page:
    """Every page starts here: sidebar filters, the run's cursor, the title and the data's as-of line."""
    route_through_app()
    st.html(FOCUS_CSS)  # before the sign-in form, which is drawn in place of a page
    lang = gate()
    path = str(db.db_path())
    source, con, draft = reader(path, lang, current_user())
    version = snapshot(con)
    years = query(source, "years", (), version, con)["year"].astype(int).tolist()
    chosen_year = choice(
        "year",
        [*years, ALL],
        int(query(source, "default_year", (), version, con)["year"].iloc[0]) if years else ALL,
        t("filter.year", lang),
        lambda v: t("filter.all_years", lang) if v == ALL else str(v),
        keep_default=True,
    )
    year = None if chosen_year is None else int(chosen_year)  # a year of `years` (None: all of them)
    names = query(source, "communities", (), version, con)["community"].tolist()
    community = choice(
        "community",
        [ALL, *names],
        ALL,
        t("filter.community", lang),
        lambda v: t("filter.all_communities", lang) if v == ALL else v,
    )
    counts = query(source, "has_data", (), version, con).iloc[0]
    page = Page(
        con, path, lang, year, community, {k: int(v) for k, v in counts.items()}, version, source=source, draft=draft
    )
    st.title(page.t(title_key))
    if draft:  # never mistaken for the approved figures
        waiting = len(publish.pending(page.writer()))
        st.warning(page.t("publish.draft_banner", n=waiting), icon=":material/edit_note:")
    if page.empty_warehouse:
        return page
    day = page.q(queries.as_of).iloc[0]["as_of"]
    st.caption(page.t("page.as_of", date=numbers.day(day, page.lang)))
    st.html(TILE_CSS)
    preload()  # the chart and table code, while the reader looks at this page
    if st.session_state.pop("_filter_changed", False):
        st.html(CLOSE_SIDEBAR_ON_PHONE, unsafe_allow_javascript=True)
    if page.q(queries.sample_only).iloc[0][
        "sample"
    ]:  # a banner, not a caption: sample figures must never pass as official
        st.warning(page.t(for_reader("page.sample")), icon=":material/science:")
    return page
