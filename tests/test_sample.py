"""The reference workbooks reproduce every figure the town published, load cleanly, and never change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import queries
from etl import db
from etl.load import import_file
from etl.sample import SAMPLE_AS_OF, write_samples


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The samples written and loaded, in alphabetical order, into a fresh warehouse."""
    folder = tmp_path_factory.mktemp("sample")
    paths = sorted(write_samples(folder))
    con = db.connect(folder / "warehouse.duckdb")
    results = [import_file(con, p.read_bytes(), p.name, user="test") for p in paths]
    yield con, paths, results
    con.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_every_file_loads_without_errors(loaded):
    _, paths, results = loaded
    assert [p.name for p in paths] == [
        "01_名册与培训.xlsx",
        "02_项目.xlsx",
        "03_会议.xlsx",
        "04_基金.xlsx",
        "05_目标.xlsx",
    ]
    for result in results:
        assert result.status == "loaded", [e.as_dict() for e in result.errors]
        assert result.errors == []
        assert result.warnings == []


def test_group_governance(loaded):
    con, _, _ = loaded
    row = con.execute(
        "SELECT count(*), count(*) FILTER (status = 'completed'), count(DISTINCT theme) "
        "FROM projects WHERE program = 'group_governance'"
    ).fetchone()
    assert row == (50, 50, 6)
    assert one(con, "SELECT count(*) FROM meetings WHERE type = 'promotion'") == 12


def test_beautiful_community_levels(loaded):
    con, _, _ = loaded
    assert one(con, "SELECT count(*) FROM projects WHERE level IN ('district', 'municipal')") == 9
    assert one(con, "SELECT count(*) FROM projects WHERE level = 'municipal'") == 1
    assert one(con, "SELECT count(*) FROM projects WHERE level = 'district'") == 8


def test_micro_renewal(loaded):
    con, _, _ = loaded
    assert one(con, "SELECT count(*) FROM projects WHERE program = 'micro_renewal' AND status = 'completed'") == 185
    assert (
        one(
            con,
            "SELECT count(*) FROM projects "
            "WHERE program = 'micro_renewal' AND status = 'completed' AND resident_proposed",
        )
        == 185
    )
    assert one(con, "SELECT count(*) FROM projects WHERE status = 'completed' AND completed_date < start_date") == 0


def test_roster_and_training_2023(loaded):
    con, _, _ = loaded
    assert one(con, "SELECT count(*) FROM workers WHERE active") == 278
    assert one(con, "SELECT count(*) FROM workers") == 278
    roles = dict(con.execute("SELECT role, count(*) FROM workers GROUP BY role").fetchall())
    assert set(roles) == {"secretary", "director", "committee_member", "social_worker", "reserve_cadre"}
    assert roles["reserve_cadre"] >= 42
    assert roles["secretary"] >= 10
    assert 35 <= one(con, "SELECT count(DISTINCT community) FROM workers") <= 45
    hours = one(con, "SELECT sum(hours) FROM training_sessions WHERE year(date) = 2023")
    assert hours > 110
    assert hours == 112
    person_times = one(
        con, "SELECT count(*) FROM attendance JOIN training_sessions USING (session_id) WHERE year(date) = 2023"
    )
    assert person_times == 3165
    trained = one(
        con,
        "SELECT count(DISTINCT w.worker_id) FROM workers w JOIN attendance a USING (worker_id) "
        "JOIN training_sessions s USING (session_id) WHERE year(s.date) = 2023 AND w.active",
    )
    assert trained / 278 == 1.0


def test_mentoring(loaded):
    con, _, _ = loaded
    row = con.execute(
        "SELECT count(DISTINCT mentor_id), count(DISTINCT mentee_id), min(activities_done), max(activities_done) "
        "FROM mentorships"
    ).fetchone()
    assert row[:2] == (10, 42)
    assert row[2] >= 0
    assert row[3] <= 10
    roles = con.execute(
        "SELECT DISTINCT 'mentor', w.role FROM mentorships m JOIN workers w ON w.worker_id = m.mentor_id "
        "UNION SELECT DISTINCT 'mentee', w.role FROM mentorships m JOIN workers w ON w.worker_id = m.mentee_id"
    ).fetchall()
    assert sorted(roles) == [("mentee", "reserve_cadre"), ("mentor", "secretary")]


