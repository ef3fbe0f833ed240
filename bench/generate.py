"""Large workbooks and warehouses of realistic shape, for the benchmarks (deterministic)."""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

COMMUNITIES = [f"社区{i:04d}" for i in range(2000)]
ROLES = ["书记", "主任", "委员", "社工", "后备干部"]


def worker_ids(n: int) -> list[str]:
    return [f"{i:06d}" for i in range(1, n + 1)]


def session_ids(n: int) -> list[str]:
    return [f"S{i:05d}" for i in range(1, n + 1)]


def _roster_and_sessions(book: xlsxwriter.Workbook, workers: int, sessions: int) -> None:
    rng = random.Random(1)
    sheet = book.add_worksheet("社工名册")
    sheet.write_row(0, 0, ["人员编号", "姓名", "社区", "岗位", "入职日期", "在岗"])
    for r, wid in enumerate(worker_ids(workers), start=1):
        sheet.write_row(r, 0, [wid, f"人员{r}", rng.choice(COMMUNITIES), rng.choice(ROLES), "2020-01-01", "是"])
    sheet = book.add_worksheet("培训场次")
    sheet.write_row(0, 0, ["场次编号", "培训主题", "日期", "学时", "形式"])
    start = date(2019, 1, 1)
    for r, sid in enumerate(session_ids(sessions), start=1):
        day = start + timedelta(days=rng.randrange(0, 6 * 365))
        sheet.write_row(r, 0, [sid, f"培训{r}", day.isoformat(), rng.choice([1, 1.5, 2, 3]), "授课"])


def write_roster_and_sessions(path: Path, workers: int = 50_000, sessions: int = 5_000) -> Path:
    """The roster and the training sessions that the attendance workbooks reference."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    _roster_and_sessions(book, workers, sessions)
    book.close()
    return path


SHEET_ROWS = 1_000_000  # attendance rows per sheet: an Excel sheet holds 1,048,576 rows


def _attendance(book: xlsxwriter.Workbook, rows: int, workers: int, sessions: int) -> None:
    wids, sids = worker_ids(workers), session_ids(sessions)
    step = 7919  # prime: walks the worker list without repeating a pair within a session
    for first in range(0, max(rows, 1), SHEET_ROWS):
        sheet = book.add_worksheet("签到表" if first == 0 else f"签到表{first // SHEET_ROWS + 1}")
        sheet.write(0, 0, "培训签到汇总")
        sheet.write_row(2, 0, ["场次编号", "人员编号"])
        for r in range(first, min(rows, first + SHEET_ROWS)):
            session = sids[r % sessions]
            worker = wids[(r // sessions * step + r) % workers]
            sheet.write_string(r - first + 3, 0, session)
            sheet.write_string(r - first + 3, 1, worker)


def write_attendance(path: Path, rows: int, workers: int = 50_000, sessions: int = 5_000) -> Path:
    """`rows` distinct (session, worker) pairs, with a title row above the header as analysts keep them; beyond a
    sheet's worth, the next sheet (签到表2, 签到表3 …, recognised by their headers) goes on."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    _attendance(book, rows, workers, sessions)
    book.close()
    return path


def write_first_workbook(path: Path, rows: int, workers: int = 50_000, sessions: int = 5_000) -> Path:
    """A town's first workbook: the roster, the sessions and `rows` attendance rows, one file."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    _roster_and_sessions(book, workers, sessions)
    _attendance(book, rows, workers, sessions)
    book.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    print(write_roster_and_sessions(args.out / "roster_sessions.xlsx"))
    for n in args.rows:
        print(write_attendance(args.out / f"attendance_{n}.xlsx", n))


if __name__ == "__main__":
    main()
