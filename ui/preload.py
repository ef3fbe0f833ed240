"""The browser's first visit to a page of charts or tables, made ready while the reader looks at the first page.

Streamlit loads the code of an element the first time a page shows one: Plotly's (4.7 MB) on the first page with a
chart, the data grid's and Arrow's (1.3 MB) on the first with a table, a radio's and a text box's on the first with
one. On a shared 2-core machine that took 2 s of the first visit to Projects, in the browser alone (bench/RESULTS.md,
issue 27). Once the first page is drawn and the browser is idle, this imports the same modules (the same URLs as
Streamlit's own imports, so the same module instances: Streamlit's later import finds them done) and links the data
grid's style sheet. Then, as Plotly's first chart in a tab costs far more than its next (its code not yet compiled,
its one-time set-up), Plotly draws one chart of each kind the pages draw out of sight (hidden from screen readers),
and it is removed: Projects' first visit 0.03-0.17 s sooner from round to round, Fund's and Training's within the
spread (bench/RESULTS.md, sixth pass). And Streamlit's charts are drawn once where they were drawn two to four
times: at their frame's width from the start, and, for a figure the tab has drawn at that size before, at the
margins Plotly settled on then (Fund's warm visit 0.75-0.80 -> 0.68-0.69 s, seventh pass); a chart Streamlit hands
over again unchanged (twice after each drawing, copied) is not drawn again (eighth pass). Only the dashboard's
pages ask for it; the public pages (a phone, the ledger and the proposals: tables, no charts) do not.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import streamlit as st

from presenter.charts import CHART_TEXT_SIZE, PLOTLY_CONFIG

# Streamlit's lazily loaded element modules worth having before the reader asks: charts, then tables, then the
# widgets the dashboard's pages have and the Overview has not (a radio, a search box: Projects, Fund, Voices); each
# fetched on first use is a round trip and a second render while the page is drawn
MODULES = ("PlotlyChart", "DataFrame", "arrowFormatUtils", "Radio", "TextInput")


@functools.cache
def _bundled(kind: str) -> tuple[str, ...]:
    """The file names of MODULES' `kind` files (js, css) in the installed Streamlit's bundle (their hashes change
    with each release)."""
    folder = Path(st.__file__).parent / "static" / "static" / kind
    return tuple(p.name for name in MODULES for p in sorted(folder.glob(f"{name}.*.{kind}")))


def chunks() -> tuple[str, ...]:
    """MODULES' code."""
    return _bundled("js")


def styles() -> tuple[str, ...]:
    """MODULES' style sheets (the data grid's): Streamlit's own loader waits for a module's sheet before it draws the
    element, unless the page already links it (the same URL)."""
    return _bundled("css")


