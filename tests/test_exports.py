"""Downloads that stand alone (issue 14): the reader's language, units as on screen, a header block, file names
that say what they are, formula injection neutralised — checked in the files themselves (openpyxl, csv)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from streamlit.testing.v1 import AppTest

import declared
import metrics
import queries
from etl import kinds
from etl.sample import NAMES
from i18n import t
from presenter import export
from ui.page import Page

ROOT = Path(__file__).resolve().parent.parent
COMMUNITY = "丰宁苑"
AS_OF = dt.date(2024, 1, 31)
# Stored codes that must never reach a Chinese reader (as in test_i18n): program, status, role, … codes.
CODES = {code for enum in kinds.ENUMS.values() for code in enum if "_" in code or len(code) > 5}


@pytest.fixture
def con(sample_con):
    return sample_con


def label(lang: str):
    """The pages' own rule for enumeration labels (Page.label)."""
    return Page(None, "", lang, None, None).label


def about(lang: str = "zh", *, year: int | None = 2023, community: str | None = COMMUNITY, sample: bool = True):
    when = dt.datetime(2024, 2, 3, 9, 30)
    return export.About(lang, year, community, AS_OF, sample, when, declared.Names(**NAMES))  # the sample's names


def sheet(data: export.Export):
    return load_workbook(io.BytesIO(export.to_xlsx(data))).active


def table_top(ws) -> int:
    """The row of the table's headers: the first row after the header block's blank line."""
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value is None:
            return row + 1
    raise AssertionError("no blank row between the header block and the table")


def cells(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_xlsx_has_a_header_block_translated_headers_percent_cells_and_widths(con):
    frame = queries.coverage_by(con, by="community", year=2023, community=COMMUNITY)
    ws = sheet(export.build(frame, "coverage_by_community", about(), label=label("zh")))
    block = [ws.cell(r, 1).value for r in range(1, table_top(ws) - 1)]
    assert block[0] == "各社区培训覆盖率" == t("export.title.coverage_by_community", "zh")
    assert "年份：2023" in block and f"社区：{COMMUNITY}" in block
    assert "数据截至：2024年1月31日" in block  # the as-of date, as the screen writes it
    assert t("export.source", "zh") in block
    assert t("export.sample", "zh") in block and ws.cell(block.index(t("export.sample", "zh")) + 1, 1).font.color
    top = table_top(ws)
    headers = [ws.cell(top, c).value for c in range(1, 5)]
    assert headers == ["社区", "在册人数", "参训人数", "覆盖率"]
    assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref.startswith(f"A{top}:")
    coverage = ws.cell(top + 1, 4)
    assert ws.cell(top + 1, 1).value == COMMUNITY
    assert coverage.data_type == "n" and coverage.value == pytest.approx(frame["coverage"].iloc[0])
    assert coverage.number_format == "0.0%"  # 1.0 shown as 100.0%, never "1"
    assert ws.cell(top + 1, 2).number_format == "#,##0"
    for column, header in enumerate(headers, start=1):
        width = ws.column_dimensions[get_column_letter(column)].width
        wide = sum(2 if re.match(r"[\u4e00-\u9fff]", ch) else 1 for ch in header)
        assert wide <= width <= export.MAX_WIDTH + 1, (header, width)


def test_enumeration_values_and_dates_in_chinese(con):
    frame = queries.project_list(con, year=2023)  # stored codes: group_governance, completed, district, …
    columns = ["project_id", "name", "program", "level", "status", "start_date", "completed_date", "budget_yuan"]
    headers = {c: t(f"table.{c}", "zh") for c in columns}
    data = export.build(frame[columns], "projects", about(community=None), label=label("zh"), headers=headers)
    ws = sheet(data)
    top = table_top(ws)
    assert [ws.cell(top, c).value for c in range(1, len(columns) + 1)] == list(headers.values())
    assert not {w for text in cells(ws) for w in re.findall(r"[a-z_]+", text)} & CODES  # labels, never codes
    programs = {ws.cell(r, 3).value for r in range(top + 1, ws.max_row + 1)}
    assert "组团治理" in programs and "微更新" in programs
    assert {ws.cell(r, 5).value for r in range(top + 1, ws.max_row + 1)} <= set(kinds.ENUMS["status"].values())
    started = ws.cell(top + 1, 6)
    assert started.is_date and started.value.time() == dt.time(0, 0)
    assert not re.search(r"[hs]", started.number_format) and "年" in started.number_format  # a date, no time
    assert ws.cell(top + 1, 8).number_format == '"¥"#,##0' and ws.cell(top + 1, 8).data_type == "n"
    assert f"社区：{t('export.scope.town', 'zh')}" in cells(ws)  # no community selected: the whole town
    text = export.to_csv(data).decode("utf-8-sig")
    assert "00:00:00" not in text and re.search(r",\d{4}-\d{2}-\d{2},", text)
    assert not {w for w in re.findall(r"[a-z_]+", text)} & CODES


def test_kpi_export_is_the_figures_as_a_leader_reads_them(con):
    kpis = queries.kpis(con, year=2023, community=COMMUNITY)
    data = export.build(kpis, "kpis", about(), label=label("zh"))
    ws = sheet(data)
    top = table_top(ws)
    headers = [ws.cell(top, c).value for c in range(1, 9)]
    assert headers == [t(f"export.kpi.{c}", "zh") for c in ("metric", "value", "unit", "previous", "change",
                                                          "target", "scope", "definition")]  # fmt: skip
    rows = {ws.cell(r, 1).value: [ws.cell(r, c) for c in range(1, 9)] for r in range(top + 1, ws.max_row + 1)}
    assert list(rows) == [m.label("zh") for m in metrics.shown()]  # the catalogue's names, in its order
    coverage = rows[metrics.METRICS["training_coverage"].label("zh")]
    assert coverage[1].value == pytest.approx(1.0) and coverage[1].number_format == "0.0%"
    assert coverage[2].value == "%" and coverage[5].value == pytest.approx(1.0)  # the 100 % target
    assert coverage[6].value == COMMUNITY and coverage[7].value == metrics.METRICS["training_coverage"].explain("zh")
    raised = rows[metrics.METRICS["fund_raised"].label("zh")]
    assert raised[6].value == "全镇" and raised[2].value == "元" and raised[1].number_format == '"¥"#,##0'
    internal = {"metric", "value", "previous", "target_year", "expected", "projects_completed", "fund_raised"}
    assert not internal & set(cells(ws))
    lines = list(csv.reader(io.StringIO(export.to_csv(data).decode("utf-8-sig"))))
    assert lines[0] == headers  # the CSV is the table alone
    by_name = {r[0]: r for r in lines[1:]}
    assert by_name[metrics.METRICS["training_coverage"].label("zh")][1:3] == ["100.0", "%"]


def test_formula_injection_is_still_neutralised():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "ok"], "@n": [-1, 2, 3, 4, 5]})
    data = export.build(frame, "projects", about(), label=label("zh"))
    ws = sheet(data)
    top = table_top(ws)
    names = [ws.cell(r, 1) for r in range(top + 1, top + 6)]
    assert [c.value for c in names] == ["'=cmd|' /C calc'!A0", "'+1", "'-x", "'@SUM(A1)", "ok"]
    assert all(c.data_type == "s" for c in names)
    assert ws.cell(top, 2).value == "'@n" and ws.cell(top + 1, 2).value == -1  # numbers stay numbers
    rows = list(csv.reader(io.StringIO(export.to_csv(data).decode("utf-8-sig"))))
    assert rows[0][1] == "'@n" and [r[0] for r in rows[1:]] == [c.value for c in names]
    legacy = load_workbook(io.BytesIO(export.to_xlsx(frame))).active  # a bare frame: the table from A1
    assert legacy["A2"].value == "'=cmd|' /C calc'!A0" and legacy["A2"].data_type == "s"


