"""The sample mark follows the data, not the path that loaded it (issue 24, item 6).

The bundled sample loaded with `etl load` (the operating-system user's batches, not the first start's) into a fresh
warehouse with no accounts is published at once; every page of every handout made from it — the deck and the
`etl export` workbook as LibreOffice prints them, the report and the ledger as Chromium prints them — says 示例数据,
and the ledger's HTML carries the mark every printed page repeats. A sample workbook an analyst has edited is the
town's own data: once it is published, no handout says 示例数据.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest
from rendered import needs_office, pages, to_pdf

from cli import main
from etl import publish
from etl.bootstrap import SAMPLE_FILES_AT_MOST, SAMPLE_USER, is_sample_only, sample_hashes
from etl.sample import write_samples
from i18n import t
from presenter import ledger, report, slides

ROOT = Path(__file__).resolve().parent.parent
MARK = "示例数据"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """The sample's workbooks loaded by `python -m etl load` into a fresh warehouse (no accounts: published)."""
    folder = tmp_path_factory.mktemp("etl-load")
    files = write_samples(folder / "sample")
    warehouse = folder / "data" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}  # accounts.json beside it: none
    done = subprocess.run(
        [sys.executable, "-m", "etl", "load", *map(str, files), "--db", str(warehouse)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert publish.current(warehouse) is not None, done.stdout
    return warehouse


@pytest.fixture(scope="module")
def handouts(loaded, tmp_path_factory) -> Path:
    """Every handout of the published sample but the PDFs Chromium prints, as the command line writes them."""
    folder = tmp_path_factory.mktemp("handouts")
    db = ["--db", str(loaded)]
    for args in (
        ["deck", str(folder / "deck.pptx"), *db],
        ["ledger", str(folder / "ledger.html"), *db],
        ["export", str(folder / "export.xlsx"), *db],
    ):
        assert main(args) == 0, args
    return folder


@pytest.fixture(scope="module")
def chromium_printed(loaded, handouts) -> dict[str, Path]:
    """The report and the ledger as the command line has Chromium print them (the e2e tests' only)."""
    db = ["--db", str(loaded)]
    for handout in ("report", "ledger"):
        assert main([handout, str(handouts / f"{handout}.pdf"), *db]) == 0, handout
    return {handout: handouts / f"{handout}.pdf" for handout in ("report", "ledger")}


@pytest.fixture(scope="module")
def printed(handouts) -> dict[str, Path]:
    """The deck and the export workbook printed by LibreOffice, beside the report and ledger Chromium printed."""
    needs_office()
    pdfs = to_pdf([handouts / "deck.pptx", handouts / "export.xlsx"], handouts / "office")
    return {"deck": pdfs["deck.pptx"], "export": pdfs["export.xlsx"]}


def test_the_sample_loaded_by_etl_load_is_the_sample(loaded):
    with duckdb.connect(str(publish.current_file(loaded)), read_only=True) as con:
        users = {u for (u,) in con.execute("SELECT DISTINCT user_name FROM import_batches").fetchall()}
        assert SAMPLE_USER not in users  # the operating-system user loaded it, not the first start
        assert is_sample_only(con)
    assert 0 < len(sample_hashes()) <= SAMPLE_FILES_AT_MOST


PRINTED_BY_CHROMIUM = pytest.mark.e2e


@pytest.mark.parametrize(
    "handout",
    [
        "deck",
        pytest.param("report", marks=PRINTED_BY_CHROMIUM),
        pytest.param("ledger", marks=PRINTED_BY_CHROMIUM),
        "export",
    ],
)
def test_every_page_of_every_handout_says_sample(request, handout):
    printer = "chromium_printed" if handout in ("report", "ledger") else "printed"  # LibreOffice prints the others
    pdf = request.getfixturevalue(printer)[handout]
    texts = pages(pdf)
    assert texts, pdf
    unmarked = [i + 1 for i, text in enumerate(texts) if MARK not in text]
    assert not unmarked, f"{handout}: pages {unmarked} of {len(texts)} do not say {MARK}"


def test_the_ledgers_page_carries_the_mark_each_printed_page_repeats(handouts):
    html = (handouts / "ledger.html").read_text(encoding="utf-8")
    assert f'<div class="running">{t("presenter.sample_mark", "zh")}</div>' in html


def test_the_export_says_sample_on_every_sheet(handouts):
    book = openpyxl.load_workbook(handouts / "export.xlsx")
    for sheet in book.worksheets:
        if sheet.sheet_state == "visible":
            assert MARK in (sheet.oddHeader.center.text or ""), sheet.title
    first = book.worksheets[0]
    assert first["A2"].value == t("presenter.sample_mark", "zh")


def test_an_edited_sample_is_the_towns_own_data(loaded, tmp_path):
    """A workbook started from the sample and edited hashes otherwise: once published, nothing says sample."""
    copy = tmp_path / "data"
    shutil.copytree(loaded.parent, copy)
    warehouse = copy / loaded.name
    edited = tmp_path / "03_会议.xlsx"
    write_samples(tmp_path / "sample")
    book = openpyxl.load_workbook(tmp_path / "sample" / edited.name)
    sheet = book.worksheets[0]
    sheet.cell(2, sheet.max_column).value = 99  # one meeting's attendance
    book.save(edited)
    assert main(["load", str(edited), "--db", str(warehouse)]) == 0
    with duckdb.connect(str(publish.current_file(warehouse)), read_only=True) as con:
        assert not is_sample_only(con)
        deck = slides.build(con, lang="zh", mask=True)
        book_ = ledger.build(con, lang="zh")
    assert not deck.sample and not book_.sample
    assert MARK not in report.to_html(deck) and MARK not in ledger.to_html(book_)
    out = tmp_path / "export.xlsx"
    assert main(["export", str(out), "--db", str(warehouse)]) == 0
    exported = openpyxl.load_workbook(out)
    assert all(MARK not in (s.oddHeader.center.text or "") for s in exported.worksheets)
