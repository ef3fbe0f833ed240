"""The fast loop (`pytest -m "not e2e"`) starts no browser: tests/conftest.py refuses one to every test not marked
e2e, however it would start (Playwright, a Chromium started from this process, the chromium on PATH that the
report, the ledger and the command line look for)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from presenter import report

REFUSED = "a test not marked e2e started a browser"


def test_a_test_not_marked_e2e_can_start_no_browser(tmp_path):
    from playwright.sync_api import BrowserType

    found = report.chromium()
    assert found is not None and Path(found).parent != Path("/usr/bin")  # a stub, first on PATH
    stub = subprocess.run(["sh", found], capture_output=True, text=True, check=False)  # as a child process runs it
    assert stub.returncode != 0 and REFUSED in stub.stderr
    (Path(found).parent / "started").unlink()  # this test ran it on purpose: not a browser started by mistake
    with pytest.raises(AssertionError, match=REFUSED):
        subprocess.run(["/usr/bin/chromium", "--version"], check=False)
    with pytest.raises(AssertionError, match=REFUSED):
        report.print_pdf("<p>x</p>", "/usr/bin/chromium")
    with pytest.raises(AssertionError, match=REFUSED):
        BrowserType.launch(None, executable_path="/usr/bin/chromium")  # type: ignore[arg-type]


@pytest.mark.e2e
def test_a_test_marked_e2e_finds_the_real_chromium():
    found = report.chromium()
    assert found is not None and REFUSED not in Path(found).read_text(errors="replace")
