"""The row of download buttons under a public page's table (the fund ledger, the residents' proposals): CSV, Excel,
the PDF where this server can print one, the printable page; and, where it cannot, the caption that says so."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from i18n import t
from presenter import report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def copies_row(
    lang: str,
    stem: str,
    key: str,
    *,
    csv: Callable[[], bytes],
    xlsx: Callable[[], bytes],
    pdf: Callable[[], bytes],
    html: Callable[[], str],
) -> None:
    """A button a copy, each file named `stem`.<suffix>, its widget key `key`_<suffix>; each file made only when its
    button is clicked (by the callable given for it). The PDF only where presenter.report.chromium finds a printer."""
    printer = report.chromium()
    # (label, what makes the file, suffix, type, icon)
    copies = [
        ("download.csv", csv, "csv", "text/csv", "download"),
        ("download.xlsx", xlsx, "xlsx", XLSX, "download"),
        *([("ledger.download.pdf", pdf, "pdf", "application/pdf", "picture_as_pdf")] if printer else []),
        ("ledger.download.html", lambda: html().encode("utf-8"), "html", "text/html", "print"),
    ]
    with st.container(horizontal=True, gap="small"):
        for label, make, suffix, mime, icon in copies:
            st.download_button(
                t(label, lang),
                make,
                file_name=f"{stem}.{suffix}",
                mime=mime,
                key=f"{key}_{suffix}",
                on_click="ignore",
                icon=f":material/{icon}:",
            )
    if not printer:
        st.caption(t("ledger.no_pdf", lang))
