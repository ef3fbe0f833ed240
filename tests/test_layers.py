"""The layers stay apart and every import runs downhill (README "Layout"): each module imports only its own layer or
lower ones, Streamlit only in the Streamlit plumbing and the pages, and the import graph has no circle. The graph is
read from the source with `ast` (every import counts: at the top, inside a function, under TYPE_CHECKING). Also:
formatting, the deck, the report, the CLI and the Data page's tables load without Streamlit; every ui module imports
on its own; a page opened by its own URL runs inside app.py."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from i18n import t

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("i18n", "etl", "ui", "presenter", "pages", "cli")

# The house, bottom to top. A module imports only from its own layer or lower ones.
LAYERS = (
    "text",  # i18n/: every word and how it is written, the neutral names where a town declares none
    "pipeline",  # etl/ and declared.py (the names a town declares in its data)
    "figures",  # metrics.py, queries.py, notes.py
    "presentation",  # presenter/: the deck, report, ledger, charts, exports, Markdown-safe text, trail: no Streamlit
    "plumbing",  # ui/: Streamlit's session, sign-in, routing, filters, page, widgets, projector
    "pages",  # pages/
    "top",  # cli/ and app.py
)
STREAMLIT_LAYERS = ("plumbing", "pages", "top")  # where `import streamlit` may stand (cli/ never needs it)

# `python -m etl …` is documented everywhere, so etl/__main__.py stays as a one-line entry point into cli/: the one
# import that runs up, allowed by name.
ENTRY_POINTS = {("etl.__main__", "cli")}


def layer(module: str) -> str:
    """The layer of a module of the house ("etl.load", "ui.page", "metrics", …)."""
    top = module.split(".")[0]
    if top == "i18n":
        return "text"
    if top in ("etl", "declared"):  # declared.py: the names a town declares in its data
        return "pipeline"
        return "pipeline"
    if top in ("metrics", "queries", "notes"):
        return "figures"
    if top == "presenter":
        return "presentation"
    if top == "ui":
        return "plumbing"
    if top == "pages":
        return "pages"
    if top in ("cli", "app"):
        return "top"
    raise AssertionError(f"{module}: in no layer (add it to README's Layout and to layer())")


def _modules() -> dict[str, Path]:
    """Every module of the house by its dotted name (a package's __init__.py by the package's)."""
    files = [p for p in ROOT.glob("*.py")] + [p for name in PACKAGES for p in (ROOT / name).rglob("*.py")]
    found = {}
    for path in files:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The module of the house that an imported dotted name is (or lies in); None for anything else."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(module: str) -> set[str]:
    """What `module` imports: modules of the house and "streamlit", read from its source (every import statement)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}: a relative import"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "streamlit":
                found.add("streamlit")
            elif (target := _target(name)) is not None and target != module:
                found.add(target)
    return found


GRAPH = {module: imports(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    assert {m: layer(m) for m in MODULES}  # layer() names any module that is in none


def test_every_import_runs_downhill() -> None:
    uphill = {
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets - {"streamlit"}
        if LAYERS.index(layer(target)) > LAYERS.index(layer(module))
    }
    assert uphill - ENTRY_POINTS == set(), "imports that run up, from a lower layer to a higher one"


def test_the_pipeline_imports_nothing_above_it() -> None:
    """etl/ (guard, read, validate, load, backup, publish, accounts, …) knows no figure, page, screen or command."""
    above = {"metrics", "queries", "notes", "presenter", "ui", "pages", "cli", "streamlit"}
    reached = {
        (module, target)
        for module, targets in GRAPH.items()
        if layer(module) == "pipeline"
        for target in targets
        if target.split(".")[0] in above
    }
    assert reached - ENTRY_POINTS == set()


def test_streamlit_only_in_the_plumbing_and_the_pages() -> None:
    where = {module for module, targets in GRAPH.items() if "streamlit" in targets}
    assert {m for m in where if layer(m) not in STREAMLIT_LAYERS} == set()
    assert not any(m.startswith("cli") for m in where), "the command line runs without Streamlit"
    assert {"ui.session", "ui.page", "pages.overview", "app"} <= where  # the reading finds what is there


def test_the_import_graph_has_no_circle() -> None:
    """Depth-first through every import: an edge back to a module still on the path closes a circle."""
    circles, done, path = [], set(), []

    def visit(module: str) -> None:
        path.append(module)
        for target in sorted(GRAPH[module] - {"streamlit"}):
            if target in path:
                circles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target)
        path.pop()
        done.add(module)

    for module in sorted(GRAPH):
        if module not in done:
            visit(module)
    assert circles == []


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("etl.publish", "etl.accounts"),
        ("ui.page", "ui.signin"),
        ("cli", "cli.data"),
        ("pages.fund", "presenter.charts"),
    ],
)
def test_the_reading_sees_the_imports(module: str, target: str) -> None:
    """The rules above hold because of the code, not because the reading missed the imports."""
    assert target in GRAPH[module]


# What code outside the app (the CLI, the .pptx, the printed report) and the pure formatting need.
NO_STREAMLIT = (
    "cli",
    "metrics",
    "queries",
    "presenter.slides",
    "presenter.narrative",
    "presenter.deck",
    "presenter.report",
    "presenter.screen",
    "presenter.ledger",
    "presenter.review",
    "presenter.trail",
    "i18n.numbers",
    "presenter.markdown",
    "presenter.export",
    "presenter.charts",
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
    """Callers import from the module that owns a name (ui.page, presenter.charts, …); importing ui runs nothing."""
    assert (ROOT / "ui" / "__init__.py").read_text().strip() == ""
    assert {"filters", "page", "projector", "routing", "session", "signin", "widgets"} <= set(UI_MODULES)


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
