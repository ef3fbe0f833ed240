"""Metric queries: plain functions f(con, *, year=None, community=None, ...) -> DataFrame, the one place SQL lives.

Filters:
- `year` selects records dated in that year (projects: completed ones by completion year, open ones by start
  year on or before it); None means all data.
- `community` filters projects.community, workers.community (coverage and attendance by the worker's community)
  and disbursements.community. Donations carry no community, so fund raised is always town-wide.

The app opens on `default_year` (the as-of year, or the year before during the first quarter, when last year's
final figures are what gets reported). With "all years" (year=None) KPIs have no targets (targets are annual and
all-data totals span years) and no change against a previous period (all data has none).
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pandas as pd

import declared
import metrics
import notes as notes_module

Con = duckdb.DuckDBPyConnection

STALLED_DAYS = 180  # an in-progress project older than this (since its start) needs attention
COVERAGE_ALERT = 0.9  # communities below this coverage need attention when no coverage target exists
BALANCE_MONTHS_ALERT = 3.0  # the fund balance needs attention when it covers fewer months of recent spending

PROJECT_DIMENSIONS = ("program", "theme", "level", "community")
COVERAGE_DIMENSIONS = ("community", "role")
SPENDING_DIMENSIONS = ("category", "community", "project")
GROUPINGS = {  # the `by` values each grouping function accepts
    "projects_by": PROJECT_DIMENSIONS,
    "coverage_by": COVERAGE_DIMENSIONS,
    "spending_by": SPENDING_DIMENSIONS,
    "voices_by": ("community", "category"),
}

_PARAM = re.compile(r"\$(\w+)")


def _df(con: Con, sql: str, **params: object) -> pd.DataFrame:
    """Run `sql` with the $params it names (DuckDB refuses unused ones)."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in params.items() if k in used}).df()


def _df_large(con: Con, sql: str, **params: object) -> pd.DataFrame:
    """`_df` for results of many rows: through Arrow, which makes the frame about twice as fast as `.df()` (the
    same frame: dates as datetime64[us], text as str)."""
    used = set(_PARAM.findall(sql))
    table = con.sql(sql, params={k: v for k, v in params.items() if k in used}).to_arrow_table()
    frame = table.to_pandas(date_as_object=False)
    for column in frame.columns[frame.dtypes == "datetime64[ms]"]:
        frame[column] = frame[column].astype("datetime64[us]")
    return frame


def _one(con: Con, sql: str, **params: object) -> dict:
    frame = _df(con, sql, **params)
    return frame.iloc[0].to_dict()


def _check(by: str, allowed: tuple[str, ...]) -> str:
    if by not in allowed:
        raise ValueError(f"cannot group by {by!r}; choose one of {allowed}")
    return by


# --- shared filter fragments (constants, never user input)
_YEAR = "($year::INTEGER IS NULL OR year({col}) = $year::INTEGER)"
_COMMUNITY = "($community::VARCHAR IS NULL OR {col} = $community::VARCHAR)"
_PROJECTS_IN_SCOPE = f"""
    SELECT * FROM projects p
    WHERE {_COMMUNITY.format(col="p.community")}
      AND ($year::INTEGER IS NULL
           OR (p.status = 'completed' AND year(p.completed_date) = $year::INTEGER)
           OR (p.status <> 'completed' AND coalesce(year(p.start_date), $year::INTEGER) <= $year::INTEGER))
"""
# The roster of a period (metrics.py, "roster"): active, joined by the period's last day ($end).
_ROSTER = f"""
    SELECT * FROM workers w
    WHERE coalesce(w.active, TRUE) AND (w.joined_date IS NULL OR w.joined_date <= $end::DATE)
      AND {_COMMUNITY.format(col="w.community")}
"""
# Training figures read the derived tables that etl/derived.sql rebuilds with every import: a worker's
# attendance per year, person-times per month x format x community, and which communities attended a session.
_TRAINED = """
    SELECT DISTINCT t.worker_id FROM training_worker_year t
    WHERE ($year::INTEGER IS NULL OR t.year = $year::INTEGER) AND t.first_date <= $end::DATE
"""
_ROLLUP = f"""
    SELECT * FROM training_rollup r WHERE {_YEAR.format(col="r.month")} AND {_COMMUNITY.format(col="r.community")}
"""
# Sessions held in the period; with a community filter, those attended by at least one of its workers.
_SESSIONS = f"""
    SELECT s.* FROM training_sessions s
    WHERE {_YEAR.format(col="s.date")}
      AND ($community::VARCHAR IS NULL OR s.session_id IN (
            SELECT session_id FROM session_communities WHERE community = $community::VARCHAR))
"""
_DISBURSEMENTS = f"""
    SELECT * FROM disbursements d WHERE {_YEAR.format(col="d.date")} AND {_COMMUNITY.format(col="d.community")}
"""
_DONATIONS = f"SELECT * FROM donations n WHERE {_YEAR.format(col='n.date')}"


# --- choices for the filters


def years(con: Con) -> pd.DataFrame:
    """Every year that has dated records or targets, newest first."""
    return _df(
        con,
        """
        SELECT DISTINCT y AS year FROM (
            SELECT year(date) AS y FROM training_sessions UNION ALL SELECT year(date) FROM donations
            UNION ALL SELECT year(date) FROM disbursements UNION ALL SELECT year(completed_date) FROM projects
            UNION ALL SELECT year(start_date) FROM projects UNION ALL SELECT year FROM targets)
        WHERE y IS NOT NULL ORDER BY year DESC
        """,
    )


def communities(con: Con) -> pd.DataFrame:
    """Every community named by a project, a worker or a disbursement, sorted."""
    return _df(
        con,
        """
        SELECT DISTINCT community FROM (
            SELECT community FROM projects UNION ALL SELECT community FROM workers
            UNION ALL SELECT community FROM disbursements)
        WHERE community IS NOT NULL ORDER BY community
        """,
    )


