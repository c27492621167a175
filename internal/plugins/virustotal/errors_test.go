package virustotal

import (
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/virustotal/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestAuthFailures(t *testing.T) {
	f := fake.New("some-other-key-000000", fake.Sample(testNow))
	srv := httptest.NewServer(f)
	defer srv.Close()
	h := newHarnessAt(t, f, srv.URL+"/api/v3", testKey)
	_, err := h.run(FileReportID, map[string]any{"hash": fake.EICARMD5})
	pe := providerError(t, err)
	if pe.Error() != "virustotal: the API key was rejected (WrongCredentialsError) (401)" || pe.Code != "WrongCredentialsError" {
		t.Errorf("wrong key: %q", pe)
	}
	// the fake's answer to a missing header, as the documentation words it
	r, err := srv.Client().Get(srv.URL + "/api/v3/files/" + fake.EICARMD5)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Errorf("no key: %d", r.StatusCode)
	}
}

func TestInjectedFaults(t *testing.T) {
	tests := []struct {
		name   string
		fault  fake.Fault
		status int
		msg    string
	}{
		{"malformed", fake.Malformed(), 0, "virustotal: unexpected response: unexpected end of JSON input"},
		{"quota", fake.RateLimit(time.Minute), 429, "virustotal: quota exceeded (QuotaExceededError) (429)"},
		{"transient", fake.ServerError(503), 503, "virustotal: the service is temporarily unavailable (TransientError) (503)"},
		{"deadline", fake.ServerError(504), 504, "virustotal: the request took too long at VirusTotal (DeadlineExceededError) (504)"},
		{"internal", fake.ServerError(500), 500, "virustotal: the service is unavailable (500)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.Inject(tt.fault, 1)
			_, err := h.run(DomainReportID, map[string]any{"domain": "evil-cdn.com"})
			pe := providerError(t, err)
			if pe.Status != tt.status || pe.Error() != tt.msg {
				t.Errorf("error %q (status %d), want %q (status %d)", pe, pe.Status, tt.msg, tt.status)
			}
			if _, err := h.run(DomainReportID, map[string]any{"domain": "evil-cdn.com"}); err != nil {
				t.Errorf("after the fault: %v", err)
			}
			if n := len(h.fake.Requests()); n != 2 {
				t.Errorf("%d requests: the plugin must not retry", n)
			}
		})
	}
}

func TestServerErrorRunAndQuota(t *testing.T) {
	h := newHarness(t)
	h.fake.Inject(fake.ServerError(503), 3)
	for range 3 {
		_, err := h.run(IPReportID, map[string]any{"ip": "8.8.8.8"})
		if pe := providerError(t, err); pe.Status != 503 {
			t.Errorf("%v", pe)
		}
	}
	h.fake.SetQuota(1)
	if _, err := h.run(IPReportID, map[string]any{"ip": "8.8.8.8"}); err != nil {
		t.Fatal(err)
	}
	_, err := h.run(IPReportID, map[string]any{"ip": "8.8.8.8"})
	if pe := providerError(t, err); pe.Status != 429 || pe.Code != "QuotaExceededError" {
		t.Errorf("quota: %v", pe)
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"error":{"code":"AuthenticationRequiredError","message":"X-Apikey header is missing"}}`, "virustotal: the API key was rejected (AuthenticationRequiredError) (401)"},
		{401, `{"error":{"code":"UserNotActiveError","message":"User is not active"}}`, "virustotal: the API key's account is not active (UserNotActiveError) (401)"},
		{403, `{"error":{"code":"ForbiddenError","message":"You are not allowed to perform the requested operation"}}`, "virustotal: the API key may not use this endpoint (ForbiddenError) (403)"},
		{400, `{"error":{"code":"InvalidArgumentError","message":"\"x\" is not a valid domain pattern"}}`, `virustotal: "x" is not a valid domain pattern (InvalidArgumentError) (400)`},
		{429, `{"error":{"code":"TooManyRequestsError","message":"Too many requests"}}`, "virustotal: too many requests (TooManyRequestsError) (429)"},
		{429, `<html>slow down</html>`, "virustotal: too many requests (429)"},
		{404, `<html>nginx</html>`, "virustotal: the request was rejected (404)"},
		{409, `{"error":{"code":"AlreadyExistsError","message":"exists ` + testKey + `"}}`, "virustotal: unexpected HTTP status: exists <secret> (AlreadyExistsError) (409)"},
	}
	for _, tt := range tests {
		_, err := domainResult("example.com", &provider.Response{Status: tt.status, Body: []byte(tt.body)}, testKey)
		pe := providerError(t, err)
		skilltest.NoLeak(t, []string{testKey}, pe)
		if pe.Error() != tt.want || pe.Status != tt.status {
			t.Errorf("%d %s:\n got %q\nwant %q", tt.status, tt.body, pe, tt.want)
		}
	}
}

// Not found is a result with an unknown verdict, never an error.
func TestNotFoundIsUnknown(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(URLReportID, map[string]any{"url": "https://not-in-the-dataset.example.net/login"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(URLReport)
	if d.Found || res.Findings[0].Level != skill.Unknown || !strings.Contains(res.Summary, "No report") {
		t.Errorf("result: %+v", res)
	}
}
