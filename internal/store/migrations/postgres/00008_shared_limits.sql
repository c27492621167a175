-- Provider limits shared by every process on this database, so that
-- several workers together stay within a provider's rate limit, daily
-- quota and requested pauses. One row per provider in each table; times
-- come from the database clock (now()), so the processes' own clocks never
-- mix.
--
-- gateway_limits: tat is the GCRA theoretical arrival time of the
-- provider's token bucket; last_granted says whether the latest
-- reservation took a token (the reservation's UPDATE sets it, since
-- RETURNING sees only new values); paused_until holds off every process
-- (Retry-After, X-RateLimit-Reset). The table is UNLOGGED: every provider
-- request updates its row, and waiting for that WAL flush made each
-- request ten times slower. Its state is short-lived: a server crash
-- empties it (buckets refill, pauses end), as restarting a process does
-- with in-memory limits.
--
-- gateway_quota: requests counted against the daily quota on the UTC day
-- day, capped at the quota plus one. It is logged, so a crash never hands
-- out a day's quota twice.

-- +goose Up
CREATE UNLOGGED TABLE gateway_limits (
    provider     TEXT        PRIMARY KEY,
    tat          TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
    last_granted BOOLEAN     NOT NULL DEFAULT false,
    paused_until TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
);

CREATE TABLE gateway_quota (
    provider TEXT    PRIMARY KEY,
    day      DATE    NOT NULL,
    used     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE gateway_quota;
DROP TABLE gateway_limits;
