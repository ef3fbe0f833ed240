"""The blank template: one sheet per kind with the contract's headers and dropdowns, and it imports as written."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from etl import db
from etl.kinds import BOOL, ENUM, KINDS, LOAD_ORDER
from etl.load import check_file, import_file
from etl.read import column_letter
from etl.template import write_template

INSTRUCTIONS = {"zh": "说明", "en": "Instructions"}


def expected_header(column, lang: str) -> str:
    return (column.zh if lang == "zh" else column.name) + ("*" if column.required else "")


def sheet_name(kind, lang: str) -> str:
    return kind.zh if lang == "zh" else kind.name


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sheets_headers_and_dropdowns(tmp_path, lang):
    path = write_template(tmp_path / f"template_{lang}.xlsx", lang)
    book = openpyxl.load_workbook(path)
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert visible == [INSTRUCTIONS[lang], *(sheet_name(KINDS[k], lang) for k in LOAD_ORDER)]
    for kind in KINDS.values():
        ws = book[sheet_name(kind, lang)]
        assert [c.value for c in ws[1]] == [expected_header(c, lang) for c in kind.columns]
        assert ws.freeze_panes == "A2"
        assert all(ws.cell(1, i + 1).font.b for i in range(len(kind.columns)))
        assert all(ws.cell(1, i + 1).comment is not None for i in range(len(kind.columns)))
        assert ws.max_row == 1  # headers only
        lists = {str(v.sqref): v.formula1 for v in ws.data_validations.dataValidation if v.type == "list"}
        for i, column in enumerate(kind.columns):
            letter = column_letter(i)
            if column.type not in (ENUM, BOOL):
                assert f"{letter}2:{letter}1048576" not in lists
                continue
            source = lists[f"{letter}2:{letter}1048576"]
            if column.type == ENUM:
                shown = column.choices.values() if lang == "zh" else column.choices
                if source.startswith("'_lists'!"):  # too long to write inline: a range of the hidden list sheet
                    cells = book["_lists"][source.split("!")[1].replace("$", "")]
                    assert [row[0].value for row in cells] == list(shown)
                else:
                    assert source == '"' + ",".join(shown) + '"'
            else:
                assert source == ('"是,否"' if lang == "zh" else '"yes,no"')


def test_instructions_explain_value_forms(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", "zh"))
    text = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value is not None)
    for needle in ("2024/3/5", "2024年3月5日", "6.5万", "¥1,200", "是", "项目编号*", "社工名册"):
        assert needle in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_blank_template_has_no_errors_and_no_rows(tmp_path, lang):
    path = write_template(tmp_path / f"template_{lang}.xlsx", lang)
    con = db.connect(tmp_path / "w.duckdb")
    result = check_file(con, path.read_bytes(), path.name)
    assert result.errors == []
    assert result.status == "valid"
    # Every kind sheet is recognised (none unknown), and holds no data rows.
    assert sorted(s.kind for s in result.report.sheets) == sorted(KINDS)
    assert all(len(s.frame) == 0 for s in result.report.sheets)
    assert {w.key for w in result.warnings} == {"sheet.no_rows"}
    assert import_file(con, path.read_bytes(), path.name).status == "unchanged"
    assert db.is_empty(con)
    con.close()


# One valid row per kind, by English column name; enumerations as codes (en) or labels (zh).
ROWS = {
    "workers": [
        {
            "worker_id": "000101",
            "name": "测试甲",
            "community": "杨行一村",
            "role": "secretary",
            "joined_date": "2015/3/1",
        },
        {"worker_id": "000102", "name": "测试乙", "community": "富杨苑", "role": "reserve_cadre", "active": True},
    ],
    "training_sessions": [
        {"session_id": "S01", "title": "基层治理", "date": date(2023, 3, 5), "hours": 2.5, "format": "lecture"}
    ],
    "projects": [
        {
            "project_id": "P001",
            "name": "楼道微更新",
            "program": "micro_renewal",
            "level": "town",
            "community": "杨行一村",
            "status": "completed",
            "start_date": date(2023, 1, 10),
            "completed_date": "2023年6月30日",
            "budget_yuan": "6.5万",
            "resident_proposed": True,
        }
    ],
    "attendance": [{"session_id": "S01", "worker_id": "000101"}],
    "mentorships": [
        {"mentor_id": "000101", "mentee_id": "000102", "start_date": date(2023, 4, 1), "activities_done": 7}
    ],
    "meetings": [{"meeting_id": "M01", "date": date(2023, 5, 1), "type": "promotion", "attendees": 40}],
    "donations": [
        {
            "donation_id": "D01",
            "date": date(2023, 8, 18),
            "donor": "匿名",
            "donor_type": "individual",
            "amount_yuan": "¥1,200",
        }
    ],
    "disbursements": [
        {
            "disbursement_id": "Z01",
            "date": date(2023, 9, 1),
            "amount_yuan": 800,
            "purpose": "敬老",
            "category": "elderly",
            "project_id": "P001",
        }
    ],
    "targets": [{"metric": "training_coverage", "year": 2023, "target": "100%"}],
    "metadata": [{"as_of": date(2024, 1, 31), "note": "论坛公布数据"}],
    "notes": [{"note_id": "N01", "date": date(2023, 8, 1), "metric": "person_times", "text_zh": "8月暑期停课"}],
    "resident_voices": [
        {
            "voice_id": "V01",
            "collected_date": date(2023, 1, 5),
            "community": "杨行一村",
            "channel": "visit",
            "category": "elderly",
            "summary": "楼道加装扶手",
            "publishable": True,
            "status": "project",
            "answered_date": "2023/1/12",
            "project_id": "P001",
            "satisfaction": "satisfied",
        }
    ],
}


def cell_value(column, value, lang: str):
    if column.type == ENUM and lang == "zh":
        return column.choices[value]
    if column.type == BOOL:
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_filled_template_loads(tmp_path, lang):
    path = write_template(tmp_path / f"template_{lang}.xlsx", lang)
    book = openpyxl.load_workbook(path)
    for kind_name, rows in ROWS.items():
        kind = KINDS[kind_name]
        ws = book[sheet_name(kind, lang)]
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(kind.columns, start=1):
                if column.name in row:
                    ws.cell(r, c, cell_value(column, row[column.name], lang))
    filled = tmp_path / f"filled_{lang}.xlsx"
    book.save(filled)

    con = db.connect(tmp_path / "w.duckdb")
    result = import_file(con, filled.read_bytes(), filled.name, user="test")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    counts = {s["kind"]: s["inserted"] for s in result.sheets}
    assert counts == {k: len(v) for k, v in ROWS.items()}
    assert con.execute("SELECT worker_id, active FROM workers ORDER BY 1").fetchall() == [
        ("000101", True),
        ("000102", True),
    ]
    project = con.execute("SELECT program, completed_date, budget_yuan, resident_proposed FROM projects").fetchone()
    assert project[0] == "micro_renewal"
    assert project[1] == date(2023, 6, 30)
    assert project[2] == 65000
    assert project[3] is True
    assert con.execute("SELECT target FROM targets").fetchone()[0] == 1.0
    con.close()


def test_template_is_deterministic(tmp_path):
    a = write_template(tmp_path / "a.xlsx").read_bytes()
    b = write_template(tmp_path / "b.xlsx").read_bytes()
    assert a == b
