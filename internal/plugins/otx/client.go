package otx

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

// maxBody bounds how much of a response is read; a popular indicator's
// general section lists many pulses with long descriptions.
const maxBody = 16 << 20

// client speaks the OTX wire format through the gateway's HTTP client.
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
		return nil, errors.New("otx: api_key is empty")
	}
	base := strings.TrimRight(strings.TrimSpace(env.Settings["base_url"]), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otx: base_url %q: expected an http or https URL such as %s", base, DefaultBaseURL)
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

// general fetches /indicators/{type}/{value}/general. The value is
// percent-encoded as one path segment, so a URL's slashes and question mark
// stay inside it. Transport failures are returned as they are (the gateway
// has already retried them); any HTTP answer is returned as a response.
func (c *client) general(ctx context.Context, typ, value string) (*response, error) {
	path := "/indicators/" + typ + "/" + url.PathEscape(value) + "/general"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("otx: building the request: %w", err)
	}
	req.Header.Set("X-OTX-API-KEY", c.key)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("otx: GET /indicators/%s/…/general: %w", typ, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, "otx call", slog.String("type", typ),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(body)), slog.Duration("took", time.Since(start)))
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "reading the response failed: " + redact(err.Error(), c.key)}
	}
	if len(body) > maxBody {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "the response is larger than 16 MiB"}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// apiError turns a non-200, non-404 answer into a ProviderError an analyst
// can act on. The status is kept so that the gateway's single status
// classifier decides what to retry.
func apiError(r *response, key string) *skill.ProviderError {
	var eb struct {
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}
	_ = json.Unmarshal(r.body, &eb)
	detail := clip(redact(orDefault(eb.Detail, eb.Error), key), 200)
	e := &skill.ProviderError{Provider: Name, Status: r.status}
	switch {
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		e.Msg = "the API key was rejected"
	case r.status == http.StatusBadRequest:
		e.Msg = "the indicator was rejected"
		if detail != "" {
			e.Msg += ": " + detail
		}
	case r.status == http.StatusTooManyRequests:
		e.Msg = "rate limit exceeded"
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err == nil && s >= 0 {
			e.Msg += fmt.Sprintf(" (retry after %ds)", s)
		}
	case r.status >= 500:
		e.Msg = "the service is unavailable"
	default:
		e.Msg = "unexpected HTTP status"
		if detail != "" {
			e.Msg += ": " + detail
		}
	}
	return e
}

// unexpected reports a 200 answer that is not the documented document.
func unexpected(err error, key string) *skill.ProviderError {
	return &skill.ProviderError{Provider: Name, Msg: "unexpected response: " + clip(redact(err.Error(), key), 200)}
}
