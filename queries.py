"""Figure queries: plain functions f(con, *, year=None, community=None, as_of=None, ...) -> DataFrame, the one
place SQL lives besides the catalogue (metrics.py), whose fragments they share.

Filters: every breakdown is of the catalogue's period (metrics.Period) and community, derived once from its
arguments: `year` (None: all years) as of `as_of` (default: the data's as-of date) runs from 1 January up to
min(31 December, as_of), and only records dated in it count (projects: those completed in it, and the open ones
started by the end of its year). `community` filters projects.community, workers.community (coverage and attendance
by the worker's community) and disbursements.community; donations carry no community, so fund raised is always
town-wide. The pages pass the reader's year and community; the Presenter's deck passes its report year and its
as-of day, so a slide's chart and a page's chart are one query.

The app and the deck open on `default_year` (metrics.report_year: the as-of year, or the year before during the
first quarter, when last year's final figures are what gets reported). With "all years" (year=None) KPIs have no
targets (targets are annual and all-data totals span years) and no change against a previous period.
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
VOICE_DIMENSIONS = ("community", "category", "channel")
COVERAGE_DIMENSIONS = ("community", "role")
SPENDING_DIMENSIONS = ("category", "community", "project")
GROUPINGS = {  # the `by` values each grouping function accepts
    "projects_by": PROJECT_DIMENSIONS,
    "coverage_by": COVERAGE_DIMENSIONS,
    "spending_by": SPENDING_DIMENSIONS,
    "voices_by": VOICE_DIMENSIONS,
    "voices_outcomes_by": VOICE_DIMENSIONS,
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


# --- a period's records: the catalogue's own fragments (metrics.py: the roster, who trained, sessions, person-times,
# mentoring pairs), with $start and $end the period a year filter means on the as-of date (metrics.Period) and
# $community the community (NULL: the town). Every breakdown below takes year, community and as_of and derives that
# period once (`_in_period`); the Presenter's deck reads the same functions, frozen to its day by `as_of`.
_COMMUNITY = metrics.COMMUNITY
_IN_PERIOD = metrics.IN_PERIOD
# A period's projects: those completed in it, and the open ones started by the end of its year (or undated).
_PROJECTS_IN_SCOPE = f"""
    SELECT * FROM projects p
    WHERE {_COMMUNITY.format(col="p.community")}
      AND (({metrics.DONE})
           OR (p.status <> 'completed'
               AND ($year::INTEGER IS NULL OR coalesce(year(p.start_date), $year::INTEGER) <= $year::INTEGER)))
"""
_ROSTER = f"SELECT * FROM workers w WHERE {metrics.ROSTER}"
_TRAINED = metrics.TRAINED_IDS
_SESSIONS = f"SELECT s.* FROM training_sessions s WHERE {metrics.SESSIONS}"
_PERSON_TIMES = metrics.PERSON_TIMES
_DISBURSEMENTS = f"""
    SELECT * FROM disbursements d WHERE {_IN_PERIOD.format(col="d.date")} AND {_COMMUNITY.format(col="d.community")}
