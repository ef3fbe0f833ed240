"""Where the keyboard is: the focused element of a tab in the browser tests, and Tab pressed until it reaches one
(tests/e2e/test_accessibility.py, tests/e2e/test_keyboard.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import App


# The focused element: its name, and whether the browser draws a focus ring (an outline or a box shadow).
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    return {name: (el.getAttribute('aria-label') || el.innerText || el.value || '').trim().slice(0, 80), ring};
}"""


def tab_to(app: App, name: re.Pattern, presses: int = 120) -> dict:
    """Press Tab until the focused element's name matches; return it (with whether its focus is visible)."""
    seen = []
    for _ in range(presses):
        app.page.keyboard.press("Tab")
        focused = app.page.evaluate(FOCUSED)
        if focused and name.search(focused["name"]):
            return focused
        seen.append(focused and focused["name"])
    raise AssertionError(f"{name.pattern!r} not reached with Tab; focus went through {seen[:60]}")
