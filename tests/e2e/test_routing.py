"""A fresh server's first visitor arriving by a page's link gets that page inside the app's own navigation.

Until a session has run st.navigation, Streamlit 1.67 takes an app with a pages/ folder for a legacy multipage app:
a deep link runs the page script alone, under a sidebar of file names (app, audit, data, fund, …).
ui.routing.route_through_app sends that run back through app.py. This module's server is its own and fresh
(module-scoped), and its first request is the deep link.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from i18n import t

if TYPE_CHECKING:
    from conftest import App

NAV = (
    "overview",
    "projects",
    "voices",
    "training",
    "fund",
    "ledger",
    "proposals",
    "presenter",
    "data",
    "review",
    "audit",
)


def test_a_deep_link_on_a_fresh_server_shows_the_page_under_the_app_navigation(app: App) -> None:
    app.open("fund")
    assert urlparse(app.page.url).path == "/fund"
    assert app.page.locator("h1").first.inner_text() == t("fund.title", "en")
    assert app.errors() == []
    links = app.nav_links()
    assert list(links) == [t(f"nav.{name}", "en") for name in NAV]  # no file names, nothing twice
    assert [urlparse(href).path for href in links.values()] == ["/", *(f"/{name}" for name in NAV[1:])]
    sections = app.page.locator('[data-testid="stNavSectionHeader"]').all_inner_texts()
    assert [s.strip() for s in sections] == [t("nav.dashboard", "en"), t("nav.manage", "en")]
    app.go(t("nav.training", "en"))  # and the app's links lead on
    assert app.page.locator("h1").first.inner_text() == t("training.title", "en")


def test_the_first_page_loads_the_chart_and_table_code_for_the_next(app: App):
    """Once the overview is drawn and the tab idle, Streamlit's Plotly and data-grid modules are loaded at the very
    URLs Streamlit imports them from (the same module instances), before the reader opens a page with a chart."""
    loaded: list[str] = []
    app.page.on("requestfinished", lambda r: loaded.append(urlparse(r.url).path))
    app.open()
    app.page.wait_for_function("window.__dashboardPreloaded === true", timeout=60_000)
    app.page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /PlotlyChart\\.[^/]*\\.js$/.test(e.name))",
        timeout=60_000,
    )
    entry = app.page.evaluate("document.querySelector('script[type=module][src*=\"/static/js/index.\"]').src")
    folder = urlparse(entry).path.rsplit("/", 1)[0]
    plotly = [p for p in loaded if "/PlotlyChart." in p]
    assert plotly and all(p.rsplit("/", 1)[0] == folder for p in plotly)


def test_plotly_draws_its_first_charts_out_of_sight_and_leaves_nothing_behind(app: App):
    """Plotly's first chart in a tab costs several times its next: once the chart code is loaded, the first page
    has Plotly draw one chart of each kind the pages draw off screen, then removes it. The reader sees nothing: no
    chart on the overview, nothing left in the page, and the next page's charts are drawn as ever."""
    app.open()
    app.page.wait_for_function("window.__dashboardRehearsed === true", timeout=60_000)
    left = app.page.evaluate(
        "[document.querySelectorAll('.js-plotly-plot, [aria-hidden=true][style*=\"-10000px\"]').length,"
        " document.querySelectorAll('[data-testid=stPlotlyChart]').length]"
    )
    assert left == [0, 0]
    app.go(t("nav.fund", "en"))
    app.page.wait_for_function("document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length > 0")
    assert app.errors() == []


# each chart on the page once Streamlit has drawn it at its frame's width (until then Plotly's box is hidden): its
# size, the margins Plotly drew it with, and whether they could still grow (margin.autoexpand)
DRAWN = """() => {
    const plots = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')];
    if (!plots.length || plots.some(g => !g._fullLayout || !g._fullLayout._size || g.style.visibility === 'hidden'))
        return null;
    return plots.map(g => { const f = g._fullLayout, s = f._size;
        return [f.width, f.height, s.l, s.r, s.t, s.b, s.w, s.h, f.margin.autoexpand]; });
}"""


def _drawn(app: App, count: int, narrower_than: int = 10_000) -> list[list]:
    """DRAWN, waited for: `count` charts, each drawn at its frame's width (narrower than `narrower_than`)."""
    app.settle()
    handle = app.page.wait_for_function(
        f"([count, most]) => {{ const d = ({DRAWN})(); return d && d.length === count && d.every(c => c[0] < most)"
        " && d; }",
        arg=[count, narrower_than],
    )
    return handle.json_value()


def _fund_twice(app: App, watch: str = "") -> tuple[list[list], list[list]]:
    """Fund's 5 charts drawn (DRAWN) on a first visit in a new tab, then on a visit back after the overview; `watch`
    (a script) runs in the tab once the preload has wrapped Plotly, before the first visit."""
    app.open()
    app.page.wait_for_function("!!(window.Plotly && window.Plotly.__dashboardSettles)", timeout=60_000)
    if watch:
        app.page.evaluate(watch)
    app.go(t("nav.fund", "en"))
    first = _drawn(app, 5)
    app.go(t("nav.overview", "en"))
    app.go(t("nav.fund", "en"))
    return first, _drawn(app, 5)


