"""Masking without holes (issue 23, item 9): every donor not typed enterprise or organisation is masked (张三 -> 张*)
on every public surface — the ledger, each of its copies and `etl ledger`, the drill-down a forum screen shows, the
Presenter's slides, deck and report — by one rule (presenter.slides.donor_name); only signed-in staff may unmask."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, ROOT, sign_in, slide_number
from warehouses import ROWS
from workbooks import strings_in, workbook_bytes

import metrics
from cli import main
from etl import accounts, db, publish
from etl.load import import_file
from i18n import t
from presenter import ledger, slides
from ui import session, widgets

# People who gave with a type that is no company or organisation, each of whom must never be named in public.
PEOPLE = {"孙小红": "other", "周大伟": "individual", "吴芳": None, "郑强": "household"}  # household: no such type
BODIES = {"宏达有限公司": "enterprise", "阳光社工服务社": "organization"}  # named in public
GIFTS = ", ".join(
    f"('G{i}', DATE '2023-11-{i + 1:02d}', '{name}', {'NULL' if kind is None else repr(kind)}, {100 * (i + 1)}, NULL)"
    for i, (name, kind) in enumerate({**PEOPLE, **BODIES}.items())
)
ADD_GIFTS = f"INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan, channel) VALUES {GIFTS};"


# --- the one rule


@pytest.mark.parametrize(
    ("donor", "kind", "lang", "shown"),
    [
        ("张三", "other", "zh", "张*"),  # 其他: a person unless typed otherwise
        ("张三", "individual", "zh", "张*"),
        ("张三", "household", "zh", "张*"),  # a type the contract does not know
        ("张三", None, "zh", "张*"),  # no type
        ("张三", "", "zh", "张*"),
        ("Zhang San", float("nan"), "en", "Z*"),
        ("上海某某有限公司", "enterprise", "zh", "上海某某有限公司"),
        ("杨行镇商会", "organization", "zh", "杨行镇商会"),
        (" 杨行镇商会 ", " Organization ", "zh", "杨行镇商会"),
        ("匿名", "other", "zh", "匿名"),
        ("anonymous", "enterprise", "en", "Anonymous"),
        (None, "individual", "zh", "匿名"),  # a blank donor gave no name
        ("  ", "other", "en", "Anonymous"),
    ],
)
def test_one_rule_names_only_companies_and_organisations(donor, kind, lang, shown):
    assert slides.donor_name(donor, kind, lang) == shown
    assert ledger.shown_donor(donor, kind, lang) == shown  # the ledger's name for the same rule


def test_the_drill_downs_rows_follow_the_rule_and_mask_workers():
    import pandas as pd

    gifts = pd.DataFrame({"donor": ["孙小红", "宏达有限公司", None], "donor_type": ["other", "enterprise", None]})
    assert list(widgets.public_rows("donations", gifts, "zh")["donor"]) == ["孙*", "宏达有限公司", "匿名"]
    roster = pd.DataFrame({"worker_id": ["W1"], "name": ["夏红"]})
    assert widgets.public_rows("workers", roster, "zh").to_dict("records") == [{"worker_id": "W1", "name": "夏*"}]
    projects = pd.DataFrame({"name": ["加装电梯"]})  # a project's name is no person's
    assert list(widgets.public_rows("projects", projects, "zh")["name"]) == ["加装电梯"]


# --- the ledger and every copy of it


def pdf_text(data: bytes, tmp_path: Path) -> str | None:
    """The PDF's text (None where poppler's pdftotext is not installed: the PDF is printed from the HTML copy)."""
    assert data.startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        return None
    (tmp_path / "l.pdf").write_bytes(data)
    done = subprocess.run(["pdftotext", "-raw", str(tmp_path / "l.pdf"), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", done.stdout.decode("utf-8"))


def xlsx_text(data: bytes) -> str:
    sheet = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


def assert_masked(copy: str | None, what: str) -> None:
    if copy is None:  # a PDF with no pdftotext to read it
        return
    assert not [p for p in PEOPLE if p in copy], f"a person named in {what}"
    assert all(f"{p[0]}*" in copy for p in PEOPLE), what
    assert all(b in copy for b in BODIES), f"a company or organisation not named in {what}"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A small warehouse (tests/warehouses.py) with gifts from people of every type, published."""
    path = tmp_path / "small.duckdb"
    con = db.connect(path)
    con.execute(ROWS + ADD_GIFTS)
    publish.publish(con, "ada")
    con.close()
    return path