def test_file_names_say_what_the_file_is():
    assert export.file_stem("coverage_by_community", about()) == "杨行镇_各社区培训覆盖率_2023_丰宁苑"
    assert (
        export.file_stem("coverage_by_community", about("en"))
        == "Yanghang_Town_training_coverage_by_community_2023_丰宁苑"
    )
    assert export.file_stem("kpis", about(year=None, community=None)) == "杨行镇_主要指标_全部年份"
    # town-wide data taken with a community selected say so, rather than the community's name
    assert export.file_stem("donations_by_quarter", about()) == "杨行镇_各季度捐赠_2023_全镇"
    assert export.file_stem("audit_trail", about()) == "杨行镇_" + t("audit.title", "zh")  # no filter applies to it
    odd = export.file_stem("projects", about(community='../a/b:c*?"<>|\\ d.'))
    assert re.fullmatch(r"[\w-]+", odd) and ".." not in odd and odd.startswith("杨行镇_项目清单_2023_")


def test_town_wide_downloads_and_the_real_data_say_so(con):
    quarters = queries.donations_by_quarter(con, year=2023)
    ws = sheet(export.build(quarters, "donations_by_quarter", about(sample=False), label=label("zh")))
    text = cells(ws)
    assert t("export.filter.community", "zh", community=t("export.scope.town_only", "zh", community=COMMUNITY)) in text
    assert t("export.sample", "zh") not in text  # the town's own data carry no sample notice
    top = table_top(ws)
    assert ws.cell(top + 1, 1).value == "2023年第3季度"  # quarters in Chinese, not "2023 Q3"


def test_csv_is_one_machine_readable_table(con):
    frame = queries.coverage_by(con, by="community", year=2023)
    data = export.build(frame, "coverage_by_community", about("en", community=None), label=label("en"))
    raw = export.to_csv(data)
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert list(back.columns) == ["Community", "Workers on the roster", "Workers trained", "Coverage (%)"]
    assert len(back) == len(frame)
    assert back["Coverage (%)"].tolist() == pytest.approx((frame["coverage"] * 100).tolist())


def test_overview_download_in_chinese_carries_its_file_name_and_context(sample_app, downloads):
    """The button's file (registered with Streamlit's media manager when the page runs) is named for what it holds,
    and its contents are built only when asked for."""
    registered = downloads
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"lang": "zh", "year": "2023", "community": COMMUNITY})
    at.switch_page("pages/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    names = {registered[b.proto.deferred_file_id][0]: b for b in at.get("download_button")}
    xlsx = f"杨行镇_主要指标_2023_{COMMUNITY}.xlsx"
    assert xlsx in names and f"杨行镇_主要指标_2023_{COMMUNITY}.csv" in names
    assert names[xlsx].proto.label == t("download.xlsx", "zh")
    content = registered[names[xlsx].proto.deferred_file_id][1]()
    text = cells(load_workbook(io.BytesIO(content)).active)
    assert "年份：2023" in text and f"社区：{COMMUNITY}" in text and "数据截至：2024年1月31日" in text
    assert t("export.sample", "zh") in text  # the warehouse holds only the sample
    assert metrics.METRICS["training_coverage"].label("zh") in text and "training_coverage" not in text
