"""A reader of Chinese sees Chinese: every message in the zh catalogue, and every page rendered in Chinese (its
titles, tiles, tables, buttons and charts), holds no English words beyond an allow-list of names that are the
same in both languages (file formats, units, keys, product names).

A code that leaks ("completed", "in_progress", "count"), an untranslated label or an English chart axis fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from english import english_words
from streamlit.testing.v1 import AppTest

from i18n import zh

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "overview",
    "projects",
    "voices",
    "training",
    "fund",
    "presenter",
    "data",
    "review",
    "audit",
    "ledger",
    "proposals",
)


def test_the_check_finds_english():
    assert english_words("状态：in_progress") == {"in", "progress"}
    assert english_words("count of 项目") == {"count", "of"}
    assert not english_words(":green[:material/check_circle:] 通过 <div class='x'>好</div> [说明](https://example.org)")
    assert not english_words("请上传 .xlsx 文件（Excel 或 WPS），批次 B00012，用 `python -m etl load` 导入")


# Messages that quote an English word on purpose, as an example of what may be typed.
EXAMPLES = {"template.rule.4": {"completed"}}


def test_every_chinese_message_is_chinese():
    leaks = {key: sorted(english_words(text) - EXAMPLES.get(key, set())) for key, text in zh.TEXT.items()}
    assert {k: v for k, v in leaks.items() if v} == {}


# --- the pages


@pytest.fixture
def chinese_sample(sample_app, app_env):
    """The app on a copy of the sample warehouse (tests/conftest.py's sample_app), read in Chinese."""
    app_env.setenv("DASHBOARD_LANG", "zh")
    return sample_app


def _chart_texts(spec: dict) -> list[str]:
    """What a reader of a Plotly chart reads: titles, axis titles, trace names, categories, texts and hovers."""
    texts: list[str] = []
    layout = spec.get("layout", {})

    def title(node: object) -> None:
        if isinstance(node, dict):
            text = node.get("text") if isinstance(node.get("text"), str) else None
            texts.extend([text] if text else [])
        elif isinstance(node, str):
            texts.append(node)

    title(layout.get("title"))
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            title(axis.get("title"))
            texts.extend(str(v) for v in axis.get("ticktext", []) or [])
    title(layout.get("legend", {}).get("title"))
    texts.extend(str(a.get("text", "")) for a in layout.get("annotations", []) or [])
    for trace in spec.get("data", []):
        for key in ("name", "text", "hovertext", "labels", "x", "y", "ids"):
            value = trace.get(key)
            values = value if isinstance(value, list) else [value]
            texts.extend(v for v in values if isinstance(v, str))
        hover = trace.get("hovertemplate")
        if isinstance(hover, str):
            texts.append(re.sub(r"%\{[^}]*\}|<[^>]+>", " ", hover))
        node = trace.get("node", {})
        texts.extend(v for v in node.get("label", []) or [] if isinstance(v, str))
    return texts


def page_texts(at: AppTest) -> list[str]:
    """Every text the page shows a reader (not the values of the data's own names, which are Chinese anyway)."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        texts.extend(str(e.value) for e in at.get(kind))
    for m in at.metric:
        texts.extend([m.label, str(m.value), str(m.delta or "")])
    for kind in ("button", "checkbox", "toggle", "text_input", "date_input", "number_input", "file_uploader"):
        texts.extend(str(e.label) for e in at.get(kind))
    for kind in ("selectbox", "radio", "multiselect", "select_slider"):
        for e in at.get(kind):
            texts.append(str(e.label))
            texts.extend(str(o) for o in e.options)  # AppTest holds the options as shown
    texts.extend(e.label for e in at.expander)
    texts.extend(e.label for e in at.tabs)
    for frame in at.dataframe:
        texts.extend(str(c) for c in frame.value.columns)
    for chart in at.get("plotly_chart"):
        texts.extend(_chart_texts(json.loads(chart.proto.spec)))
    return texts


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_chinese_is_chinese(chinese_sample, page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    texts = page_texts(at)
    assert len(texts) > 5, "the page showed nothing to check"
    leaks = {text[:120]: sorted(english_words(text)) for text in texts}
    assert {k: v for k, v in leaks.items() if v} == {}
