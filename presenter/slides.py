"""The forum deck as data: one Slide per message, built once from the queries and drawn by the page, the .pptx and
the printed report alike, so the three can never disagree.

Every figure is as it stood on the as-of day (see the "presenter" section of queries.py) and carries its definition
(the speaker note) and the files it was imported from.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

import declared
import i18n
import metrics
import notes
import queries
from etl import kinds, publish
from i18n import numbers, t
from presenter import narrative

Runner = Callable[..., pd.DataFrame]  # run(query_function, **params) -> DataFrame; the app passes its cached page.q

MASK = "*"
NAMED_DONORS = ("enterprise", "organization")  # donor types that are no person: named; every other donor masked
ANONYMOUS = ("匿名", "匿名捐赠", "anonymous")  # what analysts write for a donor who gave no name


@dataclass(frozen=True)
class Figure:
    """One headline number: its label, its text as shown, the raw value, a small line under it, its definition."""

    key: str
    label: str
    text: str
    value: float | None
    detail: str = ""
    definition: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A chart both Plotly and PowerPoint can draw: bar (horizontal), column or line; one or more series."""

    kind: str
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str = "count"  # count | percent | yuan | hours: how values are formatted
    ceiling: float | None = None  # a fixed axis maximum (1.0 for percentages)


@dataclass(frozen=True)
class Slide:
    key: str
    title: str
    message: str
    figures: tuple[Figure, ...] = ()
    chart: Chart | None = None
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # extra speaker notes beyond the figures' definitions
    remarks: tuple[str, ...] = ()  # the notes (说明备注) that explain its figures, shown on the slide as lines
    line: str = ""  # said where the chart would be when its bars would all be the same (same_value): one line


@dataclass(frozen=True)
class Kpi:
    """A KPI against its target, for the targets slide and the printed report."""

    key: str
    label: str
    value: float | None
    text: str
    target: float | None
    target_text: str
    reached: float | None  # value / target


@dataclass(frozen=True)
class Deck:
    title: str
    lang: str
    day: date
    year: int
    latest: date
    masked: bool
    slides: tuple[Slide, ...]
    kpis: tuple[Kpi, ...] = field(default=())
    summary: str = ""  # the narrative (文字综述) of the figures, from the catalogue's sentence templates
    sample: bool = False  # the warehouse holds only the sample data: every slide, the .pptx and the report say so
    stamp: str = ""  # 审核发布：who published this version and when, or that it is a draft
    draft: bool = False  # built from the working data (unapproved): every slide and every printed page says so
    names: declared.Names = field(default_factory=declared.Names)  # the town, the fund, its programmes, as declared
    judged: bool = True  # measured against the targets (False: a year not a quarter old, metrics.Period.judged)

    @property
    def sample_mark(self) -> str:
        """'示例数据·非正式统计' while the figures are the sample's, else ''."""
        return self.t("presenter.sample_mark") if self.sample else ""

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **{**self.names.params(self.lang), **params})

    def footer(self, slide: Slide) -> str:
        """'As of 2024-01-19 · Source: 02_项目.xlsx, 03_会议.xlsx' in the deck's language."""
        line = self.t("presenter.as_of", date=numbers.day(self.day, self.lang))
        if self.sample:
            line = f"{self.sample_mark} · {line}"
        if self.stamp:
            line = f"{line} · {self.stamp}"
        if slide.sources:
            line += " · " + self.t("presenter.source", files=", ".join(slide.sources))
        return line

    def speaker_notes(self, slide: Slide) -> str:
        """Each figure's definition, then the slide's notes, the as-of day and the source files."""
        lines = [f"{f.label}: {f.text}. {f.definition}" for f in slide.figures if f.definition]
        lines += [self.t("note.speaker", line=r) for r in slide.remarks]
        lines += list(slide.notes)
        lines.append(self.footer(slide))
        return "\n".join(lines)


