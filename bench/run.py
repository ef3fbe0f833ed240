"""Benchmarks: import vs. its two references, peak memory, metric queries and pages at city scale, cold start.

    python bench/run.py            # everything (about 10 minutes on 2 cores; pandas+openpyxl is most of it)
    python bench/run.py --quick    # 100,000 rows instead of 1,000,000, fewer runs

Prints medians and the ratios the targets are stated in; `--json FILE` also writes them.
"""

from __future__ import annotations

import argparse
import inspect
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_attendance, write_first_workbook, write_roster_and_sessions  # noqa: E402
from bench.warehouse import build  # noqa: E402

PAGES = ["overview", "projects", "training", "fund", "data", "presenter"]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


BARE_READ = (
    "import sys, fastexcel; fastexcel.read_excel(open(sys.argv[1], 'rb').read()).load_sheet(0, header_row=2).to_arrow()"
)


def _import_once(workbook: Path, base: Path, target: Path, rows: int) -> tuple[float, float]:
    """`python -m etl load` in a fresh process on a copy of the base warehouse: (seconds, peak RSS in MB)."""
    shutil.copyfile(base, target)
    # what `python -m etl load` runs (cli.run: main(), then a quick exit), printing the peak resident
    # memory of the process plus its child's (the largest sheet's reader): their sum bounds the two together
    code = (
        "import os, resource, sys; from cli import main; "
        f"rc = main(['load', {str(workbook)!r}, '--db', {str(target)!r}, '--user', 'bench', '--no-progress']); "
        "print(sum(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)), "
        "file=sys.stderr); sys.stdout.flush(); sys.stderr.flush(); os._exit(rc)"
    )
    # the import alone, as on a server with accounts (an approver publishes later): with no accounts file the load
    # would also publish what it committed (a copy of the warehouse), which is not what this figure measures
    accounts = target.with_name("bench-accounts.json")
    accounts.write_text("{}", encoding="utf-8")
    env = {**os.environ, "DASHBOARD_BACKUPS": "0", "DASHBOARD_ACCOUNTS": str(accounts)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{rows} inserted" in done.stdout, done.stdout
    target.unlink()
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def _bare_once(workbook: Path) -> float:
    """The bare fastexcel read of the same file, in a fresh process too (interpreter start included, as above)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", BARE_READ, str(workbook)], check=True, cwd=ROOT)
    return time.perf_counter() - start


def _spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def bench_import(folder: Path, rows: int, runs: int, openpyxl_runs: int) -> dict:
    """`python -m etl load` end to end against the bare fastexcel read (both in fresh processes, in interleaved
    pairs), at `rows` and at a tenth of it (fixed cost and cost per million rows), and pandas+openpyxl once."""
    import pandas as pd

    from etl import db
    from etl.load import import_file

    roster = write_roster_and_sessions(folder / "roster_sessions.xlsx")
    base = folder / "base.duckdb"
    con = db.connect(base)
    assert import_file(con, roster.read_bytes(), roster.name, user="bench").status == "loaded"
    con.close()
    result: dict = {"pairs": runs}
    medians = {}
    for size in (rows // 10, rows):
        workbook = write_attendance(folder / f"attendance_{size}.xlsx", size)
        imports, bares, peaks = [], [], []
        for _ in range(runs):  # interleaved, so that the machine's mood falls on both alike
            seconds, peak = _import_once(workbook, base, folder / "run.duckdb", size)
            imports.append(seconds)
            peaks.append(peak)
            bares.append(_bare_once(workbook))
        ratios = [i / b for i, b in zip(imports, bares, strict=True)]
        result[str(size)] = {
            "file_mb": round(workbook.stat().st_size / 2**20, 1),
            "import_s": _spread(imports),
            "fastexcel_read_s": _spread(bares),
            "import_vs_fastexcel": _spread(ratios),
            "peak_memory_mb": round(max(peaks)),
        }
        medians[size] = statistics.median(imports)
    small, large = rows // 10, rows
    per_million = (medians[large] - medians[small]) / ((large - small) / 1e6)
    result["per_million_rows_s"] = round(per_million, 2)
    result["fixed_s"] = round(medians[large] - per_million * large / 1e6, 2)
    workbook = folder / f"attendance_{rows}.xlsx"
    slow = median_time(lambda: pd.read_excel(workbook, engine="openpyxl", header=2), openpyxl_runs)
    result["pandas_openpyxl_read_s"] = round(slow, 2)
    result["openpyxl_runs"] = openpyxl_runs
    result["openpyxl_vs_import"] = round(slow / medians[large], 1)
    return result


def bench_queries(warehouse: Path, runs: int, threads: int | None = None, ranges: dict | None = None) -> dict:
    """Every metric function at the city-scale warehouse, unfiltered and with a year and a community (with
    `threads`, DuckDB uses that many: 1 is a server whose other core is busy); medians in ms, and each one's
    fastest and slowest run in `ranges` when given."""
    import queries
    from etl import db

    con = db.connect(warehouse)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    out = {}
    for name, fn in inspect.getmembers(queries, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != "queries":
            continue
        params = inspect.signature(fn).parameters
        required = {n for n, p in params.items() if p.default is p.empty and n != "con"}
        fixed = {k: v for k, v in KNOWN_ARGUMENTS.items() if k in required}
        if required - set(fixed) - {"by"}:
            print(f"skipped {name}: needs {sorted(required - set(fixed))}", file=sys.stderr)
            continue
        variants: list[dict[str, object]] = [{}]
        if "year" in params:
            variants.append({"year": 2023})
        if "community" in params:
            variants.append({"year": 2023, "community": "社区0007"})
        for variant in variants:
            kwargs = {**fixed, **variant}
            if "by" in params:
                kwargs["by"] = queries.GROUPINGS[name][0]
            label = name + ("" if not variant else "(" + ",".join(variant) + ")")
            fn(con, **kwargs)  # warm
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                fn(con, **kwargs)
                times.append((time.perf_counter() - start) * 1000)
            out[label] = round(statistics.median(times), 1)
            if ranges is not None:
                ranges[label] = [round(min(times), 1), round(max(times), 1)]
    con.close()
    return out


# Values for required arguments of query functions that take more than the filters.
KNOWN_ARGUMENTS = {
    "day": date(2023, 12, 31),
    "as_of": date(2023, 12, 31),
    "year": 2023,
    "program": "micro_renewal",
    "code": "person_times",  # the drill-down of the heaviest figure (its rows: every attendance row)
}


def bench_pages(warehouse: Path, runs: int) -> dict:
    """Each page's full script run with AppTest at the city-scale warehouse (after one warm-up run)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DASHBOARD_DB"] = str(warehouse)
    os.environ["DASHBOARD_NO_SAMPLE"] = "1"
    out = {}
    for page in PAGES:
        if not (ROOT / "pages" / f"{page}.py").exists():
            continue
        st.cache_data.clear()
        times = []
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page(f"pages/{page}.py")
        at.run()  # warm: the first run also opens the warehouse
        assert not at.exception, at.exception
        for _ in range(runs):
            st.cache_data.clear()  # measure the queries, not the cache
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
            assert not at.exception, at.exception
        out[page] = round(statistics.median(times), 2)
    st.cache_resource.clear()
    return out


def bench_cold_start(folder: Path) -> dict:
    """`streamlit run` to health answered, and to the overview drawn in Chromium (sample data on first start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DASHBOARD_DB": str(folder / "cold.duckdb"), "DASHBOARD_BACKUPS": "0"}
    env.pop("DASHBOARD_NO_SAMPLE", None)
    args = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    args += ["--server.address", "127.0.0.1", "--server.port", str(port)]
    start = time.perf_counter()
    server = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        out["health_s"] = round(time.perf_counter() - start, 2)
        if Path("/usr/bin/chromium").exists():
            from playwright.sync_api import sync_playwright

            flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
            flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000)
                out["first_page_s"] = round(time.perf_counter() - start, 2)
                browser.close()
    finally:
        server.terminate()
        server.wait()
    return out


BARE_READ_ALL = (
    "import sys, fastexcel; r = fastexcel.read_excel(open(sys.argv[1], 'rb').read()); "
    "[r.load_sheet(n, header_row=None, dtypes='string').to_arrow() for n in r.sheet_names]"
)


def _tree_peak_mb(process: subprocess.Popen) -> float:
    """Poll /proc every 10 ms until `process` ends: the largest sum of resident memory of it and its children
    (the reading child included) seen at one moment, in MB."""
    peak = 0
    while process.poll() is None:
        pids = [process.pid]
        try:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        peak = max(peak, total)
        time.sleep(0.01)
    return peak / 1024


def _first_once(workbook: Path, target: Path, rows: int, app: Path, *, poll: bool = False) -> tuple[float, float]:
    """`python -m etl load` of a whole first workbook into an empty warehouse, in a fresh process run from `app`:
    (seconds, peak resident memory of the process tree in MB when `poll`, else 0). The timed runs are not polled:
    the poller's reads of /proc every 10 ms take CPU on a machine of two cores, and the bare read it is compared with
    runs unpolled."""
    target.unlink(missing_ok=True)
    accounts = target.with_name("bench-accounts.json")
    accounts.write_text("{}", encoding="utf-8")  # as on a server with accounts: the import alone, not a publish
    env = {**os.environ, "DASHBOARD_BACKUPS": "0", "DASHBOARD_ACCOUNTS": str(accounts)}
    command = [sys.executable, "-m", "etl", "load", str(workbook), "--db", str(target), "--user", "bench"]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--no-progress"], cwd=app, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if poll:
        peak = _tree_peak_mb(process)
    else:
        process.wait()
        peak = 0.0
    seconds = time.perf_counter() - start
    out = process.stdout.read() if process.stdout else ""
    assert process.returncode == 0 and f"{rows + 55_000} inserted" in out, out
    target.unlink()
    return seconds, peak


def bench_first(folder: Path, rows: int, runs: int, apps: list[Path]) -> dict:
    """A town's first workbook (roster 50,000, sessions 5,000 and `rows` attendance rows in one file) imported into
    an empty warehouse, against the bare fastexcel read of all its sheets in a fresh process; interleaved, and with
    several `apps` (checkouts: e.g. before and after a change) each one's import in turn within a round."""
    workbook = write_first_workbook(folder / f"first_{rows}.xlsx", rows)
    times: dict[str, list[float]] = {str(a): [] for a in apps}
    peaks: dict[str, list[float]] = {str(a): [] for a in apps}
    bares, loads = [], []
    for _ in range(runs):
        for app in apps:
            seconds, _ = _first_once(workbook, folder / "first.duckdb", rows, app)
            times[str(app)].append(seconds)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", BARE_READ_ALL, str(workbook)], check=True, cwd=ROOT)
        bares.append(time.perf_counter() - start)
        loads.append(round(os.getloadavg()[0], 1))
    for app in apps:  # the peak memory from runs of their own, polled
        for _ in range(2):
            peaks[str(app)].append(_first_once(workbook, folder / "first.duckdb", rows, app, poll=True)[1])
    result: dict = {"file_mb": round(workbook.stat().st_size / 2**20, 1), "rounds": runs, "load_average": loads}
    result["fastexcel_read_all_s"] = _spread(bares)
    for app in apps:
        ratios = [i / b for i, b in zip(times[str(app)], bares, strict=True)]
        result[str(app)] = {
            "import_s": _spread(times[str(app)]),
            "import_vs_fastexcel": _spread(ratios),
            "peak_tree_memory_mb": round(max(peaks[str(app)])),  # of 2 polled runs
        }
    return result


LIMIT_ROWS = 3_800_000  # attendance rows of a workbook just under the 50 MB upload limit (48.6 MB, four sheets)


def bench_limit(folder: Path, runs: int) -> dict:
    """Peak memory (and time) of `python -m etl load` on the largest workbook the upload limit lets in."""
    from etl import db
    from etl.load import import_file

    roster = write_roster_and_sessions(folder / "roster_sessions.xlsx")
    base = folder / "base.duckdb"
    con = db.connect(base)
    assert import_file(con, roster.read_bytes(), roster.name, user="bench").status == "loaded"
    con.close()
    workbook = write_attendance(folder / f"attendance_{LIMIT_ROWS}.xlsx", LIMIT_ROWS)
    seconds, peaks = [], []
    for _ in range(runs):
        spent, peak = _import_once(workbook, base, folder / "run.duckdb", LIMIT_ROWS)
        seconds.append(spent)
        peaks.append(peak)
    return {
        "rows": LIMIT_ROWS,
        "file_mb": round(workbook.stat().st_size / 2**20, 1),
        "import_s": _spread(seconds),
        "peak_memory_mb": round(max(peaks)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--pairs", type=int, default=5, help="interleaved import/read pairs per size (at least 5)")
    parser.add_argument("--only", choices=["import", "first", "limit", "queries", "pages", "cold"], action="append")
    parser.add_argument(
        "--app", type=Path, action="append", help="with --only first: import with this checkout too (before/after)"
    )
    parser.add_argument("--threads", type=int, help="DuckDB threads for the query timings (e.g. 1)")
    parser.add_argument("--runs", type=int, default=5, help="runs per query (median and range)")
    parser.add_argument("--warehouse", type=Path, help="time queries and pages on this warehouse (bench/warehouse.py)")
    args = parser.parse_args()
    rows, runs = (100_000, 3) if args.quick else (1_000_000, 3)
    chosen = set(args.only or ["import", "first", "limit", "queries", "pages", "cold"])
    results: dict = {"machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "import" in chosen:
            results["import"] = bench_import(folder, rows, runs=max(runs, args.pairs), openpyxl_runs=1)
            print(json.dumps(results["import"], indent=1), flush=True)
        if "first" in chosen:
            apps = [ROOT, *(a.resolve() for a in args.app or [])]
            results["first"] = bench_first(folder, rows, runs=max(runs, args.pairs), apps=apps)
            print(json.dumps(results["first"], indent=1), flush=True)
        if "limit" in chosen:
            results["limit"] = bench_limit(folder, runs=max(runs, args.pairs))
            print(json.dumps(results["limit"], indent=1), flush=True)
        if chosen & {"queries", "pages"}:
            warehouse = args.warehouse or build(folder / "city.duckdb")
            if "queries" in chosen:
                results["queries_range_ms"] = {}
                results["queries_ms"] = bench_queries(
                    warehouse, runs=args.runs, threads=args.threads, ranges=results["queries_range_ms"]
                )
                slowest = max(results["queries_ms"].items(), key=lambda kv: kv[1])
                print(json.dumps(results["queries_ms"], indent=1, ensure_ascii=False), flush=True)
                print(f"slowest query: {slowest[0]} {slowest[1]} ms", flush=True)
            if "pages" in chosen:
                results["pages_s"] = bench_pages(warehouse, runs=3)
                print(json.dumps(results["pages_s"], indent=1), flush=True)
        if "cold" in chosen:
            results["cold_start"] = bench_cold_start(folder)
            print(json.dumps(results["cold_start"], indent=1), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
