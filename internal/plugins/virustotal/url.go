package virustotal

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// URLReport is the result of virustotal.URLReport.
type URLReport struct {
	URL string `json:"url"` // the URL that was looked up, normalised
	Common
	FinalURL       string            `json:"final_url,omitempty"` // after redirects
	Title          string            `json:"title,omitempty"`
	HTTPStatus     int               `json:"http_status,omitempty"`
	Categories     map[string]string `json:"categories,omitempty"` // vendor → category
	FirstSubmitted *time.Time        `json:"first_submitted,omitempty"`
	TimesSubmitted int               `json:"times_submitted,omitempty"`
}

type urlAttrs struct {
	wireCommon
	URL                  string            `json:"url"`
	LastFinalURL         string            `json:"last_final_url"`
	Title                string            `json:"title"`
	Categories           map[string]string `json:"categories"`
	LastHTTPResponseCode int               `json:"last_http_response_code"`
	FirstSubmissionDate  unixTime          `json:"first_submission_date"`
	TimesSubmitted       int               `json:"times_submitted"`
}

// URLID returns the identifier the /urls endpoint takes for a URL: the URL
// in unpadded URL-safe base64 (RFC 4648 §5, no "=").
func URLID(u string) string { return base64.RawURLEncoding.EncodeToString([]byte(u)) }

// urlReport looks a URL up; it never submits one for scanning.
func (c *client) urlReport(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	raw := in.String("url")
	t, u, ok := ioc.Classify(raw)
	if !ok || t != ioc.TypeURL {
		return nil, &skill.InputError{Skill: URLReportID, Input: "url", Msg: fmt.Sprintf("%q: expected an absolute URL such as http://example.com/path", provider.Clip(raw, 80))}
	}
	r, err := c.get(ctx, "/urls/"+URLID(u))
	if err != nil {
		return nil, err
	}
	return urlResult(u, r, c.Key())
}

func urlResult(u string, r *provider.Response, key string) (*skill.Result, error) {
	var a urlAttrs
	found, id, err := interpret(r, &a, key)
	if err != nil {
		return nil, err
	}
	rep := URLReport{URL: u, Common: Common{Link: GUI + "/search/" + url.PathEscape(u)}}
	if found {
		link := rep.Link
		if ioc.HashType(id) == "sha256" {
			link = GUI + "/url/" + strings.ToLower(id)
		}
		if rep.Common, err = common(id, a.wireCommon, link, key); err != nil {
			return nil, err
		}
		rep.FinalURL, rep.Title = provider.Clip(a.LastFinalURL, 500), provider.Clip(a.Title, 200)
		rep.HTTPStatus, rep.TimesSubmitted = a.LastHTTPResponseCode, max(0, a.TimesSubmitted)
		rep.FirstSubmitted = a.FirstSubmissionDate.time()
		rep.Categories = categories(a.Categories)
	}
	f := judge(u, "url", URLReportID, rep.Common)
	if rep.FinalURL != "" && rep.FinalURL != u {
		f.Reasons = append(f.Reasons, "redirects to "+rep.FinalURL)
	}
	return &skill.Result{Data: rep, Summary: urlSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// categories keeps at most 20 vendor categories, clipped.
func categories(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys[:min(20, len(keys))] {
		out[provider.Clip(k, 60)] = provider.Clip(in[k], 60)
	}
	return out
}

// categoryList renders categories as "value (vendor)" pairs, deduplicated by value.
func categoryList(c map[string]string) string {
	byValue := map[string][]string{}
	for vendor, v := range c {
		byValue[v] = append(byValue[v], vendor)
	}
	vals := make([]string, 0, len(byValue))
	for v := range byValue {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	parts := make([]string, 0, len(vals))
	for _, v := range vals {
		sort.Strings(byValue[v])
		parts = append(parts, fmt.Sprintf("%s (%s)", provider.MD(v), provider.MD(strings.Join(byValue[v], ", "))))
	}
	return strings.Join(parts, "; ")
}

func urlSummary(r URLReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**VirusTotal** — URL `%s`: **%s**\n\n", strings.ReplaceAll(r.URL, "`", "%60"), f.Level)
	if r.FinalURL != "" && r.FinalURL != r.URL {
		fmt.Fprintf(&b, "- Final URL: `%s`\n", strings.ReplaceAll(r.FinalURL, "`", "%60"))
	}
	if r.Title != "" || r.HTTPStatus != 0 {
		fmt.Fprintf(&b, "- Last fetch: HTTP %d, title %q\n", r.HTTPStatus, provider.MD(r.Title))
	}
	if len(r.Categories) > 0 {
		fmt.Fprintf(&b, "- Categories: %s\n", categoryList(r.Categories))
	}
	analysisLines(&b, r.Common)
	return b.String()
}
