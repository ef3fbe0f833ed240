"""Free text from workbooks (issue 23, item 10): notes cut to the note form's 200 characters, and no invisible
direction-control or zero-width characters stored in any text column; each change a warning at its cell, in both
languages. Through the real import path (etl.load.import_file), as an analyst's upload goes."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import ROSTER, workbook_bytes

import declared
import notes
from cli import main
from etl import db
from etl.kinds import KINDS, NOTE_CHARS
from etl.load import import_file
from etl.validate import INVISIBLE

HEADERS = ["备注编号", "日期", "结束日期", "指标", "社区", "备注内容", "英文备注"]
RLO, PDF, ZWSP, ZWJ, BOM = "\u202e", "\u202c", "\u200b", "\u200d", "\ufeff"


def note(note_id: str, text_zh: str, text_en: str | None = None) -> list:
    return [note_id, "2023-08-01", None, "培训人次", None, text_zh, text_en]


def stored_notes(con) -> dict[str, tuple[str, str | None]]:
    return {row[0]: (row[1], row[2]) for row in con.execute("SELECT note_id, text_zh, text_en FROM notes").fetchall()}


def where(problem) -> tuple:
    return (problem.key, problem.sheet, problem.row, problem.column, problem.header, problem.field)


def test_every_note_column_holds_at_most_the_forms_200_characters():
    assert NOTE_CHARS == 200
    capped = {(k.name, c.name) for k in KINDS.values() for c in k.columns if c.max_chars == NOTE_CHARS}
    assert capped == {("notes", "text_zh"), ("notes", "text_en"), ("metadata", "note")}
    names = {c.name for k in KINDS.values() for c in k.columns if c.max_chars not in (None, NOTE_CHARS)}
    assert names == set(declared.COLUMNS)  # the names a town declares (declared.py), at most NAME_CHARS each


def test_a_long_note_is_cut_to_200_characters_with_a_warning_at_its_cell(warehouse):
    long_zh = "暑期停课" * 60  # 240 characters
    long_en = "x" * 199 + " " + "y" * 50  # cut at 200: the trailing space is not kept
    exact = "满" * 200
    data = workbook_bytes({"说明备注": [HEADERS, note("N1", long_zh, long_en), note("N2", exact)]})
    result = import_file(warehouse, data, "notes.xlsx", user="analyst")
    assert result.status == "loaded"
    assert stored_notes(warehouse) == {"N1": (long_zh[:200], "x" * 199), "N2": (exact, None)}
    assert [where(w) for w in result.warnings] == [
        ("cell.text_cut", "说明备注", 2, "F", "备注内容", "text_zh"),
        ("cell.text_cut", "说明备注", 2, "G", "英文备注", "text_en"),
    ]
    cut = result.warnings[0]
    assert cut.value == long_zh  # the cell as it was, so the analyst sees what was left out
    assert cut.message("en") == (
        "Row 2, column F '备注内容': the note was cut to 200 characters (it had 240), the most a note holds, as on "
        "the note form. Shorten it in the workbook to choose what is kept."
    )
    assert "已截为 200 个字符" in cut.message("zh") and "原有 240 个" in cut.message("zh")
    assert "第 2 行 F 列" in cut.message("zh")


def test_direction_controls_and_zero_width_characters_are_removed_from_notes(warehouse):
    # U+202E (right-to-left override) shows "停课到9月底" + RLO + "txt.exe" reversed; a BOM, a zero-width space
    spoofed = f"停课到9月底{RLO}exe.txt{PDF}"
    hidden = f"{BOM}No{ZWSP} training in Aug\u2066ust\u2069"
    data = workbook_bytes({"说明备注": [HEADERS, note("N1", spoofed, hidden)]})
    result = import_file(warehouse, data, "notes.xlsx", user="analyst")
    assert result.status == "loaded"
    assert stored_notes(warehouse) == {"N1": ("停课到9月底exe.txt", "No training in August")}
    assert [where(w) for w in result.warnings] == [
        ("cell.invisible_removed", "说明备注", 2, "F", "备注内容", "text_zh"),
        ("cell.invisible_removed", "说明备注", 2, "G", "英文备注", "text_en"),
    ]
    direction, both = result.warnings
    assert direction.value == "停课到9月底[U+202E]exe.txt[U+202C]"  # where they were, written out
    assert both.value == "[U+FEFF]No[U+200B] training in Aug[U+2066]ust[U+2069]"
    assert "direction-control characters" in direction.message("en")
    assert "zero-width" not in direction.message("en")
    assert "方向控制字符" in direction.message("zh") and "第 2 行 F 列“备注内容”" in direction.message("zh")
    assert "direction-control and zero-width characters" in both.message("en")
    assert "方向控制字符和零宽字符" in both.message("zh")
    for warning in result.warnings:  # the message itself holds none of them either
        assert not set(warning.message("en") + warning.message("zh")) & {RLO, PDF, ZWSP, BOM}


def test_removal_comes_before_the_cut_and_both_are_said(warehouse):
    text = ZWSP * 30 + "长" * 200  # 230 characters, 200 once the invisible ones are gone: not cut
    longer = RLO + "长" * 201
    data = workbook_bytes({"说明备注": [HEADERS, note("N1", text), note("N2", longer)]})
    result = import_file(warehouse, data, "notes.xlsx", user="analyst")
    assert stored_notes(warehouse) == {"N1": ("长" * 200, None), "N2": ("长" * 200, None)}
    assert [(w.key, w.row) for w in result.warnings] == [
        ("cell.invisible_removed", 2),
        ("cell.invisible_removed", 3),
        ("cell.text_cut", 3),
    ]
    assert result.warnings[2].params["length"] == 201


def test_the_data_as_of_note_is_a_note_too(warehouse):
    data = workbook_bytes({"数据说明": [["数据截至", "备注"], ["2024-01-31", f"{RLO}年报" + "口" * 300]]})
    result = import_file(warehouse, data, "as_of.xlsx", user="analyst")
    assert result.status == "loaded"
    assert warehouse.execute("SELECT note FROM metadata").fetchone()[0] == "年报" + "口" * 198
    assert [(w.key, w.column) for w in result.warnings] == [("cell.invisible_removed", "B"), ("cell.text_cut", "B")]


def test_every_free_text_column_loses_invisible_characters_but_not_its_length(warehouse):
    rows = [
        ROSTER[0],
        ["000101", f"张{RLO}三", f"杨行{ZWSP}一村", "书记", None, None],
        ["000102", "李四" * 150, "杨行一村", "社工", None, None],  # 300 characters: a name is not cut
        ["000103", f"王五👨{ZWJ}👩{ZWJ}👧", "富杨苑", "社工", None, None],  # a joiner inside emoji is kept
        [None, ZWSP, None, None, None, None],  # nothing visible in it: a blank row, skipped without a word
    ]
    result = import_file(warehouse, workbook_bytes({"名册": rows}), "roster.xlsx", user="analyst")
    assert result.status == "loaded", result.errors
    stored = dict(warehouse.execute("SELECT worker_id, name || '|' || community FROM workers").fetchall())
    assert stored == {
        "000101": "张三|杨行一村",
        "000102": "李四" * 150 + "|杨行一村",
        "000103": f"王五👨{ZWJ}👩{ZWJ}👧|富杨苑",
    }
    assert [(w.key, w.row, w.column, w.field) for w in result.warnings] == [
        ("cell.invisible_removed", 2, "B", "name"),
        ("cell.invisible_removed", 2, "C", "community"),
    ]
    # a stray joiner (not between two emoji) is removed
    rows = [ROSTER[0], ["000104", f"赵{ZWJ}六", "富杨苑", "社工", None, None]]
    result = import_file(warehouse, workbook_bytes({"名册": rows}), "roster2.xlsx", user="analyst")
    assert warehouse.execute("SELECT name FROM workers WHERE worker_id = '000104'").fetchone()[0] == "赵六"
    assert [w.value for w in result.warnings] == ["赵[U+200D]六"]


def test_a_note_from_the_data_pages_form_goes_in_unchanged(warehouse):
    # the form caps its fields at 200 characters (max_chars); what it lets through is never cut or warned about
    written = {
        "note_id": "N20240131093000",
        "date": date(2023, 8, 1),
        "metric": "person_times",
        "text_zh": "备" * 200,
        "text_en": "n" * 200,
    }
    result = import_file(warehouse, notes.workbook(written), "note.xlsx", user="analyst")
    assert result.status == "loaded" and result.warnings == []
    assert stored_notes(warehouse) == {"N20240131093000": ("备" * 200, "n" * 200)}


def test_the_command_line_says_where_and_what_was_done(tmp_path, capsys):
    path = tmp_path / "notes.xlsx"
    path.write_bytes(workbook_bytes({"说明备注": [HEADERS, note("N1", f"{RLO}暑期" + "停" * 250)]}))
    db = tmp_path / "w.duckdb"
    assert main(["load", str(path), "--db", str(db), "--lang", "zh", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "第 2 行 F 列“备注内容”：已从文字中删除看不见的方向控制字符" in out
    assert "第 2 行 F 列“备注内容”：备注已截为 200 个字符（原有 252 个）" in out


def test_the_invisible_characters_are_the_direction_controls_and_the_zero_width_ones():
    direction = [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]
    zero_width = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
    assert {chr(c) for c in direction + zero_width} == INVISIBLE


visible = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs"), blacklist_characters="=+-@" + "".join(INVISIBLE)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(visible, st.lists(st.sampled_from(sorted(INVISIBLE - {ZWJ})), max_size=3)), max_size=8))
def test_any_name_loses_exactly_its_invisible_characters(tmp_path_factory, names):
    sheet = [ROSTER[0]]
    for number, (name, hidden) in enumerate(names, start=1):
        sheet.append([f"{number:06d}", "".join(hidden) + name, "富杨苑", "社工", None, None])
    con = db.connect(tmp_path_factory.mktemp("names") / "w.duckdb")
    result = import_file(
        con, workbook_bytes({"名册": [*sheet, ["999999", "王", "富杨苑", "社工", None, None]]}), "n.xlsx"
    )
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    stored = dict(con.execute("SELECT worker_id, name FROM workers").fetchall())
    con.close()
    assert stored == {f"{n:06d}": name for n, (name, _) in enumerate(names, start=1)} | {"999999": "王"}
    assert [w.row for w in result.warnings] == [n + 1 for n, (_, hidden) in enumerate(names, start=1) if hidden]
