"""Shared page setup: the warehouse connection, cached queries, sidebar filters in the URL, and drawing helpers."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import metrics
import queries
from etl import accounts, db, kinds, publish
from i18n import LANGUAGES, t
from ui import export, markdown, numbers

ROOT = Path(__file__).resolve().parent.parent

# Enumerations whose codes are stored; shown with their Chinese label in zh, made readable in en.
ENUMS = kinds.ENUMS

# Colours that mean the same thing on every page.
STATUS_COLOURS = {"completed": "#2e7d32", "in_progress": "#1f77b4", "planned": "#9e9e9e", "cancelled": "#d62728"}
FUND_COLOURS = {"raised": "#1f77b4", "used": "#ff7f0e", "balance": "#2e7d32"}
PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


# --- language and navigation


def default_lang() -> str:
    """The language when the URL names none: $DASHBOARD_LANG, else English."""
    lang = os.environ.get("DASHBOARD_LANG", "en")
    return lang if lang in LANGUAGES else "en"


def current_lang() -> str:
    """The language of this run: the sidebar choice, else the URL's `lang`, else the default."""
    lang = st.session_state.get("lang") or st.query_params.get("lang") or default_lang()
    return lang if lang in LANGUAGES else default_lang()


# --- who is signed in


def sign_in_required() -> bool:
    """True when nobody may see the dashboards without signing in (not open, $DASHBOARD_PUBLIC unset)."""
    return not accounts.is_open() and not accounts.public()


def _remote_ip() -> str | None:
    """The visitor's address, None on this computer (and in tests, where there is no connection)."""
    ip = st.context.ip_address
    return ip if isinstance(ip, str) and ip else None


def client_address() -> str:
    """The visitor's address as the server sees it (accounts.LOCAL_CLIENT on this computer)."""
    return _remote_ip() or accounts.LOCAL_CLIENT


def open_access_refusal() -> str | None:
    """With no accounts, why this visitor may not be served (a text key): the app listens beyond loopback,
    or the visitor is on another computer. None when serving is safe."""
    return accounts.open_access_refusal(st.get_option("server.address"), _remote_ip())


def current_user() -> accounts.User | None:
    """The user of this session, re-read from the accounts file each run (a removed account is signed out).

    With no accounts file the local operator has full rights (accounts.OPEN_USER), on this computer only.
    """
    if accounts.is_open():
        return None if open_access_refusal() else accounts.OPEN_USER
    name = st.session_state.get("_signed_in")
    return accounts.user(name) if name else None


def require_role(page: Page, role: str) -> accounts.User:
    """Stop the page unless the session's user holds `role` (a page reached by URL is checked here too)."""
    user = current_user()
    if user is None or not user.may(role):
        st.error(page.t("auth.forbidden", role=page.t(f"role.{role}")), icon=":material/lock:")
        st.stop()
    return user


def _sign_in_form(lang: str, key: str) -> None:
    with st.form(key, enter_to_submit=True, border=False):
        name = st.text_input(t("auth.name", lang), key=f"{key}_name", autocomplete="username")
        password = st.text_input(
            t("auth.password", lang), type="password", key=f"{key}_password", autocomplete="current-password"
        )
        if st.form_submit_button(t("auth.submit", lang), type="primary"):
            try:
                user = accounts.sign_in(working(), name, password, client=client_address())
            except accounts.TooManyAttempts:
                st.error(t("auth.paused", lang, minutes=accounts.FAILURE_WINDOW_MINUTES), icon=":material/timer:")
                return
            if user:
                st.session_state["_signed_in"] = user.name
                st.rerun()
            st.error(t("auth.failed", lang), icon=":material/error:")


def _account_sidebar(lang: str) -> None:
    """Who is signed in and a sign-out button; or a sign-in form; or, with no accounts, a note that the app is open."""
    if accounts.is_open():  # how to create the first admin is said where an admin works: the Data and Audit pages
        st.sidebar.caption(t("auth.open_short", lang), help=t("auth.open", lang))
        return
    user = current_user()
    if user is None:
        with st.sidebar.expander(t("auth.sign_in", lang), icon=":material/login:"):
            _sign_in_form(lang, "sidebar_sign_in")
        return
    st.sidebar.caption(markdown.t("auth.signed_in_as", lang, name=user.name, role=t(f"role.{user.role}", lang)))
    if st.sidebar.button(t("auth.sign_out", lang), icon=":material/logout:", key="sign_out"):
        st.session_state.pop("_signed_in", None)
        st.rerun()


