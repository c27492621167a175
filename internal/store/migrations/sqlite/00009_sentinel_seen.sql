-- The Sentinel and Defender XDR poller's record of the incidents it has
-- handled, per source (a workspace or a Defender tenant, by its configured
-- name). Each poll lists the changes from a while before its cursor (the
-- overlap), so an incident the service made visible late is still found;
-- this record tells a new incident ("created") from a change of a known one
-- ("updated"), and lets a revision listed again be skipped without
-- starting anything.
--
-- sentinel_seen: per incident (incident_id lower-cased) the newest revision
-- handed to a run, matched by no rule, or written by Spotter itself;
-- revision is the run key without the playbook, modified_at its
-- modification time in Unix nanoseconds, first_seen_at Unix milliseconds.
-- A revision whose run could not be started is not recorded.
--
-- sentinel_seen_horizons: per source the time from which sentinel_seen is
-- complete (an RFC 3339 UTC timestamp; updated_at is Unix milliseconds).
-- An incident without an entry that was created at or after it is new.
-- Entries whose revision is older than the horizon are pruned: it trails
-- the cursor by the overlap, and never passes the creation of a new
-- incident whose run could not be started yet.

-- +goose Up
CREATE TABLE sentinel_seen (
    source        TEXT    NOT NULL,
    incident_id   TEXT    NOT NULL,
    revision      TEXT    NOT NULL,
    modified_at   INTEGER NOT NULL,
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (source, incident_id)
);

CREATE INDEX sentinel_seen_modified ON sentinel_seen (source, modified_at);

CREATE TABLE sentinel_seen_horizons (
    source     TEXT    PRIMARY KEY,
    horizon_at TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE sentinel_seen_horizons;
DROP INDEX sentinel_seen_modified;
DROP TABLE sentinel_seen;
