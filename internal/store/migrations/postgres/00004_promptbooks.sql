-- Promptbooks created through the API (built-in promptbooks and those in
-- the promptbooks directory are read from files and are not stored here),
-- and the owner of each unfinished evaluation. definition is the
-- promptbook as JSON; times are Unix milliseconds (UTC).

-- +goose Up
CREATE TABLE copilot_promptbooks (
    name       TEXT    PRIMARY KEY,
    definition TEXT    NOT NULL,
    created_by TEXT    NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- worker is the engine (process) that runs an evaluation; it renews
-- heartbeat_at while the evaluation is unfinished, so a starting instance
-- can tell evaluations cut off by a stopped process from those another
-- live instance is running.
ALTER TABLE copilot_evaluations ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE copilot_evaluations ADD COLUMN heartbeat_at BIGINT;

-- +goose Down
ALTER TABLE copilot_evaluations DROP COLUMN heartbeat_at;
ALTER TABLE copilot_evaluations DROP COLUMN worker;
DROP TABLE copilot_promptbooks;
