package abusech

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// maxBody bounds how much of a response is read.
const maxBody = 8 << 20

// The three platforms, as named in messages.
const (
	svcURLhaus   = "URLhaus"
	svcThreatFox = "ThreatFox"
	svcBazaar    = "MalwareBazaar"
)

// The three platforms, as named in findings' Source.
const (
	srcURLhaus   = "abuse.ch URLhaus"
	srcThreatFox = "abuse.ch ThreatFox"
	srcBazaar    = "abuse.ch MalwareBazaar"
)

// client speaks the abuse.ch wire formats through the gateway's HTTP client.
type client struct {
	*provider.Client
	urlhaus, threatfox, bazaar string // API roots without a trailing slash
}

func newClient(env skill.Env) (*client, error) {
	pc, err := provider.NewClient(env, provider.Config{Name: Name, KeyHeader: "Auth-Key", MaxBody: maxBody})
	if err != nil {
		return nil, err
	}
	c := &client{Client: pc}
	for _, s := range []struct {
		name, def string
		dst       *string
	}{
		{"urlhaus_url", DefaultURLhausURL, &c.urlhaus},
		{"threatfox_url", DefaultThreatFoxURL, &c.threatfox},
		{"malwarebazaar_url", DefaultMalwareBazaarURL, &c.bazaar},
	} {
		if *s.dst, err = provider.URLSetting(Name, env.Settings, s.name, s.def); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// postForm sends a form-encoded POST, the way URLhaus and MalwareBazaar take queries.
func (c *client) postForm(ctx context.Context, svc, endpoint string, form url.Values) (*provider.Response, error) {
	return c.post(ctx, svc, endpoint, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// postJSON sends a JSON POST, the way ThreatFox takes queries.
func (c *client) postJSON(ctx context.Context, svc, endpoint string, body any) (*provider.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("abusech: encoding the %s query: %w", svc, err)
	}
	return c.post(ctx, svc, endpoint, "application/json", b)
}

// post sends the query with the key in the Auth-Key header. Transport
// failures are returned as they are (the gateway has already retried them);
// any HTTP answer is returned as a response.
func (c *client) post(ctx context.Context, svc, endpoint, contentType string, body []byte) (*provider.Response, error) {
	r, err := c.Do(ctx, provider.Request{
		Method: http.MethodPost, URL: endpoint, Body: body, ContentType: contentType,
		Label: svc, Log: slog.String("service", svc), Service: svc,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// queryStatus reads an answer's HTTP status and query_status. abuse.ch
// reports results in query_status even on HTTP 200, and has been seen
// rejecting a key both with 403 and with 200, so both are checked. Only a
// 200 with a readable query_status comes back without an error.
func queryStatus(svc string, r *provider.Response, key string) (string, error) {
	var head struct {
		QueryStatus string `json:"query_status"`
	}
	jsonErr := json.Unmarshal(bytes.TrimSpace(r.Body), &head)
	qs := provider.Clip(head.QueryStatus, 60)
	switch {
	case qs == "unknown_auth_key" || r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		e := &skill.ProviderError{Provider: Name, Code: qs, Msg: svc + " rejected the API key"}
		if r.Status != http.StatusOK {
			e.Status = r.Status
		}
		if qs != "" {
			e.Msg += " (" + qs + ")"
		}
		return "", e
	case r.Status == http.StatusTooManyRequests:
		msg := svc + ": rate limit exceeded"
		if s, ok := provider.RetryAfter(r.Header); ok {
			msg += fmt.Sprintf(" (retry after %ds)", s)
		}
		return "", &skill.ProviderError{Provider: Name, Status: r.Status, Msg: msg}
	case r.Status >= 500:
		return "", &skill.ProviderError{Provider: Name, Status: r.Status, Msg: svc + ": the service is unavailable"}
	case r.Status != http.StatusOK:
		return "", &skill.ProviderError{Provider: Name, Status: r.Status, Code: qs, Msg: svc + ": unexpected HTTP status"}
	case jsonErr != nil:
		return "", unexpected(svc, jsonErr, key)
	case qs == "":
		return "", unexpected(svc, errors.New("no query_status"), key)
	}
	return qs, nil
}

// rejected reports a query_status that says the query itself was refused.
func rejected(svc, qs, what string) *skill.ProviderError {
	return &skill.ProviderError{Provider: Name, Code: qs, Msg: fmt.Sprintf("%s rejected the %s (%s)", svc, what, qs)}
}

// unexpected reports a 200 answer that is not the documented document.
func unexpected(svc string, err error, key string) *skill.ProviderError {
	e := provider.Unexpected(Name, err, key)
	e.Msg = svc + ": " + e.Msg
	return e
}

// flexString accepts a JSON string, number, boolean or null as text:
// abuse.ch writes many numbers as strings, and not always the same way.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case string(b) == "true" || string(b) == "false":
		*f = flexString(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return errors.New("expected a string or a number")
		}
		*f = flexString(n.String())
	}
	return nil
}

// int reads the text as a non-negative integer; ok is false when it is
// empty or not a number.
func (f flexString) int() (int, bool) {
	n, err := strconv.ParseFloat(strings.TrimSpace(string(f)), 64)
	if err != nil || n < 0 || n > 1e15 {
		return 0, false
	}
	return int(n), true
}

// parseTime reads abuse.ch timestamps: "2019-01-19 01:33:26 UTC", the same
// without " UTC", or a bare date. nil when absent or unreadable.
func parseTime(s string) *time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05", "2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}
