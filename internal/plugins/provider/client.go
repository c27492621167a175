package provider

import (
	"bytes"
	"context"
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

// Config says how a plugin talks to its provider.
type Config struct {
	// Name is the plugin name. It starts every error ("abuseipdb: ...") and
	// names the debug log line of each call ("abuseipdb call").
	Name string
	// KeyHeader is the request header that carries the API key, e.g.
	// "x-apikey".
	KeyHeader string
	// MaxBody bounds how much of an answer is read, in bytes; a larger
	// answer is an error. Give it in whole MiB: messages name it so.
	MaxBody int
}

// Client sends a plugin's requests through the gateway's HTTP client. It
// knows nothing of the provider's wire format: it puts the API key in its
// header, asks for JSON, reads the whole answer and logs the call. What
// the answer means is for the plugin to decide.
type Client struct {
	cfg  Config
	key  string
	http *http.Client
	log  *slog.Logger
}

// NewClient reads the api_key setting of env and returns a client that
// uses env's HTTP client and logger (http.DefaultClient and a discarding
// logger when they are nil). An empty key is an error.
func NewClient(env skill.Env, cfg Config) (*Client, error) {
	key := strings.TrimSpace(env.Settings["api_key"])
	if key == "" {
		return nil, errors.New(cfg.Name + ": api_key is empty")
	}
	c := &Client{cfg: cfg, key: key, http: env.HTTP, log: env.Log}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// URLSetting reads the base URL setting named setting from settings: an
// absolute http or https URL, returned without a trailing slash, or def
// when the setting is empty. The error names the plugin, the setting and
// def as an example, e.g. `otx: base_url "x": expected an http or https
// URL such as https://otx.alienvault.com/api/v1`.
func URLSetting(plugin string, settings map[string]string, setting, def string) (string, error) {
	s := strings.TrimRight(strings.TrimSpace(settings[setting]), "/")
	if s == "" {
		s = def
	}
	if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: %s %q: expected an http or https URL such as %s", plugin, setting, s, def)
	}
	return s, nil
}

// Key returns the API key, for Redact and Unexpected to keep it out of
// messages.
func (c *Client) Key() string { return c.key }

// Request is one call to the provider.
type Request struct {
	// Method is the HTTP method; GET when empty.
	Method string
	// URL is the absolute URL, query included.
	URL string
	// Body and its ContentType, for a POST.
	Body        []byte
	ContentType string
	// Label names the call in a transport error, e.g. "GET /check" gives
	// "abuseipdb: GET /check: <error>".
	Label string
	// Log identifies the call in its debug log line, e.g.
	// slog.String("path", "/check").
	Log slog.Attr
	// Service names the API answering, for a plugin that speaks to several
	// (abuse.ch's URLhaus, ThreatFox, ...). When set, the errors Do returns
	// for an unreadable answer start with it.
	Service string
}

// Response is a complete HTTP answer, read before it is interpreted.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends the request with the API key in the configured header and reads
// the whole answer. Transport failures are returned as they are (the
// gateway has already retried them); any HTTP answer, whatever its status,
// is returned as a Response. An answer that cannot be read, or is larger
// than MaxBody, is a *skill.ProviderError.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		what := "the request"
		if r.Service != "" {
			what = "the " + r.Service + " request"
		}
		return nil, fmt.Errorf("%s: building %s: %w", c.cfg.Name, what, err)
	}
	req.Header.Set(c.cfg.KeyHeader, c.key)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	// Without it some answers (AbuseIPDB's 429 among them) come back as HTML.
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", c.cfg.Name, r.Label, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.cfg.MaxBody)+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, c.cfg.Name+" call", r.Log,
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(b)), slog.Duration("took", time.Since(start)))
	prefix := ""
	if r.Service != "" {
		prefix = r.Service + ": "
	}
	if err != nil {
		return nil, &skill.ProviderError{Provider: c.cfg.Name, Status: resp.StatusCode, Msg: prefix + "reading the response failed: " + Redact(err.Error(), c.key)}
	}
	if len(b) > c.cfg.MaxBody {
		return nil, &skill.ProviderError{Provider: c.cfg.Name, Status: resp.StatusCode, Msg: fmt.Sprintf("%sthe response is larger than %d MiB", prefix, c.cfg.MaxBody>>20)}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Unexpected reports an answer that is not the document the provider
// documents (typically a 200 whose body does not parse). The message quotes
// err clipped to 200 runes, with the API key redacted.
func Unexpected(plugin string, err error, key string) *skill.ProviderError {
	return &skill.ProviderError{Provider: plugin, Msg: "unexpected response: " + Clip(Redact(err.Error(), key), 200)}
}

// RetryAfter reads a Retry-After header given in seconds; ok is false when
// it is absent, negative or an HTTP date.
func RetryAfter(h http.Header) (seconds int, ok bool) {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0, false
	}
	return s, true
}
