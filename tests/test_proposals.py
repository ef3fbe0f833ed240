"""Residents' proposals (居民提案进展, presenter/proposals.py and pages/proposals.py): what became of the voices, for
anyone with $DASHBOARD_PUBLIC=1 beside the fund ledger; published data only; no summary unless publishable, no
phone or ID number, no person's name, on the page or in any copy."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import streamlit as st
import voices_fixture as vf
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, ROOT

from etl import accounts, db, publish
from i18n import t
from presenter import proposals


@pytest.fixture
def voices_app(app_env, tmp_path: Path) -> Path:
    return vf.serve(app_env, tmp_path / "w.duckdb")


@pytest.fixture
def public(voices_app, monkeypatch) -> Path:
    """Sign-in on (staff accounts) and $DASHBOARD_PUBLIC=1: an anonymous visitor."""
    for name, role in (("ada", "admin"), ("vic", "viewer")):
        accounts.add_user(name, role, PASSWORDS[name])
    monkeypatch.setenv("DASHBOARD_PUBLIC", "1")
    return voices_app


def book(path: Path, lang: str = "zh", year: int | None = None) -> proposals.Proposals:
    return proposals.build(vf.published(path), year=year, lang=lang)


def page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning, *at.title, *at.header)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [frame.value.to_csv(index=False) for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


def open_public(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.switch_page("pages/proposals.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- the pure module


def test_no_personal_data_in_any_copy(voices_app, tmp_path):
    proposal = book(voices_app)
    assert list(proposal.projects["voice_id"]) == ["V03", "V02", "V01"]
    assert list(proposal.declined["voice_id"]) == ["V04"]
    assert dict(proposal.counts.values) == {"已受理": 2, "已答复": 1, "已立项": 2, "已办结": 2, "不予采纳": 1}
    csv = proposals.to_csv(proposal).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(proposals.to_xlsx(proposal))).active
    cells = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    html = proposals.to_html(proposal)
    for copy in (csv, cells, html):
        assert vf.SECRET not in copy and "13812345678" not in copy and vf.SECRET_TOO not in copy
        assert vf.SHOWN in copy and vf.REASON in copy and "加装电梯" in copy  # the project's name
        assert "V04" in copy and "不予采纳" in copy
    assert cells.startswith("居民提案进展") and t("proposals.privacy", "zh") in cells
    # the PDF, printed by Chromium, is a browser's work: tests/e2e/test_public_voices.py reads it
    only = book(voices_app, year=2022)
    assert only.projects.empty and only.declined.empty and only.total == 1


def test_scrubbing_and_publishable_rules():
    assert proposals.scrubbed("请联系 138 1234 5678 或 13912345678") == "请联系 ＊＊＊ 或 ＊＊＊"
    assert proposals.scrubbed("身份证310101199001011234") == "身份证＊＊＊"
    assert proposals.scrubbed("3号楼2单元加装电梯") == "3号楼2单元加装电梯"  # numbers that are no one's
    assert proposals.public_summary("修路", True) == "修路"
    assert proposals.public_summary("修路", False) == "" and proposals.public_summary("修路", None) == ""
    assert proposals.worded("category", "parking", "zh") == "停车交通"  # the voices' own list, by i18n.label
    assert proposals.worded("category", "parking", "en") == "Parking and traffic"
    assert proposals.worded("status", "project", "zh") == "已立项"  # not a project's status
    assert proposals.worded("category", "垃圾分类", "zh") == "垃圾分类"  # a category the town added, as written
    assert proposals.worded("satisfaction", None, "zh") == ""


# --- the page


def test_anyone_reads_it_beside_the_ledger_with_no_secret(public, downloads):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value.endswith("收支公示")  # anyone lands on the ledger ...
    at = open_public("zh")  # ... and may open the proposals beside it, without signing in
    assert at.title[0].value == "居民提案进展"
    text = page_text(at)
    assert vf.SECRET not in text and "13812345678" not in text and vf.SECRET_TOO not in text
    assert vf.SHOWN in text and vf.REASON in text and "实施中" in text and "已完成" in text
    assert {m.label: m.value for m in at.metric} == {"已受理": "2", "已答复": "1", "已立项": "2", "已办结": "2",
                                                     "不予采纳": "1"}  # fmt: skip
    files = {name: make for name, make in downloads.values() if name.startswith("居民提案进展")}
    assert {n.rsplit(".", 1)[1] for n in files} >= {"csv", "xlsx", "pdf", "html"}
    for name, make in files.items():
        if name.endswith(".pdf"):  # printed by Chromium: tests/e2e/test_public_voices.py reads it
            continue
        data = make()
        copy = data.decode("utf-8-sig") if name.endswith((".csv", ".html")) else ""
        assert b"13812345678" not in data, name
        if name.endswith(".xlsx"):
            sheet = load_workbook(io.BytesIO(data)).active
            copy = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
        if copy:
            assert vf.SECRET not in copy and vf.SECRET_TOO not in copy and vf.SHOWN in copy, name
    at.segmented_control(key="proposals_year").set_value(2022).run()
    assert t("proposals.none", "zh") in [i.value for i in at.info]


def test_only_the_published_version(voices_app):
    con = db.connect(voices_app)  # a voice imported after the publish: not on the public page until published
    con.execute(
        "INSERT INTO resident_voices (voice_id, collected_date, community, status, answered_date, decline_reason) "
        "VALUES ('V99', '2023-05-01', '东方', 'declined', '2023-05-02', '尚未发布的理由')"
    )
    con.close()
    at = open_public("en")
    assert "V99" not in page_text(at)
    con = db.connect(voices_app)
    publish.publish(con, "test")
    con.close()
    st.cache_data.clear()
    at.run()
    assert "V99" in page_text(at)


def test_nothing_published_shows_nothing(app_env, tmp_path):
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    con.execute(vf.ROWS + vf.VOICES)  # in the working warehouse, never published
    con.close()
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    accounts.add_user("ada", "admin", PASSWORDS["ada"])  # with accounts nothing publishes itself
    app_env.setenv("DASHBOARD_PUBLIC", "1")
    at = open_public("en")
    assert [i.value for i in at.info] in ([t("proposals.empty", "en")], [t("proposals.none_yet", "en")])
    assert "V01" not in page_text(at) and not at.dataframe


def test_without_public_it_needs_sign_in(voices_app):
    accounts.add_user("ada", "admin", PASSWORDS["ada"])
    at = open_public("en")
    assert [i.value for i in at.info] == [t("auth.required", "en")] and not at.dataframe
