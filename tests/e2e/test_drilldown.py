"""查看明细 at 1280 px in Chinese (issue 24, item 7): the rows behind every figure of the Overview show their key
columns without sideways scrolling, in business words (组团治理, 已完成), blanks for nothing and dates without a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import metrics
from etl import kinds

if TYPE_CHECKING:
    from conftest import App, Server


LAPTOP = {"width": 1280, "height": 900}
DRILL = '[data-testid="stExpander"]:has([data-testid="stSelectbox"])'
# each grid of the drill-down: how wide its columns are against the room it has (scrolling sideways when wider)
WIDTHS = f"""() => [...document.querySelectorAll('{DRILL} [data-testid="stDataFrame"]')].map(d => {{
    const s = d.querySelector('.dvn-scroller'); return s ? [s.scrollWidth, s.clientWidth] : [0, 0]; }})"""


def test_every_figures_rows_fit_a_laptop_in_chinese(tab: Callable[..., App], server: Server) -> None:
    app = tab(server, LAPTOP)
    app.open("", "lang=zh")
    app.page.locator('[data-testid="stExpander"] summary').filter(has_text="查看明细").click()
    box = app.page.locator(f"{DRILL} input")
    box.wait_for()
    app.settle()
    codes = {enum_code for choices in kinds.ENUMS.values() for enum_code in choices}
    for metric in metrics.shown():
        label = metric.label("zh")
        box.click()
        app.page.keyboard.type(label)
        app.page.get_by_role("option", name=label, exact=True).click()
        app.page.locator(DRILL).get_by_text(metric.explain("zh"), exact=True).wait_for()
        app.settle()
        grids = app.page.locator(f'{DRILL} [data-testid="stDataFrame"]')
        grids.first.wait_for()
        for scroll, room in app.page.evaluate(WIDTHS):
            assert scroll <= room + 1, f"{metric.code}: {scroll} px of columns in {room} px"
        for grid in grids.all():
            cells = {cell for row in app.table(grid) for cell in row}
            assert not cells & codes and not cells & {"None", "nan", "NaT", "true", "false"}, metric.code
            assert not [c for c in cells if "00:00:00" in c], metric.code
