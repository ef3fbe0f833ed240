"""Notes that explain a figure (说明备注, issue 18 item 1): imported like any sheet, refused at the cell when wrong,
undone with their batch, and shown with their metric on its chart, under its tile, on its slide, in the .pptx and
in the printed report; never outside the period shown."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from visitors import open_page
from workbooks import strings_in, workbook_bytes

import metrics
import notes
import queries
from etl import db, kinds, publish, validate
from etl.load import import_file, undo
from i18n import t
from presenter import deck as pptx
from presenter import markdown, report, slides

ROOT = Path(__file__).resolve().parent.parent

HEADERS = ["备注编号", "日期", "结束日期", "指标", "社区", "备注内容", "英文备注"]
SUMMER = ["N1", "2023-08-01", "2023-08-31", "培训人次", None, "8月暑期停课", "No training in August: summer break"]


def note_file(*rows: list) -> bytes:
    return workbook_bytes({"说明备注": [HEADERS, *rows]})


def year_notes(con, year: int, community: str | None = None):
    return notes.in_period(con, start=date(year, 1, 1), end=date(year, 12, 31), community=community)


def test_a_note_names_any_shown_figure_as_the_catalogue_does():
    """A note's 指标 cell holding a figure's Chinese name (as the catalogue gives it) or its code is read as that
    figure's code; a figure the catalogue does not show is refused."""
    import pandas as pd

    column = kinds.KINDS["notes"].column("metric")
    for m in metrics.shown():
        typed = pd.Series([m.label("zh"), m.code], dtype="string")
        parsed, bad = validate.values.parse_enum(typed, column.choices, column.choice_aliases)
        assert not bad.any() and parsed.tolist() == [m.code] * 2, m.code
    hidden = [m for m in metrics.CATALOGUE if not m.shown]
    typed = pd.Series([m.label("zh") for m in hidden], dtype="string")
    assert hidden and validate.values.parse_enum(typed, column.choices, column.choice_aliases)[1].all()


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


# --- where a note shows: the sample with two notes imported and published, one in 2023 and one outside it

OUTSIDE = ["N9", "2022-06-01", None, "person_times", None, "旧年份的备注", "A note of another year"]
FUND = ["N2", "2023-10-01", None, "募集资金", None, "十月企业集中捐赠", None]


