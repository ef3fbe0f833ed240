"""The round-trip workbook: the working data exported in the template's layout imports back unchanged, a one-cell
edit updates exactly that row (and the review names it), and odd values survive the trip."""

from __future__ import annotations

import io
import shutil
import unicodedata
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from etl import db, export
from etl.changes import compare
from etl.kinds import KINDS, LOAD_ORDER
from etl.load import import_file
from etl.template import header, sheet_name, write_template
from presenter.review import change_lines, summary_sentences

LANGS = ["zh", "en"]


@pytest.fixture
def sample(sample_con):
    """A copy of the sample warehouse."""
    return sample_con


def table(con, kind: str) -> list[tuple]:
    k = KINDS[kind]
    names = ", ".join(f'"{c}"' for c in k.column_names)
    return con.execute(f"SELECT {names} FROM {kind} ORDER BY {', '.join(k.key)}").fetchall()


def stored_counts(con) -> dict[str, int]:
    return {k: con.execute(f"SELECT count(*) FROM {k}").fetchone()[0] for k in LOAD_ORDER}


@pytest.mark.parametrize("lang", LANGS)
def test_sample_exported_and_reimported_is_unchanged(sample, tmp_path, lang):
    out = tmp_path / f"export_{lang}.xlsx"
    done = export.export(sample, out, lang)
    counts = stored_counts(sample)
    assert done.rows == counts
    assert counts["projects"] and counts["attendance"] and counts["targets"] and counts["metadata"]

    # the template's layout: the same visible sheets, in order, with the same header rows
    blank = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx", lang))
    book = openpyxl.load_workbook(out)
    visible = [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    assert visible == [ws.title for ws in blank.worksheets if ws.sheet_state == "visible"]
    for name in LOAD_ORDER:
        kind = KINDS[name]
        ws = book[sheet_name(kind, lang)]
        assert [c.value for c in ws[1]] == [header(c, lang) for c in kind.columns]
        assert ws.max_row == counts[name] + 1
        assert ws.freeze_panes == "A2"

    before = {k: table(sample, k) for k in LOAD_ORDER}
    result = import_file(sample, out.read_bytes(), out.name, user="test")
    assert result.status == "unchanged", [e.as_dict() for e in result.errors[:5]]
    assert result.counts == {"inserted": 0, "updated": 0, "unchanged": sum(counts.values())}
    by_kind = {s["kind"]: s for s in result.sheets}
    for name, n in counts.items():
        assert by_kind[name]["unchanged"] == n, name
    assert {k: table(sample, k) for k in LOAD_ORDER} == before


@pytest.mark.parametrize("lang", LANGS)
def test_values_are_written_as_the_reader_reads_them(sample, tmp_path, lang):
    """Enumerations as labels (zh) or codes (en), yes/no as words, dates as Excel dates, amounts as numbers, IDs
    as text, a coverage target as its fraction."""
    out = tmp_path / "x.xlsx"
    export.export(sample, out, lang, ["projects", "targets"])
    book = openpyxl.load_workbook(out)
    assert [ws.title for ws in book.worksheets if ws.sheet_state == "visible"][1:] == [
        sheet_name(KINDS[k], lang) for k in ("projects", "targets")
    ]
    ws = book[sheet_name(KINDS["projects"], lang)]
    columns = KINDS["projects"].column_names
    pid, status, budget, completed = sample.execute(
        "SELECT project_id, status, budget_yuan, completed_date FROM projects "
        "WHERE budget_yuan IS NOT NULL AND completed_date IS NOT NULL AND resident_proposed ORDER BY 1 LIMIT 1"
    ).fetchone()
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == pid)
    cell = {name: row[i] for i, name in enumerate(columns)}
    assert cell["project_id"].data_type == "s"
    assert cell["status"].value == (KINDS["projects"].column("status").choices[status] if lang == "zh" else status)
    assert cell["resident_proposed"].value == ("是" if lang == "zh" else "yes")
    assert cell["budget_yuan"].value == float(budget) and cell["budget_yuan"].number_format == "#,##0.00"
    assert cell["completed_date"].value == datetime.combine(completed, datetime.min.time())
    assert cell["completed_date"].number_format == "yyyy-mm-dd"

    targets = book[sheet_name(KINDS["targets"], lang)]
    coverage = [r for r in targets.iter_rows(min_row=2) if r[0].value in ("培训覆盖率", "training_coverage")]
    assert coverage and all(r[2].value == 1 and r[2].number_format.endswith("%") for r in coverage)


