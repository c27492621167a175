package virustotal

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// FileReport is the result of virustotal.FileReport.
type FileReport struct {
	Hash string `json:"hash"` // the hash that was looked up
	Common
	SHA256          string `json:"sha256,omitempty"`
	SHA1            string `json:"sha1,omitempty"`
	MD5             string `json:"md5,omitempty"`
	Size            int64  `json:"size,omitempty"`
	TypeDescription string `json:"type_description,omitempty"`
	MeaningfulName  string `json:"meaningful_name,omitempty"`
	// Names are the first ten file names the sample was submitted under.
	Names []string `json:"names,omitempty"`
	// ThreatLabel is VirusTotal's suggested label, e.g. "trojan.emotet/heodo".
	ThreatLabel      string     `json:"threat_label,omitempty"`
	ThreatCategories []string   `json:"threat_categories,omitempty"` // most popular first
	ThreatNames      []string   `json:"threat_names,omitempty"`      // most popular first
	FirstSubmitted   *time.Time `json:"first_submitted,omitempty"`
	LastSubmitted    *time.Time `json:"last_submitted,omitempty"`
	TimesSubmitted   int        `json:"times_submitted,omitempty"`
}

type countValue struct {
	Count int    `json:"count"`
	Value string `json:"value"`
}

type fileAttrs struct {
	wireCommon
	MD5                         string   `json:"md5"`
	SHA1                        string   `json:"sha1"`
	SHA256                      string   `json:"sha256"`
	Size                        int64    `json:"size"`
	TypeDescription             string   `json:"type_description"`
	MeaningfulName              string   `json:"meaningful_name"`
	Names                       []string `json:"names"`
	FirstSubmissionDate         unixTime `json:"first_submission_date"`
	LastSubmissionDate          unixTime `json:"last_submission_date"`
	TimesSubmitted              int      `json:"times_submitted"`
	PopularThreatClassification *struct {
		SuggestedThreatLabel  string       `json:"suggested_threat_label"`
		PopularThreatCategory []countValue `json:"popular_threat_category"`
		PopularThreatName     []countValue `json:"popular_threat_name"`
	} `json:"popular_threat_classification"`
}

// fileReport looks a file hash up.
func (c *client) fileReport(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	raw := strings.TrimSpace(in.String("hash"))
	if ioc.HashType(raw) == "" {
		return nil, &skill.InputError{Skill: FileReportID, Input: "hash", Msg: fmt.Sprintf("%q: expected an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)", provider.Clip(raw, 80))}
	}
	h := strings.ToLower(raw)
	r, err := c.get(ctx, "/files/"+h)
	if err != nil {
		return nil, err
	}
	return fileResult(h, r, c.Key())
}

// interpret reads an object answer: found is false for the documented
// NotFoundError, which is a result, not a failure.
func interpret(r *provider.Response, attrs any, key string) (found bool, id string, err error) {
	if r.Status == http.StatusNotFound {
		if code, _ := errorCode(r.Body); code == "NotFoundError" {
			return false, "", nil
		}
	}
	if r.Status != http.StatusOK {
		return false, "", apiError(r, key)
	}
	id, err = decode(r.Body, attrs, key)
	return err == nil, id, err
}

func fileResult(h string, r *provider.Response, key string) (*skill.Result, error) {
	var a fileAttrs
	found, id, err := interpret(r, &a, key)
	if err != nil {
		return nil, err
	}
	rep := FileReport{Hash: h, Common: Common{Link: GUI + "/file/" + h}}
	if found {
		sha := strings.ToLower(a.SHA256)
		if ioc.HashType(sha) != "sha256" {
			sha = ""
		}
		link := rep.Link
		if sha != "" {
			link = GUI + "/file/" + sha
		}
		if rep.Common, err = common(id, a.wireCommon, link, key); err != nil {
			return nil, err
		}
		rep.SHA256, rep.SHA1, rep.MD5 = sha, provider.Clip(strings.ToLower(a.SHA1), 40), provider.Clip(strings.ToLower(a.MD5), 32)
		rep.Size, rep.TypeDescription, rep.MeaningfulName = max(0, a.Size), provider.Clip(a.TypeDescription, 80), provider.Clip(a.MeaningfulName, 200)
		for _, n := range a.Names {
			if len(rep.Names) < 10 {
				rep.Names = append(rep.Names, provider.Clip(n, 200))
			}
		}
		rep.FirstSubmitted, rep.LastSubmitted, rep.TimesSubmitted = a.FirstSubmissionDate.time(), a.LastSubmissionDate.time(), max(0, a.TimesSubmitted)
		if p := a.PopularThreatClassification; p != nil {
			rep.ThreatLabel = provider.Clip(p.SuggestedThreatLabel, 100)
			rep.ThreatCategories = values(p.PopularThreatCategory)
			rep.ThreatNames = values(p.PopularThreatName)
		}
	}
	f := judge(h, "hash", FileReportID, rep.Common)
	if rep.ThreatLabel != "" && f.Level != skill.Benign {
		f.Reasons = append(f.Reasons, "threat label "+rep.ThreatLabel)
		f.Summary += " (" + rep.ThreatLabel + ")"
	}
	return &skill.Result{Data: rep, Summary: fileSummary(rep, f), Findings: []skill.Finding{f}, Links: []string{rep.Link}}, nil
}

// values lists the values of a popularity list, most counted first.
func values(list []countValue) []string {
	var out []string
	best := append([]countValue(nil), list...)
	sort.SliceStable(best, func(i, j int) bool { return best[i].Count > best[j].Count })
	for _, v := range best {
		if v.Value != "" && len(out) < 5 {
			out = append(out, provider.Clip(v.Value, 60))
		}
	}
	return out
}

func fileSummary(r FileReport, f skill.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**VirusTotal** — file `%s`: **%s**", r.Hash, f.Level)
	if r.ThreatLabel != "" {
		fmt.Fprintf(&b, " (%s)", provider.MD(r.ThreatLabel))
	}
	b.WriteString("\n\n")
	if r.Found {
		var what []string
		if r.MeaningfulName != "" {
			what = append(what, provider.MD(r.MeaningfulName))
		}
		if r.TypeDescription != "" {
			what = append(what, provider.MD(r.TypeDescription))
		}
		if r.Size > 0 {
			what = append(what, fmt.Sprintf("%d bytes", r.Size))
		}
		if len(what) > 0 {
			fmt.Fprintf(&b, "- File: %s\n", strings.Join(what, ", "))
		}
		if r.FirstSubmitted != nil {
			fmt.Fprintf(&b, "- First submitted %s, %s\n", r.FirstSubmitted.Format("2006-01-02"), provider.Count(r.TimesSubmitted, "submission"))
		}
	}
	analysisLines(&b, r.Common)
	return b.String()
}
