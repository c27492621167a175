package sentinel

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/skill"
)

// DefenderProvider names the Graph traffic of Defender XDR in the gateway.
const DefenderProvider = "defender"

// DefenderLimits keep well under Graph's security API limits (about 50
// requests per minute per app for incidents).
var DefenderLimits = skill.RateLimit{PerSecond: 0.8, Burst: 5, Concurrency: 4}

// DefenderClient reads and comments on Defender XDR incidents of one
// tenant through Microsoft Graph (/security/incidents). The app needs
// SecurityIncident.ReadWrite.All (application permission).
type DefenderClient struct {
	t        config.DefenderTenant
	base     *url.URL
	pipeline runtime.Pipeline
	log      *slog.Logger
	maxPages int
}

// NewDefenderClient builds the client of a configured tenant.
func NewDefenderClient(t config.DefenderTenant, opts Options) (*DefenderClient, error) {
	settings := t.Credential.Settings()
	settings["graph_url"] = t.GraphURL
	acfg, err := credentialConfig("defender tenant "+t.Name, "sentinel.defender["+t.Name+"].credential", settings)
	if err != nil && opts.Credential == nil {
		return nil, err
	}
	if t.GraphURL == "" {
		t.GraphURL = azure.DefaultGraphURL
	}
	base, err := url.Parse(strings.TrimRight(t.GraphURL, "/"))
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("defender tenant %s: graph_url %q: expected an https:// URL", t.Name, t.GraphURL)
	}
	cred := opts.Credential
	if cred == nil {
		if cred, err = azure.NewCredential(acfg, opts.HTTP); err != nil {
			return nil, err
		}
		cred = azure.ExplainedCredential(cred, acfg)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &DefenderClient{t: t, base: base, log: log, maxPages: opts.MaxPages}
	if c.maxPages <= 0 {
		c.maxPages = 50
	}
	bearer := runtime.NewBearerTokenPolicy(cred, []string{"https://" + base.Host + "/.default"}, nil)
	clientOpts := &policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}, Telemetry: policy.TelemetryOptions{ApplicationID: "spotter"}}
	if opts.HTTP != nil {
		clientOpts.Transport = opts.HTTP
	}
	c.pipeline = runtime.NewPipeline("spotter", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, clientOpts)
	return c, nil
}

// Tenant returns the tenant's configuration.
func (c *DefenderClient) Tenant() config.DefenderTenant { return c.t }

func (c *DefenderClient) do(ctx context.Context, method, rawURL string, body any, what string) ([]byte, error) {
	data, _, err := send(ctx, c.pipeline, c.log, "Microsoft Graph", c.t.Name, method, rawURL, body, what,
		func(status int, h http.Header, data []byte) error { return graphError(c.t.Name, what, status, h, data) })
	return data, err
}

func defenderPath(id string) (string, error) {
	if _, err := strconv.ParseUint(id, 10, 63); err != nil && !validID(id) {
		return "", fmt.Errorf("Defender incident id %q: expected a number", clean(id, 40))
	}
	return "/security/incidents/" + url.PathEscape(id), nil
}

// GetIncident reads one incident with its alerts and their evidence.
func (c *DefenderClient) GetIncident(ctx context.Context, id string) (*DefenderIncident, error) {
	p, err := defenderPath(id)
	if err != nil {
		return nil, err
	}
	data, err := c.do(ctx, http.MethodGet, c.base.String()+p+"?$expand=alerts", nil, "Defender incident "+id)
	if err != nil {
		return nil, err
	}
	inc, err := ParseDefenderIncident(data)
	if err != nil {
		return nil, &skill.ProviderError{Provider: DefenderProvider, Code: "malformed_response", Msg: "tenant " + c.t.Name + ": " + err.Error()}
	}
	return inc, nil
}

// ErrTooManyPages is returned (wrapped) by DefenderClient.ListIncidents
// when the list has more pages than the client follows.
var ErrTooManyPages = errors.New("more pages than the client follows")

// ListIncidents calls fn for each incident updated at or after since,
// following @odata.nextLink. Graph lists the most recent incidents first,
// so a list cut at the page cap leaves out older changes: that is an error
// wrapping ErrTooManyPages (after fn saw the pages read), never a silent
// end that would let a cursor pass the incidents left out.
func (c *DefenderClient) ListIncidents(ctx context.Context, since time.Time, fn func(*DefenderIncident) error) error {
	return c.listIncidents(ctx, since, time.Time{}, fn)
}

