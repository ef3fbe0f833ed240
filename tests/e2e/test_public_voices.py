"""Journey: with sign-in on and DASHBOARD_PUBLIC=1, an anonymous visitor opens 居民提案进展 beside the fund ledger,
reads what became of the residents' voices, and downloads them as CSV and Excel: a summary not marked publishable
(holding a phone number) reaches neither the page nor the downloads; a publishable one and a reason do."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import voices_fixture as vf  # tests/voices_fixture.py: the hand-made voices
from openpyxl import load_workbook
from public_pages import public_server  # tests/e2e/public_pages.py

from etl import accounts, publish
from i18n import t
from presenter import proposals

if TYPE_CHECKING:
    from conftest import App, Server

PASSWORD = "admin-secret-1"


def test_an_anonymous_visitor_never_sees_an_unpublishable_summary(own_server, tab, monkeypatch) -> None:
    def voices(folder):
        """The sample with the voices, published; sign-in on (an admin) and the public pages open."""
        if not (folder / "accounts.json").exists():
            vf.add_to_sample(folder / "warehouse.duckdb")
            accounts.add_user("ada", "admin", PASSWORD, folder / "accounts.json")

    server: Server = public_server(own_server, monkeypatch, voices)
    app: App = tab(server)
    app.open()
    links = app.page.locator('[data-testid="stSidebarNavLink"]')
    assert links.count() == 2  # the two public pages, nothing else
    app.open("proposals")
    assert app.page.locator("h1").first.inner_text() == t("proposals.title", "en")
    assert app.errors() == []
    app.page.get_by_text("V01").first.wait_for(state="attached")  # a grid cell (drawn on a canvas)
    text = app.page.locator('[data-testid="stMain"]').inner_text()
    grids = app.page.locator('[data-testid="stDataFrame"]')
    cells = "\n".join("\t".join(row) for i in range(grids.count()) for row in app.table(grids.nth(i)))
    seen = text + cells
    assert vf.SHOWN in seen and vf.REASON in seen
    assert vf.SECRET not in seen and "13812345678" not in seen and vf.SECRET_TOO not in seen

    for label, suffix in ((t("download.csv", "en"), "csv"), (t("download.xlsx", "en"), "xlsx")):
        with app.page.expect_download() as got:
            app.page.get_by_role("button", name=label, exact=True).click()
        download = got.value
        assert download.suggested_filename.endswith(f".{suffix}") and "proposals" in download.suggested_filename
        data = Path(download.path()).read_bytes()
        if suffix == "csv":
            copy = data.decode("utf-8-sig")
        else:
            sheet = load_workbook(io.BytesIO(data)).active
            copy = "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
        assert "V01" in copy and vf.SHOWN in copy and vf.REASON in copy
        assert vf.SECRET not in copy and "13812345678" not in copy and vf.SECRET_TOO not in copy


def test_the_printed_proposals_hold_no_secret(tmp_path) -> None:
    """The printable page printed to PDF by Chromium, as the ledger's: the publishable summary, not the secret."""
    path = vf.build(tmp_path / "w.duckdb")
    con = duckdb.connect(str(publish.current_file(path)), read_only=True)
    try:
        pdf = proposals.to_pdf(proposals.build(con, lang="zh"))
    finally:
        con.close()
    (tmp_path / "p.pdf").write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-raw", str(tmp_path / "p.pdf"), "-"], capture_output=True, check=True)
    printed = re.sub(r"\s+", "", done.stdout.decode("utf-8"))
    assert vf.SHOWN in printed and vf.SECRET not in printed and "13812345678" not in printed
