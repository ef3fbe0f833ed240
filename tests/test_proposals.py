"""Residents' proposals (居民提案进展, presenter/proposals.py and pages/proposals.py): what became of the voices, for
anyone with $DASHBOARD_PUBLIC=1 beside the fund ledger; published data only; no summary unless publishable, no
phone or ID number, no person's name, on the page or in any copy."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
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


# --- a page at a time: more voices than a page holds (the hand-made eight and 130 more: 65 linked to projects, 65
# declined), several on one day (the voice id orders them), summaries and reasons publishable or not, with phones

MORE = 130


def many_voices(path: Path) -> None:
    """MORE voices added to the working warehouse at `path` (then published): M001… collected through 2023, three a
    day, every other one declined with a reason, the others linked to a project (P2 done, P3 in progress)."""
    rows = []
    for i in range(1, MORE + 1):
        day = f"2023-{1 + (i // 3) % 12:02d}-{1 + i // 3 % 27:02d}"
        publishable = ("TRUE", "FALSE", "NULL")[i % 3]
        summary = f"{i}号楼加装扶手 请联系1381234{i:04d}"
        if i % 2 == 0:
            rows.append(
                f"('M{i:03d}', '{day}', '东方', 'online', 'parking', '{summary}', {publishable}, 'declined', "
                f"'{day}', NULL, NULL, '场地不足 电话1391234{i:04d}', NULL)"
            )
        else:
            status, resolved = ("resolved", "'2023-12-30'") if i // 2 % 2 else ("project", "NULL")
            rows.append(
                f"('M{i:03d}', '{day}', '西方', 'visit', 'elderly', '{summary}', {publishable}, '{status}', "
                f"'{day}', {resolved}, '{('P2', 'P3')[i // 2 % 2]}', NULL, NULL)"
            )
    con = db.connect(path)
    try:
        con.execute(
            "INSERT INTO resident_voices (voice_id, collected_date, community, channel, category, summary, "
            "publishable, status, answered_date, resolved_date, project_id, decline_reason, satisfaction) VALUES "
            + ", ".join(rows)
        )
        publish.publish(con, "test")
    finally:
        con.close()


@pytest.fixture
def crowded(voices_app) -> Path:
    """The app on the small warehouse with MORE voices besides the hand-made ones, published, no sign-in."""
    many_voices(voices_app)
    return voices_app


def on_screen(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], lang: str) -> pd.DataFrame:
    """Rows of a built table as the page's table holds them: the reader's headers, a blank for no text."""
    headers = {c: t(key, lang) for c, (key, _) in columns.items()}
    shown = frame[list(columns)].rename(columns=headers)
    text = [headers[c] for c, (_, kind) in columns.items() if kind == "text"]
    shown[text] = shown[text].fillna("")
    return shown.reset_index(drop=True)


def same_rows(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The page's table (as the browser receives it: dates through Arrow) holds exactly `expected`'s rows."""
    assert list(shown.columns) == list(expected.columns)
    assert len(shown) == len(expected)
    for column in expected.columns:
        got = [None if proposals._blank(v) else (v.date() if isinstance(v, pd.Timestamp) else v) for v in shown[column]]
        assert got == list(expected[column]), column


@pytest.mark.parametrize("year", [None, 2023, 2022])
@pytest.mark.parametrize("size", [7, 50])
def test_the_pages_together_are_every_row_built(crowded, year, size):
    con = vf.published(crowded)
    full, head = proposals.build(con, year=year, lang="zh"), proposals.summary(con, year=year, lang="zh")
    assert head.projects is None and head.declined is None
    assert head.rows == {"projects": len(full.projects), "declined": len(full.declined)} == full.rows
    if year is None:
        assert full.rows == {"projects": 3 + 65, "declined": 1 + 65}
    for field in ("as_of", "version", "published_at", "sample", "names", "total"):
        assert getattr(head, field) == getattr(full, field), field
    pd.testing.assert_frame_equal(head.counts, full.counts)
    assert proposals.counts_line(head) == proposals.counts_line(full)
    for table, rows in (("projects", full.projects), ("declined", full.declined)):
        pages = [proposals.page(con, head, table, n, size) for n in range(head.pages(table, size))]
        assert all(len(p) == size for p in pages[:-1]) and len(pages[-1]) <= size
        pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), rows)  # the same values, in the same order
        assert proposals.page(con, head, table, head.pages(table, size), size).empty  # past the last page
    # newest collected first, a day's voices by their id; never a secret, on any page
    days = list(zip(full.projects["collected_date"], full.projects["voice_id"], strict=True))
    assert days == sorted(days, key=lambda d: (-d[0].toordinal(), d[1]))
    shown = pd.concat([full.projects, full.declined]).to_csv()
    assert "1381234" not in shown and "1391234" not in shown and vf.SECRET not in shown
    with pytest.raises(ValueError):
        proposals.table(head)  # a summary holds no rows to write out
    con.close()


