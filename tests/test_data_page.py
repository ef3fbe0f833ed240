"""The Data page, driven through Streamlit's AppTest with real uploads."""

from __future__ import annotations

import json
import re
import threading

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from visitors import ROOT
from workbooks import ATTENDANCE, CSV_ROSTER, DONATIONS, REFUSED, ROSTER, SESSIONS, workbook_bytes

from etl import db
from etl.kinds import KINDS
from etl.load import import_file
from i18n import t
from presenter import markdown, review
from ui import session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(empty_app):
    """The Data page on an empty warehouse, in English."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    assert not at.exception
    return at


def warehouse():
    """The app's own connection (one per process), as the page uses it."""
    return session.warehouse(str(db.db_path())).cursor()


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


def test_preview_names_each_kinds_rows_as_the_review_does(app):
    """The preview describes the rows of every kind, not only the fund's, in the words of the Review page
    (presenter.review.row_lines): workers by name and community, attendance by session with the names of those who came
    (new in the same file), donors masked as the public ledger masks them."""
    data = workbook_bytes({"社工名册": ROSTER, "培训场次": SESSIONS, "培训签到": ATTENDANCE, "捐赠": DONATIONS})
    upload(app, "all.xlsx", data)
    shown = texts(app)
    assert (
        "new workers on the roster: 000101 (张三 · 杨行一村), 000102 (李四 · 杨行一村), 000103 (王五 · 富杨苑)" in shown
    )
    assert "2 attendance rows added for S01 (2023-03-05 · 基层治理能力): 张三, 李四" in shown
    assert "new donations: D1 (某公司 · ¥10,000), D2 (张* · ¥25,000), D3 (睦邻会 · ¥12,345.67)" in shown


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
    problems = next(d.value for d in app.dataframe if "Column" in d.value.columns)
    assert problems[["Row", "Column", "Header", "Value"]].values.tolist() == [
        [2, "D", "岗位", "厨师"],
        [2, "E", "入职日期", "明天"],
        [3, "C", "社区", ""],
    ]
    assert "Use one of: secretary" in problems["What is wrong and how to fix it"][0]
    shown = texts(app)  # each message written out once under the table, with the cells it concerns
    assert "Use one of: secretary" in shown and "(1 in all: 名册!D2)" in shown
    assert "(1 in all: 名册!E2)" in shown and "(1 in all: 名册!C3)" in shown
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
    upload(app, "evil.xlsx", REFUSED[case][0])
    assert "evil.xlsx — cannot be imported" in texts(app)
    assert [e.value for e in app.error if HOSTILE[case] in markdown.unescape(e.value)]
    assert not [d for d in app.dataframe if "Column" in d.value.columns]  # no table of empty cells
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


def test_reconciliation_panel_shows_a_failing_check_and_a_passing_one(app):
    money = {
        "捐赠": [["捐赠编号", "捐赠日期", "金额(元)"], ["D1", "2023-08-01", 1000]],
        "资金使用": [["支出编号", "日期", "金额(元)", "用途"], ["X1", "2023-08-02", 5000, "为老"]],
    }
    assert import_file(warehouse(), workbook_bytes(money), "overspent.xlsx", user="analyst").status == "loaded"
    shown = texts(app.run())
    overspent = "Money used never exceeds money raised, at any date — 1 problem(s), e.g. 2023-08-02: 5000 > 1000"
    assert f":red[:material/cancel:] {overspent}" in shown
    assert ":green[:material/check_circle:] Every disbursement's project exists" in shown
    assert ":green[:material/check_circle:] Money used never exceeds" not in shown


def test_the_checks_run_once_per_state_of_the_working_data(app, monkeypatch):
    """They scan every attendance row (0.4 s at 5,000,000): a rerun of the page reuses them; an import runs them
    again (test_reconciliation_panel_shows_a_failing_check_and_a_passing_one: the new state's result is shown)."""
    from etl import checks

    runs = []
    real = checks.reconcile
    monkeypatch.setattr(checks, "reconcile", lambda con: runs.append(1) or real(con))
    st.cache_data.clear()
    app.run()
    app.run()
    assert len(runs) == 1
    upload(app, "a.xlsx", workbook_bytes({"社工名册": ROSTER}))
    import_button(app).click().run()
    assert not app.exception and len(runs) == 2


