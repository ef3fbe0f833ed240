"""The drill-down's counts, first rows and sources and the part-month person-times read the per-session roll-ups
(etl/derived.sql); here they are checked against the same figures counted from attendance itself."""

from __future__ import annotations

from datetime import date

import pytest

import metrics
from bench.warehouse import build

SCALE = {"communities": 7, "workers": 300, "sessions": 400, "attendance": 8_000, "projects": 50}
SCALE |= {"donations": 50, "disbursements": 20}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    import duckdb

    path = build(tmp_path_factory.mktemp("city") / "city.duckdb", **SCALE)
    con = duckdb.connect(str(path))
    # a row written outside an import (no batch) and a session of no community's worker on the roster
    con.execute("UPDATE attendance SET _batch_id = NULL WHERE session_id = 'S00003'")
    from etl import derived

    derived.refresh(con)
    yield con
    con.close()


def careful(con, year, as_of, community):
    """Attendance rows of sessions held in the period (for a community: its workers' rows), from attendance."""
    period = metrics.Period.of(year, as_of)
    return con.execute(
        """
        SELECT a.session_id, s.date, s.title, a.worker_id, a._batch_id
        FROM attendance a JOIN training_sessions s USING (session_id)
        WHERE s.date BETWEEN $start AND $end
          AND ($community::VARCHAR IS NULL OR a.worker_id IN (SELECT worker_id FROM workers WHERE community = $community))
        ORDER BY s.date, a.session_id, a.worker_id
        """,
        {"start": period.start, "end": period.end, "community": community},
    ).df()


CASES = [
    (year, as_of, community)
    for year, as_of in (
        (None, date(2023, 7, 14)),
        (2023, date(2023, 7, 14)),
        (2021, date(2023, 7, 14)),
        (None, date(2024, 12, 31)),
    )
    for community in (None, "社区0003")
]


@pytest.mark.parametrize(("year", "as_of", "community"), CASES)
def test_person_times_and_its_rows_match_attendance(city, year, as_of, community):
    rows = careful(city, year, as_of, community)
    assert len(rows) > 0
    args = {"year": year, "as_of": as_of, "community": community}
    figures = metrics.figures(city, **args).set_index("code")
    assert figures.at["person_times", "value"] == len(rows)  # whole months + the part-month up to as_of
    assert metrics.count_records(city, "person_times", part=1, **args) == len(rows)
    for limit in (1, 37, 500):
        first = metrics.records(city, "person_times", part=1, limit=limit, **args)
        expected = rows.drop(columns="_batch_id").head(limit).reset_index(drop=True)
        assert first.astype(str).values.tolist() == expected.astype(str).values.tolist()
    sessions = metrics.records(city, "person_times", part=0, **args)
    assert sessions["person_times"].dtype == "int64"
    per_session = rows.groupby("session_id").size()
    assert dict(zip(sessions["session_id"], sessions["person_times"], strict=True)) == {
        s: per_session.get(s, 0) for s in sessions["session_id"]
    }
    sources = metrics.sources(city, "person_times", **args).set_index("batch_id")["rows"]
    period = metrics.Period.of(year, as_of)
    session_batches = city.execute(
        f"SELECT _batch_id FROM ({metrics.RECORDS['person_times'][0].sql})",
        {"start": period.start, "end": period.end, "community": community},
    ).df()["_batch_id"]
    expected = rows["_batch_id"].dropna().value_counts().add(session_batches.dropna().value_counts(), fill_value=0)
    assert sources.to_dict() == expected.astype(int).to_dict()


@pytest.mark.parametrize("year", [None, 2019])
def test_the_ledger_through_arrow_is_the_frame_duckdb_makes(city, year):
    import pandas as pd

    import queries

    fast = queries.fund_ledger(city, year=year)
    span = queries.period(city, year=year)
    sql = (
        queries._LEDGER
        + """
        SELECT date, entry, ref, donor, donor_type, project_id, project, community, purpose, category,
               income::DOUBLE AS income, spending::DOUBLE AS spending, balance::DOUBLE AS balance
        FROM running WHERE date >= $start::DATE ORDER BY date, o, ref
    """
    )
    careful = city.execute(sql, {"start": span.start, "end": span.end}).df()
    assert len(fast) > 0
    pd.testing.assert_frame_equal(fast, careful)


def test_an_empty_ledger_has_the_same_columns_and_types(tmp_path):
    import queries
    from etl import db

    con = db.connect(tmp_path / "empty.duckdb")
    frame = queries.fund_ledger(con)
    assert frame.empty and frame.dtypes["date"] == "datetime64[us]" and frame.dtypes["balance"] == "float64"
    con.close()


@pytest.mark.parametrize("day", [date(2023, 7, 14), date(2020, 2, 29)])
def test_the_decks_person_times_by_month_and_sources_match_attendance(city, day):
    import queries

    year = day.year
    frame = queries.training_by_month(city, year=year, as_of=day)
    careful = city.execute(
        """
        SELECT date_trunc('month', s.date)::DATE AS month, count(*) AS n, list(DISTINCT a._batch_id) AS batches
        FROM attendance a JOIN training_sessions s USING (session_id)
        WHERE s.date <= $day AND year(s.date) = $year GROUP BY ALL ORDER BY month
        """,
        {"day": day, "year": year},
    ).fetchall()
    assert frame["person_times"].dtype == "int64" and frame["person_times"].sum() > 0
    assert {m.date(): n for m, n in zip(frame["month"], frame["person_times"], strict=True) if n} == {
        m: n for m, n, _ in careful
    }
    training = queries.topic_sources(city, year=year, as_of=day)
    attended = {b for _, _, batches in careful for b in batches if b}
    assert attended and attended <= set(training.loc[training["topic"] == "training", "batch_id"])
