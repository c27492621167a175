package gateway

import (
	"fmt"
	"time"
)

// Error is a failure of the gateway's own making or observation: the circuit
// breaker is open, the daily quota is used, no rate-limit slot came free in
// time, or the provider could not be reached. It names the provider and
// never carries request headers, query strings or bodies.
//
// HTTP responses, errors included, are not turned into an Error: the
// transport hands them to the plugin, which knows the provider's error format.
type Error struct {
	Provider string
	// Reason is one of the Reason constants.
	Reason string
	// URL is the request's scheme, host and path, when there was a request.
	URL string
	// Until is when calls may succeed again (breaker_open, quota, rate_limited).
	Until time.Time
	// Err is the underlying cause, if any.
	Err error

	msg string
}

func (e *Error) Error() string { return e.Provider + ": " + e.msg }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// stamp formats a resume time for people: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func breakerOpenError(provider string, until time.Time, failures int) *Error {
	msg := fmt.Sprintf("provider unavailable until %s (circuit breaker open after %d consecutive failures)", stamp(until), failures)
	return &Error{Provider: provider, Reason: ReasonBreakerOpen, Until: until, msg: msg}
}

func breakerTrialError(provider string) *Error {
	return &Error{Provider: provider, Reason: ReasonBreakerOpen,
		msg: "provider unavailable while a trial request checks whether it has recovered (circuit breaker half-open)"}
}

func quotaError(provider string, perDay int, reset time.Time) *Error {
	return &Error{Provider: provider, Reason: ReasonQuota, Until: reset,
		msg: fmt.Sprintf("daily quota of %d %s used; resets at 00:00 UTC", perDay, plural(perDay, "request"))}
}

func pausedError(provider string, until time.Time, wait time.Duration) *Error {
	return &Error{Provider: provider, Reason: ReasonRateLimited, Until: until,
		msg: fmt.Sprintf("provider asked to pause requests until %s, longer than this request may wait (%s)", stamp(until), wait)}
}

func slotError(provider, what string, wait time.Duration, err error) *Error {
	return &Error{Provider: provider, Reason: ReasonRateLimited, Err: err,
		msg: fmt.Sprintf("no %s slot came free within %s of waiting in line", what, wait.Round(time.Millisecond))}
}

func attemptError(provider, reason, url string, timeout time.Duration, cause error, secrets []string) *Error {
	var msg string
	switch reason {
	case ReasonTimeout:
		if timeout > 0 {
			msg = fmt.Sprintf("request to %s timed out after %s", url, timeout)
		} else {
			msg = fmt.Sprintf("request to %s ran past the caller's deadline", url)
		}
	case ReasonCanceled:
		msg = fmt.Sprintf("request to %s canceled by the caller", url)
	default:
		msg = fmt.Sprintf("request to %s failed: %s", url, scrub(cause.Error(), secrets))
	}
	return &Error{Provider: provider, Reason: reason, URL: url, Err: cause, msg: msg}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
