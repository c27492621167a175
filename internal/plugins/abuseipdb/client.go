package abuseipdb

import (
	"context"
	"encoding/json"
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

// maxBody bounds how much of a response is read; a verbose /check carries
// up to 10,000 reports of a few hundred bytes each.
const maxBody = 16 << 20

// client speaks the AbuseIPDB wire format through the gateway's HTTP client.
type client struct {
	*provider.Client
	base string // API root without a trailing slash
}

func newClient(env skill.Env) (*client, error) {
	pc, err := provider.NewClient(env, provider.Config{Name: Name, KeyHeader: "Key", MaxBody: maxBody})
	if err != nil {
		return nil, err
	}
	base, err := provider.URLSetting(Name, env.Settings, "base_url", DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &client{Client: pc, base: base}, nil
}

// get sends GET base+path?query with the key in the Key header. rawFlags are
// appended as bare query words ("verbose"), the way the documentation
// writes flags. Transport failures are returned as they are (the gateway
// has already retried them); any HTTP answer is returned as a response.
func (c *client) get(ctx context.Context, path string, q url.Values, rawFlags ...string) (*provider.Response, error) {
	query := q.Encode()
	for _, f := range rawFlags {
		if query != "" {
			query += "&"
		}
		query += url.QueryEscape(f)
	}
	r, err := c.Do(ctx, provider.Request{URL: c.base + path + "?" + query, Label: "GET " + path, Log: slog.String("path", path)})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// errorBody is AbuseIPDB's JSON:API-style error document.
type errorBody struct {
	Errors []struct {
		Detail string `json:"detail"`
		Source *struct {
			Parameter string `json:"parameter"`
		} `json:"source"`
	} `json:"errors"`
}

// apiError turns a non-200 answer into a ProviderError an analyst can act
// on. The status is kept so that the gateway's single status classifier
// decides what to retry; the body is never quoted wholesale.
func apiError(r *provider.Response, key string) *skill.ProviderError {
	var eb errorBody
	var detail string
	if json.Unmarshal(r.Body, &eb) == nil && len(eb.Errors) > 0 {
		detail = provider.Clip(provider.Redact(eb.Errors[0].Detail, key), 240)
	}
	e := &skill.ProviderError{Provider: Name, Status: r.Status}
	switch {
	case r.Status == http.StatusUnauthorized:
		e.Msg = "the API key was rejected"
	case r.Status == http.StatusForbidden:
		e.Msg = provider.OrDefault(detail, "the API key may not use this endpoint")
	case r.Status == http.StatusUnprocessableEntity:
		e.Msg = provider.OrDefault(detail, "the request was rejected as invalid")
		if len(eb.Errors) > 0 && eb.Errors[0].Source != nil {
			e.Code = provider.Clip(eb.Errors[0].Source.Parameter, 40)
		}
	case r.Status == http.StatusTooManyRequests:
		e.Msg = "rate limit exceeded" + rateLimitNote(r.Header)
	case r.Status >= 500:
		e.Msg = "the service is unavailable"
		if detail != "" {
			e.Msg += ": " + detail
		}
	default:
		e.Msg = "unexpected HTTP status"
		if detail != "" {
			e.Msg += ": " + detail
		}
	}
	return e
}

// rateLimitNote describes the X-RateLimit-* and Retry-After headers of a 429.
func rateLimitNote(h http.Header) string {
	var parts []string
	if n, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil && n > 0 {
		parts = append(parts, fmt.Sprintf("%d requests a day", n))
	}
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && s > 0 {
		parts = append(parts, "resets "+time.Unix(s, 0).UTC().Format("2006-01-02 15:04 UTC"))
	}
	if s, ok := provider.RetryAfter(h); ok {
		parts = append(parts, fmt.Sprintf("retry after %ds", s))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}
