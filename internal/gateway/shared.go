package gateway

import (
	"context"
	"sync"
	"time"
)

// SharedLimits keeps the provider limits that must hold across every
// process calling a provider, not just within one: the sustained rate, the
// daily quota and the pauses a provider asks for. Several `spotter worker`
// processes on one PostgreSQL database share them through the database
// (store.PostgresLimits); a Gateway without SharedLimits keeps them in
// memory. The concurrency cap always stays per process.
//
// Implementations keep their own clock and exchange only durations with
// the gateway, so processes whose clocks disagree still agree on the limits.
// Every method must be safe for concurrent use. An error means the shared
// state could not be reached: the gateway then falls back to its own
// in-memory limits for a while and counts it in
// ProviderMetrics.SharedLimitFallbacks; it never fails a request because
// of it.
type SharedLimits interface {
	// Reserve takes one request's rate token from the provider's shared
	// bucket, unless the provider is paused or the token would come later
	// than maxWait from now. With rate.PerSecond <= 0 it only reports the
	// pause.
	Reserve(ctx context.Context, provider string, rate Rate, maxWait time.Duration) (Reservation, error)
	// TakeQuota counts one request against the provider's quota for the
	// current UTC day, if perDay allows one more.
	TakeQuota(ctx context.Context, provider string, perDay int) (QuotaGrant, error)
	// RefundQuota gives back a request counted today that was never sent.
	RefundQuota(ctx context.Context, provider string, perDay int) error
	// Pause holds every process's requests to the provider for d (a pause
	// already running longer is kept).
	Pause(ctx context.Context, provider string, d time.Duration) error
	// PausedFor reports how much of a pause remains (0 when none).
	PausedFor(ctx context.Context, provider string) (time.Duration, error)
}

// Rate is a sustained request rate with a burst: a bucket of Burst tokens
// (at least 1) refilled at PerSecond tokens per second.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Interval is the time between two tokens (the GCRA emission interval).
func (r Rate) Interval() time.Duration {
	if r.PerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / r.PerSecond)
}

// Tolerance is how far ahead of the steady rate a burst may run (the GCRA
// delay variation tolerance): (Burst-1) intervals.
func (r Rate) Tolerance() time.Duration {
	return time.Duration(max(r.Burst, 1)-1) * r.Interval()
}

// Reservation is the answer of SharedLimits.Reserve.
type Reservation struct {
	// OK is true when a token was taken; the request may be sent after Wait.
	OK   bool
	Wait time.Duration
	// Paused is the remainder of a provider pause; no token is taken while
	// the provider is paused.
	Paused time.Duration
}

// QuotaGrant is the answer of SharedLimits.TakeQuota.
type QuotaGrant struct {
	// OK is true when the request was counted against today's quota.
	OK bool
	// ResetIn is the time left until the quota resets (00:00 UTC) when it
	// is used up.
	ResetIn time.Duration
}

// GCRA is the generic cell rate algorithm over one theoretical arrival time
// (TAT): the moment the bucket would be full again if no request came. It
// gives the same answers as a token bucket of rate.Burst tokens, in one
// number that an UPDATE can change atomically (store.PostgresLimits runs the
// same equation in SQL).
//
// A request at now conforms after wait = max(tat, now) - tolerance - now
// (0 when negative). When that wait is at most maxWait the token is taken,
// and the new TAT is max(tat, now) + interval; otherwise nothing changes.
func GCRA(tat, now time.Time, rate Rate, maxWait time.Duration) (newTAT time.Time, wait time.Duration, ok bool) {
	base := tat
	if base.Before(now) {
		base = now
	}
	wait = max(base.Sub(now)-rate.Tolerance(), 0)
	if wait > maxWait {
		return tat, wait, false
	}
	return base.Add(rate.Interval()), wait, true
}

// MemoryLimits is SharedLimits in memory: for several Gateways in one
// process, and the reference the database implementation is tested
// against. Now is its clock (time.Now when nil).
type MemoryLimits struct {
	Now func() time.Time

	mu        sync.Mutex
	providers map[string]*memoryProvider
}

type memoryProvider struct {
	tat         time.Time
	day         time.Time
	used        int
	pausedUntil time.Time
}

var _ SharedLimits = (*MemoryLimits)(nil)

// NewMemoryLimits returns empty in-memory shared limits on the system clock.
func NewMemoryLimits() *MemoryLimits { return &MemoryLimits{} }

func (m *MemoryLimits) provider(name string) (*memoryProvider, time.Time) {
	if m.providers == nil {
		m.providers = map[string]*memoryProvider{}
	}
	p, ok := m.providers[name]
	if !ok {
		p = &memoryProvider{}
		m.providers[name] = p
	}
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	return p, now
}

