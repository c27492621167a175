package sentinel

import (
	"bytes"
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

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Defaults of the workspace settings.
const (
	DefaultARMURL     = "https://management.azure.com"
	DefaultAPIVersion = "2024-09-01"
	// Provider names the ARM traffic in the gateway (limits, metrics).
	Provider = "sentinel"
)

// ARMLimits are conservative defaults for the gateway: ARM allows about
// 12,000 reads and 1,200 writes per hour per subscription and principal.
var ARMLimits = skill.RateLimit{PerSecond: 3, Burst: 10, Concurrency: 8}

// Client talks to Microsoft.SecurityInsights for one workspace, on azcore's
// pipeline (bearer token for the ARM host). Resilience (429 Retry-After,
// 5xx, timeouts) belongs to the HTTP client, the gateway's, so the
// pipeline's own retries are off.
type Client struct {
	ws         config.SentinelWorkspace
	base       *url.URL
	prefix     string // the workspace's Microsoft.SecurityInsights path
	apiVersion string
	pipeline   runtime.Pipeline
	log        *slog.Logger
	maxPages   int
	conflicts  int
}

// Options configure NewClient.
type Options struct {
	// HTTP carries the requests: the gateway's client for Provider.
	HTTP *http.Client
	Log  *slog.Logger
	// Credential replaces the one built from the workspace's settings.
	Credential azcore.TokenCredential
	// MaxPages caps the pages a list follows (50 by default).
	MaxPages int
	// ConflictRetries is how often an update refetches after a stale etag (3 by default).
	ConflictRetries int
}

// NewClient builds the client of a configured workspace.
func NewClient(ws config.SentinelWorkspace, opts Options) (*Client, error) {
	if ws.ARMURL == "" {
		ws.ARMURL = DefaultARMURL
	}
	if ws.APIVersion == "" {
		ws.APIVersion = DefaultAPIVersion
	}
	base, err := url.Parse(strings.TrimRight(ws.ARMURL, "/"))
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("sentinel workspace %s: arm_url %q: expected an https:// URL", ws.Name, ws.ARMURL)
	}
	for _, f := range []struct{ k, v string }{{"subscription_id", ws.SubscriptionID}, {"resource_group", ws.ResourceGroup}, {"workspace_name", ws.WorkspaceName}} {
		if strings.TrimSpace(f.v) == "" {
			return nil, fmt.Errorf("sentinel workspace %s: %s is required", ws.Name, f.k)
		}
	}
	cred := opts.Credential
	acfg, err := credentialConfig("sentinel workspace "+ws.Name, "sentinel.workspaces["+ws.Name+"].credential", ws.Credential.Settings())
	if cred == nil {
		if err != nil {
			return nil, err
		}
		if cred, err = azure.NewCredential(acfg, opts.HTTP); err != nil {
			return nil, err
		}
		cred = azure.ExplainedCredential(cred, acfg)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		ws: ws, base: base, apiVersion: ws.APIVersion, log: log,
		maxPages: opts.MaxPages, conflicts: opts.ConflictRetries,
		prefix: "/subscriptions/" + url.PathEscape(ws.SubscriptionID) + "/resourceGroups/" + url.PathEscape(ws.ResourceGroup) +
			"/providers/Microsoft.OperationalInsights/workspaces/" + url.PathEscape(ws.WorkspaceName) + "/providers/Microsoft.SecurityInsights",
	}
	if c.maxPages <= 0 {
		c.maxPages = 50
	}
	if c.conflicts <= 0 {
		c.conflicts = 3
	}
	bearer := runtime.NewBearerTokenPolicy(cred, []string{"https://" + base.Host + "/.default"}, nil)
	clientOpts := &policy.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{ApplicationID: "spotter"},
	}
	if opts.HTTP != nil {
		clientOpts.Transport = opts.HTTP
	}
	c.pipeline = runtime.NewPipeline("spotter", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, clientOpts)
	return c, nil
}

// credentialConfig parses credential settings with internal/azure, naming
// the configuration keys of the sentinel section in its errors.
func credentialConfig(what, key string, settings map[string]string) (azure.Config, error) {
	cfg, err := azure.ParseConfig(what, settings)
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, " (set plugins."); i >= 0 {
			msg = msg[:i]
		}
		msg = strings.Replace(msg, "setting ", key+".", 1)
		return cfg, errors.New(msg)
	}
	return cfg, nil
}

// Workspace returns the workspace's configuration.
func (c *Client) Workspace() config.SentinelWorkspace { return c.ws }

// url builds the URL of a path under the workspace prefix with api-version.
func (c *Client) url(path string, query url.Values) string {
	if query == nil {
		query = url.Values{}
	}
	query.Set("api-version", c.apiVersion)
	// OData wants %20 for spaces, and keeps $ and ' readable.
	q := strings.ReplaceAll(query.Encode(), "+", "%20")
	q = strings.ReplaceAll(strings.ReplaceAll(q, "%24", "$"), "%27", "'")
	return c.base.String() + c.prefix + path + "?" + q
}

