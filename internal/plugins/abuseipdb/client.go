package abuseipdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// maxBody bounds how much of a response is read; a verbose /check carries
// up to 10,000 reports of a few hundred bytes each.
const maxBody = 16 << 20

// client speaks the AbuseIPDB wire format through the gateway's HTTP client.
type client struct {
	http *http.Client
	base string // API root without a trailing slash
	key  string
	log  *slog.Logger
}

// response is a complete HTTP answer, read before it is interpreted.
type response struct {
	status int
	header http.Header
	body   []byte
}

func newClient(env skill.Env) (*client, error) {
	key := strings.TrimSpace(env.Settings["api_key"])
	if key == "" {
		return nil, errors.New("abuseipdb: api_key is empty")
	}
	base, err := baseURL(env.Settings["base_url"])
	if err != nil {
		return nil, err
	}
	c := &client{http: env.HTTP, base: base, key: key, log: env.Log}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// baseURL checks the base_url setting: an absolute http(s) URL.
func baseURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("abuseipdb: base_url %q: expected an http or https URL such as %s", s, DefaultBaseURL)
	}
	return s, nil
}

// get sends GET base+path?query with the key in the Key header. rawFlags are
// appended as bare query words ("verbose"), the way the documentation
// writes flags. Transport failures are returned as they are (the gateway
// has already retried them); any HTTP answer is returned as a response.
func (c *client) get(ctx context.Context, path string, q url.Values, rawFlags ...string) (*response, error) {
	query := q.Encode()
	for _, f := range rawFlags {
		if query != "" {
			query += "&"
		}
		query += url.QueryEscape(f)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path+"?"+query, nil)
	if err != nil {
		return nil, fmt.Errorf("abuseipdb: building the request: %w", err)
	}
	req.Header.Set("Key", c.key)
	// Without it some answers (the 429 among them) come back as HTML.
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("abuseipdb: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, "abuseipdb call", slog.String("path", path),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(body)), slog.Duration("took", time.Since(start)))
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "reading the response failed: " + redact(err.Error(), c.key)}
	}
	if len(body) > maxBody {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "the response is larger than 16 MiB"}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
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
func apiError(r *response, key string) *skill.ProviderError {
	var eb errorBody
	var detail string
	if json.Unmarshal(r.body, &eb) == nil && len(eb.Errors) > 0 {
		detail = clip(redact(eb.Errors[0].Detail, key), 240)
	}
	e := &skill.ProviderError{Provider: Name, Status: r.status}
	switch {
	case r.status == http.StatusUnauthorized:
		e.Msg = "the API key was rejected"
	case r.status == http.StatusForbidden:
		e.Msg = orDefault(detail, "the API key may not use this endpoint")
	case r.status == http.StatusUnprocessableEntity:
		e.Msg = orDefault(detail, "the request was rejected as invalid")
		if len(eb.Errors) > 0 && eb.Errors[0].Source != nil {
			e.Code = clip(eb.Errors[0].Source.Parameter, 40)
		}
	case r.status == http.StatusTooManyRequests:
		e.Msg = "rate limit exceeded" + rateLimitNote(r.header)
	case r.status >= 500:
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
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s >= 0 {
		parts = append(parts, fmt.Sprintf("retry after %ds", s))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// unexpected reports a 200 answer that is not the documented document.
func unexpected(err error, key string) *skill.ProviderError {
	return &skill.ProviderError{Provider: Name, Msg: "unexpected response: " + clip(redact(err.Error(), key), 200)}
}
