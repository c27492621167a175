package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxPause bounds how long one provider signal may hold a provider's
// requests, so a garbled header cannot stop a provider for good.
const maxPause = 48 * time.Hour

// epochThreshold separates X-RateLimit-Reset values that are Unix times
// (AbuseIPDB, GitHub) from those that are seconds to wait: no provider asks
// for a pause of more than three years.
const epochThreshold = 100_000_000

// retryAfter reads a Retry-After header, in either of its forms: a number of
// seconds or an HTTP date. ok is false when the header is absent or unreadable.
func retryAfter(h http.Header, now time.Time) (until time.Time, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 {
			return time.Time{}, false
		}
		return now.Add(min(time.Duration(secs*float64(time.Second)), maxPause)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	if t.Before(now) {
		return now, true
	}
	return capPause(t, now), true
}

// quotaExhausted reads X-RateLimit-Remaining and X-RateLimit-Reset: when no
// request is left, it returns the reset time. Reset is accepted as epoch
// seconds or, for small values, as seconds from now.
func quotaExhausted(h http.Header, now time.Time) (until time.Time, ok bool) {
	if strings.TrimSpace(h.Get("X-RateLimit-Remaining")) != "0" {
		return time.Time{}, false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	if n >= epochThreshold {
		until = time.Unix(int64(n), 0)
	} else {
		until = now.Add(time.Duration(n * float64(time.Second)))
	}
	if until.Before(now) {
		return time.Time{}, false
	}
	return capPause(until, now), true
}

func capPause(until, now time.Time) time.Time {
	if limit := now.Add(maxPause); until.After(limit) {
		return limit
	}
	return until
}

// providerPause returns how long the provider asked every caller to hold
// off, from a response's headers: Retry-After on 429 and 503, or an
// exhausted X-RateLimit-Remaining on any response.
func providerPause(resp *http.Response, now time.Time) (until time.Time, signal string, ok bool) {
	if resp == nil {
		return time.Time{}, "", false
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if t, ok := retryAfter(resp.Header, now); ok {
			return t, "Retry-After", true
		}
	}
	if t, ok := quotaExhausted(resp.Header, now); ok {
		return t, "X-RateLimit-Reset", true
	}
	return time.Time{}, "", false
}

// backoff returns the wait before retry number attempt (0 for the first
// retry): full jitter, a uniform random duration in
// [0, min(maxWait, base·2^attempt)]. randN returns a number in [0, n).
func backoff(base, maxWait time.Duration, attempt int, randN func(n int64) int64) time.Duration {
	ceiling := maxWait
	if attempt < 62 {
		if c := base << attempt; c > 0 && c>>attempt == base && c < maxWait {
			ceiling = c
		}
	}
	if ceiling <= 0 {
		return 0
	}
	return time.Duration(randN(int64(ceiling) + 1))
}
