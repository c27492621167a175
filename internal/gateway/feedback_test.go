package gateway

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func timeNow() time.Time { return time.Now() }

func TestBackoffBounds(t *testing.T) {
	base, maxWait := 500*time.Millisecond, 30*time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	for attempt := range 12 {
		ceiling := min(base<<attempt, maxWait)
		var lo, hi time.Duration = ceiling, 0
		for range 2000 {
			d := backoff(base, maxWait, attempt, rng.Int64N)
			if d < 0 || d > ceiling {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, ceiling)
			}
			lo, hi = min(lo, d), max(hi, d)
		}
		// Full jitter spreads waits over the whole range.
		if lo > ceiling/10 || hi < ceiling*9/10 {
			t.Errorf("attempt %d: waits span [%v, %v], want most of [0, %v]", attempt, lo, hi, ceiling)
		}
	}
	// The extremes of the random source hit the bounds exactly.
	if d := backoff(base, maxWait, 3, func(n int64) int64 { return n - 1 }); d != 4*time.Second {
		t.Errorf("upper bound for attempt 3: %v, want 4s", d)
	}
	if d := backoff(base, maxWait, 200, func(n int64) int64 { return n - 1 }); d != maxWait {
		t.Errorf("huge attempt: %v, want the cap %v", d, maxWait)
	}
	if d := backoff(base, maxWait, 0, func(int64) int64 { return 0 }); d != 0 {
		t.Errorf("lower bound: %v, want 0", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Time
		ok    bool
	}{
		{"", time.Time{}, false},
		{"7", now.Add(7 * time.Second), true},
		{" 0 ", now, true},
		{"1.5", now.Add(1500 * time.Millisecond), true},
		{"-3", time.Time{}, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), now.Add(90 * time.Second), true},
		{now.Add(-time.Hour).Format(http.TimeFormat), now, true},
		{"Fri, 20 Nov 2026 10:00:30 GMT", now.Add(30 * time.Second), true},
		{"soon", time.Time{}, false},
		{"999999999", now.Add(maxPause), true},
	}
	for _, tt := range tests {
		got, ok := retryAfter(http.Header{"Retry-After": {tt.value}}, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("Retry-After %q: got (%v, %v), want (%v, %v)", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestQuotaExhausted(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	midnight := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		remaining, reset string
		want             time.Time
		ok               bool
	}{
		{"0", strconv.FormatInt(midnight.Unix(), 10), midnight, true}, // AbuseIPDB: epoch seconds
		{"0", "60", now.Add(time.Minute), true},                       // seconds from now
		{"3", strconv.FormatInt(midnight.Unix(), 10), time.Time{}, false},
		{"0", "", time.Time{}, false},
		{"0", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), time.Time{}, false},
		{"", "60", time.Time{}, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.remaining != "" {
			h.Set("X-RateLimit-Remaining", tt.remaining)
		}
		if tt.reset != "" {
			h.Set("X-RateLimit-Reset", tt.reset)
		}
		got, ok := quotaExhausted(h, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("remaining %q reset %q: got (%v, %v), want (%v, %v)", tt.remaining, tt.reset, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProviderPauseOnlyFromRetryAfterOn429And503(t *testing.T) {
	now := time.Now()
	h := http.Header{"Retry-After": {"5"}}
	for status, want := range map[int]bool{429: true, 503: true, 500: false, 200: false} {
		_, _, ok := providerPause(&http.Response{StatusCode: status, Header: h}, now)
		if ok != want {
			t.Errorf("status %d with Retry-After: pause %v, want %v", status, ok, want)
		}
	}
}
