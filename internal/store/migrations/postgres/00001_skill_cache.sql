-- Skill results cached by the provider gateway.

-- +goose Up
CREATE TABLE skill_cache (
    key        TEXT        PRIMARY KEY,
    skill      TEXT        NOT NULL,
    value      BYTEA       NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX skill_cache_expires_at ON skill_cache (expires_at);

-- +goose Down
DROP TABLE skill_cache;