def _edit(book, lang, kind: str, key: str, changes: dict[str, object]) -> None:
    ws = book[sheet_name(KINDS[kind], lang)]
    names = KINDS[kind].column_names
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == key)
    for name, value in changes.items():
        row[names.index(name)].value = value


@pytest.mark.parametrize("lang", LANGS)
def test_one_cell_edit_updates_one_row_and_added_rows_are_inserted(sample, tmp_path, lang):
    pid, name = sample.execute(
        "SELECT project_id, name FROM projects WHERE status = 'in_progress' ORDER BY 1 LIMIT 1"
    ).fetchone()
    fresh = sample.execute(
        "SELECT s.session_id, w.worker_id FROM training_sessions s, workers w "
        "WHERE NOT EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.session_id AND a.worker_id = w.worker_id) "
        "ORDER BY 1, 2 LIMIT 3"
    ).fetchall()
    data, _ = export.export_bytes(sample, lang)
    book = openpyxl.load_workbook(io.BytesIO(data))
    status = "已完成" if lang == "zh" else "completed"
    _edit(book, lang, "projects", pid, {"status": status, "completed_date": datetime(2024, 1, 20)})
    attendance = book[sheet_name(KINDS["attendance"], lang)]
    for session_id, worker_id in fresh:
        attendance.append([session_id, worker_id])
    edited = io.BytesIO()
    book.save(edited)
    edited = edited.getvalue()

    checked = import_file(sample, edited, "edited.xlsx", dry_run=True)
    assert checked.status == "valid", [e.as_dict() for e in checked.errors[:5]]
    assert checked.counts["inserted"] == 3 and checked.counts["updated"] == 1
    changes = compare(sample, checked)
    lines = change_lines(changes, lang)
    if lang == "zh":
        assert f"项目 {pid}（{name}）：状态 实施中 → 已完成；完成日期 （空） → 2024年1月20日" in lines
        assert "新增 3 条培训签到" in summary_sentences(checked, lang)
        assert f"新增培训签到：{fresh[0][0]} / {fresh[0][1]}、" in lines[0]
    else:
        assert f"projects {pid} ({name}): status In progress → Completed; completed date (blank) → 2024-01-20" in lines
        assert "adds 3 attendance rows" in summary_sentences(checked, lang)
    assert len(changes.updated) == 1 and changes.added_total == {"attendance": 3}

    result = import_file(sample, edited, "edited.xlsx", user="test")
    assert result.status == "loaded"
    by_kind = {s["kind"]: s for s in result.sheets}
    assert by_kind["projects"]["updated"] == 1 and by_kind["projects"]["inserted"] == 0
    assert by_kind["attendance"]["inserted"] == 3 and by_kind["attendance"]["updated"] == 0
    assert sum(s["updated"] + s["inserted"] for s in result.sheets) == 4
    assert sample.execute(
        "SELECT status, completed_date FROM projects WHERE project_id = $p", {"p": pid}
    ).fetchone() == ("completed", date(2024, 1, 20))


