"""Pages as the browser sees them: cold start to the first page drawn, and every page drawn warm, in Chromium.

    python bench/browser.py                       # the 5,000,000-row warehouse and the sample, 5 runs each
    python bench/browser.py --only city --runs 7  # one warehouse; more runs
    python bench/browser.py --city /tmp/city.duckdb   # reuse a warehouse built by bench/warehouse.py
    python bench/browser.py --untrained 0         # the city as bench/warehouse.py builds it (everyone trained)
    python bench/browser.py --launch serve,streamlit  # cold starts of both launches, interleaved
    python bench/browser.py --launch serve,streamlit --after 20   # the first visitor comes 20 s after the start

A page is "drawn" when the new page's heading is up, no script run is in progress, nothing is left over from the
page before (no stale element, no skeleton) and every Plotly chart on it has drawn its marks: what a reader waits
for. Cold: the server started as the README's `bash scripts/start.sh` starts it (`scripts/serve.py`: `streamlit run`
plus its warm-up; `--launch streamlit` for a bare `streamlit run app.py`) to the first page drawn in a new tab (a new
server process each run; start.sh's check of .venv before it is not timed); with `--after S`, the first visitor opens
the page S seconds after the server first answers, timed from that click to the page drawn. Warm:
in one tab, a click on a page's sidebar link to that page drawn, each page visited in turn, `--runs` rounds
after a first round that fills the server's query cache (reported apart as "first visit").

Prints medians and ranges; `--json FILE` also writes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from presenter.report import CHROMIUM_FLAGS  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [*CHROMIUM_FLAGS, "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 900}
# the pages in the order a round visits them (the overview is where a tab starts, so it is visited last)
PAGES = [
    "projects",
    "voices",
    "training",
    "fund",
    "ledger",
    "proposals",
    "presenter",
    "data",
    "review",
    "audit",
    "overview",
]

# pages that draw charts at the bench warehouse: one drawing none is timed empty, and the bench stops
CHARTED = ("projects", "training", "fund")
# the same signs as the browser tests' (tests/e2e/conftest.py): idle, nothing unsettled, every chart with marks
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
UNSETTLED = '[data-testid="stElementContainer"][data-stale="true"], [data-testid="stSkeleton"]'
MARKS = ".point, .js-line, .js-fill, .slice, .sankey-link, .hm"
DRAWN = """([idle, unsettled, marks, path, old]) => {
    if (path !== null && location.pathname !== path) return false;
    const h = document.querySelector('[data-testid="stMain"] h1');
    if (!h || (old !== null && h.innerText === old)) return false;
    if (!document.querySelector(idle) || document.querySelector(unsettled)) return false;
    return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(el => {
        const plot = el.querySelector('.js-plotly-plot');
        return plot && plot.querySelector('.main-svg') && plot.querySelector(marks);
    });
}"""
TIMEOUT_MS = 120_000
APP = ROOT  # the tree whose app is served (--app: another checkout, e.g. the code before a change, side by side)


def add_untrained(db_file: Path, workers: int) -> None:
    """Add `workers` active roster workers who never trained, spread over the communities: the city warehouse's
    communities then all fall below the coverage target (the Training page's worst case: ~1,900 of them below it,
    25,000 untrained workers, 2,000 more needs-attention lines)."""
    from etl import db

    con = db.connect(db_file)
    con.execute(
        """INSERT INTO workers (worker_id, name, community, role, joined_date, active)
           SELECT printf('U%06d', i), '人员U' || i, '社区' || printf('%04d', i % 2000),
                  'social_worker', DATE '2015-01-01', TRUE FROM range($n) t(i)""",
        {"n": workers},
    )
    con.execute("CHECKPOINT")
    con.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LAUNCHES = {  # how a server is started: as scripts/start.sh does (after its .venv check), or a bare streamlit run
    "serve": ["scripts/serve.py"],
    "streamlit": ["-m", "streamlit", "run", "app.py"],
}


@contextlib.contextmanager
def serve(db_file: Path, *, sample: bool, launch: str = "serve") -> Iterator[tuple[str, float]]:
    """The app on `db_file`, started by `launch` (LAUNCHES) from APP (this tree, or --app): yields (base URL,
    time.perf_counter() when the process was started)."""
    port = _free_port()
    env = {**os.environ, "DASHBOARD_DB": str(db_file), "DASHBOARD_LANG": "zh", "DASHBOARD_BACKUPS": "0"}
    env.pop("DASHBOARD_NO_SAMPLE", None)
    if not sample:
        env["DASHBOARD_NO_SAMPLE"] = "1"
    command = [sys.executable, *LAUNCHES[launch], "--server.headless=true"]
    command += ["--server.address=127.0.0.1", f"--server.port={port}", "--browser.gatherUsageStats=false"]
    command += ["--server.fileWatcherType=none"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=APP, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start (exit {process.poll()})") from None
                time.sleep(0.05)
        yield base, started
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_drawn(page, path: str | None = None, old: str | None = None) -> None:
    """Until the page at `path` (any, when None) is drawn, with a heading other than `old`."""
    page.wait_for_function(DRAWN, arg=[IDLE, UNSETTLED, MARKS, path, old], timeout=TIMEOUT_MS, polling="raf")


def cold_start(browser, db_file: Path, *, sample: bool, launch: str = "serve", after: float = 0) -> float:
    """Seconds from the server's start to the first page (the overview) drawn in a new tab; with `after`, from the
    page opened `after` seconds after the server first answered."""
    with serve(db_file, sample=sample, launch=launch) as (base, started):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            if after:
                time.sleep(after)
                started = time.perf_counter()
            page.goto(base + "/")
            wait_drawn(page)
            return time.perf_counter() - started
        finally:
            context.close()


def warm_rounds(
    browser,
    db_file: Path,
    rounds: int,
    pages: list[str] | None = None,
    look: float = 0,
    settle: float = 0,
    *,
    launch: str = "serve",
    ready: Callable[[], None] | None = None,
) -> dict[str, list[float]]:
    """Seconds from a click on each page's sidebar link to that page drawn; the first round is the first visit.
    `look`: seconds the reader looks at the first page (the overview) before the first click; `settle`: seconds the
    server has been up before the first visitor arrives (its warm-up of the pages done, as on a server started in
    the morning). `launch`: how the server is started (LAUNCHES); `ready`: called once it has settled, before the
    first visitor (e.g. to wait for something the server writes)."""
    pages = pages or PAGES
    times: dict[str, list[float]] = {name: [] for name in pages}
    with serve(db_file, sample=False, launch=launch) as (base, _):
        time.sleep(settle)
        if ready is not None:
            ready()
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(base + "/")
        wait_drawn(page)
        time.sleep(look)
        links = page.locator('[data-testid="stSidebarNavLink"]')
        links.first.wait_for(state="attached")
        hrefs = {urlparse(a.get_attribute("href")).path: a for a in links.all()}
        for _ in range(rounds + 1):
            for name in pages:
                path = "/" if name == "overview" else f"/{name}"
                link = hrefs.get(path)
                if link is None:
                    continue  # a page this session may not see
                old = page.locator('[data-testid="stMain"] h1').first.inner_text()
                start = time.perf_counter()
                link.click()
                wait_drawn(page, path, old)
                times[name].append(time.perf_counter() - start)
                if name in CHARTED and not page.locator('[data-testid="stPlotlyChart"]').count():
                    raise RuntimeError(
                        f"{name} drew no chart: the warehouse shows no figures (a copy of a warehouse that was "
                        "published elsewhere, without its published/ folder?): time a fresh bench/warehouse.py build"
                    )
        context.close()
    return {name: values for name, values in times.items() if values}


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "runs": len(values),
    }


def measure(
    browser,
    label: str,
    db_file: Path,
    runs: int,
    *,
    sample: bool,
    launches: list[str],
    warm: bool,
    after: float = 0,
    cold: bool = True,
    servers: int = 1,
    pages: list[str] | None = None,
    look: float = 0,
    settle: float = 0,
) -> dict:
    """Cold starts (each in a fresh server; with several launches, interleaved) and warm rounds on one warehouse
    (`servers` fresh servers in turn: each page's first visit once per server)."""
    colds: dict[str, list[float]] = {launch: [] for launch in launches}
    result: dict = {"pages_s": {}, "first_visit_s": {}}
    folder = db_file.parent
    for _ in range(runs if cold else 0):
        for launch in launches:
            if sample:  # a fresh install every time: the first start loads and publishes the sample
                fresh = Path(tempfile.mkdtemp(dir=folder))  # the warehouse, its published versions, its kept files
                seconds = cold_start(browser, fresh / "warehouse.duckdb", sample=True, launch=launch, after=after)
                shutil.rmtree(fresh)
            else:
                seconds = cold_start(browser, db_file, sample=False, launch=launch, after=after)
            colds[launch].append(seconds)
            load = os.getloadavg()[0]
            print(f"{label} cold ({launch}): {seconds:.2f} s, load {load:.1f}", file=sys.stderr, flush=True)
    for launch, values in colds.items():
        if values:
            key = "cold_first_page_s" if launch == "serve" else f"cold_first_page_s_{launch}"
            result[key] = spread(values)
    if not warm:
        return result
    if sample:  # the warm rounds read a sample warehouse that stays
        cold_start(browser, db_file, sample=True)
    firsts: dict[str, list[float]] = {}
    warms: dict[str, list[float]] = {}
    for _ in range(servers):
        for name, values in warm_rounds(browser, db_file, runs, pages, look, settle).items():
            firsts.setdefault(name, []).append(values[0])
            warms.setdefault(name, []).extend(values[1:])
            print(
                f"{label} {name}: first {values[0]:.2f} s, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True
            )
    for name in warms:
        result["first_visit_s"][name] = round(firsts[name][0], 2) if servers == 1 else spread(firsts[name])
        result["pages_s"][name] = spread(warms[name])
        print(f"{label} {name}: {result['pages_s'][name]}", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="cold starts and warm rounds (at least 5)")
    parser.add_argument("--only", choices=["city", "sample"], action="append")
    parser.add_argument("--city", type=Path, help="a warehouse built by bench/warehouse.py (else built here)")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--launch", default="serve", help="cold starts by: serve (scripts/serve.py, as start.sh), streamlit, or both"
    )
    parser.add_argument("--cold-only", action="store_true", help="cold starts only, no warm rounds")
    parser.add_argument(
        "--after", type=float, default=0, help="the first visitor comes this many seconds after the server answers"
    )
    parser.add_argument(
        "--untrained", type=int, default=25_000, help="never-trained workers added to the city (0: as built)"
    )
    parser.add_argument("--warm-only", action="store_true", help="warm rounds only, no cold starts")
    parser.add_argument("--servers", type=int, default=1, help="fresh servers for the warm rounds (first visits)")
    parser.add_argument("--pages", help="the pages visited, comma-separated (default: every page)")
    parser.add_argument(
        "--look", type=float, default=0, help="seconds the reader looks at the first page before the first click"
    )
    parser.add_argument(
        "--settle", type=float, default=0, help="seconds the server is up before the first visitor (its warm-up done)"
    )
    parser.add_argument("--app", type=Path, help="serve the app of this checkout (e.g. the code before a change)")
    args = parser.parse_args()
    global APP
    APP = (args.app or ROOT).resolve()
    pages = args.pages.split(",") if args.pages else None
    from playwright.sync_api import sync_playwright

    chosen = args.only or ["city", "sample"]
    results: dict = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}", "runs": args.runs}
    results["untrained_added"] = args.untrained
    results["app"] = str(args.app or ROOT)
    results["city_warehouse"] = str(args.city) if args.city else "built by bench/warehouse.py"
    launches = args.launch.split(",")
    if unknown := set(launches) - set(LAUNCHES):
        parser.error(f"--launch: {', '.join(sorted(unknown))} (choose from {', '.join(LAUNCHES)})")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        folder = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if "city" in chosen:
            city = folder / "city" / "city.duckdb"
            city.parent.mkdir()
            if args.city:
                shutil.copyfile(args.city, city)
            else:
                from bench.warehouse import build

                build(city)
            if args.untrained:
                add_untrained(city, args.untrained)
            cold_start(browser, city, sample=False)  # publishes the warehouse once, as its first start does
            results["city"] = measure(
                browser,
                "city",
                city,
                args.runs,
                sample=False,
                launches=launches,
                warm=not args.cold_only,
                after=args.after,
                cold=not args.warm_only,
                servers=args.servers,
                pages=pages,
                look=args.look,
                settle=args.settle,
            )
        if "sample" in chosen:
            sample = folder / "sample" / "warehouse.duckdb"
            sample.parent.mkdir()
            results["sample"] = measure(
                browser,
                "sample",
                sample,
                args.runs,
                sample=True,
                launches=launches,
                warm=not args.cold_only,
                after=args.after,
                cold=not args.warm_only,
                servers=args.servers,
                pages=pages,
                look=args.look,
                settle=args.settle,
            )
        browser.close()
    results["load_average"] = {
        "before": [round(x, 1) for x in load_before],
        "after": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
