"""Browser tests: a real `streamlit run` on a free port against a fresh warehouse, driven by Debian's Chromium.

The server and the browser are started once per session; each test gets its own browser context (its own
Streamlit session). A failing test leaves a full-page screenshot in test-output/e2e/<test>.png, and
E2E_SCREENSHOTS=1 saves every page a test visits.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often give /dev/shm 64 MB, too little for a tab with many charts
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 90
TIMEOUT_MS = 60_000  # the first run of a fresh server loads the sample workbooks

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
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
    """The base URL, knowing the warehouse file the server owns."""

    db: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a free port against a fresh warehouse; yields the base URL."""
    folder = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "DASHBOARD_DB": str(folder / "warehouse.duckdb"), "DASHBOARD_LANG": "en"}
    env.pop("DASHBOARD_NO_SAMPLE", None)  # a fresh install shows the reference sample data
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
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=stderr)
    base = Server(f"http://127.0.0.1:{port}")
    base.db = folder / "warehouse.duckdb"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode} before answering.\nstderr:\n{_tail(err)}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {base}/_stcore/health within {STARTUP_SECONDS} s.\nstderr:\n{_tail(err)}"
                )
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the browser


@pytest.fixture(scope="session")
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

    def wait(self, settle_ms: int = 250) -> None:
        """Wait until the script run triggered by the last action has finished and its output is drawn."""
        self.page.wait_for_timeout(150)  # let the run start: a click reaches the server asynchronously
        self.page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
        self.page.wait_for_function(
            '() => !document.querySelector(\'[data-testid="stElementContainer"][data-stale="true"]\')',
            timeout=TIMEOUT_MS,
        )
        self.page.wait_for_timeout(settle_ms)

    def open(self, path: str = "", query: str = "") -> None:
        """Load a page by URL (a new Streamlit session when the tab is new or reloaded)."""
        self.page.goto(f"{self.base}/{path}" + (f"?{query}" if query else ""))
        self.wait()
        self.page.locator("h1").first.wait_for()
        self.snap(path or "overview")

    def reload(self) -> None:
        self.page.reload()
        self.wait()
        self.page.locator("h1").first.wait_for()
        self.snap("reloaded")

    def nav_links(self) -> dict[str, str]:
        """The sidebar's page links: title -> href."""
        links = self.page.locator('[data-testid="stSidebarNavLink"]')
        links.first.wait_for(state="attached")
        return {_link_title(a.inner_text()): a.get_attribute("href") for a in links.all()}

    def go(self, title: str) -> None:
        """Click a page's link in the sidebar, as a user does."""
        link = self.page.locator('[data-testid="stSidebarNavLink"]').filter(
            has=self.page.get_by_text(title, exact=True)
        )
        path = urlparse(link.get_attribute("href")).path
        heading = self.page.locator("h1").first
        moving = urlparse(self.page.url).path != path
        before = heading.inner_text() if moving and heading.count() else None
        link.click()
        self.page.wait_for_url(lambda url: urlparse(url).path == path, timeout=TIMEOUT_MS)
        if before is not None:  # the new page's run has replaced the old page's content, not just the URL
            self.page.wait_for_function(
                "old => { const h = document.querySelector('h1'); return h && h.innerText !== old; }",
                arg=before,
                timeout=TIMEOUT_MS,
            )
        self.wait()
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
        self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 20_000))})
        self.page.wait_for_timeout(400)
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


def _app(browser: Browser, server: str, request: pytest.FixtureRequest, viewport: dict) -> Iterator[App]:
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    app = App(context, server, request.node.name)
    request.node.e2e_app = app  # for the screenshot on failure
    try:
        yield app
    finally:
        context.close()


@pytest.fixture
def app(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[App]:
    """A fresh desktop tab (its own Streamlit session) on the running app."""
    yield from _app(browser, server, request, DESKTOP)


@pytest.fixture
def phone(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[App]:
    """A fresh phone-sized tab (390×844) on the running app."""
    yield from _app(browser, server, request, PHONE)


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    """test-output/e2e shows this run only."""
    for old in OUTPUT.glob("*.png"):
        old.unlink()


@pytest.fixture(scope="session")
def journey() -> dict:
    """What earlier journeys leave for later ones (the reference figures, the imported batch)."""
    return {}


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
