"""The fund's public ledger (基金公示, presenter/ledger.py and pages/ledger.py): totals that equal the catalogue's fund
figures, individual donors masked everywhere (page, CSV, Excel, PDF), published data only, and who may open it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest
from visitors import PASSWORDS, by_url, sign_in
from workbooks import workbook_bytes

import declared
import metrics
import queries
from etl import accounts, db, publish
from etl.load import import_file
from etl.sample import NAMES
from i18n import t
from presenter import ledger
from ui import session


def title(lang: str) -> str:
    """The ledger's title with the fund the sample declares (declared.py)."""
    return t("ledger.title", lang, **declared.Names(**NAMES).params(lang))


ROOT = Path(__file__).resolve().parent.parent
# A new individual donor, paid to the fen: loaded as a pending import, it must not reach the ledger until published.
NEW_DONOR = "赵小明"
NEW_DONATION = [
    ["捐赠编号", "捐赠日期", "捐赠方", "捐赠方类型", "金额(元)", "渠道"],
    ["JZ2024-001", "2024-01-15", NEW_DONOR, "个人", 1234.56, "微信"],
]


@pytest.fixture
def sample(sample_app) -> Path:
    """A copy of the sample warehouse, as the app opens it (published at first open), in English."""
    return sample_app


@pytest.fixture
def staff(sample) -> Path:
    """Sign-in on: an admin, an analyst and a viewer (so no import is published by itself)."""
    for name, role in (("ada", "admin"), ("ann", "analyst"), ("vic", "viewer")):
        accounts.add_user(name, role, PASSWORDS[name])
    return sample


def working():
    return session.warehouse(str(db.db_path())).cursor()


def published(path: Path):
    """The current published version, read-only (what the ledger must read)."""
    session._bootstrap(str(path))
    return session.published_cursor(publish.current_file(path))


def individuals(con) -> list[str]:
    """Every individual donor's name in the warehouse (anonymous ones are not names)."""
    rows = con.execute("SELECT DISTINCT donor FROM donations WHERE donor_type = 'individual' AND donor IS NOT NULL")
    names = [r[0] for r in rows.fetchall() if r[0].strip().lower() not in ledger.ANONYMOUS]
    assert names, "the check needs individual donors"
    return names


def named(con) -> list[str]:
    rows = con.execute("SELECT DISTINCT donor FROM donations WHERE donor_type IN ('enterprise', 'organization')")
    return [r[0] for r in rows.fetchall()]


def catalogue(con, year: int | None) -> dict[str, float]:
    frame = metrics.figures(con, year=year, as_of=queries.as_of_date(con))
    return dict(zip(frame["code"], frame["value"], strict=True))


