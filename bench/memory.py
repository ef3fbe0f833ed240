"""Peak memory of `python -m etl load` at the upload limit, process tree and reading child together.

    python bench/memory.py                       # the two cases below, 5 runs each, this checkout
    python bench/memory.py --app /tmp/old --runs 5   # and another checkout, run in turn (before/after)

Cases, built once in a temporary folder:

- `limit`: the largest workbook the 50 MB upload limit lets in (bench/run.py's LIMIT_ROWS attendance rows on four
  sheets, 48.6 MB) into a warehouse holding the 50,000-worker roster and 5,000 sessions: accepted and loaded.
- `widest`: the most cells the guard lets in (9,990,000: 333,000 rows × 30 columns of numbers, written as
  `inflating` is): accepted, read whole by the reading child (≈ 70 bytes a cell), then rejected for its columns.
- `inflating`: a 9 MB workbook whose one sheet unpacks to ≈ 540 MB of XML, 30,600,000 cells: just past the guard's
  cell limit (10,000,000 since issue 27; 30,000,000 before), so refused; its ratio (≈ 59:1) and total stay within the guard's other limits.

Memory is sampled every 10 ms from /proc while the command runs, over the process and its children (the reading
child), two ways: `rss` (the sum of VmRSS, as bench/run.py --only first reports: pages the fork shares are
counted in both) and `pss` (the sum of the proportional set sizes, shared pages split between the processes that
map them, plus the size of every anonymous memory file the tree holds open, e.g. the child's rows not yet
mapped). The larger of the two is not a bound either; `pss` is the memory the tree costs the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_attendance, write_roster_and_sessions  # noqa: E402
from bench.run import LIMIT_ROWS  # noqa: E402

INFLATING_ROWS, INFLATING_COLUMNS = 1_020_000, 30  # 30,600,000 cells
WIDEST_ROWS = 333_000  # × 30 columns: 9,990,000 cells, just within the guard's cell limit (guard.MAX_CELLS)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        with contextlib.suppress(OSError):
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return pids


def _sample(pid: int) -> tuple[int, int]:
    """(sum of VmRSS, sum of Pss + open memory files) of the tree under `pid`, in kB."""
    rss = pss = 0
    memfds: dict[tuple[int, int], int] = {}
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
            for fd in os.listdir(f"/proc/{p}/fd"):
                try:
                    if os.readlink(f"/proc/{p}/fd/{fd}").startswith("/memfd:"):
                        st = os.stat(f"/proc/{p}/fd/{fd}")
                        memfds[(st.st_dev, st.st_ino)] = st.st_size // 1024
                except OSError:
                    pass
        except OSError:
            pass
    return rss, pss + sum(memfds.values())


def measure(command: list[str], cwd: Path, env: dict) -> dict:
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rss = pss = 0
    while process.poll() is None:
        r, p = _sample(process.pid)
        rss, pss = max(rss, r), max(pss, p)
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    out = process.stdout.read() if process.stdout else ""
    return {"s": seconds, "rss_mb": rss / 1024, "pss_mb": pss / 1024, "rc": process.returncode, "out": out}


def write_inflating(path: Path, rows: int = INFLATING_ROWS, columns: int = INFLATING_COLUMNS) -> Path:
    """One sheet of `rows` × `columns` numbers, written straight as XML (no r attributes: Excel's readers accept
    cells without them), compressed about 59:1."""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="签到表" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head.encode())
            for start in range(1, rows + 1, 10_000):
                block = []
                for r in range(start, min(rows + 1, start + 10_000)):
                    value = f"<c><v>{r % 9973}</v></c>"
                    block.append(f'<row r="{r}">{value * columns}</row>')
                sheet.write("".join(block).encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, action="append", help="another checkout, run in turn with this one")
    parser.add_argument("--only", choices=["limit", "widest", "inflating"], action="append")
    parser.add_argument("--folder", type=Path, help="keep the workbooks here (built when missing)")
    args = parser.parse_args()
    apps = [ROOT, *(a.resolve() for a in args.app or [])]
    chosen = args.only or ["limit", "widest", "inflating"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / "base.duckdb"
        if "limit" in chosen and not base.exists():
            from etl import db
            from etl.load import import_file

            roster = write_roster_and_sessions(folder / "roster_sessions.xlsx")
            con = db.connect(base)
            assert import_file(con, roster.read_bytes(), roster.name, user="bench").status == "loaded"
            con.close()
        books = {
            "limit": folder / f"attendance_{LIMIT_ROWS}.xlsx",
            "widest": folder / f"widest_{WIDEST_ROWS}.xlsx",
            "inflating": folder / "inflating.xlsx",
        }
        if "limit" in chosen and not books["limit"].exists():
            write_attendance(books["limit"], LIMIT_ROWS)
        if "widest" in chosen and not books["widest"].exists():
            write_inflating(books["widest"], WIDEST_ROWS)
        if "inflating" in chosen and not books["inflating"].exists():
            write_inflating(books["inflating"])
        accounts = folder / "bench-accounts.json"
        accounts.write_text("{}", encoding="utf-8")
        env = {**os.environ, "DASHBOARD_BACKUPS": "0", "DASHBOARD_ACCOUNTS": str(accounts)}
        results: dict = {"load_average": []}
        for case in chosen:
            book = books[case]
            results[case] = {"file_mb": round(book.stat().st_size / 2**20, 1)}
            with zipfile.ZipFile(book) as z:
                results[case]["unpacked_mb"] = round(sum(i.file_size for i in z.infolist()) / 2**20)
            runs: dict[str, list[dict]] = {str(a): [] for a in apps}
            for _ in range(args.runs):
                for app in apps:
                    target = folder / "run.duckdb"
                    target.unlink(missing_ok=True)
                    if case == "limit":
                        target.write_bytes(base.read_bytes())
                    command = [sys.executable, "-m", "etl", "load", str(book), "--db", str(target), "--no-progress"]
                    run = measure(command, app, env)
                    # limit: loaded; widest: read (past the guard), then rejected for its columns; inflating: refused
                    expected = {"limit": f"{LIMIT_ROWS} inserted", "widest": "session_id"}.get(case, "")
                    ok = (run["rc"] == 0) if case == "limit" else (run["rc"] != 0)
                    assert ok and expected in run["out"], run["out"][-2000:]
                    runs[str(app)].append(run)
                results["load_average"].append(round(os.getloadavg()[0], 1))
            for app, done in runs.items():
                results[case][app] = {
                    key: {
                        "median": round(statistics.median(r[key] for r in done), 2 if key == "s" else None),
                        "min": round(min(r[key] for r in done), 2 if key == "s" else None),
                        "max": round(max(r[key] for r in done), 2 if key == "s" else None),
                    }
                    for key in ("s", "rss_mb", "pss_mb")
                }
            print(json.dumps({case: results[case]}, indent=1), flush=True)
        print(json.dumps({"load_average": results["load_average"]}), flush=True)


if __name__ == "__main__":
    main()
