"""The 文字综述 reads as a town's own report (issue 24, item 3): for any year, community and as-of date, on the sample
and on small generated warehouses, no sentence says nothing ("0个", "¥0", " 0 themes", "—"), a year not yet over
says up to which day it runs in the reader's date style ("2024年1月（截至31日）", "up to 2024-01-31"), and the
sentences read as written: no empty brackets, doubled punctuation or raw placeholders, singular English for one."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import declared
import metrics
import queries
from etl import db, derived
from etl.kinds import LOAD_ORDER, PROGRAMS
from etl.sample import NAMES
from i18n import numbers
from presenter import narrative

# A figure that says nothing: a lone zero (0, 0.0, 0.0%, ¥0, 0个, " 0 themes"), or a missing one.
ZERO = re.compile(r"(?<![\d.,])0(?:\.0+)?(?![\d.,])")
AWKWARD = re.compile(r"[，。；、,;]\s*[，。；、,;.]|（）|\(\)|\{|\}|\s{2,}| [,.]|^[，。；,.]")
ONE_OF_MANY = re.compile(
    r"(?<![\d.,])1 (?:projects|themes|micro-renewals|mentors|mentees|meetings|training hours|person-times"
    r"|Beautiful Community projects)\b"
)

FIRST, LAST = date(2022, 6, 1), date(2025, 3, 31)
days = st.integers(0, (LAST - FIRST).days).map(lambda n: FIRST + timedelta(days=n))
langs = st.sampled_from(["zh", "en"])
SAMPLE = declared.Names(**NAMES)


def check(sentences: list[str], lang: str, year: int | None, as_of: date) -> None:
    """What every narrative must be, whatever the figures."""
    assert sentences, "at least one sentence"
    text = "".join(sentences)
    for sentence in sentences:
        assert "—" not in sentence and "¥0" not in sentence, sentence
        assert not ZERO.search(sentence), sentence  # nothing is said to be none
        assert not AWKWARD.search(sentence), sentence
        assert sentence.endswith("。" if lang == "zh" else "."), sentence
        if lang == "en":
            assert not ONE_OF_MANY.search(sentence), sentence
            assert sentence[:1] == sentence[:1].upper() or not sentence[:1].isalpha(), sentence
    if year is None:
        assert text.startswith(("截至", "Up to ")) and numbers.day(as_of, lang) in sentences[0]
        return
    end = min(as_of, date(year, 12, 31))
    if as_of < date(year, 1, 1):  # not begun: says so, with the as-of date
        assert str(year) in text and numbers.day(as_of, lang) in text
    elif end < date(year, 12, 31):  # part of the year: the first sentence names its last day as the reader writes it
        if lang == "zh":
            within = f"截至{end.day}日" if end.month == 1 else f"截至{end.month}月{end.day}日"
            assert sentences[0].startswith(f"{year}年1月") and within in sentences[0], sentences[0]
        else:
            assert f"(up to {end.isoformat()})" in sentences[0] and str(year) in sentences[0], sentences[0]
    else:
        assert sentences[0].startswith((f"{year}年，", f"In {year}, ")), sentences[0]
        assert "截至" not in sentences[0] and "up to" not in sentences[0]


def say(con, lang: str, year: int | None, as_of: date, community: str | None, names=SAMPLE) -> list[str]:
    frame = metrics.figures(con, year=year, as_of=as_of, community=community)
    return narrative.narrative(frame, lang, community=community, names=names)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_file):
    import shutil

    path = tmp_path_factory.mktemp("narrative") / "sample.duckdb"
    shutil.copy(sample_file, path)
    con = db.connect(path)
    yield con, [None, *queries.communities(con)["community"]]
    con.close()


def test_the_published_figures_read_as_the_towns_report(sample):
    con, _ = sample
    zh = "".join(say(con, "zh", 2024, date(2024, 1, 31), None))
    assert zh.startswith("2024年1月（截至31日），")  # the example, said as a town says it
    assert "0个" not in zh and "¥0" not in zh and "使用率—" not in zh and "“暖杨汇”社区基金结余¥32万" in zh
    en = " ".join(say(con, "en", 2024, date(2024, 1, 31), None))
    assert en.startswith("In January 2024 (up to 2024-01-31), ") and "Warm Yang Hui community fund" in en
    year = "".join(say(con, "zh", 2023, date(2024, 1, 31), None))
    assert year.startswith("2023年，全镇完成组团治理项目50个（涉及6个主题）")
    assert "全镇“暖杨汇”社区基金募集¥65万，使用¥33万（使用率50.8%），结余¥32万。" in year


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    as_of=days,
    year=st.sampled_from([None, 2022, 2023, 2024, 2025]),
    pick=st.integers(0, 10_000),
    lang=langs,
)
def test_any_period_of_the_sample_reads_naturally(sample, as_of, year, pick, lang):
    con, communities = sample
    community = communities[pick % len(communities)]
    check(say(con, lang, year, as_of, community), lang, year, as_of)


# --- small generated warehouses: many zeros and ones, so every clause is sometimes there and sometimes not

dates = st.integers(0, (date(2024, 12, 31) - date(2023, 1, 1)).days).map(lambda n: date(2023, 1, 1) + timedelta(days=n))
COMMUNITIES = ("东村", "西村")
projects = st.lists(
    st.tuples(
        st.sampled_from(sorted(PROGRAMS)),
        st.sampled_from([None, "town", "district", "municipal"]),
        st.sampled_from(["completed", "completed", "in_progress"]),
        dates,
        st.sampled_from([None, "环境", "文化"]),
        st.booleans(),
        st.sampled_from(COMMUNITIES),
    ),
    max_size=4,
)
warehouses = st.fixed_dictionaries(
    {
        "projects": projects,
        "workers": st.lists(st.tuples(st.sampled_from(COMMUNITIES), st.one_of(st.none(), dates)), max_size=4),
        "sessions": st.lists(st.tuples(dates, st.sampled_from([0.5, 1, 2.5])), max_size=3),
        "attended": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=6),
        "pairs": st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 10)), max_size=2),
        "meetings": st.lists(st.tuples(dates, st.sampled_from(["promotion", "other"])), max_size=3),
        "donations": st.lists(st.tuples(dates, st.sampled_from([1, 800, 50_000, 123_456.78])), max_size=3),
        "spending": st.lists(
            st.tuples(dates, st.sampled_from([1, 500, 20_000]), st.sampled_from(COMMUNITIES)), max_size=3
        ),
    }
)


def fill(con, data: dict) -> None:
    """Replace the warehouse's rows with `data` (written by hand: the roll-ups refreshed as the loader would)."""
    for table in reversed(LOAD_ORDER):
        con.execute(f"DELETE FROM {table}")
    for i, (program, level, status, day, theme, proposed, community) in enumerate(data["projects"]):
        done = day if status == "completed" else None
        con.execute(
            "INSERT INTO projects (project_id, name, program, theme, level, community, status, start_date, "
            "completed_date, resident_proposed) VALUES (?, '项目', ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"P{i}", program, theme, level, community, status, date(2023, 1, 1), done, proposed],
        )
    workers = [f"W{i}" for i in range(len(data["workers"]))]
    for wid, (community, joined) in zip(workers, data["workers"], strict=True):
        con.execute(
            "INSERT INTO workers (worker_id, name, community, role, joined_date, active) "
            "VALUES (?, '某', ?, 'social_worker', ?, TRUE)",
            [wid, community, joined],
        )
    for i, (day, hours) in enumerate(data["sessions"]):
        con.execute(
            "INSERT INTO training_sessions (session_id, title, date, hours) VALUES (?, '培训', ?, ?)",
            [f"S{i}", day, hours],
        )
    if workers and data["sessions"]:
        pairs = {(f"S{s % len(data['sessions'])}", workers[w % len(workers)]) for s, w in data["attended"]}
        if pairs:
            con.executemany("INSERT INTO attendance (session_id, worker_id) VALUES (?, ?)", sorted(pairs))
    if len(workers) > 1:
        seen = set()
        for mentor, mentee, done in data["pairs"]:
            pair = (workers[mentor % len(workers)], workers[(mentor + 1 + mentee % (len(workers) - 1)) % len(workers)])
            if pair not in seen:
                seen.add(pair)
                con.execute(
                    "INSERT INTO mentorships (mentor_id, mentee_id, start_date, activities_done) VALUES (?, ?, ?, ?)",
                    [*pair, date(2023, 3, 1), done],
                )
    for i, (day, kind) in enumerate(data["meetings"]):
        con.execute("INSERT INTO meetings (meeting_id, date, type) VALUES (?, ?, ?)", [f"M{i}", day, kind])
    for i, (day, amount) in enumerate(data["donations"]):
        con.execute(
            "INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan) VALUES (?, ?, '某企业', "
            "'enterprise', ?)",
            [f"D{i}", day, amount],
        )
    for i, (day, amount, community) in enumerate(data["spending"]):
        con.execute(
            "INSERT INTO disbursements (disbursement_id, date, amount_yuan, purpose, community) VALUES (?, ?, ?, '用途', ?)",
            [f"X{i}", day, amount, community],
        )
    derived.refresh(con)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("small") / "w.duckdb")
    yield con
    con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=warehouses,
    as_of=days,
    year=st.sampled_from([None, 2023, 2024]),
    community=st.sampled_from([None, *COMMUNITIES]),
    declared_names=st.booleans(),
)
def test_any_small_warehouse_reads_naturally(small, data, as_of, year, community, declared_names):
    fill(small, data)
    names = SAMPLE if declared_names else declared.Names()
    for lang in ("zh", "en"):
        sentences = say(small, lang, year, as_of, community, names)
        check(sentences, lang, year, as_of)
        if not declared_names:  # no name declared: the text reads without one, never an empty “”
            assert "“”" not in "".join(sentences) and "暖杨" not in "".join(sentences)