def script() -> str:
    """Import chunks() and link styles() once per browser tab, resolved against Streamlit's own entry module, when
    the tab is idle."""
    return f"""<script>
(() => {{
  if (window.__dashboardPreloaded) return;
  const entry = document.querySelector('script[type="module"][src*="/static/js/index."]');
  if (!entry) return;
  window.__dashboardPreloaded = true;
  const idle = (f) => (window.requestIdleCallback || ((g) => setTimeout(g, 1)))(f, {{timeout: 2000}});
  const load = () => {{
    const loaded = {json.dumps(list(chunks()))}.map((name) => import(new URL(name, entry.src).href).catch(() => {{}}));
    Promise.all(loaded).then(() => {{ settle(); idle(rehearse); }});
    {json.dumps(list(styles()))}.forEach((name) => {{
      const href = new URL("../css/" + name, entry.src).href;  // once: a table drawn already has Streamlit link it
      if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href)) return;
      document.head.appendChild(Object.assign(document.createElement("link"), {{rel: "stylesheet", href}}));
    }});
  }};
  // Plotly's first chart in a tab costs far more than its next ones (its code not yet compiled, its one-time
  // set-up): one chart of each kind the pages draw (their text size and toolbar: presenter.charts), drawn out of
  // sight and removed, so that it is not the reader's
  const rehearse = () => {{
    const plotly = window.Plotly;  // set by Plotly's module once imported
    if (!plotly || !plotly.newPlot) return;
    const box = document.createElement("div");
    box.setAttribute("aria-hidden", "true");
    box.style.cssText = "position:fixed;left:-10000px;top:0;width:900px;height:380px;pointer-events:none";
    document.body.appendChild(box);
    const names = ["一", "二", "三", "四"], values = [3, 1, 4, 1];
    const data = [
      {{type: "bar", x: names, y: values, text: values, texttemplate: "%{{text}}", name: "a"}},
      {{type: "bar", orientation: "h", x: values, y: names, name: "b", xaxis: "x2", yaxis: "y2"}},
      {{type: "scatter", mode: "lines+markers", x: names, y: values, name: "c"}},
    ];
    const axis = {{automargin: true, ticklabeloverflow: "allow"}};  // as presenter.charts.legible leaves them
    const layout = {{
      font: {{size: {CHART_TEXT_SIZE}}}, height: 380, margin: {{l: 8, r: 8, t: 16, b: 36}}, barmode: "group",
      legend: {{orientation: "h", yref: "container", y: 0, yanchor: "bottom", x: 0}},
      xaxis: {{...axis, domain: [0, 0.45]}}, yaxis: {{...axis, title: {{text: "万"}}}},
      xaxis2: {{...axis, domain: [0.55, 1], anchor: "y2"}}, yaxis2: {{...axis, anchor: "x2"}},
    }};
    plotly.newPlot(box, data, layout, {json.dumps({**PLOTLY_CONFIG, "responsive": False})})
      .then(() => plotly.react(box, data, {{...layout, height: 360}}))
      .then(() => (window.__dashboardRehearsed = true))
      .catch(() => {{}})
      .finally(() => {{ try {{ plotly.purge(box); }} catch (e) {{}} box.remove(); }});
  }};
  // Streamlit draws each chart twice: first before it has measured the chart's frame (no width: Plotly sizes it
  // itself, out of sight), then at the frame's width; and Plotly draws a chart again once it has measured its labels
  // and grown its margins to fit them (automatic margins). So Streamlit's charts are given the frame's width from
  // the first drawing, and a figure this tab has drawn at that size before is given the margins Plotly settled on
  // then, as they are (autoexpand off; on again once the reader zooms): a chart is drawn once, as it was drawn
  // before. The figure's own margins ride along (margin._own: Plotly ignores names that begin with _) and are where
  // another size starts from. A figure is known by its content as Streamlit hands it over (kept against its data
  // array: Plotly writes into the figure as it draws). And once a chart is drawn, Streamlit hands it over again, a
  // copy (its theme applied again, then the figure Plotly reports back): two more drawings of the same picture. A
  // figure equal to the one Plotly holds for that chart (data, layout at the same width and own margins, the same
  // config) is not drawn again.
  const settle = () => {{
    const plotly = window.Plotly;
    if (!plotly || !plotly.react || plotly.__dashboardSettles) return;
    const react = plotly.react, settled = new Map(), contents = new WeakMap(), last = new WeakMap();
    const stats = {{given: 0, held: 0}};
    const SIDES = ["l", "r", "t", "b"];
    const digest = (text) => {{
      let h = 2166136261;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
      return (h >>> 0).toString(36) + "." + text.length;
    }};
    const fitted = (chart, figure) => {{
      const layout = figure && figure.layout, data = figure && figure.data;
      const frame = layout && Array.isArray(data) && chart && chart.closest
        && chart.closest('[data-testid="stPlotlyChart"]') && chart.closest('[data-testid="stFullScreenFrame"]');
      if (!frame) return null;
      const own = (layout.margin && layout.margin._own) || layout.margin || {{}};
      const width = layout.width ?? Math.max(frame.getBoundingClientRect().width, 150);  // as Streamlit sizes it
      const before = last.get(chart), held = chart.layout, text = JSON.stringify;
      if (before && before.config === figure.config && chart._fullLayout && held && Array.isArray(chart.data)
          && held.width === width && !(figure.frames && figure.frames.length)) {{
        // what Plotly holds for this chart, as it holds it (its margins: the ones given or settled)
        const margin = held.margin || {{}};
        if (text(own) === text(margin._own || margin) && text({{...layout, width, margin}}) === text(held)
            && text(data) === text(chart.data)) return {{held: true}};
      }}
      if (!contents.has(data)) {{
        contents.set(data, digest(text([data, {{...layout, width: null, height: null, margin: own}}])));
      }}
      const key = contents.get(data) + "@" + width + "x" + layout.height, known = settled.get(key);
      let margin = own;
      if (before && before.key === key) margin = before.margin;
      else if (known && before && before.margin._own && SIDES.every((side) => before.margin[side] === known[side])) {{
        margin = before.margin;  // the same margins, drawn already
      }} else if (known) {{
        margin = {{...own, ...known, autoexpand: false, _own: own}};
        stats.given++;
      }}
      last.set(chart, {{key, margin, config: figure.config}});
      const same = width === layout.width && margin === layout.margin;
      return {{key, width, margin, figure: same ? figure : {{...figure, layout: {{...layout, width, margin}}}}}};
    }};
    plotly.react = function (chart, figure, ...rest) {{
      let fit = null;
      try {{ fit = fitted(chart, figure); }} catch (e) {{ fit = null; }}
      if (fit && fit.held) {{ stats.held++; return Promise.resolve(chart); }}
      const drawn = react.call(this, chart, fit ? fit.figure : figure, ...rest);
      if (fit) Promise.resolve(drawn).then(() => {{
        if (fit.margin._own && !chart.__dashboardZooms && chart.on) {{  // a zoom's labels may want other margins
          chart.__dashboardZooms = true;
          chart.on("plotly_relayout", (change) => {{
            const margin = chart.layout && chart.layout.margin;
            if (!margin || !margin._own || margin.autoexpand !== false) return;
            if (Object.keys(change || {{}}).some((name) => name.startsWith("margin"))) return;
            plotly.relayout(chart, {{"margin.autoexpand": margin._own.autoexpand ?? true}});
          }});
        }}
        const full = chart._fullLayout, size = full && full._size;
        if (settled.has(fit.key) || !size || full.width !== fit.width) return;
        if (!SIDES.every((side) => Number.isInteger(size[side]))) return;
        if (settled.size >= 500) settled.clear();
        settled.set(fit.key, {{l: size.l, r: size.r, t: size.t, b: size.b}});
      }}, () => {{}});
      return drawn;
    }};
    plotly.__dashboardSettles = stats;
  }};
  setTimeout(() => idle(load), 300);
}})();
</script>"""


def preload() -> None:
    """Ask the browser to load the chart and table code in the background (nothing is drawn)."""
    if chunks():
        st.html(script(), unsafe_allow_javascript=True)
