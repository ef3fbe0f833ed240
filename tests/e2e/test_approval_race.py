"""Review, then publish (审核发布), in a real browser against a served app with accounts: an approver publishes or
rejects exactly what the Review page showed, and the page run never leaves the working warehouse locked.

1. The race. An analyst's import is pending; the approver opens the Review page, sees it named and ticks "I have
   checked the changes"; then another import (¥9,999,999 from an unknown company) arrives from the command line.
   Approve (and Reject) must refuse: the page names what arrived, nothing is published (or undone), the box comes
   back unticked. Ticked again, Approve publishes both, and the version records that its approver saw both.
2. The lock. A wrong password (and a viewer who types the Review page's URL) runs pages that open the working
   warehouse; with no further browser action, `python -m etl load` with DASHBOARD_LOCK_WAIT=2 must go ahead (exit 0,
   not 2 "stayed busy") and `python -m etl history` must work.

Each test has a server of its own (`own_server`: a copy of the sample warehouse), published once (v000001) before
the accounts exist, as the `town` fixture of tests/test_approval.py does; the accounts file is beside the warehouse,
where the server looks for it. The command line runs in subprocesses with the server's DASHBOARD_DB and
DASHBOARD_ACCOUNTS. RACE_SCREENSHOT_DIR (default /tmp) receives the Review page after the refused approval.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest
from playwright.sync_api import expect
from workbooks import workbook_bytes

from etl import accounts, db, publish
from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


ROOT = Path(__file__).resolve().parents[2]
PEOPLE = {"ada": "admin", "ann": "analyst", "abe": "approver", "vic": "viewer"}
DONATION = [["捐赠编号", "捐赠日期", "捐赠方", "金额(元)"], ["D-PUB-1", "2023-12-30", "某企业", "40000"]]
LATE = [DONATION[0], ["D-LATE", "2023-12-01", "未知公司", "9999999"]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDE = {"width": 1280, "height": 900}
MOVED_LEAD, MOVED_TAIL = t("publish.moved", "en", batches="\0").split("\0")  # "More changed …: ", ". Nothing …"
SCREENSHOTS = Path(os.environ.get("RACE_SCREENSHOT_DIR", "/tmp"))
WAIT_MS = 60_000  # a run of the Review page computes every figure for every year: seconds on a busy machine
LIVE = '[data-testid="stElementContainer"]:not([data-stale="true"])'  # drawn by the latest run, not left over


def en(key: str, **values: object) -> str:
    return t(key, "en", **values)


def password(name: str) -> str:
    return f"{name}-secret-1"


# --- the town: a served copy of the sample, published once, with accounts


@pytest.fixture
def town(own_server: Callable[..., Server]) -> Server:
    """A server of this test's own on a copy of the sample warehouse, published once (v000001, before any page
    ran: the app's first run finds it published and publishes nothing), then given an admin, an analyst, an approver
    and a viewer (accounts.json beside the warehouse, where the server and the CLI look for it)."""
    server = own_server()
    con = db.connect(server.db, wait=10)  # nothing has run on the server yet: nobody else holds the file
    try:
        assert publish.ensure_published(con) == "v000001"
    finally:
        con.close()
    for name, role in PEOPLE.items():
        accounts.add_user(name, role, password(name), server.db.parent / "accounts.json")
    return server


def cli(server: Server, *args: str, lock_wait: float | None = None) -> subprocess.CompletedProcess:
    """`python -m etl ARGS --db WAREHOUSE` in a process of its own, with the server's environment."""
    env = {
        **os.environ,
        "DASHBOARD_DB": str(server.db),
        "DASHBOARD_ACCOUNTS": str(server.db.parent / "accounts.json"),
        "DASHBOARD_LANG": "en",
    }
    env.pop("DASHBOARD_LOCK_WAIT", None)
    if lock_wait is not None:
        env["DASHBOARD_LOCK_WAIT"] = str(lock_wait)
    return subprocess.run(
        [sys.executable, "-m", "etl", *args, "--db", str(server.db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def load(server: Server, tmp_path: Path, name: str, rows: list[list], *, lock_wait: float | None = None) -> str:
    """Import a donation workbook from the command line (claimed by ann); its batch id."""
    path = tmp_path / name
    path.write_bytes(workbook_bytes({"捐赠": rows}))
    done = cli(server, "load", str(path), "--user", "ann", "--json", lock_wait=lock_wait)
    assert done.returncode == 0, f"etl load {name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    document = json.loads(done.stdout)
    assert document["published"] is None  # with accounts, an import waits for an approver
    (loaded,) = document["files"]
    assert loaded["status"] == "loaded", loaded
    return loaded["batch_id"]


def versions(server: Server) -> list[tuple[str, str]]:
    """`python -m etl versions`: (version, who published it), newest first; the current one is marked with *."""
    done = cli(server, "versions")
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^([* ]) (v\d{6})  \S+ \S+  (\S+)", done.stdout, re.M)
    return [(("*" if mark == "*" else "") + version, by) for mark, version, by in rows]


def statuses(server: Server) -> dict[str, str]:
    """`python -m etl history --json`: batch id -> loaded or undone."""
    done = cli(server, "history", "--json")
    assert done.returncode == 0, done.stderr
    return {row["batch_id"]: row["status"] for row in json.loads(done.stdout)}


def read(server: Server, sql: str, params: dict | None = None) -> list[tuple]:
    """A read of the working warehouse, read-only, once the app has released it (it holds it only during a run)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            with duckdb.connect(str(server.db), read_only=True) as con:
                return con.execute(sql, params or {}).fetchall()
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- the browser


def sign_in(app: App, name: str, secret: str) -> None:
    """The sign-in form that stands in for the page, filled and submitted (the caller waits for the outcome)."""
    main = app.page.locator('[data-testid="stMain"]')
    main.get_by_label(en("auth.name"), exact=True).fill(name)
    main.get_by_label(en("auth.password"), exact=True).fill(secret)
    main.get_by_role("button", name=en("auth.submit"), exact=True).click()


def signed_in(server: Server, tab: Callable[..., App], name: str) -> App:
    app = tab(server, WIDE)
    app.open()
    sign_in(app, name, password(name))
    expect(app.page.get_by_role("heading", name=en("overview.title"))).to_be_visible(timeout=WAIT_MS)
    app.settle()
    assert app.errors() == []
    return app


def confirm_box(app: App):
    return app.page.locator(LIVE).get_by_role("checkbox", name=en("publish.confirm"))


def button(app: App, key: str):
    """A button drawn by the latest run (during a run, the one of the run before may still be on the page)."""
    return app.page.locator(LIVE).get_by_role("button", name=en(key))


def tick(app: App) -> None:
    """Tick "I have checked the changes" (its label, as a person clicks it) and wait for the run it causes."""
    box = confirm_box(app)
    expect(box).not_to_be_checked()
    app.page.locator(LIVE).locator('[data-testid="stCheckbox"]').filter(has_text=en("publish.confirm")).locator(
        "label"
    ).click()
    expect(box).to_be_checked()
    expect(button(app, "publish.approve")).to_be_enabled(timeout=WAIT_MS)  # the run the tick caused has drawn it
    app.settle()


def review_page(app: App) -> None:
    app.go(en("nav.review"))
    assert app.errors() == []


def moved_warning(app: App):
    return app.page.locator('[data-testid="stAlertContentError"]').filter(has_text=MOVED_LEAD.strip())


def answered(app: App, *done: str) -> None:
    """Wait for the run a click on Approve or Reject caused: it says that more arrived, or that it was done."""
    either = moved_warning(app)
    for text in done:
        either = either.or_(app.page.get_by_text(text))
    expect(either.first).to_be_visible(timeout=WAIT_MS)
    app.settle()


def refused(app: App, arrived: str) -> str:
    """The warning after Approve or Reject found more than was shown: it names what arrived; the box is unticked."""
    warning = moved_warning(app)
    expect(warning).to_be_visible()
    text = warning.inner_text().strip().splitlines()[-1]  # after the icon's ligature name (sync_problem)
    assert arrived in text and "late.xlsx" in text, text
    assert text.startswith(MOVED_LEAD) and text.endswith(MOVED_TAIL.rstrip()), text
    expect(confirm_box(app)).not_to_be_checked()  # asks again
    expect(button(app, "publish.approve")).to_be_disabled()
    expect(warning).to_be_in_viewport()  # said beside the buttons just used, not out of view at the top
    assert [e for e in app.errors() if MOVED_LEAD.strip() not in e] == []
    return text


# --- 1. the race


def test_approve_refuses_an_import_that_arrived_after_the_check(
    town: Server, tab: Callable[..., App], tmp_path: Path
) -> None:
    # ann imports d.xlsx on the Data page
    analyst = signed_in(town, tab, "ann")
    analyst.go(en("nav.data"))
    analyst.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "d.xlsx", "mimeType": XLSX, "buffer": workbook_bytes({"捐赠": DONATION})}]
    )
    expect(analyst.page.get_by_text("d.xlsx — ready to import")).to_be_visible(timeout=WAIT_MS)
    analyst.settle()
    analyst.page.get_by_role("button", name=en("data.import", n=1)).click()
    expect(analyst.page.get_by_text(en("publish.awaiting"))).to_be_visible(timeout=WAIT_MS)
    analyst.settle()
    assert analyst.errors() == []
    assert statuses(town).get("B00006") == "loaded"

    # abe opens the Review page, sees B00006 named, ticks the box
    approver = signed_in(town, tab, "abe")
    review_page(approver)
    shown = approver.main_text()
    assert "B00006" in shown and "up to batch no. 6" in shown and "B00007" not in shown
    tick(approver)

    # meanwhile: ¥9,999,999 from an unknown company, from the command line
    assert load(town, tmp_path, "late.xlsx", LATE) == "B00007"
    assert publish.current(town.db) == "v000001"

    button(approver, "publish.approve").click()
    answered(approver, en("publish.done", version="v000002"))
    assert publish.current(town.db) == "v000001"  # nothing was published
    warning = refused(approver, "B00007")
    assert "B00006" not in warning  # it names what arrived, not what was shown
    assert not publish.version_file(town.db, "v000002").exists()
    assert versions(town) == [("*v000001", "system")]
    assert statuses(town) == {**{f"B0000{n}": "loaded" for n in range(1, 6)}, "B00006": "loaded", "B00007": "loaded"}
    # the page now shows both, for the approver to check again
    assert "B00007" in approver.main_text() and "up to batch no. 7" in approver.main_text()
    # as the approver sees it (the viewport where Approve was clicked), then the whole page
    approver.page.screenshot(path=str(SCREENSHOTS / "review-refused-approval-1280-viewport.png"))
    approver.screenshot(SCREENSHOTS / "review-refused-approval-1280.png")

    # checked again: both are published, and the version records that its approver saw both
    tick(approver)
    button(approver, "publish.approve").click()
    expect(approver.page.get_by_text(en("publish.done", version="v000002"))).to_be_visible(timeout=WAIT_MS)
    approver.settle()
    assert approver.errors() == []
    assert publish.current(town.db) == "v000002"
    assert versions(town) == [("*v000002", "abe"), ("v000001", "system")]
    (row,) = read(town, "SELECT approved, self_approved FROM published_versions WHERE version = 'v000002'")
    assert row == (["B00006", "B00007"], False)
    with duckdb.connect(str(publish.version_file(town.db, "v000002")), read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT donation_id FROM donations").fetchall()}
    assert {"D-PUB-1", "D-LATE"} <= ids


def test_reject_refuses_when_an_import_arrived_after_the_check(
    town: Server, tab: Callable[..., App], tmp_path: Path
) -> None:
    assert load(town, tmp_path, "d.xlsx", DONATION) == "B00006"  # ann's import, from the command line this time

    approver = signed_in(town, tab, "abe")
    review_page(approver)
    assert "B00006" in approver.main_text() and "B00007" not in approver.main_text()
    tick(approver)
    reason = approver.page.get_by_label(en("publish.reason"), exact=True)
    reason.fill("金额待核实")
    reason.press("Enter")  # the text box's value reaches the app (a run) before the button is pressed
    approver.settle()

    assert load(town, tmp_path, "late.xlsx", LATE) == "B00007"

    button(approver, "publish.reject").click()
    answered(approver, en("publish.rejected", n=1), en("publish.rejected", n=2), en("publish.need_reason"))
    assert statuses(town)["B00006"] == "loaded" and statuses(town)["B00007"] == "loaded"  # nothing undone
    refused(approver, "B00007")
    assert not read(town, "SELECT 1 FROM audit_log WHERE action = 'reject'")
    assert publish.current(town.db) == "v000001"
    approver.screenshot(SCREENSHOTS / "review-refused-reject-1280.png")

    # checked again: both are undone, latest first, each with the reason; the published version is untouched
    tick(approver)
    expect(reason).to_have_value("金额待核实")
    button(approver, "publish.reject").click()
    expect(approver.page.get_by_text(en("publish.rejected", n=2))).to_be_visible(timeout=WAIT_MS)
    approver.settle()
    assert approver.errors() == []
    assert statuses(town)["B00006"] == "undone" and statuses(town)["B00007"] == "undone"
    rejects = read(town, "SELECT details FROM audit_log WHERE action = 'reject' ORDER BY seq")
    assert [json.loads(d)["batch_id"] for (d,) in rejects] == ["B00007", "B00006"]
    assert {json.loads(d)["reason"] for (d,) in rejects} == {"金额待核实"}
    assert publish.current(town.db) == "v000001"


# --- 2. the lock


def import_goes_ahead(server: Server, tmp_path: Path, name: str) -> str:
    """With no further browser action: an import from the command line that waits at most 2 s goes ahead (exit 0,
    not 2 "stayed busy") and `etl history` works."""
    rows = [DONATION[0], [f"D-{name}", "2023-12-29", "某企业", "100"]]
    batch = load(server, tmp_path, f"{name}.xlsx", rows, lock_wait=2)
    done = cli(server, "history", lock_wait=2)
    assert done.returncode == 0, f"etl history: exit {done.returncode}\n{done.stderr}"
    assert batch in done.stdout and f"{name}.xlsx" in done.stdout
    return batch


def test_a_wrong_password_leaves_the_warehouse_free_for_the_command_line(
    town: Server, tab: Callable[..., App], tmp_path: Path
) -> None:
    visitor = tab(town, WIDE)
    visitor.open()
    sign_in(visitor, "ada", "not-the-password")
    expect(visitor.page.get_by_text(en("auth.failed"))).to_be_visible(timeout=WAIT_MS)
    visitor.settle()
    assert import_goes_ahead(town, tmp_path, "after-wrong-password") == "B00006"
    # the failed sign-in was recorded: that page run did open the working warehouse (and closed it)
    (failed,) = read(town, "SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed'")
    assert failed == (1,)


def test_a_viewer_typing_the_review_pages_url_leaves_the_warehouse_free(
    town: Server, tab: Callable[..., App], tmp_path: Path
) -> None:
    """The Review page is not in a viewer's navigation: its URL, typed into the address bar (a new session, not yet
    signed in), gets Streamlit's "Page not found" and the app's main page, the sign-in form; the viewer signs in
    there (that run records the sign-in in the working warehouse) and, signed in, types the URL again."""
    viewer = tab(town, WIDE)
    not_found = viewer.page.get_by_role("dialog").filter(has_text="Page not found")
    viewer.page.goto(f"{town}/review")
    expect(not_found).to_be_visible(timeout=WAIT_MS)
    viewer.settle()
    viewer.page.keyboard.press("Escape")
    expect(not_found).to_be_hidden()
    sign_in(viewer, "vic", password("vic"))
    expect(viewer.page.get_by_role("heading", name=en("overview.title"))).to_be_visible(timeout=WAIT_MS)
    viewer.settle()
    assert viewer.errors() == []
    assert en("nav.review") not in viewer.nav_links()
    assert not button(viewer, "publish.approve").count()
    assert import_goes_ahead(town, tmp_path, "after-viewer-signed-in") == "B00006"
    (signed,) = read(town, "SELECT count(*) FROM audit_log WHERE action = 'sign_in'")
    assert signed == (1,)

    viewer.page.goto(f"{town}/review")  # again, signed in: a new session all the same
    expect(not_found).to_be_visible(timeout=WAIT_MS)
    viewer.settle()
    assert not button(viewer, "publish.approve").count()
    assert import_goes_ahead(town, tmp_path, "after-review-url") == "B00007"