def _sign_in_here(lang: str) -> None:
    """Instead of a page's content: the sign-in form (viewing needs a signed-in user and nobody is)."""
    st.title(t("app.title", lang))
    st.info(t("auth.required", lang), icon=":material/lock:")
    if accounts.mode() == "locked":  # no account can be read: say so (the details are for the server's admin)
        st.warning(t("auth.locked", lang), icon=":material/warning:")
    with st.container(border=True, width=420):
        _sign_in_form(lang, "page_sign_in")
    st.stop()


def _sign_in_page() -> None:
    """The only page in the navigation while viewing needs a signed-in user and nobody is."""
    _language_and_cursor()


def _refused_page() -> None:
    """The only page while the app has no accounts and this visitor or address is not this computer's."""
    lang = current_lang()
    st.title(t("app.title", lang))
    st.error(t(open_access_refusal() or "auth.open_remote", lang), icon=":material/lock:")


def navigation() -> st.navigation:
    """The page list for this session's role. Data (issue 4) and Presenter appear once their files exist."""
    lang = current_lang()
    user = current_user()
    st.session_state["_routed_by_app"] = True  # see _leave_legacy_multipage
    if open_access_refusal():
        return st.navigation([st.Page(_refused_page, title=t("app.title", lang), icon=":material/lock:")])
    if user is None and sign_in_required():
        return st.navigation(
            [st.Page(_sign_in_page, title=t("auth.sign_in", lang), icon=":material/login:", url_path="sign-in")]
        )
    may = {
        "presenter": True,
        "data": bool(user and user.may("analyst")),
        "review": bool(user and user.may("approver")),
        "audit": bool(user and user.may("admin")),
    }
    dashboard = [
        st.Page("pages/overview.py", title=t("nav.overview", lang), icon=":material/dashboard:", default=True),
        st.Page("pages/projects.py", title=t("nav.projects", lang), icon=":material/assignment:"),
        st.Page("pages/training.py", title=t("nav.training", lang), icon=":material/school:"),
        st.Page("pages/fund.py", title=t("nav.fund", lang), icon=":material/savings:"),
    ]
    extra = [
        st.Page(f"pages/{name}.py", title=t(f"nav.{name}", lang), icon=icon)
        for name, icon in (
            ("presenter", ":material/slideshow:"),
            ("data", ":material/upload_file:"),
            ("review", ":material/verified:"),
            ("audit", ":material/history:"),
        )
        if may[name] and (ROOT / "pages" / f"{name}.py").exists()
    ]
    sections = {t("nav.dashboard", lang): dashboard}
    if extra:
        sections[t("nav.manage", lang)] = extra
    return st.navigation(sections)


# --- warehouse and caches


@st.cache_resource(show_spinner=False)
def _bootstrap(path: str) -> bool:
    """Once per process: a fresh install gets the sample data (unless DASHBOARD_NO_SAMPLE is set), published."""
    con = db.connect(path, wait=db.lock_wait())
    try:
        if not os.environ.get("DASHBOARD_NO_SAMPLE"):
            from etl.bootstrap import ensure_sample

            ensure_sample(con)
        publish.ensure_published(con)  # the sample (or a warehouse from before publishing) is published at once
    finally:
        con.close()
    return True


def _warehouse(path: str) -> duckdb.DuckDBPyConnection:
    """A connection to the working warehouse, opened for a piece of work (an import, an undo, a publish, sign-in
    records, the draft view) and closed when that work is done: between runs the app holds no lock on the file,
    so the CLI can import while the app serves readers (who read published versions). Waits a bounded time for
    another process's work."""
    _bootstrap(path)
    return db.connect(path, wait=db.lock_wait())


def working() -> duckdb.DuckDBPyConnection:
    """A cursor on the working warehouse for this run, opened on first use and closed when the run ends
    (release_working, called by app.py after every page run)."""
    con = st.session_state.get("_working_con")
    if con is None:
        con = _warehouse(str(db.db_path()))
        st.session_state["_working_con"] = con
    return con.cursor()


def run(page: st.navigation) -> None:
    """Run the page; when the working warehouse stays busy (an import or publish in another process) beyond the
    bounded wait, say so instead of failing; close the run's working connection whatever happened."""
    try:
        page.run()
    except db.WarehouseLocked:
        st.error(t("warehouse.busy", current_lang()), icon=":material/hourglass_top:")
    finally:
        release_working()


