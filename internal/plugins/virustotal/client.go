package virustotal

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// maxBody bounds how much of a response is read; a popular file's report
// with every engine's result and thousands of names stays well below it.
const maxBody = 16 << 20

// client speaks the VirusTotal wire format through the gateway's HTTP client.
type client struct {
	*provider.Client
	base string // API root without a trailing slash
}

func newClient(env skill.Env) (*client, error) {
	pc, err := provider.NewClient(env, provider.Config{Name: Name, KeyHeader: "x-apikey", MaxBody: maxBody})
	if err != nil {
		return nil, err
	}
	base, err := provider.URLSetting(Name, env.Settings, "base_url", DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &client{Client: pc, base: base}, nil
}

// get sends GET base+path with the key in the x-apikey header. Transport
// failures are returned as they are (the gateway has already retried them);
// any HTTP answer is returned as a response.
func (c *client) get(ctx context.Context, path string) (*provider.Response, error) {
	r, err := c.Do(ctx, provider.Request{URL: c.base + path, Label: "GET " + path, Log: slog.String("path", path)})
	if err != nil {
		return nil, err
	}
	return r, nil
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
	return provider.Clip(eb.Error.Code, 60), eb.Error.Message
}

// apiError turns a non-200 answer into a ProviderError an analyst can act
// on, naming VirusTotal's error code. The status is kept so that the
// gateway's single status classifier decides what to retry.
func apiError(r *provider.Response, key string) *skill.ProviderError {
	code, message := errorCode(r.Body)
	message = provider.Clip(provider.Redact(message, key), 200)
	e := &skill.ProviderError{Provider: Name, Status: r.Status, Code: code}
	switch {
	case code == "QuotaExceededError":
		e.Msg = "quota exceeded"
	case code == "TooManyRequestsError" || r.Status == http.StatusTooManyRequests:
		e.Msg = "too many requests"
	case code == "UserNotActiveError":
		e.Msg = "the API key's account is not active"
	case r.Status == http.StatusUnauthorized:
		e.Msg = "the API key was rejected"
	case r.Status == http.StatusForbidden:
		e.Msg = "the API key may not use this endpoint"
	case code == "TransientError" || r.Status == http.StatusServiceUnavailable:
		e.Msg = "the service is temporarily unavailable"
	case code == "DeadlineExceededError" || r.Status == http.StatusGatewayTimeout:
		e.Msg = "the request took too long at VirusTotal"
	case r.Status >= 500:
		e.Msg = "the service is unavailable"
	case r.Status == http.StatusBadRequest || r.Status == http.StatusNotFound:
		e.Msg = provider.OrDefault(message, "the request was rejected")
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
