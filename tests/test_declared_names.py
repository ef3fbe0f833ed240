"""The names the town declares once with its data (issue 24, item 4): the town, its district, the fund and its own
programmes come from the metadata sheet (数据说明) and every surface — the deck and its .pptx, the printed report,
the fund ledger and its copies, the Overview page, `etl metrics` and the exported workbook — shows the one name
declared; declaring another changes it everywhere."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from visitors import open_page

import declared
from cli import main
from etl import db, load, publish
from etl.export import export
from etl.kinds import KINDS
from etl.load import import_file
from etl.sample import NAMES, SAMPLE_AS_OF
from etl.template import metadata_workbook, write_template
from presenter import deck as pptx
from presenter import ledger, report, slides

# Another town's names: none of them shares a word with the sample's.
OTHER = {
    "town": "临江镇",
    "town_en": "Linjiang Town",
    "district": "浦东新区",
    "district_en": "Pudong New Area",
    "fund": "春风",
    "fund_en": "Spring Breeze",
    "mentoring": "领航",
    "mentoring_en": "Pathfinder",
    "training": "社工赋能计划",
    "training_en": "Social-worker empowerment plan",
}
# Anything that spells a fund 暖杨X, or names the sample's programmes in either language.
FUND_LIKE = re.compile(r"暖杨.|Warm Yang \w+")
SAMPLE_WORDS = (
    "暖杨",
    "Warm Yang",
    "头雁",
    "Head Goose",
    "社工成长计划",
    "growth plan",
    "Yanghang",
    "宝山区",
    "Baoshan",
)


def deck_text(con, lang: str) -> str:
    """Every word of the deck: the .pptx's slides and speaker notes, and the printed report."""
    deck = slides.build(con, lang=lang, mask=True)
    prs = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    shapes = [s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame]
    notes = [slide.notes_slide.notes_text_frame.text for slide in prs.slides]
    return "\n".join([*shapes, *notes, report.to_html(deck)])


def ledger_text(con, lang: str) -> str:
    """The ledger's title, file name, printable page and Excel copy."""
    book = ledger.build(con, lang=lang)
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.to_xlsx(book))).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    return "\n".join([ledger.title(book), ledger.stem(book), ledger.to_html(book), *cells])


def metrics_names(path: Path, lang: str) -> dict:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["metrics", "--db", str(path), "--json", "--draft", "--lang", lang]) == 0
    return json.loads(out.getvalue())["names"]


def overview_text(lang: str) -> str:
    """What the Overview shows: its headers and the 文字综述, as the app draws them."""
    at = open_page("overview", lang=lang, year="2023")
    return "\n".join([*(h.value for h in at.header), *(m.value for m in at.markdown)])


def every_surface(con, path: Path, lang: str) -> dict[str, str]:
    return {
        "deck": deck_text(con, lang),
        "ledger": ledger_text(con, lang),
        "metrics": json.dumps(metrics_names(path, lang), ensure_ascii=False),
        "overview": overview_text(lang),
    }


def fund(names: dict[str, str], lang: str) -> str:
    return declared.Names(**names).fund_name(lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_surface_calls_the_fund_by_the_one_name_the_sample_declares(sample_app, lang):
    con = db.connect(sample_app)
    try:
        assert declared.of(con) == declared.Names(**NAMES)
        surfaces = every_surface(con, sample_app, lang)
    finally:
        con.close()
    assert fund(NAMES, lang) in ("“暖杨汇”社区基金", "Warm Yang Hui community fund")
    for surface, text in surfaces.items():
        assert fund(NAMES, lang) in text, surface
        assert set(FUND_LIKE.findall(text)) <= {"暖杨汇", "Warm Yang Hui"}, surface  # never 暖杨惠
    assert declared.Names(**NAMES).mentoring_name(lang) in surfaces["deck"]
    assert declared.Names(**NAMES).place(lang) in surfaces["deck"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_declaring_other_names_changes_them_everywhere(sample_app, lang):
    """The same figures under another town's names: no surface keeps a word of the sample's."""
    con = db.connect(sample_app)
    try:
        result = import_file(con, metadata_workbook(SAMPLE_AS_OF, "另一镇", OTHER), "数据说明.xlsx")
        assert result.status == "loaded", result.errors
        publish.publish(con, "tester")  # what the Overview reads
        other = declared.Names(**OTHER)
        assert declared.of(con) == other
        surfaces = every_surface(con, sample_app, lang)
        book = io.BytesIO()
        export(con, book, lang)
    finally:
        con.close()
    for surface, text in surfaces.items():
        assert other.fund_name(lang) in text, surface
        assert not [w for w in SAMPLE_WORDS if w in text], surface
    for name in (other.place(lang), other.mentoring_name(lang), other.training_name(lang)):
        assert name in surfaces["deck"], name
    assert other.mentoring_name(lang) in surfaces["overview"]
    exported = openpyxl.load_workbook(io.BytesIO(book.getvalue()))
    assert other.town_name(lang) in exported.properties.title
    sheet = exported[KINDS["metadata"].zh if lang == "zh" else "metadata"]
    assert "春风" in [c for row in sheet.iter_rows(values_only=True) for c in row]  # exported as declared


def test_a_later_declaration_keeps_the_names_it_leaves_blank(sample_con):
    """A file that leaves a name blank keeps the earlier one, even when it replaces the row that declared it (the
    same 数据截至); undoing a renaming brings the name before it back."""
    sample = declared.Names(**NAMES)
    assert import_file(sample_con, metadata_workbook(SAMPLE_AS_OF, "重报"), "same_day.xlsx").status == "loaded"
    assert declared.of(sample_con) == sample
    assert import_file(sample_con, metadata_workbook(date(2024, 2, 29), ""), "as_of.xlsx").status == "loaded"
    assert declared.of(sample_con) == sample
    renamed = import_file(sample_con, metadata_workbook(SAMPLE_AS_OF, "", {"fund": "春风"}), "fund.xlsx")
    assert renamed.status == "loaded"
    assert declared.of(sample_con) == declared.Names(**{**NAMES, "fund": "春风"})
    load.undo(sample_con, renamed.batch_id)
    assert declared.of(sample_con) == sample


def test_nothing_declared_reads_without_a_name(warehouse):
    assert declared.of(warehouse) == declared.Names()
    names = declared.Names()
    assert names.fund_name("zh") == "社区基金" and names.params("en")["Fund"] == "Community fund"


def test_an_older_warehouse_gains_the_name_columns(tmp_path):
    """A warehouse made before names were declared: its metadata (and history) tables get the columns on opening."""
    path = tmp_path / "old.duckdb"
    con = db.connect(path)
    for column in declared.COLUMNS:
        con.execute(f"ALTER TABLE metadata DROP COLUMN {column}")
        con.execute(f"ALTER TABLE metadata_history DROP COLUMN {column}")
    con.close()
    con = db.connect(path)
    try:
        for table in ("metadata", "metadata_history"):
            have = {
                r[0]
                for r in con.execute(
                    f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{table}'"
                ).fetchall()
            }
            assert set(declared.COLUMNS) <= have, table
        assert import_file(con, metadata_workbook(SAMPLE_AS_OF, "", OTHER), "m.xlsx").status == "loaded"
        assert declared.of(con) == declared.Names(**OTHER)
    finally:
        con.close()


def test_the_template_asks_for_the_names(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", "zh"))
    headers = [c.value for c in next(book[KINDS["metadata"].zh].iter_rows(max_row=1))]
    assert {"镇名", "基金名称", "带教项目名称", "培训项目名称"} <= set(headers)
