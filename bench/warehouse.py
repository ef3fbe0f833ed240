"""A city-scale warehouse built directly in DuckDB: 5,000,000 attendance rows and the rest to match."""

from __future__ import annotations

import argparse
from pathlib import Path

from etl import db, derived

SCALE = {
    "communities": 2_000,
    "workers": 50_000,
    "sessions": 5_000,
    "attendance": 5_000_000,
    "projects": 20_000,
    "donations": 100_000,
    "disbursements": 40_000,
    "voices": 100_000,
}

SQL = """
INSERT INTO workers (worker_id, name, community, role, joined_date, active, _batch_id)
SELECT printf('%06d', i), '人员' || i, '社区' || printf('%04d', i % $communities),
       ['secretary', 'director', 'committee_member', 'social_worker', 'reserve_cadre'][1 + i % 5],
       DATE '2015-01-01' + CAST(i % 3000 AS INTEGER), i % 20 <> 0, 'B00001'
FROM range(1, $workers + 1) t(i);

INSERT INTO training_sessions (session_id, title, date, hours, format, organizer, location, _batch_id)
SELECT printf('S%05d', i), '培训' || i, DATE '2019-01-01' + CAST((i * 7) % 2190 AS INTEGER),
       [1.0, 1.5, 2.0, 3.0][1 + i % 4],
       ['lecture', 'field_visit', 'group_discussion', 'practical_research', 'mentoring', 'online'][1 + i % 6],
       '杨行镇', '会议室', 'B00001'
FROM range(1, $sessions + 1) t(i);

-- distinct (session, worker) pairs: worker steps by a number coprime with the roster size; imported in 10 files,
-- each the sessions of a tenth of the six years (their dates as above), stored in import order as the loader does
INSERT INTO attendance (session_id, worker_id, _batch_id)
SELECT session_id, worker_id, batch FROM (
    SELECT printf('S%05d', 1 + r % $sessions) AS session_id,
           printf('%06d', 1 + ((r // $sessions) * 7919 + r) % $workers) AS worker_id,
           printf('B%05d', 2 + (((1 + r % $sessions) * 7) % 2190) * 10 // 2190) AS batch, r
    FROM range(0, $attendance) t(r))
ORDER BY batch, r;

INSERT INTO projects (project_id, name, program, theme, level, community, status, start_date, completed_date,
                      budget_yuan, residents_involved, resident_proposed, _batch_id)
SELECT printf('P%06d', i), '项目' || i,
       ['group_governance', 'micro_renewal', 'beautiful_community', 'life_education', 'other'][1 + i % 5],
       '主题' || (i % 12), ['town', 'district', 'municipal'][1 + (i % 50 = 0)::INT + (i % 500 = 0)::INT],
       '社区' || printf('%04d', i % $communities),
       ['planned', 'in_progress', 'completed', 'completed', 'cancelled'][1 + i % 5],
       DATE '2019-01-01' + CAST(i % 2000 AS INTEGER),
       CASE WHEN i % 5 IN (2, 3) THEN DATE '2019-01-01' + CAST(i % 2000 + 90 AS INTEGER) END,
       10000 + (i % 90) * 1000, i % 300, i % 3 = 0, 'B00001'
FROM range(1, $projects + 1) t(i);

INSERT INTO donations (donation_id, date, donor, donor_type, amount_yuan, channel, _batch_id)
SELECT printf('D%07d', i), DATE '2019-01-01' + CAST(i % 2190 AS INTEGER), '捐赠方' || (i % 5000),
       ['enterprise', 'individual', 'organization', 'other'][1 + i % 4], 100 + (i % 100) * 50, '银行转账', 'B00012'
FROM range(1, $donations + 1) t(i);

INSERT INTO disbursements (disbursement_id, date, amount_yuan, purpose, category, project_id, community,
                           approved_at, _batch_id)
SELECT printf('X%07d', i), DATE '2019-02-01' + CAST(i % 2150 AS INTEGER), 100 + (i % 50) * 40, '用途' || (i % 40),
       ['elderly', 'children_youth', 'governance', 'environment', 'culture', 'relief', 'other'][1 + i % 7],
       printf('P%06d', 1 + i % $projects), '社区' || printf('%04d', i % $communities), '基金管委会', 'B00013'
FROM range(1, $disbursements + 1) t(i);

-- residents' voices: every fifth became a micro-renewal project (P…1, P…6: program micro_renewal), some of those
-- completed (resolved), a tenth declined; answered 3-29 days after collection, the satisfaction of most asked
INSERT INTO resident_voices (voice_id, collected_date, community, channel, category, summary, publishable, status,
                             answered_date, resolved_date, project_id, decline_reason, satisfaction, _batch_id)
SELECT printf('V%07d', i), d, '社区' || printf('%04d', i % $communities),
       ['visit', 'council', 'hotline', 'online', 'other'][1 + i % 5],
       ['sanitation', 'parking', 'elderly', 'greening', 'safety', 'culture', 'other'][1 + i % 7],
       '诉求摘要' || i, i % 2 = 0, status,
       CASE WHEN status <> 'received' THEN d + CAST(3 + i % 27 AS INTEGER) END,
       CASE WHEN status = 'resolved' THEN d + CAST(60 + i % 200 AS INTEGER) END,
       CASE WHEN status IN ('project', 'resolved') THEN printf('P%06d', 1 + 5 * (i % ($projects // 5))) END,
       CASE WHEN status = 'declined' THEN '不在职责范围' END,
       CASE WHEN status IN ('answered', 'resolved') THEN ['satisfied', 'basically', 'unsatisfied'][1 + i % 3] END,
       'B00014'
FROM (SELECT i, DATE '2019-01-01' + CAST(i % 1800 AS INTEGER) AS d,
             ['received', 'answered', 'answered', 'project', 'resolved', 'answered', 'declined', 'answered',
              'resolved', 'answered'][1 + i % 10] AS status
      FROM range(1, $voices + 1) t(i));

INSERT INTO mentorships (mentor_id, mentee_id, start_date, activities_done, _batch_id)
SELECT printf('%06d', 1 + i * 5), printf('%06d', 5 + i * 5), DATE '2023-01-01', i % 11, 'B00001'
FROM range(0, 2000) t(i);

INSERT INTO targets (metric, year, target) VALUES
    ('projects_completed', 2023, 8000), ('training_coverage', 2023, 1.0), ('training_hours', 2023, 2000),
    ('person_times', 2023, 800000), ('fund_raised', 2023, 4000000), ('fund_used', 2023, 1500000);

-- the batches the rows carry: roster, sessions and projects; attendance in 10 files; donations; disbursements;
-- voices
INSERT INTO import_batches
SELECT printf('B%05d', i), i, now()::TIMESTAMP, 'bench', printf('bench/warehouse-%02d.xlsx', i), '-', 0, 0, 0, '[]',
       'loaded', NULL
FROM range(1, 15) t(i);
"""


def build(path: Path, **scale: int) -> Path:
    """A new warehouse at `path` with the given (or city) scale."""
    sizes = {**SCALE, **scale}
    con = db.connect(path)
    for statement in SQL.split(";\n"):
        needed = {k: v for k, v in sizes.items() if f"${k}" in statement}
        if statement.strip():
            con.execute(statement, needed or None)
    derived.refresh(con)
    con.execute("CHECKPOINT")
    con.close()
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    print(build(args.out))