def fmt(unit: str, x: float | None, lang: str) -> str:
    """A value in a metric's unit (see i18n.numbers.by_unit)."""
    return numbers.by_unit(unit, x, lang)


def describe(chart: Chart, lang: str) -> str:
    """The chart's figures in one sentence, for whoever cannot see it: a screen reader on the slide, the alt text of
    the printed report's picture and of the .pptx's chart ('Chart: Coverage by role. Secretary: 100.0%; …')."""
    several = len(chart.series) > 1

    def say(x: float) -> str:  # money as the chart writes it: in 万 in Chinese, as its title says (（万元）)
        return numbers.chart_money(x, lang, decimals=1) if chart.unit == "yuan" else fmt(chart.unit, x, lang)

    items = [
        t(
            "chart.alt_item",
            lang,
            category=category,
            values=", ".join(f"{s.name} {say(s.values[i])}" if several else say(s.values[i]) for s in chart.series),
        )
        for i, category in enumerate(chart.categories)
    ]
    return t("chart.alt", lang, title=chart.title, items=t("chart.alt_sep", lang).join(items))


def same_value(values: Iterable[float]) -> float | None:
    """The one value every bar shares (to rounding), or None when they differ or there are none. Bars that all say
    the same are one line of text, never a wall of equal bars: the Training page's communities and roles, the
    coverage and mentoring slides and the printed report alike."""
    found = [float(v) for v in values]
    if not found or max(found) - min(found) > 1e-9:
        return None
    return found[0]


def _text(value: object) -> str:
    """A stored value as text, '' when missing."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))
    return "" if missing else str(value).strip()


def mask_name(name: object) -> str:
    """'张三' -> '张*', 'Zhang San' -> 'Z*': the first character and one star, which also hides the name's length."""
    text = _text(name)
    return f"{text[0]}{MASK}" if text else text


def donor_name(donor: object, donor_type: object, lang: str, mask: bool = True) -> str:
    """A donor as every public surface shows them (the ledger and its copies, the drill-down, the slides): a
    company or an organisation by name; anyone else — an individual, 其他 (other), a blank or unknown type — as
    张*; a donor who gave no name as 匿名. The one rule: nothing else decides whether a donor is named."""
    name = _text(donor)
    if not name or name.lower() in ANONYMOUS:
        return t("ledger.anonymous", lang)
    if mask and _text(donor_type).lower() not in NAMED_DONORS:
        return mask_name(name)
    return name