def as_of(con: Con) -> pd.DataFrame:
    """The date the figures are as of: the 数据截至 declared by the most recent import that declared one (the
    `metadata` sheet, or the Data page), else the latest date recorded anywhere in the warehouse (today when it
    holds no dated record). Undoing that import brings the earlier declaration back. Columns: as_of, declared,
    latest."""
    frame = _df(
        con,
        """
        SELECT coalesce(
                   (SELECT m.as_of FROM metadata m JOIN import_batches b ON b.batch_id = m._batch_id
                    ORDER BY b.seq DESC LIMIT 1),
                   (SELECT max(as_of) FROM metadata)) AS declared,
               max(d) AS latest FROM (
            SELECT max(date) AS d FROM training_sessions UNION ALL SELECT max(date) FROM donations
            UNION ALL SELECT max(date) FROM disbursements UNION ALL SELECT max(completed_date) FROM projects
            UNION ALL SELECT max(start_date) FROM projects UNION ALL SELECT max(date) FROM meetings)
        """,
    )
    for column in ("declared", "latest"):
        frame[column] = [None if pd.isna(x) else pd.Timestamp(x).date() for x in frame[column]]
    row = frame.iloc[0]
    frame["as_of"] = [row["declared"] or row["latest"] or date.today()]
    return frame[["as_of", "declared", "latest"]]


def default_year(con: Con) -> pd.DataFrame:
    """The year the app opens on: the as-of year, but during its first quarter the year before (if it has data)."""
    day = as_of(con).iloc[0]["as_of"]
    frame = years(con)
    if day.month <= 3 and (frame["year"] == day.year - 1).any():
        return pd.DataFrame({"year": [day.year - 1]})
    return pd.DataFrame({"year": [day.year]})


def publication(con: Con) -> pd.DataFrame:
    """Who published the version this connection reads, and when (no row: the working data, a draft)."""
    held = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'publication'").fetchall()[0][0]
    if not held:
        return pd.DataFrame(columns=["version", "published_at", "published_by"])
    return _df(con, "SELECT version, published_at, published_by FROM publication")


def sample_only(con: Con) -> pd.DataFrame:
    """Whether the warehouse holds only the bundled sample data (one row: sample)."""
    from etl.bootstrap import is_sample_only

    return pd.DataFrame({"sample": [bool(is_sample_only(con))]})


def has_data(con: Con) -> pd.DataFrame:
    """Row counts of the tables the pages read (one row)."""
    return _df(
        con,
        """
        SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM workers) AS workers,
               (SELECT count(*) FROM training_sessions) AS sessions, (SELECT count(*) FROM attendance) AS attendance,
               (SELECT count(*) FROM mentorships) AS mentorships, (SELECT count(*) FROM donations) AS donations,
               (SELECT count(*) FROM disbursements) AS disbursements
        """,
    )


# --- headline metrics: every figure comes from the catalogue (metrics.py)


def period(con: Con, *, year: int | None = None, as_of: date | None = None) -> metrics.Period:
    """The period a year filter means on the data's as-of date (year-to-date while the year is not over)."""
    return metrics.Period.of(year, as_of or as_of_date(con))


def as_of_date(con: Con) -> date:
    return as_of(con).iloc[0]["as_of"]


def names(con: Con) -> pd.DataFrame:
    """The names the data declare (the town, its district, the fund, the town's programmes): one row, each the
    most recent import's that declared it (declared.read; declared.from_frame makes them a Names)."""
    return declared.read(con)


def kpis(con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None) -> pd.DataFrame:
    """One row per catalogue metric (column `metric` = its code): value, previous, target, expected, scope, …

    See metrics.figures: the period is `year` as of the data's as-of date, compared with the same dates a year
    before; a town-wide metric stays town-wide with a community selected (its `scope` says so).
    """
    frame = metrics.figures(con, year=year, as_of=as_of or as_of_date(con), community=community)
    return frame.rename(columns={"code": "metric"})


def headline(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The catalogue's values as one row, a column per metric code (for a page's totals)."""
    frame = kpis(con, year=year, community=community, as_of=as_of)
    return pd.DataFrame([dict(zip(frame["metric"], frame["value"], strict=True))])


def metric_rows(
    con: Con,
    *,
    code: str,
    year: int | None = None,
    community: str | None = None,
    part: int = 0,
    limit: int | None = None,
) -> pd.DataFrame:
    """The stored rows behind a catalogue figure for the period (metrics.records), the first `limit` of them."""
    return metrics.records(con, code, year=year, as_of=as_of_date(con), community=community, part=part, limit=limit)


def metric_row_count(
    con: Con, *, code: str, year: int | None = None, community: str | None = None, part: int = 0
) -> pd.DataFrame:
    """How many stored rows are behind a catalogue figure for the period (one row: rows)."""
    count = metrics.count_records(con, code, year=year, as_of=as_of_date(con), community=community, part=part)
    return pd.DataFrame({"rows": [count]})


def metric_sources(con: Con, *, code: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """The imports (batch, file) the rows behind a catalogue figure came from (metrics.sources)."""
    return metrics.sources(con, code, year=year, as_of=as_of_date(con), community=community)


def notes(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The notes (说明备注) that apply to the period of `year` as of the data's as-of date, for `community`."""
    span = period(con, year=year, as_of=as_of)
    return notes_module.in_period(con, start=span.start, end=span.end, community=community)


