"""The garbage collection Streamlit runs after every script run, timed in the server while a reader visits pages.

    python bench/collector.py --city /tmp/city.duckdb --runs 5

Streamlit collects every generation at the end of each script run (`runner.postScriptGC`, on by default), holding
the interpreter's lock while its event loop still has the run's last messages to send. scripts/serve.py sets what
the warm-up built aside from those passes (`set_aside`, gc.freeze). Each run starts a server as the README's start
command does, on a fresh copy of the warehouse, waits for its warm-up, then visits Projects, Fund, Training and the
Overview in Chromium (two rounds, bench/browser.py's `warm_rounds`) and records how long each full collection in the
server took. The runs alternate between the server as it is ("set aside") and the same server with set_aside only
collecting ("whole heap").

Prints medians and ranges over every collection during the visits (milliseconds); `--json FILE` also writes them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "ready"  # written to the log once the warm-up has ended (and set_aside ran)
VISITED = ("projects", "fund", "training", "overview")


def _serve(log: Path, whole_heap: bool, args: list[str]) -> int:
    """In the server's process: time each full collection into `log`, then scripts/serve.py's main."""
    sys.path.insert(0, str(ROOT / "scripts"))
    sys.path.insert(0, str(ROOT))
    import serve

    started: list[float] = []

    def timed(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            with log.open("a") as out:
                out.write(f"{(time.perf_counter() - started[0]) * 1000:.2f}\n")

    gc.callbacks.append(timed)
    set_aside = serve.set_aside

    def marked() -> int:
        if whole_heap:
            gc.collect()
            kept = 0
        else:
            kept = set_aside()
        with log.open("a") as out:
            out.write(f"{READY} {kept}\n")
        return kept

    serve.set_aside = marked
    return serve.main(args)


def _visit(chromium, db_file: Path, log: Path, whole_heap: bool) -> tuple[list[float], int]:
    """One server on a copy of `db_file`, its warm-up awaited, then two rounds of visits (bench/browser.py's): the
    full collections' milliseconds during the visits, and how many objects were set aside."""
    import browser

    launch = "collector-whole" if whole_heap else "collector"
    browser.LAUNCHES[launch] = [str(Path(__file__).resolve()), "--serve", str(log), *(["--whole-heap"] * whole_heap)]
    before: list[str] = []

    def warmed_up() -> None:
        deadline = time.monotonic() + 300
        while READY not in (log.read_text() if log.exists() else ""):
            if time.monotonic() > deadline:
                raise RuntimeError("the server's warm-up did not end")
            time.sleep(0.2)
        before[:] = log.read_text().splitlines()

    browser.warm_rounds(chromium, db_file, 1, list(VISITED), launch=launch, ready=warmed_up)
    time.sleep(1)  # the last run's collection
    kept = int(next(line for line in before if line.startswith(READY)).split()[1])
    return [float(line) for line in log.read_text().splitlines()[len(before) :] if not line.startswith(READY)], kept


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":  # the server's process (see _visit)
        whole_heap = sys.argv[3:4] == ["--whole-heap"]
        sys.exit(_serve(Path(sys.argv[2]), whole_heap, sys.argv[3 + whole_heap :]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city", type=Path, required=True, help="a warehouse built by bench/warehouse.py (copied)")
    parser.add_argument("--runs", type=int, default=5, help="servers of each kind, alternating (at least 5)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    import browser
    from playwright.sync_api import sync_playwright

    results: dict[str, list[float]] = {"set aside": [], "whole heap": []}
    medians: dict[str, list[float]] = {"set aside": [], "whole heap": []}
    kept: list[int] = []
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.ARGS)
        for _ in range(args.runs):
            for name, whole_heap in (("whole heap", True), ("set aside", False)):
                with tempfile.TemporaryDirectory() as tmp:
                    db_file = Path(tmp) / "city.duckdb"
                    shutil.copyfile(args.city, db_file)
                    times, count = _visit(chromium, db_file, Path(tmp) / "gc.log", whole_heap)
                results[name] += times
                medians[name].append(statistics.median(times))
                if not whole_heap:
                    kept.append(count)
        chromium.close()
    out = {
        "warehouse": str(args.city),
        "load_average": os.getloadavg()[0],
        "objects_set_aside": kept,
        **{f"{name} (every collection, ms)": browser.spread(v) for name, v in results.items()},
        **{f"{name} (each server's median, ms)": browser.spread(v) for name, v in medians.items()},
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
