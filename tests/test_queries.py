"""Metric queries against a small hand-built warehouse whose right answers are known by hand."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from warehouses import ROWS

import metrics
import queries
from etl import derived
from etl.db import connect
from i18n import numbers
from presenter import export


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    con.execute(ROWS)
    derived.refresh(con)  # the loader does this with every import; these rows were written by hand
    yield con
    con.close()


@pytest.fixture
def empty(tmp_path):
    con = connect(tmp_path / "empty.duckdb")
    yield con
    con.close()


def kpi(frame: pd.DataFrame, metric: str) -> dict:
    return frame.set_index("metric").loc[metric].to_dict()


def value(con, code: str, **filters) -> float:
    return queries.headline(con, **filters).iloc[0][code]


def test_coverage_counts_active_workers_with_attendance_in_the_year(con):
    # Active roster: W1, W2, W3 (W4 is inactive). 2023: W1 and W3 attended; W4's attendance does not count.
    row = kpi(queries.kpis(con, year=2023), "training_coverage")
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert row["value"] == pytest.approx(2 / 3)
    assert value(con, "trained", year=2024) == 1  # only W2
    assert value(con, "training_coverage") == 1.0  # all years: W1, W2, W3
    east = kpi(queries.kpis(con, year=2023, community="东方"), "training_coverage")
    assert (east["numerator"], east["denominator"]) == (1, 2)


def test_training_hours_and_person_times(con):
    row = queries.headline(con, year=2023).iloc[0]
    assert (row["sessions"], row["training_hours"], row["person_times"]) == (2, 5.5, 4)  # W4's row counts
    west = queries.headline(con, year=2023, community="西方").iloc[0]
    assert (west["training_hours"], west["person_times"]) == (5.5, 2)  # S1 (W3) and S2 (W4)
    west_2024 = queries.headline(con, year=2024, community="西方").iloc[0]
    assert (west_2024["sessions"], west_2024["training_hours"], west_2024["person_times"]) == (0, 0, 0)


def test_projects_are_counted_per_programme_by_completion_date(con):
    assert value(con, "projects_completed") == 2  # group governance only: P1 and P5
    assert value(con, "projects_completed", year=2023) == 1
    assert value(con, "micro_renewal_completed", year=2023) == 1  # P2 (P3 is in progress)
    assert value(con, "projects_completed", year=2022, community="西方") == 0


def test_fund_raised_used_rate_balance_in_one_scope(con):
    row = queries.headline(con).iloc[0]
    assert (row["fund_raised"], row["fund_used"], row["balance"]) == (200000, 60000, 140000)
    assert row["usage_rate"] == pytest.approx(0.3)
    y2023 = queries.headline(con, year=2023).iloc[0]
    assert (y2023["fund_raised"], y2023["fund_used"], y2023["balance"]) == (150000, 50000, 100000)
    # Donations have no community: raised, usage rate and balance stay town-wide (and say so), used is the
    # community's; the rate is never the community's spending over the town's donations.
    west = queries.kpis(con, year=2023, community="西方").set_index("metric")
    assert west.loc[["fund_raised", "usage_rate", "balance"], "scope"].tolist() == ["town"] * 3
    assert west.at["fund_used", "scope"] == "community" and west.at["fund_used", "value"] == 30000
    assert (west.at["fund_raised", "value"], west.at["balance", "value"]) == (150000, 100000)
    assert west.at["usage_rate", "value"] == pytest.approx(50000 / 150000)
    assert west.at["balance", "value"] == west.at["fund_raised", "value"] - 50000  # raised - used, both town-wide


def test_kpis_targets_and_previous_year(con):
    frame = queries.kpis(con, year=2023)
    done = kpi(frame, "projects_completed")
    assert (done["value"], done["previous"], done["target"], done["target_year"]) == (1, 1, 3, 2023)
    coverage = kpi(frame, "training_coverage")
    assert (coverage["numerator"], coverage["denominator"], coverage["target"]) == (2, 3, 1.0)
    assert coverage["previous"] == pytest.approx(1 / 3)  # 2022: W1 of W1..W3
    assert kpi(frame, "person_times")["previous"] == 1
    assert pd.isna(kpi(frame, "fund_raised")["previous"])  # the fund had no records in 2022: no comparison
    assert pd.isna(kpi(frame, "person_times")["target"])
    everything = queries.kpis(con)
    assert everything["target"].isna().all() and everything["previous"].isna().all()


def test_a_january_hire_never_lowers_the_previous_year(con):
    con.execute(
        "INSERT INTO workers (worker_id, name, community, role, joined_date, active) "
        "VALUES ('W9', '新人', '东方', 'social_worker', '2024-01-10', TRUE)"
    )
    assert kpi(queries.kpis(con, year=2023), "training_coverage")["denominator"] == 3  # not on 2023's roster
    assert kpi(queries.kpis(con, year=2024), "training_coverage")["denominator"] == 4
    assert "W9" not in queries.untrained_workers(con, year=2023)["worker_id"].tolist()
    assert queries.coverage_by(con, by="community", year=2023).set_index("community").at["东方", "roster"] == 2


def test_a_year_that_is_not_over_is_year_to_date_with_its_pace(con):
    # As of 2024-01-20: 2024 is 20 days old; it is compared with 1-20 January 2023 and its targets are paced.
    con.execute(
        "INSERT INTO targets (metric, year, target) "
        "VALUES ('training_hours', 2024, 36.6), ('fund_raised', 2024, 366000)"
    )
    frame = queries.kpis(con, year=2024).set_index("metric")
    assert frame["partial"].all() and frame["end"].iloc[0] == date(2024, 1, 20)
    assert frame.at["training_hours", "value"] == 2 and frame.at["training_hours", "target"] == 36.6
    assert frame.at["training_hours", "expected"] == pytest.approx(36.6 * 20 / 366)  # 2 hours expected by now
    assert frame.at["fund_raised", "expected"] == pytest.approx(20_000)
    assert pd.isna(frame.at["person_times", "previous"])  # nothing held in 1-20 January 2023: no comparison
    frame_2023 = queries.kpis(con, year=2023).set_index("metric")
    assert not frame_2023["partial"].any() and (frame_2023["expected"].dropna() == frame_2023["target"].dropna()).all()
    # needs-attention: no coverage alarm 20 days into a year (judged against the pace after a quarter)
    assert "low_coverage" not in queries.needs_attention(con, year=2024)["issue"].tolist()
    assert "low_coverage" in queries.needs_attention(con, year=2023)["issue"].tolist()  # a whole year at 2/3


def test_the_same_dates_of_the_year_before():
    leap = metrics.Period.of(2024, date(2024, 2, 29))
    assert leap.year_before() == metrics.Period(date(2023, 1, 1), date(2023, 2, 28), 2023, True)
    assert metrics.Period.of(2023, date(2024, 1, 31)) == metrics.Period(
        date(2023, 1, 1), date(2023, 12, 31), 2023, False
    )
    assert metrics.Period.of(None, date(2024, 1, 31)).year_before() is None


def test_default_year_is_last_year_during_the_first_quarter(con):
    assert queries.as_of(con).iloc[0]["as_of"] == date(2024, 1, 20)
    assert queries.default_year(con).iloc[0]["year"] == 2023
    con.execute(
        "INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan, channel) "
        "VALUES ('D9', '2024-05-01', NULL, NULL, 1, NULL)"
    )
    assert queries.default_year(con).iloc[0]["year"] == 2024


def test_needs_attention(con):
    frame = queries.needs_attention(con, year=2023)
    issues = {(r["issue"], r["subject"]): r["value"] for r in frame.to_dict("records")}
    # As of 2024-01-20: P3 in progress since 2023-03-01 (325 days); P4 planned for 2023-12-01 (50 days late);
    # 东方 coverage 1/2 below the 100 % target.
    assert issues == {("stalled", "花园"): 325, ("late", "图书角"): 50, ("low_coverage", "东方"): 0.5}
    # Balance 140,000; 30,000 spent in the 90 days to 2024-01-20 (X2, X3: 10,000 a month): 14 months, healthy.
    assert "low_balance" not in set(frame["issue"])
    con.execute(
        "INSERT INTO disbursements (disbursement_id, date, amount_yuan, purpose, category, project_id, community, "
        "approved_at) "
        "VALUES ('X9', '2024-01-15', 120000, '大修', 'other', NULL, NULL, NULL)"
    )
    low = queries.needs_attention(con, year=2023).set_index("issue").loc["low_balance"]
    assert low["value"] == pytest.approx(20000 / (150000 / 3))  # 0.4 months left


def test_project_breakdowns(con):
    by_program = queries.projects_by(con, by="program", year=2023).set_index("key")
    assert by_program.loc["micro_renewal", ["total", "completed", "in_progress"]].tolist() == [2, 1, 1]
    assert "group_governance" in by_program.index and by_program.loc["group_governance", "total"] == 1  # P5 is 2022
    assert dict(queries.project_statuses(con).values.tolist()) == {"completed": 3, "in_progress": 1, "planned": 1}
    burnup = queries.completions_burnup(con)
    assert burnup["cumulative"].tolist() == [1, 2, 3]
    assert queries.project_list(con, search="电梯")["project_id"].tolist() == ["P2"]
    assert queries.project_list(con, search="100%").empty  # search text is not a LIKE pattern
    with pytest.raises(ValueError):
        queries.projects_by(con, by="name; DROP TABLE projects")


def test_training_breakdowns(con):
    role = queries.coverage_by(con, by="role", year=2023).set_index("role")
    assert role.loc["reserve_cadre", "coverage"] == 0 and role.loc["secretary", "coverage"] == 1
    month = queries.training_by_month(con, year=2023)
    assert month[["hours", "person_times"]].values.tolist() == [[2.5, 2], [3.0, 2]]
    mix = queries.format_mix(con, year=2023).set_index("format")
    assert mix.loc["lecture", "person_times"] == 2 and mix.loc["field_visit", "hours"] == 3
    assert queries.untrained_workers(con, year=2023)["worker_id"].tolist() == ["W2"]
    assert queries.mentoring_pairs(con, year=2023)["mentee_id"].tolist() == ["W2"]  # W3-W4 started in 2024
    summary = queries.mentoring_summary(con).iloc[0]
    assert (summary["mentors"], summary["mentees"], summary["finished"], summary["average"]) == (2, 2, 1, 8.5)


def test_fund_breakdowns(con):
    monthly = queries.fund_monthly(con, year=2024)
    # Running totals start at the beginning of the fund, not of the year.
    assert monthly[["raised_cum", "used_cum", "balance"]].values.tolist() == [[200000, 60000, 140000]]
    assert queries.donations_by_quarter(con)["quarter"].tolist() == ["2023 Q3", "2023 Q4", "2024 Q1"]
    assert queries.donors_by_type(con, year=2023)["amount"].tolist() == [100000, 50000]
    by_project = queries.spending_by(con, by="project")
    assert by_project.iloc[0][["label", "amount"]].tolist() == ["加装电梯", 30000]
    flows = queries.fund_flows(con, year=2023)
    # 150,000 raised (2/3 enterprise), 30,000 elderly: 20,000 of it allocated to enterprise; 100,000 unspent.
    spent = flows[~flows["is_balance"]].set_index(["source", "target"])["amount"]
    assert spent[("enterprise", "elderly")] == pytest.approx(20000)
    assert flows["amount"].sum() == pytest.approx(150000)
    assert flows.loc[flows["is_balance"], "amount"].sum() == pytest.approx(100000)


def test_empty_warehouse_returns_empty_or_zero(empty):
    assert queries.years(empty).empty and queries.communities(empty).empty
    assert kpi(queries.kpis(empty), "training_coverage")["denominator"] == 0
    assert queries.kpis(empty)["value"].fillna(0).sum() == 0
    assert queries.needs_attention(empty).empty
    for fn in (queries.fund_monthly, queries.fund_flows, queries.completions_burnup, queries.training_by_month):
        assert fn(empty).empty


def test_number_formats():
    assert numbers.number(3165) == "3,165"
    assert numbers.number(112.5, 1) == "112.5" and numbers.number(112.0, 1) == "112"
    assert numbers.yuan(650000, "en") == "¥650,000" and numbers.yuan(650000, "zh") == "¥65万"
    assert numbers.yuan(12500, "zh") == "¥1.25万" and numbers.yuan(9800, "zh") == "¥9,800"
    assert numbers.percent(330000 / 650000) == "50.8%" and numbers.percent(None) == "—"


def test_exports_neutralise_formula_cells():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "ok"], "n": [-1, 2, 3, 4, 5]})
    safe = export.neutralise(frame)
    assert safe["name"].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-x", "'@SUM(A1)", "ok"]
    assert safe["n"].tolist() == [-1, 2, 3, 4, 5]  # numbers stay numbers
    assert export.to_csv(frame).decode("utf-8-sig").splitlines()[1].startswith("'=cmd")
    cell = load_workbook(io.BytesIO(export.to_xlsx(frame))).active["A2"]
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"


def test_town_wide_targets_are_not_set_against_one_community(con):
    frame = queries.kpis(con, year=2023, community="东方").set_index("metric")
    assert pd.isna(frame.at["projects_completed", "target"]) and pd.isna(frame.at["training_hours", "target"])
    assert frame.at["training_coverage", "target"] == 1.0 and frame.at["fund_raised", "target"] == 200000


def test_fund_views_keep_the_balance_town_wide_for_one_community(con):
    west = queries.fund_monthly(con, year=2023, community="西方")
    # Used counts only 西方's 30,000; the balance is the town's: 150,000 raised - 50,000 spent by December.
    assert west["used_cum"].iloc[-1] == 30000 and west["balance"].iloc[-1] == 100000
    flows = queries.fund_flows(con, year=2023, community="西方")
    assert not flows["is_balance"].any() and flows["amount"].sum() == pytest.approx(30000)
