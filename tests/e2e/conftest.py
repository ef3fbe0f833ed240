"""Browser tests: a real `streamlit run` on a free loopback port, driven by Debian's Chromium.

The browser and one shared server (on a fresh warehouse) are started once per test module and stopped when it
ends: the tests after it (AppTest ones included) must not run beside an idle Chromium and server, nor with
Playwright's event loop marked running in the main thread. Each test gets its own browser context (its own
Streamlit session). A journey that changes the warehouse starts a server of its own (`own_server`), so every
journey stands alone and they pass in any order. A failing test leaves a full-page screenshot in
test-output/e2e/<test>.png, and E2E_SCREENSHOTS=1 saves every page a test visits.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from presenter.report import CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    *CHROMIUM_FLAGS,
    "--disable-dev-shm-usage",  # containers often give /dev/shm 64 MB, too little for a tab with many charts
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 90
TIMEOUT_MS = 60_000  # the first run of a fresh server loads the sample workbooks

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
# An element left over from an earlier run, or one whose component is still loading: Streamlit loads most element
# components lazily and shows a skeleton meanwhile, which can outlast the run (seen: 19 tiles drawn after the run).
UNSETTLED = '[data-testid="stElementContainer"][data-stale="true"], [data-testid="stSkeleton"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# Plotly's drawn marks: bars and markers (.point), lines, filled areas, pie slices, sankey links, heatmaps.
MARKS = ".point, .js-line, .js-fill, .slice, .sankey-link, .hm"


# --- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


class Server(str):
    """The base URL, knowing the warehouse file the server owns (and the batches loaded before it started)."""

    db: Path
    batches: list[str]


def _server_env(folder: Path) -> dict[str, str]:
    """The app's environment, in English: its own warehouse, and no accounts file (the app runs open, as a fresh
    install does: the accounts file is looked for beside the warehouse), no sample switched off, not public."""
    env = {
        **os.environ,
        "DASHBOARD_DB": str(folder / "warehouse.duckdb"),
        "DASHBOARD_LANG": "en",
        "PYTHONUNBUFFERED": "1",  # the server's "URL:" line must reach us when it is printed
    }
    for name in ("DASHBOARD_ACCOUNTS", "DASHBOARD_NO_SAMPLE", "DASHBOARD_PUBLIC"):
        env.pop(name, None)
    return env


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[Server]:
    """`streamlit run app.py` on a free loopback port against folder/warehouse.duckdb; yields the base URL once
    the server has announced it is listening and answers its health check."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",  # files edited during a run must not rerun the app under the test
    ]
    out, err = folder / "server.out", folder / "server.err"
    listening = threading.Event()

    def read_stdout(stream: IO[bytes]) -> None:
        """Copy the server's stdout to server.out; note when it prints its URL (or ends: it has exited)."""
        with stream, out.open("wb") as copy:
            for line in stream:
                copy.write(line)
                copy.flush()
                if f"URL: http://127.0.0.1:{port}".encode() in line:
                    listening.set()
        listening.set()

    with err.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=_server_env(folder), stdout=subprocess.PIPE, stderr=stderr)
    threading.Thread(target=read_stdout, args=(process.stdout,), daemon=True).start()
    base = Server(f"http://127.0.0.1:{port}")
    base.db, base.batches = folder / "warehouse.duckdb", []
    try:
        if not listening.wait(timeout=STARTUP_SECONDS):
            pytest.fail(f"streamlit did not print its URL within {STARTUP_SECONDS} s.\nstderr:\n{_tail(err)}")
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with code {process.returncode} before answering.\nstderr:\n{_tail(err)}")
        # Streamlit prints the URL once uvicorn has started (the runtime with it): the health check must pass now.
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=30) as response:
                health = response.read().decode().strip()
        except OSError as exc:
            health = f"no answer ({exc})"
        assert health == "ok", f"{base}/_stcore/health: {health}.\nstderr:\n{_tail(err)}"
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared server, on a fresh (empty) warehouse: the app loads the sample itself, as on a fresh install.

    Journeys that change the warehouse must not use it (see `own_server`): the others may run in any order.
    """
    with _serve(tmp_path_factory.mktemp("e2e")) as base:
        yield base


@pytest.fixture
def own_server(tmp_path: Path, sample_file: Path) -> Iterator[Callable[..., Server]]:
    """Start a server of this test's own, for a journey that changes the warehouse: `own_server(*workbooks)`.

    Its warehouse is a copy of the sample warehouse (built once per session by tests/conftest.py, as the app's
    first start builds it), with `workbooks` loaded through the CLI (`python -m etl load`, user "e2e") before
    the app starts. The servers stop when the test ends.
    """
    with contextlib.ExitStack() as stack:

        def start(*workbooks: Path) -> Server:
            folder = Path(tempfile.mkdtemp(prefix="server-", dir=tmp_path))
            shutil.copy(sample_file, folder / "warehouse.duckdb")
            batches = []
            if workbooks:
                load = [
                    "load",
                    *map(str, workbooks),
                    "--db",
                    str(folder / "warehouse.duckdb"),
                    "--user",
                    "e2e",
                    "--json",
                ]
                done = subprocess.run(
                    [sys.executable, "-m", "etl", *load],
                    cwd=ROOT,
                    env=_server_env(folder),
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert done.returncode == 0, f"loading {workbooks} failed:\n{done.stdout}\n{done.stderr}"
                batches = [f["batch_id"] for f in json.loads(done.stdout)["files"]]
            base = stack.enter_context(_serve(folder))
            base.batches = batches
            return base

        yield start


@pytest.fixture
def donated(own_server: Callable[..., Server], tmp_path: Path) -> tuple[Server, str]:
    """A server of this test's own: the sample plus a ¥10,000 donation loaded with the CLI before the app starts;
    with the id of that batch (for the journeys that undo it)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "捐赠"
    book.active.append(["捐赠编号", "捐赠日期", "金额(元)"])
    book.active.append(["E2E-D001", "2023-12-20", 10000])
    path = tmp_path / "e2e-donation.xlsx"
    book.save(path)
    server = own_server(path)
    assert len(server.batches) == 1, server.batches
    return server, server.batches[0]


