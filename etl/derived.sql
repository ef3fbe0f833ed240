-- Derived tables: training rolled up so the dashboards answer from thousands of rows, not millions.
-- They hold nothing that is not in attendance, training_sessions and workers; an import or undo marks them stale
-- (derived_state) and etl/derived.py brings them up to date before anyone reads them.

-- One row per worker and year they attended anything (and the first date they did): coverage, untrained
-- workers, person-times by person, and who had been trained by a given day of the year.
CREATE OR REPLACE TABLE training_worker_year AS
SELECT a.worker_id, year(s.date)::INTEGER AS year, count(*)::BIGINT AS person_times, min(s.date) AS first_date
FROM attendance a JOIN training_sessions s USING (session_id)
GROUP BY ALL
ORDER BY year, worker_id;  -- sorted so a filter on year reads only its row groups

-- Person-times by month, format and the attendee's community: charts by month or format, filtered or not.
CREATE OR REPLACE TABLE training_rollup AS
SELECT date_trunc('month', s.date)::DATE AS month, s.format, w.community, count(*)::BIGINT AS person_times
FROM attendance a JOIN training_sessions s USING (session_id) JOIN workers w USING (worker_id)
GROUP BY ALL
ORDER BY community, month;

-- Which communities' workers attended each session, and how many of them, per batch the attendance came from:
-- sessions and hours "held" for one community, and its person-times, counts and sources by session.
CREATE OR REPLACE TABLE session_communities AS
SELECT a.session_id, w.community, a._batch_id, count(*)::BIGINT AS person_times
FROM attendance a JOIN workers w USING (worker_id)
GROUP BY ALL
ORDER BY community;  -- one community's rows together (zone maps); sorting by session too cost 1 s at 5M rows

-- Person-times per session (and the batch its attendance came from), by date: the as-of month's person-times up to
-- a day, and the drill-down's count and sources of attendance rows, without reading attendance.
CREATE OR REPLACE TABLE session_attendance AS
SELECT a.session_id, s.date, a._batch_id, count(*)::BIGINT AS person_times
FROM attendance a JOIN training_sessions s USING (session_id)
GROUP BY ALL
ORDER BY date, session_id;
