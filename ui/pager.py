"""A long table read a page at a time (the public ledger's entries, the residents' proposals): the page shown, kept in
the session under a name of the table's own, and the controls under the table — newest, previous, a page number to
jump to, next, oldest — with "rows x–y of z"."""

from __future__ import annotations

import streamlit as st

from i18n import numbers, t


def _state(name: str) -> str:
    """The session-state key of a table's page number (from 1): also its number input's key."""
    return f"{name}_page"


def restart(*names: str) -> None:
    """Each named table back to its first page (newest): the period changed."""
    for name in names:
        st.session_state[_state(name)] = 1


def _turn(name: str, step: int, pages: int) -> None:
    key = _state(name)
    st.session_state[key] = min(max(int(st.session_state.get(key) or 1) + step, 1), pages)


def page_number(name: str, rows: int, size: int) -> int:
    """The page of table `name` to show (from 1) of `rows` rows, `size` a page: the session's, kept within the pages
    there are (set before its widget is made, in the run that draws it)."""
    pages = max(1, -(-rows // size))
    key = _state(name)
    st.session_state[key] = min(max(int(st.session_state.get(key) or 1), 1), pages)
    return int(st.session_state[key])


def pager(name: str, number: int, rows: int, size: int, lang: str) -> None:
    """Under table `name` showing page `number` (page_number) of `rows` rows, `size` a page: "rows x–y of z" and
    buttons a thumb can reach with a page number to jump to (wrapping onto two lines on a phone); nothing when one
    page holds every row. Its widgets' keys: {name}_page (the number), {name}_first, _prev, _next, _last."""
    pages = max(1, -(-rows // size))
    if pages <= 1:
        return
    first = (number - 1) * size + 1
    st.caption(
        t(
            "pager.showing",
            lang,
            first=numbers.number(first),
            last=numbers.number(min(number * size, rows)),
            rows=numbers.number(rows),
        )
    )

    def button(which: str, step: int, icon: str, disabled: bool) -> None:
        st.button(
            t(f"pager.{which}", lang),
            key=f"{name}_{which}",
            on_click=_turn,
            args=(name, step, pages),
            disabled=disabled,
            icon=icon,
        )

    with st.container(horizontal=True, gap="small", vertical_alignment="bottom"):
        button("first", -pages, ":material/first_page:", number == 1)
        button("prev", -1, ":material/chevron_left:", number == 1)
        st.number_input(
            t("pager.number", lang, pages=numbers.number(pages)), 1, pages, step=1, key=_state(name), width=150
        )
        button("next", 1, ":material/chevron_right:", number == pages)
        button("last", pages, ":material/last_page:", number == pages)