func incidentPath(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("incident id %q: expected the incident's name (a GUID), not its number", id)
	}
	return "/incidents/" + url.PathEscape(id), nil
}

// validID accepts resource names: letters, digits, - and _.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// GetIncident fetches one incident by its name (GUID).
func (c *Client) GetIncident(ctx context.Context, id string) (*Incident, error) {
	p, err := incidentPath(id)
	if err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, http.MethodGet, c.url(p, nil), nil, "incident "+id)
	if err != nil {
		return nil, err
	}
	inc, err := ParseIncident(body)
	if err != nil {
		return nil, c.malformed(err)
	}
	return inc, nil
}

// ListOptions are the OData options of the incident list.
type ListOptions struct {
	Filter  string // e.g. properties/lastModifiedTimeUtc ge 2025-01-01T00:00:00Z
	OrderBy string // e.g. properties/lastModifiedTimeUtc asc
	Top     int    // page size, at most 1000
}

// ListIncidents calls fn for every incident matching opts, following
// nextLink until the last page or the page cap; more reports the cap was hit.
func (c *Client) ListIncidents(ctx context.Context, opts ListOptions, fn func(*Incident) error) (more bool, err error) {
	q := url.Values{}
	if opts.Filter != "" {
		q.Set("$filter", opts.Filter)
	}
	if opts.OrderBy != "" {
		q.Set("$orderby", opts.OrderBy)
	}
	if opts.Top > 0 {
		q.Set("$top", strconv.Itoa(min(opts.Top, 1000)))
	}
	next := c.url("/incidents", q)
	for pages := 0; next != ""; pages++ {
		if pages == c.maxPages {
			return true, nil
		}
		if pages > 0 {
			if err := c.sameHost(next); err != nil {
				return false, err
			}
		}
		body, _, err := c.do(ctx, http.MethodGet, next, nil, "the incident list")
		if err != nil {
			return false, err
		}
		page, err := ParseIncidentPage(body)
		if err != nil {
			return false, c.malformed(err)
		}
		for i := range page.Value {
			if err := fn(&page.Value[i]); err != nil {
				return false, err
			}
		}
		next = page.NextLink
	}
	return false, nil
}

// ListEntities returns the incident's entities.
func (c *Client) ListEntities(ctx context.Context, id string) (*EntitiesResponse, error) {
	p, err := incidentPath(id)
	if err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, http.MethodPost, c.url(p+"/entities", nil), nil, "the entities of incident "+id)
	if err != nil {
		return nil, err
	}
	r, err := ParseEntities(body)
	if err != nil {
		return nil, c.malformed(err)
	}
	return r, nil
}

// ListAlerts returns the incident's alerts (SecurityAlert entities).
func (c *Client) ListAlerts(ctx context.Context, id string) ([]Entity, error) {
	p, err := incidentPath(id)
	if err != nil {
		return nil, err
	}
	body, _, err := c.do(ctx, http.MethodPost, c.url(p+"/alerts", nil), nil, "the alerts of incident "+id)
	if err != nil {
		return nil, err
	}
	r, err := ParseAlerts(body)
	if err != nil {
		return nil, c.malformed(err)
	}
	return r, nil
}

// ListComments returns the incident's comments, all pages.
func (c *Client) ListComments(ctx context.Context, id string) ([]Comment, error) {
	p, err := incidentPath(id)
	if err != nil {
		return nil, err
	}
	var out []Comment
	next := c.url(p+"/comments", nil)
	for pages := 0; next != "" && pages < c.maxPages; pages++ {
		if pages > 0 {
			if err := c.sameHost(next); err != nil {
				return out, err
			}
		}
		body, _, err := c.do(ctx, http.MethodGet, next, nil, "the comments of incident "+id)
		if err != nil {
			return out, err
		}
		page, err := ParseCommentPage(body)
		if err != nil {
			return out, c.malformed(err)
		}
		out = append(out, page.Value...)
		next = page.NextLink
	}
	return out, nil
}

// PutComment creates or replaces the comment with the given id: the id is
// chosen by the caller, so the same id always means the same comment.
func (c *Client) PutComment(ctx context.Context, incidentID, commentID, message string) (*Comment, error) {
	p, err := incidentPath(incidentID)
	if err != nil {
		return nil, err
	}
	if !validID(commentID) {
		return nil, fmt.Errorf("comment id %q: expected a GUID", commentID)
	}
	body := map[string]any{"properties": map[string]any{"message": message}}
	data, _, err := c.do(ctx, http.MethodPut, c.url(p+"/comments/"+url.PathEscape(commentID), nil), body, "a comment on incident "+incidentID)
	if err != nil {
		return nil, err
	}
	cm, err := ParseComment(data)
	if err != nil {
		return nil, c.malformed(err)
	}
	return cm, nil
}

