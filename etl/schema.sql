-- The warehouse: one table per spreadsheet kind (English column names), plus the import log.
-- Every kind's row carries _batch_id: the import that inserted it or last changed it (NULL for a row written
-- outside an import). An insert is undone by deleting its batch's rows; each kind also gets a <kind>_history
-- table (created in db.py from the kind's own columns) that keeps the rows a batch replaced, with the batch
-- they came from (_prev_batch_id), so the latest batch can be undone exactly.

CREATE TABLE IF NOT EXISTS projects (
    project_id         VARCHAR PRIMARY KEY,
    name               VARCHAR NOT NULL,
    program            VARCHAR NOT NULL,
    theme              VARCHAR,
    level              VARCHAR,
    community          VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,
    start_date         DATE,
    completed_date     DATE,
    budget_yuan        DECIMAL(18, 2),
    residents_involved INTEGER,
    resident_proposed  BOOLEAN,
    _batch_id          VARCHAR
);

CREATE TABLE IF NOT EXISTS workers (
    worker_id   VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    community   VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    joined_date DATE,
    active      BOOLEAN,
    _batch_id   VARCHAR
);

CREATE TABLE IF NOT EXISTS training_sessions (
    session_id VARCHAR PRIMARY KEY,
    title      VARCHAR NOT NULL,
    date       DATE NOT NULL,
    hours      DOUBLE NOT NULL,
    format     VARCHAR,
    organizer  VARCHAR,
    location   VARCHAR,
    _batch_id  VARCHAR
);

-- The key (session_id, worker_id) is kept unique by the loader (duplicates inside a file are errors, rows
-- already stored are matched, imports are serialised). No index backs it: at millions of rows the index
-- doubled the cost of an import and its commit.
CREATE TABLE IF NOT EXISTS attendance (
    session_id VARCHAR NOT NULL,
    worker_id  VARCHAR NOT NULL,
    _batch_id  VARCHAR
);

CREATE TABLE IF NOT EXISTS mentorships (
    mentor_id       VARCHAR NOT NULL,
    mentee_id       VARCHAR NOT NULL,
    start_date      DATE,
    activities_done INTEGER,
    _batch_id       VARCHAR,
    PRIMARY KEY (mentor_id, mentee_id)
);

CREATE TABLE IF NOT EXISTS meetings (
    meeting_id VARCHAR PRIMARY KEY,
    date       DATE NOT NULL,
    type       VARCHAR,
    topic      VARCHAR,
    attendees  INTEGER,
    _batch_id  VARCHAR
);

CREATE TABLE IF NOT EXISTS donations (
    donation_id VARCHAR PRIMARY KEY,
    date        DATE NOT NULL,
    donor       VARCHAR,
    donor_type  VARCHAR,
    amount_yuan DECIMAL(18, 2) NOT NULL,
    channel     VARCHAR,
    _batch_id   VARCHAR
);

CREATE TABLE IF NOT EXISTS disbursements (
    disbursement_id VARCHAR PRIMARY KEY,
    date            DATE NOT NULL,
    amount_yuan     DECIMAL(18, 2) NOT NULL,
    purpose         VARCHAR NOT NULL,
    category        VARCHAR,
    project_id      VARCHAR,
    community       VARCHAR,
    approved_at     VARCHAR,
    _batch_id       VARCHAR
);

-- Resident voices (居民诉求): what residents asked for through the 四百走访 visits, the residents' councils, the
-- 12345 hotline and online, and what became of it: answered, a project (project_id), resolved or declined.
CREATE TABLE IF NOT EXISTS resident_voices (
    voice_id       VARCHAR PRIMARY KEY,  -- 诉求编号
    collected_date DATE NOT NULL,        -- 收集日期
    community      VARCHAR NOT NULL,     -- 社区
    channel        VARCHAR,              -- 渠道: visit | council | hotline | online | other
    category       VARCHAR,              -- 类别: sanitation | parking | elderly | greening | safety | culture | other
    summary        VARCHAR,              -- 内容摘要 (≤ 200 characters, no personal data)
    publishable    BOOLEAN,              -- 摘要可公开 (default no)
    status         VARCHAR NOT NULL,     -- 状态: received | answered | project | resolved | declined
    answered_date  DATE,                 -- 答复日期
    resolved_date  DATE,                 -- 办结日期
    project_id     VARCHAR,              -- 项目编号 (a project in projects)
    decline_reason VARCHAR,              -- 不予采纳理由 (required when declined)
    satisfaction   VARCHAR,              -- 回访满意度: satisfied | basically | unsatisfied
    _batch_id      VARCHAR
);

CREATE TABLE IF NOT EXISTS targets (
    metric VARCHAR NOT NULL,
    year   INTEGER NOT NULL,
    target DOUBLE NOT NULL,
    _batch_id VARCHAR,
    PRIMARY KEY (metric, year)
);

-- What the data declares about itself: the date its figures are as of (数据截至); the most recently imported
-- declaration counts (queries.as_of). And the names the town goes by (declared.py), each in Chinese and English:
-- the town, its district, the community fund, its mentoring and training programmes.
CREATE TABLE IF NOT EXISTS metadata (
    as_of DATE PRIMARY KEY,
    note  VARCHAR,
    _batch_id VARCHAR
);
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS town VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS town_en VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS district VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS district_en VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS fund VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS fund_en VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS mentoring VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS mentoring_en VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS training VARCHAR;
ALTER TABLE metadata ADD COLUMN IF NOT EXISTS training_en VARCHAR;

-- Notes that explain a figure (说明备注): a date or a period (end_date), the metric (a catalogue code), optionally one
-- community, the text in Chinese and optionally in English (notes.py picks the ones that apply).
CREATE TABLE IF NOT EXISTS notes (
    note_id   VARCHAR PRIMARY KEY,
    date      DATE NOT NULL,
    end_date  DATE,
    metric    VARCHAR NOT NULL,
    community VARCHAR,
    text_zh   VARCHAR NOT NULL,
    text_en   VARCHAR,
    _batch_id VARCHAR
);
-- Whether the derived training tables (etl/derived.sql) agree with their sources: one row. An import marks them
-- stale in its transaction and refreshes them after its COMMIT (or leaves that to the next opening or publish).
CREATE TABLE IF NOT EXISTS derived_state (
    fresh      BOOLEAN NOT NULL,
    changed_at TIMESTAMP
);

-- One row per import that changed something. status: loaded | undone.
CREATE TABLE IF NOT EXISTS import_batches (
    batch_id    VARCHAR PRIMARY KEY,
    seq         INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    user_name   VARCHAR NOT NULL,
    file_name   VARCHAR NOT NULL,
    file_hash   VARCHAR NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    sheets      VARCHAR NOT NULL,  -- JSON: [{"sheet", "kind", "rows", "inserted", "updated", "unchanged"}]
    status      VARCHAR NOT NULL,
    undone_at   TIMESTAMP
);

-- The name given with `load --user NAME`, kept apart from import_batches.user_name (the operating-system user who
-- ran the CLI, or the signed-in account in the app): a claim nobody checked. A table of its own, so warehouses made
-- before it existed (and anything inserting positionally into import_batches) keep working.
CREATE TABLE IF NOT EXISTS batch_claims (
    batch_id     VARCHAR PRIMARY KEY,
    claimed_user VARCHAR NOT NULL
);

-- Published versions (etl/publish.py): what viewers read. Each is an immutable copy of the working warehouse in
-- published/<version>.duckdb; `batches` are the loaded batches it holds, `batch_seq` the last of them; `approved` the
-- pending batches its approver was shown and approved, `withdrawn` the published batches they saw taken out (undone,
-- restored away); `self_approved`: the approver had imported some of them and nobody else could approve.
-- A restore carries the records newer than its backup across (etl/backup.py), so a version name is never reused.
CREATE TABLE IF NOT EXISTS published_versions (
    version       VARCHAR PRIMARY KEY,
    published_at  TIMESTAMP NOT NULL,
    published_by  VARCHAR NOT NULL,
    batch_seq     BIGINT NOT NULL,
    batches       VARCHAR[],
    note          VARCHAR,
    approved      VARCHAR[],
    withdrawn     VARCHAR[],
    self_approved BOOLEAN
);
ALTER TABLE published_versions ADD COLUMN IF NOT EXISTS approved VARCHAR[];
ALTER TABLE published_versions ADD COLUMN IF NOT EXISTS withdrawn VARCHAR[];
ALTER TABLE published_versions ADD COLUMN IF NOT EXISTS self_approved BOOLEAN;

-- The audit trail: append-only (nothing in the app or the CLI updates or deletes a row; restore carries it across).
-- action: import | import_rejected | undo | undo_refused | restore | warning | sign_in | sign_in_failed
--         | account_added | role_changed | password_reset | account_removed.
-- event_id is set on every event; an account change journalled while the app held the file keeps its id when absorbed.
CREATE SEQUENCE IF NOT EXISTS audit_seq START 1;
CREATE TABLE IF NOT EXISTS audit_log (
    seq       BIGINT PRIMARY KEY,
    "at"      TIMESTAMP NOT NULL,
    user_name VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    details   VARCHAR NOT NULL,  -- JSON: batch_id, file, counts, role, …
    event_id  VARCHAR NOT NULL
);
