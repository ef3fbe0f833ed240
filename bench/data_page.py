"""The Data page: from an upload to the check's result shown, for a 1,000-row workbook, warm (Streamlit's AppTest).

    python bench/data_page.py --runs 5                    # this checkout
    python bench/data_page.py --runs 5 --app /tmp/old     # and another, interleaved (each in a process of its own)
    python bench/data_page.py --profile                   # where one such run's time goes (cProfile)

A warehouse holding the sample (loaded once), a workbook of 1,000 attendance rows of the sample's workers and
sessions (its 培训签到 sheet's first 1,000). In one process: the Data page opened, one upload checked (warm-up), then
`--runs` uploads of the same bytes under new names (the page keeps a check per name and content), each timed from
the upload to the script run's end: the check (a dry run of the import) and the page drawn in the element tree. The
browser's own drawing is not in it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(folder: Path, rows: int = 1000) -> Path:
    """The sample's attendance, its first `rows` rows, as a workbook of one sheet."""
    import fastexcel
    import xlsxwriter

    from etl.sample import write_samples

    first = sorted(write_samples(folder / "sample"))[0]
    table = fastexcel.read_excel(first.read_bytes()).load_sheet("培训签到", header_row=None, dtypes="string")
    frame = table.to_pandas()
    out = folder / f"attendance_{rows}.xlsx"
    book = xlsxwriter.Workbook(str(out))
    sheet = book.add_worksheet("培训签到")
    for r, row in enumerate(frame.head(rows + 1).itertuples(index=False)):
        sheet.write_row(r, 0, ["" if v is None else v for v in row])
    book.close()
    return out


def in_process(folder: Path, runs: int, profile: bool) -> list[float]:
    """The timings, in this process (run from the checkout being measured)."""
    os.environ.update({"DASHBOARD_DB": str(folder / "warehouse.duckdb"), "DASHBOARD_LANG": "zh"})
    os.environ["DASHBOARD_BACKUPS"] = "0"  # no accounts file beside the warehouse: the pages are open
    from streamlit.testing.v1 import AppTest, app_test, local_script_runner

    # A server compiles each page once (its runtime's script cache); AppTest makes a new cache for every run, which
    # would put Streamlit's compile of the page (≈ 0.4 s) into every figure: one cache, as the server has.
    shared = local_script_runner.ScriptCache()
    local_script_runner.ScriptCache = app_test.ScriptCache = lambda: shared  # type: ignore[assignment, misc]
    data = workbook(folder).read_bytes()
    at = AppTest.from_file(str(Path.cwd() / "app.py"), default_timeout=120)
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    at.file_uploader[0].upload("warm-up.xlsx", data, XLSX).run()
    assert not at.exception and at.expander, at.exception
    times = []
    for n in range(runs):
        start = time.perf_counter()
        at.file_uploader[0].upload(f"upload-{n}.xlsx", data, XLSX).run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    if profile:  # the script runs in a thread of its own: its run is what is profiled
        import cProfile
        import pstats

        from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

        profiler = cProfile.Profile()
        plain = ScriptRunner._run_script

        def profiled(self, *args, **kwargs):
            return profiler.runcall(plain, self, *args, **kwargs)

        ScriptRunner._run_script = profiled  # type: ignore[method-assign]
        at.file_uploader[0].upload("profiled.xlsx", data, XLSX).run()
        ScriptRunner._run_script = plain  # type: ignore[method-assign]
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="with --app: processes per checkout, interleaved")
    parser.add_argument("--app", type=Path, action="append", help="another checkout, run in turn with this one")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(Path.cwd()))
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(in_process(Path(tmp), args.runs, args.profile)))
        return
    apps = [ROOT, *(a.resolve() for a in args.app or [])]
    times: dict[str, list[float]] = {str(a): [] for a in apps}
    loads = []
    for _ in range(args.rounds):
        for app in apps:
            command = [sys.executable, str(Path(__file__).resolve()), "--child", "--runs", str(args.runs)]
            command += ["--profile"] if args.profile else []
            done = subprocess.run(command, cwd=app, capture_output=True, text=True, check=True)
            if args.profile:
                print(done.stdout[:12000])
            times[str(app)] += json.loads(done.stdout.strip().splitlines()[-1])
            loads.append(round(os.getloadavg()[0], 1))
    result = {
        app: {
            "median": round(statistics.median(v), 3),
            "min": round(min(v), 3),
            "max": round(max(v), 3),
            "runs": len(v),
        }
        for app, v in times.items()
    }
    print(json.dumps({**result, "load_average": loads}, indent=1))


if __name__ == "__main__":
    main()
