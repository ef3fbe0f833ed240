"""Warehouse contents the tests share: rows written by hand, and every table's content to compare two states."""

from __future__ import annotations

from etl.kinds import LOAD_ORDER

# A small warehouse whose every figure is worked out by hand in tests/test_queries.py (two communities, 2022-2024).
ROWS = """
INSERT INTO workers (worker_id, name, community, role, joined_date, active)
VALUES
    ('W1', '张三', '东方', 'secretary', NULL, TRUE), ('W2', '李四', '东方', 'reserve_cadre', NULL, TRUE),
    ('W3', '王五', '西方', 'social_worker', NULL, TRUE), ('W4', '赵六', '西方', 'director', NULL, FALSE);
INSERT INTO training_sessions (session_id, title, date, hours, format, organizer, location)
VALUES
    ('S1', '党建', '2023-03-05', 2.5, 'lecture', NULL, NULL), ('S2', '治理', '2023-07-01', 3, 'field_visit', NULL, NULL),
    ('S3', '新年', '2024-01-10', 2, 'online', NULL, NULL), ('S0', '旧', '2022-05-01', 1, 'lecture', NULL, NULL);
INSERT INTO attendance (session_id, worker_id)
VALUES ('S1', 'W1'), ('S1', 'W3'), ('S2', 'W1'), ('S3', 'W2'), ('S2', 'W4'), ('S0', 'W1');
INSERT INTO projects (project_id, name, program, theme, level, community, status, start_date, completed_date,
                      budget_yuan, residents_involved, resident_proposed)
VALUES
    ('P1', '=cmd', 'group_governance', '环境', 'town', '东方', 'completed', '2023-01-01', '2023-06-30', 1000, 10, FALSE),
    ('P2', '加装电梯', 'micro_renewal', NULL, 'district', '西方', 'completed', '2023-02-01', '2023-09-15', 5000, 20, TRUE),
    ('P3', '花园', 'micro_renewal', '环境', 'town', '东方', 'in_progress', '2023-03-01', NULL, NULL, NULL, TRUE),
    ('P4', '图书角', 'beautiful_community', '文化', 'municipal', '西方', 'planned', '2023-12-01', NULL, NULL, NULL, FALSE),
    ('P5', '旧项目', 'group_governance', '治理', 'town', '东方', 'completed', '2022-05-01', '2022-11-01', NULL, NULL, NULL);
INSERT INTO mentorships (mentor_id, mentee_id, start_date, activities_done)
VALUES ('W1', 'W2', '2023-04-01', 7), ('W3', 'W4', '2024-01-02', 10);
INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan, channel)
VALUES
    ('D1', '2023-08-15', '某企业', 'enterprise', 100000, NULL), ('D2', '2023-10-01', '匿名', 'individual', 50000, NULL),
    ('D3', '2024-01-05', '基金会', 'organization', 50000, NULL);
INSERT INTO disbursements (disbursement_id, date, amount_yuan, purpose, category, project_id, community, approved_at)
VALUES
    ('X1', '2023-09-01', 30000, '为老', 'elderly', 'P2', '西方', NULL),
    ('X2', '2023-12-01', 20000, '青少年', 'children_youth', NULL, '东方', NULL),
    ('X3', '2024-01-20', 10000, '环境', 'environment', NULL, NULL, NULL);
INSERT INTO targets (metric, year, target)
VALUES ('projects_completed', 2023, 3), ('training_coverage', 2023, 1.0),
    ('training_hours', 2023, 5), ('fund_raised', 2023, 200000);
"""

TABLES = LOAD_ORDER  # every kind's table (the spreadsheet contract's list, not a copy of it)


def snapshot(con, *, batches: bool = True) -> dict[str, list]:
    """Every table's content, sorted, so two states can be compared exactly; with `batches`, each row's batch too
    (the import that inserted or last changed it), else only the spreadsheet's columns."""
    rows = "*" if batches else "* EXCLUDE (_batch_id)"
    return {t: sorted(con.execute(f"SELECT {rows} FROM {t}").fetchall(), key=repr) for t in TABLES}