def test_the_ledger_and_all_its_copies_name_no_person(small, tmp_path):
    con = db.connect(small)
    for lang in ("zh", "en"):
        book = ledger.build(con, lang=lang)
        copies = {
            "table": ledger.table(book).to_csv(index=False),
            "csv": ledger.to_csv(book).decode("utf-8-sig"),
            "xlsx": xlsx_text(ledger.to_xlsx(book)),
            "html": ledger.to_html(book),
        }
        for what, copy in copies.items():
            assert_masked(copy, f"{what} ({lang})")
        assert t("ledger.masked", lang) in copies["html"]
    con.close()


@pytest.mark.e2e  # Chromium prints the PDF
def test_the_ledgers_printed_pdf_names_no_person(small, tmp_path):
    con = db.connect(small)
    for lang in ("zh", "en"):
        assert_masked(pdf_text(ledger.to_pdf(ledger.build(con, lang=lang)), tmp_path), f"pdf ({lang})")
    con.close()


def etl_ledger_names_no_person(small: Path, tmp_path: Path, read: dict) -> None:
    """`etl ledger` writes each copy of `read` (suffix -> its text) with no person named."""
    for suffix, text in read.items():
        out = tmp_path / f"ledger.{suffix}"
        assert main(["ledger", str(out), "--db", str(small), "--lang", "zh"]) == 0
        assert_masked(text(out.read_bytes()), f"etl ledger {suffix}")


def test_etl_ledger_names_no_person(small, tmp_path):
    read = {
        "csv": lambda data: data.decode("utf-8-sig"),
        "xlsx": xlsx_text,
        "html": lambda data: data.decode("utf-8"),
    }
    etl_ledger_names_no_person(small, tmp_path, read)


@pytest.mark.e2e  # Chromium prints the PDF
def test_etl_ledger_pdf_names_no_person(small, tmp_path):
    etl_ledger_names_no_person(small, tmp_path, {"pdf": lambda data: pdf_text(data, tmp_path)})


# --- the forum screen: dashboards open to anyone, names masked unless staff signed in


@pytest.fixture
def forum(app_env, sample_file: Path, tmp_path: Path) -> Path:
    """The sample with a gift from 张三 typed 其他 (published at the app's first open), accounts, and
    DASHBOARD_PUBLIC=dashboards: anyone sees the dashboards and the Presenter without signing in."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    con.execute(
        "INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan, channel) "
        "VALUES ('JZ2023-T1', DATE '2023-12-20', '张三', 'other', 1000, '现金')"
    )
    con.close()
    app_env.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_PUBLIC", "dashboards")
    for name, role in (("ada", "admin"), ("vic", "viewer")):
        accounts.add_user(name, role, PASSWORDS[name])
    return path


def visitor(page: str, name: str | None = None) -> AppTest:
    """A forum visitor on `page` (signed in as `name` when given)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if name:
        sign_in(at, name, PASSWORDS[name], form="sidebar_sign_in")
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def made(at: AppTest, downloads: dict, key: str) -> Any:
    """The file the download button with this key makes when it is clicked."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(f"-{key}"))
    return downloads[button.proto.deferred_file_id][1]()


def drilled(at: AppTest) -> str:
    """The page's drill-down (查看明细) opened on fund raised: every cell of its tables."""
    at.session_state[widgets.DRILLDOWN] = True
    at.run()
    at.selectbox(key="drill_metric").set_value(metrics.METRICS["fund_raised"].label("en")).run()
    assert not at.exception
    return "\n".join(d.value.to_csv(index=False) for d in at.dataframe)


@pytest.mark.parametrize("page", ["fund", "overview"])
def test_a_forum_visitor_sees_donors_masked_in_the_drill_down_and_its_downloads(forum, downloads, page):
    at = visitor(page)
    rows = drilled(at)
    assert "张*" in rows and "张三" not in rows
    assert "上海富杨实业有限公司" in rows  # a company keeps its name
    assert t("drill.masked", "en") in [c.value for c in at.caption]
    csv = made(at, downloads, "csv_fund_raised_donations").decode("utf-8-sig")
    xlsx = xlsx_text(made(at, downloads, "xlsx_fund_raised_donations"))
    for copy in (csv, xlsx):
        assert "张*" in copy and "张三" not in copy and "上海富杨实业有限公司" in copy


