"""Every surface reads the one metric catalogue: the Overview's tiles, the presenter's slides, the .pptx, the printed
report and `etl metrics --json` agree with metrics.figures for any as-of date, year (a part-year too) and community."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout
from datetime import date, timedelta

import duckdb
import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from pptx import Presentation
from streamlit.testing.v1 import AppTest
from visitors import ROOT

import metrics
import queries
from cli import main
from i18n import numbers
from presenter import deck as pptx
from presenter import markdown, report, slides
from ui import session

START, END = date(2023, 1, 1), date(2024, 1, 31)


@pytest.fixture(scope="module")
def warehouse(sample_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("catalogue") / "w.duckdb"
    shutil.copy(sample_file, path)
    return path


def declare(path, day: date) -> None:
    """Declare the data's as-of date (the metadata sheet's 数据截至), replacing the sample's."""
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM metadata; INSERT INTO metadata (as_of, note) VALUES ($d, NULL)", {"d": day})
    con.close()


def cli(path, *args: str) -> dict:
    """`etl metrics --json` on the working data these tests edit by hand (--draft: nothing here is published)."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["metrics", "--db", str(path), "--json", "--draft", *args]) == 0
    return json.loads(out.getvalue())


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def report_year(day: date) -> int:
    return day.year - 1 if day.month <= 3 else day.year


communities = hs.sampled_from([None, "杨行一村", "杨鑫苑"])
days = hs.integers(0, (END - START).days).map(lambda n: START + timedelta(days=n))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=days, community=communities, whole_year=hs.booleans())
def test_cli_and_deck_agree_with_the_catalogue(warehouse, day, community, whole_year):
    year = report_year(day) if whole_year else day.year  # the report year, or the year the day is in
    args = ["--year", str(year), "--as-of", day.isoformat()] + (["--community", community] if community else [])
    document = cli(warehouse, *args)  # before this test opens the file: the CLI opens it for writing
    with duckdb.connect(str(warehouse), read_only=True) as con:
        check(con, document, day, year, community)


def check(con, document: dict, day: date, year: int, community: str | None) -> None:
    expected = metrics.figures(con, year=year, as_of=day, community=community).set_index("code")
    assert document["as_of"] == day.isoformat() and document["community"] == community
    assert document["period"]["end"] == min(day, date(year, 12, 31)).isoformat()
    assert document["period"]["year_to_date"] == (day < date(year, 12, 31))
    got = {m["code"]: m for m in document["metrics"]}
    assert list(got) == [m.code for m in metrics.shown()]
    for code, row in expected.iterrows():
        value = None if row["value"] is None or row["value"] != row["value"] else row["value"]
        assert close(got[code]["value"], value), code
        assert got[code]["definition"] == metrics.METRICS[code].explain("en")
    if community is None:  # the deck is the town's
        deck = slides.build(con, lang="zh", day=day, mask=True)
        figures = {f.key: f for s in deck.slides for f in s.figures if f.key in metrics.METRICS}
        truth = metrics.figures(con, year=deck.year, as_of=day).set_index("code")
        for code, figure in figures.items():
            want = truth.at[code, "value"]
            assert close(figure.value, None if want != want else want), code
            assert figure.text == numbers.by_unit(metrics.METRICS[code].unit, figure.value, "zh")
        data = pptx.to_pptx(deck)
        text, html = pptx_text(data), report.to_html(deck)
        drawn = [[s.chart for s in slide.shapes if s.has_chart] for slide in Presentation(io.BytesIO(data)).slides]
        for slide, charts in zip(deck.slides, drawn, strict=True):
            if slide.chart is None:
                assert not charts, slide.key
                continue
            [chart] = charts  # the .pptx's native chart holds the deck's numbers (money in 万, as it shows them)
            assert list(chart.plots[0].categories) == list(slide.chart.categories), slide.key
            unit = slide.chart.unit
            for series, want in zip(chart.series, slide.chart.series, strict=True):
                stored = [round(pptx.stored(unit, "zh", v), 6) for v in want.values]
                assert [round(v, 6) for v in series.values] == stored, slide.key
        for figure in figures.values():
            assert f"\n{figure.text}\n" in text, figure.key  # the .pptx shows the same figure ...
            assert figure.text in html, figure.key  # ... and so does the report


def pptx_text(data: bytes) -> str:
    prs = Presentation(io.BytesIO(data))
    return "\n" + "\n".join(s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame) + "\n"


CODES = {m.label(lang): m.code for m in metrics.CATALOGUE for lang in ("zh", "en")}


@pytest.mark.parametrize(
    ("day", "year", "community"),
    [
        (date(2024, 1, 31), 2023, None),  # the published figures
        (date(2024, 1, 31), 2024, None),  # a year that is not over: year to date
        (date(2023, 10, 31), 2023, "杨行一村"),  # an earlier as-of date, one community
    ],
)
def test_tiles_agree_with_the_catalogue(warehouse, tmp_path, monkeypatch, day, year, community):
    path = tmp_path / "w.duckdb"
    shutil.copy(warehouse, path)
    declare(path, day)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_LANG", "zh")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["year"] = str(year)
    if community:
        at.query_params["community"] = community
    at.run()
    assert not at.exception, at.exception
    con = session.warehouse(str(path)).cursor()  # the app holds the file: read through its connection
    assert queries.as_of(con).iloc[0]["as_of"] == day
    expected = metrics.figures(con, year=year, as_of=day, community=community).set_index("code")
    tiles = {}
    for m in at.metric:
        label = markdown.unescape(m.label).removesuffix("（全镇）")
        tiles[CODES[label]] = m.value
    assert set(tiles) == {m.code for m in metrics.shown()}
    for code, value in tiles.items():
        want = expected.at[code, "value"]
        assert value == numbers.by_unit(metrics.METRICS[code].unit, None if want != want else want, "zh"), code
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_readme_says_how_each_figure_is_counted_as_the_catalogue_does():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert metrics.readme_section() in readme, "regenerate the README table from metrics.readme_section()"


def test_every_metric_is_declared_in_full():
    codes = [m.code for m in metrics.CATALOGUE]
    assert len(codes) == len(set(codes))
    for m in metrics.CATALOGUE:
        assert m.name["zh"] and m.name["en"] and m.definition["zh"] and m.definition["en"], m.code
        assert m.unit in ("count", "percent", "hours", "yuan", "decimal") and m.scope in ("community", "town")
        assert (m.kind == "rate") == bool(m.numerator and m.denominator and not m.sql), m.code
        for part in (m.numerator, m.denominator):
            assert part is None or metrics.METRICS[part].scope in (m.scope, "town"), m.code  # one scope per rate
    from etl.kinds import METRICS as TARGET_CODES  # the targets sheet's codes: each measures one metric

    assert sorted(metrics.TARGET_CODES) == sorted(TARGET_CODES)


def test_the_data_page_declares_the_as_of_date_as_an_undoable_import(sample_file, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    shutil.copy(sample_file, path)
    monkeypatch.setenv("DASHBOARD_DB", str(path))
    monkeypatch.setenv("DASHBOARD_LANG", "en")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/data.py").run()
    field = next(d for d in at.date_input if d.label == "As of")
    assert field.value == date(2024, 1, 31)  # the sample's declaration
    field.set_value(date(2024, 1, 25))
    next(b for b in at.button if b.label == "Declare this date").click().run()
    assert not at.exception, at.exception
    con = session.warehouse(str(path)).cursor()
    assert queries.as_of(con).iloc[0]["as_of"] == date(2024, 1, 25)  # an earlier date declared later counts
    batch = con.execute("SELECT batch_id, file_name FROM import_batches ORDER BY seq DESC LIMIT 1").fetchone()
    assert batch[1] == "as-of-2024-01-25.xlsx"
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == f"Undo {batch[0]}").click().run()
    assert queries.as_of(con).iloc[0]["as_of"] == date(2024, 1, 31)  # undone: the earlier declaration is back
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_beautiful_community_chart_counts_that_programme_only(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        deck = slides.build(con, lang="zh", mask=True)
        every_town_level = con.execute(
            "SELECT count(*) FROM projects WHERE status = 'completed' AND level = 'town' AND year(completed_date) = 2023"
        ).fetchone()[0]
    slide = next(s for s in deck.slides if s.key == "beautiful_community")
    by_level = dict(zip(slide.chart.categories, slide.chart.series[0].values, strict=True))
    assert by_level.get("区级", 0) + by_level.get("市级", 0) == 9  # the title's 9, of which 1 municipal
    assert by_level.get("市级") == 1
    assert by_level.get("镇级", 0) < every_town_level  # not every programme's town-level projects (≈47)


def test_the_targets_sheet_names_its_metrics_as_the_catalogue_does():
    import pandas as pd

    from etl import values
    from etl.kinds import KINDS

    column = KINDS["targets"].column("metric")
    # a target row naming a figure as the catalogue names it in Chinese, or by its code, is read as its code
    for code in metrics.TARGET_CODES:
        names = [metrics.METRICS[code].label("zh"), code]
        parsed, bad = values.parse_enum(pd.Series(names, dtype="string"), column.choices, column.choice_aliases)
        assert not bad.any() and parsed.tolist() == [code] * 2, code
    typed = pd.Series(["完成项目数", "组团治理项目完成数", "projects completed", "完成微更新数"], dtype="string")
    parsed, bad = values.parse_enum(typed, column.choices, column.choice_aliases)
    assert not bad.any()  # the names of earlier templates are still understood
    assert parsed.tolist() == [
        "projects_completed",
        "projects_completed",
        "projects_completed",
        "micro_renewal_completed",
    ]


def test_sample_figures_are_marked_on_every_surface(warehouse, tmp_path):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        deck = slides.build(con, lang="zh", mask=True)
    assert deck.sample and deck.sample_mark == "示例数据 · 非正式统计"
    for slide in deck.slides:
        assert deck.footer(slide).startswith(deck.sample_mark)  # the page, the .pptx footers and speaker notes
    prs = Presentation(io.BytesIO(pptx.to_pptx(deck)))
    for slide in prs.slides:
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        assert deck.sample_mark in texts, "a red mark of its own on every slide"
    assert deck.sample_mark in report.to_html(deck)
    # once the town's own data is imported (another user, other files), the mark is gone
    path = tmp_path / "own.duckdb"
    shutil.copy(warehouse, path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE import_batches SET user_name = 'ann', file_hash = 'own-' || file_hash")
        own = slides.build(con, lang="zh", mask=True)
    assert not own.sample and own.sample_mark == ""
    assert deck.sample_mark not in report.to_html(own) and deck.sample_mark not in pptx_text(pptx.to_pptx(own))
