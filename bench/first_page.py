"""A fresh install's first page, as the README starts it (scripts/start.sh → scripts/serve.py), in Chromium.

    python bench/first_page.py --runs 5                  # this checkout
    python bench/first_page.py --runs 5 --app /tmp/old   # and another, interleaved run by run (before/after)

Each run: a new data folder (a fresh install: the sample is loaded and published by the server), the server
started, its health endpoint polled until it answers, then a new tab opens the site. Two figures per run: from the
navigation to the overview drawn (what the first visitor waits for), and from the server's start to the overview
drawn. "Drawn" as in bench/browser.py (heading up, script idle, nothing stale, every chart's marks).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser as pages  # noqa: E402


def first_page(browser, app: Path, folder: Path) -> tuple[float, float]:
    """(navigation → drawn, start → drawn) in seconds, for a fresh install in `folder` served from `app`."""
    pages.APP = app
    with pages.serve(folder / "warehouse.duckdb", sample=True) as (base, started):
        context = browser.new_context(viewport=pages.VIEWPORT)
        try:
            tab = context.new_page()
            navigated = time.perf_counter()
            tab.goto(base + "/")
            pages.wait_drawn(tab)
            drawn = time.perf_counter()
            return drawn - navigated, drawn - started
        finally:
            context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, action="append", help="another checkout, run in turn with this one")
    args = parser.parse_args()
    apps = [ROOT, *(a.resolve() for a in args.app or [])]
    from playwright.sync_api import sync_playwright

    times: dict[str, dict[str, list[float]]] = {str(a): {"navigation_s": [], "start_s": []} for a in apps}
    loads = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=pages.CHROMIUM, args=pages.ARGS)
        for run in range(args.runs):
            for app in apps:
                folder = Path(tmp) / f"{run}-{apps.index(app)}"
                folder.mkdir()
                nav, start = first_page(browser, app, folder)
                shutil.rmtree(folder)
                times[str(app)]["navigation_s"].append(nav)
                times[str(app)]["start_s"].append(start)
                loads.append(round(os.getloadavg()[0], 1))
                print(f"{app}: navigation {nav:.2f} s, start {start:.2f} s, load {loads[-1]}", file=sys.stderr)
        browser.close()
    result = {app: {k: pages.spread(v) for k, v in figures.items()} for app, figures in times.items()}
    print(json.dumps({**result, "load_average": loads}, indent=1))


if __name__ == "__main__":
    main()
