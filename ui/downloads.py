"""The row of download buttons under a public page's table (the fund ledger, the residents' proposals): CSV, Excel,
the PDF where this server can print one, the printable page; and, where it cannot, the caption that says so."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import streamlit as st

from i18n import t
from presenter import report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEPT_BYTES = 64 * 2**20  # the files made kept for the next visitor, at most (the least recently used go first)

_made: OrderedDict[Hashable, bytes] = OrderedDict()
_making: dict[Hashable, threading.Lock] = {}
_guard = threading.Lock()


def once(edition: Hashable, make: Callable[[], bytes]) -> Callable[[], bytes]:
    """`make`, made once per `edition` (what the file holds: the published version, period, language, format) for
    every visitor of the process: a public page's ledger of 140,000 entries takes seconds to write and a PDF longer,
    and anyone may click. Visitors who click while it is being made wait for that one making."""

    def made() -> bytes:
        with _guard:
            if edition in _made:
                _made.move_to_end(edition)
                return _made[edition]
            lock = _making.setdefault(edition, threading.Lock())
        with lock:
            with _guard:
                if edition in _made:
                    return _made[edition]
            try:
                data = make()
            except BaseException:
                with _guard:
                    _making.pop(edition, None)  # not kept: the next click tries again
                raise
            with _guard:
                _made[edition] = data
                _making.pop(edition, None)
                while len(_made) > 1 and sum(map(len, _made.values())) > KEPT_BYTES:
                    _made.popitem(last=False)
            return data

    return made


def forget() -> None:
    """Drop every file kept (tests)."""
    with _guard:
        _made.clear()


def copies_row(
    lang: str,
    stem: str,
    key: str,
    *,
    csv: Callable[[], bytes],
    xlsx: Callable[[], bytes],
    pdf: Callable[[], bytes],
    html: Callable[[], str],
    edition: Hashable,
) -> None:
    """A button a copy, each file named `stem`.<suffix>, its widget key `key`_<suffix>; each file made only when its
    button is clicked (by the callable given for it), once per `edition` (what the files hold: the published version
    read, the period, the language) for every visitor (once). The PDF only where presenter.report.chromium finds a
    printer."""
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
                once((key, edition, stem, suffix), make),
                file_name=f"{stem}.{suffix}",
                mime=mime,
                key=f"{key}_{suffix}",
                on_click="ignore",
                icon=f":material/{icon}:",
            )
    if not printer:
        st.caption(t("ledger.no_pdf", lang))
