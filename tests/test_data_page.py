"""The Data page, driven through Streamlit's AppTest with real uploads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from test_guard import CASES
from workbooks import ROSTER, SESSIONS, workbook_bytes

import ui
from etl import db
from etl.load import import_file
from ui import markdown

ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """The Data page on an empty warehouse, in English."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    assert not at.exception
    yield at
    st.cache_resource.clear()


def warehouse():
    """The app's own connection (one per process), as the page uses it."""
    return ui._warehouse(str(db.db_path())).cursor()


def count(table: str) -> int:
    return warehouse().execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def texts(at) -> str:
    """Everything the page says, as the reader sees it (Markdown escapes of file and sheet names removed)."""
    parts = [e.value for e in (*at.markdown, *at.success, *at.error, *at.info, *at.warning, *at.caption)]
    parts += [e.label for e in at.expander]
    return "\n".join(markdown.unescape(str(p)) for p in parts)


def upload(at, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].upload(name, data, XLSX).run()
    assert not at.exception, at.exception
    return at


def import_button(at):
    return next(b for b in at.button if b.label.startswith("Import"))


def test_good_file_previews_then_imports_only_on_click(app):
    data = workbook_bytes({"社工名册": ROSTER, "培训场次": SESSIONS})
    upload(app, "roster.xlsx", data)
    shown = texts(app)
    assert "roster.xlsx — ready to import" in shown
    assert "adds 3 workers on the roster" in shown
    assert "adds 2 training sessions" in shown
    assert count("workers") == 0  # nothing written before the button
    sheets = app.dataframe[0].value
    assert sheets["Recognised as"].tolist() == ["workers on the roster", "training sessions"]
    assert sheets["Added"].tolist() == [3, 2]
    preview = app.dataframe[1].value
    assert preview["worker_id"].tolist() == ["000101", "000102", "000103"]
    import_button(app).click().run()
    assert not app.exception
    assert "roster.xlsx: imported as batch B00001 — 5 added" in texts(app)
    assert count("workers") == 3
    history = app.dataframe[-1].value if "Batch" in app.dataframe[-1].value else app.dataframe[0].value
    assert history["Batch"].tolist() == ["B00001"]


def test_reupload_is_unchanged(app):
    data = workbook_bytes({"社工名册": ROSTER})
    upload(app, "roster.xlsx", data)
    import_button(app).click().run()
    upload(app, "roster.xlsx", data)
    assert "roster.xlsx — nothing new" in texts(app)
    assert import_button(app).disabled


def test_bad_file_lists_every_problem_and_changes_nothing(app):
    bad = workbook_bytes(
        {"名册": [ROSTER[0], ["1", "a", "b", "厨师", "明天", "是"], ["2", "c", None, "社工", None, "否"]]}
    )
    upload(app, "bad.xlsx", bad)
    shown = texts(app)
    assert "bad.xlsx — 3 problem(s) to fix" in shown
    problems = app.dataframe[-2].value if len(app.dataframe) > 1 else app.dataframe[0].value
    problems = next(d.value for d in app.dataframe if "Column" in d.value.columns)
    assert problems[["Row", "Column", "Header", "Value"]].values.tolist() == [
        [2, "D", "岗位", "厨师"],
        [2, "E", "入职日期", "明天"],
        [3, "C", "社区", ""],
    ]
    assert "Use one of: secretary" in problems["What is wrong and how to fix it"][0]
    assert any(b.label == "Download a copy with the problems marked" for b in app.get("download_button"))
    assert import_button(app).disabled
    assert count("workers") == 0