"""
_DONATIONS = f"SELECT * FROM donations n WHERE {_IN_PERIOD.format(col='n.date')}"


def _in_period(
    con: Con, sql: str, *, year: int | None, community: str | None = None, as_of: date | None = None, **params: object
) -> pd.DataFrame:
    """`_df` for the period of `year` as of `as_of` (default: the data's as-of date) and `community`: $start, $end,
    $year and $community."""
    span = period(con, year=year, as_of=as_of)
    return _df(con, sql, start=span.start, end=span.end, year=span.year, community=community, **params)


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


def default_year(con: Con, *, day: date | None = None) -> pd.DataFrame:
    """The year a report as of `day` is about (metrics.report_year): the year the app opens on, and the deck's year.
    One row: day (default: the data's as-of date), year (day's year, but during its first quarter the year before
    when it has data), latest (the data's as-of date: the latest day a deck may be frozen to)."""
    latest = as_of_date(con)
    day = day or latest
    return pd.DataFrame({"day": [day], "year": [metrics.report_year(day, years(con)["year"])], "latest": [latest]})


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
    """What leadership should look at: stalled or late projects, low-coverage communities, a low fund balance,
    residents' voices open past the promise (voices_overdue).

    Columns: issue (stalled | late | low_coverage | low_balance | voice_overdue), subject, community, value, threshold.
    Dates are judged against the latest date in the warehouse (`as_of`), not today.
    """
    day = as_of_date(con)
    projects = _in_period(
        con,
        f"""
        SELECT CASE WHEN status = 'in_progress' THEN 'stalled' ELSE 'late' END AS issue,
               name AS subject, community, date_diff('day', start_date, $day::DATE)::DOUBLE AS value,
               CASE WHEN status = 'in_progress' THEN $stalled ELSE 0 END::DOUBLE AS threshold
        FROM ({_PROJECTS_IN_SCOPE})
        WHERE (status = 'in_progress' AND start_date <= $day::DATE - $stalled::INTEGER)
           OR (status = 'planned' AND start_date < $day::DATE)
        ORDER BY value DESC, subject
        """,
        year=year,
        community=community,
        as_of=day,
        day=day,
        stalled=STALLED_DAYS,
    )
    goal = targets(con, year=year).set_index("metric")
    limit = float(goal.at["training_coverage", "target"]) if "training_coverage" in goal.index else COVERAGE_ALERT
    # A year that is not over is judged against the pace its full-year target expects by now, as on the tiles,
    # and only once its first quarter has passed (metrics.Period.judged, the one rule of every page): training
    # comes in sessions, so a month into a year a community with nobody trained yet is not behind.
    span = period(con, year=year, as_of=day)
    limit *= span.elapsed()
    low = coverage_by(con, by="community", year=year, community=community, as_of=day)
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
    overdue = voices_overdue(con, year=year, community=community)
    voices = pd.DataFrame(
        {
            "issue": "voice_overdue",
            "subject": overdue["voice_id"],
            "community": overdue["community"],
            "value": overdue["days"].astype(float),
            "threshold": overdue["promise"].astype(float),
        }
    )
    rows = [projects, low, voices]
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


# --- residents' voices (民意到实事, issue 26): the catalogue's figures per group, the open voices past the promise,
# the page's breakdowns (the funnel, answer times, outcomes per group, a figure's rows), the public page 居民提案进展
#
# A voice (resident_voices) is counted in the period it was collected in (metrics.VOICES: collected_date in $start ..
# $end, for a community its own), as a cohort: what became of the voices of 2023 by the period's end — answered
# (answered_date by then), became a project (linked to one), that project completed (by then). The promise is the
# catalogue's (metrics.PROMISE: the targets sheet's voice_promise_days, else metrics.VOICE_PROMISE_DAYS); answered in
# time is the catalogue's rule (metrics.ON_TIME). Open voices are judged on the data's as-of date against the promise.

# The figures voices_by gives per group: the catalogue's voice metrics (and the counts its rates divide).
VOICE_FIGURES = (
    "voices_collected",
    "voices_due",
    "voices_on_time",
    "voices_answered_in_time",
    "voices_became_projects",
    "voices_to_projects",
    "voices_asked",
    "voices_satisfied",
    "voices_satisfaction",
)
VOICE_STAGES = ("collected", "answered", "project", "completed")  # the funnel, in order
VOICE_LISTS = (*VOICE_STAGES, "in_time", "late", "open_late", "declined")  # the rows voices_rows can list


def voices_by(
    con: Con, *, by: str, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The voice figures of the catalogue per community, category or channel (a code; NULL when blank) for the period
    of `year` as of the data's as-of date: one row per group with a voice collected in the period, the columns of
    VOICE_FIGURES (rates divided in their group, None where nothing is due, asked, …), most voices first. Each is the
    catalogue's own SQL with its group's rows: the figure a page shows for a group is the catalogue's."""
    _check(by, VOICE_DIMENSIONS)
    counts = [c for c in VOICE_FIGURES if metrics.METRICS[c].kind != "rate"]
    # each count's SQL, its rows those of the group (v.<by> = g.value): the catalogue's WHERE with one more term
    columns = ", ".join(
        f"({metrics.METRICS[c].sql.replace('WHERE ', f'WHERE v.{by} IS NOT DISTINCT FROM g.value AND ', 1)}) AS {c}"
        for c in counts
    )
    frame = _in_period(
        con,
        f"""
        SELECT g.value AS {by}, {columns}
        FROM (SELECT DISTINCT v.{by} AS value FROM resident_voices v WHERE {metrics.VOICES}) g
        ORDER BY voices_collected DESC, {by}
        """,
        year=year,
        community=community,
        as_of=as_of,
    )
    for code in VOICE_FIGURES:
        m = metrics.METRICS[code]
        if m.kind == "rate":
            num, den = frame[m.numerator].astype(float), frame[m.denominator].astype(float)
            frame[code] = (num / den).where(den > 0, None)
    return frame[[by, *VOICE_FIGURES]]


# Voices open past the promise on $end (the data's as-of date): not answered by then (no answer date, or a later
# one), not declined, collected more than the promise's days before it; with a year, those collected in it or before
# (an old voice still waiting still needs attention, like an old project still open).
_OVERDUE = f"""
    SELECT v.*, date_diff('day', v.collected_date, $end::DATE)::BIGINT AS days, {metrics.PROMISE} AS promise
    FROM resident_voices v
    WHERE v.collected_date <= $end::DATE
      AND (v.answered_date IS NULL OR v.answered_date > $end::DATE)
      AND v.status <> 'declined'
      AND date_diff('day', v.collected_date, $end::DATE) > {metrics.PROMISE}
      AND ($year::INTEGER IS NULL OR year(v.collected_date) <= $year::INTEGER)
      AND {_COMMUNITY.format(col="v.community")}
"""


def voices_overdue(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Open voices past the town's promise on the data's as-of date (the Overview's needs-attention list, the
    民意到实事 page): see _OVERDUE; the promise is the as-of year's.

    Columns: voice_id, community, category, channel, collected_date, days (since collection), promise (days),
    status, summary, publishable; the longest waiting first."""
    return _df(
        con,
        f"""
        SELECT voice_id, community, category, channel, collected_date, days, promise, status, summary, publishable
        FROM ({_OVERDUE}) ORDER BY days DESC, voice_id
        """,
        end=as_of_date(con),
        year=year,
        community=community,
    )


# The voices of the period with what became of them by $end: answered, days to the answer, the project and whether
# it was completed, and the period's promise.
_VOICES = f"""
    SELECT v.*, coalesce(v.answered_date <= $end::DATE, FALSE) AS answered,
           CASE WHEN v.answered_date <= $end::DATE THEN date_diff('day', v.collected_date, v.answered_date) END AS days,
           coalesce({metrics.ON_TIME}, FALSE) AS in_time,
           v.project_id IS NOT NULL AS became_project,
           p.name AS project, p.status AS project_status, p.start_date AS project_start,
           p.completed_date AS project_completed,
           coalesce(p.status = 'completed' AND p.completed_date <= $end::DATE, FALSE) AS completed
    FROM resident_voices v LEFT JOIN projects p ON p.project_id = v.project_id
    WHERE {metrics.VOICES}
"""


def voices_promise(con: Con, *, year: int | None = None, as_of: date | None = None) -> pd.DataFrame:
    """The days within which a voice of the period is to be answered (one row: days, set): metrics.PROMISE, the
    targets sheet's voice_promise_days for the period's year when the town set it (set), else the default."""
    return _in_period(
        con,
        f"""
        SELECT {metrics.PROMISE} AS days, EXISTS (SELECT 1 FROM targets t WHERE t.metric = 'voice_promise_days'
               AND t.year = year($end::DATE) AND t.target IS NOT NULL) AS set
        """,
        year=year,
        as_of=as_of,
    )


def voices_count(con: Con) -> pd.DataFrame:
    """How many voices the warehouse holds, whatever the filters (one row: voices)."""
    return _df(con, "SELECT count(*) AS voices FROM resident_voices")


def voices_funnel(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The funnel of the period's voices: one row per stage (VOICE_STAGES: collected — the catalogue's
    voices_collected —, answered, became a project — voices_became_projects —, that project completed) with its
    voices; the period's declined voices and the promise as columns of every row (declined, promise)."""
    row = _in_period(
        con,
        f"""
        SELECT count(*) AS collected, count(*) FILTER (WHERE answered) AS answered,
               count(*) FILTER (WHERE became_project) AS project, count(*) FILTER (WHERE completed) AS completed,
               count(*) FILTER (WHERE status = 'declined') AS declined, {metrics.PROMISE} AS promise
        FROM ({_VOICES})
        """,
        year=year,
        community=community,
        as_of=as_of,
    ).iloc[0]
    return pd.DataFrame(
        {
            "stage": list(VOICE_STAGES),
            "voices": [int(row[s] or 0) for s in VOICE_STAGES],
            "declined": int(row["declined"] or 0),
            "promise": int(row["promise"]),
        }
    )


def voices_answer_times(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """Answered voices of the period per number of days from collection to answer: days, voices, within (the
    promise kept, metrics.ON_TIME)."""
    return _in_period(
        con,
        f"SELECT days, count(*) AS voices, in_time AS within FROM ({_VOICES}) WHERE answered GROUP BY ALL ORDER BY days",
        year=year,
        community=community,
    )


def voices_outcomes_by(con: Con, *, by: str, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """What became of the period's voices per community, category or channel: key, collected, project, declined,
    answered_only (answered, neither a project nor declined), waiting (none of these yet), median_days (to the
    answer). project + declined + answered_only + waiting = collected."""
    col = _check(by, VOICE_DIMENSIONS)
    return _in_period(
        con,
        f"""
        SELECT {col} AS key, count(*) AS collected,
               count(*) FILTER (WHERE became_project) AS project,
               count(*) FILTER (WHERE status = 'declined' AND NOT became_project) AS declined,
               count(*) FILTER (WHERE answered AND NOT became_project AND status <> 'declined') AS answered_only,
               count(*) FILTER (WHERE NOT answered AND NOT became_project AND status <> 'declined') AS waiting,
               median(days)::DOUBLE AS median_days
        FROM ({_VOICES}) GROUP BY ALL ORDER BY collected DESC, key NULLS LAST
        """,
        year=year,
        community=community,
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
    """The voices behind a figure of the page (VOICE_LISTS: a funnel stage, answered within the promise or late,
    open past the promise, declined), of one community or category (`by`, `key`) when given: voice_id,
    collected_date, community, channel, category, summary, publishable, status, answered_date, days, resolved_date,
    project_id, project, project_status, decline_reason, satisfaction."""
    if figure not in VOICE_LISTS:
        raise ValueError(f"no figure {figure!r}; choose one of {VOICE_LISTS}")
    col = _check(by, VOICE_DIMENSIONS)
    columns = (
        "voice_id, collected_date, community, channel, category, summary, publishable, status, answered_date, days, "
        "resolved_date, project_id, project, project_status, decline_reason, satisfaction"
    )
    if figure == "open_late":  # on the as-of date, as the list of the page and the Overview's needs attention
        open_late = voices_overdue(con, year=year, community=community)
        open_late = open_late[open_late[col] == key] if key is not None else open_late
        rows = _df(
            con,
            """
            SELECT r.voice_id, r.collected_date, r.community, r.channel, r.category, r.summary, r.publishable,
                   r.status, r.answered_date, NULL::BIGINT AS days, r.resolved_date, r.project_id,
                   NULL::VARCHAR AS project, NULL::VARCHAR AS project_status, r.decline_reason, r.satisfaction
            FROM resident_voices r WHERE list_contains($ids::VARCHAR[], r.voice_id)
            ORDER BY r.collected_date DESC, r.voice_id
            """,
            ids=open_late["voice_id"].tolist(),
        )
        return rows
    where = {
        "collected": "TRUE",
        "answered": "answered",
        "project": "became_project",
        "completed": "completed",
        "in_time": "in_time",
        "late": "answered AND NOT in_time",
        "declined": "status = 'declined'",
    }[figure]
    return _in_period(
        con,
        f"""
        SELECT {columns} FROM ({_VOICES}) r WHERE {where} AND ($key::VARCHAR IS NULL OR r.{col} = $key::VARCHAR)
        ORDER BY collected_date DESC, voice_id
        """,
        year=year,
        community=community,
        key=key,
    )


# The public page's columns of a voice (no person named in them).
_PUBLIC_VOICE = """voice_id, collected_date, community, category, status, answered_date, resolved_date, summary,
               coalesce(publishable, FALSE) AS publishable, project_id, project, project_status, project_start,
               project_completed, decline_reason"""


def voices_public(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """The public page's voices (居民提案进展): every voice of the period that became a project, with the project's
    name, status and dates, and every declined voice with its reason; collected in `year` (None: all) by the as-of
    date, newest first. Summaries as stored with `publishable`: blank them unless it is true before showing them
    (presenter.proposals). No person is named in these columns."""
    return _in_period(
        con,
        f"""
        SELECT {_PUBLIC_VOICE}
        FROM ({_VOICES})
        WHERE became_project OR status = 'declined'
        ORDER BY collected_date DESC, voice_id
        """,
        year=year,
        community=None,
    )


# The public page's two tables (voices_public's rows, split): the voices that became projects, and the declined ones
# that did not.
VOICE_TABLES = {"projects": "became_project", "declined": "status = 'declined' AND NOT became_project"}


def voices_public_page(
    con: Con, *, table: str, year: int | None = None, offset: int = 0, limit: int = 50
) -> pd.DataFrame:
    """A page of one of the public page's tables (VOICE_TABLES: projects, declined): `limit` of voices_public's
    rows in that table from the `offset`-th, in its order (newest collected first, then by voice id), its columns."""
    where = VOICE_TABLES[_check(table, tuple(VOICE_TABLES))]
    return _in_period(
        con,
        f"""
        SELECT {_PUBLIC_VOICE}
        FROM ({_VOICES})
        WHERE {where}
        ORDER BY collected_date DESC, voice_id
        LIMIT $limit OFFSET $offset
        """,
        year=year,
        community=None,
        limit=max(int(limit), 0),
        offset=max(int(offset), 0),
    )


def voices_public_totals(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """How many rows each of the public page's tables holds for the period (one row: projects, declined)."""
    return _in_period(
        con,
        f"""
        SELECT count(*) FILTER (WHERE {VOICE_TABLES["projects"]}) AS projects,
               count(*) FILTER (WHERE {VOICE_TABLES["declined"]}) AS declined
        FROM ({_VOICES})
        """,
        year=year,
        community=None,
    )


def voices_statuses(con: Con, *, year: int | None = None, community: str | None = None) -> pd.DataFrame:
    """The period's voices per status (received, answered, project, resolved, declined; those with none left out)."""
    return _in_period(
        con,
        f"""
        SELECT status, count(*) AS voices FROM ({_VOICES}) GROUP BY status
        ORDER BY CASE status WHEN 'received' THEN 1 WHEN 'answered' THEN 2 WHEN 'project' THEN 3
                             WHEN 'resolved' THEN 4 WHEN 'declined' THEN 5 ELSE 6 END, status
        """,
        year=year,
        community=community,
    )


def voices_years(con: Con) -> pd.DataFrame:
    """The years voices were collected in, newest first."""
    return _df(
        con,
        "SELECT DISTINCT year(collected_date) AS year FROM resident_voices WHERE collected_date IS NOT NULL "
        "ORDER BY year DESC",
    )


# --- projects

_PROGRAM = "($program::VARCHAR IS NULL OR p.program = $program::VARCHAR)"


def projects_by(
    con: Con,
    *,
    by: str,
    year: int | None = None,
    community: str | None = None,
    program: str | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Projects per programme / theme / level / community (of one programme, given `program`), counted by status."""
    col = _check(by, PROJECT_DIMENSIONS)
    return _in_period(
        con,
        f"""
        SELECT {col} AS key, count(*) AS total,
               count(*) FILTER (WHERE status = 'completed') AS completed,
               count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE status = 'planned') AS planned,
               count(*) FILTER (WHERE status = 'cancelled') AS cancelled
        FROM ({_PROJECTS_IN_SCOPE}) p WHERE {_PROGRAM} GROUP BY ALL ORDER BY total DESC, key NULLS LAST
        """,
        year=year,
        community=community,
        as_of=as_of,
        program=program,
    )


def project_statuses(
    con: Con,
    *,
    year: int | None = None,
    community: str | None = None,
    program: str | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Number of projects in each status (of one programme, given `program`)."""
    return _in_period(
        con,
        f"""
        SELECT status, count(*) AS projects FROM ({_PROJECTS_IN_SCOPE}) p WHERE {_PROGRAM}
        GROUP BY ALL ORDER BY projects DESC, status
        """,
        year=year,
        community=community,
        as_of=as_of,
        program=program,
    )


def completions_burnup(
    con: Con,
    *,
    year: int | None = None,
    community: str | None = None,
    program: str | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Completions per month of the period and their running total (a burn-up), of one programme given `program`: a
    programme's burn-up is the one its target measures (metrics.COMPLETED)."""
    return _in_period(
        con,
        f"""
        SELECT month, completed, sum(completed) OVER (ORDER BY month) AS cumulative FROM (
            SELECT date_trunc('month', completed_date)::DATE AS month, count(*) AS completed
            FROM projects p
            WHERE {metrics.DONE} AND {_COMMUNITY.format(col="p.community")} AND {_PROGRAM}
            GROUP BY ALL)
        ORDER BY month
        """,
        year=year,
        community=community,
        as_of=as_of,
        program=program,
    )


def project_list(
    con: Con,
    *,
    year: int | None = None,
    community: str | None = None,
    search: str | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Every project in scope (whose ID, name, theme or community contains `search`), newest first."""
    return _in_period(
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
        as_of=as_of,
        search=search or None,
    )


# --- training


def coverage_by(
    con: Con, *, by: str, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Coverage per community or role: the period's roster, those of them trained in it, coverage."""
    col = _check(by, COVERAGE_DIMENSIONS)
    return _in_period(
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
        as_of=as_of,
    )


def training_by_month(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Sessions, hours and person-times per month of the period (its last month up to its last day)."""
    return _in_period(
        con,
        f"""
        WITH s AS (SELECT date_trunc('month', date)::DATE AS month, count(*) AS sessions, sum(hours) AS hours
                   FROM ({_SESSIONS}) GROUP BY ALL),
             a AS (SELECT month, sum(person_times)::BIGINT AS person_times FROM ({_PERSON_TIMES}) GROUP BY ALL)
        SELECT month, coalesce(sessions, 0) AS sessions, coalesce(hours, 0)::DOUBLE AS hours,
               coalesce(person_times, 0) AS person_times
        FROM s FULL JOIN a USING (month) ORDER BY month
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


def format_mix(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Sessions, hours and person-times per training format."""
    return _in_period(
        con,
        f"""
        WITH s AS (SELECT format, count(*) AS sessions, sum(hours) AS hours FROM ({_SESSIONS}) GROUP BY ALL),
             a AS (SELECT format, sum(person_times) AS person_times FROM ({_PERSON_TIMES}) GROUP BY ALL)
        SELECT s.format, sessions, hours, coalesce(person_times, 0) AS person_times
        FROM s LEFT JOIN a ON s.format IS NOT DISTINCT FROM a.format ORDER BY hours DESC, s.format NULLS LAST
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


def untrained_workers(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Active workers on the period's roster with no attendance in it."""
    return _in_period(
        con,
        f"""
        SELECT worker_id, name, community, role, joined_date FROM ({_ROSTER}) w
        WHERE worker_id NOT IN ({_TRAINED})
        ORDER BY community, role, worker_id
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


# Mentoring pairs started by the period's last day (or undated), for a community those whose mentee or mentor
# belongs to it, with both names and progress through the set activities.
_MENTORING = f"""
    SELECT m.mentor_id, r.name AS mentor, m.mentee_id, e.name AS mentee, e.community,
           m.start_date, coalesce(m.activities_done, 0) AS activities_done,
           coalesce(m.activities_done, 0) / {metrics.ACTIVITIES_PER_PAIR} AS progress
    FROM mentorships m JOIN workers r ON r.worker_id = m.mentor_id JOIN workers e ON e.worker_id = m.mentee_id
    WHERE (m.start_date IS NULL OR m.start_date <= $end::DATE)
      AND ($community::VARCHAR IS NULL OR e.community = $community::VARCHAR OR r.community = $community::VARCHAR)
    ORDER BY mentor, activities_done DESC, mentee
"""


def mentoring_pairs(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Mentor-mentee pairs (started by the end of the period) with progress through the ten activities."""
    return _in_period(con, _MENTORING, year=year, community=community, as_of=as_of)


def mentoring_summary(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Mentors, mentees, pairs, pairs that finished all ten activities, average activities done."""
    return _in_period(
        con,
        f"""
        SELECT count(DISTINCT mentor_id) AS mentors, count(DISTINCT mentee_id) AS mentees, count(*) AS pairs,
               count(*) FILTER (WHERE activities_done >= {metrics.ACTIVITIES_PER_PAIR}) AS finished, avg(activities_done) AS average
        FROM ({_MENTORING})
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


def mentor_progress(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Per mentor of those pairs: name, mentees, activities done, planned (ten per pair) and the share done."""
    return _in_period(
        con,
        f"""
        SELECT mentor_id, mentor, count(*) AS mentees, sum(activities_done)::BIGINT AS activities_done,
               {metrics.ACTIVITIES_PER_PAIR} * count(*) AS activities_planned,
               sum(activities_done) / ({metrics.ACTIVITIES_PER_PAIR} * count(*)) AS share_done
        FROM ({_MENTORING}) GROUP BY ALL ORDER BY mentees DESC, mentor_id
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


# --- fund


def fund_monthly(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Per month of the period: raised, used and the cumulative raised, used and balance since the fund began.

    Only the period's months are returned (its last up to its last day), but the running totals start at the
    beginning. With a community, used is that community's spending; raised and balance stay town-wide.
    """
    return _in_period(
        con,
        f"""
        WITH r AS (SELECT date_trunc('month', date)::DATE AS month, sum(amount_yuan)::DOUBLE AS raised
                   FROM donations WHERE date <= $end::DATE GROUP BY ALL),
             u AS (SELECT date_trunc('month', date)::DATE AS month,
                          (sum(amount_yuan) FILTER (WHERE {_COMMUNITY.format(col="d.community")}))::DOUBLE AS used,
                          sum(amount_yuan)::DOUBLE AS used_town
                   FROM disbursements d WHERE d.date <= $end::DATE GROUP BY ALL),
             m AS (SELECT month, coalesce(raised, 0) AS raised, coalesce(used, 0) AS used,
                          coalesce(used_town, 0) AS used_town
                   FROM r FULL JOIN u USING (month)),
             c AS (SELECT month, raised, used, sum(raised) OVER w AS raised_cum, sum(used) OVER w AS used_cum,
                          sum(used_town) OVER w AS used_town_cum
                   FROM m WINDOW w AS (ORDER BY month))
        SELECT month, raised, used, raised_cum, used_cum, raised_cum - used_town_cum AS balance FROM c
        WHERE month >= $start::DATE ORDER BY month
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


def donations_by_quarter(con: Con, *, year: int | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Donations per quarter: quarter label (2023 Q3), amount, number of donations."""
    return _in_period(
        con,
        f"""
        SELECT year(date) || ' Q' || quarter(date) AS quarter, sum(amount_yuan)::DOUBLE AS amount,
               count(*) AS donations
        FROM ({_DONATIONS}) GROUP BY ALL ORDER BY quarter
        """,
        year=year,
        as_of=as_of,
    )


def donors_by_type(con: Con, *, year: int | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Donations per donor type: amount, donations, distinct donors."""
    return _in_period(
        con,
        f"""
        SELECT donor_type, sum(amount_yuan)::DOUBLE AS amount, count(*) AS donations,
               count(DISTINCT donor) AS donors
        FROM ({_DONATIONS}) GROUP BY ALL ORDER BY amount DESC, donor_type NULLS LAST
        """,
        year=year,
        as_of=as_of,
    )


_SPENDING_KEYS = {
    "category": ("d.category", "d.category"),
    "community": ("d.community", "d.community"),
    "project": ("d.project_id", "coalesce(p.name, d.project_id)"),
}


def spending_by(
    con: Con, *, by: str, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Disbursements per category / community / project: key, label, amount, disbursements."""
    key, label = _SPENDING_KEYS[_check(by, SPENDING_DIMENSIONS)]
    return _in_period(
        con,
        f"""
        SELECT {key} AS key, {label} AS label, sum(d.amount_yuan)::DOUBLE AS amount, count(*) AS disbursements
        FROM ({_DISBURSEMENTS}) d LEFT JOIN projects p ON p.project_id = d.project_id
        GROUP BY ALL ORDER BY amount DESC, key NULLS LAST
        """,
        year=year,
        community=community,
        as_of=as_of,
    )


def fund_flows(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Flows from donor types to spending categories (and the unspent balance) for a Sankey diagram.

    Money is not earmarked, so each category's spending is allocated to donor types in proportion to their
    share of the money raised; the rest of each donor type's money flows to `balance` (target = NULL).
    With a community, only its spending is drawn (the unspent balance belongs to the whole town).
    """
    return _in_period(
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
        as_of=as_of,
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


def fund_ledger_page(con: Con, *, year: int | None = None, offset: int = 0, limit: int = 50) -> pd.DataFrame:
    """A page of the period's entries newest first (fund_ledger's order reversed): `limit` entries from the
    `offset`-th, the same columns as fund_ledger, each with the balance since the fund began after it (the running
    balance over every entry, not the page's)."""
    span = period(con, year=year)
    return _df_large(
        con,
        _LEDGER
        + """
        SELECT date, entry, ref, donor, donor_type, project_id, project, community, purpose, category,
               income::DOUBLE AS income, spending::DOUBLE AS spending, balance::DOUBLE AS balance
        FROM running WHERE date >= $start::DATE ORDER BY date DESC, o DESC, ref DESC
        LIMIT $limit OFFSET $offset
        """,
        start=span.start,
        end=span.end,
        limit=max(int(limit), 0),
        offset=max(int(offset), 0),
    )


def fund_ledger_totals(con: Con, *, year: int | None = None) -> pd.DataFrame:
    """What fund_ledger's entries of the period add up to, without reading them out (one row): entries (how many),
    raised (their income), used (their spending), and first: the date of the fund's first entry up to the as-of
    date (NaT when it has none), whatever the period."""
    as_of = as_of_date(con)
    span = period(con, year=year, as_of=as_of)
    return _df(
        con,
        """
        WITH d AS (SELECT date, amount_yuan FROM donations WHERE date <= $end::DATE),
             x AS (SELECT date, amount_yuan FROM disbursements WHERE date <= $end::DATE)
        SELECT (SELECT count(*) FROM d WHERE date >= $start::DATE)
             + (SELECT count(*) FROM x WHERE date >= $start::DATE) AS entries,
               (SELECT coalesce(sum(amount_yuan), 0) FROM d WHERE date >= $start::DATE)::DOUBLE AS raised,
               (SELECT coalesce(sum(amount_yuan), 0) FROM x WHERE date >= $start::DATE)::DOUBLE AS used,
               least((SELECT min(date) FROM donations WHERE date <= $end0::DATE),
                     (SELECT min(date) FROM disbursements WHERE date <= $end0::DATE)) AS first
        """,
        start=span.start,
        end=span.end,
        end0=as_of,
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


# --- where a period's figures come from

# Which stored rows each topic of the deck reads in the period: (topic, rows, with their _batch_id).
_TOPIC_ROWS = (
    ("projects", f"SELECT * FROM projects p WHERE {metrics.DONE} AND {_COMMUNITY.format(col='p.community')}"),
    ("meetings", f"SELECT * FROM meetings WHERE type = 'promotion' AND {_IN_PERIOD.format(col='date')}"),
    ("training", _ROSTER),
    ("training", _SESSIONS),
    ("training", metrics.ATTENDANCE_COUNTS.format(start="$start::DATE")),
    ("mentoring", f"SELECT * FROM mentorships m WHERE {metrics.PAIRS}"),
    ("mentoring", _ROSTER),
    ("fund", "SELECT * FROM donations WHERE date <= $end::DATE"),
    ("fund", "SELECT * FROM disbursements WHERE date <= $end::DATE"),
    ("targets", "SELECT * FROM targets WHERE year = $year::INTEGER"),
    ("voices", f"SELECT * FROM resident_voices v WHERE {metrics.VOICES}"),
)


def topic_sources(
    con: Con, *, year: int | None = None, community: str | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """The imports each topic's figures in the period come from: topic, batch_id, file_name (in import order).

    A stored row comes from the batch that inserted it or last changed it (its `_batch_id`).
    """
    union = " UNION ALL ".join(
        f"SELECT DISTINCT '{topic}' AS topic, r._batch_id AS batch_id FROM ({rows}) r" for topic, rows in _TOPIC_ROWS
    )
    return _in_period(
        con,
        f"""
        SELECT DISTINCT u.topic, u.batch_id, b.file_name, b.seq FROM ({union}) u JOIN import_batches b USING (batch_id)
        ORDER BY u.topic, b.seq
        """,
        year=year,
        community=community,
        as_of=as_of,
    ).drop(columns="seq")
