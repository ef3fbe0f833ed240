"""A leader on a phone (390 px): after choosing a filter in the sidebar, the sidebar closes and the page shows the
result; on a desktop the sidebar stays where it is."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from conftest import DESKTOP, PHONE

if TYPE_CHECKING:
    from conftest import App, Server


SIDEBAR_OPEN = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
    return !!s && s.getBoundingClientRect().width > 0 && s.getBoundingClientRect().right > 0; }"""


def choose_year(app: App, year: str) -> None:
    boxes = app.page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]')  # language, year, community
    boxes.nth(1).locator("input").click()
    app.page.keyboard.type(year)  # as a user types into the box: robust when a rerun redraws the open menu
    app.page.get_by_role("option", name=year).wait_for()
    app.page.keyboard.press("Enter")
    app.page.wait_for_url(lambda url: f"year={year}" in url)
    app.settle()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_sidebar_closes_on_a_phone_after_a_filter_change(
    tab: Callable[..., App], server: Server, viewport: dict
) -> None:
    app = tab(server, viewport)
    app.open("", "lang=zh")
    if viewport is PHONE:
        assert not app.page.evaluate(SIDEBAR_OPEN)  # a phone opens on the page, not the sidebar
        app.page.locator('[data-testid="stExpandSidebarButton"]').click()
        app.page.wait_for_function(SIDEBAR_OPEN)
    choose_year(app, "2024")
    if viewport is PHONE:
        app.page.wait_for_function(f"() => !({SIDEBAR_OPEN})()")
    else:
        assert app.page.evaluate(SIDEBAR_OPEN)  # a desktop keeps its sidebar
    assert "2024" in app.main_text()
