"""Residents' voices written by hand (the figures of a few voices worked out one by one, beside the sample's): the small warehouse of
tests/warehouses.py (two communities, 东方 and 西方, projects P1-P5, as of 2024-01-20) with eight voices whose every
figure is worked out below, and the same voices for a copy of the sample warehouse.

2023 (collected 2023, counted to 2023-12-31):
    V01 西方 elderly  answered day 10, project P2 (completed 2023-09-15), resolved, publishable summary
    V02 西方 elderly  answered day 21 (late), project P2, summary NOT publishable (holds a phone number)
    V03 东方 greening answered day 9, project P3 (in progress), summary NOT publishable
    V04 东方 parking  answered day 30 (late), declined with a reason, publishable summary
    V05 东方 sanitation not answered: on 2024-01-20 it has waited 61 days (past the promise)
    V07 西方 culture  answered day 8
  collected 6 · answered 5 · became projects 3 · project completed 2 · declined 1 · in time 3 · late 2 · open late 1
2024: V06 西方 safety, not answered, 5 days old (within the promise).
2022: V08 东方 other, answered day 4, resolved without a project.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from warehouses import ROWS

from etl import db, derived, publish

SECRET = "王阿姨家漏水请联系13812345678"  # a summary never marked publishable: it must reach no public surface
SECRET_TOO = "花园荒废无人管理-内部"  # another
SHOWN = "加装电梯方便老人出行"  # marked publishable
REASON = "场地不足，已纳入明年规划"

VOICES = f"""
INSERT INTO resident_voices (voice_id, collected_date, community, channel, category, summary, publishable, status,
                             answered_date, resolved_date, project_id, decline_reason, satisfaction)
VALUES
    ('V01', '2023-01-10', '西方', 'visit', 'elderly', '{SHOWN}', TRUE, 'resolved', '2023-01-20', '2023-09-20', 'P2',
     NULL, 'satisfied'),
    ('V02', '2023-01-15', '西方', 'council', 'elderly', '{SECRET}', FALSE, 'project', '2023-02-05', NULL, 'P2',
     NULL, NULL),
    ('V03', '2023-02-01', '东方', 'hotline', 'greening', '{SECRET_TOO}', NULL, 'project', '2023-02-10', NULL, 'P3',
     NULL, NULL),
    ('V04', '2023-03-01', '东方', 'online', 'parking', '停车位不足', TRUE, 'declined', '2023-03-31', NULL, NULL,
     '{REASON}', 'unsatisfied'),
    ('V05', '2023-11-20', '东方', 'visit', 'sanitation', '垃圾房异味', FALSE, 'received', NULL, NULL, NULL, NULL, NULL),
    ('V06', '2024-01-15', '西方', 'online', 'safety', '路灯损坏', FALSE, 'received', NULL, NULL, NULL, NULL, NULL),
    ('V07', '2023-12-20', '西方', 'council', 'culture', '活动室开放时间', FALSE, 'answered', '2023-12-28', NULL, NULL,
     NULL, 'basically'),
    ('V08', '2022-06-01', '东方', 'visit', 'other', '旧诉求', FALSE, 'resolved', '2022-06-05', '2022-07-01', NULL,
     NULL, 'satisfied');
"""

FUNNEL_2023 = {"collected": 6, "answered": 5, "project": 3, "completed": 2}
FUNNEL_ALL = {"collected": 8, "answered": 6, "project": 3, "completed": 2}


def build(path: Path, *, voices: bool = True) -> Path:
    """The small warehouse at `path` (with the voices, unless not `voices`), published for the readers."""
    con = db.connect(path)
    try:
        con.execute(ROWS)
        if voices:
            con.execute(VOICES)
        derived.refresh(con)
        publish.publish(con, "test")
    finally:
        con.close()
    return path


def serve(app_env, path: Path, *, voices: bool = True) -> Path:
    """The app (its environment `app_env`, the conftest's monkeypatch) on the small warehouse built at `path` (with
    the voices, unless not `voices`), published, no sample."""
    build(path, voices=voices)
    app_env.setenv("DASHBOARD_DB", str(path))
    app_env.setenv("DASHBOARD_NO_SAMPLE", "1")
    return path


def published(path: Path) -> duckdb.DuckDBPyConnection:
    """The version published from the warehouse at `path`, read only."""
    return duckdb.connect(str(publish.current_file(path)), read_only=True)


def add_to_sample(path: Path) -> list[str]:
    """The voices put in a copy of the sample warehouse at `path` in place of the sample's own (so a browser finds
    them in a short table), linked to two of its micro-renewals (V01, V02 to the first; V03 to the second) instead of
    P2 and P3; published. Returns those two projects' ids."""
    con = duckdb.connect(str(path))
    try:
        ids = [
            r[0]
            for r in con.execute(
                "SELECT project_id FROM projects WHERE program = 'micro_renewal' ORDER BY status = 'completed' DESC, "
                "project_id LIMIT 2"
            ).fetchall()
        ]
        con.execute("DELETE FROM resident_voices")
        con.execute(VOICES.replace("'P2'", f"'{ids[0]}'").replace("'P3'", f"'{ids[1]}'"))
    finally:
        con.close()
    con = db.connect(path)
    try:
        publish.publish(con, "test")
    finally:
        con.close()
    return ids
