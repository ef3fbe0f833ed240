"""The Presenter in a meeting room (1920 × 1080): the browser's own full screen shows only the slide, filling the
screen with its buttons below it; Esc gives the page back; a slide's chart is drawn when the slide shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


ROOM = {"width": 1920, "height": 1080}
LAYOUT = """() => {
    const box = sel => { const e = document.querySelector(sel); return e ? e.getBoundingClientRect() : null; };
    const sidebar = document.querySelector('[data-testid="stSidebar"]');
    return {
        fullscreen: !!document.fullscreenElement,
        sidebar: !!sidebar && getComputedStyle(sidebar).display !== 'none',
        slide: box('.st-key-slide'), nav: box('.st-key-slide_nav'),
        settings: !!document.querySelector('.st-key-presenter_settings') &&
                  document.querySelector('.st-key-presenter_settings').getBoundingClientRect().height > 0,
        height: window.innerHeight,
    };
}"""


def test_full_screen_shows_only_the_slide_filling_the_room_screen(tab: Callable[..., App], server: Server) -> None:
    app = tab(server, ROOM)
    app.open("presenter", "lang=zh")
    before = app.page.evaluate(LAYOUT)
    assert not before["fullscreen"] and before["sidebar"] and before["settings"]
    button = app.page.locator("#presenter-fullscreen")
    assert button.inner_text() == t("presenter.fullscreen", "zh")
    button.click()
    app.page.wait_for_function("() => !!document.fullscreenElement")
    app.page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=\"stSidebar\"]'); "
        "return !s || getComputedStyle(s).display === 'none'; }"
    )
    app.settle()
    app.snap("full screen")
    now = app.page.evaluate(LAYOUT)
    assert button.inner_text() == t("presenter.fullscreen_leave", "zh")
    assert now["fullscreen"] and not now["sidebar"] and not now["settings"]
    assert now["slide"]["height"] >= 0.8 * now["height"], now  # the slide fills the screen ...
    assert now["nav"]["top"] >= now["slide"]["bottom"] - 1, now  # ... with its buttons below it, not over it
    first = app.page.locator(".st-key-slide_nav").inner_text()
    count = next(n for n in range(1, 40) if t("presenter.counter", "zh", i=1, n=n) in first)  # the deck's slides
    app.page.keyboard.press("ArrowRight")  # the next slide: its chart is drawn when it shows
    counter = t("presenter.counter", "zh", i=2, n=count)
    app.page.wait_for_function("c => document.querySelector('.st-key-slide_nav').innerText.includes(c)", arg=counter)
    app.settle()
    charts = app.page.evaluate(
        "() => [...document.querySelectorAll('.st-key-slide [data-testid=\"stPlotlyChart\"]')]"
        ".map(el => !!el.querySelector('.main-svg'))"
    )
    assert charts == [True], charts
    app.page.evaluate("() => document.exitFullscreen()")  # what Esc does
    app.page.wait_for_function(
        "() => { const s = document.querySelector('[data-testid=\"stSidebar\"]'); "
        "return !document.fullscreenElement && s && getComputedStyle(s).display !== 'none'; }"
    )
    app.settle()
    assert app.page.evaluate(LAYOUT)["settings"]