HOSTILE = {
    "csv renamed": "This is not an Excel .xlsx workbook (it looks like a CSV or text file)",
    "xls": "This is an old Excel 97-2003 (.xls) file or a password-protected workbook",
    "macros": "The workbook contains macros (VBA)",
    "zip bomb": "This looks like a compression bomb",
    "billion laughs": "declares XML entities",
    "random bytes": "(it looks like random binary data)",
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_files_get_their_message(app, case):
    upload(app, "evil.xlsx", CASES[case][0])
    problems = next(d.value for d in app.dataframe if "Column" in d.value.columns)
    assert HOSTILE[case] in problems["What is wrong and how to fix it"][0]
    assert count("import_batches") == 0


def test_undo_restores_previous_figures(app):
    upload(app, "a.xlsx", workbook_bytes({"社工名册": ROSTER}))
    import_button(app).click().run()
    changed = [ROSTER[0], ["000101", "张三", "新社区", "书记", None, "是"], ["000999", "新", "x", "社工", None, None]]
    upload(app, "b.xlsx", workbook_bytes({"社工名册": changed}))
    import_button(app).click().run()
    assert count("workers") == 4
    undo_box = next(e for e in app.expander if e.label.startswith("Undo the latest import (B00002)"))
    assert "removes the 1 workers on the roster it added" in texts(app)
    assert "restores the 1 workers on the roster it changed" in texts(app)
    undo_button = next(b for b in app.button if b.label == "Undo B00002")
    assert undo_button.disabled  # needs the confirmation first
    app.checkbox[0].check().run()
    next(b for b in app.button if b.label == "Undo B00002").click().run()
    assert not app.exception
    assert "Batch B00002 was undone" in texts(app)
    assert count("workers") == 3
    assert warehouse().execute("SELECT community FROM workers WHERE worker_id = '000101'").fetchone()[0] == "杨行一村"
    del undo_box


def test_reconciliation_panel(app):
    shown = texts(app)
    assert ":green[:material/check_circle:] Money used never exceeds money raised, at any date" in shown


def test_concurrent_imports_and_reads_through_the_apps_connection(tmp_path, monkeypatch):
    """Threads import different files and read totals at once: no exception, no lost batch, totals consistent."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "c.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    st.cache_resource.clear()
    con = ui._warehouse(str(db.db_path()))
    files = [
        workbook_bytes(
            {"捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], *[[f"D{i}-{j}", "2023-08-01", 100] for j in range(50)]]}
        )
        for i in range(6)
    ]
    errors: list[BaseException] = []
    seen: list[float] = []

    def importer(i: int) -> None:
        try:
            result = import_file(con.cursor(), files[i], f"f{i}.xlsx", user=f"analyst{i}")
            assert result.status == "loaded", result.errors
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            cursor = con.cursor()
            for _ in range(30):
                total, rows = cursor.execute("SELECT coalesce(sum(amount_yuan), 0), count(*) FROM donations").fetchone()
                seen.append(float(total))
                assert rows % 50 == 0  # never half a file
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=importer, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    cursor = con.cursor()
    assert cursor.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 6
    assert cursor.execute("SELECT sum(amount_yuan) FROM donations").fetchone()[0] == 6 * 50 * 100
    assert all(total % 5000 == 0 for total in seen)
    st.cache_resource.clear()


def test_import_changes_the_overview_and_undo_restores_it(tmp_path, monkeypatch):
    """On the sample data: a donation imported on the Data page shows on the overview at once; undo removes it."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "s.duckdb"))
    monkeypatch.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()

    def raised() -> str:
        overview = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        overview.query_params["year"] = "2023"
        overview.switch_page("pages/overview.py").run()
        assert not overview.exception
        return next(m.value for m in overview.metric if m.label == "Fund raised")

    assert raised() == "¥650,000"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    donation = [["捐赠编号", "捐赠日期", "金额(元)"], ["D-NEW", "2023-12-20", "1万"]]
    upload(at, "gift.xlsx", workbook_bytes({"捐赠": donation}))
    assert "fund raised goes from ¥650,000 to ¥660,000" in texts(at)
    assert raised() == "¥650,000"  # nothing written before the button
    import_button(at).click().run()
    assert raised() == "¥660,000"
    latest = count("import_batches")
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == f"Undo B{latest:05d}").click().run()
    assert raised() == "¥650,000"
    st.cache_resource.clear()
