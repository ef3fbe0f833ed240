"""Cross-sheet checks of the warehouse and the headline totals an import changes."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass
class Check:
    """One reconciliation check: passed or not, how many rows break it, a few examples."""

    key: str  # i18n key: check.<key>
    passed: bool
    failures: int
    examples: list[str]


_CHECKS = {
    # disbursed never exceeds raised at any date (cumulatively)
    "fund_cover": """
        WITH moves AS (
            SELECT date, amount_yuan AS raised, 0 AS used FROM donations
            UNION ALL SELECT date, 0, amount_yuan FROM disbursements
        ), daily AS (
            SELECT date, sum(raised) AS raised, sum(used) AS used FROM moves GROUP BY date
        ), running AS (
            SELECT date, sum(raised) OVER w AS raised, sum(used) OVER w AS used FROM daily
            WINDOW w AS (ORDER BY date ROWS UNBOUNDED PRECEDING)
        )
        SELECT strftime(date, '%Y-%m-%d') || ': ' || used::BIGINT || ' > ' || raised::BIGINT
        FROM running WHERE used > raised ORDER BY date
    """,
    "disbursement_projects": """
        SELECT d.disbursement_id || ' → ' || d.project_id FROM disbursements d
        WHERE d.project_id IS NOT NULL AND d.project_id NOT IN (SELECT project_id FROM projects)
        ORDER BY 1
    """,
    "attendance_roster": """
        SELECT DISTINCT a.worker_id FROM attendance a
        WHERE a.worker_id NOT IN (SELECT worker_id FROM workers) ORDER BY 1
    """,
    "attendance_sessions": """
        SELECT DISTINCT a.session_id FROM attendance a
        WHERE a.session_id NOT IN (SELECT session_id FROM training_sessions) ORDER BY 1
    """,
    "mentorship_roster": """
        SELECT m.mentor_id || ' / ' || m.mentee_id FROM mentorships m
        WHERE m.mentor_id NOT IN (SELECT worker_id FROM workers)
           OR m.mentee_id NOT IN (SELECT worker_id FROM workers)
        ORDER BY 1
    """,
}


def reconcile(con: duckdb.DuckDBPyConnection) -> list[Check]:
    """Every cross-sheet check, in a fixed order."""
    checks = []
    for key, sql in _CHECKS.items():
        rows = [r[0] for r in con.execute(sql).fetchall()]
        checks.append(Check(key, not rows, len(rows), rows[:5]))
    return checks


TOTALS_SQL = """
SELECT
    (SELECT count(*) FROM projects WHERE status = 'completed') AS projects_completed,
    (SELECT count(*) FROM projects) AS projects,
    (SELECT count(*) FROM workers) AS workers,
    (SELECT count(*) FROM training_sessions) AS training_sessions,
    (SELECT count(*) FROM attendance) AS attendance,
    (SELECT count(*) FROM mentorships) AS mentorships,
    (SELECT count(*) FROM meetings) AS meetings,
    (SELECT count(*) FROM donations) AS donations,
    (SELECT count(*) FROM disbursements) AS disbursements,
    (SELECT count(*) FROM targets) AS targets,
    (SELECT coalesce(sum(amount_yuan), 0) FROM donations)::DOUBLE AS fund_raised,
    (SELECT coalesce(sum(amount_yuan), 0) FROM disbursements)::DOUBLE AS fund_used
"""


def totals(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The headline counts and sums an import can move."""
    cursor = con.execute(TOTALS_SQL)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))