# --- the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (no browser download); missing Chromium fails, never skips."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
            "Install it with `apt-get install chromium` (scripts/test.sh does this)."
        )
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


class App:
    """One browser tab on the dashboard, with the waits and readings the journeys share."""

    def __init__(self, context: BrowserContext, base: str, test_name: str) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.base = base
        self.test_name = test_name
        self.visits = 0

    # --- moving around
    #
    # Nothing here waits for a fixed time. An action waits for a sign that the script run it caused has begun (a
    # new page's heading, a URL, an element that run draws), then for `settle`: no run in progress and nothing
    # left over from an earlier run. Readings then wait for what they read (tiles, table cells, chart marks).

    def settle(self) -> None:
        """Wait until no script run is in progress, nothing is left over from an earlier run and every element's
        component has loaded (checked together, in one look at the page)."""
        self.page.wait_for_function(
            "([idle, unsettled]) => !!document.querySelector(idle) && !document.querySelector(unsettled)",
            arg=[IDLE, UNSETTLED],
            timeout=TIMEOUT_MS,
        )

    def visit(self, url: str, label: str) -> None:
        """Load a URL (a new Streamlit session): wait for the page's heading, which its first run draws."""
        self.page.goto(url)
        self.page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
        self.settle()
        self.snap(label)

    def open(self, path: str = "", query: str = "") -> None:
        """Load a page by its path in the app."""
        self.visit(f"{self.base}/{path}" + (f"?{query}" if query else ""), path or "overview")

    def reload(self) -> None:
        self.page.reload()
        self.page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
        self.settle()
        self.snap("reloaded")

    def nav_links(self) -> dict[str, str]:
        """The sidebar's page links: title -> href."""
        links = self.page.locator('[data-testid="stSidebarNavLink"]')
        links.first.wait_for(state="attached")
        return {_link_title(a.inner_text()): a.get_attribute("href") for a in links.all()}

    def go(self, title: str) -> None:
        """Click a page's link in the sidebar, as a user does (nothing to do when the tab shows that page)."""
        link = self.page.locator('[data-testid="stSidebarNavLink"]').filter(
            has=self.page.get_by_text(title, exact=True)
        )
        path = urlparse(link.get_attribute("href")).path
        if urlparse(self.page.url).path == path:
            return
        heading = self.page.locator("h1").first
        before = heading.inner_text() if heading.count() else None
        link.click()
        self.page.wait_for_url(lambda url: urlparse(url).path == path, timeout=TIMEOUT_MS)
        # the new page's run has replaced the old page's content, not just the URL
        self.page.wait_for_function(
            "old => { const h = document.querySelector('h1'); return h && h.innerText !== old; }",
            arg=before,
            timeout=TIMEOUT_MS,
        )
        self.settle()
        self.snap(title)

    # --- reading what the user sees

    def main_text(self) -> str:
        return self.page.locator('[data-testid="stMain"]').inner_text()

    def kpis(self) -> dict[str, str]:
        """Every KPI tile on the page: its label -> the value as drawn."""
        metrics = self.page.locator('[data-testid="stMetric"]')
        metrics.first.wait_for()
        return {
            m.locator('[data-testid="stMetricLabel"]').inner_text().strip(): m.locator(
                '[data-testid="stMetricValue"]'
            ).inner_text()
            for m in metrics.all()
        }

    def errors(self) -> list[str]:
        """The text of every exception and error box on the page."""
        return [e.inner_text().strip()[:500] for e in self.page.locator(ERRORS).all()]

    def table(self, dataframe: Locator) -> list[list[str]]:
        """The body rows of a st.dataframe as text (read from the grid's accessible table)."""
        dataframe.locator('[role="row"] [role="gridcell"]').first.wait_for(state="attached")
        return dataframe.evaluate(
            """df => [...df.querySelectorAll('[role="row"]')]
                .map(row => [...row.querySelectorAll('[role="gridcell"]')].map(cell => cell.innerText.trim()))
                .filter(cells => cells.length)"""
        )

    def table_after(self, text: str) -> list[list[str]]:
        """The rows of the first dataframe drawn after an element containing `text`."""
        anchor = self.page.get_by_text(text, exact=False).first
        anchor.wait_for()
        frames = self.page.locator('[data-testid="stDataFrame"]')
        frames.first.wait_for()
        for frame in frames.all():
            follows = anchor.evaluate("(a, f) => !!(a.compareDocumentPosition(f) & 4)", frame.element_handle())
            if follows:
                return self.table(frame)
        raise AssertionError(f"no table after {text!r}")

    def charts(self) -> list[dict]:
        """Each Plotly chart on the page: how many SVG layers and drawn marks it has."""
        return self.page.evaluate(
            """marks => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map((el, i) => {
                const plot = el.querySelector('.js-plotly-plot');
                const heading = [...document.querySelectorAll('h2, h3, h4, [data-testid="stMarkdown"] strong')]
                    .filter(h => h.compareDocumentPosition(el) & 4).pop();
                return {index: i, after: heading ? heading.innerText.trim() : '',
                        svg: plot ? plot.querySelectorAll('.main-svg').length : 0,
                        marks: plot ? plot.querySelectorAll(marks).length : 0};
            })""",
            MARKS,
        )

    def wait_for_charts(self, at_least: int = 0, timeout_ms: int = 20_000) -> list[dict]:
        """Wait (bounded) until at least `at_least` Plotly charts are on the page and every one has drawn its
        marks (a page still rerunning has none yet, and "every" of none is true); return what was drawn."""
        with contextlib.suppress(PlaywrightTimeout):  # the caller's assertion on the readings says what is missing
            self.page.wait_for_function(
                """([marks, atLeast]) => {
                    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
                    return charts.length >= atLeast && charts.every(el => {
                        const plot = el.querySelector('.js-plotly-plot');
                        return plot && plot.querySelector('.main-svg') && plot.querySelector(marks);
                    });
                }""",
                arg=[MARKS, at_least],
                timeout=timeout_ms,
            )
        return self.charts()

    def overflow(self) -> dict[str, int]:
        """The main area's scroll width against its visible width."""
        return self.page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return {scrollWidth: m.scrollWidth, clientWidth: m.clientWidth}; }"""
        )

    # --- screenshots

    def screenshot(self, path: Path) -> Path:
        """A full-page screenshot: Streamlit scrolls inside stMain, so grow the viewport to its height first."""
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size or DESKTOP
        height = self.page.evaluate(
            "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
            " return m ? m.scrollHeight : document.body.scrollHeight; }"
        )
        tall = max(size["height"], min(int(height), 20_000))
        self.page.set_viewport_size({"width": size["width"], "height": tall})
        # the page has taken the new size and drawn a frame at it
        self.page.wait_for_function("h => window.innerHeight === h", arg=tall, timeout=TIMEOUT_MS)
        self.page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(size)
        return path

    def snap(self, label: str) -> None:
        """With E2E_SCREENSHOTS=1, save the page as it is now (test-output/e2e/<test>-<nn>-<label>.png)."""
        if os.environ.get("E2E_SCREENSHOTS") != "1":
            return
        self.visits += 1
        self.screenshot(OUTPUT / f"{_slug(self.test_name)}-{self.visits:02d}-{_slug(label)}.png")


def _link_title(text: str) -> str:
    # A nav link's text is the Material icon's ligature name, then the title.
    return text.strip().splitlines()[-1].strip()


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "page"


@pytest.fixture
def tab(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., App]]:
    """Open tabs on a server: `tab(server, viewport=DESKTOP)`, each its own browser context (Streamlit session)."""
    contexts: list[BrowserContext] = []

    def open_tab(server: str, viewport: dict = DESKTOP) -> App:
        context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        app = App(context, server, request.node.name)
        request.node.e2e_app = app  # for the screenshot on failure
        return app

    try:
        yield open_tab
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def app(tab: Callable[..., App], server: Server) -> App:
    """A fresh desktop tab (its own Streamlit session) on the shared server."""
    return tab(server)


@pytest.fixture
def phone(tab: Callable[..., App], server: Server) -> App:
    """A fresh phone-sized tab (390×844) on the shared server."""
    return tab(server, PHONE)


HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder drives a real browser: all of them are marked e2e (`pytest -m "not e2e"`, the fast
    loop, leaves them out), whether or not the file says so."""
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    """test-output/e2e shows this run only."""
    for old in OUTPUT.glob("*.png"):
        old.unlink()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """On a failure, save a full-page screenshot of the test's tab to test-output/e2e/<test>.png."""
    report = yield
    app = getattr(item, "e2e_app", None)
    if report.failed and report.when == "call" and app is not None:
        try:
            path = app.screenshot(OUTPUT / f"{_slug(item.name)}.png")
        except Exception as exc:  # the page may be gone; the failure itself matters more
            report.sections.append(("e2e screenshot", f"could not save a screenshot: {exc}"))
        else:
            report.sections.append(("e2e screenshot", str(path)))
    return report
