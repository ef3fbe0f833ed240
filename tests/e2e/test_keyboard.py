"""Every action with the keyboard alone (issue 19, item 4): the sidebar's filters, a table's download, the presenter's
slides and full screen, undoing an import, and an approver signing in and publishing. No mouse: Tab and Shift+Tab to
move, Enter, Space and arrow keys to act. Each control reached must show where the keyboard is: its ring (outline,
box shadow or border, on a visible part of the control) differs from how it looks when the focus has moved on.

The analyst's import with the keyboard is in test_accessibility.py (both press Tab with tests/e2e/focus.py). Journeys that only
read share the module's server; undo and publish change the warehouse and start their own.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from focus import FOCUSED, tab_to
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from workbooks import workbook_bytes

import metrics as catalogue
from i18n import t

if TYPE_CHECKING:
    from conftest import App, Server


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The focused control's visible parts (not the hidden input a checkbox's box stands for), each with the properties a
# focus ring is drawn with, kept on the page to compare once the focus has left it. A background tint is not counted:
# Streamlit's own for a checkbox or a page link is about 1.1:1 against what is around it.
RING_PARTS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const root = el.closest('[data-testid="stSidebarNavLink"]') || el.closest('[data-testid="stElementContainer"]')
        || el.parentElement;
    const shown = part => {
        const box = part.getBoundingClientRect();
        if (box.width < 2 || box.height < 2 || !part.checkVisibility({opacityProperty: true, visibilityProperty: true}))
            return false;
        for (let up = part; up && up !== root.parentElement; up = up.parentElement) {  // not clipped to a pixel
            const r = up.getBoundingClientRect(), s = getComputedStyle(up);
            if ((r.width <= 1 || r.height <= 1) && s.overflow !== 'visible') return false;
        }
        return true;
    };
    const parts = [root, ...root.querySelectorAll('*')].filter(shown).slice(0, 500);
    const ring = part => {
        const s = getComputedStyle(part);
        const outline = s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0 ? 'none'
            : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
        return `outline: ${outline}; box-shadow: ${s.boxShadow}; border: ${s.borderTopWidth} ${s.borderTopColor} `
            + `${s.borderRightColor} ${s.borderBottomColor} ${s.borderLeftColor}`;
    };
    window.__focusRing = {el, root, parts, ring, focused: parts.map(ring)};
    return parts.length;
}"""
# Whether a transition of the control (a ring fading in or out) is still running.
MOVING = """() => { const k = window.__focusRing, root = k ? k.root : document.activeElement;
    return !!root && document.getAnimations().some(a => a.playState === 'running' && a.effect && a.effect.target
        && root.contains(a.effect.target)); }"""
# Once the focus has left the control and its transitions have ended: the parts whose ring changed.
CHANGED = f"""() => {{
    const k = window.__focusRing;
    if (document.activeElement === k.el || ({MOVING})()) return false;
    const changed = k.parts.map((p, i) => [p, k.focused[i], k.ring(p)]).filter(([, was, now]) => was !== now)
        .map(([p, was, now]) => `${{p.tagName.toLowerCase()}}.${{(p.dataset.testid || p.className || '').toString()
            .slice(0, 30)}} focused {{${{was}}}} unfocused {{${{now}}}}`);
    return changed.length ? changed : false;
}}"""


def focus_shown(app: App) -> list[str]:
    """How the focused control looks different from unfocused: measured focused, then after Shift+Tab, then Tab
    brings the focus back (the same control, checked). An empty list: nothing visible marks the focus."""
    app.page.wait_for_function(f"() => !({MOVING})()")
    assert app.page.evaluate(RING_PARTS), "nothing visible is focused"
    app.page.keyboard.press("Shift+Tab")
    try:
        changed = app.page.wait_for_function(CHANGED, timeout=5_000).json_value()
    except PlaywrightTimeout:
        changed = []
    app.page.keyboard.press("Tab")
    assert app.page.evaluate("() => document.activeElement === window.__focusRing.el"), (
        "Shift+Tab then Tab did not come back to the same control"
    )
    return changed


def named(text: str) -> re.Pattern:
    """A control's name: the text, alone or between its icons' names and its shortcut on lines of their own (a
    button's text: "Next\\n\\nchevron_right\\n→"); never a whole region that holds the text among others."""
    return re.compile(rf"^([a-z0-9_]+\n+)?{re.escape(text)}(\n+[^\s]{{1,24}})*$")


def reach(app: App, name: str | re.Pattern) -> dict:
    """Tab to the control named `name` (the whole name, or a pattern) and check that its focus is visible."""
    focused = tab_to(app, name if isinstance(name, re.Pattern) else named(name))
    assert focus_shown(app), f"{focused['name']!r} has no visible focus"
    return focused


def param(app: App, name: str) -> str | None:
    return app.page.evaluate("name => new URLSearchParams(location.search).get(name)", name)


