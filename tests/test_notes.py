"""Notes that explain a figure (说明备注, issue 18 item 1): imported like any sheet, refused at the cell when wrong,
undone with their batch, and shown with their metric on its chart, under its tile, on its slide, in the .pptx and
in the printed report; never outside the period shown."""

from __future__ import annotations

from datetime import date

import pytest
from workbooks import workbook_bytes

import metrics
import notes
import queries
from etl import kinds, validate
from etl.load import import_file, undo

HEADERS = ["备注编号", "日期", "结束日期", "指标", "社区", "备注内容", "英文备注"]
SUMMER = ["N1", "2023-08-01", "2023-08-31", "培训人次", None, "8月暑期停课", "No training in August: summer break"]


def note_file(*rows: list) -> bytes:
    return workbook_bytes({"说明备注": [HEADERS, *rows]})


def year_notes(con, year: int, community: str | None = None):
    return notes.in_period(con, start=date(year, 1, 1), end=date(year, 12, 31), community=community)


def test_the_metric_choices_are_the_catalogues_shown_figures():
    assert {m.code: m.label("zh") for m in metrics.shown()} == kinds.NOTE_METRICS


def test_the_notes_sheet_is_imported_and_the_instructions_sheet_still_skipped():
    sheet = kinds.KINDS["notes"].zh
    assert validate.values.normalize_one(sheet) not in validate.SKIPPED_SHEETS
    assert validate.SHEET_NAMES[validate.values.normalize_one(sheet)] == "notes"
    assert "说明" in validate.SKIPPED_SHEETS


def test_a_note_is_imported_and_applies_to_the_periods_it_overlaps(warehouse):
    result = import_file(warehouse, note_file(SUMMER), "notes.xlsx", user="analyst")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    assert result.sheets[0]["kind"] == "notes" and result.sheets[0]["inserted"] == 1
    found = year_notes(warehouse, 2023)
    assert list(found["note_id"]) == ["N1"] and list(found["metric"]) == ["person_times"]
    assert year_notes(warehouse, 2024).empty  # outside the period: not shown
    early = notes.in_period(warehouse, start=date(2023, 1, 1), end=date(2023, 7, 31))
    assert early.empty  # the year to date before August holds no note yet
    across = notes.in_period(warehouse, start=date(2023, 8, 20), end=date(2023, 9, 30))
    assert list(across["note_id"]) == ["N1"]  # a period note overlaps a view that starts inside it


def test_a_notes_words_follow_the_language(warehouse):
    chinese_only = ["N2", "2023-03-05", None, "training_hours", "杨行一村", "新入职12人尚未参训", None]
    import_file(warehouse, note_file(SUMMER, chinese_only), "notes.xlsx", user="analyst")
    found = year_notes(warehouse, 2023)
    assert notes.lines(found, ["person_times"], "zh") == ("2023年8月1日至2023年8月31日：8月暑期停课",)
    assert notes.lines(found, ["person_times"], "en") == (
        "2023-08-01 – 2023-08-31: No training in August: summer break",
    )
    assert notes.lines(found, ["training_hours"], "en") == ("2023-03-05 (杨行一村): 新入职12人尚未参训",)  # no English


def test_a_communitys_note_shows_in_its_view_and_the_towns_not_in_anothers(warehouse):
    mine = ["N3", "2023-05-01", None, "trained", "杨行一村", "一村换届", None]
    import_file(warehouse, note_file(SUMMER, mine), "notes.xlsx", user="analyst")
    assert set(year_notes(warehouse, 2023)["note_id"]) == {"N1", "N3"}
    assert set(year_notes(warehouse, 2023, "杨行一村")["note_id"]) == {"N1", "N3"}
    assert set(year_notes(warehouse, 2023, "富杨苑")["note_id"]) == {"N1"}


def test_an_unknown_metric_is_refused_at_its_cell(warehouse):
    wrong = ["N2", "2023-09-01", None, "幸福指数", None, "x", None]
    result = import_file(warehouse, note_file(SUMMER, wrong), "notes.xlsx", user="analyst")
    assert result.status == "rejected"
    [error] = result.errors
    assert (error.sheet, error.row, error.column, error.header, error.value) == ("说明备注", 3, "D", "指标", "幸福指数")
    assert "person_times" in error.message("en") and "培训人次" in error.message("zh")
    assert warehouse.execute("SELECT count(*) FROM notes").fetchone()[0] == 0  # all or nothing


@pytest.mark.parametrize("blank", ["备注内容", "日期"])
def test_a_note_needs_its_date_and_its_chinese_text(warehouse, blank):
    row = dict(zip(HEADERS, SUMMER, strict=True)) | {blank: None}
    result = import_file(warehouse, note_file(list(row.values())), "notes.xlsx", user="analyst")
    assert result.status == "rejected"
    assert [(e.row, e.header, e.key) for e in result.errors] == [(2, blank, "cell.required")]


def test_undo_removes_the_note(warehouse):
    result = import_file(warehouse, note_file(SUMMER), "notes.xlsx", user="analyst")
    assert not year_notes(warehouse, 2023).empty
    undo(warehouse, result.batch_id, user="analyst")
    assert year_notes(warehouse, 2023).empty


def test_a_version_published_before_notes_existed_has_none(warehouse):
    warehouse.execute("DROP TABLE notes")
    assert year_notes(warehouse, 2023).empty


def test_the_pages_query_takes_the_year_as_of_the_datas_date(warehouse):
    import_file(warehouse, note_file(SUMMER), "notes.xlsx", user="analyst")
    assert list(queries.notes(warehouse, year=2023)["note_id"]) == ["N1"]
    assert queries.notes(warehouse, year=2023, as_of=date(2023, 6, 30)).empty
    assert list(queries.notes(warehouse, year=None)["note_id"]) == ["N1"]