// listIncidents lists the incidents updated in [since, until] (until zero:
// no upper bound), at the second precision of the filter.
func (c *DefenderClient) listIncidents(ctx context.Context, since, until time.Time, fn func(*DefenderIncident) error) error {
	filter := "lastUpdateDateTime ge " + since.UTC().Format(time.RFC3339)
	if !until.IsZero() {
		filter += " and lastUpdateDateTime le " + until.UTC().Format(time.RFC3339)
	}
	q := "$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20") + "&$expand=alerts&$top=50"
	next := c.base.String() + "/security/incidents?" + q
	for pages := 0; next != ""; pages++ {
		if pages == c.maxPages {
			return fmt.Errorf("Defender tenant %s: more than %d pages of incidents changed since %s; the cursor stays until they fit: %w",
				c.t.Name, c.maxPages, since.UTC().Format(time.RFC3339), ErrTooManyPages)
		}
		if pages > 0 {
			u, err := url.Parse(next)
			if err != nil || !strings.EqualFold(u.Host, c.base.Host) || u.Scheme != c.base.Scheme {
				return &skill.ProviderError{Provider: DefenderProvider, Code: "bad_next_link", Msg: "Microsoft Graph returned an @odata.nextLink outside " + c.base.Host + "; not followed"}
			}
		}
		data, err := c.do(ctx, http.MethodGet, next, nil, "the Defender incident list")
		if err != nil {
			return err
		}
		page, err := ParseDefenderPage(data)
		if err != nil {
			return &skill.ProviderError{Provider: DefenderProvider, Code: "malformed_response", Msg: "tenant " + c.t.Name + ": " + err.Error()}
		}
		for i := range page.Value {
			if err := fn(&page.Value[i]); err != nil {
				return err
			}
		}
		next = page.NextLink
	}
	return nil
}

// AddComment appends a comment (Graph has no comment ids: see PostReport).
func (c *DefenderClient) AddComment(ctx context.Context, id, text string) error {
	p, err := defenderPath(id)
	if err != nil {
		return err
	}
	body := map[string]any{"@odata.type": "microsoft.graph.security.alertComment", "comment": text}
	_, err = c.do(ctx, http.MethodPost, c.base.String()+p+"/comments", body, "a comment on Defender incident "+id)
	return err
}

// Update patches an incident (status, severity, customTags, ...).
func (c *DefenderClient) Update(ctx context.Context, id string, patch map[string]any) (*DefenderIncident, error) {
	p, err := defenderPath(id)
	if err != nil {
		return nil, err
	}
	data, err := c.do(ctx, http.MethodPatch, c.base.String()+p, patch, "Defender incident "+id)
	if err != nil {
		return nil, err
	}
	return ParseDefenderIncident(data)
}

// defenderMarker ends every comment Spotter posts on a Defender incident:
// Graph comments have no client-chosen ids, so a comment already carrying
// the marker of a part is not posted again.
func defenderMarker(id string) string { return "spotter-ref:" + id }

// PostReport posts p on the incident like Client.PostReport, once per part
// and key: parts whose marker is already in a comment are skipped. Graph
// comments cannot be rewritten or removed, so a report that changed under
// the same key keeps its first text.
func (c *DefenderClient) PostReport(ctx context.Context, id string, p Post) (*PostResult, error) {
	if strings.TrimSpace(p.Key) == "" {
		return nil, fmt.Errorf("key: empty; expected the run's id or another stable key")
	}
	inc, err := c.GetIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	// The markers this key can write; comments carrying none of them are
	// others' and count against the cap (Spotter's own are not posted
	// again, so a retry after a partial post splits the same way).
	ours := []string{defenderMarker(CommentID(p.Key, "summary"))}
	for i := 1; i <= MaxComments; i++ {
		ours = append(ours, defenderMarker(CommentID(p.Key, "details/"+strconv.Itoa(i))))
	}
	var existing strings.Builder
	foreign := 0
	for _, cm := range inc.Comments {
		existing.WriteString(cm.Comment + "\n")
		if !slices.ContainsFunc(ours, func(m string) bool { return strings.Contains(cm.Comment, m) }) {
			foreign++
		}
	}
	have := existing.String()
	maxChars := p.MaxChars
	if maxChars <= 0 || maxChars > MaxCommentChars {
		maxChars = MaxCommentChars
	}
	marker := func(part string) string { return "\n\n" + defenderMarker(CommentID(p.Key, part)) }
	res := &PostResult{}
	room := MaxComments - foreign
	if strings.TrimSpace(p.Summary) != "" {
		room--
	}
	details := strings.TrimSpace(p.Details) != ""
	if room < 0 || (room == 0 && details) {
		return nil, fmt.Errorf("Defender incident %s already has %d comments: Spotter keeps to %d per incident, so the report cannot be posted", id, foreign, MaxComments)
	}
	var parts []string
	if details {
		parts, res.Omitted = Split(p.Details, p.HTML, maxChars-len(marker("details/100")), room)
	}
	post := func(part, text string) error {
		cid := CommentID(p.Key, part)
		res.Comments = append(res.Comments, cid)
		if strings.Contains(have, defenderMarker(cid)) {
			return nil
		}
		return c.AddComment(ctx, id, text+marker(part))
	}
	for i, text := range parts {
		if err := post("details/"+strconv.Itoa(i+1), text); err != nil {
			return res, fmt.Errorf("posting part %d of %d: %w", i+1, len(parts), err)
		}
	}
	res.Parts = len(parts)
	if strings.TrimSpace(p.Summary) != "" {
		if err := post("summary", p.Summary); err != nil {
			return res, fmt.Errorf("posting the summary: %w", err)
		}
	}
	return res, nil
}

