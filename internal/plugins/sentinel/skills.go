package sentinel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	api "github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/skill"
)

// never caches: incidents change, and writes must always happen.
const never = -1 * time.Second

var (
	incidentInput = skill.Input{Name: "incident", Type: skill.TypeString, Required: true,
		Description: "The incident's ARM resource id (trigger.incident.id in a playbook), or its name (a GUID) with workspace.",
		Placeholder: "/subscriptions/…/providers/Microsoft.SecurityInsights/incidents/<guid>"}
	workspaceInput = skill.Input{Name: "workspace", Type: skill.TypeString,
		Description: "The configured workspace's name (sentinel.workspaces[].name); needed with several workspaces unless incident is a resource id."}
	intp = func(n int) *int { return &n }
)

var getIncidentSpec = skill.Spec{
	ID: "sentinel.GetIncident", Name: "Get Sentinel incident",
	Description: "Read a Microsoft Sentinel incident: title, severity, status, owner, labels, products, times.",
	Examples:    []string{"Show Sentinel incident 63883bf7-4c2e-4a8a-9d4e-1f7b1c2d3e4f", "What is the status of this Sentinel incident?"},
	Inputs:      []skill.Input{incidentInput, workspaceInput},
	CacheTTL:    never,
}

var listIncidentsSpec = skill.Spec{
	ID: "sentinel.ListIncidents", Name: "List Sentinel incidents",
	Description: "List a workspace's recent incidents, newest first, optionally by severity, status and title.",
	Examples:    []string{"List today's high severity Sentinel incidents", "Which Sentinel incidents are still new?"},
	Inputs: []skill.Input{workspaceInput,
		{Name: "severity", Type: skill.TypeString, Enum: []string{"High", "Medium", "Low", "Informational"}, Description: "Only incidents of this severity."},
		{Name: "status", Type: skill.TypeString, Enum: []string{"New", "Active", "Closed"}, Description: "Only incidents with this status."},
		{Name: "title", Type: skill.TypeString, Description: "Only incidents whose title contains this text (case-insensitive)."},
		{Name: "hours", Type: skill.TypeInteger, Default: 24, Min: intp(1), Max: intp(24 * 90), Description: "How far back to look, by creation time."},
		{Name: "top", Type: skill.TypeInteger, Default: 20, Min: intp(1), Max: intp(200), Description: "Most incidents returned."},
	},
	CacheTTL: never,
}

var listEntitiesSpec = skill.Spec{
	ID: "sentinel.ListIncidentEntities", Name: "List Sentinel incident entities",
	Description: "List an incident's entities (accounts, hosts, IPs, files, URLs, mail, ...) and its alerts.",
	Examples:    []string{"Which entities are in this Sentinel incident?", "Show the alerts of Sentinel incident 63883bf7-4c2e-4a8a-9d4e-1f7b1c2d3e4f"},
	Inputs:      []skill.Input{incidentInput, workspaceInput},
	CacheTTL:    never,
}

var postReportSpec = skill.Spec{
	ID: "sentinel.PostReport", Name: "Post report to Sentinel incident",
	Description: "Post Spotter's report on a Sentinel incident as comments: the details (split into numbered parts when longer than " +
		"30,000 characters, never past the 100-comment limit) and optionally a short summary. Comment ids derive from key, " +
		"so posting again with the same key rewrites the same comments and never adds duplicates.",
	Examples: []string{"Post the report to the Sentinel incident"},
	Inputs: []skill.Input{incidentInput, workspaceInput,
		{Name: "key", Type: skill.TypeString, Required: true, Description: "A stable key for this report, normally the run id (run.id)."},
		{Name: "report", Type: skill.TypeString, Description: "The report text (Markdown or HTML); empty posts no details."},
		{Name: "format", Type: skill.TypeString, Enum: []string{"md", "html"}, Default: "md", Description: "The report's format."},
		{Name: "summary", Type: skill.TypeBoolean, Default: false, Description: "Also post a short summary comment built from verdict."},
		{Name: "verdict", Type: skill.TypeObject, Description: "The report's verdict (level, score, summary, recommendations), for the summary comment."},
	},
	CacheTTL: never,
	Writes:   true,
}

