package azure

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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/spotter-soc/spotter/internal/skill"
)

// DefaultMaxPages caps how many pages List follows when a call does not say.
const DefaultMaxPages = 10

// Client is a thin Microsoft Graph client: GET requests with OData query
// options on azcore's pipeline, which adds and caches the bearer token.
// Resilience (rate limits, retries, timeouts) belongs to the transport, the
// gateway's client, so the pipeline's own retry policy is off.
type Client struct {
	plugin   string
	base     *url.URL
	pipeline runtime.Pipeline
	log      *slog.Logger
	maxPages int
}

// Options configure NewClient.
type Options struct {
	// HTTP carries Graph requests and the token requests of the app
	// registration modes: skill.Env.HTTP, the gateway's client.
	HTTP *http.Client
	// Log receives one debug line per request (method, path, status, time);
	// never headers, bodies or query values.
	Log *slog.Logger
	// Credential replaces the one built from the config (tests, embedding).
	Credential azcore.TokenCredential
	// MaxPages caps the pages List follows (DefaultMaxPages when zero).
	MaxPages int
}

// FromEnv parses the shared settings of plugin from env and builds a client:
// the usual way a plugin's New gets its Graph client (one per plugin, so its
// token is cached across all of the plugin's calls).
func FromEnv(plugin string, env skill.Env) (*Client, error) {
	cfg, err := ParseConfig(plugin, env.Settings)
	if err != nil {
		return nil, err
	}
	return NewClient(cfg, Options{HTTP: env.HTTP, Log: env.Log})
}

// NewClient builds a Graph client for a parsed config.
func NewClient(cfg Config, opts Options) (*Client, error) {
	base, err := httpsURL(cfg.GraphURL)
	if err != nil {
		return nil, fmt.Errorf("%s: setting graph_url: %v", cfg.Plugin, err)
	}
	cred := opts.Credential
	if cred == nil {
		if cred, err = NewCredential(cfg, opts.HTTP); err != nil {
			return nil, err
		}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	maxPages := opts.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	bearer := runtime.NewBearerTokenPolicy(explainedCredential{cred: cred, cfg: cfg}, []string{cfg.Scope()}, nil)
	clientOpts := &policy.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: "spotter"},
	}
	if opts.HTTP != nil {
		clientOpts.Transport = opts.HTTP
	}
	pl := runtime.NewPipeline("spotter", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, clientOpts)
	return &Client{plugin: cfg.Plugin, base: base, pipeline: pl, log: log, maxPages: maxPages}, nil
}

// Host is the Graph host the client talks to (graph.microsoft.com in the
// public cloud), for plugins that link to portals of that cloud only.
func (c *Client) Host() string { return c.base.Host }

// Request is one Graph GET: the path under graph_url and its OData options,
// plus what it is for, so that failures read well ("the user does not exist",
// "grant User.Read.All", "requires an Entra ID P1/P2 license").
type Request struct {
	// Path is already escaped (see UserPath and Segment), e.g. "/users/x%23y@z.com".
	Path    string
	Select  []string
	Filter  string
	OrderBy string
	Top     int
	// Count adds $count=true; Eventual sends ConsistencyLevel: eventual.
	// Graph needs both for advanced queries on directory objects.
	Count, Eventual bool

	// What names the object in messages: "the user", "sign-in logs".
	What string
	// Permission is the application permission a 403 should ask for.
	Permission string
	// License is what a tenant-licensing 403 should say is missing.
	License string
}

func (r Request) whatOrPath() string {
	if r.What != "" {
		return r.What
	}
	return r.Path
}

