"""Text from spreadsheets and uploads shown through Streamlit's Markdown, as literal text (no Streamlit here).

Labels, captions, alerts, expanders and st.markdown all render Markdown: a project named
`[Session expired](https://evil.example/login) ![x](https://evil.example/b.png)` would become a link and a
tracking image for every viewer. Everything a user typed goes through `escape` (or `t` here) on its way in.
"""

from __future__ import annotations

import re

from i18n import t as _t

# CommonMark lets a backslash escape any ASCII punctuation mark. Escaping all of them stops links, images,
# emphasis, raw HTML, tables, LaTeX ($), Streamlit's :colour[…] and :icon: directives, and autolinked URLs
# (https\://… and www\.… no longer match).
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def escape(value: object) -> str:
    """`value` as text that Markdown shows literally, on one line."""
    text = " ".join(str(value).split())  # a line break could start a heading, a list or a new HTML block
    return _PUNCTUATION.sub(r"\\\1", text)


def t(key: str, lang: str, /, **params: object) -> str:
    """The catalogue's text for `key` (its own Markdown kept) with every string parameter escaped."""
    return _t(key, lang, **{k: escape(v) if isinstance(v, str) else v for k, v in params.items()})


def unescape(text: str) -> str:
    """What a reader sees of `escape`d text (for tests and plain-text copies)."""
    return re.sub(r"""\\([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""", r"\1", text)


# Plotly draws text (tick labels, legends, hover labels, bar texts, Sankey nodes) through its own pseudo-HTML:
# `<a href="https://…">` in a project's theme would become a link on the chart. Text from the data is escaped as
# entities, which Plotly turns back into the characters it shows.
_PLOTLY_TEXT = ("x", "y", "labels", "text", "hovertext", "ids", "customdata", "name", "parents")


def plotly_text(value: object) -> object:
    """A string as Plotly shows it literally (other values, and containers of them, recursively as they are)."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, list | tuple):
        return type(value)(plotly_text(v) for v in value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(getattr(value, "dtype", None), "kind", "") in ("O", "U", "T"):  # numpy/pandas text
        return [plotly_text(v) for v in tolist()]
    return value


def plotly_safe(fig):
    """`fig` with every text of its traces escaped for Plotly's pseudo-HTML (returns the same figure)."""
    for trace in fig.data:
        for attr in _PLOTLY_TEXT:
            value = getattr(trace, attr, None) if attr in trace else None
            if value is not None:
                trace[attr] = plotly_text(value)
        if "node" in trace and trace["node"].label is not None:  # a Sankey's node names
            trace["node"].label = plotly_text(trace["node"].label)
    return fig
