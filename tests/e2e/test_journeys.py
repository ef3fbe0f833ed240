"""What users do with the dashboard, in a real browser; each journey stands alone and they pass in any order.

1. a leader sees the reference figures and every page draws · 2. an analyst imports a filled template ·
3. a broken workbook changes nothing · 4. an admin undoes an import and the figures come back · 5. filters live in
the URL · 6. nothing overflows on a phone · 7. a Chinese reader sees Chinese figures · 8. the CLI is refused while
the app holds the warehouse. Journeys 2 and 4 change the warehouse and 8 would if the CLI were let in, so each starts
a server of its own (`own_server`); the others share one server, whose warehouse nothing changes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
from playwright.sync_api import expect
from workbooks import workbook_bytes

import metrics as catalogue
from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD = '[data-testid="stFileUploaderDropzoneInput"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

# The town's published figures (DESIGN.md) as the overview's tiles draw them for the default year, 2023.
REFERENCE = {
    "person_times": "3,165",
    "fund_raised": "¥650,000",
    "fund_used": "¥330,000",
    "usage_rate": "50.8%",
    "training_coverage": "100.0%",
    "micro_renewal_completed": "185",
}
METRICS = (*REFERENCE, "projects_completed", "training_hours", "balance")


def en(key: str, **params: object) -> str:
    """Text the English UI shows. Labels that only locate a tile or a page come from the catalogue, so rewording
    them does not break the journeys; the values, and the Data page's words a user acts on, are written out."""
    return t(key, "en", **params)


# Pages that exist to chart something: each must draw at least one chart.
CHART_PAGES = (en("nav.projects"), en("nav.training"), en("nav.fund"))


