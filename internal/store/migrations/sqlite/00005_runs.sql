-- Playbook run history. The durable-execution engine keeps its own tables
-- (schema dbos on PostgreSQL, runs.db beside this database on SQLite);
-- these tables are what people read: one row per run and one per side
-- effect (skill call, file, webhook, clock read) with inputs and outputs
-- redacted. Times are Unix milliseconds (UTC).

-- +goose Up
CREATE TABLE playbook_runs (
    id          TEXT    PRIMARY KEY,
    playbook    TEXT    NOT NULL,
    trigger_kind TEXT    NOT NULL DEFAULT 'manual',
    origin      TEXT    NOT NULL DEFAULT '',
    run_key     TEXT    NOT NULL DEFAULT '',
    incident    TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    worker      TEXT    NOT NULL DEFAULT '',
    executions  INTEGER  NOT NULL DEFAULT 0,
    created_at  INTEGER  NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    steps       TEXT    NOT NULL DEFAULT '{}',
    outputs     TEXT    NOT NULL DEFAULT '{}',
    report      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX playbook_runs_created ON playbook_runs (created_at);
CREATE INDEX playbook_runs_status ON playbook_runs (status);

-- executions counts how often the effect was performed: more than one
-- means a crash interrupted it and it was performed again.
CREATE TABLE playbook_run_effects (
    run_id      TEXT    NOT NULL,
    effect_key  TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    input       TEXT    NOT NULL DEFAULT '',
    output      TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    cached      INTEGER  NOT NULL DEFAULT 0,
    executions  INTEGER  NOT NULL DEFAULT 0,
    worker      TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER  NOT NULL,
    finished_at INTEGER,
    PRIMARY KEY (run_id, effect_key)
);

-- Engines running playbooks announce themselves here; an engine whose
-- heartbeat is older than the worker timeout is presumed dead, and the
-- first live engine to notice recovers its runs.
CREATE TABLE playbook_workers (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL DEFAULT '',
    pid          INTEGER  NOT NULL DEFAULT 0,
    started_at   INTEGER  NOT NULL,
    heartbeat_at INTEGER  NOT NULL
);

-- +goose Down
DROP TABLE playbook_workers;
DROP TABLE playbook_run_effects;
DROP TABLE playbook_runs;
