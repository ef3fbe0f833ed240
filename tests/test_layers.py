"""The layers stay apart: formatting, the deck, the report, the CLI and the Data page's tables load without
Streamlit; every ui module imports on its own (no import cycle); a page opened by its own URL runs inside app.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from i18n import t

ROOT = Path(__file__).resolve().parent.parent

# What code outside the app (the CLI, the .pptx, the printed report) and the pure formatting need.
NO_STREAMLIT = (
    "etl.__main__",
    "metrics",
    "queries",
    "presenter.slides",
    "presenter.narrative",
    "presenter.deck",
    "presenter.report",
    "ui.review",
    "ui.trail",
    "i18n.numbers",
    "ui.markdown",
    "ui.export",
    "ui.charts",
)
UI_MODULES = sorted(p.stem for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__")


def _python(code: str) -> str:
    """Run `code` in a fresh interpreter at the project's root; its stdout."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_formatting_the_cli_and_the_presenter_load_no_streamlit() -> None:
    code = f"""
import importlib, json, sys
loaded = {{}}
for name in {list(NO_STREAMLIT)!r}:
    importlib.import_module(name)
    loaded[name] = sorted(m for m in sys.modules if m == "streamlit" or m.startswith("streamlit."))
print(json.dumps(loaded))
"""
    loaded = json.loads(_python(code))
    assert list(loaded) == list(NO_STREAMLIT)
    assert {name: found for name, found in loaded.items() if found} == {}


def test_ui_holds_no_code_of_its_own() -> None:
    """Callers import from the module that owns a name (ui.page, ui.charts, …); importing ui runs nothing."""
    assert (ROOT / "ui" / "__init__.py").read_text().strip() == ""
    assert {"charts", "filters", "page", "routing", "session", "signin", "widgets"} <= set(UI_MODULES)


def test_every_ui_module_imports_first_without_a_cycle() -> None:
    """Each ui module imported first, in a fresh set of ui modules: a cycle fails with a partly initialised module."""
    code = f"""
import importlib, sys
for name in {UI_MODULES!r}:
    for loaded in [m for m in sys.modules if m == "ui" or m.startswith("ui.")]:
        del sys.modules[loaded]
    importlib.import_module("ui." + name)
print("ok")
"""
    assert _python(code).strip() == "ok"


def test_a_page_opened_by_its_url_runs_inside_the_app(sample_app: Path) -> None:
    """AppTest starts a run as a fresh server does for a first visitor with a page's URL: pages/ taken as a legacy
    multipage app, the page script run alone. The page must send the run back through app.py, whose routing closes
    the run's working connection (left open, it would hold the warehouse after the run)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/fund.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("fund.title", "en")
    assert at.session_state["_routed_by_app"]
    # app.py's run() ran after the page and closed the working warehouse: another process can open it for writing
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    assert subprocess.run([sys.executable, "-c", code, str(sample_app)], capture_output=True).returncode == 0