def test_concurrent_imports_and_reads_through_the_apps_connection(tmp_path, monkeypatch):
    """Threads import different files and read totals at once: no exception, no lost batch, totals consistent."""
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "c.duckdb"))
    monkeypatch.setenv("DASHBOARD_NO_SAMPLE", "1")
    st.cache_resource.clear()
    con = session.warehouse(str(db.db_path()))
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


# --- the Data page in the analyst's language (issue 14, item 6)

LATIN = re.compile(r"[A-Za-z]+")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Latin words a Chinese message may hold: formats, programs and the parts of a file (names of things, not English).
FORMAT_WORDS = {"Excel", "xlsx", "xls", "xlsb", "CSV", "WPS", "PDF", "XML", "UTF", "VBA", "MB", "Ctrl", "End"}


def in_language(at, lang: str) -> AppTest:
    at.session_state["lang"] = lang
    return at.run()


def alerts(at) -> list[str]:
    return [markdown.unescape(e.value) for e in (*at.error, *at.warning)]


def columns(frame_element) -> dict:
    return json.loads(frame_element.proto.columns)


def test_preview_shows_labels_and_formats_as_the_ui_does(app):
    """zh: 企业 not enterprise, ¥10,000 not 10000, 2023年8月1日, 是/否; en: readable words, the same numbers."""
    data = workbook_bytes({"捐赠": DONATIONS, "社工名册": ROSTER})
    upload(in_language(app, "zh"), "gifts.xlsx", data)
    gifts, roster = app.dataframe[1], app.dataframe[2]
    shown = gifts.value
    assert shown["捐赠方类型"].tolist() == ["企业", "个人", "社会组织"]
    assert shown["金额(元)"].tolist() == ["¥10,000", "¥25,000", "¥12,345.67"]
    assert shown["捐赠日期"].tolist() == ["2023年8月1日", "2023年8月2日", "2023年8月3日"]
    assert shown["渠道"].tolist() == ["", "", "银行转账"]  # a blank cell, never "None"
    assert columns(gifts)["金额(元)"]["alignment"] == "right"  # written as text, aligned as a number
    assert roster.value["岗位"].tolist() == ["书记", "后备干部", "社工"]
    assert roster.value["在岗"].tolist() == ["是", "是", "否"]
    in_language(app, "en")
    shown = app.dataframe[1].value
    assert shown["donor_type"].tolist() == ["Enterprise", "Individual", "Organization"]
    assert shown["amount_yuan"].tolist() == ["¥10,000", "¥25,000", "¥12,345.67"]
    assert shown["date"].tolist() == ["2023-08-01", "2023-08-02", "2023-08-03"]
    assert app.dataframe[2].value["role"].tolist() == ["Secretary", "Reserve cadre", "Social worker"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_csv_gets_one_clean_message_in_the_readers_language(app, lang):
    upload(in_language(app, lang), "名单.csv", CSV_ROSTER)
    said = alerts(app)
    assert len(said) == 1, said  # one message for the file
    message = said[0]
    assert "CSV" in message and ".xlsx" in message
    assert "None" not in message
    assert not any(word in message for word in ("annotated", "marked", "标注"))  # no copy is offered for it
    assert not [b for b in app.get("download_button") if b.label == t("data.annotated", lang)]
    assert not [d for d in app.dataframe if t("problems.message", lang) in d.value.columns]  # no table of blanks
    if lang == "zh":
        assert set(LATIN.findall(message)) <= {"Excel", "xlsx", "CSV", "WPS"}, message  # formats and programs only
        assert "名单.csv — 无法导入" in texts(app)
    else:
        assert not CJK.search(message), message
        assert "名单.csv — cannot be imported" in texts(app)
        assert message.endswith("Nothing from this file will be imported.")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_refused_file_gets_one_message_in_one_language(app, lang):
    """Each kind of refusal (not a workbook, .xls, macros, a bomb, damaged …) reads in the reader's language only."""
    in_language(app, lang)
    for case, (data, _key) in REFUSED.items():
        app.file_uploader[0].clear()
        at = upload(app, "refused.xlsx", data)
        said = alerts(at)
        assert len(said) == 1, (case, said)
        message = said[0]
        assert "None" not in message and "{" not in message, (case, message)
        if lang == "zh":
            unquoted = re.sub(r"“[^”]*”", "", message)  # a part of the file named in quotes is a file name
            assert not set(LATIN.findall(unquoted)) - FORMAT_WORDS, (case, message)
        else:
            assert not CJK.search(message), (case, message)


def test_uploader_names_only_xlsx_in_the_readers_language(app):
    """Label, help and the drop zone's own words (replaced through the page's stylesheet) in zh; any file is taken
    so that a refused one is explained, not turned away by the browser in English."""
    in_language(app, "zh")
    uploader = app.file_uploader[0]
    assert uploader.label == "Excel 工作簿（.xlsx）"
    assert ".xlsx" in uploader.help and CJK.search(uploader.help)
    assert list(uploader.proto.type) == []  # no browser filter: a .xls or .csv reaches the guard and is explained
    assert "把 Excel 工作簿（.xlsx）拖到下面的框里" in texts(app)
    styles = [h.value for h in app.get("html")]
    assert any('"选择文件"' in css and '"仅限 .xlsx · 每个不超过 50 MB"' in css for css in styles), styles


def test_problems_table_fits_and_each_message_is_written_out_once(app):
    bad = workbook_bytes({"名册": [ROSTER[0], *[[f"{i}", "a", "b", "厨师", None, "是"] for i in range(1, 9)]]})
    upload(in_language(app, "zh"), "bad.xlsx", bad)
    grid = next(d for d in app.dataframe if "问题及修改方法" in d.value.columns)
    assert grid.proto.placeholder == ""  # a problem of a whole sheet has a blank row cell, not "None"
    widths = [c["width"] for name, c in columns(grid).items() if name != "_index"]
    assert sum(widths) <= 784  # the main column at 1280 px (checked in Chromium): no column runs off the page
    listed = [markdown.unescape(m.value) for m in app.markdown if "不是允许的取值" in markdown.unescape(m.value)]
    assert len(listed) == 1 and listed[0].count("不是允许的取值") == 1  # eight cells, one sentence
    assert "（共 8 处：名册!D2、名册!D3、名册!D4、名册!D5、名册!D6 …）" in listed[0]


def test_review_cells_are_written_as_the_pages_write_them():
    """The pure equivalent of Page.label and the UI's number formats, for every column type of the preview."""
    kind = KINDS["projects"]
    assert review.cell(kind.column("program"), "micro_renewal", "zh") == "微更新"
    assert review.cell(kind.column("program"), "micro_renewal", "en") == "Micro renewal"
    assert review.cell(kind.column("budget_yuan"), 65000.0, "zh") == "¥65,000"
    assert review.cell(kind.column("residents_involved"), 1200, "zh") == "1,200"
    assert review.cell(kind.column("resident_proposed"), False, "zh") == "否"
    assert review.cell(kind.column("completed_date"), pd.NaT, "zh") == ""
    assert review.cell(kind.column("level"), None, "en") == ""
    targets = KINDS["targets"]
    assert review.cell(targets.column("target"), 0.9, "zh", {"metric": "training_coverage"}) == "90.0%"
    assert review.cell(targets.column("target"), 650000.0, "zh", {"metric": "fund_raised"}) == "¥650,000"
    assert review.cell(targets.column("year"), 2024, "zh") == "2024"
    assert review.cell(KINDS["meetings"].column("type"), "promotion", "zh") == "推进会"