def _label(lang: str, enum: str, code: object) -> str:
    """An enumeration code as readers see it (its Chinese label in zh; readable English in en)."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return t("common.unspecified", lang)
    return i18n.label(enum, code, lang)


def _rank(enum: dict[str, str]) -> Callable[[object], int]:
    """A code's place in its enumeration (kinds.LEVELS, kinds.ROLES): the order a slide draws them in, any other
    code after them (then by code)."""
    order = {code: i for i, code in enumerate(enum)}
    return lambda code: order.get(str(code), len(order))


def _month(lang: str, month: object) -> str:
    stamp = pd.Timestamp(month)
    return numbers.month(stamp.date(), lang, with_year=False)


class _Builder:
    def __init__(self, run: Runner, lang: str, day: date, year: int, mask: bool, community: str | None = None) -> None:
        # Every figure and chart is of the catalogue's period: the report year up to the as-of day, or to
        # 31 December when the year is over (a January hire is not on last year's roster). The charts ask the pages'
        # own queries for it (queries.py), so a slide and a page never count two ways.
        self.run, self.lang, self.year, self.mask = run, lang, year, mask
        self.as_of = day
        self.figures = run(queries.kpis, year=year, community=community, as_of=day).set_index("metric")
        # a year not a quarter old is measured against no target (metrics.Period.judged): no share of one shown
        self.judged = bool(self.figures["judged"].all())
        self.names = declared.from_frame(run(queries.names))
        sources = run(queries.topic_sources, year=year, community=None, as_of=day)
        self.sources = {
            topic: tuple(dict.fromkeys(group["file_name"])) for topic, group in sources.groupby("topic", sort=False)
        }

    def t(self, key: str, **params: object) -> str:
        return t(key, self.lang, **{**self.names.params(self.lang), **params})

    def period(self, fn: Callable[..., pd.DataFrame], **params: object) -> pd.DataFrame:
        """A breakdown of the deck's period for a chart: the town's, in the report year up to the as-of day."""
        return self.run(fn, year=self.year, community=None, as_of=self.as_of, **params)

    def source(self, *topics: str) -> tuple[str, ...]:
        files = [f for topic in topics for f in self.sources.get(topic, ())]
        return tuple(dict.fromkeys(files))

    def fmt(self, unit: str, x: float | None) -> str:
        return fmt(unit, x, self.lang)

    @staticmethod
    def chart(*args: Any, **kwargs: Any) -> Chart | None:
        """A chart, or None when it has nothing to draw (e.g. an as-of date before any spending): every surface
        then leaves the chart out instead of drawing an empty frame."""
        chart = Chart(*args, **kwargs)
        return chart if chart.categories else None

    def value(self, code: str) -> float:
        value = self.figures.at[code, "value"]
        return 0.0 if value is None or pd.isna(value) else float(value)

    def figure(self, code: str, detail: str = "") -> Figure:
        """A catalogue metric as a headline figure; with a target, its detail line gives it and the share reached."""
        metric, row = metrics.METRICS[code], self.figures.loc[code]
        value = None if pd.isna(row["value"]) else float(row["value"])  # e.g. an average of no pairs: "—"
        goal = None if pd.isna(row["target"]) else float(row["target"])
        if goal and value is not None:
            reached = self.t("presenter.reached", share=numbers.percent(value / goal))
            if not self.judged:
                reached = self.t("kpi.not_judged")
            detail = self.t("presenter.target", target=self.fmt(metric.unit, goal)) + " · " + reached
        return Figure(
            code, metric.label(self.lang), self.fmt(metric.unit, value), value, detail, metric.explain(self.lang)
        )

    def person(self, name: object) -> str:
        """Any person's name the deck prints (mentors today; a mentee, a worker too): masked when the deck is."""
        return mask_name(name) if self.mask else _text(name)

    # --- the slides, in the order they are shown

    def cover(self) -> Slide:
        files = self.source("projects", "meetings", "training", "mentoring", "fund", "targets")
        return Slide(
            "cover",
            self.t("presenter.cover.title"),
            self.t("presenter.cover.message", year=self.year, date=numbers.day(self.as_of, self.lang)),
            sources=files,
            notes=(self.summary,),
        )

    @functools.cached_property
    def summary(self) -> str:
        frame = self.figures.reset_index()
        return narrative.joined(narrative.narrative(frame, self.lang, names=self.names), self.lang)

    def group_governance(self) -> Slide:
        themes = self.period(queries.projects_by, by="theme", program="group_governance")
        themes = themes[themes["completed"] > 0].rename(columns={"key": "theme"})
        themes = themes.sort_values(["completed", "theme"], ascending=[False, True], na_position="last")
        return Slide(
            "group_governance",
            self.t("presenter.group_governance.title"),
            self.t(
                "presenter.group_governance.message",
                projects=numbers.number(self.value("projects_completed")),
                themes=numbers.number(self.value("group_governance_themes")),
            ),
            (
                self.figure("projects_completed"),
                self.figure("group_governance_themes"),
                self.figure("promotion_meetings"),
            ),
            self.chart(
                "bar",
                self.t("presenter.chart.by_theme"),
                tuple(self.t("common.unspecified") if pd.isna(x) else str(x) for x in themes["theme"]),
                (Series(self.t("presenter.series.completed"), tuple(float(x) for x in themes["completed"])),),
            ),
            self.source("projects", "meetings"),
        )

    def beautiful_community(self) -> Slide:
        levels = self.period(queries.projects_by, by="level", program="beautiful_community")
        levels = levels[(levels["completed"] > 0) & levels["key"].notna()].rename(columns={"key": "level"})
        levels = levels.sort_values("level", key=lambda c: c.map(_rank(kinds.LEVELS)), kind="stable")
        return Slide(
            "beautiful_community",
            self.t("presenter.beautiful_community.title"),
            self.t(
                "presenter.beautiful_community.message",
                projects=numbers.number(self.value("beautiful_community_district_plus")),
                municipal=numbers.number(self.value("beautiful_community_municipal")),
            ),
            (self.figure("beautiful_community_district_plus"), self.figure("beautiful_community_municipal")),
            self.chart(
                "column",
                self.t("presenter.chart.by_level"),
                tuple(_label(self.lang, "level", x) for x in levels["level"]),
                (Series(self.t("presenter.series.completed"), tuple(float(x) for x in levels["completed"])),),
            ),
            self.source("projects"),
        )

    def micro_renewal(self) -> Slide:
        months = self.period(queries.completions_burnup, program="micro_renewal")
        return Slide(
            "micro_renewal",
            self.t("presenter.micro_renewal.title"),
            self.t(
                "presenter.micro_renewal.message",
                projects=numbers.number(self.value("micro_renewal_completed")),
                proposed=numbers.number(self.value("micro_renewal_resident_proposed")),
            ),
            (self.figure("micro_renewal_completed"), self.figure("micro_renewal_resident_proposed")),
            self.chart(
                "line",
                self.t("presenter.chart.running_total"),
                tuple(_month(self.lang, m) for m in months["month"]),
                (Series(self.t("presenter.series.completed_total"), tuple(float(x) for x in months["cumulative"])),),
            ),
            self.source("projects"),
        )

    def voices(self) -> Slide | None:
        """民意到实事: the report year's residents' voices as of the day, from collected to completed projects, in one
        funnel and one sentence, with the catalogue's voice figures; None when the year has no voices (the slide is
        left out)."""
        funnel = self.period(queries.voices_funnel)
        counts = dict(zip(funnel["stage"], (int(v) for v in funnel["voices"]), strict=True))
        if not counts.get("collected"):
            return None
        promise = int(funnel.iloc[0]["promise"])
        return Slide(
            "voices",
            self.t("presenter.voices.title"),
            self.t(
                "presenter.voices.message",
                collected=numbers.number(counts["collected"]),
                answered=numbers.number(counts["answered"]),
                projects=numbers.number(counts["project"]),
                completed=numbers.number(counts["completed"]),
            ),
            (
                self.figure("voices_collected"),
                self.figure("voices_to_projects"),
                self.figure("voices_answered_in_time", self.t("presenter.voices.in_time", days=promise)),
            ),
            self.chart(
                "bar",
                self.t("presenter.chart.voices_funnel"),
                tuple(self.t(f"voices.stage.{s}") for s in queries.VOICE_STAGES),
                (Series(self.t("presenter.series.voices"), tuple(float(counts[s]) for s in queries.VOICE_STAGES)),),
            ),
            self.source("voices", "projects"),
        )

    def same(self, values: tuple[float, ...], key: str, unit: str) -> str:
        """`key`'s line (count, value) when two or more bars would all show one value, else ''."""
        shared = same_value(values) if len(values) > 1 else None
        return "" if shared is None else self.t(key, count=len(values), value=self.fmt(unit, shared))

    def coverage(self) -> Slide:
        roles = self.period(queries.coverage_by, by="role")
        roles = roles.assign(rank=roles["role"].map(_rank(kinds.ROLES))).sort_values(["rank", "role"])
        shares = tuple(float(x) for x in roles["coverage"])
        line = self.same(shares, "presenter.coverage.same", "percent")  # five bars at 100 %: one line
        return Slide(
            "coverage",
            self.t("presenter.coverage.title"),
            self.t(
                "presenter.coverage.message",
                trained=numbers.number(self.value("trained")),
                roster=numbers.number(self.figures.at["training_coverage", "denominator"]),
                year=self.year,
            ),
            (
                self.figure(
                    "trained",
                    detail=self.t(
                        "presenter.of_roster",
                        roster=numbers.number(self.figures.at["training_coverage", "denominator"]),
                    ),
                ),
                self.figure("training_coverage"),
            ),
            None
            if line
            else self.chart(
                "bar",
                self.t("presenter.chart.coverage_by_role"),
                tuple(_label(self.lang, "role", r) for r in roles["role"]),
                (Series(self.t("presenter.series.coverage"), shares),),
                unit="percent",
                ceiling=1.0,
            ),
            self.source("training"),
            line=line,
        )

    def training_volume(self) -> Slide:
        months = self.period(queries.training_by_month)
        return Slide(
            "training_volume",
            self.t("presenter.training_volume.title"),
            self.t(
                "presenter.training_volume.message",
                person_times=numbers.number(self.value("person_times")),
                hours=numbers.number(self.value("training_hours"), 1),
                sessions=numbers.number(self.value("sessions")),
            ),
            (self.figure("person_times"), self.figure("training_hours"), self.figure("sessions")),
            self.chart(
                "column",
                self.t("presenter.chart.person_times_by_month"),
                tuple(_month(self.lang, m) for m in months["month"]),
                (Series(self.t("presenter.series.person_times"), tuple(float(x) for x in months["person_times"])),),
            ),
            self.source("training"),
        )

    def mentoring(self) -> Slide:
        mentors = self.period(queries.mentor_progress)
        shares = tuple(float(x) for x in mentors["share_done"])
        line = self.same(shares, "presenter.mentoring.same", "percent")
        return Slide(
            "mentoring",
            self.t("presenter.mentoring.title"),
            self.t(
                "presenter.mentoring.message",
                mentors=numbers.number(self.value("mentors")),
                mentees=numbers.number(self.value("mentees")),
            ),
            (
                self.figure("mentors"),
                self.figure("mentees"),
                self.figure("mentoring_activities", detail=self.t("presenter.of_ten", n=metrics.ACTIVITIES_PER_PAIR)),
            ),
            None
            if line
            else self.chart(
                "bar",
                self.t("presenter.chart.mentors"),
                tuple(self.person(n) for n in mentors["mentor"]),
                (Series(self.t("presenter.series.activities_share"), shares),),
                unit="percent",
                ceiling=1.0,
            ),
            self.source("mentoring"),
            (self.t("presenter.note.masked") if self.mask else self.t("presenter.note.names"),),
            line=line,
        )

    def fund(self) -> Slide:
        months = self.period(queries.fund_monthly)
        return Slide(
            "fund",
            self.t("presenter.fund.title"),
            self.t(
                "presenter.fund.message",
                raised=numbers.yuan(self.value("fund_raised"), self.lang),
                used=numbers.yuan(self.value("fund_used"), self.lang),
            ),
            (self.figure("fund_raised"), self.figure("fund_used"), self.figure("balance")),
            self.chart(
                "column",
                self.t("presenter.chart.raised_used_by_month"),  # the unit as the chart counts: 万元 (zh), ¥ (en)
                tuple(_month(self.lang, m) for m in months["month"]),
                (
                    Series(self.t("presenter.series.raised"), tuple(float(x) for x in months["raised"])),
                    Series(self.t("presenter.series.used"), tuple(float(x) for x in months["used"])),
                ),
                unit="yuan",
            ),
            self.source("fund"),
        )

    def kpis(self) -> tuple[Kpi, ...]:
        """Every catalogue metric that has a target this year (a year not over: measured against its pace)."""
        out = []
        for code, row in self.figures.iterrows():
            if pd.isna(row["target"]):
                continue
            metric = metrics.METRICS[code]
            value = None if pd.isna(row["value"]) else float(row["value"])
            goal = float(row["expected"] if row["partial"] else row["target"])
            if not self.judged:  # a year not a quarter old: measured against nothing yet
                goal = 0.0
            out.append(
                Kpi(
                    code,
                    metric.label(self.lang),
                    value,
                    self.fmt(metric.unit, value),
                    float(row["target"]),
                    self.fmt(metric.unit, float(row["target"])),
                    value / goal if goal and value is not None else None,
                )
            )
        return tuple(out)

    def targets(self, kpis: tuple[Kpi, ...]) -> Slide:
        judged = [(k, k.reached) for k in kpis if k.reached is not None]
        met = sum(1 for _, share in judged if share >= 1 - 1e-9)
        message = "presenter.targets.message" if self.judged else "presenter.targets.not_judged"
        return Slide(
            "targets",
            self.t("presenter.targets.title", year=self.year),
            self.t(message, met=met, total=len(judged), year=self.year),
            (
                Figure(
                    "targets_met",
                    self.t("presenter.fig.targets_met"),
                    f"{met} / {len(judged)}",
                    float(met),
                    definition=self.t("presenter.def.targets_met", year=self.year),
                ),
            )
            if self.judged
            else (),
            self.chart(
                "bar",
                self.t("presenter.chart.reached"),
                tuple(k.label for k, _ in judged),
                (Series(self.t("presenter.series.reached"), tuple(round(share, 4) for _, share in judged)),),
                unit="percent",
            ),
            self.source("projects", "training", "fund", "targets"),
            tuple(f"{k.label}: {k.text} / {k.target_text}" for k, _ in judged),
        )