def test_fund(loaded):
    con, _, _ = loaded
    assert one(con, "SELECT sum(amount_yuan) FROM donations") == Decimal("650000")
    assert one(con, "SELECT sum(amount_yuan) FROM disbursements") == Decimal("330000")
    assert one(con, "SELECT min(date) FROM donations").strftime("%Y-%m") == "2023-08"
    assert one(con, "SELECT count(*) FROM donations WHERE donor = '匿名'") == 1
    assert one(con, "SELECT count(DISTINCT donor_type) FROM donations") >= 3
    assert one(con, "SELECT count(*) FROM disbursements WHERE project_id IS NOT NULL") > 0
    overdrawn = con.execute(
        """
        WITH days AS (SELECT date FROM donations UNION SELECT date FROM disbursements)
        SELECT d.date,
               (SELECT coalesce(sum(amount_yuan), 0) FROM donations WHERE date <= d.date) AS raised,
               (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements WHERE date <= d.date) AS used
        FROM days d
        """
    ).fetchall()
    assert overdrawn and all(used <= raised for _, raised, used in overdrawn)


def test_nothing_after_as_of(loaded):
    con, _, _ = loaded
    latest = one(
        con,
        "SELECT max(d) FROM (SELECT date AS d FROM training_sessions UNION ALL SELECT date FROM meetings "
        "UNION ALL SELECT date FROM donations UNION ALL SELECT date FROM disbursements "
        "UNION ALL SELECT start_date FROM projects UNION ALL SELECT completed_date FROM projects "
        "UNION ALL SELECT joined_date FROM workers UNION ALL SELECT start_date FROM mentorships)",
    )
    assert latest <= SAMPLE_AS_OF


def test_targets(loaded):
    con, _, _ = loaded
    targets = dict(con.execute("SELECT metric, target FROM targets WHERE year = 2023").fetchall())
    assert targets == {
        "projects_completed": 50,  # group governance: 50 projects in six themes
        "micro_renewal_completed": 180,
        "training_coverage": 1.0,
        "training_hours": 110,
        "person_times": 3000,
        "fund_raised": 600_000,
        "fund_used": 300_000,
    }


def test_parser_forms_survive(loaded):
    """Typed amounts and text dates in the samples come through as values, worker IDs as text."""
    con, _, _ = loaded
    assert one(con, "SELECT amount_yuan FROM donations WHERE donation_id = 'JZ2023-002'") == Decimal("65000")
    assert one(con, "SELECT amount_yuan FROM donations WHERE donation_id = 'JZ2023-006'") == Decimal("12000")
    assert one(con, "SELECT min(worker_id) FROM workers") == "YH0001"
    assert one(con, "SELECT count(*) FROM training_sessions WHERE date IS NULL") == 0


def test_reimport_is_unchanged(loaded):
    con, paths, _ = loaded
    batches = one(con, "SELECT count(*) FROM import_batches")
    again = [import_file(con, p.read_bytes(), p.name, user="test") for p in paths]
    assert [r.status for r in again] == ["unchanged"] * len(paths)
    assert one(con, "SELECT count(*) FROM import_batches") == batches


def test_deterministic(tmp_path):
    first = write_samples(tmp_path / "a")
    second = write_samples(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_the_sample_declares_its_as_of_date(loaded):
    con, _, _ = loaded
    day = queries.as_of(con).iloc[0]
    # the town's figures are as of 2024-01-31, though the last record is dated the 19th
    assert (day["as_of"], day["declared"], day["latest"]) == (date(2024, 1, 31), date(2024, 1, 31), date(2024, 1, 19))