def open_ledger(lang: str = "en", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params.update({"lang": lang, **params})
    at.switch_page("pages/ledger.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Everything the page shows: texts, tiles, and every cell of its tables."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.success, *at.error, *at.warning, *at.title)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    return "\n".join(str(p) for p in parts)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    (tmp_path / "l.pdf").write_bytes(data)
    done = subprocess.run(["pdftotext", "-raw", str(tmp_path / "l.pdf"), "-"], capture_output=True, check=True)
    return re.sub(r"\s+", "", done.stdout.decode("utf-8"))  # without the line breaks of wrapped cells


# --- the pure module


@pytest.mark.parametrize("year", [None, 2023, 2024])
def test_totals_equal_the_catalogues_fund_figures(sample, year):
    con = published(sample)
    book = ledger.build(con, year=year, lang="zh")
    figures = catalogue(con, year)
    assert book.raised == pytest.approx(figures["fund_raised"], abs=0.005)
    assert book.used == pytest.approx(figures["fund_used"], abs=0.005)
    assert book.closing == pytest.approx(figures["balance"], abs=0.005)
    assert book.reconciled
    # the town's published figures (DESIGN, sample data): raised 650,000, used 330,000 since August 2023
    expected = {None: (0, 650_000, 330_000), 2023: (0, 650_000, 330_000), 2024: (320_000, 0, 0)}[year]
    assert (book.opening, book.raised, book.used, book.closing) == (*expected, 320_000)
    if len(book.entries):  # the running balance ends where the totals do
        assert book.entries["balance"].iloc[-1] == pytest.approx(book.closing)
    assert "¥320,000.00" in ledger.reconciliation(book)


def test_a_ledger_that_disagrees_with_the_catalogue_says_so(sample):
    book = ledger.build(published(sample), lang="en")
    off = type(book)(**{**book.__dict__, "catalogue": {**book.catalogue, "fund_used": 329_999.99}})
    assert not off.reconciled
    assert ledger.reconciliation(off).startswith("The ledger does not agree") and "¥329,999.99" in (
        ledger.reconciliation(off)
    )


def test_individuals_are_masked_and_companies_named_in_every_copy(sample, tmp_path):
    con = published(sample)
    people, companies = individuals(con), named(con)
    book = ledger.build(con, lang="zh")
    assert book.version == publish.current(sample)
    csv = ledger.to_csv(book).decode("utf-8-sig")
    sheet = load_workbook(io.BytesIO(ledger.to_xlsx(book))).active
    cells = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    html = ledger.to_html(book)
    for copy in (csv, cells, html):
        assert not [p for p in people if p in copy], "an individual donor's name"
        assert "张*" in copy and "匿名" in copy
    for copy in (csv, cells, html):
        assert all(c in copy for c in companies)
    # Excel's header block: title, as-of date, version, masking note; money exact to the fen
    block = [sheet.cell(row=r, column=1).value for r in range(1, 10)]
    assert block[0] == title("zh")
    assert t("export.as_of", "zh", date="2024年1月31日") in block
    assert f"发布版本 {book.version}" in " ".join(str(b) for b in block)
    assert t("ledger.masked", "zh") in block
    amounts = [c for c in sheet["I"] if isinstance(c.value, (int, float))]
    assert amounts and all(c.number_format == '"¥"#,##0.00' for c in amounts)


@pytest.mark.e2e  # Chromium prints the PDF
def test_individuals_are_masked_and_companies_named_in_the_printed_pdf(sample, tmp_path):
    con = published(sample)
    people, companies = individuals(con), named(con)
    pdf = pdf_text(ledger.to_pdf(ledger.build(con, lang="zh")), tmp_path)
    assert not [p for p in people if p in pdf], "an individual donor's name"
    assert "张*" in pdf and "匿名" in pdf
    assert all(c in pdf for c in companies)
    assert "¥650,000.00" in pdf and "¥320,000.00" in pdf


def test_masking_rules():
    assert ledger.shown_donor("张三", "individual", "zh") == "张*"
    assert ledger.shown_donor("Zhang San", None, "en") == "Z*"  # an unknown type is masked too
    assert ledger.shown_donor("匿名", "individual", "en") == "Anonymous"
    assert ledger.shown_donor(None, "individual", "zh") == "匿名"
    assert ledger.shown_donor("上海某某有限公司", "enterprise", "zh") == "上海某某有限公司"
    assert ledger.shown_donor("张三", "individual", "zh", mask=False) == "张三"
    assert ledger.money(1234.5) == "¥1,234.50" and ledger.money(-0.05) == "-¥0.05"


# --- a page at a time: a ledger of many entries (a small bench city: 130 donations and 61 payments in 2019)

CITY = {"communities": 5, "workers": 100, "sessions": 400, "attendance": 800, "projects": 30}
CITY |= {"donations": 130, "disbursements": 61}  # every entry in 2019; the data run to 2024


@pytest.fixture(scope="module")
def city_file(tmp_path_factory) -> Path:
    from bench.warehouse import build

    return build(tmp_path_factory.mktemp("ledger_city") / "city.duckdb", **CITY)


@pytest.fixture
def city(city_file: Path, app_env, tmp_path: Path) -> Path:
    """The app on a copy of the city (published at its first open, as a warehouse with no accounts is), in English."""
    path = tmp_path / "city.duckdb"
    shutil.copy(city_file, path)
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    return path


def newest_first(book: ledger.Ledger) -> pd.DataFrame:
    """The whole reader's table (every entry, as the downloads hold it), turned newest first: the opening row last."""
    frame = ledger.table(book)
    if book.year is not None:  # the balance brought forward stays where the period begins: last
        return pd.concat([frame.iloc[1:].iloc[::-1], frame.iloc[:1]], ignore_index=True)
    return frame.iloc[::-1].reset_index(drop=True)


@pytest.mark.parametrize("year", [None, 2019, 2020])
@pytest.mark.parametrize("size", [7, 50, 500])
def test_the_pages_together_are_every_entry_newest_first_with_the_true_balance(city_file, year, size):
    con = duckdb.connect(str(city_file), read_only=True)
    full, head = ledger.build(con, year=year, lang="zh"), ledger.summary(con, year=year, lang="zh")
    assert head.entries is None and head.count == len(full.entries) == {None: 191, 2019: 191, 2020: 0}[year]
    for field in ("opening", "raised", "used", "closing", "reconciled", "rows", "version", "start", "end"):
        assert getattr(head, field) == pytest.approx(getattr(full, field)), field
    pages = [ledger.page(con, head, n, size) for n in range(head.pages(size))]
    assert all(len(p) == size for p in pages[:-1]) and 0 < len(pages[-1]) <= size
    together = pd.concat(pages, ignore_index=True)
    pd.testing.assert_frame_equal(together, newest_first(full), check_dtype=False)
    # the balance after each entry is the running balance over every entry since the fund began, across the
    # pages' boundaries: the next (older) row's balance is this one's less what this entry added
    money = {c: t(f"ledger.col.{c}", "zh") for c in ("income", "spending", "balance")}
    entries = together.iloc[: head.count].astype(
        {money["income"]: float, money["spending"]: float, money["balance"]: float}
    )
    if entries.empty:  # 2020: the balance brought forward alone, what 2019 ended with
        assert list(together[money["balance"]]) == [full.opening] and full.opening == full.closing > 0
        return
    moved = entries[money["income"]].fillna(0) - entries[money["spending"]].fillna(0)
    before = (entries[money["balance"]] - moved).iloc[:-1].to_numpy()
    assert before == pytest.approx(entries[money["balance"]].iloc[1:].to_numpy())
    assert entries[money["balance"]].iloc[0] == pytest.approx(full.closing)
    assert ledger.page(con, head, head.pages(size), size).empty  # past the last page: nothing
    con.close()


def test_the_page_shows_a_page_at_a_time_and_the_downloads_every_entry(city, downloads):
    at = open_ledger("en")
    con = published(city)
    full = ledger.build(con, lang="en")
    table = newest_first(full)
    shown = at.dataframe[0].value
    assert len(shown) == 50 and full.count == 191
    refs = list(table[t("ledger.col.ref", "en")])
    assert list(shown[t("ledger.col.ref", "en")]) == refs[:50]  # the latest entries first
    assert t("pager.showing", "en", first="1", last="50", rows="191") in page_text(at)
    balance = t("ledger.col.balance", "en")
    assert shown[balance].iloc[0] == f"{full.closing:,.2f}"
    at.button(key="ledger_next").click().run()
    shown = at.dataframe[0].value
    assert list(shown[t("ledger.col.ref", "en")]) == refs[50:100]
    assert list(shown[balance]) == [f"{v:,.2f}" for v in table[balance].iloc[50:100]]
    at.number_input(key="ledger_page").set_value(4).run()
    assert list(at.dataframe[0].value[t("ledger.col.ref", "en")]) == refs[150:]
    assert at.button(key="ledger_next").disabled and not at.button(key="ledger_prev").disabled
    text = page_text(at)
    people = individuals(con)
    # masked on every page (the city's donors are 捐赠方1, 捐赠方10, …: a name as a whole, before its type)
    assert "捐* (Individual)" in text and not [p for p in people if f"{p} (" in text]
    at.segmented_control(key="ledger_year").set_value(2019).run()  # another period starts at its newest page
    assert at.number_input(key="ledger_page").value == 1
    assert list(at.dataframe[0].value[t("ledger.col.ref", "en")]) == refs[:50]
    files = {name: make for name, make in downloads.values()}
    csv = next(make for name, make in files.items() if name.endswith("All_years_" + full.version + ".csv"))()
    text = csv.decode("utf-8-sig")
    assert text.count("\n") == 1 + 191 and not [p for p in people if f",{p}," in text]  # every entry, masked
    assert ",捐*," in text


# --- the page


def test_the_page_shows_totals_reconciliation_and_masked_donors(sample):
    at = open_ledger("zh")
    assert at.title[0].value == title("zh")
    assert [m.value for m in at.metric] == ["¥650,000.00", "¥330,000.00", "¥320,000.00"]
    assert at.success[0].value.startswith("募集 ¥650,000.00 − 使用 ¥330,000.00 = 结余 ¥320,000.00")
    con = published(sample)
    text = page_text(at)
    assert not [p for p in individuals(con) if p in text]
    assert all(c in text for c in named(con))
    rows = at.dataframe[0].value
    assert (
        len(rows)
        == con.execute("SELECT (SELECT count(*) FROM donations) + (SELECT count(*) FROM disbursements)").fetchone()[0]
    )
    assert f"发布版本 {publish.current(sample)}" in text and "截至 2024年1月31日" in text
    # a year: the balance brought forward first, then that year's entries (none in 2024)
    at.segmented_control(key="ledger_year").set_value(2024).run()
    assert [m.value for m in at.metric] == ["¥0.00", "¥0.00", "¥320,000.00"]
    assert at.success[0].value.startswith("上期结余 ¥320,000.00")
    assert at.dataframe[0].value.iloc[0][t("ledger.col.entry", "zh")] == t("ledger.entry.opening", "zh")


def download_files(sample, downloads) -> tuple[str, dict]:
    """The English ledger page's downloads: (their file names' stem, the callable making each file by name)."""
    registered = downloads
    at = open_ledger("en")
    files = {
        registered[b.proto.deferred_file_id][0]: registered[b.proto.deferred_file_id][1]
        for b in at.get("download_button")
    }
    version = publish.current(sample)
    return f"Yanghang_Town_Warm_Yang_Hui_community_fund_public_ledger_All_years_{version}", files


def test_the_downloads_hold_no_unmasked_name(sample, downloads):
    stem, files = download_files(sample, downloads)
    assert {f"{stem}.csv", f"{stem}.xlsx", f"{stem}.pdf", f"{stem}.html"} <= set(files)
    csv = files[f"{stem}.csv"]().decode("utf-8-sig")
    people = individuals(published(sample))
    assert not [p for p in people if p in csv] and "Anonymous" in csv
    assert csv.count("\n") == 1 + 35  # a header row and every entry


@pytest.mark.e2e  # Chromium prints the PDF
def test_the_pdf_download_is_a_pdf(sample, downloads):
    stem, files = download_files(sample, downloads)
    assert files[f"{stem}.pdf"]().startswith(b"%PDF-")


# --- published data only, and who may open it


def test_unpublished_imports_do_not_show_until_published(staff):
    import_file(working(), workbook_bytes({"捐赠": NEW_DONATION}), "d.xlsx", user="ann")
    assert len(publish.pending(working())) == 1
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    sign_in(at, "ann", PASSWORDS["ann"])
    at.sidebar.toggle(key="draft_view").set_value(True).run()  # the analyst looks at the draft elsewhere ...
    at.switch_page("pages/ledger.py").run()
    assert not at.exception
    assert at.metric[0].value == "¥650,000.00"  # ... but the ledger shows only the published version
    assert "JZ2024-001" not in page_text(at) and "赵*" not in page_text(at)
    publish.publish(working(), "ada")
    st.cache_data.clear()
    at.run()
    assert at.metric[0].value == "¥651,234.56"  # exact to the fen
    assert at.success, "the totals still reconcile to the catalogue"
    text = page_text(at)
    assert "赵*" in text and NEW_DONOR not in text


def test_public_means_the_ledger_and_nothing_else(staff, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PUBLIC", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == title("en")  # anyone lands on the ledger, no sign-in
    assert at.metric[0].value == "¥650,000.00"
    assert any(e.label == "Sign in" for e in at.sidebar.expander)  # staff sign in from its sidebar
    for page in ("overview", "fund", "presenter", "data"):
        by_url(at, page)
        assert at.title[0].value in (title("en"), t("app.title", "en"))
        assert not [m for m in at.metric if m.label.startswith("Fund raised")]
        assert not at.file_uploader
    for page in ("overview", "fund"):  # a page's own script run (a fresh server's deep link) stops at the gate
        direct = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        direct.session_state["_routed_by_app"] = True
        direct.run()
        assert [i.value for i in direct.info] == [t("auth.required", "en")]
        assert not direct.metric
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in(at.run(), "vic", PASSWORDS["vic"], form="sidebar_sign_in")
    at.switch_page("pages/overview.py").run()
    assert at.title[0].value == t("overview.title", "en")  # signed in: the dashboards again


def test_without_public_the_ledger_needs_sign_in(staff):
    at = open_ledger()
    assert [i.value for i in at.info] == [t("auth.required", "en")]
    assert not at.metric and not at.dataframe
    direct = AppTest.from_file(str(ROOT / "pages" / "ledger.py"), default_timeout=60)
    direct.session_state["_routed_by_app"] = True
    direct.run()
    assert [i.value for i in direct.info] == [t("auth.required", "en")] and not direct.metric
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    sign_in(at.run(), "vic", PASSWORDS["vic"])
    at.switch_page("pages/ledger.py").run()
    assert at.metric[0].value == "¥650,000.00"  # signed in: a dashboard like the others


def test_a_forum_screen_still_opens_every_dashboard(staff, monkeypatch):
    monkeypatch.setenv("DASHBOARD_PUBLIC", "dashboards")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert at.title[0].value == t("overview.title", "en")
    at.switch_page("pages/ledger.py").run()
    assert at.metric[0].value == "¥650,000.00"


def test_the_cli_writes_the_published_ledger(sample_file, tmp_path, capsys):
    from cli import main

    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    out = tmp_path / "ledger.csv"
    assert main(["ledger", str(out), "--db", str(path)]) == 2  # nothing published yet: nothing written
    assert "nothing is published" in capsys.readouterr().err and not out.exists()
    con = db.connect(path)
    publish.ensure_published(con)
    people = individuals(con)
    con.close()
    assert main(["ledger", str(out), "--db", str(path), "--year", "2023"]) == 0
    assert "¥320,000.00" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("日期,收支,编号") and "张*" in text and not [p for p in people if p in text]
    assert main(["ledger", str(tmp_path / "ledger.docx"), "--db", str(path)]) == 2