def test_a_chart_drawn_again_in_the_tab_is_given_the_margins_it_settled_on(app: App):
    """Plotly draws a chart with automatic margins twice: once to measure its labels, again at margins that fit
    them. A figure the tab has drawn at the same size before is given those margins up front (drawn once): its
    plot area is exactly as before. A zoom gives the margins back to Plotly (new labels may want more room)."""
    first, again = _fund_twice(app)
    assert all(chart[-1] is True for chart in first)  # Plotly's own margins on a first drawing
    assert [chart[:-1] for chart in again] == [chart[:-1] for chart in first]
    assert [chart[-1] for chart in again] == [False] * 5  # given, and not grown
    assert app.page.evaluate("window.Plotly.__dashboardSettles.given") == 5
    app.page.evaluate(
        """() => window.Plotly.relayout(document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot'),
            {'yaxis.range': [0, 1]})"""
    )
    app.page.wait_for_function(
        "document.querySelector('[data-testid=stPlotlyChart] .js-plotly-plot')._fullLayout.margin.autoexpand === true"
    )
    assert app.errors() == []


def test_a_chart_drawn_at_a_new_width_starts_from_its_own_margins(app: App, tab, server):
    """Margins remembered for one width never stay on at another: a window made narrow draws the charts as a tab
    opened at that width does."""
    _, again = _fund_twice(app)
    assert [chart[-1] for chart in again] == [False] * 5  # drawn with remembered margins
    app.page.set_viewport_size({"width": 390, "height": 844})
    narrowed = _drawn(app, 5, narrower_than=390)
    phone = tab(server, {"width": 390, "height": 844})
    phone.open("fund")
    assert narrowed == _drawn(phone, 5, narrower_than=390)


# Plotly.react counted, around the preload's: each call's chart on the page (numbered as first met) and whether
# Plotly drew it (a drawing gives the chart a new _fullLayout)
COUNTED = """() => {
    const react = window.Plotly.react, numbers = new WeakMap();
    let next = 0;
    window.__reacts = [];
    window.Plotly.react = function (chart, ...rest) {
        if (!chart.closest('[data-testid=stPlotlyChart]')) return react.call(this, chart, ...rest);  // the rehearsal
        if (!numbers.has(chart)) numbers.set(chart, next++);
        const call = {chart: numbers.get(chart), drawn: null}, before = chart._fullLayout;
        window.__handed = [chart, rest[0]];  // the last chart and figure Streamlit handed over
        window.__reacts.push(call);
        window.__lastReact = performance.now();
        const out = react.call(this, chart, ...rest);
        Promise.resolve(out).then(() => {
            call.drawn = chart._fullLayout !== before;
            window.__lastReact = performance.now();
        });
        return out;
    };
}"""


def _reacts(app: App) -> dict[int, tuple[int, int]]:
    """Once Plotly has had no call for a second: each chart's calls and drawings since the last look."""
    app.page.wait_for_function(
        "() => window.__reacts.every(c => c.drawn !== null) && performance.now() - (window.__lastReact || 0) > 1000"
    )
    calls = app.page.evaluate("() => window.__reacts.splice(0)")
    return {
        chart: (sum(c["chart"] == chart for c in calls), sum(c["chart"] == chart and c["drawn"] for c in calls))
        for chart in {c["chart"] for c in calls}
    }


def test_a_chart_handed_over_again_unchanged_is_drawn_once(app: App):
    """Once a chart is drawn, Streamlit hands it to Plotly again, twice, copied (its theme applied again, then the
    figure Plotly reports back): the same picture each time. Each chart of a visit is drawn once, first visit or
    not, at the same size and margins as without this; a figure that changes is drawn."""
    first, again = _fund_twice(app, COUNTED)
    visits = _reacts(app)  # charts 0-4 on the first visit, 5-9 on the second
    assert sorted(visits) == list(range(10)), visits
    assert all(drawings == 1 for _, drawings in visits.values()), visits
    assert all(calls >= 2 for calls, _ in visits.values()), visits  # handed over again, and held
    assert [chart[:-1] for chart in again] == [chart[:-1] for chart in first]
    assert app.page.evaluate("window.Plotly.__dashboardSettles.held") >= 10

    # the last figure handed over, copied: held; with one value changed, or at another height: drawn
    hand_over = """async (change) => {
        const [chart, figure] = window.__handed, before = chart._fullLayout;
        const copy = JSON.parse(JSON.stringify({data: figure.data, layout: figure.layout}));
        if (change === 'value') copy.data[0].name = 'changed';
        if (change === 'height') copy.layout.height += 40;
        await window.Plotly.react(chart, {...figure, ...copy});
        return [chart._fullLayout !== before, chart._fullLayout.height, chart.data[0].name];
    }"""
    drawn, height, name = app.page.evaluate(hand_over, None)
    assert drawn is False and name != "changed"
    assert app.page.evaluate(hand_over, "value") == [True, height, "changed"]
    assert app.page.evaluate(hand_over, "height") == [True, height + 40, "changed"]
    _reacts(app)

    # all years instead of the latest: new charts with other figures, drawn
    content = "() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')].map(g => g.data)"
    before = app.page.evaluate(content)
    app.page.get_by_test_id("stSidebar").get_by_role("combobox", name=t("filter.year", "en")).click()
    app.page.get_by_role("option").filter(has_text=re.compile(rf"^{t('filter.all_years', 'en')}$")).click()
    app.page.wait_for_function("() => new URLSearchParams(location.search).get('year') === 'all'")
    app.settle()
    _drawn(app, 5)
    assert [drawings > 0 for _, drawings in _reacts(app).values()] == [True] * 5
    assert app.page.evaluate(content) != before
    assert app.errors() == []
