"""A public page's copies are made once per edition for every visitor (ui/downloads.py): anyone may click, and the
ledger of 140,000 entries takes seconds to write, its PDF longer."""

from __future__ import annotations

import threading
import time

import pytest

from ui import downloads


@pytest.fixture(autouse=True)
def _fresh():
    downloads.forget()
    yield
    downloads.forget()


def test_one_making_per_edition_however_many_click():
    made = []

    def make() -> bytes:
        made.append(1)
        time.sleep(0.2)  # long enough for every click below to arrive while it is being made
        return b"ledger"

    edition = ("ledger", ("v000002.duckdb", 1), 2023, "zh", "csv")
    clicks = [downloads.once(edition, make) for _ in range(6)]  # six visitors' runs, each its own button
    got: list[bytes] = []
    threads = [threading.Thread(target=lambda c=c: got.append(c())) for c in clicks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [b"ledger"] * 6 and len(made) == 1
    assert downloads.once(edition, make)() == b"ledger" and len(made) == 1  # a later visitor too


def test_another_version_period_or_language_is_made_anew():
    made = []

    def maker(text: str):
        return lambda: made.append(text) or text.encode()

    base = ("ledger", ("v000002.duckdb", 1), 2023, "zh", "csv")
    assert downloads.once(base, maker("a"))() == b"a"
    for other in (
        ("ledger", ("v000003.duckdb", 1), 2023, "zh", "csv"),  # a new publication
        ("ledger", ("v000002.duckdb", 1), 2024, "zh", "csv"),
        ("ledger", ("v000002.duckdb", 1), 2023, "en", "csv"),
        ("proposals", ("v000002.duckdb", 1), 2023, "zh", "csv"),
    ):
        assert downloads.once(other, maker("b"))() == b"b", other
    assert made == ["a", "b", "b", "b", "b"]


def test_what_is_kept_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(downloads, "KEPT_BYTES", 10)
    for i in range(5):
        downloads.once(("x", i), lambda: b"12345")()
    assert sum(map(len, downloads._made.values())) <= 10 and ("x", 4) in downloads._made


def test_a_failed_making_is_not_kept():
    def broken() -> bytes:
        raise OSError("Chromium could not print the ledger")

    with pytest.raises(OSError):
        downloads.once(("ledger", "pdf"), broken)()
    assert downloads.once(("ledger", "pdf"), lambda: b"%PDF-")() == b"%PDF-"