def pick(app: App, label: str, query: str, typed: str | None = None, down: int = 0) -> str:
    """In the focused select box: open it from the keyboard and choose what `typed` finds, or the option `down`
    presses of ArrowDown below the one it opens on; wait for the run the choice causes (it writes ?query=)."""
    before = param(app, query)
    app.page.keyboard.press("ArrowDown")  # opens the list
    expect(app.page.get_by_role("listbox")).to_be_visible()
    if typed:
        app.page.keyboard.type(typed)
    for _ in range(down):
        app.page.keyboard.press("ArrowDown")
    app.page.keyboard.press("Enter")
    app.page.wait_for_function(
        "([name, before]) => new URLSearchParams(location.search).get(name) !== before", arg=[query, before]
    )
    app.settle()
    return app.page.get_by_role("combobox", name=label).input_value()


def test_filters_change_the_page_from_the_keyboard(app: App) -> None:
    app.open("", "lang=en")
    reach(app, t("filter.year", "en"))
    assert pick(app, t("filter.year", "en"), "year", typed=t("filter.all_years", "en")) == t("filter.all_years", "en")
    assert param(app, "year") == "all"
    expect(app.page.get_by_text(t("overview.all_years_note", "en"))).to_be_visible()  # the page now speaks of all years

    reach(app, t("filter.community", "en"))
    community = pick(app, t("filter.community", "en"), "community", down=1)
    assert community not in ("", t("filter.all_communities", "en")) and param(app, "community") == community
    expect(app.page.get_by_text(t("fund.community_note", "en", community=community))).to_be_visible()

    reach(app, "语言 / Language")
    assert pick(app, "语言 / Language", "lang", typed="中文") == "中文"
    expect(app.page.locator("h1").first).to_have_text(t("overview.title", "zh"))
    assert (param(app, "year"), param(app, "community")) == ("all", community)  # the other choices stand
    expect(app.page.get_by_text(t("overview.all_years_note", "zh"))).to_be_visible()
    assert app.errors() == []


def test_a_charts_table_downloads_from_the_keyboard(app: App) -> None:
    app.open("fund", "lang=en")
    app.wait_for_charts(at_least=1)
    reach(app, t("download.csv", "en"))  # the first table: the fund over time
    with app.page.expect_download() as download:
        app.page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv"), download.value.suggested_filename
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    header, months = rows[0], rows[1:]
    raised = header.index(t("export.col.raised_cum", "en"))
    assert len(months) >= 5 and max(float(r[raised]) for r in months) == 650_000, rows  # the town's published ¥650,000
    assert app.errors() == []


def test_a_tables_own_toolbar_shows_where_the_keyboard_is(app: App) -> None:
    """Streamlit's toolbar over a table (columns, download, search, full screen) is transparent until hovered; with
    the keyboard on one of its buttons it must show, ringed. (Saving from it opens the browser's own save dialog.)"""
    app.open("projects", "lang=en")
    reach(app, "Download as CSV")  # Streamlit's own words, in every language
    toolbar = app.page.locator('[data-testid="stElementToolbar"]:has(:focus)')
    expect(toolbar).to_have_css("opacity", "1")


def counter(app: App) -> str:
    return app.page.locator(".st-key-slide_nav").get_by_text(re.compile(r"^Slide \d+ / \d+$")).inner_text()


def test_presenter_slides_and_full_screen_from_the_keyboard(app: App) -> None:
    app.open("presenter", "lang=en")
    first = counter(app)
    count = int(first.split("/")[1])
    assert first == t("presenter.counter", "en", i=1, n=count) and count > 3

    def shows(number: int) -> None:
        expect(app.page.locator(".st-key-slide_nav")).to_contain_text(t("presenter.counter", "en", i=number, n=count))
        app.settle()

    reach(app, t("presenter.next", "en"))
    app.page.keyboard.press("Enter")
    shows(2)
    app.page.keyboard.press("Shift+Tab")  # the previous button sits just before the next one
    focused = app.page.evaluate(FOCUSED)
    assert focused and named(t("presenter.prev", "en")).search(focused["name"]), focused
    assert focus_shown(app), "the previous-slide button has no visible focus"
    app.page.keyboard.press("Enter")
    shows(1)
    for key, number in (("ArrowRight", 2), ("PageDown", 3), ("PageUp", 2), ("ArrowLeft", 1)):  # keys and clickers
        app.page.keyboard.press(key)
        shows(number)

    reach(app, t("presenter.theme.bright", "en"))  # the room's choice: one stop for Tab, arrows between its options
    app.page.keyboard.press("ArrowRight")
    focused = app.page.evaluate(FOCUSED)
    assert focused and focused["name"] == t("presenter.theme.dark", "en"), focused
    app.page.keyboard.press("Enter")  # the dark room: the rings must show there too
    expect(app.page.locator(".stApp")).to_have_css("background-color", "rgb(14, 23, 38)")
    app.settle()
    reach(app, t("presenter.next", "en"))

    sidebar = app.page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_be_visible()
    reach(app, t("presenter.fullscreen", "en"))
    app.page.keyboard.press("Enter")
    expect(sidebar).to_be_hidden()  # the slide alone fills the screen
    assert app.page.evaluate("() => !!document.fullscreenElement")
    app.settle()
    leave = app.page.locator("#presenter-fullscreen")
    expect(leave).to_have_text(t("presenter.fullscreen_leave", "en"))
    expect(leave).to_be_focused()  # still where the keyboard left it: Enter again leaves full screen
    app.page.keyboard.press("Enter")
    expect(sidebar).to_be_visible()
    assert not app.page.evaluate("() => !!document.fullscreenElement")
    app.settle()
    assert app.errors() == []


