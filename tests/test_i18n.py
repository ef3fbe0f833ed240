"""Chinese and English throughout: the catalogues agree, every page shows text (never a raw key) in both languages."""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path

import openpyxl
import pytest
from visitors import chart_labels, open_page, shown_text

import declared
from etl import kinds
from etl.sample import NAMES
from etl.template import write_template
from i18n import CATALOGUES, numbers, t

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))
KEYS = set(CATALOGUES["en"]) | set(CATALOGUES["zh"])
KEY_LIKE = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Stored enumeration codes that must never reach a Chinese reader untranslated.
CODES = {code for enum in kinds.ENUMS.values() for code in enum if "_" in code or len(code) > 5}
SAMPLE_NAMES = declared.Names(**NAMES)  # what the sample declares (the ledger's title names its fund)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_both_languages():
    en, zh = set(CATALOGUES["en"]), set(CATALOGUES["zh"])
    assert sorted(en - zh) == [], "keys missing in zh"
    assert sorted(zh - en) == [], "keys missing in en"


def test_placeholders_are_the_same_in_both_languages():
    differ = {
        key: (placeholders(CATALOGUES["en"][key]), placeholders(CATALOGUES["zh"][key]))
        for key in CATALOGUES["en"].keys() & CATALOGUES["zh"].keys()
        if placeholders(CATALOGUES["en"][key]) != placeholders(CATALOGUES["zh"][key])
    }
    assert differ == {}


def test_chinese_catalogue_is_chinese():
    """A zh text with English words and no Chinese was left untranslated (units and '{a} / {b}' are fine)."""

    def words(text: str) -> list[str]:
        return re.findall(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}|`[^`]*`", "", text))

    untranslated = [k for k, v in CATALOGUES["zh"].items() if not CJK.search(v) and len(words(v)) > 1]
    assert untranslated == ["data.template.file_en"]  # the English template's file name
    assert [k for k, v in CATALOGUES["zh"].items() if not v.strip()] == []


def test_dates_in_the_readers_convention():
    assert numbers.day(dt.date(2024, 1, 31), "zh") == "2024年1月31日"
    assert numbers.day(dt.date(2024, 1, 31), "en") == "2024-01-31"
    assert numbers.day(None, "zh") == "—"


def test_template_headers_are_chinese_in_zh(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "zh.xlsx", "zh"))
    sheets = {ws.title: [c.value for c in next(ws.iter_rows(max_row=1))] for ws in book.worksheets[1:]}
    assert sheets["项目"][:3] == ["项目编号*", "项目名称*", "项目类型*"]
    assert sheets["社工名册"][:4] == ["人员编号*", "姓名*", "社区*", "岗位*"]
    assert all(CJK.search(h) for headers in sheets.values() for h in headers if h)
    assert all(CJK.search(title) for title in sheets)
    english = openpyxl.load_workbook(write_template(tmp_path / "en.xlsx", "en"))
    assert not any(CJK.search(str(c.value)) for ws in english.worksheets[1:] for c in next(ws.iter_rows(max_row=1)))


# --- every page, both languages


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_text_not_keys(sample_app, page, lang):
    at = open_page(page, lang=lang)
    text = shown_text(at) + chart_labels(at)
    raw = sorted({k for line in text for k in KEY_LIKE.findall(line) if k in KEYS})
    assert raw == [], f"raw catalogue keys on {page} ({lang})"
    assert at.title[0].value == t(f"{page}.title", lang, **SAMPLE_NAMES.params(lang))  # the fund as declared
    if lang == "zh":
        leaked = sorted({w for line in text for w in re.findall(r"[a-z_]+", line) if w in CODES})
        assert leaked == [], f"enumeration codes shown untranslated on {page}"
        widgets = (*at.metric, *at.radio, *at.selectbox, *at.expander, *at.button)
        # the presenter's CSS-hidden PageDown/PageUp targets for presentation clickers are never seen
        labels = [e.label for e in widgets if e.label]
        english_only = [x for x in labels if not CJK.search(x) and x != "语言 / Language"]
        assert english_only == [], f"labels without Chinese on {page}"
        assert sum(bool(CJK.search(x)) for x in text) >= 5


def test_chinese_pages_show_chinese_enumerations_and_dates(sample_app):
    at = open_page("projects", lang="zh")
    names = chart_labels(at)
    assert "已完成" in names and "completed" not in names
    assert "组团治理" in names and "微更新" in names
    assert any(re.fullmatch(r"数据截至 2024年1月\d{1,2}日", c.value) for c in at.caption), [c.value for c in at.caption]
    at = open_page("training", lang="zh", year="2024")  # 2024's roles differ: a bar each (2023's: one line)
    assert "后备干部" in chart_labels(at)