def targets(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """Targets of `year` (none for all years: targets are annual)."""
    return _df(con, "SELECT metric, year, target FROM targets WHERE year = $year::INTEGER ORDER BY metric", year=year)


def needs_attention(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """What leadership should look at: stalled or late projects, low-coverage communities, a low fund balance.

    Columns: issue (stalled | late | low_coverage | low_balance), subject, community, value, threshold.
    Dates are judged against the latest date in the warehouse (`as_of`), not today.
    """
    day = as_of(con).iloc[0]["as_of"]
    projects = _df(
        con,
        f"""
        SELECT CASE WHEN status = 'in_progress' THEN 'stalled' ELSE 'late' END AS issue,
               name AS subject, community, date_diff('day', start_date, $as_of::DATE)::DOUBLE AS value,
               CASE WHEN status = 'in_progress' THEN $stalled ELSE 0 END::DOUBLE AS threshold
        FROM ({_PROJECTS_IN_SCOPE})
        WHERE (status = 'in_progress' AND start_date <= $as_of::DATE - $stalled::INTEGER)
           OR (status = 'planned' AND start_date < $as_of::DATE)
        ORDER BY value DESC, subject
        """,
        year=year,
        community=community,
        as_of=day,
        stalled=STALLED_DAYS,
    )
    goal = targets(con, year=year).set_index("metric")
    limit = float(goal.at["training_coverage", "target"]) if "training_coverage" in goal.index else COVERAGE_ALERT
    # A year that is not over is judged against the pace its full-year target expects by now, as on the tiles,
    # and only once its first quarter has passed (metrics.Period.judged, the one rule of every page): training
    # comes in sessions, so a month into a year a community with nobody trained yet is not behind.
    span = period(con, year=year, as_of=day)
    limit *= span.elapsed()
    low = coverage_by(con, by="community", year=year, community=community)
    low = low[low["coverage"] < limit - 1e-9] if span.judged else low.iloc[0:0]
    low = pd.DataFrame(
        {"issue": "low_coverage", "subject": low["community"], "community": low["community"], "value": low["coverage"]}
    ).assign(threshold=limit)
    balance = _one(
        con,
        """
        SELECT (SELECT coalesce(sum(amount_yuan), 0) FROM donations WHERE date <= $as_of::DATE)::DOUBLE
             - (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements WHERE date <= $as_of::DATE)::DOUBLE AS balance,
               (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements
                WHERE date > $as_of::DATE - 90 AND date <= $as_of::DATE)::DOUBLE / 3 AS monthly
        """,
        as_of=day,
    )
    rows = [projects, low]
    if balance["monthly"] > 0 and balance["balance"] / balance["monthly"] < BALANCE_MONTHS_ALERT:
        months = balance["balance"] / balance["monthly"]
        rows.append(
            pd.DataFrame(
                [{"issue": "low_balance", "subject": "", "community": None, "value": months,
                  "threshold": BALANCE_MONTHS_ALERT}]
            )
        )  # fmt: skip
    rows = [r for r in rows if not r.empty]
    if not rows:
        return pd.DataFrame(columns=["issue", "subject", "community", "value", "threshold"])
    return pd.concat(rows, ignore_index=True)


# --- projects


def projects_by(con: Con, *, by: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Projects per programme / theme / level / community, counted by status."""
    col = _check(by, PROJECT_DIMENSIONS)
    return _df(
        con,
        f"""
        SELECT {col} AS key, count(*) AS total,
               count(*) FILTER (WHERE status = 'completed') AS completed,
               count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE status = 'planned') AS planned,
               count(*) FILTER (WHERE status = 'cancelled') AS cancelled
        FROM ({_PROJECTS_IN_SCOPE}) GROUP BY ALL ORDER BY total DESC, key NULLS LAST
        """,
        year=year,
        community=community,
    )


_PROGRAM = "($program::VARCHAR IS NULL OR p.program = $program::VARCHAR)"


def project_statuses(
    con: Con, *, year: int | None = None, community: str | None = None, program: str | None = None
) -> pd.DataFrame:
    """Number of projects in each status (of one programme, given `program`)."""
    return _df(
        con,
        f"""
        SELECT status, count(*) AS projects FROM ({_PROJECTS_IN_SCOPE}) p WHERE {_PROGRAM}
        GROUP BY ALL ORDER BY projects DESC, status
        """,
        year=year,
        community=community,
        program=program,
    )


def completions_burnup(
    con: Con, *, year: int | None = None, community: str | None = None, program: str | None = None
) -> pd.DataFrame:
    """Completions per month and their running total (a burn-up), of one programme given `program`: a programme's
    burn-up is the one its target measures (metrics.COMPLETED)."""
    return _df(
        con,
        f"""
        SELECT month, completed, sum(completed) OVER (ORDER BY month) AS cumulative FROM (
            SELECT date_trunc('month', completed_date)::DATE AS month, count(*) AS completed
            FROM projects p
            WHERE status = 'completed' AND completed_date IS NOT NULL
              AND {_YEAR.format(col="p.completed_date")} AND {_COMMUNITY.format(col="p.community")} AND {_PROGRAM}
            GROUP BY ALL)
        ORDER BY month
        """,
        year=year,
        community=community,
        program=program,
    )


def project_list(
    con: Con, *, year: int | None = None, community: str | None = None, search: str | None = None
) -> pd.DataFrame:
    """Every project in scope (whose ID, name, theme or community contains `search`), newest first."""
    return _df(
        con,
        f"""
        SELECT project_id, name, program, theme, level, community, status, start_date, completed_date,
               budget_yuan::DOUBLE AS budget_yuan, residents_involved, resident_proposed
        FROM ({_PROJECTS_IN_SCOPE})
        WHERE $search::VARCHAR IS NULL
           OR contains(lower(concat_ws(' ', project_id, name, theme, community)), lower($search::VARCHAR))
        ORDER BY coalesce(completed_date, start_date) DESC NULLS LAST, project_id
        """,
        year=year,
        community=community,
        search=search or None,
    )


# --- training


def coverage_by(con: Con, *, by: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Coverage per community or role: roster, trained, coverage."""
    col = _check(by, COVERAGE_DIMENSIONS)
    return _df(
        con,
        f"""
        WITH trained AS ({_TRAINED})
        SELECT w.{col} AS {col}, count(*) AS roster, count(t.worker_id) AS trained,
               count(t.worker_id) / count(*) AS coverage
        FROM ({_ROSTER}) w LEFT JOIN trained t USING (worker_id)
        GROUP BY ALL ORDER BY coverage, {col}
        """,
        year=year,
        community=community,
        end=period(con, year=year).end,
    )


def training_by_month(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Sessions, hours and person-times per month."""
    return _df(
        con,
        f"""
        WITH s AS (SELECT date_trunc('month', date)::DATE AS month, count(*) AS sessions, sum(hours) AS hours
                   FROM ({_SESSIONS}) GROUP BY ALL),
             a AS (SELECT month, sum(person_times) AS person_times FROM ({_ROLLUP}) GROUP BY ALL)
        SELECT month, coalesce(sessions, 0) AS sessions, coalesce(hours, 0) AS hours,
               coalesce(person_times, 0) AS person_times
        FROM s FULL JOIN a USING (month) ORDER BY month
        """,
        year=year,
        community=community,
    )


def format_mix(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Sessions, hours and person-times per training format."""
    return _df(
        con,
        f"""
        WITH s AS (SELECT format, count(*) AS sessions, sum(hours) AS hours FROM ({_SESSIONS}) GROUP BY ALL),
             a AS (SELECT format, sum(person_times) AS person_times FROM ({_ROLLUP}) GROUP BY ALL)
        SELECT s.format, sessions, hours, coalesce(person_times, 0) AS person_times
        FROM s LEFT JOIN a ON s.format IS NOT DISTINCT FROM a.format ORDER BY hours DESC, s.format NULLS LAST
        """,
        year=year,
        community=community,
    )


def untrained_workers(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Active workers on the roster with no attendance in the period."""
    return _df(
        con,
        f"""
        SELECT worker_id, name, community, role, joined_date FROM ({_ROSTER}) w
        WHERE worker_id NOT IN ({_TRAINED})
        ORDER BY community, role, worker_id
        """,
        year=year,
        community=community,
        end=period(con, year=year).end,
    )


_MENTORING = f"""
    SELECT m.mentor_id, r.name AS mentor, m.mentee_id, e.name AS mentee, e.community,
           m.start_date, coalesce(m.activities_done, 0) AS activities_done,
           coalesce(m.activities_done, 0) / {metrics.ACTIVITIES_PER_PAIR} AS progress
    FROM mentorships m JOIN workers r ON r.worker_id = m.mentor_id JOIN workers e ON e.worker_id = m.mentee_id
    WHERE ($year::INTEGER IS NULL OR m.start_date IS NULL OR year(m.start_date) <= $year::INTEGER)
      AND ($community::VARCHAR IS NULL OR e.community = $community::VARCHAR OR r.community = $community::VARCHAR)
    ORDER BY mentor, activities_done DESC, mentee
"""


def mentoring_pairs(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Mentor-mentee pairs (started by the end of the year) with progress through the ten activities."""
    return _df(
        con,
        _MENTORING,
        year=year,
        community=community,
    )


def mentoring_summary(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Mentors, mentees, pairs, pairs that finished all ten activities, average activities done."""
    return _df(
        con,
        f"""
        SELECT count(DISTINCT mentor_id) AS mentors, count(DISTINCT mentee_id) AS mentees, count(*) AS pairs,
               count(*) FILTER (WHERE activities_done >= {metrics.ACTIVITIES_PER_PAIR}) AS finished, avg(activities_done) AS average
        FROM ({_MENTORING})
        """,
        year=year,
        community=community,
    )


# --- fund


def fund_monthly(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Per month: raised, used and the cumulative raised, used and balance since the fund began.

    With a year, only that year's months are returned, but the running totals still start at the beginning.
    With a community, used is that community's spending; raised and balance stay town-wide.
    """
    return _df(
        con,
        f"""
        WITH r AS (SELECT date_trunc('month', date)::DATE AS month, sum(amount_yuan)::DOUBLE AS raised
                   FROM donations GROUP BY ALL),
             u AS (SELECT date_trunc('month', date)::DATE AS month,
                          (sum(amount_yuan) FILTER (WHERE {_COMMUNITY.format(col="d.community")}))::DOUBLE AS used,
                          sum(amount_yuan)::DOUBLE AS used_town
                   FROM disbursements d GROUP BY ALL),
             m AS (SELECT month, coalesce(raised, 0) AS raised, coalesce(used, 0) AS used,
                          coalesce(used_town, 0) AS used_town
                   FROM r FULL JOIN u USING (month)),
             c AS (SELECT month, raised, used, sum(raised) OVER w AS raised_cum, sum(used) OVER w AS used_cum,
                          sum(used_town) OVER w AS used_town_cum
                   FROM m WINDOW w AS (ORDER BY month))
        SELECT month, raised, used, raised_cum, used_cum, raised_cum - used_town_cum AS balance FROM c
        WHERE {_YEAR.format(col="month")} ORDER BY month
        """,
        year=year,
        community=community,
    )


def donations_by_quarter(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """Donations per quarter: quarter label (2023 Q3), amount, number of donations."""
    return _df(
        con,
        f"""
        SELECT year(date) || ' Q' || quarter(date) AS quarter, sum(amount_yuan)::DOUBLE AS amount,
               count(*) AS donations
        FROM ({_DONATIONS}) GROUP BY ALL ORDER BY quarter
        """,
        year=year,
    )


def donors_by_type(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """Donations per donor type: amount, donations, distinct donors."""
    return _df(
        con,
        f"""
        SELECT donor_type, sum(amount_yuan)::DOUBLE AS amount, count(*) AS donations,
               count(DISTINCT donor) AS donors
        FROM ({_DONATIONS}) GROUP BY ALL ORDER BY amount DESC, donor_type NULLS LAST
        """,
        year=year,
    )


_SPENDING_KEYS = {
    "category": ("d.category", "d.category"),
    "community": ("d.community", "d.community"),
    "project": ("d.project_id", "coalesce(p.name, d.project_id)"),
}


def spending_by(con: Con, *, by: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Disbursements per category / community / project: key, label, amount, disbursements."""
    key, label = _SPENDING_KEYS[_check(by, SPENDING_DIMENSIONS)]
    return _df(
        con,
        f"""
        SELECT {key} AS key, {label} AS label, sum(d.amount_yuan)::DOUBLE AS amount, count(*) AS disbursements
        FROM ({_DISBURSEMENTS}) d LEFT JOIN projects p ON p.project_id = d.project_id
        GROUP BY ALL ORDER BY amount DESC, key NULLS LAST
        """,
        year=year,
        community=community,
    )


def fund_flows(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Flows from donor types to spending categories (and the unspent balance) for a Sankey diagram.

    Money is not earmarked, so each category's spending is allocated to donor types in proportion to their
    share of the money raised; the rest of each donor type's money flows to `balance` (target = NULL).
    With a community, only its spending is drawn (the unspent balance belongs to the whole town).
    """
    return _df(
        con,
        f"""
        WITH r AS (SELECT donor_type, sum(amount_yuan)::DOUBLE AS raised FROM ({_DONATIONS}) GROUP BY ALL),
             u AS (SELECT category, sum(amount_yuan)::DOUBLE AS used FROM ({_DISBURSEMENTS}) GROUP BY ALL),
             t AS (SELECT sum(raised) AS raised FROM r), s AS (SELECT coalesce(sum(used), 0) AS used FROM u),
             flows AS (
                SELECT r.donor_type AS source, u.category AS target, FALSE AS is_balance,
                       u.used * r.raised / t.raised AS amount
                FROM r CROSS JOIN u CROSS JOIN t
                UNION ALL
                SELECT r.donor_type, NULL, TRUE, greatest(t.raised - s.used, 0) * r.raised / t.raised
                FROM r CROSS JOIN t CROSS JOIN s)
        SELECT source, target, is_balance, amount FROM flows
        WHERE amount > 0 AND NOT (is_balance AND $community::VARCHAR IS NOT NULL)
        ORDER BY is_balance, amount DESC
        """,
        year=year,
        community=community,
    )


# The fund's public ledger (基金公示): every donation and disbursement up to the as-of date, oldest first, with the
# balance after each. On one day donations come before spending, then by id, so the balance is never drawn below
# what the day ends with. Sums are DECIMAL (exact to the fen) until the frame is made.
_LEDGER = """
    WITH entries AS (
        SELECT date, 'donation' AS entry, 0 AS o, donation_id AS ref, donor, donor_type, NULL::VARCHAR AS project_id,
               NULL::VARCHAR AS project, NULL::VARCHAR AS community, NULL::VARCHAR AS purpose,
               NULL::VARCHAR AS category, amount_yuan AS income, NULL::DECIMAL(18, 2) AS spending
        FROM donations WHERE date <= $end::DATE
        UNION ALL
        SELECT d.date, 'disbursement', 1, d.disbursement_id, NULL, NULL, d.project_id, p.name, d.community, d.purpose,
               d.category, NULL, d.amount_yuan
        FROM disbursements d LEFT JOIN projects p ON p.project_id = d.project_id WHERE d.date <= $end::DATE),
    running AS (
        SELECT *, sum(coalesce(income, 0) - coalesce(spending, 0))
                      OVER (ORDER BY date, o, ref ROWS UNBOUNDED PRECEDING) AS balance
        FROM entries)
"""


def fund_ledger(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """The fund's entries in the period a year filter means (metrics.Period: the catalogue's own), oldest first:
    date, entry (donation | disbursement), ref, donor, donor_type, project_id, project, community, purpose,
    category, income, spending, balance (since the fund began, after this entry). Donors as stored: mask them
    before showing (presenter.ledger)."""
    span = period(con, year=year)
    return _df_large(
        con,
        _LEDGER
        + """
        SELECT date, entry, ref, donor, donor_type, project_id, project, community, purpose, category,
               income::DOUBLE AS income, spending::DOUBLE AS spending, balance::DOUBLE AS balance
        FROM running WHERE date >= $start::DATE ORDER BY date, o, ref
        """,
        start=span.start,
        end=span.end,
    )


def fund_opening(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """The balance brought into the period (everything raised less everything used before its first day; 0 for
    all years) and the period's start and end (one row: opening, start, end)."""
    span = period(con, year=year)
    frame = _df(
        con,
        """
        SELECT ((SELECT coalesce(sum(amount_yuan), 0) FROM donations WHERE date < $start::DATE)
              - (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements WHERE date < $start::DATE))::DOUBLE
               AS opening
        """,
        start=span.start,
    )
    return frame.assign(start=[span.start if year is not None else None], end=[span.end])


# --- presenter: figures as they stood on an as-of date
#
# A forum deck is frozen to a day D: only records dated on or before D count (projects by completed_date,
# sessions and their attendance by the session's date, donations and disbursements by their date, the roster by
# joined_date, mentoring pairs by start_date). Figures are for the report year Y (`presenter_period`): D's year,
# or the year before while D is in its first quarter (the same rule as `default_year`), so a forum held in
# January 2024 shows 2023's results. Fields that hold only the latest state (a worker's `active` flag, a pair's
# `activities_done`) are taken as stored.

_DONE_BY = """
    SELECT * FROM projects p
    WHERE p.status = 'completed' AND p.completed_date <= $day::DATE AND year(p.completed_date) = $year::INTEGER
"""
_ROSTER_BY = """
    SELECT * FROM workers w WHERE coalesce(w.active, TRUE) AND (w.joined_date IS NULL OR w.joined_date <= $day::DATE)
"""
_SESSIONS_BY = "SELECT * FROM training_sessions s WHERE s.date <= $day::DATE AND year(s.date) = $year::INTEGER"
# Person-times of the sessions held by `day` in the report year, per session and batch (etl/derived.sql's
# session_attendance: attendance counted per session, so these figures never read attendance itself).
_ATTENDANCE_BY = """
    SELECT x.session_id, x.date, x._batch_id, x.person_times FROM session_attendance x
    WHERE x.date <= $day::DATE AND year(x.date) = $year::INTEGER
"""
# From the derived tables: who had attended by `day` (their first date that year), and person-times as the
# whole months before `day`'s month (monthly roll-up) plus the rows of that month's sessions up to `day`.
_TRAINED_BY = """
    SELECT worker_id FROM training_worker_year WHERE year = $year::INTEGER AND first_date <= $day::DATE
"""
_PAIRS_BY = "SELECT * FROM mentorships m WHERE m.start_date IS NULL OR m.start_date <= $day::DATE"


def presenter_period(con: Con, *, day: date | None = None) -> pd.DataFrame:
    """The deck's as-of day (default: the data's as-of date) and its report year (one row: day, year, latest =
    the latest day the deck may be frozen to: the data's as-of date)."""
    latest = as_of(con).iloc[0]["as_of"]
    day = day or latest
    known = set(years(con)["year"].astype(int))
    year = day.year - 1 if day.month <= 3 and day.year - 1 in known else day.year
    return pd.DataFrame({"day": [day], "year": [year], "latest": [latest]})


def presenter_themes(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """Group-governance projects completed in the report year by `day`, per theme."""
    return _df(
        con,
        f"""
        SELECT theme, count(*) AS completed FROM ({_DONE_BY}) WHERE program = 'group_governance'
        GROUP BY ALL ORDER BY completed DESC, theme NULLS LAST
        """,
        day=day,
        year=year,
    )


def presenter_levels(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """Beautiful Community projects completed in the report year by `day`, per recorded level (town, district,
    municipal): the chart of the slide that counts that programme's awards, so it shows no other programme."""
    return _df(
        con,
        f"""
        SELECT level, count(*) AS completed FROM ({_DONE_BY})
        WHERE program = 'beautiful_community' AND level IS NOT NULL
        GROUP BY level ORDER BY CASE level WHEN 'town' THEN 1 WHEN 'district' THEN 2 ELSE 3 END
        """,
        day=day,
        year=year,
    )


def presenter_completions(con: Con, *, day: date, year: int, program: str) -> pd.DataFrame:
    """Projects of `program` completed per month of the report year by `day`, and their running total."""
    return _df(
        con,
        f"""
        SELECT month, completed, sum(completed) OVER (ORDER BY month) AS cumulative FROM (
            SELECT date_trunc('month', completed_date)::DATE AS month, count(*) AS completed
            FROM ({_DONE_BY}) WHERE program = $program::VARCHAR GROUP BY ALL)
        ORDER BY month
        """,
        day=day,
        year=year,
        program=program,
    )


def presenter_coverage_by_role(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """Coverage per role: roster on `day`, trained in the report year by `day`."""
    return _df(
        con,
        f"""
        WITH trained AS ({_TRAINED_BY})
        SELECT w.role, count(*) AS roster, count(t.worker_id) AS trained, count(t.worker_id) / count(*) AS coverage
        FROM ({_ROSTER_BY}) w LEFT JOIN trained t USING (worker_id)
        GROUP BY w.role ORDER BY CASE w.role WHEN 'secretary' THEN 1 WHEN 'director' THEN 2 WHEN 'committee_member' THEN 3
                                          WHEN 'social_worker' THEN 4 WHEN 'reserve_cadre' THEN 5 ELSE 6 END, w.role
        """,
        day=day,
        year=year,
    )


def presenter_training_by_month(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """Sessions, hours and person-times per month of the report year, by `day`."""
    return _df(
        con,
        f"""
        WITH s AS (SELECT date_trunc('month', date)::DATE AS month, count(*) AS sessions, sum(hours) AS hours
                   FROM ({_SESSIONS_BY}) GROUP BY ALL),
             a AS (SELECT date_trunc('month', date)::DATE AS month, sum(person_times)::BIGINT AS person_times
                   FROM ({_ATTENDANCE_BY}) GROUP BY ALL)
        SELECT month, coalesce(sessions, 0) AS sessions, coalesce(hours, 0)::DOUBLE AS hours,
               coalesce(person_times, 0) AS person_times
        FROM s FULL JOIN a USING (month) ORDER BY month
        """,
        day=day,
        year=year,
    )


def presenter_mentors(con: Con, *, day: date) -> pd.DataFrame:
    """Per mentor with pairs started by `day`: name, mentees, activities done, planned (ten per pair) and the share done."""
    return _df(
        con,
        f"""
        SELECT m.mentor_id, r.name AS mentor, count(*) AS mentees,
               sum(coalesce(m.activities_done, 0))::BIGINT AS activities_done,
               {metrics.ACTIVITIES_PER_PAIR} * count(*) AS activities_planned,
               sum(coalesce(m.activities_done, 0)) / ({metrics.ACTIVITIES_PER_PAIR} * count(*)) AS share_done
        FROM ({_PAIRS_BY}) m JOIN workers r ON r.worker_id = m.mentor_id
        GROUP BY ALL ORDER BY mentees DESC, m.mentor_id
        """,
        day=day,
    )


def presenter_fund_by_month(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """Money raised and used per month of the report year, by `day`."""
    return _df(
        con,
        """
        WITH r AS (SELECT date_trunc('month', date)::DATE AS month, sum(amount_yuan)::DOUBLE AS raised FROM donations
                   WHERE date <= $day::DATE AND year(date) = $year::INTEGER GROUP BY ALL),
             u AS (SELECT date_trunc('month', date)::DATE AS month, sum(amount_yuan)::DOUBLE AS used FROM disbursements
                   WHERE date <= $day::DATE AND year(date) = $year::INTEGER GROUP BY ALL)
        SELECT month, coalesce(raised, 0) AS raised, coalesce(used, 0) AS used FROM r FULL JOIN u USING (month)
        ORDER BY month
        """,
        day=day,
        year=year,
    )


# Which stored rows each topic of the deck reads: (topic, rows as of $day in $year, with their _batch_id).
_PRESENTER_ROWS = (
    ("projects", _DONE_BY),
    (
        "meetings",
        "SELECT * FROM meetings WHERE type = 'promotion' AND date <= $day::DATE AND year(date) = $year::INTEGER",
    ),
    ("training", _ROSTER_BY),
    ("training", _SESSIONS_BY),
    ("training", _ATTENDANCE_BY),
    ("mentoring", _PAIRS_BY),
    ("mentoring", _ROSTER_BY),
    ("fund", "SELECT * FROM donations WHERE date <= $day::DATE"),
    ("fund", "SELECT * FROM disbursements WHERE date <= $day::DATE"),
    ("targets", "SELECT * FROM targets WHERE year = $year::INTEGER"),
    (
        "voices",
        "SELECT * FROM resident_voices WHERE collected_date <= $day::DATE AND year(collected_date) = $year::INTEGER",
    ),
)


def presenter_sources(con: Con, *, day: date, year: int) -> pd.DataFrame:
    """The imports each topic's figures come from: topic, batch_id, file_name (in import order).

    A stored row comes from the batch that inserted it or last changed it (its `_batch_id`).
    """
    union = " UNION ALL ".join(
        f"SELECT DISTINCT '{topic}' AS topic, r._batch_id AS batch_id FROM ({rows}) r"
        for topic, rows in _PRESENTER_ROWS
    )
    return _df(
        con,
        f"""
        SELECT DISTINCT u.topic, u.batch_id, b.file_name, b.seq FROM ({union}) u JOIN import_batches b USING (batch_id)
        ORDER BY u.topic, b.seq
        """,
        day=day,
        year=year,
    ).drop(columns="seq")


# --- residents' voices (民意到实事, issue 26): the page, the public page 居民提案进展 and the deck's slide
#
# A voice (resident_voices) is counted in the period it was collected in (collected_date), as a cohort: what became of
# the voices of 2023 — answered (answered_date by the period's end), became a project (linked to one), that project
# completed (its completed_date by the period's end). Open voices (none answered yet) are judged on the data's as-of
# date against the promise, like open projects: those collected in the chosen year or before.

VOICE_PROMISE_DAYS = 15  # days within which the town promises to answer a voice (a target row may set another)
VOICE_PROMISE_METRIC = "voice_promise_days"  # the targets row that sets the promise for a year, when the town does
VOICE_STAGES = ("collected", "answered", "project", "completed")  # the funnel, in order
VOICE_FIGURES = (*VOICE_STAGES, "in_time", "late", "open_late", "declined")  # what voices_rows can list
VOICE_DIMENSIONS = GROUPINGS["voices_by"]

# The voices of the period (collected in `year` by `end`; with a community, that community's), with what became of
# them by `end`: answered, days to the answer, the project and whether it was completed.
_VOICES = f"""
    SELECT v.*, v.answered_date IS NOT NULL AND v.answered_date <= $end::DATE AS answered,
           CASE WHEN v.answered_date <= $end::DATE THEN date_diff('day', v.collected_date, v.answered_date) END AS days,
           v.project_id IS NOT NULL AS became_project,
           p.name AS project, p.status AS project_status, p.start_date AS project_start,
           p.completed_date AS project_completed,
           coalesce(p.status = 'completed' AND p.completed_date <= $end::DATE, FALSE) AS completed
    FROM resident_voices v LEFT JOIN projects p ON p.project_id = v.project_id
    WHERE v.collected_date <= $end::DATE AND {_YEAR.format(col="v.collected_date")}
      AND {_COMMUNITY.format(col="v.community")}
"""
# Voices not answered on $now (the data's as-of date, or a deck's day), collected in the year or before, waiting
# longer than the promise.
_VOICES_OPEN_LATE = f"""
    SELECT v.*, date_diff('day', v.collected_date, $now::DATE) AS waiting
    FROM resident_voices v
    WHERE ((v.answered_date IS NULL AND v.status = 'received') OR v.answered_date > $now::DATE)
      AND v.collected_date <= $now::DATE
      AND ($year::INTEGER IS NULL OR year(v.collected_date) <= $year::INTEGER)
      AND {_COMMUNITY.format(col="v.community")}
      AND date_diff('day', v.collected_date, $now::DATE) > $promise::INTEGER
"""


def _voices_end(con: Con, year: int | None, day: date | None) -> date:
    """The last day the voices' figures count: `day` (a deck's as-of day) or the period's end on the as-of date."""
    return day or period(con, year=year).end


def voices_promise(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """The days within which a voice is to be answered (one row: days, set): the town's target for `year` when it set
    one (targets row VOICE_PROMISE_METRIC), else VOICE_PROMISE_DAYS."""
    found = _df(
        con,
        "SELECT target FROM targets WHERE metric = $metric AND year = $year::INTEGER",
        metric=VOICE_PROMISE_METRIC,
        year=year,
    )
    if len(found) and not pd.isna(found.iloc[0]["target"]):
        return pd.DataFrame({"days": [int(found.iloc[0]["target"])], "set": [True]})
    return pd.DataFrame({"days": [VOICE_PROMISE_DAYS], "set": [False]})


def _promise(con: Con, year: int | None) -> int:
    return int(voices_promise(con, year=year).iloc[0]["days"])


def voices_count(con: Con) -> pd.DataFrame:
    """How many voices the warehouse holds, whatever the filters (one row: voices)."""
    return _df(con, "SELECT count(*) AS voices FROM resident_voices")


def voices_funnel(
    con: Con, *, year: int | None = None, community: str | None = None, day: date | None = None
) -> pd.DataFrame:
    """The funnel of the period's voices: one row per stage (VOICE_STAGES: collected, answered, became a project,
    that project completed) with its voices; and the period's declined, answered within the promise and open ones
    past it as columns of every row (declined, in_time, open_late, promise). `day`: as of that day (the deck)."""
    end = _voices_end(con, year, day)
    promise = _promise(con, year)
    row = _one(
        con,
        f"""
        SELECT count(*) AS collected, count(*) FILTER (WHERE answered) AS answered,
               count(*) FILTER (WHERE became_project) AS project, count(*) FILTER (WHERE completed) AS completed,
               count(*) FILTER (WHERE status = 'declined') AS declined,
               count(*) FILTER (WHERE days <= $promise::INTEGER) AS in_time,
               (SELECT count(*) FROM ({_VOICES_OPEN_LATE})) AS open_late
        FROM ({_VOICES})
        """,
        year=year,
        community=community,
        end=end,
        now=day or as_of_date(con),
        promise=promise,
    )
    return pd.DataFrame(
        {
            "stage": list(VOICE_STAGES),
            "voices": [int(row[s] or 0) for s in VOICE_STAGES],
            "declined": int(row["declined"] or 0),
            "in_time": int(row["in_time"] or 0),
            "open_late": int(row["open_late"] or 0),
            "promise": promise,
        }
    )


def voices_answer_times(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Answered voices of the period per number of days from collection to answer: days, voices, within (the
    promise kept: days <= the promise)."""
    return _df(
        con,
        f"""
        SELECT days, count(*) AS voices, days <= $promise::INTEGER AS within
        FROM ({_VOICES}) WHERE answered GROUP BY ALL ORDER BY days
        """,
        year=year,
        community=community,
        end=_voices_end(con, year, None),
        promise=_promise(con, year),
    )


def voices_by(con: Con, *, by: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """The period's voices per community or category: key, collected, answered, in_time, project, completed,
    declined, answered_only (answered, neither a project nor declined), waiting (none of these yet), median_days (to
    the answer). project + declined + answered_only + waiting = collected."""
    col = _check(by, VOICE_DIMENSIONS)
    return _df(
        con,
        f"""
        SELECT {col} AS key, count(*) AS collected, count(*) FILTER (WHERE answered) AS answered,
               count(*) FILTER (WHERE days <= $promise::INTEGER) AS in_time,
               count(*) FILTER (WHERE became_project) AS project, count(*) FILTER (WHERE completed) AS completed,
               count(*) FILTER (WHERE status = 'declined') AS declined,
               count(*) FILTER (WHERE answered AND NOT became_project AND status <> 'declined') AS answered_only,
               count(*) FILTER (WHERE NOT answered AND NOT became_project AND status <> 'declined') AS waiting,
               median(days)::DOUBLE AS median_days
        FROM ({_VOICES}) GROUP BY ALL ORDER BY collected DESC, key NULLS LAST
        """,
        year=year,
        community=community,
        end=_voices_end(con, year, None),
        promise=_promise(con, year),
    )


def voices_open_past_promise(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Voices not answered by the as-of date that have waited longer than the promise, longest first: voice_id,
    collected_date, community, channel, category, summary, publishable, waiting (days), promise."""
    promise = _promise(con, year)
    return _df(
        con,
        f"""
        SELECT voice_id, collected_date, community, channel, category, summary, publishable, waiting,
               $promise::INTEGER AS promise
        FROM ({_VOICES_OPEN_LATE}) ORDER BY waiting DESC, voice_id
        """,
        year=year,
        community=community,
        now=as_of_date(con),
        promise=promise,
    )


def voices_rows(
    con: Con,
    *,
    figure: str,
    year: int | None = None,
    community: str | None = None,
    key: str | None = None,
    by: str = "category",
) -> pd.DataFrame:
    """The voices behind a figure of the page (VOICE_FIGURES: a funnel stage, answered within the promise or late,
    open past the promise, declined), of one community or category (`by`, `key`) when given: voice_id,
    collected_date, community, channel, category, summary, publishable, status, answered_date, days, resolved_date,
    project_id, project, project_status, decline_reason, satisfaction."""
    if figure not in VOICE_FIGURES:
        raise ValueError(f"no figure {figure!r}; choose one of {VOICE_FIGURES}")
    col = _check(by, VOICE_DIMENSIONS)
    promise = _promise(con, year)
    if figure == "open_late":
        rows = f"""
            SELECT *, NULL::BIGINT AS days, NULL::VARCHAR AS project, NULL::VARCHAR AS project_status
            FROM ({_VOICES_OPEN_LATE})"""
    else:
        where = {
            "collected": "TRUE",
            "answered": "answered",
            "project": "became_project",
            "completed": "completed",
            "in_time": "days <= $promise::INTEGER",
            "late": "days > $promise::INTEGER",
            "declined": "status = 'declined'",
        }[figure]
        rows = f"SELECT * FROM ({_VOICES}) WHERE {where}"
    return _df(
        con,
        f"""
        SELECT voice_id, collected_date, community, channel, category, summary, publishable, status, answered_date,
               days, resolved_date, project_id, project, project_status, decline_reason, satisfaction
        FROM ({rows}) r WHERE $key::VARCHAR IS NULL OR r.{col} = $key::VARCHAR
        ORDER BY collected_date DESC, voice_id
        """,
        year=year,
        community=community,
        end=_voices_end(con, year, None),
        now=as_of_date(con),
        promise=promise,
        key=key,
    )


def voices_public(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """The public page's voices (居民提案进展): every voice of the period that became a project, with the project's
    name, status and dates, and every declined voice with its reason; collected in `year` (None: all) by the as-of
    date, newest first. Summaries as stored with `publishable`: blank them unless it is true before showing them
    (presenter.proposals). No person is named in these columns."""
    return _df(
        con,
        f"""
        SELECT voice_id, collected_date, community, category, status, answered_date, resolved_date, summary,
               coalesce(publishable, FALSE) AS publishable, project_id, project, project_status, project_start,
               project_completed, decline_reason
        FROM ({_VOICES})
        WHERE became_project OR status = 'declined'
        ORDER BY collected_date DESC, voice_id
        """,
        year=year,
        community=None,
        end=_voices_end(con, year, None),
    )


def voices_statuses(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """The period's voices per status (received, answered, project, resolved, declined; those with none left out)."""
    return _df(
        con,
        f"""
        SELECT status, count(*) AS voices FROM ({_VOICES}) GROUP BY status
        ORDER BY CASE status WHEN 'received' THEN 1 WHEN 'answered' THEN 2 WHEN 'project' THEN 3
                             WHEN 'resolved' THEN 4 WHEN 'declined' THEN 5 ELSE 6 END, status
        """,
        year=year,
        community=community,
        end=_voices_end(con, year, None),
    )


def voices_years(con: Con) -> pd.DataFrame:
    """The years voices were collected in, newest first."""
    return _df(
        con,
        "SELECT DISTINCT year(collected_date) AS year FROM resident_voices WHERE collected_date IS NOT NULL "
        "ORDER BY year DESC",
    )
