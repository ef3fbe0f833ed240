"""Pages pass their filters explicitly (issue 25, item 2): Page.q passes a query exactly what it is given.

It once passed the year and community filters to a query whenever the query's parameters were so named, so a
query whose parameter was renamed silently lost its filter and a chosen community's page showed the town. Every
query a page runs for a community chosen in its sidebar must now get that community, and one that takes no such
parameter fails loudly instead of dropping it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pandas as pd
import pytest
from visitors import open_page

import queries
from ui.page import Page

COMMUNITY = "杨泰一村"
PAGES = ("overview", "projects", "training", "fund")


def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, object]]]:
    """Every query function the app runs from now on, with the parameters it was given (the app reaches them by
    name through ui.session.query, so wrapping the module's attributes sees each call)."""
    calls: list[tuple[str, dict[str, object]]] = []

    def wrap(name: str, fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        def run(con, **params):
            calls.append((name, params))
            return fn(con, **params)

        run.__name__ = name
        return run

    for name, fn in inspect.getmembers(queries, inspect.isfunction):
        if fn.__module__ == "queries" and not name.startswith("_"):
            monkeypatch.setattr(queries, name, wrap(name, fn))
    return calls


ORIGINAL = {name: fn for name, fn in inspect.getmembers(queries, inspect.isfunction) if fn.__module__ == "queries"}


def takes(name: str, parameter: str) -> bool:
    return parameter in inspect.signature(ORIGINAL[name]).parameters


@pytest.mark.parametrize("page", PAGES)
def test_every_query_a_page_runs_gets_the_community_chosen(sample_app, monkeypatch, page):
    calls = recorded(monkeypatch)
    open_page(page, lang="zh", year="2023", community=COMMUNITY)
    filtered = [(name, params) for name, params in calls if takes(name, "community")]
    assert len({name for name, _ in filtered}) >= 2, "the page ran no query of a community's figures"
    lost = [(name, params) for name, params in filtered if params.get("community") != COMMUNITY]
    assert not lost, lost  # a query of the town's figures on a community's page
    years = [(name, params) for name, params in calls if takes(name, "year")]
    assert years and all(params.get("year") == 2023 for _, params in years), years


def test_page_q_passes_only_what_it_is_given(monkeypatch):
    """A query that does not name the filters is given none: nothing is read from its parameter names."""
    seen: list[dict[str, object]] = []

    def query(path, name, params, version, con):
        seen.append(dict(params))
        return pd.DataFrame()

    monkeypatch.setattr("ui.page.query", query)
    page = Page(None, "w.duckdb", "zh", 2023, COMMUNITY)  # type: ignore[arg-type]

    def renamed(con, *, year=None, place=None):  # a community filter under another name
        return pd.DataFrame()

    page.q(renamed)
    page.q(queries.kpis, **page.filters)
    assert seen == [{}, {"year": 2023, "community": COMMUNITY}]
    with pytest.raises(TypeError):  # passing the filter to a query that no longer takes it fails loudly
        renamed(None, **page.filters)