def test_signed_in_staff_see_the_names_behind_the_figures(forum):
    rows = drilled(visitor("fund", "vic"))
    assert "张三" in rows


def mentoring_chart(at: AppTest, path: Path) -> set[str]:
    """Every string of the mentoring slide's chart (its categories: the mentors' names), found by its key in the
    deck of the published version (its place moves with the slides before it, the voices' one among them)."""
    at.session_state["presenter_slide"] = slide_number(path, "mentoring")
    at.run()
    assert not at.exception
    return strings_in(json.loads(at.get("plotly_chart")[0].proto.spec))


def mentors(path: Path) -> list[str]:
    con = db.connect(path)
    sql = "SELECT DISTINCT w.name FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id"
    names = [n for (n,) in con.execute(sql).fetchall()]
    con.close()
    return names


def test_the_presenter_masks_every_name_for_a_forum_visitor_and_only_staff_may_unmask(forum, downloads):
    names = mentors(forum)
    at = visitor("presenter")
    assert not [w for w in at.toggle if w.key == "presenter_mask"]  # no switch to turn off
    assert t("presenter.masked_public", "en") in [c.value for c in at.caption]
    chart = mentoring_chart(at, forum)
    assert f"{names[0][0]}*" in chart and not [s for s in chart if any(n in s for n in names)]
    at.session_state["presenter_mask"] = False  # what a crafted session would send: ignored
    chart = mentoring_chart(at, forum)
    assert not [s for s in chart if any(n in s for n in names)]
    deck, report = made(at, downloads, "presenter_deck"), str(made(at, downloads, "presenter_report"))
    shapes = [s for slide in Presentation(io.BytesIO(deck)).slides for s in slide.shapes]
    words = " ".join(s.text_frame.text for s in shapes if s.has_text_frame)
    words += " ".join(str(c) for s in shapes if s.has_chart for c in s.chart.plots[0].categories)
    for copy in (words, report):
        assert f"{names[0][0]}*" in copy and not [n for n in names if n in copy]
    at = visitor("presenter", "vic")  # signed-in staff may switch the mask off (on until they choose otherwise)
    assert at.toggle(key="presenter_mask").value is True
    assert t("presenter.masked_public", "en") not in [c.value for c in at.caption]
    at.toggle(key="presenter_mask").set_value(False).run()
    chart = mentoring_chart(at, forum)
    assert all(n in chart for n in names)


@pytest.mark.parametrize("page", ["fund", "overview"])
def test_the_drill_downs_downloads_hold_what_the_page_showed_not_pending_imports(forum, downloads, page):
    """Its files are made when clicked, from the version the page read: an import waiting for approval is in
    neither the table nor its downloads (they read the working warehouse before)."""
    rows = [
        ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)"],
        ["JZ2023-P9", "2023-12-30", "某企业", "企业", 40000],
    ]
    visitor(page)  # the app's first open publishes the sample
    con = session.warehouse(str(forum))
    import_file(con, workbook_bytes({"捐赠": rows}), "pending.xlsx", user="ann")
    con.close()
    at = visitor(page)
    assert "JZ2023-P9" not in drilled(at)
    assert "JZ2023-P9" not in made(at, downloads, "csv_fund_raised_donations").decode("utf-8-sig")


# --- every page table that names a person (page.table: a column headed 姓名, 师傅, 徒弟, … — ui.page.PERSON_HEADERS)


def workers(path: Path) -> list[str]:
    """Every worker's name in the warehouse at `path`."""
    con = db.connect(path)
    names = [n for (n,) in con.execute("SELECT name FROM workers").fetchall()]
    con.close()
    return names


@pytest.fixture
def untrained(forum: Path) -> Path:
    """The forum's warehouse with two workers who attended no session (the sample trains everyone)."""
    con = db.connect(forum)
    con.execute(
        "INSERT INTO workers (worker_id, name, community, role, joined_date, active) "
        "SELECT 'WT' || i, name, community, role, DATE '2023-01-01', true "
        "FROM (VALUES (1, '欧阳娜娜'), (2, '岳红')) n(i, name), (SELECT community, role FROM workers LIMIT 1)"
    )
    con.close()
    return forum


