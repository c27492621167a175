-- Sentinel and Defender XDR polling and write-back.
--
-- sentinel_cursors: per source (a workspace or a Defender tenant, by its
-- configured name) the newest incident modification already handed to a
-- playbook run, so a restarted poller resumes where it stopped. cursor_at
-- is an RFC 3339 UTC timestamp; updated_at is Unix milliseconds.
--
-- sentinel_writes: incident revisions Spotter itself wrote (labels,
-- severity, status), so the poller and the webhook do not take Spotter's
-- own change for an analyst's update. revision is the run key without the
-- playbook; written_at is Unix milliseconds.

-- +goose Up
CREATE TABLE sentinel_cursors (
    source     TEXT    PRIMARY KEY,
    cursor_at  TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sentinel_writes (
    revision   TEXT    PRIMARY KEY,
    written_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE sentinel_writes;
DROP TABLE sentinel_cursors;
