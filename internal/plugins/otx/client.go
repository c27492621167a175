package otx

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// maxBody bounds how much of a response is read; a popular indicator's
// general section lists many pulses with long descriptions.
const maxBody = 16 << 20

// client speaks the OTX wire format through the gateway's HTTP client.
type client struct {
	*provider.Client
	base string // API root without a trailing slash
}

func newClient(env skill.Env) (*client, error) {
	pc, err := provider.NewClient(env, provider.Config{Name: Name, KeyHeader: "X-OTX-API-KEY", MaxBody: maxBody})
	if err != nil {
		return nil, err
	}
	base, err := provider.URLSetting(Name, env.Settings, "base_url", DefaultBaseURL)
	if err != nil {
		return nil, err
	}
	return &client{Client: pc, base: base}, nil
}

// general fetches /indicators/{type}/{value}/general. The value is
// percent-encoded as one path segment, so a URL's slashes and question mark
// stay inside it; it is left out of errors and logs. Transport failures are
// returned as they are (the gateway has already retried them); any HTTP
// answer is returned as a response.
func (c *client) general(ctx context.Context, typ, value string) (*provider.Response, error) {
	path := "/indicators/" + typ + "/" + url.PathEscape(value) + "/general"
	r, err := c.Do(ctx, provider.Request{
		URL:   c.base + path,
		Label: "GET /indicators/" + typ + "/…/general",
		Log:   slog.String("type", typ),
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// apiError turns a non-200, non-404 answer into a ProviderError an analyst
// can act on. The status is kept so that the gateway's single status
// classifier decides what to retry.
func apiError(r *provider.Response, key string) *skill.ProviderError {
	var eb struct {
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &eb)
	detail := provider.Clip(provider.Redact(provider.OrDefault(eb.Detail, eb.Error), key), 200)
	e := &skill.ProviderError{Provider: Name, Status: r.Status}
	switch {
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		e.Msg = "the API key was rejected"
	case r.Status == http.StatusBadRequest:
		e.Msg = "the indicator was rejected"
		if detail != "" {
			e.Msg += ": " + detail
		}
	case r.Status == http.StatusTooManyRequests:
		e.Msg = "rate limit exceeded"
		if s, ok := provider.RetryAfter(r.Header); ok {
			e.Msg += fmt.Sprintf(" (retry after %ds)", s)
		}
	case r.Status >= 500:
		e.Msg = "the service is unavailable"
	default:
		e.Msg = "unexpected HTTP status"
		if detail != "" {
			e.Msg += ": " + detail
		}
	}
	return e
}