@pytest.fixture
def noted(sample_file, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    result = import_file(con, note_file(SUMMER, FUND, OUTSIDE), "备注.xlsx", user="analyst")
    assert result.status == "loaded", [e.as_dict() for e in result.errors]
    publish.publish(con, "approver")
    con.close()
    monkeypatch.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()


def chart_specs(at: AppTest) -> dict[str, dict]:
    """Each Plotly chart's decoded figure by the name the page gave it (its key is chart_<name>)."""
    return {e.proto.id.rsplit("-chart_", 1)[-1]: json.loads(e.proto.spec) for e in at.get("plotly_chart")}


def note_traces(spec: dict) -> list[dict]:
    return [trace for trace in spec["data"] if trace.get("meta") == "notes"]


def test_a_note_is_drawn_on_the_charts_of_its_metric_only(noted):
    specs = chart_specs(open_page("training", year="2023", lang="en"))
    [marker] = note_traces(specs["person_times_by_month"])
    assert marker["hovertext"] == ["2023-08-01 – 2023-08-31: No training in August: summer break"]
    assert marker["x"] == ["2023-08-01"]
    assert any(shape["x0"] == "2023-08-01" for shape in specs["person_times_by_month"]["layout"]["shapes"])
    assert not note_traces(specs["training_hours_by_month"])  # another figure's chart
    assert not any("another year" in s for s in strings_in(specs))  # outside the period: not drawn
    fund = chart_specs(open_page("fund", year="2023", lang="zh"))["fund_over_time"]
    assert note_traces(fund)[0]["hovertext"] == ["2023年10月1日：十月企业集中捐赠"]  # no English: the Chinese text


def tile_captions(at: AppTest, code: str) -> list[str]:
    """The captions inside the tile of metric `code` (its container's key is tile_<code>), as a reader sees them."""

    def captions(node) -> list[str]:
        if node.type == "caption":
            return [markdown.unescape(node.value)]
        return [c for child in getattr(node, "children", {}).values() for c in captions(child)]

    def find(node):
        if node.type == "flex_container" and node.proto.id.endswith(f"-tile_{code}"):
            return node
        return next((f for child in getattr(node, "children", {}).values() if (f := find(child))), None)

    tile = find(at.main)
    assert tile is not None, f"no tile for {code}"
    return [c.removeprefix(":material/sticky_note_2: ") for c in captions(tile) if "sticky_note" in c]


def test_a_note_is_listed_under_its_tile_in_its_period(noted):
    at = open_page("training", year="2023", lang="en")
    assert tile_captions(at, "person_times") == ["2023-08-01 – 2023-08-31: No training in August: summer break"]
    assert tile_captions(at, "training_hours") == []
    later = open_page("training", year="2024", lang="en")
    assert tile_captions(later, "person_times") == []  # outside the period


def test_a_note_travels_to_its_slide_the_pptx_and_the_report(noted):
    con = duckdb.connect(str(publish.current_file(noted)), read_only=True)
    deck = slides.build(con, lang="en", day=date(2024, 1, 31))
    zh = slides.build(con, lang="zh", day=date(2024, 1, 31))
    con.close()
    assert deck.year == 2023
    by_key = {s.key: s for s in deck.slides}
    summer = "2023-08-01 – 2023-08-31: No training in August: summer break"
    assert by_key["training_volume"].remarks == (summer,)
    assert by_key["fund"].remarks == ("2023-10-01: 十月企业集中捐赠",)
    assert all(not s.remarks for k, s in by_key.items() if k not in ("training_volume", "fund"))
    assert {s.key: s.remarks for s in zh.slides}["training_volume"] == ("2023年8月1日至2023年8月31日：8月暑期停课",)

    presentation = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    page = presentation.slides[[s.key for s in deck.slides].index("training_volume")]
    shapes = [shape.text_frame.text for shape in page.shapes if shape.has_text_frame]
    assert "Note: " + summer in shapes  # on the slide
    assert "Note: " + summer in page.notes_slide.notes_text_frame.text  # and in the speaker notes
    every = " ".join(sh.text_frame.text for sl in presentation.slides for sh in sl.shapes if sh.has_text_frame)
    assert "another year" not in every

    html = report.to_html(deck)
    assert '<p class="remark">Note: ' + summer + "</p>" in html
    assert "another year" not in html and "旧年份" not in html


def test_the_presenter_page_shows_the_slides_note(noted):
    con = duckdb.connect(str(publish.current_file(noted)), read_only=True)
    keys = [s.key for s in slides.build(con, lang="en").slides]
    con.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.session_state["presenter_slide"] = keys.index("training_volume") + 1
    at.switch_page("pages/presenter.py").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [markdown.unescape(c.value) for c in at.caption]
    assert ":material/sticky_note_2: 2023-08-01 – 2023-08-31: No training in August: summer break" in captions


def test_a_period_that_ends_before_it_starts_is_refused_at_its_end(warehouse):
    backwards = ["N4", "2023-08-31", "2023-08-01", "person_times", None, "x", None]
    result = import_file(warehouse, note_file(backwards), "notes.xlsx", user="analyst")
    assert [(e.row, e.column, e.header, e.key) for e in result.errors] == [(2, "C", "结束日期", "cell.end_before_date")]


def test_a_note_added_on_the_data_page_is_an_import_shown_on_its_tile_and_undone_with_its_batch(noted):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="note_metric").set_value(metrics.METRICS["training_hours"].label("en"))
    at.date_input(key="note_date").set_value(date(2023, 12, 1))
    at.text_input(key="note_text_zh").input("12月集中培训")
    at.text_input(key="note_text_en").input("December: training concentrated before year end")
    next(b for b in at.button if b.label == t("data.note.submit", "en")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = db.connect(noted)
    [(batch, file_name)] = con.execute(
        "SELECT batch_id, file_name FROM import_batches WHERE status = 'loaded' ORDER BY seq DESC LIMIT 1"
    ).fetchall()
    assert file_name.startswith("note_N")
    note_id = file_name.removeprefix("note_").removesuffix(".xlsx")
    stored = con.execute("SELECT metric, date, end_date, community, text_zh FROM notes WHERE note_id = ?", [note_id])
    assert stored.fetchall() == [("training_hours", date(2023, 12, 1), None, None, "12月集中培训")]
    assert publish.review(con).empty  # no accounts: published at once
    shown = open_page("training", year="2023", lang="en")
    assert tile_captions(shown, "training_hours") == ["2023-12-01: December: training concentrated before year end"]
    undo(con, batch, user="analyst")
    assert con.execute("SELECT count(*) FROM notes WHERE note_id = ?", [note_id]).fetchone()[0] == 0
    con.close()
