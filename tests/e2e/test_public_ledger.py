"""Journey: with sign-in on and DASHBOARD_PUBLIC=1, an anonymous visitor opens the fund's public ledger (基金公示),
sees the published totals and no other page, and downloads the ledger as CSV with no individual donor's name in it."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import duckdb
from public_pages import public_server  # tests/e2e/public_pages.py

import declared
from etl import accounts
from etl.sample import NAMES
from i18n import t
from presenter import ledger

if TYPE_CHECKING:
    from conftest import App, Server

PASSWORD = "admin-secret-1"


def title(lang: str) -> str:
    """The ledger's title with the fund the sample declares (declared.py)."""
    return t("ledger.title", lang, **declared.Names(**NAMES).params(lang))


def test_an_anonymous_visitor_reads_and_downloads_the_public_ledger(own_server, tab, monkeypatch) -> None:
    def signin(folder):
        """Sign-in on (an admin beside the warehouse, where the app looks) and the ledger public."""
        accounts.add_user("ada", "admin", PASSWORD, folder / "accounts.json")

    server: Server = public_server(own_server, monkeypatch, signin)
    app: App = tab(server)
    app.open()
    assert app.page.locator("h1").first.inner_text() == title("en")
    assert app.errors() == []
    links = app.page.locator('[data-testid="stSidebarNavLink"]')  # the public pages only: ledger and proposals
    assert [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())] == [  # after the icon
        t("nav.ledger", "en"),
        t("nav.proposals", "en"),
    ]
    values = app.kpis()
    assert list(values.values()) == ["¥650,000.00", "¥330,000.00", "¥320,000.00"]
    assert "the same as the dashboard's fund figures" in app.main_text()

    app.open("fund")  # another page's link: still only the ledger, or the sign-in
    assert app.page.locator("h1").first.inner_text() in (title("en"), t("app.title", "en"))
    assert "Fund raised" not in app.main_text()

    app.open()
    with app.page.expect_download() as got:
        app.page.get_by_role("button", name=t("download.csv", "en"), exact=True).click()
    download = got.value
    assert download.suggested_filename.endswith(".csv") and "public_ledger" in download.suggested_filename
    text = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == [t("ledger.col.date", "en"), t("ledger.col.entry", "en"), t("ledger.col.ref", "en")]
    with duckdb.connect(str(server.db), read_only=True) as con:
        people = [
            r[0]
            for r in con.execute("SELECT DISTINCT donor FROM donations WHERE donor_type = 'individual'").fetchall()
            if r[0].strip().lower() not in ledger.ANONYMOUS
        ]
        entries = con.execute("SELECT (SELECT count(*) FROM donations) + (SELECT count(*) FROM disbursements)")
        assert len(rows) == 1 + entries.fetchone()[0]
    assert people and not [p for p in people if p in text]
    assert "Z*" not in text and "张*" in text  # masked, not dropped
