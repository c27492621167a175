package abuseipdb

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb/fake"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestWrongKey(t *testing.T) {
	f := fake.New("another-key-entirely-1234", fake.Sample(testNow))
	srv := httptest.NewServer(f)
	defer srv.Close()
	h := newHarnessAt(t, f, srv.URL+"/api/v2", testKey)
	_, err := h.run(CheckIPID, map[string]any{"ip": "185.220.101.47"})
	pe := providerError(t, err)
	if pe.Error() != "abuseipdb: the API key was rejected (401)" || pe.Status != 401 {
		t.Errorf("error: %q", pe)
	}
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  fake.Fault
		status int
		msg    string
	}{
		{"malformed body", fake.Malformed(), 0, "abuseipdb: unexpected response: unexpected end of JSON input"},
		{"rate limited", fake.RateLimit(30 * time.Second), 429, "rate limit exceeded (1000 requests a day; resets "},
		{"server error", fake.ServerError(503), 503, "abuseipdb: the service is unavailable (503)"},
		{"bad gateway", fake.ServerError(502), 502, "abuseipdb: the service is unavailable (502)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Inject(tt.fault, 1)
			_, err := h.run(CheckIPID, map[string]any{"ip": "185.220.101.47"})
			pe := providerError(t, err)
			if pe.Status != tt.status || !strings.Contains(pe.Error(), tt.msg) {
				t.Errorf("error %q (status %d), want %q (status %d)", pe, pe.Status, tt.msg, tt.status)
			}
			if tt.status == 429 && !strings.Contains(pe.Error(), "retry after 30s") {
				t.Errorf("429 without Retry-After: %q", pe)
			}
			// the fault was one-shot: the next call succeeds, and nothing was retried here
			if _, err := h.run(CheckIPID, map[string]any{"ip": "185.220.101.47"}); err != nil {
				t.Errorf("after the fault: %v", err)
			}
			if n := len(h.fake.Requests()); n != 2 {
				t.Errorf("%d requests: the plugin must not retry", n)
			}
		})
	}
}

// A run of 5xx is surfaced on every call: retrying is the gateway's job.
func TestServerErrorRun(t *testing.T) {
	h := newHarness(t)
	h.fake.Inject(fake.ServerError(500), 3)
	for i := range 3 {
		_, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8"})
		if pe := providerError(t, err); pe.Status != 500 {
			t.Errorf("call %d: %v", i, pe)
		}
	}
	if _, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8"}); err != nil {
		t.Error(err)
	}
}

// Once the daily quota is spent the fake answers the documented 429.
func TestDailyQuota(t *testing.T) {
	h := newHarness(t)
	h.fake.SetDailyLimit(1)
	if _, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8"}); err != nil {
		t.Fatal(err)
	}
	_, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8"})
	pe := providerError(t, err)
	if pe.Status != 429 || !strings.Contains(pe.Msg, "1 requests a day; resets 2025-03-02 00:00 UTC; retry after 43200s") {
		t.Errorf("error: %q", pe)
	}
}

// The 422 details reach the analyst word for word; the skills never send
// such requests (they validate first), so the client is driven directly.
func TestUnprocessable(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		q      url.Values
		detail string
		param  string
	}{
		{url.Values{"ipAddress": {"999.1.1.1"}}, fake.DetailInvalidIP, "ipAddress"},
		{url.Values{"ipAddress": {"8.8.8.8"}, "maxAgeInDays": {"400"}}, fake.DetailMaxAge, "maxAgeInDays"},
	}
	for _, tt := range tests {
		r, err := h.client.get(context.Background(), "/check", tt.q)
		if err != nil {
			t.Fatal(err)
		}
		pe := apiError(r, testKey)
		skilltest.NoLeak(t, []string{testKey}, pe)
		if pe.Status != 422 || pe.Msg != tt.detail || pe.Code != tt.param {
			t.Errorf("%v: %+v", tt.q, pe)
		}
	}
}

// Out-of-range inputs are refused before a call even when Run is handed
// inputs that did not go through Spec.Validate.
func TestMaxAgeRange(t *testing.T) {
	h := newHarness(t)
	for _, days := range []int{0, 366} {
		_, err := h.skills[CheckIPID].Run(context.Background(), map[string]any{"ip": "8.8.8.8", "max_age_days": days})
		if err == nil || !strings.Contains(err.Error(), "max_age_days") {
			t.Errorf("%d days: %v", days, err)
		}
	}
	if _, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8", "max_age_days": 400}); err == nil {
		t.Error("validation accepted 400 days")
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestTransportError(t *testing.T) {
	h := newHarnessAt(t, nil, "http://127.0.0.1:1/api/v2", testKey)
	_, err := h.run(CheckIPID, map[string]any{"ip": "8.8.8.8"})
	if err == nil || !strings.HasPrefix(err.Error(), "abuseipdb: GET /check: ") {
		t.Errorf("error: %v", err)
	}
}
