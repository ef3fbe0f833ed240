"""Review, then publish (审核发布): viewers read the published version; imports wait for an approver; reject undoes
them; rollback; the audit trail records every publish, reject and rollback (issue 15)."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from town import DONATION, a_town, open_as, raised
from visitors import ROOT
from workbooks import workbook_bytes

import queries
from cli import main
from etl import accounts, audit, db, publish
from etl.load import import_file
from i18n import t
from ui import session


@pytest.fixture
def town(sample_file, tmp_path, monkeypatch):
    """The sample warehouse (published at first open) with an admin, an analyst, an approver and a viewer."""
    yield from a_town(sample_file, tmp_path, monkeypatch)


def working():
    return session.warehouse(str(db.db_path())).cursor()


def test_an_import_waits_for_an_approver_and_viewers_see_the_published_version(town):
    leader = open_as("vic")
    assert raised(leader) == "¥650,000"
    analyst = open_as("ann", "data")
    analyst.file_uploader[0].upload("d.xlsx", workbook_bytes({"捐赠": DONATION}), "application/octet-stream").run()
    next(b for b in analyst.button if b.label.startswith("Import")).click().run()
    assert not analyst.exception
    assert len(publish.pending(working())) == 1
    leader.run()
    assert raised(leader) == "¥650,000"  # the leader still sees the approved figures
    analyst.switch_page("pages/overview.py").run()
    assert raised(analyst) == "¥650,000"  # so does the analyst, until ...
    analyst.sidebar.toggle(key="draft_view").set_value(True).run()
    assert raised(analyst) == "¥690,000"  # ... the draft view, clearly marked
    assert any(t("publish.draft_banner", "en", n=1) == w.value for w in analyst.warning)
    analyst.switch_page("pages/review.py").run()  # reached by its URL, the page stops at the role check
    assert not [b for b in analyst.button if b.label == "Approve and publish"]
    assert "This page needs the approver role" in analyst.error[0].value
    with pytest.raises(PermissionError):
        publish.publish_as(accounts.User("ann", "analyst"), working())

    approver = open_as("abe", "review")
    changes = approver.dataframe[1].value
    assert ["2023", "Fund raised", "¥650,000", "¥690,000"] in changes.values.tolist()
    # the page keeps the figures of each state it has seen; another import while it is open is a new state
    import_file(
        working(), workbook_bytes({"捐赠": [DONATION[0], ["D-LATE", "2023-12-01", "某公司", "5000"]]}), "late.xlsx"
    )
    approver.run()
    assert ["2023", "Fund raised", "¥650,000", "¥695,000"] in approver.dataframe[1].value.values.tolist()
    next(c for c in approver.checkbox if c.label == "I have checked the changes").check().run()
    next(b for b in approver.button if b.label == "Approve and publish").click().run()
    assert not approver.exception
    assert publish.pending(working()).empty and publish.current(town) == "v000002"
    st.cache_data.clear()
    leader.run()
    assert raised(leader) == "¥695,000"  # published: the leader sees it
    events = [(r.user_name, r.action) for r in audit.trail(working()).itertuples()]
    assert ("abe", "publish") in events


def test_reject_undoes_the_pending_imports_exactly(town):
    con = working()
    before = con.execute("SELECT count(*), sum(amount_yuan) FROM donations").fetchall()
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    with pytest.raises(ValueError, match="reason"):
        publish.reject(con, "abe", " ")
    assert publish.reject_as(accounts.User("abe", "approver"), con, "金额待核实") == ["B00006"]
    assert con.execute("SELECT count(*), sum(amount_yuan) FROM donations").fetchall() == before
    rejected = [json.loads(r.details) for r in audit.trail(con).itertuples() if r.action == "reject"]
    assert rejected == [{"batch_id": "B00006", "reason": "金额待核实"}]


def test_published_versions_are_immutable_files_and_can_be_rolled_back(town, monkeypatch):
    con = working()
    first = publish.current_file(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    second = publish.publish(con, "abe")
    assert second.version == "v000002" and first != second.path
    with duckdb.connect(str(first), read_only=True) as old:
        assert old.execute("SELECT sum(amount_yuan) FROM donations").fetchone()[0] == 650000  # unchanged
        assert "audit_log" not in {
            r[0] for r in old.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    publish.rollback(con, "ada", "v000001")
    assert publish.current(town) == "v000001"
    assert audit.trail(con).iloc[0]["action"] == "rollback"  # newest first
    with pytest.raises(ValueError, match="no kept version"):
        publish.rollback(con, "ada", "v000099")
    monkeypatch.setenv("DASHBOARD_VERSIONS", "2")
    for _ in range(3):
        publish.publish(con, "abe")
    kept = sorted(p.stem for p in publish.folder(town).glob("v*.duckdb"))
    assert len(kept) == 2 and publish.current(town) in kept


def test_deck_and_metrics_read_the_published_version_and_say_who_approved_it(town, capsys):
    con = working()
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    st.cache_resource.clear()
    capsys.readouterr()
    assert main(["metrics", "--json", "--db", str(town)]) == 0
    document = json.loads(capsys.readouterr().out)
    figures = {m["code"]: m["value"] for m in document["metrics"]}
    assert figures["fund_raised"] == 650000 and document["version"] == "v000001"  # not the pending import
    assert main(["metrics", "--json", "--draft", "--db", str(town)]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert {m["code"]: m["value"] for m in draft["metrics"]}["fund_raised"] == 690000 and draft["version"] is None


def test_cli_publish_versions_and_rollback(town, capsys):
    con = working()  # the first open publishes the sample (v000001)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    con.close()
    session.release_working()
    st.cache_resource.clear()
    capsys.readouterr()
    assert main(["publish", "--db", str(town)]) == 0
    assert "B00006" in capsys.readouterr().out  # it names what it publishes
    assert main(["publish", "--db", str(town), "--note", "again"]) == 0
    assert "nothing to publish" in capsys.readouterr().out  # nothing pending: no empty version
    assert main(["versions", "--db", str(town)]) == 0
    out = capsys.readouterr().out
    assert "v000002" in out and "v000001" in out and "v000003" not in out
    assert main(["rollback", "v000001", "--db", str(town)]) == 0
    assert publish.current(town) == "v000001"
    assert main(["rollback", "v000077", "--db", str(town)]) == 1


def test_a_fresh_install_publishes_the_sample_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(tmp_path / "fresh.duckdb"))
    monkeypatch.delenv("DASHBOARD_NO_SAMPLE", raising=False)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert publish.current(tmp_path / "fresh.duckdb") == "v000001"
    with duckdb.connect(str(publish.current_file(tmp_path / "fresh.duckdb")), read_only=True) as con:
        assert queries.as_of(con).iloc[0]["as_of"] == date(2024, 1, 31)
    st.cache_resource.clear()


def test_slides_deck_and_report_say_who_published_the_figures(town):
    from presenter import deck as pptx
    from presenter import report, slides

    con = working()  # the app's first open published the sample (v000001, by "system")
    publish.publish(con, "abe")
    with duckdb.connect(str(publish.current_file(town)), read_only=True) as published:
        deck = slides.build(published, lang="zh", mask=True)
    assert deck.stamp.startswith("审核发布：abe，") and deck.stamp.endswith("v000002")
    assert all(deck.stamp in deck.footer(s) for s in deck.slides)  # every slide, the .pptx's footers and notes
    assert deck.stamp in report.to_html(deck)
    assert deck.stamp in pptx_text(pptx.to_pptx(deck))
    draft = slides.build(con, lang="zh", mask=True)
    assert draft.stamp == t("publish.stamp_draft", "zh")  # the working data says it is not approved


def pptx_text(data: bytes) -> str:
    import io

    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    return "\n".join(s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame)


def test_a_viewer_never_sees_pending_data_on_any_page_the_deck_or_the_report(town):
    from presenter import report, slides

    con = working()
    rows = [["捐赠编号", "捐赠日期", "金额(元)"], ["D-PUB-9", "2023-12-30", "40000"]]
    import_file(con, workbook_bytes({"捐赠": rows}), "pending.xlsx", user="ann")
    leader = open_as("vic")
    for page in ("overview", "projects", "training", "fund", "presenter"):
        leader.switch_page(f"pages/{page}.py").run()
        assert not leader.exception, page
        shown = " ".join(str(e.value) for e in (*leader.metric, *leader.markdown, *leader.caption))
        assert "690,000" not in shown and "69万" not in shown, page  # the pending donation is nowhere
    leader.switch_page("pages/fund.py").run()
    assert raised(leader) == "¥650,000"
    with duckdb.connect(str(publish.current_file(town)), read_only=True) as published:
        deck = slides.build(published, lang="en", mask=True)  # what the Presenter's downloads build from
    assert "¥690,000" not in report.to_html(deck) and "¥650,000" in report.to_html(deck)


def test_reject_restores_the_working_data_exactly(town):
    con = working()
    tables = ("donations", "disbursements", "projects", "workers", "attendance")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d1.xlsx", user="ann")
    changed = [["捐赠编号", "捐赠日期", "金额(元)"], ["D-PUB-1", "2023-12-31", "45000"]]  # updates the row above
    import_file(con, workbook_bytes({"捐赠": changed}), "d2.xlsx", user="ann")
    assert len(publish.reject(con, "abe", "数字有误")) == 2
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables} == before


def test_with_no_accounts_etl_metrics_reads_what_was_just_loaded(sample_file, tmp_path, capsys):
    import shutil

    path = tmp_path / "laptop.duckdb"
    shutil.copy(sample_file, path)
    rows = workbook_bytes({"捐赠": DONATION})
    (tmp_path / "d.xlsx").write_bytes(rows)
    assert accounts.is_open()
    assert main(["load", str(tmp_path / "d.xlsx"), "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["metrics", "--json", "--db", str(path)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {m["code"]: m["value"] for m in document["metrics"]}["fund_raised"] == 690000  # published at once
