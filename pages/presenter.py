"""Presenter: the forum slides on a projector, frozen to an as-of date, with the take-away deck and the printed report."""

from datetime import date

import streamlit as st

import queries
from i18n import numbers
from presenter import deck as pptx
from presenter import report, screen, slides
from ui import projector, signin
from ui.page import setup

page = setup("presenter.title")
if page.empty_warehouse:
    page.empty("presenter.empty")
    st.stop()

latest = page.q(queries.default_year).iloc[0]["latest"]
fullscreen = st.session_state.get("presenter_fullscreen", False)

with st.container(key="presenter_settings"):
    st.caption(page.t("presenter.intro"))
    with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
        day = st.date_input(
            page.t("presenter.day"),
            value=latest,
            min_value=date(2000, 1, 1),
            max_value=latest,
            key="presenter_day",
            help=page.t("presenter.day_help"),
            format="YYYY-MM-DD",
            width=220,
        )
        theme = st.segmented_control(
            page.t("presenter.theme"),
            ["bright", "dark"],
            default="bright",
            required=True,
            format_func=lambda v: page.t(f"presenter.theme.{v}"),
            key="presenter_theme",
        )
        # Only signed-in staff may show names; for anyone else (a forum screen's visitor) they are always masked,
        # whatever the URL or the session's state holds: the switch is not drawn and its value not read.
        staff, mask = signin.names_shown(), True
        if staff:
            mask = st.toggle(
                page.t("presenter.mask"), value=True, key="presenter_mask", help=page.t("presenter.mask_help")
            )
    if not staff:
        st.caption(page.t("presenter.masked_public"))

deck = slides.build(lang=page.lang, day=day, mask=mask, run=page.q, community=page.community)
name = f"yanghang-{deck.year}-as-of-{deck.day.isoformat()}"
with st.container(key="presenter_downloads", horizontal=True):
    st.caption(
        page.t(
            "presenter.period",
            year=deck.year,
            date=numbers.day(deck.day, page.lang),
            latest=numbers.day(latest, page.lang),
        )
    )
    st.download_button(
        page.t("presenter.download_deck"),
        lambda: pptx.to_pptx(deck),
        file_name=f"{name}.pptx",
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        key="presenter_deck",
        on_click="ignore",
        icon=":material/slideshow:",
    )
    st.download_button(
        page.t("presenter.download_report"),
        lambda: report.to_html(deck),
        file_name=f"{name}.html",
        mime="text/html",
        key="presenter_report",
        on_click="ignore",
        icon=":material/print:",
    )

st.html(screen.stylesheet(theme, fullscreen))
count = len(deck.slides)
number = min(max(st.session_state.get("presenter_slide", 1), 1), count)


def go(to: int) -> None:
    st.session_state["presenter_slide"] = min(max(to, 1), count)


projector.draw(deck, deck.slides[number - 1], number, theme)
projector.preload(deck, deck.slides[number] if number < count else None, theme)
with st.container(key="slide_nav", horizontal=True, vertical_alignment="center", gap="medium"):
    st.button(
        page.t("presenter.prev"),
        key="presenter_prev",
        on_click=go,
        args=(number - 1,),
        disabled=number == 1,
        icon=":material/chevron_left:",
        shortcut="Left",
    )
    st.markdown(page.t("presenter.counter", i=number, n=count))
    st.button(
        page.t("presenter.next"),
        key="presenter_next",
        on_click=go,
        args=(number + 1,),
        disabled=number == count,
        icon=":material/chevron_right:",
        icon_position="right",
        shortcut="Right",
    )
    projector.fullscreen_button(
        page.t("presenter.fullscreen"), page.t("presenter.fullscreen_leave"), page.t("presenter.fullscreen_help")
    )
    st.toggle(page.t("presenter.fullscreen"), key="presenter_fullscreen")  # hidden: the layout the button switches
with st.container(key="presenter_clicker"):  # hidden: presentation clickers send PageDown / PageUp
    st.button(page.t("presenter.next"), key="presenter_page_down", on_click=go, args=(number + 1,), shortcut="PageDown")
    st.button(page.t("presenter.prev"), key="presenter_page_up", on_click=go, args=(number - 1,), shortcut="PageUp")
