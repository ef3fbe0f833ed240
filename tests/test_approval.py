"""A published version is a promise (issue 23): approvers publish exactly what they were shown, four eyes, one reader
for every surface, readers never write, versions survive a restore, the working warehouse is never left open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import pytest
import streamlit as st
from town import DONATION, PASSWORDS, a_town, open_as, raised
from visitors import ROOT, sign_in, start, upload
from workbooks import workbook_bytes

from cli import main
from etl import accounts, backup, db, publish
from etl.load import import_file
from i18n import t
from ui import session

LATE = [DONATION[0], ["D-LATE", "2023-12-01", "未知公司", "9999999"]]


@pytest.fixture
def town(sample_file, tmp_path, monkeypatch):
    """The sample warehouse, published (v000001), with an admin, an analyst, an approver and a viewer."""
    for path in a_town(sample_file, tmp_path, monkeypatch):
        con = db.connect(path)
        publish.ensure_published(con)
        con.close()
        yield path
        session.release_working()


def fresh(path):
    """A connection of its own on the working warehouse (closed by the caller)."""
    return db.connect(path)


def checked(at, label: str = "I have checked the changes"):
    return next(c for c in at.checkbox if c.label == label)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def free(path) -> bool:
    """Whether another process can open the warehouse for writing right now."""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True).returncode == 0


# --- 1. approval bound to what was shown


def test_publish_and_reject_refuse_when_more_arrived_than_was_shown(town):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    shown = publish.review(con)
    assert shown.pending == ("B00006",) and shown.seq == 6 and shown.version == "v000001"
    import_file(con, workbook_bytes({"捐赠": LATE}), "late.xlsx", user="ann")
    with pytest.raises(publish.Changed) as moved:
        publish.publish(con, "abe", seen=shown)
    assert moved.value.arrived == ["B00007"]
    assert publish.current(town) == "v000001" and not (publish.folder(town) / "v000002.duckdb").exists()
    with pytest.raises(publish.Changed):
        publish.reject(con, "abe", "not checked", seen=shown)
    assert con.execute("SELECT count(*) FROM import_batches WHERE status = 'loaded'").fetchall()[0][0] == 7
    # shown again, both are approved, and the version records what its approver saw
    again = publish.review(con)
    done = publish.publish(con, "abe", seen=again)
    row = con.execute(
        "SELECT approved, self_approved FROM published_versions WHERE version = $v", {"v": done.version}
    ).fetchall()[0]
    assert row == (["B00006", "B00007"], False)
    con.close()


def test_the_review_page_never_publishes_an_import_made_after_it_was_drawn(town):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    con.close()
    approver = open_as("abe", "review")
    page = " ".join(m.value for m in approver.markdown)
    assert "B00006" in page and "up to batch no. 6" in page  # names exactly what Approve publishes
    checked(approver).check().run()
    con = fresh(town)  # meanwhile an analyst imports ¥9,999,999 from an unknown company
    import_file(con, workbook_bytes({"捐赠": LATE}), "late.xlsx", user="ann")
    con.close()
    button(approver, "Approve and publish").click().run()
    assert not approver.exception
    assert publish.current(town) == "v000001"  # nothing was published
    warning = " ".join(w.value for w in approver.error)
    assert "B00007" in warning and "late" in warning  # says what arrived ...
    assert not checked(approver).value  # ... and asks again
    checked(approver).check().run()
    button(approver, "Approve and publish").click().run()
    assert publish.current(town) == "v000002"
    assert not approver.error  # the approver's own publish is not "more arrived"
    assert "Published as v000002." in [m.value for m in approver.success]
    con = fresh(town)
    assert publish.versions(con).iloc[0]["approved"].tolist() == ["B00006", "B00007"]
    con.close()


def test_reject_undoes_exactly_the_batches_shown(town):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    con.close()
    approver = open_as("abe", "review")
    checked(approver).check().run()
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": LATE}), "late.xlsx", user="ann")
    con.close()
    approver.text_input(key="publish_reason").input("金额待核实")
    button(approver, "Reject: undo the pending imports").click().run()
    con = fresh(town)
    statuses = dict(con.execute("SELECT batch_id, status FROM import_batches WHERE seq > 5").fetchall())
    con.close()
    assert statuses == {"B00006": "loaded", "B00007": "loaded"}  # nothing undone: more arrived than was shown
    assert "B00007" in " ".join(w.value for w in approver.error)


# --- 2. the whole change, whatever the sidebar says


def test_the_review_page_shows_every_year_the_pending_import_changes(town):
    con = fresh(town)
    rows = [DONATION[0], ["D-2024", "2024-01-20", "某企业", "25000"]]
    import_file(con, workbook_bytes({"捐赠": rows}), "d.xlsx", user="ann")
    con.close()
    approver = open_as("abe", "review")  # the sidebar opens on 2023
    changes = approver.dataframe[1].value.values.tolist()
    assert ["2024", "Fund raised", "¥0", "¥25,000"] in changes
    assert ["2024", "Fund balance", "¥320,000", "¥345,000"] in changes
    assert ["All years", "Fund raised", "¥650,000", "¥675,000"] in changes
    assert not [r for r in changes if r[0] == "2023"]  # 2023 is unchanged: not listed
    rows = " ".join(m.value for m in approver.markdown).replace("\\", "")  # as the reader reads the Markdown
    assert "D-2024 (某* · ¥25,000)" in rows  # the row in business words (a donor of no type is masked)


def test_with_nothing_pending_the_review_page_computes_no_figures(town, monkeypatch):
    """Nothing pending: the working data are the published version and no figure can change, so the page says so
    without computing the catalogue for every year twice (2.5 s of a first visit at the bench warehouse)."""
    import metrics

    def computed(*args, **kwargs):
        raise AssertionError("the catalogue was computed")

    approver = open_as("abe")  # the overview computes its figures
    monkeypatch.setattr(metrics, "figures", computed)
    approver.switch_page("pages/review.py").run()
    assert not approver.exception, approver.exception
    assert t("publish.no_changes_all", "en") in [c.value for c in approver.caption]
    assert not [c for c in approver.checkbox if c.label == "I have checked the changes"]  # nothing to approve


# --- 3. four eyes


def test_an_approver_cannot_approve_their_own_import_while_another_can(town):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "mine.xlsx", user="abe")
    with pytest.raises(publish.OwnImport):
        publish.publish_as(accounts.User("abe", "approver"), con, "")
    assert publish.current(town) == "v000001"
    con.close()
    own = open_as("abe", "review")
    assert "Another approver must approve it (ada)" in " ".join(w.value for w in own.warning)
    checked(own).check().run()
    assert button(own, "Approve and publish").disabled
    other = open_as("ada", "review")
    checked(other).check().run()
    button(other, "Approve and publish").click().run()
    assert publish.current(town) == "v000002"


def test_the_only_approver_may_approve_their_own_import_and_the_version_says_so(town):
    accounts.set_role("ann", "admin")  # ann is the only one who may approve
    accounts.remove_user("abe")
    accounts.remove_user("ada")
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "mine.xlsx", user="ann")
    con.close()
    own = open_as("ann", "review")
    assert "will record that you approved your own import" in " ".join(i.value for i in own.info)
    checked(own).check().run()
    button(own, "Approve and publish").click().run()
    assert publish.current(town) == "v000002"
    con = fresh(town)
    assert bool(publish.versions(con).iloc[0]["self_approved"]) is True
    con.close()
    shown = open_as("ann", "review").dataframe[-1].value
    assert "ann (own import)" in shown["By"].tolist()


# --- 4. one reader: every handout reads the published version unless --draft


def test_cli_handouts_read_the_published_version_in_chinese_with_names_masked(town, tmp_path, capsys):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": [DONATION[0], ["D-X", "2023-12-30", "某企业", "500"]]}), "d.xlsx")
    mentor = con.execute("SELECT w.name FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id").fetchone()[0]
    con.close()
    out = tmp_path / "r.html"
    assert main(["report", str(out), "--db", str(town)]) == 0  # DASHBOARD_LANG=en here
    html = out.read_text(encoding="utf-8")
    assert "¥650,000" in html and "¥650,500" not in html  # the published figures, not the pending import
    assert "Draft" not in html and "v000001" in html
    assert mentor not in html and mentor[0] + "*" in html  # names masked by default, as on the Presenter
    assert main(["report", str(out), "--db", str(town), "--no-mask"]) == 0
    assert mentor in out.read_text(encoding="utf-8")
    assert main(["report", str(out), "--db", str(town), "--draft"]) == 0
    draft = out.read_text(encoding="utf-8")
    assert "¥650,500" in draft  # every printed page says draft (a fixed element repeats on each page in print):
    assert '<div class="running">Draft: not approved' in draft
    st.cache_data.clear()


def test_cli_handouts_default_to_chinese_without_dashboard_lang(town, tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_LANG")
    out = tmp_path / "r.html"
    assert main(["report", str(out), "--db", str(town)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "审核发布" in html and "草稿" not in html


def test_nothing_published_means_no_figures_not_the_draft(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_ACCOUNTS", str(tmp_path / "accounts.json"))
    accounts.add_user("ada", "admin", PASSWORDS["ada"], tmp_path / "accounts.json")
    path = tmp_path / "w.duckdb"
    con = db.connect(path)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx")
    assert publish.ensure_published(con) is None  # with accounts, an unapproved import is never published
    con.close()
    capsys.readouterr()
    assert main(["metrics", "--db", str(path)]) == 2
    assert "nothing is published yet" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "r.html"), "--db", str(path)]) == 2
    assert main(["metrics", "--db", str(path), "--draft"]) == 0


# --- 5. readers never write


def open_as_open_page(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_with_no_accounts_an_import_publishes_itself_and_a_rollback_stays(sample_file, tmp_path, app_env, capsys):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    app_env.setenv("DASHBOARD_DB", str(path))
    (tmp_path / "d.xlsx").write_bytes(workbook_bytes({"捐赠": DONATION}))
    (tmp_path / "late.xlsx").write_bytes(workbook_bytes({"捐赠": LATE}))
    assert main(["load", str(tmp_path / "d.xlsx"), "--db", str(path)]) == 0
    assert main(["load", str(tmp_path / "late.xlsx"), "--db", str(path)]) == 0
    assert publish.current(path) == "v000002"
    assert main(["rollback", "v000001", "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["metrics", "--json", "--db", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "v000001"
    fund = open_as_open_page("fund")
    assert raised(fund) == "¥690,000"  # v000001: the sample and d.xlsx, not the rolled-back late.xlsx
    for page in ("overview", "projects", "training", "ledger", "presenter", "data", "review"):
        fund.switch_page(f"pages/{page}.py").run()
        assert not fund.exception, page
    assert publish.current(path) == "v000001"  # read, read, read: the rollback stays
    con = fresh(path)
    assert publish.versions(con)["version"].tolist() == ["v000002", "v000001"]
    con.close()
    assert "B00007" in " ".join(m.value for m in fund.markdown)  # pending again, for the Review page
    assert publish.current(path) == "v000001"
    # the next import publishes only what it committed: with other batches pending, it waits too
    (tmp_path / "third.xlsx").write_bytes(workbook_bytes({"捐赠": [DONATION[0], ["D-3", "2023-11-01", "某企业", "1"]]}))
    assert main(["load", str(tmp_path / "third.xlsx"), "--db", str(path)]) == 0
    assert publish.current(path) == "v000001"


def test_with_no_accounts_an_undo_of_a_published_import_is_published(sample_file, tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    (tmp_path / "d.xlsx").write_bytes(workbook_bytes({"捐赠": DONATION}))
    assert main(["load", str(tmp_path / "d.xlsx"), "--db", str(path)]) == 0
    assert main(["undo", "B00006", "--db", str(path)]) == 0
    assert publish.current(path) == "v000002"
    with duckdb.connect(str(publish.current_file(path)), read_only=True) as con:
        assert con.execute("SELECT sum(amount_yuan) FROM donations").fetchone()[0] == 650000


# --- 6. versions survive a restore


def test_restore_keeps_the_published_history_and_never_reuses_a_name(town, capsys):
    con = fresh(town)
    older = backup.snapshot(con, "before")  # the sample, as published in v000001
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    publish.publish(con, "abe")  # v000002 holds B00006
    second = publish.version_file(town, "v000002").read_bytes()
    con.close()
    capsys.readouterr()
    assert main(["restore", str(older), "--db", str(town)]) == 0
    said = capsys.readouterr().out
    assert "v000002" in said and "B00006" in said and "d.xlsx" in said  # what readers still see that was removed
    assert publish.current(town) == "v000002"  # readers keep the approved figures until a publish
    con = fresh(town)
    assert publish.versions(con)["version"].tolist() == ["v000002", "v000001"]
    assert publish.review(con).withdrawn == ("B00006",)
    import_file(con, workbook_bytes({"捐赠": LATE}), "late.xlsx", user="ann")
    assert con.execute("SELECT max(batch_id) FROM import_batches").fetchone()[0] == "B00007"  # not B00006 again
    done = publish.publish(con, "abe")
    assert done.version == "v000003"  # never v000002 again
    assert publish.version_file(town, "v000002").read_bytes() == second  # never overwritten
    assert publish.review(con).empty
    con.close()


def test_a_version_file_is_never_overwritten(town):
    con = fresh(town)
    import_file(con, workbook_bytes({"捐赠": DONATION}), "d.xlsx", user="ann")
    con.execute("DELETE FROM published_versions")  # a record lost: the name must still not be reused
    original = publish.version_file(town, "v000001").read_bytes()
    done = publish.publish(con, "abe")
    assert done.version == "v000002"
    assert publish.version_file(town, "v000001").read_bytes() == original
    con.close()


# --- 7. the working warehouse is never left open


def test_a_failed_sign_in_leaves_the_warehouse_free(town):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    sign_in(at, "ada", "wrong password")
    assert "did not match" in " ".join(e.value for e in at.error) or at.error
    assert free(town)  # an import from the command line can go ahead
    sign_in(at, "ada", PASSWORDS["ada"])  # the run signs in, then reruns onto the Overview
    assert free(town)


def test_the_data_page_says_whether_an_import_is_published_or_waits(sample_file, tmp_path, app_env):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    app_env.setenv("DASHBOARD_DB", str(path))
    at = start("data")  # no accounts: the first open publishes the sample (v000001)
    upload(at, "d.xlsx", workbook_bytes({"捐赠": DONATION}))
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    said = " ".join(s.value for s in at.success)
    assert "Published at once as v000002" in said and publish.current(path) == "v000002"
    assert main(["rollback", "v000001", "--db", str(path)]) == 0  # B00006 waits again
    at = start("data")
    upload(at, "late.xlsx", workbook_bytes({"捐赠": LATE}))
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    said = " ".join(s.value for s in at.success)
    assert "leaders see it once an approver publishes it" in said and publish.current(path) == "v000001"


def test_the_review_page_names_who_loaded_from_the_command_line_and_whom_they_named(town, tmp_path):
    (tmp_path / "d.xlsx").write_bytes(workbook_bytes({"捐赠": DONATION}))
    session.release_working()
    assert main(["load", str(tmp_path / "d.xlsx"), "--db", str(town), "--user", "ann"]) == 0
    approver = open_as("abe", "review")
    pending = approver.dataframe[0].value
    assert pending["User"].iloc[0].endswith("(as ann)")  # the OS user who ran it, and the name it was given