// Reserve implements SharedLimits.
func (m *MemoryLimits) Reserve(_ context.Context, provider string, rate Rate, maxWait time.Duration) (Reservation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, now := m.provider(provider)
	if p.pausedUntil.After(now) {
		return Reservation{Paused: p.pausedUntil.Sub(now)}, nil
	}
	if rate.PerSecond <= 0 {
		return Reservation{OK: true}, nil
	}
	tat, wait, ok := GCRA(p.tat, now, rate, maxWait)
	p.tat = tat
	return Reservation{OK: ok, Wait: wait}, nil
}

// TakeQuota implements SharedLimits.
func (m *MemoryLimits) TakeQuota(_ context.Context, provider string, perDay int) (QuotaGrant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, now := m.provider(provider)
	day := now.UTC().Truncate(24 * time.Hour)
	if !day.Equal(p.day) {
		p.day, p.used = day, 0
	}
	if p.used >= perDay {
		return QuotaGrant{ResetIn: day.Add(24 * time.Hour).Sub(now)}, nil
	}
	p.used++
	return QuotaGrant{OK: true}, nil
}

// RefundQuota implements SharedLimits.
func (m *MemoryLimits) RefundQuota(_ context.Context, provider string, _ int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, now := m.provider(provider)
	if p.day.Equal(now.UTC().Truncate(24*time.Hour)) && p.used > 0 {
		p.used--
	}
	return nil
}

// Pause implements SharedLimits.
func (m *MemoryLimits) Pause(_ context.Context, provider string, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, now := m.provider(provider)
	if until := now.Add(d); until.After(p.pausedUntil) {
		p.pausedUntil = until
	}
	return nil
}

// PausedFor implements SharedLimits.
func (m *MemoryLimits) PausedFor(_ context.Context, provider string) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, now := m.provider(provider)
	return max(p.pausedUntil.Sub(now), 0), nil
}

// Option configures a Gateway beyond its Config.
type Option func(*options)

type options struct {
	shared SharedLimits
}

// WithSharedLimits makes every provider transport of the gateway keep its
// rate, daily quota and pauses in s, shared with the other processes using
// it; nil keeps them in memory. The concurrency cap stays per process.
func WithSharedLimits(s SharedLimits) Option {
	return func(o *options) { o.shared = s }
}

// LazySharedLimits defers choosing the shared limits to their first use,
// for callers that open the database lazily. open may return nil, nil: the
// gateway then keeps its limits in memory. An error from open is an
// unavailable database like any other (the gateway falls back and retries
// open later).
func LazySharedLimits(open func(ctx context.Context) (SharedLimits, error)) SharedLimits {
	return &lazyLimits{open: open}
}

type lazyLimits struct {
	open func(ctx context.Context) (SharedLimits, error)

	mu   sync.Mutex
	done bool
	s    SharedLimits
}

// get returns the opened limits; nil without error means none.
func (l *lazyLimits) get(ctx context.Context) (SharedLimits, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return l.s, nil
	}
	s, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	l.s, l.done = s, true
	return s, nil
}

// errNoShared marks lazy limits that turned out to be none; the limiter
// stops consulting them without counting a fallback.
var errNoShared = noSharedError{}

type noSharedError struct{}

func (noSharedError) Error() string { return "no shared limits configured" }

func (l *lazyLimits) Reserve(ctx context.Context, provider string, rate Rate, maxWait time.Duration) (Reservation, error) {
	s, err := l.get(ctx)
	if err != nil || s == nil {
		return Reservation{}, orNoShared(err)
	}
	return s.Reserve(ctx, provider, rate, maxWait)
}

func (l *lazyLimits) TakeQuota(ctx context.Context, provider string, perDay int) (QuotaGrant, error) {
	s, err := l.get(ctx)
	if err != nil || s == nil {
		return QuotaGrant{}, orNoShared(err)
	}
	return s.TakeQuota(ctx, provider, perDay)
}

func (l *lazyLimits) RefundQuota(ctx context.Context, provider string, perDay int) error {
	s, err := l.get(ctx)
	if err != nil || s == nil {
		return orNoShared(err)
	}
	return s.RefundQuota(ctx, provider, perDay)
}

func (l *lazyLimits) Pause(ctx context.Context, provider string, d time.Duration) error {
	s, err := l.get(ctx)
	if err != nil || s == nil {
		return orNoShared(err)
	}
	return s.Pause(ctx, provider, d)
}

func (l *lazyLimits) PausedFor(ctx context.Context, provider string) (time.Duration, error) {
	s, err := l.get(ctx)
	if err != nil || s == nil {
		return 0, orNoShared(err)
	}
	return s.PausedFor(ctx, provider)
}

func orNoShared(err error) error {
	if err != nil {
		return err
	}
	return errNoShared
}
