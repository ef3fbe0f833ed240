"""The fast paths give the answers of the careful ones.

The reader (fastexcel, every cell as text, a streaming scan for formulas) is checked against an independent,
slow reference built on openpyxl; both feed the same validation, which must yield identical tables and
identical errors. The derived training tables are checked against plain SQL over the base tables.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from workbooks import ATTENDANCE, PROJECTS, ROSTER, SESSIONS, workbook_bytes

import queries
from etl.load import import_file
from etl.read import RawSheet, read_workbook
from etl.validate import validate


def _text(value: object) -> str | None:
    """A cell as the fast reader renders it: Excel's General number format, ISO date-times, true/false."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, float):
        return f"{value:.9f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def careful_read(data: bytes) -> list[RawSheet]:
    """The reference reader: openpyxl, cell by cell."""
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    formulas = openpyxl.load_workbook(io.BytesIO(data))
    sheets = []
    for ws in values.worksheets:
        source = formulas[ws.title]
        cells = {}
        missing = set()
        for column in range(1, ws.max_column + 1):
            letter = get_column_letter(column)
            texts = [_text(ws.cell(row=r, column=column).value) for r in range(1, ws.max_row + 1)]
            for r in range(1, ws.max_row + 1):
                raw = source.cell(row=r, column=column).value
                if isinstance(raw, str) and raw.startswith("=") and texts[r - 1] is None:
                    missing.add(f"{letter}{r}")
            if any(t is not None for t in texts):
                cells[letter] = pd.Series(texts, index=range(1, ws.max_row + 1), dtype="string[pyarrow]")
        sheets.append(RawSheet(ws.title, pd.DataFrame(cells), ws.sheet_state == "visible", missing))
    return sheets


def no_keys(kind: str) -> pd.Series:
    return pd.Series([], dtype="string")


def outcome(sheets: list[RawSheet]):
    report = validate(sheets, no_keys)
    tables = {(s.sheet, s.kind): s.frame.reset_index(drop=True) for s in report.sheets}
    return tables, [p.as_dict() for p in report.errors], [p.as_dict() for p in report.warnings]


def assert_same(data: bytes) -> None:
    fast_tables, fast_errors, fast_warnings = outcome(read_workbook(data))
    slow_tables, slow_errors, slow_warnings = outcome(careful_read(data))
    assert fast_errors == slow_errors
    assert fast_warnings == slow_warnings
    assert fast_tables.keys() == slow_tables.keys()
    for key, frame in fast_tables.items():
        pd.testing.assert_frame_equal(frame, slow_tables[key], check_dtype=False)


def test_valid_workbook_reads_the_same():
    donations = [["捐赠编号", "捐赠日期", "金额(元)", "捐赠方类型"]]
    donations += [
        [f"D{i:04d}", dt.datetime(2023, 1, 1) + dt.timedelta(days=i), 100 + i * 0.5, "企业"] for i in range(300)
    ]
    donations.append(["D9999", "2023年12月1日", "6.5万", "个人"])
    assert_same(
        workbook_bytes(
            {"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE, "项目": PROJECTS, "捐赠": donations},
            title="2023年台账",
            start_column=2,
        )
    )


def test_workbook_full_of_problems_reports_the_same():
    roster = [
        [*ROSTER[0], "备注"],
        ["000101", "张三", "杨行一村", "厨师", "明天", "也许", "x"],
        ["000101", "重复", None, "社工", 45000, True, None],
        ["000103", "=1+1", "富杨苑", "社工", dt.datetime(2019, 9, 1), "否", None],
        [None] * 7,
        ["合计", None, None, None, None, None, None],
    ]
    sessions = [["场次编号", "培训主题", "日期", "学时"], ["S1", "a", "2023-02-30", 25], ["S2", "b", "2023-01-01", "0"]]
    assert_same(workbook_bytes({"名册": roster, "培训场次": sessions, "Sheet9": [["甲"], [1]]}))


def test_derived_figures_equal_plain_sql(warehouse):
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS, "签到表": ATTENDANCE}), "a")
    for year, community in ((None, None), (2023, None), (2023, "杨行一村"), (2022, None)):
        plain = warehouse.execute(
            """
            SELECT count(*) AS person_times, count(DISTINCT a.worker_id) FILTER (WHERE coalesce(w.active, TRUE))
            FROM attendance a JOIN training_sessions s USING (session_id) JOIN workers w USING (worker_id)
            WHERE ($y::INTEGER IS NULL OR year(s.date) = $y) AND ($c::VARCHAR IS NULL OR w.community = $c)
            """,
            {"y": year, "c": community},
        ).fetchall()[0]
        got = queries.headline(warehouse, year=year, community=community).iloc[0]
        assert (got["person_times"], got["trained"]) == plain


def test_presenter_figures_on_any_day_equal_plain_sql(warehouse):
    more = [*ATTENDANCE, ["S02", "000102"]]
    import_file(warehouse, workbook_bytes({"名册": ROSTER, "培训场次": SESSIONS, "签到表": more}), "a")
    for day in (
        dt.date(2023, 3, 4),
        dt.date(2023, 3, 5),
        dt.date(2023, 4, 5),
        dt.date(2023, 4, 10),
        dt.date(2024, 2, 1),
    ):
        plain = warehouse.execute(
            """
            SELECT count(*), count(DISTINCT a.worker_id) FILTER (WHERE coalesce(w.active, TRUE))
            FROM attendance a JOIN training_sessions s USING (session_id) JOIN workers w USING (worker_id)
            WHERE s.date <= $day AND year(s.date) = 2023
              AND (w.joined_date IS NULL OR w.joined_date <= least($day, DATE '2023-12-31'))
            """,
            {"day": day},
        ).fetchall()[0]
        row = queries.headline(warehouse, year=2023, as_of=day).iloc[0]  # the period: 2023 up to `day`
        assert (row["person_times"], row["trained"]) == plain, day
