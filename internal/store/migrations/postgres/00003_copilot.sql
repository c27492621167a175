-- Copilot state: sessions with their prompts and evaluations, API tokens
-- (only their SHA-256 hashes) and the audit log. Times are Unix
-- milliseconds (UTC); JSON values are stored as TEXT.

-- +goose Up
CREATE TABLE copilot_sessions (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    created_by TEXT    NOT NULL DEFAULT '',
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
CREATE INDEX copilot_sessions_updated ON copilot_sessions (updated_at);

-- One row per prompt; seq orders the prompts of a session from 1.
CREATE TABLE copilot_prompts (
    id           TEXT    PRIMARY KEY,
    session_id   TEXT    NOT NULL REFERENCES copilot_sessions (id) ON DELETE CASCADE,
    seq          BIGINT  NOT NULL,
    content      TEXT    NOT NULL DEFAULT '',
    skill_name   TEXT    NOT NULL DEFAULT '',
    skill_inputs TEXT    NOT NULL DEFAULT '{}',
    plugins      TEXT    NOT NULL DEFAULT '[]',
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    UNIQUE (session_id, seq)
);

-- One evaluation per prompt. entities holds the indicators the evaluation
-- dealt with, so later prompts can refer to them ("this IP").
CREATE TABLE copilot_evaluations (
    id           TEXT    PRIMARY KEY,
    prompt_id    TEXT    NOT NULL REFERENCES copilot_prompts (id) ON DELETE CASCADE,
    session_id   TEXT    NOT NULL REFERENCES copilot_sessions (id) ON DELETE CASCADE,
    state        TEXT    NOT NULL,
    result_type  TEXT    NOT NULL DEFAULT '',
    content      TEXT    NOT NULL DEFAULT '',
    sources      TEXT    NOT NULL DEFAULT '[]',
    suggestions  TEXT    NOT NULL DEFAULT '[]',
    entities     TEXT    NOT NULL DEFAULT '{}',
    usage        TEXT    NOT NULL DEFAULT '{}',
    error        TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    started_at   BIGINT ,
    completed_at BIGINT 
);
CREATE INDEX copilot_evaluations_session ON copilot_evaluations (session_id);
CREATE INDEX copilot_evaluations_prompt ON copilot_evaluations (prompt_id);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT ,
    revoked_at   BIGINT 
);

CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT  NOT NULL,
    token_id   TEXT    NOT NULL DEFAULT '',
    token_name TEXT    NOT NULL DEFAULT '',
    role       TEXT    NOT NULL DEFAULT '',
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL DEFAULT '',
    status     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE copilot_evaluations;
DROP TABLE copilot_prompts;
DROP TABLE copilot_sessions;