def release_working() -> None:
    """Close this run's working connection, if it opened one (the file is free for other processes again)."""
    con = st.session_state.pop("_working_con", None)
    if con is not None:
        con.close()


@st.cache_resource(show_spinner=False, max_entries=8)
def _published(version_file: str) -> duckdb.DuckDBPyConnection:
    """A published version, opened read-only (immutable: any number of processes may read it)."""
    return duckdb.connect(version_file, read_only=True)


def published_cursor(version_file: Path) -> duckdb.DuckDBPyConnection:
    """A cursor on a published version (shared read-only connection)."""
    return _published(str(version_file)).cursor()


def _reader(path: str, lang: str, user: accounts.User | None) -> tuple[str, duckdb.DuckDBPyConnection, bool]:
    """What this run reads: (cache key, cursor, draft). Viewers read the current published version; analysts
    and above may switch to the working data (the draft view). With no accounts, a change is published at once."""
    _bootstrap(path)
    if accounts.is_open() and publish.changed_since_published(working()):  # one person's laptop: at once
        publish.publish(working(), accounts.OPEN_USER.name, note="auto (no accounts)")
    draft = bool(user and user.may("analyst")) and _draft_toggle(lang)
    version = None if draft else publish.current_file(Path(path))
    if version is None:  # nothing published yet (an empty warehouse), or the draft view
        return path, working(), draft
    return str(version), published_cursor(version), False


def _draft_toggle(lang: str) -> bool:
    """The sidebar switch between the published figures and the working (draft) data, for analysts and above."""
    return st.sidebar.toggle(t("publish.draft_view", lang), key="draft_view", help=t("publish.draft_help", lang))


@st.cache_data(show_spinner=False, max_entries=1000)
def _query(path: str, name: str, params: tuple, version: str, _con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    # `version` names the imports the run's snapshot holds, so a run that started before an import can never
    # leave its older figures in the cache for the runs after it
    return getattr(queries, name)(_con, **dict(params))


def _snapshot(con: duckdb.DuckDBPyConnection) -> str:
    """Start the run's read transaction (every query of the run sees the same data) and name its version."""
    con.execute("BEGIN TRANSACTION")
    seq, undone = con.execute(
        "SELECT coalesce(max(seq), 0), count(*) FILTER (WHERE status = 'undone') FROM import_batches"
    ).fetchall()[0]
    return f"{seq}.{undone}"


def clear_caches() -> None:
    """Forget every cached query result (call after an import or an undo)."""
    _query.clear()


# --- sidebar filters, kept in the URL


def _commit(key: str, widget_key: str) -> None:
    st.session_state[key] = st.session_state[widget_key]
    st.session_state["_filter_changed"] = True  # on a phone the sidebar closes to show the result (setup)


# On a phone the sidebar covers the page: after a filter change, close it so the reader sees what changed.
# Streamlit has no call for this (initial_sidebar_state collapses on desktops but leaves a phone's open), so the
# page clicks the sidebar's own close button, only on narrow screens and only in the run after the change.
CLOSE_SIDEBAR_ON_PHONE = """<script>
if (window.matchMedia("(max-width: 640px)").matches) {
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close) close.click();
}
</script>"""


ALL = "all"  # the "no filter" choice (a selectbox shows None as an empty placeholder)


def _choice(
    key: str, options: list, default: object, label: str, fmt: Callable[[object], str], *, keep_default: bool = False
) -> object:
    """A sidebar selectbox whose value lives in st.session_state[key] and in the URL's ?key=.

    The default is left out of the URL unless keep_default (for a default that depends on the data).
    """
    if key not in st.session_state:  # first run of a session: the link decides
        wanted = st.query_params.get(key)
        st.session_state[key] = next((o for o in options if str(o) == wanted), default)
    if st.session_state[key] not in options:
        st.session_state[key] = default
    widget_key = f"_{key}_widget"
    st.session_state[widget_key] = st.session_state[key]  # re-seeded each run, so it survives page switches
    st.sidebar.selectbox(label, options, key=widget_key, format_func=fmt, on_change=_commit, args=(key, widget_key))
    value = st.session_state[key]
    if value == default and not keep_default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)
    return None if value == ALL else value