// graphError turns a failed Graph reply into words an analyst can act on.
func graphError(tenant, what string, status int, h http.Header, body []byte) *skill.ProviderError {
	code, msg := "", ""
	var env cloudError // Graph's envelope has the same error.code and error.message
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		code, msg = clean(env.Error.Code, 80), clean(env.Error.Message, 300)
	}
	var text string
	switch {
	case status == http.StatusUnauthorized:
		text = "Microsoft Graph rejected the access token of tenant " + tenant
	case status == http.StatusForbidden:
		text = "permission denied on " + what + ": grant the application permission SecurityIncident.ReadWrite.All (with admin consent)"
	case status == http.StatusNotFound:
		text = what + " does not exist in tenant " + tenant
	case status == http.StatusTooManyRequests:
		text = "Microsoft Graph throttled the request"
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil {
			text += "; retry after " + strconv.Itoa(n) + " s"
		}
	case status >= 500:
		text = "Microsoft Graph is unavailable"
	default:
		text = "Microsoft Graph answered " + strconv.Itoa(status) + " for " + what
	}
	if msg != "" && status != http.StatusUnauthorized {
		text += ": " + strings.TrimRight(msg, ".")
	}
	if code != "" {
		text += " (" + code + ")"
	}
	return &skill.ProviderError{Provider: DefenderProvider, Status: status, Code: code, Msg: text}
}

// DefenderSource polls one Defender XDR tenant.
type DefenderSource struct{ C *DefenderClient }

// Name is the tenant's configured name.
func (s DefenderSource) Name() string { return s.C.t.Name }

// maxNarrowing bounds how often Changes halves a window that has more
// incidents than the page cap.
const maxNarrowing = 6

// Changes lists the incidents updated at or after since. Graph cannot
// order the list (newest first), so when more changed than the page cap
// reads, the window is halved from since until one is read whole; the
// cursor then advances only to that window's end (a *ThroughError).
func (s DefenderSource) Changes(ctx context.Context, since time.Time, fn func(Change) error) error {
	var newest time.Time
	track := func(c Change) error {
		if c.Modified.After(newest) {
			newest = c.Modified
		}
		return fn(c)
	}
	err := s.changes(ctx, since, time.Time{}, track)
	if !errors.Is(err, ErrTooManyPages) || !newest.After(since) {
		return err
	}
	until := newest
	for range maxNarrowing {
		until = since.Add(until.Sub(since) / 2).Truncate(time.Second)
		if !until.After(since) {
			break
		}
		switch werr := s.changes(ctx, since, until, fn); {
		case werr == nil:
			return &ThroughError{Through: until, Err: err}
		case !errors.Is(werr, ErrTooManyPages):
			return werr
		}
	}
	return err
}

func (s DefenderSource) changes(ctx context.Context, since, until time.Time, fn func(Change) error) error {
	return s.C.listIncidents(ctx, since, until, func(inc *DefenderIncident) error {
		created, _ := time.Parse(time.RFC3339Nano, inc.CreatedDateTime)
		modified, err := time.Parse(time.RFC3339Nano, inc.LastUpdateDateTime)
		if err != nil {
			return fmt.Errorf("Defender incident %s: lastUpdateDateTime %q: expected an RFC 3339 time", inc.ID, clean(inc.LastUpdateDateTime, 40))
		}
		var products []string
		for _, a := range inc.Alerts {
			products = append(products, cmp.Or(a.ProductName, a.ServiceSource))
		}
		raw := inc
		sev := defenderSeverity[strings.ToLower(inc.Severity)]
		return fn(Change{
			Source: s.Name(), ID: inc.ID, Title: inc.DisplayName, Severity: sev, Products: products, Created: created, Modified: modified,
			Revision: DefenderRevisionKey(s.C.t.Name, raw.ID, raw.LastUpdateDateTime),
			Key: func(pb string) string {
				return DefenderRevisionKey(s.C.t.Name, raw.ID, raw.LastUpdateDateTime) + "/" + pb
			},
			Document: func(context.Context) (json.RawMessage, error) { return DefenderDocument(s.Name(), raw) },
			// The Defender portal shows comments as text: Markdown reads better there than HTML.
			Inputs: map[string]any{"comment_format": "md"},
		})
	})
}
