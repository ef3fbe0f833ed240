"""The sidebar choices kept in the URL, so a link reproduces the view: the language, the year and the community."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from i18n import LANGUAGES


def default_lang() -> str:
    """The language when the URL names none: $DASHBOARD_LANG, else English."""
    lang = os.environ.get("DASHBOARD_LANG", "en")
    return lang if lang in LANGUAGES else "en"


def current_lang() -> str:
    """The language of this run: the sidebar choice, else the URL's `lang`, else the default."""
    lang = st.session_state.get("lang") or st.query_params.get("lang") or default_lang()
    return lang if lang in LANGUAGES else default_lang()


def _commit(key: str, widget_key: str) -> None:
    st.session_state[key] = st.session_state[widget_key]
    st.session_state["_filter_changed"] = True  # on a phone the sidebar closes to show the result (setup)


# On a phone the sidebar covers the page: after a filter change, close it so the reader sees what changed.
# Streamlit has no call for this (initial_sidebar_state collapses on desktops but leaves a phone's open), so the
# page clicks the sidebar's own close button, only on narrow screens and only in the run after the change.
CLOSE_SIDEBAR_ON_PHONE = """<script>
if (window.matchMedia("(max-width: 640px)").matches) {
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close) close.click();
}
</script>"""


ALL = "all"  # the "no filter" choice (a selectbox shows None as an empty placeholder)


T = TypeVar("T")


def choice(
    key: str, options: Sequence[T], default: T, label: str, fmt: Callable[[T], str], *, keep_default: bool = False
) -> T | None:
    """A sidebar selectbox whose value lives in st.session_state[key] and in the URL's ?key=.

    The default is left out of the URL unless keep_default (for a default that depends on the data). Returns the
    chosen option, None for ALL.
    """
    if key not in st.session_state:  # first run of a session: the link decides
        wanted = st.query_params.get(key)
        st.session_state[key] = next((o for o in options if str(o) == wanted), default)
    if st.session_state[key] not in options:
        st.session_state[key] = default
    widget_key = f"_{key}_widget"
    st.session_state[widget_key] = st.session_state[key]  # re-seeded each run, so it survives page switches
    st.sidebar.selectbox(label, options, key=widget_key, format_func=fmt, on_change=_commit, args=(key, widget_key))
    value = st.session_state[key]
    if value == default and not keep_default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)
    return None if value == ALL else value