def fund_raised(app: App) -> str:
    return app.kpis()[catalogue.METRICS["fund_raised"].label("en")]


def test_an_import_is_undone_with_the_keyboard(donated: tuple[Server, str], tab: Callable[..., App]) -> None:
    server, batch = donated
    app = tab(server)
    app.open("", "lang=en")
    assert fund_raised(app) == "¥660,000"
    app.open("data", "lang=en")
    reach(app, re.compile(re.escape(t("data.undo.title", "en", batch=batch)) + "$"))
    app.page.keyboard.press("Enter")  # opens the expander
    button = app.page.get_by_role("button", name=t("data.undo.button", "en", batch=batch))
    expect(button).to_be_disabled()  # not reachable until confirmed: disabled buttons take no focus
    reach(app, t("data.undo.confirm", "en"))
    app.page.keyboard.press("Space")
    expect(app.page.get_by_role("checkbox", name=t("data.undo.confirm", "en"))).to_be_checked()
    expect(button).to_be_enabled()
    app.settle()
    reach(app, t("data.undo.button", "en", batch=batch))
    app.page.keyboard.press("Enter")
    expect(app.page.get_by_text(t("data.undone", "en", batch=batch))).to_be_visible()
    app.settle()
    assert app.errors() == []
    app.open("", "lang=en")
    assert fund_raised(app) == "¥650,000"  # the figures are back


def test_an_approver_signs_in_and_publishes_with_the_keyboard(
    own_server: Callable[..., Server], tab: Callable[..., App]
) -> None:
    from etl import accounts

    server = own_server()
    for name, role in {"ada": "admin", "ann": "analyst", "abe": "approver"}.items():
        accounts.add_user(name, role, f"{name}-secret-1", server.db.parent / "accounts.json")

    def sign_in(app: App, name: str) -> None:
        """On the sign-in form that stands in for the page: Tab to each box, type, Enter on the button."""
        reach(app, t("auth.name", "en"))
        app.page.keyboard.type(name)
        reach(app, t("auth.password", "en"))
        app.page.keyboard.type(f"{name}-secret-1")
        reach(app, t("auth.submit", "en"))
        app.page.keyboard.press("Enter")
        expect(app.page.get_by_role("heading", name=t("overview.title", "en"))).to_be_visible()
        app.settle()

    analyst = tab(server)  # the analyst's import (done with the keyboard in test_accessibility.py)
    analyst.open("", "lang=en")
    sign_in(analyst, "ann")
    analyst.go(t("nav.data", "en"))
    rows = [["捐赠编号", "捐赠日期", "金额(元)"], ["KB-PUB-1", "2023-12-30", "40000"]]
    analyst.page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "keyboard-pending.xlsx", "mimeType": XLSX, "buffer": workbook_bytes({"捐赠": rows})}]
    )
    expect(analyst.page.get_by_text("keyboard-pending.xlsx — ready to import")).to_be_visible()
    analyst.settle()
    analyst.page.get_by_role("button", name=t("data.import", "en", n=1)).click()
    expect(analyst.page.get_by_text(t("publish.awaiting", "en"))).to_be_visible()
    analyst.settle()

    approver = tab(server)
    approver.open("", "lang=en")
    sign_in(approver, "abe")
    assert fund_raised(approver) == "¥650,000"  # the published figures: the import awaits approval
    reach(approver, t("nav.review", "en"))
    approver.page.keyboard.press("Enter")
    expect(approver.page.locator("h1").first).to_have_text(t("review.title", "en"))
    approver.settle()
    publish = approver.page.get_by_role("button", name=t("publish.approve", "en"))
    expect(publish).to_be_disabled()
    reach(approver, t("publish.confirm", "en"))
    approver.page.keyboard.press("Space")
    expect(publish).to_be_enabled()
    approver.settle()
    reach(approver, t("publish.approve", "en"))
    approver.page.keyboard.press("Enter")
    expect(approver.page.get_by_text(re.compile(r"Published as v\d{6}\."))).to_be_visible()
    approver.settle()
    assert approver.errors() == [] and analyst.errors() == []
    reach(approver, t("nav.overview", "en"))
    approver.page.keyboard.press("Enter")
    expect(approver.page.locator("h1").first).to_have_text(t("overview.title", "en"))
    approver.settle()
    assert fund_raised(approver) == "¥690,000"  # published: what leaders see