def shown_table(at: AppTest, header: str) -> Any:
    """The page's table with a column headed `header` (as the reader sees it)."""
    return next(d.value for d in at.dataframe if header in d.value.columns)


def file_text(name: str, data: Any) -> str:
    """A download's text, whatever it is: a CSV, an Excel workbook, a .pptx deck or an HTML page."""
    if name.endswith(".xlsx"):
        return xlsx_text(data)
    if name.endswith(".pptx"):
        shapes = [s for slide in Presentation(io.BytesIO(data)).slides for s in slide.shapes]
        words = [s.text_frame.text for s in shapes if s.has_text_frame]
        return "\n".join(words + [str(c) for s in shapes if s.has_chart for c in s.chart.plots[0].categories])
    return data.decode("utf-8-sig") if isinstance(data, bytes) else str(data)


TRAINING_FILES = ("csv_untrained_workers", "xlsx_untrained_workers", "csv_mentoring_pairs", "xlsx_mentoring_pairs")


def training_files(at: AppTest, downloads: dict) -> dict[str, str]:
    """The text of the training page's tables' downloads (made as when clicked), by button key."""
    return {key: file_text("." + key.split("_", 1)[0], made(at, downloads, key)) for key in TRAINING_FILES}


def test_a_forum_visitor_sees_workers_masked_in_the_training_tables_and_their_downloads(untrained, downloads):
    """Untrained workers and mentoring pairs: 张* on the page and in the CSV and Excel files of a visitor who has
    not signed in; a signed-in admin sees every name in full, in the tables and the files."""
    names, header = workers(untrained), {k: t(f"table.{k}", "en") for k in ("person_name", "mentor", "mentee", "role")}
    at = visitor("training")
    untrained, pairs = shown_table(at, header["role"]), shown_table(at, header["mentor"])
    columns = {"untrained": untrained[header["person_name"]], "mentors": pairs[header["mentor"]]}
    columns["mentees"] = pairs[header["mentee"]]
    for what, column in columns.items():
        assert len(column) and all(re.fullmatch(r".\*", n) for n in column), what
    rows = "\n".join(d.value.to_csv(index=False) for d in at.dataframe)
    assert not [n for n in names if n in rows]
    assert t("table.masked", "en") in [c.value for c in at.caption]
    for key, copy in training_files(at, downloads).items():
        assert not [n for n in names if n in copy], key
        first = columns["untrained" if "untrained" in key else "mentees"].iloc[0]
        assert first in copy, key  # the 张* the page showed

    at = visitor("training", "ada")
    untrained, pairs = shown_table(at, header["role"]), shown_table(at, header["mentor"])
    shown = [*untrained[header["person_name"]], *pairs[header["mentor"]], *pairs[header["mentee"]]]
    assert shown and all(n in names for n in shown)
    assert t("table.masked", "en") not in [c.value for c in at.caption]
    files = training_files(at, downloads)
    for key, copy in files.items():
        table = untrained[header["person_name"]] if "untrained" in key else pairs[header["mentee"]]
        assert all(n in copy for n in table), key
    assert all(n in files["csv_mentoring_pairs"] for n in pairs[header["mentor"]])


VISITED = ("overview", "projects", "training", "fund", "ledger", "presenter")  # what a forum screen opens


def test_no_page_a_forum_visitor_opens_names_a_worker_in_full(untrained, downloads):
    """Every table, chart and download of every page a visitor who has not signed in may open: no worker's name in
    full (a table of people forgets nothing: page.table masks the columns headed as a person)."""
    names = workers(untrained)
    for page in VISITED:
        at = visitor(page)
        copies = {f"table {i}": d.value.to_csv(index=False) for i, d in enumerate(at.dataframe)}
        for i, chart in enumerate(at.get("plotly_chart")):
            copies[f"chart {i}"] = "\n".join(strings_in(json.loads(chart.proto.spec)))
        for button in at.get("download_button"):
            file_name, make = downloads[button.proto.deferred_file_id]
            if not str(file_name).endswith(".pdf"):  # the ledger's PDF is printed from its HTML copy
                copies[str(file_name)] = file_text(str(file_name), make())
        assert copies, page
        for what, copy in copies.items():
            assert not [n for n in names if n in copy], f"a worker named in full on {page}: {what}"
