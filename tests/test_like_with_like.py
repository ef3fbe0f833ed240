"""Like with like (issue 24, item 1): a chart that draws a target draws it on the series that target measures.

Every Plotly figure the pages draw (each grouping and each programme of the Projects page, in both languages and
in a whole year and a part-year) is read as the browser gets it: any line or label on it that is not a note
(说明备注) is a target, named target:<metric>, and every series it is drawn on is of that metric. The deck's charts
count only their slide's programme, and a figure's target is its own metric's. The Projects page of 2023 once
drew all 249 completions against the group-governance target of 50.
"""

from __future__ import annotations

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from visitors import array, charts, open_page

import i18n
import metrics
import queries
from etl import kinds
from i18n import t
from presenter import slides
from presenter.charts import NOTE_COLOUR

PAGES = ("overview", "projects", "training", "fund")
RADIOS = {  # each radio button of a page that changes its charts, and the values it may offer
    "projects": {"projects_by": queries.PROJECT_DIMENSIONS, "projects_programme": None},  # None: by name
    "fund": {"fund_spending_by": queries.SPENDING_DIMENSIONS},
}


def every_chart(at: AppTest, page: str) -> dict[str, dict]:
    """The page's charts, and those of every option of its radio buttons (each radio's options in turn)."""
    found = {f"{page}:{k}": v for k, v in charts(at).items()}
    for key, candidates in RADIOS.get(page, {}).items():
        radio = at.radio(key=key)
        values = (
            list(radio.options)
            if candidates is None
            else [v for v in candidates if radio.format_func(v) in radio.options]
        )
        assert len(values) == len(radio.options), (key, radio.options)
        for value in values:
            at.radio(key=key).set_value(value).run()
            assert not at.exception, at.exception
            found |= {f"{page}:{k}:{key}={value}": v for k, v in charts(at).items()}
    return found


def targets_of(spec: dict) -> list[tuple[str, str]]:
    """Every mark on a figure that is not a series or a note: (what it is, its name)."""
    layout = spec["layout"]
    marks = [
        ("shape", shape.get("name", ""))
        for shape in layout.get("shapes", [])
        if shape.get("line", {}).get("color") != NOTE_COLOUR
    ]
    marks += [("annotation", note.get("name", "")) for note in layout.get("annotations", [])]
    return marks


def series_metrics(spec: dict) -> set:
    """The metric each series of the figure is of (None for a series that says nothing of it); notes excluded."""
    return {
        (trace.get("meta") or {}).get("metric") if isinstance(trace.get("meta"), dict) else None
        for trace in spec["data"]
        if trace.get("meta") != "notes"
    }


def assert_like_with_like(found: dict[str, dict]) -> int:
    """Each target on a figure is named target:<metric> and every series of it is of that metric; the number of
    targets checked."""
    checked = 0
    for name, spec in found.items():
        for kind, mark in targets_of(spec):
            assert mark.startswith("target:"), (name, kind, mark)  # an unnamed line or label: whose target?
            code = mark.removeprefix("target:")
            assert code in metrics.METRICS, (name, mark)
            assert series_metrics(spec) == {code}, (name, mark, series_metrics(spec))
            checked += 1
    return checked


@pytest.mark.parametrize(("lang", "year"), [("zh", "2023"), ("en", "2023"), ("zh", "2024")])
def test_every_target_drawn_is_on_a_series_of_its_own_metric(sample_app, lang, year):
    found: dict[str, dict] = {}
    for page in PAGES:
        found |= every_chart(open_page(page, lang=lang, year=year), page)
    checked = assert_like_with_like(found)
    if year == "2023":  # group governance and micro-renewals have targets and completions that year
        assert sum(k.startswith("projects:completions_burnup") for k in found) >= 3
        assert checked >= 4  # each target's line and its label


def test_a_community_coverage_target_below_100_is_drawn_on_coverage(sample_app):
    con = duckdb.connect(str(sample_app))
    con.execute("UPDATE targets SET target = 0.9 WHERE metric = 'training_coverage'")
    con.execute(
        "DELETE FROM attendance WHERE worker_id IN (SELECT min(worker_id) FROM workers GROUP BY community LIMIT 12)"
    )
    from etl import derived, publish

    derived.refresh(con)
    publish.publish(con, "test")
    con.close()
    found = charts(open_page("training", lang="zh", year="2023"))
    spec = found["coverage_by_community"]
    assert [n for _, n in targets_of(spec)] == ["target:training_coverage"]
    assert_like_with_like(found)


