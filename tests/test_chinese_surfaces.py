"""Chinese surfaces speak Chinese (issue 24, item 7): the rows behind a figure (查看明细) in business words, blanks
and dates as the reader writes them; `etl metrics --lang zh` framed in Chinese; one date style per language on
pages and handouts; the audit trail in words; banners that fit the reader's role."""

from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata

import duckdb
import pandas as pd
import pytest
from english import english_words
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from town import DONATION
from visitors import PASSWORDS, ROLES, ROOT, open_drilldown, open_page
from workbooks import workbook_bytes

import metrics
from cli import main
from etl import accounts, kinds, publish
from i18n import numbers, t
from presenter import deck as pptx
from presenter import ledger, report, slides, trail
from ui import widgets

# --- 查看明细


def _cells(frame: pd.DataFrame) -> set[str]:
    return {str(v) for column in frame.columns for v in frame[column].tolist()}


def test_the_rows_behind_every_figure_read_in_business_words_in_chinese(sample_app):
    at = open_drilldown(open_page("overview", lang="zh"))
    codes = {m.label("zh"): m.code for m in metrics.shown()}
    assert at.selectbox(key="drill_metric").options == list(codes)
    enum_codes = {code for choices in kinds.ENUMS.values() for code in choices}
    seen = 0
    for label, code in codes.items():
        at.selectbox(key="drill_metric").set_value(label).run()
        assert not at.exception, code
        for grid in at.dataframe:
            frame, config = grid.value, json.loads(grid.proto.columns)
            if frame.empty:
                continue
            seen += 1
            headers = [str(c) for c in frame.columns]
            assert not {h: english_words(h) for h in headers if english_words(h)}, (code, headers)
            assert len(headers) <= 7, (code, headers)  # the key columns, in view at 1280 px (tests/e2e)
            cells = _cells(frame)
            assert not cells & enum_codes, (code, sorted(cells & enum_codes))  # 组团治理, 已完成: never the codes
            assert not cells & {"None", "nan", "NaN", "NaT", "<NA>", "True", "False"}, code
            for header in headers:
                if pd.api.types.is_datetime64_any_dtype(frame[header]):  # a date, shown 2023年4月17日, no time
                    assert config[header]["type_config"] == {"type": "date", "format": numbers.date_format("zh")}
    assert seen >= len(codes)


def test_the_drill_down_shows_labels_blanks_and_fewer_columns_than_its_download():
    rows = pd.DataFrame(
        {
            "project_id": ["ZT1", "ZT2"],
            "name": ["邻里客厅", "楼组自治"],
            "program": ["group_governance", "group_governance"],
            "theme": ["睦邻友好", None],
            "level": [None, None],  # nothing in it: not shown
            "community": ["富锦苑", "松青苑"],
            "status": ["completed", "completed"],
            "start_date": pd.to_datetime(["2023-03-02", "2023-05-05"]),
            "completed_date": pd.to_datetime(["2023-04-17", None]),
            "budget_yuan": [59000.0, None],
            "resident_proposed": [True, False],
        }
    )
    from presenter import export

    shown, config = widgets.drill_table(
        rows, "projects", "projects_completed_projects", export.About("zh"), lambda e, c: kinds.ENUMS[e][c]
    )
    assert list(shown.columns) == ["项目编号", "项目名称", "社区", "主题", "完成日期", "预算(元)"]
    assert shown["主题"].tolist() == ["睦邻友好", ""]  # a blank, not None
    assert {k: config["完成日期"]["type_config"][k] for k in ("type", "format")} == {
        "type": "date",
        "format": "YYYY年M月D日",
    }
    assert {k: config["预算(元)"]["type_config"][k] for k in ("type", "format")} == {"type": "number", "format": "yen"}
    attendance = pd.DataFrame({"session_id": ["PX1"], "date": pd.to_datetime(["2023-02-17"]), "title": ["讲座"]})
    shown, _ = widgets.drill_table(attendance, "attendance", "person_times_attendance", export.About("zh"), str)
    assert list(shown.columns) == ["场次编号", "日期", "培训主题"]  # joined columns by their own table's names
    workers = pd.DataFrame({"worker_id": ["W1"], "role": ["secretary"], "active": [True], "trained": [False]})
    shown, _ = widgets.drill_table(workers, "workers", "trained_workers", export.About("zh"), lambda e, c: "书记")
    assert shown.to_dict("records") == [
        {"人员编号": "W1", "岗位": "书记", "在岗": "是", t("drill.col.trained", "zh"): "否"}
    ]