// URL returns the request URL under base, with the query options in a fixed
// order and values escaped (spaces as %20, which Graph expects in $filter).
func (r Request) URL(base string) string {
	var q []string
	add := func(k, v string) { q = append(q, k+"="+escapeQuery(v)) }
	if len(r.Select) > 0 {
		add("$select", strings.Join(r.Select, ","))
	}
	if r.Filter != "" {
		add("$filter", r.Filter)
	}
	if r.OrderBy != "" {
		add("$orderby", r.OrderBy)
	}
	if r.Top > 0 {
		add("$top", strconv.Itoa(r.Top))
	}
	if r.Count {
		add("$count", "true")
	}
	u := strings.TrimRight(base, "/") + r.Path
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

func escapeQuery(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// Get fetches one object and decodes it into out.
func (c *Client) Get(ctx context.Context, r Request, out any) error {
	body, status, err := c.get(ctx, r, r.URL(c.base.String()))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return malformed(c.plugin, r, status, err)
	}
	return nil
}

// page is one page of a Graph collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// List fetches a collection, following @odata.nextLink exactly as Graph gives
// it (an absolute URL on the same host), until limit items (0: no limit) or
// the client's page cap. more reports that items were left unread.
func List[T any](ctx context.Context, c *Client, r Request, limit int) (items []T, more bool, err error) {
	next := r.URL(c.base.String())
	for pages := 0; next != ""; pages++ {
		if pages == c.maxPages {
			return items, true, nil
		}
		if pages > 0 {
			if err := c.sameHost(next); err != nil {
				return items, false, err
			}
		}
		body, status, err := c.get(ctx, r, next)
		if err != nil {
			return items, false, err
		}
		var p page[T]
		if err := json.Unmarshal(body, &p); err != nil {
			return items, false, malformed(c.plugin, r, status, err)
		}
		for i, v := range p.Value {
			if limit > 0 && len(items) == limit {
				return items, i < len(p.Value) || p.NextLink != "", nil
			}
			items = append(items, v)
		}
		if limit > 0 && len(items) == limit {
			return items, p.NextLink != "", nil
		}
		next = p.NextLink
	}
	return items, false, nil
}

// sameHost refuses a nextLink that would send the bearer token elsewhere.
func (c *Client) sameHost(link string) error {
	u, err := url.Parse(link)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
		return &skill.ProviderError{Provider: c.plugin, Code: "bad_next_link",
			Msg: "Microsoft Graph returned an @odata.nextLink outside " + c.base.Host + "; not followed"}
	}
	return nil
}

// get sends one GET and returns the body of a 2xx reply; any other reply
// becomes a *skill.ProviderError.
func (c *Client) get(ctx context.Context, r Request, rawURL string) ([]byte, int, error) {
	req, err := runtime.NewRequest(ctx, http.MethodGet, rawURL)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: building request for %s: %w", c.plugin, r.whatOrPath(), err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if r.Eventual {
		req.Raw().Header.Set("ConsistencyLevel", "eventual")
	}
	path := req.Raw().URL.Path
	start := time.Now()
	resp, err := c.pipeline.Do(req)
	if err != nil {
		var pe *skill.ProviderError
		switch {
		case errors.As(err, &pe):
			c.log.Debug("graph request failed", "plugin", c.plugin, "path", path, "error", pe.Msg)
			return nil, 0, pe
		case ctx.Err() != nil:
			return nil, 0, fmt.Errorf("%s: %s: %w", c.plugin, r.whatOrPath(), ctx.Err())
		}
		c.log.Debug("graph request failed", "plugin", c.plugin, "path", path, "error", err.Error())
		return nil, 0, fmt.Errorf("%s: calling Microsoft Graph for %s: %w", c.plugin, r.whatOrPath(), err)
	}
	body, err := runtime.Payload(resp)
	c.log.Debug("graph request", "plugin", c.plugin, "path", path, "status", resp.StatusCode,
		"ms", time.Since(start).Milliseconds())
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s: reading Microsoft Graph reply for %s: %w", c.plugin, r.whatOrPath(), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.StatusCode, parseGraphError(c.plugin, r, resp.StatusCode, resp.Header, body)
	}
	return body, resp.StatusCode, nil
}
