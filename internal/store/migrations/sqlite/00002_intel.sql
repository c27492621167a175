-- Local threat intelligence: indicators imported from feeds, the feeds
-- themselves with their HTTP validators and last import figures, and the
-- CIDR prefix lengths in use. Times are Unix milliseconds (UTC); NULL means
-- unknown.

-- +goose Up
-- One row per (type, value, source): importing a feed again updates its rows
-- in place. The primary key serves exact lookups; CIDR ranges are stored by
-- their canonical network text (type 'cidr', e.g. 203.0.113.0/24) and found by
-- masking the address to every prefix length listed in intel_cidr_bits.
CREATE TABLE intel_indicators (
    type        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    confidence  INTEGER NOT NULL,
    tags        TEXT    NOT NULL DEFAULT '',
    malware     TEXT    NOT NULL DEFAULT '',
    reference   TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    object_id   TEXT    NOT NULL DEFAULT '',
    first_seen  INTEGER,
    last_seen   INTEGER,
    valid_until INTEGER,
    PRIMARY KEY (type, value, source)
) WITHOUT ROWID;
CREATE INDEX intel_indicators_source ON intel_indicators (source, object_id);
CREATE INDEX intel_indicators_valid_until ON intel_indicators (valid_until) WHERE valid_until IS NOT NULL;

CREATE TABLE intel_feeds (
    name          TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    etag          TEXT    NOT NULL DEFAULT '',
    last_modified TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL DEFAULT '',
    last_attempt  INTEGER,
    last_sync     INTEGER,
    last_change   INTEGER,
    last_error    TEXT    NOT NULL DEFAULT '',
    added         INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    removed       INTEGER NOT NULL DEFAULT 0,
    unsupported   INTEGER NOT NULL DEFAULT 0,
    invalid       INTEGER NOT NULL DEFAULT 0
);

-- Prefix lengths of the stored CIDR ranges, per address family (4 or 6).
-- Rows are only ever added: a length no longer in use costs one index probe.
CREATE TABLE intel_cidr_bits (
    family INTEGER NOT NULL,
    bits   INTEGER NOT NULL,
    PRIMARY KEY (family, bits)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE intel_cidr_bits;
DROP TABLE intel_feeds;
DROP TABLE intel_indicators;