# --- one date style per language: the pages' (i18n.numbers.day) on every handout


ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CHINESE_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def _deck_text(data: bytes) -> str:
    """What a reader of the .pptx sees: every slide's text, its speaker notes and the file's subject."""
    deck = Presentation(io.BytesIO(data))
    parts = [deck.core_properties.subject or ""]
    for slide in deck.slides:
        parts += [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        parts.append(slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else "")
    return "\n".join(parts)


def _html_text(html: str) -> str:
    body = re.sub(r"<style.*?</style>|<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.fixture
def sample_read(sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_handout_writes_dates_as_the_pages_do(sample_read, lang):
    deck = slides.build(sample_read, lang=lang, mask=True)
    texts = {
        "deck": _deck_text(pptx.to_pptx(deck)),
        "report": _html_text(report.to_html(deck)),
        "ledger": _html_text(ledger.to_html(ledger.build(sample_read, lang=lang))),
    }
    as_of = numbers.day(deck.day, lang)  # 2024年1月31日 · 2024-01-31
    for name, text in texts.items():
        assert as_of in text, name
        other = ISO if lang == "zh" else CHINESE_DATE  # never the other language's style beside it
        assert not other.findall(text), (name, other.findall(text)[:3])


def test_the_presenter_page_writes_dates_as_every_page_does(sample_app):
    at = open_page("presenter", lang="zh")
    said = "\n".join(str(c.value) for c in at.caption)
    assert "2024年1月31日" in said and not ISO.findall(said)


# --- etl metrics --lang zh


@pytest.mark.parametrize("args", [[], ["--community", "富锦苑"], ["--all-years"], ["--year", "2024"]])
def test_etl_metrics_in_chinese_is_chinese(sample_file, tmp_path, capsys, args):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    capsys.readouterr()
    assert main(["metrics", "--db", str(path), "--draft", "--lang", "zh", *args]) == 0
    out = capsys.readouterr().out
    assert not english_words(out), sorted(english_words(out))
    head = out.splitlines()[0]
    assert head.startswith("数据截至2024年1月31日 · ") and not ISO.findall(out)
    if not args:
        assert head == "数据截至2024年1月31日 · 2023年 · 全镇" and "目标 50" in out
    if "--community" in args:
        assert head.endswith("富锦苑") and "（全镇指标）" in out  # a town-wide figure beside the community's says so
    if "--year" in args:
        assert "2024年（截至2024年1月31日）" in head
    ends = set()
    for line in out.splitlines()[1:]:  # the figures line up, a Chinese character two columns wide
        name, figure = re.split(r"\s{2,}", line)[:2]
        ends.add(_columns(line[: line.index(figure, len(name)) + len(figure)]))
    assert len(ends) == 1, ends


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_etl_metrics_in_english_reads_as_before(sample_file, tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    capsys.readouterr()
    assert main(["metrics", "--db", str(path), "--draft", "--community", "富锦苑"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "as of 2024-01-31 · 2023 · 富锦苑"
    assert "target 100.0%" in out and "(town-wide)" in out


# --- the audit trail in words


def test_the_audit_trail_says_publishes_and_rollbacks_in_words(sample_file, tmp_path, app_env, capsys):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_LANG", "zh")
    for name, rows in {
        "d.xlsx": DONATION,
        "e.xlsx": [DONATION[0], ["D-2", "2023-12-01", "宏达有限公司", "500"]],
    }.items():
        (tmp_path / name).write_bytes(workbook_bytes({"捐赠": rows}))
        assert main(["load", str(tmp_path / name), "--db", str(path)]) == 0
    first = publish.current(path)
    assert main(["rollback", _earlier(first), "--db", str(path)]) == 0
    at = open_page("audit")
    shown = at.dataframe[0].value
    details = shown[t("audit.col.details", "zh")].tolist()
    actions = shown[t("audit.col.action", "zh")].tolist()
    published = [d for d, a in zip(details, actions, strict=True) if a == t("audit.action.publish", "zh")]
    assert published and all(d.startswith("发布版本 v") for d in published)
    assert any(re.search(r"含批次 B\d{5}、B\d{5}", d) for d in published)  # 'B00001、B00002', not ['B00001', …]
    assert any("未设账号，导入后自动发布" in d for d in published)  # the system's note in words
    rolled = [d for d, a in zip(details, actions, strict=True) if a == t("audit.action.rollback", "zh")]
    assert rolled == [f"回退到版本 {_earlier(first)}（此前为 {first}）"]
    for text in details:
        assert not set("[]'") & set(text) and not english_words(text), text


def _earlier(version: str) -> str:
    return f"v{int(version[1:]) - 1:06d}"


def test_a_publish_reads_as_a_sentence_in_english():
    details = json.dumps(
        {
            "version": "v000003",
            "batches": ["B00001", "B00002"],
            "approved": ["B00002"],
            "withdrawn": [],
            "self_approved": False,
            "note": "季度数据",
        }
    )
    assert trail.details_text(details, "en", "publish") == (
        "Published version v000003; holding batches B00001, B00002; approved B00002; note: 季度数据"
    )
    assert trail.details_text(details, "zh", "publish") == (
        "发布版本 v000003；含批次 B00001、B00002；本次审核通过 B00002；备注：季度数据"
    )


# --- banners that fit the reader's role


@pytest.fixture
def forum_zh(app_env, sample_file, tmp_path):
    """The sample (published at the app's first open), accounts for each role, every dashboard open to visitors
    who have not signed in ($DASHBOARD_PUBLIC=dashboards), read in Chinese."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    app_env.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_PUBLIC", "dashboards")
    app_env.setenv("DASHBOARD_LANG", "zh")
    for name, role in ROLES.items():
        accounts.add_user(name, role, PASSWORDS[name])
    return path


def _as(page: str, name: str | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if name:  # visitors.sign_in, in Chinese
        at.text_input(key="sidebar_sign_in_name").input(name)
        at.text_input(key="sidebar_sign_in_password").input(PASSWORDS[name])
        next(b for b in at.button if b.label == t("auth.submit", "zh")).click().run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _banners(at: AppTest) -> list[str]:
    return [str(e.value) for kind in ("warning", "info") for e in at.get(kind)]


@pytest.mark.parametrize(("name", "key"), [(None, "page.sample.reader"), ("vic", "page.sample.reader"),
                                           ("ann", "page.sample")])  # fmt: skip
@pytest.mark.parametrize("page", ["overview", "ledger"])
def test_the_sample_banner_sends_only_importers_to_the_data_page(forum_zh, name, key, page):
    at = _as(page, name)
    banners = _banners(at)
    assert t(key, "zh") in banners
    if key.endswith(".reader"):  # a visitor or a viewer has no 数据管理 page: nothing sends them there
        assert not [b for b in banners if t("nav.data", "zh") in b]


def test_an_empty_warehouse_tells_a_visitor_what_happens_not_what_to_do(app_env, tmp_path):
    app_env.setenv("DASHBOARD_DB", str(tmp_path / "w.duckdb"))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    app_env.setenv("DASHBOARD_PUBLIC", "dashboards")
    app_env.setenv("DASHBOARD_LANG", "zh")
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    for page, key in {"overview": "empty.warehouse", "fund": "empty.warehouse", "presenter": "presenter.empty"}.items():
        banners = _banners(_as(page, None))
        assert t(f"{key}.reader", "zh") in banners, page
        assert not [b for b in banners if t("nav.data", "zh") in b], page
        assert t(key, "zh") in _banners(_as(page, "ada")), page  # an admin is told where to import


def _dataframe_calls() -> list[tuple[str, int, bool]]:
    """Every st.dataframe call in the pages and the plumbing: (file, line, whether it says what a missing value is)."""
    import ast

    calls = []
    for path in sorted([*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "dataframe":
                shown = any(k.arg == "placeholder" and isinstance(k.value, ast.Constant) for k in node.keywords)
                calls.append((path.name, node.lineno, shown))
    return calls


def test_no_table_shows_a_missing_value_as_none():
    """Streamlit draws a missing value as the English word "None" (a project not yet completed, a voice not yet
    resolved) unless the table says otherwise: every table of the product shows a blank cell instead."""
    calls = _dataframe_calls()
    assert len(calls) >= 10  # the scan finds the tables
    assert [(f, n) for f, n, shown in calls if not shown] == []
    at = open_page("proposals", lang="zh")  # 已立项 voices: no 办结日期 yet
    tables = [d for d in at.dataframe if d.value.isna().any(axis=None)]
    assert tables and all(d.proto.HasField("placeholder") and d.proto.placeholder == "" for d in tables)