// DeleteComment removes a comment; a comment that does not exist is not an error.
func (c *Client) DeleteComment(ctx context.Context, incidentID, commentID string) error {
	p, err := incidentPath(incidentID)
	if err != nil {
		return err
	}
	if !validID(commentID) {
		return fmt.Errorf("comment id %q: expected a GUID", commentID)
	}
	_, _, err = c.do(ctx, http.MethodDelete, c.url(p+"/comments/"+url.PathEscape(commentID), nil), nil, "a comment on incident "+incidentID)
	var pe *skill.ProviderError
	if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// ErrNoChange is returned by an update function that has nothing to change.
var ErrNoChange = errors.New("no change")

// UpdateIncident reads the incident, lets change modify it and writes it
// back with the etag it was read with. A stale etag (409 Conflict or 412)
// means someone else changed the incident meanwhile: it is read again and
// change applied again, a few times. change returning ErrNoChange ends the
// update without a write (the incident as read is returned).
func (c *Client) UpdateIncident(ctx context.Context, id string, change func(*Incident) error) (*Incident, error) {
	p, err := incidentPath(id)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		inc, err := c.GetIncident(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(inc); errors.Is(err, ErrNoChange) {
			return inc, nil
		} else if err != nil {
			return nil, err
		}
		body := map[string]any{"etag": inc.ETag, "properties": inc.Properties}
		data, _, err := c.do(ctx, http.MethodPut, c.url(p, nil), body, "incident "+id)
		var pe *skill.ProviderError
		if errors.As(err, &pe) && (pe.Status == http.StatusConflict || pe.Status == http.StatusPreconditionFailed) && attempt < c.conflicts {
			c.log.Debug("sentinel incident changed meanwhile; reading it again", "workspace", c.ws.Name, "incident", id, "attempt", attempt+1)
			continue
		}
		if err != nil {
			return nil, err
		}
		out, err := ParseIncident(data)
		if err != nil {
			return nil, c.malformed(err)
		}
		return out, nil
	}
}

// sameHost refuses a nextLink that would send the token elsewhere.
func (c *Client) sameHost(link string) error {
	u, err := url.Parse(link)
	if err != nil || !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
		return &skill.ProviderError{Provider: Provider, Code: "bad_next_link",
			Msg: "Azure Resource Manager returned a nextLink outside " + c.base.Host + "; not followed"}
	}
	return nil
}

func (c *Client) malformed(err error) error {
	return &skill.ProviderError{Provider: Provider, Code: "malformed_response", Msg: "workspace " + c.ws.Name + ": " + err.Error()}
}

// do sends one request and returns the body of a 2xx reply; any other
// reply becomes a *skill.ProviderError.
func (c *Client) do(ctx context.Context, method, rawURL string, body any, what string) ([]byte, int, error) {
	return send(ctx, c.pipeline, c.log, "Azure Resource Manager", c.ws.Name, method, rawURL, body, what,
		func(status int, h http.Header, data []byte) error { return armError(c.ws.Name, what, status, h, data) })
}

// send is one request on an azcore pipeline. service names the API in
// messages, source the workspace or tenant in logs (which carry method,
// path, status and time only: never headers, bodies or query values).
func send(ctx context.Context, pl runtime.Pipeline, log *slog.Logger, service, source, method, rawURL string, body any, what string,
	failed func(status int, h http.Header, body []byte) error) ([]byte, int, error) {
	req, err := runtime.NewRequest(ctx, method, rawURL)
	if err != nil {
		return nil, 0, fmt.Errorf("sentinel: building the request for %s: %w", what, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, 0, fmt.Errorf("sentinel: encoding %s: %w", what, err)
		}
		if err := req.SetBody(streamOf(data), "application/json"); err != nil {
			return nil, 0, err
		}
	}
	path := req.Raw().URL.Path
	start := time.Now()
	resp, err := pl.Do(req)
	if err != nil {
		var pe *skill.ProviderError
		switch {
		case errors.As(err, &pe):
			return nil, 0, pe
		case ctx.Err() != nil:
			return nil, 0, fmt.Errorf("sentinel: %s: %w", what, ctx.Err())
		}
		return nil, 0, fmt.Errorf("sentinel: calling %s for %s: %w", service, what, err)
	}
	data, err := runtime.Payload(resp)
	log.Debug("sentinel request", "source", source, "method", method, "path", path, "status", resp.StatusCode,
		"ms", time.Since(start).Milliseconds())
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("sentinel: reading the reply for %s: %w", what, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.StatusCode, failed(resp.StatusCode, resp.Header, data)
	}
	return data, resp.StatusCode, nil
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

func streamOf(data []byte) io.ReadSeekCloser { return readSeekNopCloser{bytes.NewReader(data)} }
