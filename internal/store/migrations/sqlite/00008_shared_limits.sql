-- Provider limits shared by every process on this database. On SQLite the
-- gateway keeps its limits in memory (one process owns the data
-- directory); the tables exist so that both dialects carry the same schema
-- versions, and are what a shared SQLite implementation would use. Times
-- are Unix milliseconds (UTC); day is the UTC day as YYYY-MM-DD.

-- +goose Up
CREATE TABLE gateway_limits (
    provider     TEXT    PRIMARY KEY,
    tat          INTEGER NOT NULL DEFAULT 0,
    last_granted INTEGER NOT NULL DEFAULT 0,
    paused_until INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE gateway_quota (
    provider TEXT    PRIMARY KEY,
    day      TEXT    NOT NULL,
    used     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE gateway_quota;
DROP TABLE gateway_limits;