def test_the_projects_burn_up_is_one_programme_against_its_own_target(sample_app, sample_file):
    con = duckdb.connect(str(sample_file), read_only=True)
    figures = queries.kpis(con, year=2023).set_index("metric")
    completed = dict(
        con.execute(
            "SELECT program, count(*) FROM projects WHERE status = 'completed' AND year(completed_date) = 2023 "
            "GROUP BY ALL"
        ).fetchall()
    )
    con.close()
    assert sum(completed.values()) == 249  # what the burn-up and the donut once said, against a target of 50

    at = open_page("projects", lang="zh", year="2023")
    assert at.radio(key="projects_programme").value == "组团治理"  # the catalogue's first programme, by name
    for program, code in (*metrics.COMPLETED.items(), ("beautiful_community", None)):
        at.radio(key="projects_programme").set_value(kinds.PROGRAMS[program]).run()
        assert not at.exception
        found = charts(at)
        burnup, donut = found["completions_burnup"], found["project_status"]
        cumulative = array(burnup["data"][0]["y"])
        assert cumulative[-1] == completed[program]  # this programme's completions, not all 249
        slices = dict(zip(array(donut["data"][0]["labels"]), array(donut["data"][0]["values"]), strict=True))
        done = next(v for label, v in slices.items() if label.startswith(kinds.ENUMS["status"]["completed"]))
        assert done == completed[program]
        marks = targets_of(burnup)
        if code is None:  # a programme with no target of completions draws none
            assert marks == []
            continue
        assert cumulative[-1] == figures.at[code, "value"]  # the same figure its tile shows
        shapes = [s for s in burnup["layout"]["shapes"] if s.get("name") == f"target:{code}"]
        assert [s["y0"] for s in shapes] == [figures.at[code, "target"]]
        label = next(a for a in burnup["layout"]["annotations"] if a.get("name") == f"target:{code}")
        assert label["text"] == t("projects.target_line", "zh", target=f"{figures.at[code, 'target']:,.0f}")
    assert_like_with_like(found)


def test_with_a_community_chosen_no_town_target_is_drawn_on_its_burn_up(sample_app):
    at = open_page("projects", lang="zh", year="2023", community="杨泰一村")
    found = charts(at)
    assert "completions_burnup" not in found or targets_of(found["completions_burnup"]) == []
    assert t("kpi.no_target_community", "zh") in "\n".join(str(c.value) for c in at.caption)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_decks_charts_and_targets_are_their_slides_own(sample_file, lang):
    con = duckdb.connect(str(sample_file), read_only=True)
    deck = slides.build(con, lang=lang)
    figures = queries.kpis(con, year=deck.year, as_of=deck.day).set_index("metric")
    con.close()
    by_key = {s.key: s for s in deck.slides}

    def total(key: str) -> float:
        chart = by_key[key].chart
        assert chart is not None and len(chart.series) == 1, key
        return sum(chart.series[0].values)

    # each programme's chart counts that programme's completions, as its figures do
    assert total("group_governance") == figures.at["projects_completed", "value"]
    levels = by_key["beautiful_community"].chart
    assert levels is not None
    upper = [i18n.label("level", level, lang) for level in ("district", "municipal")]
    drawn = dict(zip(levels.categories, levels.series[0].values, strict=True))
    assert sum(drawn.get(c, 0) for c in upper) == figures.at["beautiful_community_district_plus", "value"]
    running = by_key["micro_renewal"].chart
    assert running is not None and running.series[0].values[-1] == figures.at["micro_renewal_completed", "value"]
    # a figure's target, wherever one is given, is its own metric's
    for slide in deck.slides:
        for figure in slide.figures:
            if figure.key not in metrics.METRICS:
                continue
            goal = figures.at[figure.key, "target"]
            own = deck.t("presenter.target", target=slides.fmt(metrics.METRICS[figure.key].unit, goal, lang))
            if goal == goal and goal is not None:  # a target set: the detail gives this one
                assert figure.detail.startswith(own), (slide.key, figure.key, figure.detail)
            else:
                assert deck.t("presenter.target", target="") not in figure.detail, (slide.key, figure.key)
        # no chart draws a target as a series of its own
        if slide.chart is not None:
            names = {s.name for s in slide.chart.series}
            assert not any(n.startswith(deck.t("presenter.target", target="").strip()) for n in names), slide.key
