-- Skill results cached by the provider gateway. Times are Unix milliseconds
-- (UTC), so comparisons are numeric.

-- +goose Up
CREATE TABLE skill_cache (
    key        TEXT    PRIMARY KEY,
    skill      TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    stored_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX skill_cache_expires_at ON skill_cache (expires_at);

-- +goose Down
DROP TABLE skill_cache;