var updateIncidentSpec = skill.Spec{
	ID: "sentinel.UpdateIncident", Name: "Update Sentinel incident",
	Description: "Write triage back to a Sentinel incident: status, added labels, severity (given, or from the verdict). " +
		"Updates use the incident's etag and are retried on a conflict; a severity change is explained in a comment.",
	Examples: []string{"Mark this Sentinel incident active", "Label the Sentinel incident as triaged"},
	Inputs: []skill.Input{incidentInput, workspaceInput,
		{Name: "status", Type: skill.TypeString, Enum: []string{"New", "Active"}, Description: "The new status (closing needs an analyst's classification)."},
		{Name: "severity", Type: skill.TypeString, Enum: []string{"High", "Medium", "Low", "Informational"}, Description: "The new severity."},
		{Name: "labels", Type: skill.TypeStringList, Description: "Labels to add."},
		{Name: "verdict", Type: skill.TypeString, Description: "The verdict level (malicious, suspicious, benign, unknown, info)."},
		{Name: "triaged", Type: skill.TypeBoolean, Default: false, Description: "Add the labels \"Spotter: triaged\" and \"Spotter: <verdict>\"."},
		{Name: "severity_from_verdict", Type: skill.TypeBoolean, Default: false, Description: "Set the severity from the verdict: malicious High, suspicious Medium, benign Low."},
		{Name: "reason", Type: skill.TypeString, Description: "Why; goes into the comment explaining a severity change."},
		{Name: "key", Type: skill.TypeString, Description: "A stable key (run.id) for the comment explaining a severity change; no comment without it."},
	},
	CacheTTL: never,
	Writes:   true,
}

func (w *workspaces) getIncident(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	if dc, id, ok, err := w.defenderClient(getIncidentSpec.ID, in.String("incident")); ok {
		if err != nil {
			return nil, err
		}
		inc, err := dc.GetIncident(ctx, id)
		if err != nil {
			return nil, err
		}
		s := fmt.Sprintf("Defender incident %s, **%s**: severity %s, status %s, %d alert(s).", inc.ID, inc.DisplayName, inc.Severity, inc.Status, len(inc.Alerts))
		var links []string
		if strings.HasPrefix(inc.IncidentWebURL, "https://") {
			links = []string{inc.IncidentWebURL}
		}
		return &skill.Result{Data: inc, Summary: s, Links: links}, nil
	}
	c, id, err := w.resolve(getIncidentSpec.ID, in.String("incident"), in.String("workspace"))
	if err != nil {
		return nil, err
	}
	inc, err := c.GetIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	return &skill.Result{Data: inc, Summary: describe(inc), Links: links(inc)}, nil
}

func describe(inc *api.Incident) string {
	s := fmt.Sprintf("Incident %d, **%s**: severity %s, status %s", inc.Number(), inc.Title(), inc.Severity(), inc.Status())
	if l := inc.Labels(); len(l) > 0 {
		s += ", labels " + strings.Join(l, ", ")
	}
	return s + "."
}

func links(inc *api.Incident) []string {
	if u := inc.Str("incidentUrl"); strings.HasPrefix(u, "https://") {
		return []string{u}
	}
	return nil
}

