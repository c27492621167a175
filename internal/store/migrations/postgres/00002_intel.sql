-- Local threat intelligence: indicators imported from feeds, the feeds
-- themselves with their HTTP validators and last import figures, and the
-- CIDR prefix lengths in use. NULL times mean unknown.

-- +goose Up
-- One row per (type, value, source): importing a feed again updates its rows
-- in place. The primary key serves exact lookups; CIDR ranges are stored by
-- their canonical network text (type 'cidr', e.g. 203.0.113.0/24) and found by
-- masking the address to every prefix length listed in intel_cidr_bits.
-- Byte-wise collation keeps comparisons exact and cheap.
CREATE TABLE intel_indicators (
    type        TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    confidence  SMALLINT    NOT NULL,
    tags        TEXT        NOT NULL DEFAULT '',
    malware     TEXT        NOT NULL DEFAULT '',
    reference   TEXT        NOT NULL DEFAULT '',
    description TEXT        NOT NULL DEFAULT '',
    object_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    valid_until TIMESTAMPTZ,
    PRIMARY KEY (type, value, source)
);
CREATE INDEX intel_indicators_source ON intel_indicators (source, object_id);
CREATE INDEX intel_indicators_valid_until ON intel_indicators (valid_until) WHERE valid_until IS NOT NULL;

CREATE TABLE intel_feeds (
    name          TEXT        PRIMARY KEY,
    kind          TEXT        NOT NULL DEFAULT '',
    url           TEXT        NOT NULL DEFAULT '',
    etag          TEXT        NOT NULL DEFAULT '',
    last_modified TEXT        NOT NULL DEFAULT '',
    state         TEXT        NOT NULL DEFAULT '',
    last_attempt  TIMESTAMPTZ,
    last_sync     TIMESTAMPTZ,
    last_change   TIMESTAMPTZ,
    last_error    TEXT        NOT NULL DEFAULT '',
    added         BIGINT      NOT NULL DEFAULT 0,
    updated       BIGINT      NOT NULL DEFAULT 0,
    unchanged     BIGINT      NOT NULL DEFAULT 0,
    removed       BIGINT      NOT NULL DEFAULT 0,
    unsupported   BIGINT      NOT NULL DEFAULT 0,
    invalid       BIGINT      NOT NULL DEFAULT 0
);

-- Prefix lengths of the stored CIDR ranges, per address family (4 or 6).
-- Rows are only ever added: a length no longer in use costs one index probe.
CREATE TABLE intel_cidr_bits (
    family SMALLINT NOT NULL,
    bits   SMALLINT NOT NULL,
    PRIMARY KEY (family, bits)
);

-- +goose Down
DROP TABLE intel_cidr_bits;
DROP TABLE intel_feeds;
DROP TABLE intel_indicators;
