package gateway

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		status    int
		reason    string
		retryable bool
	}{
		{200, "", false},
		{204, "", false},
		{304, "", false},
		{400, ReasonClient, false},
		{401, ReasonAuth, false},
		{403, ReasonAuth, false},
		{404, ReasonNotFound, false},
		{408, ReasonClient, false},
		{409, ReasonClient, false},
		{410, ReasonNotFound, false},
		{422, ReasonClient, false},
		{429, ReasonRateLimited, true},
		{500, ReasonServer, true},
		{501, ReasonServer, false},
		{502, ReasonServer, true},
		{503, ReasonServer, true},
		{504, ReasonServer, true},
		{505, ReasonServer, false},
		{529, ReasonServer, true},
	}
	for _, tt := range tests {
		reason, retry := Classify(&http.Response{StatusCode: tt.status}, nil)
		if reason != tt.reason || retry != tt.retryable {
			t.Errorf("%d: got (%q, %v), want (%q, %v)", tt.status, reason, retry, tt.reason, tt.retryable)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifyErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		reason    string
		retryable bool
	}{
		{"attempt deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), ReasonTimeout, true},
		{"net timeout", &net.OpError{Op: "read", Err: timeoutErr{}}, ReasonTimeout, true},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ReasonNetwork, true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), ReasonNetwork, true},
		{"caller canceled", fmt.Errorf("x: %w", context.Canceled), ReasonCanceled, false},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, ReasonNetwork, false},
		{"bad certificate", x509.UnknownAuthorityError{}, ReasonNetwork, false},
		{"breaker", breakerOpenError("vt", timeNow(), 5), ReasonBreakerOpen, false},
		{"quota", quotaError("vt", 500, timeNow()), ReasonQuota, false},
		{"provider 503", &skill.ProviderError{Provider: "vt", Status: 503}, ReasonServer, true},
		{"provider 401", fmt.Errorf("wrapped: %w", &skill.ProviderError{Provider: "vt", Status: 401}), ReasonAuth, false},
		{"other", errors.New("something"), ReasonNetwork, true},
	}
	for _, tt := range tests {
		reason, retry := Classify(nil, tt.err)
		if reason != tt.reason || retry != tt.retryable {
			t.Errorf("%s: got (%q, %v), want (%q, %v)", tt.name, reason, retry, tt.reason, tt.retryable)
		}
	}
}

func TestOutcomeForBreaker(t *testing.T) {
	failures := map[string]bool{ReasonServer: true, ReasonTimeout: true, ReasonNetwork: true, ReasonRateLimited: true}
	for _, r := range []string{"", ReasonAuth, ReasonClient, ReasonNotFound, ReasonServer, ReasonTimeout, ReasonNetwork, ReasonRateLimited} {
		if got := outcomeOf(r) == outcomeFailure; got != failures[r] {
			t.Errorf("%q counts as breaker failure: %v, want %v", r, got, failures[r])
		}
	}
	if outcomeOf(ReasonCanceled) != outcomeNeutral {
		t.Error("a cancelled caller must not move the breaker")
	}
}