func (w *workspaces) listIncidents(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	c, err := w.client(listIncidentsSpec.ID, in.String("workspace"))
	if err != nil {
		return nil, err
	}
	hours, top := in.Int("hours"), in.Int("top")
	if hours <= 0 {
		hours = 24
	}
	if top <= 0 {
		top = 20
	}
	clauses := []string{"properties/createdTimeUtc ge " + time.Now().UTC().Add(-time.Duration(hours)*time.Hour).Format(time.RFC3339)}
	for _, f := range []string{"severity", "status"} {
		if v := in.String(f); v != "" {
			clauses = append(clauses, "properties/"+f+" eq '"+strings.ReplaceAll(v, "'", "''")+"'")
		}
	}
	title := strings.ToLower(in.String("title"))
	var out []*api.Incident
	errDone := fmt.Errorf("done")
	_, err = c.ListIncidents(ctx, api.ListOptions{Filter: strings.Join(clauses, " and "), OrderBy: "properties/createdTimeUtc desc", Top: min(top, 200)},
		func(inc *api.Incident) error {
			if title != "" && !strings.Contains(strings.ToLower(inc.Title()), title) {
				return nil
			}
			out = append(out, inc)
			if len(out) == top {
				return errDone
			}
			return nil
		})
	if err != nil && err != errDone {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d incident(s) in workspace %s in the last %d hours.", len(out), c.Workspace().Name, hours)
	for _, inc := range out {
		b.WriteString("\n- " + describe(inc))
	}
	return &skill.Result{Data: map[string]any{"incidents": out}, Summary: b.String()}, nil
}

func (w *workspaces) listEntities(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	c, id, err := w.resolve(listEntitiesSpec.ID, in.String("incident"), in.String("workspace"))
	if err != nil {
		return nil, err
	}
	ents, err := c.ListEntities(ctx, id)
	if err != nil {
		return nil, err
	}
	alerts, err := c.ListAlerts(ctx, id)
	if err != nil {
		return nil, err
	}
	kinds := map[string]int{}
	for _, e := range ents.Entities {
		kinds[e.Kind]++
	}
	var parts []string
	for _, k := range sortedKeys(kinds) {
		parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
	}
	summary := fmt.Sprintf("%d entities (%s) and %d alert(s).", len(ents.Entities), strings.Join(parts, ", "), len(alerts))
	return &skill.Result{Data: map[string]any{"entities": ents.Entities, "alerts": alerts}, Summary: summary}, nil
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (w *workspaces) postReport(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	html := in.String("format") == "html"
	p := api.Post{Key: in.String("key"), Details: in.String("report"), HTML: html}
	if html {
		p.Details = htmlFragment(p.Details)
	}
	if in.Bool("summary") {
		p.Summary = SummaryText(in.Object("verdict"), html)
	}
	var (
		res *api.PostResult
		id  string
	)
	if dc, did, ok, err := w.defenderClient(postReportSpec.ID, in.String("incident")); ok {
		if err != nil {
			return nil, err
		}
		id = did
		if res, err = dc.PostReport(ctx, did, p); err != nil {
			return nil, err
		}
	} else {
		c, sid, err := w.resolve(postReportSpec.ID, in.String("incident"), in.String("workspace"))
		if err != nil {
			return nil, err
		}
		id = sid
		if res, err = c.PostReport(ctx, sid, p); err != nil {
			return nil, err
		}
	}
	s := fmt.Sprintf("Posted the report on incident %s as %d comment(s)", id, len(res.Comments))
	if res.Omitted > 0 {
		s += fmt.Sprintf("; %d part(s) left out by the 100-comment limit", res.Omitted)
	}
	return &skill.Result{Data: res, Summary: s + "."}, nil
}

// SummaryText is the short summary comment for a verdict (level, score,
// summary, recommendations as the report's JSON has them).
func SummaryText(v map[string]any, html bool) string {
	level, _ := v["level"].(string)
	if level == "" {
		level = "unknown"
	}
	score := ""
	switch n := v["score"].(type) {
	case float64:
		score = fmt.Sprintf(" (score %d/100)", int(n))
	case int:
		score = fmt.Sprintf(" (score %d/100)", n)
	}
	text, _ := v["summary"].(string)
	var recs []string
	if l, ok := v["recommendations"].([]any); ok {
		for _, r := range l {
			if s, ok := r.(string); ok && s != "" {
				recs = append(recs, s)
			}
		}
	}
	if html {
		var b strings.Builder
		b.WriteString("<p><b>Spotter summary</b>: verdict <b>" + esc(level) + "</b>" + esc(score) + "</p>")
		if text != "" {
			b.WriteString("<p>" + esc(text) + "</p>")
		}
		if len(recs) > 0 {
			b.WriteString("<p>Recommended next steps:</p><ul>")
			for _, r := range recs {
				b.WriteString("<li>" + esc(r) + "</li>")
			}
			b.WriteString("</ul>")
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString("**Spotter summary**: verdict **" + level + "**" + score + "\n")
	if text != "" {
		b.WriteString("\n" + text + "\n")
	}
	if len(recs) > 0 {
		b.WriteString("\nRecommended next steps:\n")
		for _, r := range recs {
			b.WriteString("- " + r + "\n")
		}
	}
	return b.String()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func esc(s string) string { return htmlEscaper.Replace(s) }

// severityFor maps a verdict level to an incident severity ("" for none).
func severityFor(level string) string {
	switch strings.ToLower(level) {
	case "malicious":
		return api.SeverityHigh
	case "suspicious":
		return api.SeverityMedium
	case "benign":
		return api.SeverityLow
	}
	return ""
}

// TriagedLabel marks incidents Spotter has triaged.
const TriagedLabel = "Spotter: triaged"

func (w *workspaces) updateIncident(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	if dc, id, ok, err := w.defenderClient(updateIncidentSpec.ID, in.String("incident")); ok {
		if err != nil {
			return nil, err
		}
		return w.updateDefender(ctx, dc, id, in)
	}
	c, id, err := w.resolve(updateIncidentSpec.ID, in.String("incident"), in.String("workspace"))
	if err != nil {
		return nil, err
	}
	verdict := strings.ToLower(in.String("verdict"))
	wantLabels := in.Strings("labels")
	if in.Bool("triaged") {
		wantLabels = append(wantLabels, TriagedLabel)
		if verdict != "" {
			wantLabels = append(wantLabels, "Spotter: "+verdict)
		}
	}
	severity := in.String("severity")
	if severity == "" && in.Bool("severity_from_verdict") {
		severity = severityFor(verdict)
	}
	status := in.String("status")
	var changes []string
	var before string
	inc, err := c.UpdateIncident(ctx, id, func(inc *api.Incident) error {
		changes, before = nil, inc.Severity()
		labels := inc.Labels()
		var added []string
		for _, l := range wantLabels {
			if !slices.ContainsFunc(labels, func(x string) bool { return strings.EqualFold(x, l) }) {
				labels = append(labels, l)
				added = append(added, l)
			}
		}
		if len(added) > 0 {
			inc.SetLabels(labels)
			changes = append(changes, "labels +"+strings.Join(added, ", +"))
		}
		if severity != "" && !strings.EqualFold(severity, inc.Severity()) {
			inc.Properties["severity"] = severity
			changes = append(changes, "severity "+before+" → "+severity)
		}
		if status != "" && !strings.EqualFold(status, inc.Status()) {
			if inc.Status() == api.StatusClosed {
				return fmt.Errorf("incident %s is closed; Spotter does not reopen incidents", id)
			}
			changes = append(changes, "status "+inc.Status()+" → "+status)
			inc.Properties["status"] = status
		}
		if len(changes) == 0 {
			return api.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		w.recordWrite(ctx, api.RevisionKey(c.Workspace(), id, inc.LastModified()))
	}
	changedSeverity := slices.ContainsFunc(changes, func(s string) bool { return strings.HasPrefix(s, "severity ") })
	if key := in.String("key"); key != "" && changedSeverity {
		reason := in.String("reason")
		if reason == "" && verdict != "" {
			reason = "Spotter's verdict is " + verdict
		}
		msg := fmt.Sprintf("**Spotter changed the severity from %s to %s**", before, severity)
		if reason != "" {
			msg += ": " + reason
		}
		if _, err := c.PutComment(ctx, id, api.CommentID(key, "triage"), msg); err != nil {
			return nil, fmt.Errorf("the incident was updated, but the comment explaining the severity change failed: %w", err)
		}
	}
	summary := "Incident " + id + " unchanged."
	if len(changes) > 0 {
		summary = "Incident " + id + ": " + strings.Join(changes, "; ") + "."
	}
	return &skill.Result{Data: map[string]any{"changes": changes, "incident": inc}, Summary: summary}, nil
}

// updateDefender writes triage back to a Defender incident with a PATCH:
// status Active is inProgress, labels are custom tags, severity is lower case.
func (w *workspaces) updateDefender(ctx context.Context, dc *api.DefenderClient, id string, in skill.Inputs) (*skill.Result, error) {
	inc, err := dc.GetIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	verdict := strings.ToLower(in.String("verdict"))
	patch := map[string]any{}
	var changes []string
	want := in.Strings("labels")
	if in.Bool("triaged") {
		want = append(want, TriagedLabel)
		if verdict != "" {
			want = append(want, "Spotter: "+verdict)
		}
	}
	tags := append([]string(nil), inc.CustomTags...)
	for _, l := range want {
		if !slices.ContainsFunc(tags, func(x string) bool { return strings.EqualFold(x, l) }) {
			tags = append(tags, l)
			changes = append(changes, "tag +"+l)
		}
	}
	if len(tags) != len(inc.CustomTags) {
		patch["customTags"] = tags
	}
	severity := in.String("severity")
	if severity == "" && in.Bool("severity_from_verdict") {
		severity = severityFor(verdict)
	}
	if severity != "" && !strings.EqualFold(severity, inc.Severity) {
		patch["severity"] = strings.ToLower(severity)
		changes = append(changes, "severity "+inc.Severity+" → "+strings.ToLower(severity))
	}
	if st := in.String("status"); st == api.StatusActive && inc.Status == "active" {
		patch["status"] = "inProgress"
		changes = append(changes, "status active → inProgress")
	}
	if len(patch) == 0 {
		return &skill.Result{Data: map[string]any{"changes": []string{}}, Summary: "Defender incident " + id + " unchanged."}, nil
	}
	out, err := dc.Update(ctx, id, patch)
	if err != nil {
		return nil, err
	}
	w.recordWrite(ctx, api.DefenderRevisionKey(dc.Tenant().Name, id, out.LastUpdateDateTime))
	if key := in.String("key"); key != "" && patch["severity"] != nil {
		reason := in.String("reason")
		if reason == "" && verdict != "" {
			reason = "Spotter's verdict is " + verdict
		}
		if _, err := dc.PostReport(ctx, id, api.Post{Key: key + "/triage", Summary: fmt.Sprintf("Spotter changed the severity from %s to %s: %s", inc.Severity, patch["severity"], reason)}); err != nil {
			return nil, fmt.Errorf("the incident was updated, but the comment explaining the severity change failed: %w", err)
		}
	}
	return &skill.Result{Data: map[string]any{"changes": changes, "incident": out}, Summary: "Defender incident " + id + ": " + strings.Join(changes, "; ") + "."}, nil
}

// htmlFragment returns what is inside <body> of a standalone HTML page (a
// report rendered as a page) so the comment holds only the simple tags
// the portal renders, without <head> or <style>; other text is returned
// as it is.
func htmlFragment(s string) string {
	// Only ASCII letters are folded, so offsets in lower are offsets in s
	// (strings.ToLower changes the length of some letters, İ or Ⱥ).
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	lower := string(b)
	start := strings.Index(lower, "<body>")
	end := strings.LastIndex(lower, "</body>")
	if start < 0 || end < start || !strings.HasPrefix(strings.TrimSpace(lower), "<!doctype html") {
		return s
	}
	return strings.TrimSpace(s[start+len("<body>") : end])
}
