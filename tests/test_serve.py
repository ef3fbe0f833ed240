"""scripts/serve.py's parts that decide when the server does its own work: the warm-up waits for quiet, and the
direct-run check Streamlit makes at a process's first element is known to be answered (tests/test_cold_start.py
starts the whole server)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from streamlit import delta_generator, env_util

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("serve", ROOT / "scripts" / "serve.py")
assert _spec and _spec.loader
serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve)

QUIET, LONGEST = serve.QUIET_SECONDS, serve.IDLE_WAIT_SECONDS


def test_the_warm_up_waits_for_the_first_visitor_after_the_start() -> None:
    visitors = serve.Visitors([], 0.0)  # the server's start
    assert not visitors.quiet([], 1.0)  # a browser may be loading Streamlit's scripts: nothing shows it yet
    assert not visitors.quiet([("a", False)], 2.0)  # it connected
    assert not visitors.quiet([("a", True)], 3.0)  # its first page runs
    assert not visitors.quiet([("a", False)], 3.0 + QUIET - 0.1)  # its browser draws what it was sent
    assert visitors.quiet([("a", False)], 3.0 + QUIET)  # a reader looking at a page keeps nobody waiting


def test_a_visitor_who_arrives_or_runs_during_the_warm_up_holds_the_next_page() -> None:
    visitors = serve.Visitors([("a", False)], 100.0 - QUIET)
    assert visitors.quiet([("a", False)], 100.0)  # nobody new, nothing running
    assert not visitors.quiet([("a", False), ("b", False)], 101.0)  # b connected
    assert visitors.quiet([("a", False), ("b", False)], 101.0 + QUIET)
    assert not visitors.quiet([("b", True)], 110.0)  # a left; b runs a page
    assert not visitors.quiet([("b", False)], 110.0 + QUIET - 1)
    assert visitors.quiet([], 110.0 + QUIET)  # and then left


def test_a_busy_server_is_warmed_anyway_after_the_longest_wait() -> None:
    visitors = serve.Visitors([], 0.0)
    now = 0.0
    while not visitors.quiet([("a", True)], now):  # a visitor's run in progress at every look
        now += 0.1
        assert now <= LONGEST + 0.1
    assert now == pytest.approx(LONGEST)
    assert not visitors.quiet([("a", True)], now + 0.1)  # the next page waits again, from then


def test_the_server_tells_streamlit_it_runs_under_streamlit_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's check at a process's first element walks the whole stack (inspect.stack): serve.py answers it."""
    monkeypatch.setattr(delta_generator, "_use_warning_has_been_displayed", False)

    def walked() -> bool:
        raise AssertionError("the stack was walked")

    monkeypatch.setattr(env_util, "is_repl", walked)
    serve.under_streamlit_run()
    delta_generator._maybe_print_use_warning()  # what the first element of a run calls