def test_a_changed_amount_and_enum_are_described_with_money_and_labels(sample):
    """The review writes an updated row's fields as the UI does: ¥ for money, labels for enumerations."""
    did, amount = sample.execute("SELECT donation_id, amount_yuan FROM donations ORDER BY 1 LIMIT 1").fetchone()
    data, _ = export.export_bytes(sample, "zh", ["donations"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    _edit(book, "zh", "donations", did, {"amount_yuan": float(amount) + 0.5, "donor_type": "社会组织"})
    out = io.BytesIO()
    book.save(out)
    checked = import_file(sample, out.getvalue(), "d.xlsx", dry_run=True)
    assert checked.counts["updated"] == 1 and checked.counts["inserted"] == 0
    [line] = change_lines(compare(sample, checked), "zh")
    assert line.startswith(f"捐赠 {did}：")
    assert f"金额(元) ¥{float(amount):,.2f}".rstrip("0").rstrip(".") in line
    assert "捐赠方类型" in line and "→ 社会组织" in line


# --- odd values


def _fill(con, projects: list[dict], sessions: list[dict] | None = None, targets: list[dict] | None = None):
    for kind, rows in (("projects", projects), ("training_sessions", sessions or []), ("targets", targets or [])):
        for row in rows:
            names = ", ".join(f'"{c}"' for c in row)
            con.execute(f"INSERT INTO {kind} ({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def _round_trip(con, tmp_path, lang: str, name: str = "odd", fresh: bool = True) -> None:
    """Export `con` in `lang`; importing the file into the same warehouse changes nothing, and (`fresh`) into an
    empty one stores exactly the same rows."""
    out = tmp_path / f"{name}_{lang}.xlsx"
    export.export(con, out, lang, ["projects", "training_sessions", "targets"])
    again = import_file(con, out.read_bytes(), out.name, user="test", dry_run=True)
    assert again.status == "valid", [e.as_dict() for e in again.errors[:5]]
    assert again.counts["inserted"] == 0 and again.counts["updated"] == 0
    if not fresh:
        return
    empty = db.connect(tmp_path / f"{name}_{lang}_empty.duckdb")
    try:
        loaded = import_file(empty, out.read_bytes(), out.name, user="test")
        assert loaded.status == "loaded", [e.as_dict() for e in loaded.errors[:5]]
        for kind in ("projects", "training_sessions", "targets"):
            assert table(empty, kind) == table(con, kind), kind
    finally:
        empty.close()


def project(project_id: str, **values: object) -> dict:
    row = {"project_id": project_id, "name": "项目", "program": "other", "community": "杨行", "status": "planned"}
    return row | values


ODD = [
    pytest.param(project("00123"), id="leading-zeros"),
    pytest.param(project("=1+1", name="=SUM(A1:A3)"), id="formula"),
    pytest.param(project("+86", name="-5", theme="@home"), id="formula-starts"),
    pytest.param(project("1e5", name="TRUE", theme="NA", community="null"), id="look-like-values"),
    pytest.param(project("P1", name="长" * 5000, theme="第一行\n第二行"), id="long-chinese-and-newline"),
    pytest.param(project("P2", name="_x0041_ 'quoted'", theme="#N/A"), id="escapes-and-error-text"),
    pytest.param(project("P3", budget_yuan=12345.60, residents_involved=0), id="float-and-zero"),
    pytest.param(project("P4", budget_yuan=0.01, residents_involved=None, theme=None), id="cent-and-blanks"),
    pytest.param(project("P5", budget_yuan=9_999_999_999.99, resident_proposed=False), id="largest-amount-and-no"),
    pytest.param(project("P6", start_date=date(1900, 1, 1), completed_date=date(1900, 2, 28)), id="1900-01-and-02"),
    pytest.param(project("P9", start_date=date(1800, 1, 1), completed_date=date(1899, 12, 31)), id="before-1900"),
    pytest.param(
        project("P7", status="completed", start_date=date(1900, 3, 1), completed_date=date(2100, 12, 31)),
        id="1900-03-01-and-2100",
    ),
    pytest.param(project("P8", start_date=date(2024, 2, 29), level="municipal", program="group_governance"), id="leap"),
]


@pytest.mark.parametrize("row", ODD)
@pytest.mark.parametrize("lang", LANGS)
def test_odd_values_survive_the_round_trip(warehouse, tmp_path, lang, row):
    _fill(warehouse, [row])
    _round_trip(warehouse, tmp_path, lang)


def test_formula_like_text_is_a_quoted_text_cell(warehouse, tmp_path):
    """Text starting with = + - @ is a text cell with Excel's quote prefix (never run; no apostrophe in its value)."""
    _fill(warehouse, [project("=1+1", name="+86", theme="@x"), project("P1", name="-5", theme="a=b")])
    out = tmp_path / "f.xlsx"
    export.export(warehouse, out, "en", ["projects"])
    ws = openpyxl.load_workbook(out)["projects"]
    cells = {c.value: c for row in ws.iter_rows(min_row=2, max_col=4) for c in row if c.value is not None}
    for text in ("=1+1", "+86", "@x", "-5"):
        assert cells[text].data_type == "s" and cells[text].quotePrefix, text
    assert not cells["a=b"].quotePrefix and not cells["P1"].quotePrefix


def test_a_date_excel_cannot_hold_is_iso_text(warehouse, tmp_path):
    """Excel's dates start on 1900-01-01: an earlier one is written as ISO text (a negative day number would show
    as ####), a later one as a date."""
    _fill(warehouse, [project("P1", start_date=date(1899, 12, 31), completed_date=date(1900, 1, 1))])
    out = tmp_path / "d.xlsx"
    export.export(warehouse, out, "en", ["projects"])
    row = next(openpyxl.load_workbook(out)["projects"].iter_rows(min_row=2))
    names = KINDS["projects"].column_names
    assert row[names.index("start_date")].value == "1899-12-31"
    assert row[names.index("completed_date")].value == datetime(1900, 1, 1)


@pytest.mark.parametrize("lang", LANGS)
def test_odd_numbers_survive_the_round_trip(warehouse, tmp_path, lang):
    """Hours and targets the reader would not give back from a number cell (more than 9 decimals) are written as
    their exact text; coverage targets stay fractions."""
    sessions = [
        {"session_id": f"S{i}", "title": "培训", "date": date(2023, 3, 1), "hours": hours}
        for i, hours in enumerate([1 / 3, 0.1 + 0.2, 24.0, 2.5, 1e-9, 0.123456789012])
    ]
    targets = [
        {"metric": "training_coverage", "year": 2023, "target": 1.0},
        {"metric": "training_coverage", "year": 2024, "target": 0.955},
        {"metric": "training_coverage", "year": 2025, "target": 0.0},
        {"metric": "fund_raised", "year": 2023, "target": 650000.0},
        {"metric": "training_hours", "year": 2023, "target": 110.5},
    ]
    _fill(warehouse, [], sessions, targets)
    _round_trip(warehouse, tmp_path, lang)


# Text as the importer stores it: IDs NFKC-normalised and trimmed, text trimmed; never empty.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"), max_size=40
) | st.sampled_from(["0", "007", "=A1", "-1", "+1", "@x", "1,000", "2024-03-05", "是", "TRUE", "#DIV/0!", "'x"])


def _as_id(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(TEXT.map(_as_id), min_size=1, max_size=5, unique=True), names=st.lists(TEXT, min_size=5))
def test_any_text_survives_the_round_trip(tmp_path_factory, ids, names):
    ids = [i for i in ids if i]
    names = [n.strip() or "x" for n in names]
    if not ids:
        return
    folder = tmp_path_factory.mktemp("text")
    con = db.connect(folder / "w.duckdb")
    try:
        _fill(
            con, [project(i, name=names[n % len(names)], theme=names[(n + 1) % len(names)]) for n, i in enumerate(ids)]
        )
        _round_trip(con, folder, "zh", "text", fresh=False)
    finally:
        con.close()


def test_a_table_longer_than_a_sheet_continues_on_the_next(warehouse, tmp_path, monkeypatch):
    """Rows beyond one sheet's capacity (1,048,575) go on 培训签到 (2), which the importer recognises by its headers:
    shown here with a small capacity, and a few thousand rows written in one go."""
    monkeypatch.setattr(export, "MAX_ROWS", 2_000)
    warehouse.execute(
        "INSERT INTO workers (worker_id, name, community, role, joined_date, active) "
        "SELECT 'W' || lpad(i::VARCHAR, 5, '0'), '甲', '杨行', 'social_worker', NULL, true FROM range(1000) t(i)"
    )
    warehouse.execute(
        "INSERT INTO training_sessions (session_id, title, date, hours, format, organizer, location) "
        "SELECT 'S' || i, '培训', DATE '2023-03-01', 2, NULL, NULL, NULL FROM range(5) t(i)"
    )
    warehouse.execute(
        "INSERT INTO attendance (session_id, worker_id) "
        "SELECT s.session_id, w.worker_id FROM training_sessions s, workers w"
    )
    out = tmp_path / "big.xlsx"
    done = export.export(warehouse, out, "zh", ["workers", "training_sessions", "attendance"])
    assert done.rows["attendance"] == 5_000
    assert done.sheets["attendance"] == ["培训签到", "培训签到 (2)", "培训签到 (3)"]
    result = import_file(warehouse, out.read_bytes(), out.name, user="test", dry_run=True)
    assert result.status == "valid", [e.as_dict() for e in result.errors[:5]]
    assert [(s["sheet"], s["rows"], s["unchanged"]) for s in result.sheets if s["kind"] == "attendance"] == [
        ("培训签到", 2_000, 2_000),
        ("培训签到 (2)", 2_000, 2_000),
        ("培训签到 (3)", 1_000, 1_000),
    ]


def test_cli_export_then_load_is_unchanged(sample_file, tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    out = tmp_path / "out.xlsx"
    assert main(["export", str(out), "--db", str(path), "--kinds", "projects,attendance", "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "projects: 257 rows (projects)" in printed
    book = openpyxl.load_workbook(out, read_only=True)
    assert [n for n in book.sheetnames if not n.startswith("_")] == ["Instructions", "projects", "attendance"]
    assert main(["load", str(out), "--db", str(path), "--json"]) == 0
    assert '"status": "unchanged"' in capsys.readouterr().out
    assert main(["export", str(out), "--db", str(path), "--kinds", "nope"]) == 2
    assert main(["export", str(out), "--db", str(tmp_path / "missing.duckdb")]) == 2


def test_the_data_page_offers_the_download_and_reviews_an_edited_upload_row_by_row(sample_app):
    """zh: the button 下载当前数据（可编辑后重新上传） is on the Data page; its workbook, with one status edited and
    uploaded, is reviewed as that row's change before anything is imported."""
    from streamlit.testing.v1 import AppTest
    from visitors import ROOT

    from presenter import markdown, review

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    buttons = [e.proto.label for e in at.get("download_button")]
    assert "下载当前数据（可编辑后重新上传）" in buttons

    data = review.data_workbook("zh")  # what the button's deferred download makes
    con = db.connect(sample_app)
    pid, name = con.execute(
        "SELECT project_id, name FROM projects WHERE status = 'in_progress' ORDER BY 1 LIMIT 1"
    ).fetchone()
    con.close()
    book = openpyxl.load_workbook(io.BytesIO(data))
    _edit(book, "zh", "projects", pid, {"status": "已完成", "completed_date": datetime(2024, 1, 20)})
    edited = io.BytesIO()
    book.save(edited)
    at.file_uploader[0].upload("当前数据.xlsx", edited.getvalue(), "application/octet-stream").run()
    assert not at.exception, at.exception
    shown = [markdown.unescape(m.value) for m in at.markdown]
    assert f"- 项目 {pid}（{name}）：状态 实施中 → 已完成；完成日期 （空） → 2024年1月20日" in shown
    assert "- 更新 1 条项目" in shown