def build(
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    lang: str,
    day: date | None = None,
    mask: bool = False,
    run: Runner | None = None,
    community: str | None = None,
) -> Deck:
    """The deck as of `day` (default: the latest date in the warehouse) in `lang`, names masked when `mask`.

    `community`: the figures and notes of one community (the Presenter page passes the one its sidebar chose, as it
    always has); the charts and their sources are the town's."""
    run = run or (lambda fn, **params: fn(con, **params))
    period = run(queries.default_year, day=day).iloc[0]
    day, year = period["day"], int(period["year"])
    b = _Builder(run, lang, day, year, mask, community)
    kpis = b.kpis()
    found = run(
        queries.notes, year=year, community=community, as_of=day
    )  # the notes of the deck's period, each on its figures' slide

    def remarked(slide: Slide) -> Slide:
        codes = [f.key for f in slide.figures if f.key in metrics.METRICS]
        return dataclasses.replace(slide, remarks=notes.lines(found, codes, lang)) if codes else slide

    slides = tuple(
        remarked(s)
        for s in (
            b.cover(),
            b.group_governance(),
            b.beautiful_community(),
            b.micro_renewal(),
            *filter(None, (b.voices(),)),  # only when the report year has residents' voices
            b.coverage(),
            b.training_volume(),
            b.mentoring(),
            b.fund(),
            b.targets(kpis),
        )
    )
    sample = bool(run(queries.sample_only).iloc[0]["sample"])
    published = run(queries.publication)
    draft = published.empty
    if draft:
        stamp = t("publish.stamp_draft", lang)
    else:
        row = published.iloc[0]
        at = pd.Timestamp(row["published_at"]).date()
        by = publish.publisher(row["published_by"], lang)
        stamp = t("publish.stamp", lang, by=by, at=numbers.day(at, lang), version=row["version"])
    return Deck(
        b.t("presenter.cover.title"),
        lang,
        day,
        year,
        period["latest"],
        mask,
        slides,
        kpis,
        b.summary,
        sample,
        stamp,
        draft,
        b.names,
        judged=b.judged,
    )
