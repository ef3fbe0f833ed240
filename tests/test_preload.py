"""The chart and table code loaded in the background on the dashboard's pages (ui/preload.py, issue 27)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from visitors import open_page

from ui import preload


def test_the_modules_are_found_in_the_installed_streamlit():
    """A Streamlit release that renames its element modules makes this fail, not the preload silently do nothing."""
    names = preload.chunks()
    assert [n.split(".")[0] for n in names] == list(preload.MODULES)
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    assert all((folder / n).is_file() for n in names)
    # the data grid's style sheet, which Streamlit's loader otherwise fetches and waits for on the first table
    assert [n.split(".")[0] for n in preload.styles()] == ["DataFrame"]
    assert all((folder.parent / "css" / n).is_file() for n in preload.styles())


def test_the_dashboard_asks_for_them_and_the_public_pages_do_not():
    script = preload.script()
    assert all(f'"{n}"' in script for n in preload.chunks() + preload.styles()) and "requestIdleCallback" in script
    overview = [h.value for h in open_page("overview", lang="zh").html]
    assert script in overview
    for public in ("ledger", "proposals"):  # a phone on the public pages: tables only, no 4.7 MB of Plotly
        assert script not in [h.value for h in open_page(public, lang="zh").html], public