def upload(app: App, name: str, data: bytes) -> None:
    """Hand a workbook to the Data page's file input, as a user dropping it would, and wait for the check."""
    app.page.locator(UPLOAD).set_input_files(files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    app.page.locator('[data-testid="stExpander"]').filter(has_text=name).first.wait_for()  # the check's run has begun
    app.settle()
    app.snap(f"uploaded {name}")


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def saved(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def fill(ws, values: dict[str, object]) -> int:
    """Write one record under the template's header row (headers like 'amount_yuan*'); returns its Excel row."""
    columns = {str(c.value).rstrip("*").strip(): c.column for c in ws[1] if c.value}
    row = 2
    while any(ws.cell(row=row, column=c).value is not None for c in columns.values()):
        row += 1
    for field, value in values.items():
        ws.cell(row=row, column=columns[field], value=value)
    return row


def figures(app: App) -> dict[str, str]:
    """The overview's KPI tiles by metric: {"fund_raised": "¥650,000", ...} (unknown labels kept as they are)."""
    metric_of = {catalogue.METRICS[m].label("en"): m for m in METRICS}
    return {metric_of.get(label, label): value for label, value in app.kpis().items()}


def overview_figures(app: App) -> dict[str, str]:
    app.go(en("nav.overview"))
    return figures(app)


REFERENCE_FUND = {"fund_raised": "¥650,000", "usage_rate": "50.8%", "balance": "¥320,000"}
DONATED_FUND = {"fund_raised": "¥660,000", "usage_rate": "50.0%", "balance": "¥330,000"}


def outcome(app: App, text: str | re.Pattern) -> None:
    """After an action: wait until the page shows `text` or an error box (the action's run has drawn its result),
    then until the run has finished."""
    expect(app.page.get_by_text(text).or_(app.page.locator(ERRORS)).first).to_be_visible()
    app.settle()


def test_1_leader_sees_reference_figures_and_every_page_draws(app: App) -> None:
    app.open()
    kpis = figures(app)
    shown = {metric: kpis.get(metric) for metric in REFERENCE}
    assert shown == REFERENCE, f"overview tiles: {kpis}"
    assert float(kpis["training_hours"].replace(",", "")) > 110, kpis  # "more than 110 training hours"
    assert en("page.sample") in app.main_text(), "a fresh install must say it shows sample data"
    assert app.errors() == []

    links = app.nav_links()
    assert {en("nav.overview"), *CHART_PAGES, en("nav.data")} <= set(links), f"sidebar links: {links}"
    drawn: dict[str, int] = {}
    for title in links:
        app.go(title)
        assert app.page.locator("h1").first.inner_text().strip(), f"{title}: the page drew no title"
        charts = app.wait_for_charts(at_least=1 if title in CHART_PAGES else 0)
        missing = [c for c in charts if not c["svg"] or not c["marks"]]
        assert not missing, f"{title}: charts without drawn marks (after which heading, svg layers, marks): {missing}"
        assert app.errors() == [], f"{title}: error boxes on the page"
        drawn[title] = len(charts)
    assert all(drawn[title] >= 1 for title in CHART_PAGES), f"charts drawn per page: {drawn}"


def test_2_analyst_imports_a_filled_template(own_server: Callable[..., Server], tab: Callable[..., App]) -> None:
    app = tab(own_server())  # the sample data, as on a fresh install; the import changes only this server's warehouse
    app.open()
    before = figures(app)
    assert {metric: before.get(metric) for metric in REFERENCE} == REFERENCE, before
    app.go(en("nav.data"))
    with app.page.expect_download() as download:
        app.page.get_by_role("button", name="Template (English)").click()
    template = download.value
    assert template.suggested_filename.endswith(".xlsx")
    wb = workbook(template.path().read_bytes())
    assert "donations" in wb.sheetnames, wb.sheetnames
    row = fill(
        wb["donations"],
        {
            "donation_id": "E2E-D001",
            "date": dt.datetime(2023, 12, 20),
            "donor": "E2E test donor",
            "donor_type": "enterprise",
            "amount_yuan": 10000,
            "channel": "bank transfer",
        },
    )
    assert row == 2

    upload(app, "e2e-donations.xlsx", saved(wb))
    expect(app.page.get_by_text("e2e-donations.xlsx — ready to import")).to_be_visible()
    text = app.main_text()
    assert "fund raised goes from ¥650,000 to ¥660,000" in text
    assert "adds 1 donations" in text
    sheets = app.table_after("ready to import")
    assert ["donations", "donations", "1", "1", "0", "0"] in sheets, sheets
    preview = app.table_after("Sheet 'donations'")
    assert any("E2E-D001" in r and "¥10,000" in r and "2023-12-20" in r for r in preview), (
        preview
    )  # as the UI writes money
    assert app.errors() == []

    app.page.get_by_role("button", name="Import 1 file(s)").click()
    imported = re.compile(r"e2e-donations\.xlsx: imported as batch B\d+")
    outcome(app, imported)
    assert app.errors() == []
    done = app.page.get_by_text(imported)
    expect(done).to_be_visible()
    batch = re.search(r"batch (B\d+)", done.inner_text()).group(1)
    history = app.table_after("3. Import history")
    assert history[0][0] == batch and "e2e-donations.xlsx" in history[0] and "imported" in history[0], history

    after = overview_figures(app)
    assert after == {**before, **DONATED_FUND}, f"before the import: {before}"


def test_3_broken_workbook_is_refused_and_changes_nothing(app: App) -> None:
    app.open()
    before = figures(app)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "workers"
    ws.append(["worker_id", "name", "community", "role", "joined_date", "active"])
    ws.append(["E2E-W1", "Good Row", "杨行一村", "social_worker", "2021-05-01", "yes"])
    ws.append(["E2E-W2", "Unknown Role", "杨行一村", "astronaut", "2021-05-01", "yes"])
    ws.append(["E2E-W3", "Bad Date", "杨行一村", "director", "2023-13-45", "yes"])

    app.go(en("nav.data"))
    upload(app, "broken-roster.xlsx", saved(wb))
    expect(app.page.get_by_text("broken-roster.xlsx — 2 problem(s) to fix")).to_be_visible()
    errors = app.errors()
    assert len(errors) == 1 and "This file has 2 problem(s)" in errors[0], errors
    problems = app.table_after("This file has 2 problem(s)")
    assert [r[:5] for r in problems] == [
        ["workers", "3", "D", "role", "astronaut"],
        ["workers", "4", "E", "joined_date", "2023-13-45"],
    ], problems
    expect(app.page.get_by_role("button", name=re.compile(r"^Import \d+ file"))).to_be_disabled()

    with app.page.expect_download() as download:
        app.page.get_by_role("button", name="Download a copy with the problems marked").click()
    annotated = workbook(download.value.path().read_bytes())["workers"]
    assert annotated["D3"].comment is not None and annotated["E4"].comment is not None
    assert annotated["D3"].value == "astronaut"
    assert annotated["A2"].comment is None and annotated["D2"].comment is None

    assert overview_figures(app) == before


def test_4_undo_restores_the_figures(donated: tuple[Server, str], tab: Callable[..., App]) -> None:
    server, batch = donated
    app = tab(server)
    app.open()
    imported = figures(app)
    assert {k: imported.get(k) for k in DONATED_FUND} == DONATED_FUND, f"the donation loaded before the app: {imported}"
    app.go(en("nav.data"))
    app.page.locator('[data-testid="stExpander"] summary').filter(has_text=f"Undo the latest import ({batch})").click()
    button = app.page.get_by_role("button", name=f"Undo {batch}")
    expect(button).to_be_disabled()
    app.page.get_by_text("I understand what will be removed", exact=True).click()  # the label, as a user does
    expect(app.page.get_by_role("checkbox", name="I understand what will be removed")).to_be_checked()
    expect(button).to_be_enabled()  # drawn by the run the confirmation caused
    app.settle()
    button.click()
    outcome(app, f"Batch {batch} was undone")
    assert app.errors() == [], f"undoing {batch} showed an error"
    expect(app.page.get_by_text(f"Batch {batch} was undone")).to_be_visible()
    history = app.table_after("3. Import history")
    assert history[0][0] == batch and history[0][-1] == "undone", history

    assert overview_figures(app) == {**imported, **REFERENCE_FUND}, f"with the donation: {imported}"


def test_5_sidebar_filter_survives_a_reload(app: App) -> None:
    app.open()
    sidebar = app.page.locator('[data-testid="stSidebar"]')

    def param(name: str) -> str | None:
        return app.page.evaluate("name => new URLSearchParams(location.search).get(name)", name)

    def choose(label: str, name: str, option: str | None = None) -> str:
        """Pick `option` (else the second one) in the sidebar's `label` box, whose choice the URL keeps as `name`."""
        before = param(name)
        sidebar.get_by_role("combobox", name=label).click()
        options = app.page.get_by_role("option")
        choice = options.filter(has_text=re.compile(rf"^{re.escape(option)}$")) if option else options.nth(1)
        text = choice.inner_text().strip()
        choice.click()
        # the run the choice caused writes it into the URL
        app.page.wait_for_function(
            "([name, before]) => new URLSearchParams(location.search).get(name) !== before", arg=[name, before]
        )
        app.settle()
        return text

    def chosen(label: str) -> str:
        return sidebar.get_by_role("combobox", name=label).input_value()

    choose(en("filter.year"), "year", en("filter.all_years"))
    community = choose(en("filter.community"), "community")
    assert community and community != en("filter.all_communities")
    query = app.page.evaluate("() => Object.fromEntries(new URLSearchParams(location.search))")
    assert query == {"year": "all", "community": community}

    app.reload()
    assert (chosen(en("filter.year")), chosen(en("filter.community"))) == (en("filter.all_years"), community)
    text = app.main_text()  # the overview now speaks of all years and of that community
    assert en("overview.all_years_note") in text and en("fund.community_note", community=community) in text, text
    app.go(en("nav.fund"))
    assert param("community") == community
    assert chosen(en("filter.community")) == community


def test_6_phone_has_no_horizontal_overflow(phone: App) -> None:
    phone.open()
    for title, href in phone.nav_links().items():
        phone.visit(href, title)
        phone.wait_for_charts()
        width = phone.overflow()
        assert width["scrollWidth"] <= width["clientWidth"] + 1, f"{title} overflows at 390 px: {width}"
        assert phone.errors() == [], title


def test_7_chinese_reader_sees_chinese_figures_on_every_page(app: App) -> None:
    app.open(query="lang=zh")
    kpis = app.kpis()
    zh = {catalogue.METRICS[m].label("zh"): m for m in METRICS}
    shown = {zh[label]: value for label, value in kpis.items() if label in zh}
    # Chinese readers get 万 for large amounts; counts and rates read as in English
    assert shown["fund_raised"] == "¥65万", kpis
    assert shown["fund_used"] == "¥33万", kpis
    assert shown["person_times"] == "3,165", kpis
    assert shown["training_coverage"] == "100.0%", kpis
    assert "2024年1月" in app.main_text(), "dates in the reader's convention"
    links = app.nav_links()
    assert {t("nav.overview", "zh"), t("nav.projects", "zh"), t("nav.data", "zh")} <= set(links), links
    chart_pages = {t(f"nav.{name}", "zh") for name in ("projects", "training", "fund")}
    for title in links:
        app.go(title)
        charts = app.wait_for_charts(at_least=1 if title in chart_pages else 0)
        assert all(c["svg"] and c["marks"] for c in charts), f"{title}: {charts}"
        assert title not in chart_pages or charts, f"{title}: no chart drawn"
        assert app.errors() == [], f"{title}: error boxes on the page"
        assert re.search(r"[\u4e00-\u9fff]", app.page.locator("h1").first.inner_text()), f"{title}: title not Chinese"


def test_8_cli_imports_while_the_app_serves_and_the_app_keeps_serving(
    own_server: Callable[..., Server], tab: Callable[..., App], tmp_path: Path
) -> None:
    import subprocess
    import sys

    server = own_server()  # its own: the CLI changes its warehouse
    app = tab(server)
    app.open()  # the app reads published versions and opens the working warehouse only for work
    before = figures(app)
    assert before.get("fund_raised") == REFERENCE["fund_raised"], before
    workbook = tmp_path / "cli.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "捐赠"
    book.active.append(["捐赠编号", "捐赠日期", "金额(元)"])
    book.active.append(["CLI-1", "2023-12-01", 10000])
    book.save(workbook)
    done = subprocess.run(
        [sys.executable, "-m", "etl", "load", str(workbook), "--db", str(server.db)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # no longer locked out while the app runs
    assert app.errors() == []
    app.reload()  # no accounts: one person's laptop, so the change is published at once
    assert figures(app)["fund_raised"] == "¥660,000"
    assert app.errors() == []


def test_9_an_import_reaches_leaders_only_once_an_approver_publishes_it(
    own_server: Callable[..., Server], tab: Callable[..., App]
) -> None:
    from etl import accounts

    server = own_server()
    people = {"ada": "admin", "ann": "analyst", "abe": "approver", "vic": "viewer"}
    for name, role in people.items():  # the first account is the admin; from now on sign-in is required
        accounts.add_user(name, role, f"{name}-secret-1", server.db.parent / "accounts.json")

    def signed_in(name: str) -> App:
        tab_ = tab(server)
        tab_.open("", "lang=en")
        tab_.page.get_by_role("textbox", name=en("auth.name")).fill(name)
        tab_.page.get_by_role("textbox", name=en("auth.password")).fill(f"{name}-secret-1")
        tab_.page.get_by_role("button", name=en("auth.submit")).click()
        tab_.page.get_by_role("heading", name=en("overview.title")).wait_for()
        tab_.settle()
        return tab_

    leader = signed_in("vic")
    assert figures(leader)["fund_raised"] == "¥650,000"

    analyst = signed_in("ann")
    analyst.go(en("nav.data"))
    rows = [["捐赠编号", "捐赠日期", "金额(元)"], ["E2E-PUB-1", "2023-12-30", "40000"]]
    upload(analyst, "e2e-pending.xlsx", workbook_bytes({"捐赠": rows}))
    analyst.page.get_by_role("button", name="Import 1 file(s)").click()
    outcome(analyst, en("publish.awaiting"))

    def look_again(app: App) -> dict[str, str]:  # a new run in the same session (a reload would sign out)
        app.go(en("nav.fund"))
        app.go(en("nav.overview"))
        return figures(app)

    assert look_again(leader)["fund_raised"] == "¥650,000"  # not approved yet: the leader's figures stand

    approver = signed_in("abe")
    approver.go(en("nav.review"))
    changes = approver.table_after(en("publish.changes_all"))  # what publishing would change, year by year
    assert ["2023", catalogue.METRICS["fund_raised"].label("en"), "¥650,000", "¥690,000"] in changes, changes
    approver.page.get_by_text(en("publish.confirm")).click()
    approver.settle()
    approver.page.get_by_role("button", name=en("publish.approve")).click()
    outcome(approver, re.compile(r"Published as v\d{6}"))

    assert look_again(leader)["fund_raised"] == "¥690,000"  # published: the leader sees it
    assert leader.errors() == [] and approver.errors() == []
