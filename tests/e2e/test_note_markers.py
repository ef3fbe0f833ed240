"""A note that explains a figure (说明备注) is drawn on its chart in the browser: a marker at its month whose hover
reads the note, on the chart of its metric only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbooks import workbook_bytes

if TYPE_CHECKING:
    from conftest import App, Server

NOTE = "No training in August: summer break"
HEADERS = ["备注编号", "日期", "结束日期", "指标", "社区", "备注内容", "英文备注"]


def test_a_notes_marker_is_drawn_on_its_chart(
    own_server: Callable[..., Server], tab: Callable[..., App], tmp_path: Path
) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_bytes(
        workbook_bytes(
            {"说明备注": [HEADERS, ["N1", "2023-08-01", "2023-08-31", "培训人次", None, "8月暑期停课", NOTE]]}
        )
    )
    app = tab(own_server(path))
    app.open("training", "year=2023&lang=en")
    app.wait_for_charts(at_least=4)
    # which chart holds the note's trace, and how many of its markers the browser drew
    drawn = app.page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
            const i = (gd.data || []).findIndex(tr => tr.meta === 'notes');
            const trace = i < 0 ? null : gd.querySelectorAll('.scatterlayer .trace')[
                gd._fullData.filter(tr => tr.type === 'scatter').findIndex(tr => tr.meta === 'notes')];
            return {notes: i < 0 ? null : gd.data[i].hovertext, points: trace ? trace.querySelectorAll('path.point').length : 0};
        }).filter(c => c.notes !== null)"""
    )
    assert drawn == [{"notes": [f"2023-08-01 – 2023-08-31: {NOTE}"], "points": 1}]
    # hover the marker as a reader would: the note's words appear
    marker = app.page.locator(".scatterlayer .trace path.point").last
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    assert box is not None
    app.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    shown = app.page.locator(".hoverlayer").get_by_text(NOTE, exact=False).first
    shown.wait_for(timeout=10_000)
    assert (shown.text_content() or "").endswith(NOTE)
    assert app.errors() == []
