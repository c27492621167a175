// Package fakekit holds what the fake provider servers share: injected
// faults, added latency, the record of requests received, and JSON and
// HTML answers. Each fake embeds a Kit and keeps its provider's own wire
// format: paths, authentication, error documents and headers.
package fakekit

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// FaultKind says how an injected fault answers.
type FaultKind int

// The kinds of fault a fake can inject. Each fake writes them in its
// provider's own way: its error document, headers and HTML pages.
const (
	KindMalformed   FaultKind = iota + 1 // 200 with a truncated, unparsable body
	KindRateLimit                        // 429 with a Retry-After header
	KindServerError                      // a 5xx status
)

// Fault replaces the normal answer to one request.
type Fault struct {
	Kind       FaultKind
	Status     int           // for KindServerError; the fake's default when zero
	RetryAfter time.Duration // for KindRateLimit; the fake's default when zero
}

// Malformed answers 200 with a truncated body.
func Malformed() Fault { return Fault{Kind: KindMalformed} }

// RateLimit answers 429 with a Retry-After header.
func RateLimit(retryAfter time.Duration) Fault {
	return Fault{Kind: KindRateLimit, RetryAfter: retryAfter}
}

// ServerError answers with a 5xx status.
func ServerError(status int) Fault { return Fault{Kind: KindServerError, Status: status} }

// Kit queues injected faults, delays answers and records requests, as
// every fake server does. R is the fake's record of one request. Embed it
// in the server (its zero value is ready) and call Begin first thing in
// ServeHTTP; the server then offers SetLatency, Inject and Requests.
type Kit[R any] struct {
	mu      sync.Mutex
	faults  []Fault
	reqs    []R
	latency time.Duration
}

// SetLatency delays every answer by d (or until the request is cancelled).
func (k *Kit[R]) SetLatency(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.latency = d
}

// Inject makes the next n requests fail with f, after any faults already queued.
func (k *Kit[R]) Inject(f Fault, n int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for range n {
		k.faults = append(k.faults, f)
	}
}

// Requests returns a copy of the requests received so far.
func (k *Kit[R]) Requests() []R {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]R(nil), k.reqs...)
}

// Begin records req as the record of r, takes the next injected fault (nil
// when none is queued), reads what is left of r's body and waits out the
// latency. ok is false when r was cancelled while waiting: the fake then
// returns without answering. Otherwise it answers the fault, if any, and
// only then checks the key and serves the request.
func (k *Kit[R]) Begin(r *http.Request, req R) (fault *Fault, ok bool) {
	k.mu.Lock()
	k.reqs = append(k.reqs, req)
	if len(k.faults) > 0 {
		fault = &k.faults[0]
		k.faults = k.faults[1:]
	}
	latency := k.latency
	k.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)

	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return nil, false
		}
	}
	return fault, true
}
