package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/spotter-soc/spotter/internal/gateway"
)

// PostgresLimits keeps the gateway's per-provider limits in PostgreSQL, so
// every process on the database (several `spotter worker`s) shares one
// rate limit, one daily quota and the pauses providers ask for. Each
// operation is one statement on the provider's row of gateway_limits (rate
// and pause; unlogged) or gateway_quota (logged); the row lock makes it
// atomic, and every time is taken from the database clock, so the
// processes' own clocks never mix: only durations leave the database.
type PostgresLimits struct {
	db *sql.DB
}

var _ gateway.SharedLimits = (*PostgresLimits)(nil)

// SharedLimits returns the provider limits the gateway should share
// through this database (gateway.WithSharedLimits): PostgresLimits on
// PostgreSQL, nil on SQLite, whose gateway keeps its limits in memory.
func (s *Store) SharedLimits() gateway.SharedLimits {
	if s.dialect != DialectPostgres {
		return nil
	}
	return &PostgresLimits{db: s.db}
}

// reserveSQL is gateway.GCRA in one statement. $2 is the emission interval,
// $3 the burst tolerance and $4 the longest wait the caller accepts, all in
// seconds. The token is taken (tat moves on by one interval) only when the
// provider is not paused and the wait, max(tat, now) - tolerance - now, is
// at most $4. The statement returns whether it was taken, the wait and the
// remaining pause.
const reserveSQL = `
INSERT INTO gateway_limits AS g (provider, tat, last_granted)
VALUES ($1, now() + make_interval(secs => $2), true)
ON CONFLICT (provider) DO UPDATE SET
    last_granted = g.paused_until <= now()
        AND GREATEST(g.tat, now()) - now() - make_interval(secs => $3) <= make_interval(secs => $4),
    tat = CASE WHEN g.paused_until <= now()
            AND GREATEST(g.tat, now()) - now() - make_interval(secs => $3) <= make_interval(secs => $4)
        THEN GREATEST(g.tat, now()) + make_interval(secs => $2)
        ELSE g.tat END
RETURNING g.last_granted,
    EXTRACT(EPOCH FROM GREATEST(GREATEST(g.tat, now()) - now() - make_interval(secs => $2 + $3), interval '0'))::float8,
    EXTRACT(EPOCH FROM GREATEST(g.paused_until, now()) - now())::float8`

// Reserve implements gateway.SharedLimits.
func (p *PostgresLimits) Reserve(ctx context.Context, provider string, rate gateway.Rate, maxWait time.Duration) (gateway.Reservation, error) {
	if rate.PerSecond <= 0 {
		d, err := p.PausedFor(ctx, provider)
		if err != nil || d > 0 {
			return gateway.Reservation{Paused: d}, err
		}
		return gateway.Reservation{OK: true}, nil
	}
	var (
		ok           bool
		wait, paused float64
	)
	err := p.db.QueryRowContext(ctx, reserveSQL, provider,
		rate.Interval().Seconds(), rate.Tolerance().Seconds(), maxWait.Seconds()).Scan(&ok, &wait, &paused)
	if err != nil {
		return gateway.Reservation{}, fmt.Errorf("shared limits: reserving a request to %s: %w", provider, err)
	}
	if paused > 0 {
		return gateway.Reservation{Paused: seconds(paused)}, nil
	}
	if !ok {
		return gateway.Reservation{}, nil
	}
	return gateway.Reservation{OK: true, Wait: seconds(wait)}, nil
}

// takeQuotaSQL counts a request against today's quota ($2). The count
// stops at the quota plus one, so refused requests do not pile up and a
// refund frees a slot at once. It returns the count and the seconds left
// until 00:00 UTC.
const takeQuotaSQL = `
INSERT INTO gateway_quota AS q (provider, day, used)
VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1)
ON CONFLICT (provider) DO UPDATE SET
    used = CASE WHEN q.day = excluded.day THEN LEAST(q.used + 1, $2::int + 1) ELSE 1 END,
    day = excluded.day
RETURNING q.used,
    EXTRACT(EPOCH FROM date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day' - (now() AT TIME ZONE 'UTC'))::float8`

// TakeQuota implements gateway.SharedLimits.
func (p *PostgresLimits) TakeQuota(ctx context.Context, provider string, perDay int) (gateway.QuotaGrant, error) {
	var (
		used    int
		resetIn float64
	)
	if err := p.db.QueryRowContext(ctx, takeQuotaSQL, provider, perDay).Scan(&used, &resetIn); err != nil {
		return gateway.QuotaGrant{}, fmt.Errorf("shared limits: counting a request to %s against the daily quota: %w", provider, err)
	}
	if used <= perDay {
		return gateway.QuotaGrant{OK: true}, nil
	}
	return gateway.QuotaGrant{ResetIn: seconds(resetIn)}, nil
}

// RefundQuota implements gateway.SharedLimits.
func (p *PostgresLimits) RefundQuota(ctx context.Context, provider string, perDay int) error {
	_, err := p.db.ExecContext(ctx, `UPDATE gateway_quota SET used = GREATEST(LEAST(used, $2::int) - 1, 0)
WHERE provider = $1 AND day = (now() AT TIME ZONE 'UTC')::date`, provider, perDay)
	if err != nil {
		return fmt.Errorf("shared limits: refunding a request to %s: %w", provider, err)
	}
	return nil
}

// Pause implements gateway.SharedLimits.
func (p *PostgresLimits) Pause(ctx context.Context, provider string, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	_, err := p.db.ExecContext(ctx, `INSERT INTO gateway_limits AS g (provider, paused_until)
VALUES ($1, now() + make_interval(secs => $2))
ON CONFLICT (provider) DO UPDATE SET paused_until = GREATEST(g.paused_until, excluded.paused_until)`, provider, d.Seconds())
	if err != nil {
		return fmt.Errorf("shared limits: pausing %s: %w", provider, err)
	}
	return nil
}

// PausedFor implements gateway.SharedLimits.
func (p *PostgresLimits) PausedFor(ctx context.Context, provider string) (time.Duration, error) {
	var left float64
	err := p.db.QueryRowContext(ctx, `SELECT EXTRACT(EPOCH FROM GREATEST(paused_until, now()) - now())::float8
FROM gateway_limits WHERE provider = $1`, provider).Scan(&left)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("shared limits: reading the pause of %s: %w", provider, err)
	}
	return seconds(left), nil
}

// seconds converts seconds from the database into a duration, rounded up
// to the microsecond the database keeps, so a wait is never cut short.
func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	d := time.Duration(s * float64(time.Second))
	return d.Truncate(time.Microsecond) + time.Microsecond
}