# --- the page


@dataclass
class Page:
    """What a page needs: the run's cursor, language and filters, and helpers that draw consistently."""

    con: duckdb.DuckDBPyConnection  # reads: one snapshot for the whole run (a published version, or the draft)
    path: str  # the working warehouse (writes go there)
    lang: str
    year: int | None
    community: str | None
    counts: dict[str, int] | None = None  # rows per table (queries.has_data)
    version: str = ""  # which imports the snapshot holds; part of every cached query's key
    source: str = ""  # what the run reads (the published version's file, or the working warehouse)
    draft: bool = False  # the run reads the working data (unpublished imports included)

    def writer(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for an import, an undo or an audit record (the run's cursor only reads)."""
        return working()

    @property
    def empty_warehouse(self) -> bool:
        return not self.counts or sum(self.counts.values()) == 0

    def t(self, key: str, **params: object) -> str:
        """Text in the page's language."""
        return t(key, self.lang, **params)

    def md(self, key: str, **params: object) -> str:
        """Text in the page's language for Markdown (captions, alerts, labels): string parameters shown literally."""
        return markdown.t(key, self.lang, **params)

    def q(self, fn: Callable[..., pd.DataFrame], **params: object) -> pd.DataFrame:
        """Run a query function (cached), passing the page's year and community filters when it takes them."""
        accepted = inspect.signature(fn).parameters
        for name in ("year", "community"):
            if name in accepted and name not in params:
                params[name] = getattr(self, name)
        return _query(self.source or self.path, fn.__name__, tuple(sorted(params.items())), self.version, self.con)

    # --- words for values

    def label(self, enum: str, code: object) -> str:
        """An enumeration code as the reader should see it: its Chinese label in zh, readable English in en."""
        if code is None or (isinstance(code, float) and pd.isna(code)) or code is pd.NA:
            return self.t("common.unspecified")
        code = str(code)
        if self.lang == "zh":
            return ENUMS[enum].get(code, code)
        return code.replace("_", " ").capitalize()

    def labelled(self, frame: pd.DataFrame, **enums: str) -> pd.DataFrame:
        """A copy with the given columns' codes replaced by labels (missing stays missing): labelled(df, key="program")."""
        out = frame.copy()
        for column, enum in enums.items():
            out[column] = [None if pd.isna(v) else self.label(enum, v) for v in out[column]]
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
        goals = self.q(queries.targets)
        match = goals.loc[goals["metric"] == metric, "target"]
        return float(match.iloc[0]) if len(match) else None

    def period(self) -> str:
        """'2023' or 'all years', for captions."""
        return str(self.year) if self.year is not None else self.t("filter.all_years")

    # --- drawing

    def empty(self, key: str = "empty.filtered") -> None:
        """A helpful empty state instead of an empty axis."""
        st.info(self.t(key), icon=":material/info:")

    def about(self) -> export.About:
        """What a download from this run is taken with: language, filters, the as-of date, sample data or not."""
        if self.empty_warehouse:
            return export.About(self.lang, self.year, self.community)
        as_of = self.q(queries.as_of).iloc[0]["as_of"]
        sample = bool(self.q(queries.sample_only).iloc[0]["sample"])
        return export.About(self.lang, self.year, self.community, None if pd.isna(as_of) else as_of, bool(sample))

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
        """CSV and Excel downloads of `frame` that stand alone (ui/export.py): headers and labels in the reader's
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
            options = {"heading": title, "headers": headers, "formats": formats, "scope": scope}
            return export.build(data, name, about, label=self.label, **options)

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

    def chart(self, fig: go.Figure, data: pd.DataFrame, name: str, *, height: int = 380, legend_rows: int = 0) -> None:
        """A Plotly chart that fits any width (legend below, PNG via its toolbar) and its data downloads.

        legend_rows: room to leave under the plot for a horizontal legend (it wraps on a phone).
        """
        fig.update_layout(
            height=height,
            margin={"l": 8, "r": 8, "t": 16, "b": 8 + 28 * legend_rows},
            legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "title": None},
            separators=".,",
        )
        legible(fig)
        png = export.file_stem(name, self.about(), export.spec(name).scope)  # the PNG is named like the data files
        config = {**PLOTLY_CONFIG, "toImageButtonOptions": {**PLOTLY_CONFIG["toImageButtonOptions"], "filename": png}}
        st.plotly_chart(markdown.plotly_safe(fig), width="stretch", config=config, key=f"chart_{name}")
        self.downloads(data, name)

    def table(self, frame: pd.DataFrame, name: str, columns: dict[str, str], **config: object) -> None:
        """A sortable table with translated headers (columns: field -> text key) and its downloads."""
        shown = frame[list(columns)].rename(columns={c: self.t(k) for c, k in columns.items()})
        text = [c for c in shown.columns if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c])]
        shown[text] = shown[text].fillna("")  # a blank cell, not the word "None"
        dates = {
            c: st.column_config.DateColumn(format=numbers.DATE_FORMAT[self.lang]) for c in columns if c.endswith("date")
        }
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={self.t(columns[c]): v for c, v in {**dates, **config}.items()},
        )
        self.downloads(frame[list(columns)], name, headers={c: self.t(k) for c, k in columns.items()})


# Tiles read from a phone and from the back of a meeting room: two to a line on a phone (the fund within two
# screens), labels that wrap instead of being cut, larger type on a 1920 px screen. Streamlit's own classes are
# the only hooks: the keys of kpi_tiles' containers (st-key-kpis_<n>_…, st-key-tile_<code>) scope every rule.
TILE_CSS = """<style>
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
  [data-testid="stMain"] h3 { font-size: 1.2rem; }
  [data-testid="stMain"] [data-testid="stAlertContainer"] p { font-size: 0.875rem; }
}
@media (min-width: 1600px) {
  div[class*="st-key-tile_"] [data-testid="stMetricLabel"] p { font-size: 1.1rem; }
  div[class*="st-key-tile_"] [data-testid="stMetricValue"] { font-size: 2.6rem; }
  div[class*="st-key-tile_"] [data-testid="stCaptionContainer"] p { font-size: 1rem; }
}
</style>"""


CHART_TEXT = {"size": 14, "color": "#31333f"}  # ≥ 14 px and dark: read from the back of a meeting room


def legible(fig: go.Figure) -> go.Figure:
    """Chart text at least 14 px and dark (ticks, legend, labels), unless a chart asked for larger."""
    fig.update_layout(font={"size": max(fig.layout.font.size or 0, CHART_TEXT["size"]), "color": CHART_TEXT["color"]})
    for axis in (*fig.select_xaxes(), *fig.select_yaxes()):
        axis.tickfont.size = max(axis.tickfont.size or 0, CHART_TEXT["size"])
        axis.tickfont.color = CHART_TEXT["color"]
    return fig


def _change(page: Page, unit: str, change: float) -> str:
    if unit == "percent":
        return page.t("kpi.points", points=f"{change * 100:+.1f}")
    return numbers.signed(numbers.by_unit(unit, change, page.lang), change)


def kpi_tiles(page: Page, frame: pd.DataFrame, codes: tuple[str, ...], per_row: int = 4) -> None:
    """One bordered tile per catalogue metric (metrics.py): value, change against the same dates a year before,
    the full-year target with the pace expected by the as-of date, and how far it is reached.

    A town-wide metric shown while a community is selected says 全镇 / town-wide in its label.
    """
    rows = {r["metric"]: r for r in frame.to_dict("records")}
    # one wrapping line of tiles (TILE_CSS): up to `per_row` on a laptop, two on a phone, never a lone column
    line = st.container(horizontal=True, gap="small", key=f"kpis_{per_row}_{codes[0]}")
    for code in codes:
        row, metric = rows[code], metrics.METRICS[code]
        value, previous, target, expected = (
            None if pd.isna(row[k]) else float(row[k]) for k in ("value", "previous", "target", "expected")
        )
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
                delta_description=None if change is None else page.t(versus, year=page.year - 1),
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
                if row["partial"] and expected is not None and metric.kind == "flow":
                    notes.append(page.t("kpi.pace", expected=numbers.by_unit(metric.unit, expected, page.lang)))
            elif metric.target:
                reason = "kpi.no_target_all_years" if page.year is None else "kpi.no_target"
                notes.append(page.t("kpi.no_target_community" if page.community and page.year else reason))
            st.caption(" · ".join(notes) if notes else "\u00a0")
            paced = row["partial"] and metric.kind == "flow"
            goal = expected if paced else target
            if goal and value is not None:
                share = value / goal
                key = "kpi.reached_pace" if paced else ("kpi.reached_so_far" if row["partial"] else "kpi.reached")
                st.progress(min(max(share, 0.0), 1.0), text=page.t(key, share=numbers.percent(share)))


def _headers(table: str, columns: list[str], lang: str) -> dict[str, str]:
    """A stored table's columns as the reader's spreadsheets name them (Chinese headers in zh)."""
    kind = kinds.KINDS.get(table)
    names = {c.name: (c.zh if lang == "zh" else c.name) for c in kind.columns} if kind else {}
    extra = {"person_times": t("drill.col.person_times", lang), "trained": t("drill.col.trained", lang)}
    return {c: names.get(c) or extra.get(c) or c for c in columns}


DRILL_ROWS = 1000  # rows of a figure shown on the page; the downloads hold them all


def drilldown(page: Page, codes: tuple[str, ...]) -> None:
    """查看明细: pick a figure, see the stored rows it counts (downloadable) and the files and batches they came from."""
    with st.expander(page.t("drill.title"), icon=":material/table_rows:"):
        by_label = {metrics.METRICS[c].label(page.lang): c for c in codes}  # options as the reader reads them
        code = by_label[st.selectbox(page.t("drill.pick"), list(by_label), key="drill_metric")]
        metric = metrics.METRICS[code]
        st.caption(metric.explain(page.lang))
        if page.community and metric.scope == "town":
            st.caption(page.t("drill.town_wide"))
        for part, spec in enumerate(metrics.RECORDS[code]):
            rows = page.q(queries.metric_rows, code=code, part=part, limit=DRILL_ROWS)
            count = int(page.q(queries.metric_row_count, code=code, part=part).iloc[0]["rows"])
            st.markdown(page.md("drill.rows", n=f"{count:,}", table=page.t(f"kind.{spec.table}"), shown=DRILL_ROWS))
            headers = _headers(spec.table, list(rows.columns), page.lang)
            st.dataframe(rows.rename(columns=headers), hide_index=True, width="stretch")
            filters = {"year": page.year, "community": page.community}

            def every_row(code=code, part=part, headers=headers, filters=filters) -> pd.DataFrame:
                # fetched when the download is clicked, through a cursor of its own (the run's has ended)
                return queries.metric_rows(page.writer(), code=code, part=part, **filters).rename(columns=headers)

            page.downloads(every_row, f"{code}_{spec.table}")
        origin = page.q(queries.metric_sources, code=code)
        files = [
            page.t("drill.source", file=r["file_name"], batch=r["batch_id"], n=f"{r['rows']:,}")
            for r in origin.to_dict("records")
        ]
        st.caption(
            markdown.escape(page.t("drill.sources") + ("；" if page.lang == "zh" else "; ").join(files or ["—"]))
        )


def attention_list(page: Page, frame: pd.DataFrame, limit: int = 8) -> None:
    """The "needs attention" list: one line per issue, the most urgent kinds first, the rest in an expander."""
    if frame.empty:
        st.success(page.t("attention.none"), icon=":material/check_circle:")
        return

    def line(r: dict) -> str:
        value = r["value"]
        if r["issue"] == "low_coverage":
            value, threshold = numbers.percent(value), numbers.percent(r["threshold"])
        else:
            value, threshold = numbers.number(value, 1), numbers.number(r["threshold"])
        return "- " + markdown.t(
            f"attention.{r['issue']}",
            page.lang,
            subject=str(r["subject"]),
            community=str(r["community"] or ""),
            value=value,
            threshold=threshold,
        )

    order = {"low_balance": 0, "stalled": 1, "late": 2, "low_coverage": 3}
    rows = sorted(frame.to_dict("records"), key=lambda r: order.get(r["issue"], 9))
    st.markdown("\n".join(line(r) for r in rows[:limit]))
    if len(rows) > limit:
        with st.expander(page.t("attention.more", count=len(rows) - limit)):
            st.markdown("\n".join(line(r) for r in rows[limit:]))


def sankey(page: Page, flows: pd.DataFrame) -> go.Figure:
    """Donor types -> spending categories (and the unspent balance), drawn from queries.fund_flows."""
    sources = [page.label("donor_type", s) for s in flows["source"]]
    targets = [
        page.t("fund.unspent") if b else page.label("category", c)
        for c, b in zip(flows["target"], flows["is_balance"], strict=True)
    ]
    nodes = list(dict.fromkeys(sources)) + [n for n in dict.fromkeys(targets) if n not in sources]
    index = {n: i for i, n in enumerate(nodes)}
    money = [page.money(a) for a in flows["amount"]]
    palette = px.colors.qualitative.Safe
    colours = [palette[i % len(palette)] for i in range(len(nodes))]
    if page.t("fund.unspent") in index:
        colours[index[page.t("fund.unspent")]] = "#9e9e9e"

    def faint(hex_colour: str) -> str:
        r, g, b = px.colors.hex_to_rgb(hex_colour) if hex_colour.startswith("#") else px.colors.unlabel_rgb(hex_colour)
        return f"rgba({r:.0f},{g:.0f},{b:.0f},0.35)"

    return go.Figure(
        go.Sankey(
            valueformat=",.0f",
            node={
                "label": nodes,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "line": {"width": 0},
                "hovertemplate": "%{label}<extra></extra>",
            },
            link={
                "source": [index[s] for s in sources],
                "target": [index[x] for x in targets],
                "value": flows["amount"].tolist(),
                "color": [faint(colours[index[s]]) for s in sources],
                "customdata": money,
                "hovertemplate": "%{source.label} → %{target.label}: %{customdata}<extra></extra>",
            },
            textfont={"color": "#262730", "size": 12, "shadow": "none"},
        )
    )


def _leave_legacy_multipage() -> None:
    """Run through app.py's st.navigation even when a server's first visitor opens a page's URL directly.

    Streamlit treats an app with a pages/ folder as a legacy multipage app until st.navigation has run once;
    until then a direct link runs the page script alone (no app.py, a file-name sidebar). Switch that off and rerun.
    """
    if PagesManager.uses_pages_directory and not st.session_state.get("_routed_by_app"):
        PagesManager.uses_pages_directory = False
        st.rerun()


def _language_and_cursor() -> tuple[str, str, duckdb.DuckDBPyConnection]:
    """The language switch, the run's cursor, and sign-in: a page that needs a user and has none stops here."""
    lang = _choice(
        "lang", list(LANGUAGES), default_lang(), "语言 / Language", lambda v: {"zh": "中文", "en": "English"}[v]
    )
    path = str(db.db_path())
    if open_access_refusal():  # a page reached by URL is refused here too
        _refused_page()
        st.stop()
    if current_user() is None and sign_in_required():
        _sign_in_here(lang)  # checked on every page run, whichever way the page was reached
    _account_sidebar(lang)
    return lang, path, None


def setup(title_key: str) -> Page:
    """Every page starts here: sidebar filters, the run's cursor, the title and the data's as-of line."""
    _leave_legacy_multipage()
    lang, path, _ = _language_and_cursor()
    source, con, draft = _reader(path, lang, current_user())
    version = _snapshot(con)
    years = _query(source, "years", (), version, con)["year"].astype(int).tolist()
    year = _choice(
        "year",
        [*years, ALL],
        int(_query(source, "default_year", (), version, con)["year"].iloc[0]) if years else ALL,
        t("filter.year", lang),
        lambda v: t("filter.all_years", lang) if v == ALL else str(v),
        keep_default=True,
    )
    names = _query(source, "communities", (), version, con)["community"].tolist()
    community = _choice(
        "community",
        [ALL, *names],
        ALL,
        t("filter.community", lang),
        lambda v: t("filter.all_communities", lang) if v == ALL else v,
    )
    counts = _query(source, "has_data", (), version, con).iloc[0]
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
    if st.session_state.pop("_filter_changed", False):
        st.html(CLOSE_SIDEBAR_ON_PHONE, unsafe_allow_javascript=True)
    if page.q(queries.sample_only).iloc[0][
        "sample"
    ]:  # a banner, not a caption: sample figures must never pass as official
        st.warning(page.t("page.sample"), icon=":material/science:")
    return page


# --- charts in the reader's language, one unit per chart (issue 14)


def readable(
    fig: go.Figure,
    page: Page,
    *,
    unit: str = "count",
    months: str | None = None,
    labels: bool = False,
    detail: list[str] | None = None,
) -> go.Figure:
    """Every chart's ticks, labels and hover in the reader's words and in one unit (returns the same figure).

    unit: of the values (count | hours | decimal | percent | yuan). A money chart counts in 万 in Chinese (values
      drawn in 万: ticks '20万', labels '43.18万', the axis titled '金额（万元）') and in '¥431,800' in English.
    months: the axis ("x" or "y") holding month dates: its ticks read '2023年4月', '5月' (zh) or 'Apr 2023', 'May'
      (en) from numbers.month_ticks, never Plotly's own English dates.
    labels: write each value on its bar or point, in the same words as the axis.
    detail: a further text per point for the hover (one series), e.g. '6 / 7'.
    Hover reads '<category>: <value>', with the series' name when there are several.
    """
    lang, scale = page.lang, numbers.money_scale(page.lang) if unit == "yuan" else 1

    def say(x: float) -> str:
        return numbers.chart_money(x, lang) if unit == "yuan" else numbers.by_unit(unit, x, lang)

    month_values: set = set()
    for trace in fig.data:
        value_axis = "x" if getattr(trace, "orientation", None) == "h" else "y"
        category_axis = "y" if value_axis == "x" else "x"
        raw = trace[value_axis] if trace[value_axis] is not None else ()
        values = [None if pd.isna(v) else float(v) for v in raw]
        categories = list(trace[category_axis]) if trace[category_axis] is not None else [""] * len(values)
        if category_axis == months:
            stamps = [pd.Timestamp(c).date() for c in categories]
            month_values.update(stamps)
            categories = [numbers.month(d, lang) for d in stamps]
        words = [say(v) for v in values]
        several = len(fig.data) > 1 and trace.name
        colon = "：" if lang == "zh" else ": "
        hover = [
            f"{trace.name} · {c}{colon}{w}" if several else f"{c}{colon}{w}"
            for c, w in zip(categories, words, strict=True)
        ]
        if detail is not None:
            hover = [f"{h} ({d})" for h, d in zip(hover, detail, strict=True)]
        trace.update(hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")
        if labels:
            trace.update(text=words, texttemplate="%{text}")
        if scale != 1:
            trace[value_axis] = [None if v is None else v / scale for v in values]
    value_axis = "xaxis" if fig.data and getattr(fig.data[0], "orientation", None) == "h" else "yaxis"
    if unit == "yuan":
        if lang == "zh":
            fig.layout[value_axis].update(ticksuffix="万", tickprefix="", tickformat=",.2~f")
        else:
            fig.layout[value_axis].update(tickprefix="¥", ticksuffix="", tickformat=",.0f")
        fig.layout[value_axis].title.text = page.t("chart.money_axis")
    elif unit == "percent":
        fig.layout[value_axis].update(tickformat=".0%")
    if months:
        ticks, texts = numbers.month_ticks(sorted(month_values), lang, most=6)  # level and whole at 390 px too
        fig.layout[f"{months}axis"].update(
            tickmode="array", tickvals=[d.isoformat() for d in ticks], ticktext=texts, title={"text": ""}
        )
    return fig


def donut(
    page: Page,
    labels: list[str],
    values: list[float],
    *,
    unit: str = "count",
    colours: dict[str, str] | None = None,
    inside: str = "percent",
    small: float = 0.05,
) -> go.Figure:
    """A donut whose small slices stay readable: every slice's value and share in the legend ('已取消 2（0.8%）'),
    and text inside only the slices of at least `small` of the whole (`inside`: their "percent" or "value"), so
    thin slices never carry labels that overlap."""
    total = float(sum(values)) or 1.0

    def say(x: float) -> str:
        return numbers.chart_money(x, page.lang) if unit == "yuan" else numbers.by_unit(unit, x, page.lang)

    shares = [float(v) / total for v in values]
    opening, closing = ("（", "）") if page.lang == "zh" else (" (", ")")
    legend = [
        f"{n} {say(v)}{opening}{numbers.percent(s)}{closing}" for n, v, s in zip(labels, values, shares, strict=True)
    ]
    text = [
        (numbers.percent(s) if inside == "percent" else say(v)) if s >= small else ""
        for v, s in zip(values, shares, strict=True)
    ]
    marker = {"colors": [colours.get(n, "#9e9e9e") for n in labels]} if colours else {}  # else the theme's colours
    return go.Figure(
        go.Pie(
            labels=legend,
            values=list(values),
            hole=0.5,
            sort=False,
            direction="clockwise",
            marker=marker,
            text=text,
            textinfo="text",
            textposition="inside",
            insidetextorientation="horizontal",
            hovertemplate="%{label}<extra></extra>",
        )
    )