def test_the_page_shows_50_rows_at_a_time_and_the_downloads_every_row(crowded, downloads):
    at = open_public("en")
    con = vf.published(crowded)
    full = proposals.build(con, lang="en")
    con.close()
    projects = on_screen(full.projects, proposals.COLUMNS, "en")
    declined = on_screen(full.declined, proposals.DECLINED_COLUMNS, "en")
    assert len(projects) == 68 and len(declined) == 66
    same_rows(at.dataframe[0].value, projects.iloc[:50])  # the newest voices first
    same_rows(at.dataframe[1].value, declined.iloc[:50])
    text = page_text(at)
    assert t("pager.showing", "en", first="1", last="50", rows="68") in text
    assert t("pager.showing", "en", first="1", last="50", rows="66") in text
    assert at.button(key="proposals_projects_prev").disabled and at.button(key="proposals_declined_first").disabled
    at.button(key="proposals_projects_next").click().run()  # one table's page turns, not the other's
    same_rows(at.dataframe[0].value, projects.iloc[50:].reset_index(drop=True))
    same_rows(at.dataframe[1].value, declined.iloc[:50])
    assert t("pager.showing", "en", first="51", last="68", rows="68") in page_text(at)
    assert at.button(key="proposals_projects_next").disabled and at.button(key="proposals_projects_last").disabled
    at.button(key="proposals_declined_last").click().run()
    same_rows(at.dataframe[0].value, projects.iloc[50:].reset_index(drop=True))
    same_rows(at.dataframe[1].value, declined.iloc[50:].reset_index(drop=True))
    at.button(key="proposals_projects_first").click().run()
    assert at.number_input(key="proposals_projects_page").value == 1
    assert at.number_input(key="proposals_declined_page").value == 2
    same_rows(at.dataframe[0].value, projects.iloc[:50])
    at.number_input(key="proposals_projects_page").set_value(2).run()
    same_rows(at.dataframe[0].value, projects.iloc[50:].reset_index(drop=True))
    text = page_text(at)
    assert "1381234" not in text and "1391234" not in text
    files = {name: make for name, make in downloads.values() if name.startswith("Residents")}
    csv = next(make for name, make in files.items() if name.endswith(".csv"))().decode("utf-8-sig")
    ids = set(full.projects["voice_id"]) | set(full.declined["voice_id"])
    assert len(ids) == 68 + 66 and all(f"{i}," in csv for i in ids)  # every row, not the page's
    assert "1381234" not in csv and "1391234" not in csv
    sheet = load_workbook(io.BytesIO(next(make for name, make in files.items() if name.endswith(".xlsx"))())).active
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row}
    assert ids <= cells
    html = next(make for name, make in files.items() if name.endswith(".html"))()
    html = html.decode("utf-8") if isinstance(html, bytes) else html
    assert all(f">{i}<" in html for i in ids)
    # another period starts both tables at their newest page
    at.segmented_control(key="proposals_year").set_value(2023).run()
    assert at.number_input(key="proposals_projects_page").value == 1
    assert at.number_input(key="proposals_declined_page").value == 1
    con = vf.published(crowded)
    year = proposals.build(con, year=2023, lang="en")
    con.close()
    same_rows(at.dataframe[0].value, on_screen(year.projects, proposals.COLUMNS, "en").iloc[:50])
    same_rows(at.dataframe[1].value, on_screen(year.declined, proposals.DECLINED_COLUMNS, "en").iloc[:50])


def test_a_new_publication_reaches_the_page_without_clearing_a_cache(crowded):
    at = open_public("en")
    assert "V99" not in page_text(at)
    con = db.connect(crowded)  # a voice newer than all others, linked to a project
    con.execute(
        "INSERT INTO resident_voices (voice_id, collected_date, community, status, answered_date, project_id) "
        "VALUES ('V99', '2024-01-18', '东方', 'project', '2024-01-19', 'P3')"
    )
    publish.publish(con, "test")
    con.close()
    at.run()  # the cache is keyed on the version read: the new one is read afresh
    assert not at.exception
    assert at.dataframe[0].value.iloc[0][t("proposals.col.voice_id", "en")] == "V99"
    assert t("pager.showing", "en", first="1", last="50", rows="69") in page_text(at)
