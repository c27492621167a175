package virustotal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// maxBody bounds how much of a response is read; a popular file's report
// with every engine's result and thousands of names stays well below it.
const maxBody = 16 << 20

// client speaks the VirusTotal wire format through the gateway's HTTP client.
type client struct {
	http *http.Client
	base string // API root without a trailing slash
	key  string
	log  *slog.Logger
}

// response is a complete HTTP answer, read before it is interpreted.
type response struct {
	status int
	body   []byte
}

func newClient(env skill.Env) (*client, error) {
	key := strings.TrimSpace(env.Settings["api_key"])
	if key == "" {
		return nil, errors.New("virustotal: api_key is empty")
	}
	base := strings.TrimRight(strings.TrimSpace(env.Settings["base_url"]), "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("virustotal: base_url %q: expected an http or https URL such as %s", base, DefaultBaseURL)
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

// get sends GET base+path with the key in the x-apikey header. Transport
// failures are returned as they are (the gateway has already retried them);
// any HTTP answer is returned as a response.
func (c *client) get(ctx context.Context, path string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("virustotal: building the request: %w", err)
	}
	req.Header.Set("x-apikey", c.key)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("virustotal: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	c.log.LogAttrs(ctx, slog.LevelDebug, "virustotal call", slog.String("path", path),
		slog.Int("status", resp.StatusCode), slog.Int("bytes", len(body)), slog.Duration("took", time.Since(start)))
	if err != nil {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "reading the response failed: " + redact(err.Error(), c.key)}
	}
	if len(body) > maxBody {
		return nil, &skill.ProviderError{Provider: Name, Status: resp.StatusCode, Msg: "the response is larger than 16 MiB"}
	}
	return &response{status: resp.StatusCode, body: body}, nil
}

// apiErrorBody is VirusTotal's error document.
type apiErrorBody struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// errorCode returns the error code and message of an error document, if any.
func errorCode(body []byte) (code, msg string) {
	var eb apiErrorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil {
		return "", ""
	}
	return clip(eb.Error.Code, 60), eb.Error.Message
}

// apiError turns a non-200 answer into a ProviderError an analyst can act
// on, naming VirusTotal's error code. The status is kept so that the
// gateway's single status classifier decides what to retry.
func apiError(r *response, key string) *skill.ProviderError {
	code, message := errorCode(r.body)
	message = clip(redact(message, key), 200)
	e := &skill.ProviderError{Provider: Name, Status: r.status, Code: code}
	switch {
	case code == "QuotaExceededError":
		e.Msg = "quota exceeded"
	case code == "TooManyRequestsError" || r.status == http.StatusTooManyRequests:
		e.Msg = "too many requests"
	case code == "UserNotActiveError":
		e.Msg = "the API key's account is not active"
	case r.status == http.StatusUnauthorized:
		e.Msg = "the API key was rejected"
	case r.status == http.StatusForbidden:
		e.Msg = "the API key may not use this endpoint"
	case code == "TransientError" || r.status == http.StatusServiceUnavailable:
		e.Msg = "the service is temporarily unavailable"
	case code == "DeadlineExceededError" || r.status == http.StatusGatewayTimeout:
		e.Msg = "the request took too long at VirusTotal"
	case r.status >= 500:
		e.Msg = "the service is unavailable"
	case r.status == http.StatusBadRequest || r.status == http.StatusNotFound:
		e.Msg = orDefault(message, "the request was rejected")
	default:
		e.Msg = "unexpected HTTP status"
		if message != "" {
			e.Msg += ": " + message
		}
	}
	if code != "" {
		e.Msg += " (" + code + ")"
	}
	return e
}

// unexpected reports a 200 answer that is not the documented document.
func unexpected(err error, key string) *skill.ProviderError {
	return &skill.ProviderError{Provider: Name, Msg: "unexpected response: " + clip(redact(err.Error(), key), 200)}
}
