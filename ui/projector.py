"""The Presenter page's slide in Streamlit: the slide itself, the next slide's chart drawn out of sight, and the
button that puts the browser in full screen. What a slide looks like (its figures, its stylesheet) is
presenter.screen's; this module only places it on the page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from presenter import markdown
from presenter.charts import alternative
from presenter.screen import escape, figure
from presenter.slides import Deck, Slide, describe

EMPTY = pd.DataFrame()  # no table: a slide's chart is described in a sentence


# The browser's own full screen (the Fullscreen API needs a click in the page itself, so a button of ours):
# entering it also switches the page's full-screen layout (the hidden toggle `presenter_fullscreen`), and leaving
# it with Esc switches the layout back. Streamlit's element keys (st-key-…) are the only hooks into its page.
FULLSCREEN_SCRIPT = """
<button type="button" id="presenter-fullscreen" class="presenter-fullscreen" title="{hint}"
  data-enter="{label}" data-leave="{leave}">{label}</button>
<script>
(() => {{
  const toggle = () => document.querySelector('.st-key-presenter_fullscreen input[type="checkbox"]');
  const button = document.getElementById("presenter-fullscreen");
  if (!button) return;
  button.onclick = async () => {{
    if (document.fullscreenElement) {{ await document.exitFullscreen(); return; }}
    try {{ await document.documentElement.requestFullscreen({{navigationUI: "hide"}}); }} catch (e) {{}}
    const t = toggle(); if (t && !t.checked) t.click();
  }};
  if (!window.__presenterFullscreen) {{
    window.__presenterFullscreen = true;
    document.addEventListener("fullscreenchange", () => {{
      const t = toggle(); if (!document.fullscreenElement && t && t.checked) t.click();
      const b = document.getElementById("presenter-fullscreen");
      if (b) b.textContent = document.fullscreenElement ? b.dataset.leave : b.dataset.enter;
    }});
  }}
  button.textContent = document.fullscreenElement ? button.dataset.leave : button.dataset.enter;
}})();
</script>
"""


def fullscreen_button(label: str, leave: str, hint: str) -> None:
    """The button that puts the browser itself in full screen with the slide filling it (it, or Esc, leaves)."""
    html = FULLSCREEN_SCRIPT.format(label=escape(label), leave=escape(leave), hint=escape(hint))
    st.html(html, unsafe_allow_javascript=True, width="content")


def preload(deck: Deck, slide: Slide | None, theme: str) -> None:
    """The next slide's chart, drawn out of sight, so the chart library has loaded before the slide is shown."""
    if slide is None or slide.chart is None:
        return
    with st.container(key="slide_preload"):
        st.plotly_chart(
            markdown.plotly_safe(figure(slide.chart, theme, deck.lang, height=200)),
            config={"displayModeBar": False, "staticPlot": True},
            key="slide_preload_chart",
        )


def draw(deck: Deck, slide: Slide, number: int, theme: str) -> None:
    """One slide in the Streamlit page: title and message, the figures as metrics on the left, the chart on the right."""
    with st.container(key="slide"):
        mark = f' <span class="slide-sample">{escape(deck.sample_mark)}</span>' if deck.sample else ""
        kicker = f'<div class="slide-kicker">{escape(deck.t("presenter.footer_town"))}{mark}</div>'
        if slide.key == "cover":
            st.markdown(
                f'{kicker}<h2 class="slide-cover">{escape(slide.title)}</h2>'
                f'<div class="slide-cover-message">{escape(slide.message)}</div>'
                f'<div class="slide-programmes">{escape(deck.t("presenter.cover.programmes"))}</div>',
                unsafe_allow_html=True,
            )
        else:
            st.markdown(
                f'{kicker}<h2 class="slide-title">{escape(slide.title)}</h2>'
                f'<div class="slide-message">{escape(slide.message)}</div>',
                unsafe_allow_html=True,
            )
            left, right = st.columns([1, 2.2], gap="large")
            with left:
                for fig in slide.figures:
                    st.metric(markdown.escape(fig.label), fig.text, help=fig.definition)
                    if fig.detail:
                        st.caption(markdown.escape(fig.detail))
            if slide.chart is not None:
                with right:
                    st.markdown(
                        f'<h3 class="slide-chart-title">{escape(slide.chart.title)}</h3>', unsafe_allow_html=True
                    )
                    st.plotly_chart(
                        markdown.plotly_safe(figure(slide.chart, theme, deck.lang)),
                        width="stretch",
                        config={"displayModeBar": False, "staticPlot": False},
                        key=f"slide_chart_{number}",
                    )
                    # a screen reader's version: the chart named by its title, its figures in a sentence (issue 19)
                    html = alternative(
                        f"slide_chart_{number}",
                        slide.chart.title,
                        EMPTY,
                        {},
                        deck.lang,
                        describe(slide.chart, deck.lang),
                    )
                    st.html(html, unsafe_allow_javascript=True)
            elif slide.line:  # a chart whose bars would all be the same: its one line
                with right:
                    st.markdown(f'<div class="slide-line">{escape(slide.line)}</div>', unsafe_allow_html=True)
        if slide.remarks:  # the notes (说明备注) that explain the slide's figures, one visible line each
            with st.container(key="slide_remarks"):
                for remark in slide.remarks:
                    st.caption(f":material/sticky_note_2: {markdown.escape(remark)}")
        with st.container(key="slide_footer"):
            st.caption(markdown.escape(deck.footer(slide)))
