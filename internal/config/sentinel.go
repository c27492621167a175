package config

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// Sentinel connects Spotter to Microsoft Sentinel workspaces and Defender
// XDR tenants: where incidents come from (polling, webhooks) and where the
// reports go back to (comments, and optionally labels, severity, status).
type Sentinel struct {
	// Workspaces are the Sentinel workspaces Spotter reads and writes, by name.
	Workspaces []SentinelWorkspace `koanf:"workspaces"`
	// Defender are the Defender XDR tenants reached through Microsoft Graph.
	Defender []DefenderTenant `koanf:"defender"`
	// Poll finds new and updated incidents on a schedule.
	Poll SentinelPoll `koanf:"poll"`
	// Hooks are the webhook endpoints (POST /api/v1/hooks/sentinel/{name}).
	Hooks []SentinelHook `koanf:"hooks"`
	// WriteBack is the optional triage write-back; everything is off by default.
	WriteBack SentinelWriteBack `koanf:"write_back"`
}

// AzureCredential holds the azidentity settings shared by workspaces and
// Defender tenants (see docs/SENTINEL.md for each auth mode).
type AzureCredential struct {
	Auth                string `koanf:"auth"` // client_secret (default), client_certificate, managed_identity, workload_identity, azure_cli
	TenantID            string `koanf:"tenant_id"`
	ClientID            string `koanf:"client_id"`
	ClientSecret        string `koanf:"client_secret"`
	CertificatePath     string `koanf:"certificate_path"`
	CertificatePassword string `koanf:"certificate_password"`
	AuthorityHost       string `koanf:"authority_host"` // https://login.microsoftonline.com/ by default
}

// Settings returns the credential as the flat settings internal/azure parses.
func (c AzureCredential) Settings() map[string]string {
	return map[string]string{
		"auth": c.Auth, "tenant_id": c.TenantID, "client_id": c.ClientID, "client_secret": c.ClientSecret,
		"certificate_path": c.CertificatePath, "certificate_password": c.CertificatePassword,
		"authority_host": c.AuthorityHost,
	}
}

// SentinelWorkspace is one Log Analytics workspace with Sentinel on it.
type SentinelWorkspace struct {
	// Name is how rules, hooks and skills refer to the workspace.
	Name           string `koanf:"name"`
	SubscriptionID string `koanf:"subscription_id"`
	ResourceGroup  string `koanf:"resource_group"`
	WorkspaceName  string `koanf:"workspace_name"`
	// ARMURL is the Azure Resource Manager endpoint (https://management.azure.com
	// by default; sovereign clouds and tests set their own).
	ARMURL string `koanf:"arm_url"`
	// APIVersion is the Microsoft.SecurityInsights api-version (2024-09-01 by default).
	APIVersion string `koanf:"api_version"`
	// Credential is how Spotter signs in (Microsoft Sentinel Responder on the workspace).
	Credential AzureCredential `koanf:"credential"`
}

// DefenderTenant is one tenant whose Defender XDR incidents are read
// through Microsoft Graph.
type DefenderTenant struct {
	Name string `koanf:"name"`
	// GraphURL is the Microsoft Graph base (https://graph.microsoft.com/v1.0 by default).
	GraphURL string `koanf:"graph_url"`
	// Credential is how Spotter signs in (SecurityIncident.ReadWrite.All).
	Credential AzureCredential `koanf:"credential"`
}

// SentinelPoll configures the poller.
type SentinelPoll struct {
	// Interval between polls; 0 turns polling off.
	Interval time.Duration `koanf:"interval"`
	// Lookback is how far back the first poll of a workspace looks (24h by default).
	Lookback time.Duration `koanf:"lookback"`
	// Overlap is how far before its cursor each poll lists again, for
	// incidents the service shows late (DefaultPollOverlap by default; 0
	// turns it off). Revisions listed again start nothing.
	Overlap time.Duration `koanf:"overlap"`
	// Rules choose which incidents run which playbook; the first matching rule wins.
	Rules []SentinelRule `koanf:"rules"`
}

// DefaultPollOverlap is sentinel.poll.overlap when it is not set.
const DefaultPollOverlap = 10 * time.Minute

// maxPollOverlap bounds sentinel.poll.overlap: every poll lists the
// overlap again.
const maxPollOverlap = 24 * time.Hour

// SentinelRule matches incidents and names the playbook they run.
type SentinelRule struct {
	Name string `koanf:"name"`
	// Workspaces limits the rule to these workspaces (or Defender tenants); empty means all.
	Workspaces []string `koanf:"workspaces"`
	// Severities the incident must have (High, Medium, Low, Informational); empty means any.
	Severities []string `koanf:"severities"`
	// Title is a regular expression the title must match (case-insensitive); empty means any.
	Title string `koanf:"title"`
	// Product is a regular expression one of the alert product names must match.
	Product string `koanf:"product"`
	// Events are created and/or updated (created only by default).
	Events []string `koanf:"events"`
	// Playbook is a built-in playbook's name (incident-enrichment by default).
	Playbook string `koanf:"playbook"`
	// Inputs are passed to the playbook.
	Inputs map[string]any `koanf:"inputs"`
}

// SentinelHook is one webhook endpoint.
type SentinelHook struct {
	Name string `koanf:"name"`
	// Secret authenticates deliveries (header X-Spotter-Hook-Secret or ?code=).
	Secret   string         `koanf:"secret"`
	Playbook string         `koanf:"playbook"`
	Inputs   map[string]any `koanf:"inputs"`
}

// SentinelWriteBack says what runs started by Sentinel write back to the
// incident. Comments are on by default; the triage actions are off.
type SentinelWriteBack struct {
	// Comment is details (the report, the default), summary (a short
	// verdict), both, or none.
	Comment string `koanf:"comment"`
	// SetActive sets status Active when a run starts.
	SetActive bool `koanf:"set_active"`
	// Labels adds "Spotter: triaged" and a verdict label.
	Labels bool `koanf:"labels"`
	// Severity raises or lowers the severity from the verdict.
	Severity bool `koanf:"severity"`
}

// Comments reports whether the detailed report and the summary are posted.
func (w SentinelWriteBack) Comments() (details, summary bool) {
	switch strings.ToLower(w.Comment) {
	case "summary":
		return false, true
	case "both":
		return true, true
	case "none":
		return false, false
	}
	return true, false
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Validate checks the sentinel section; errors name the key.
func (s Sentinel) Validate() error {
	names := map[string]string{}
	claim := func(key, name string) error {
		if !namePattern.MatchString(name) {
			return &Error{Key: key + ".name", Msg: fmt.Sprintf("%q: expected a lower-case name of letters, digits, - and _", name)}
		}
		if prev, dup := names[name]; dup {
			return &Error{Key: key + ".name", Msg: fmt.Sprintf("%q is already used by %s", name, prev)}
		}
		names[name] = key
		return nil
	}
	for i, w := range s.Workspaces {
		key := fmt.Sprintf("sentinel.workspaces[%d]", i)
		if err := claim(key, w.Name); err != nil {
			return err
		}
		for _, f := range []struct{ k, v string }{{"subscription_id", w.SubscriptionID}, {"resource_group", w.ResourceGroup}, {"workspace_name", w.WorkspaceName}} {
			if strings.TrimSpace(f.v) == "" {
				return &Error{Key: key + "." + f.k, Msg: "missing: expected the workspace's " + strings.ReplaceAll(f.k, "_", " ")}
			}
		}
		if err := httpsSetting(key+".arm_url", w.ARMURL); err != nil {
			return err
		}
		if w.APIVersion != "" && !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`).MatchString(w.APIVersion) {
			return &Error{Key: key + ".api_version", Msg: fmt.Sprintf("%q: expected a date such as 2024-09-01", w.APIVersion)}
		}
	}
	for i, d := range s.Defender {
		key := fmt.Sprintf("sentinel.defender[%d]", i)
		if err := claim(key, d.Name); err != nil {
			return err
		}
		if err := httpsSetting(key+".graph_url", d.GraphURL); err != nil {
			return err
		}
	}
	if s.Poll.Interval < 0 || s.Poll.Lookback < 0 {
		return &Error{Key: "sentinel.poll", Msg: "interval and lookback: expected positive durations such as 1m and 24h"}
	}
	if s.Poll.Overlap < 0 || s.Poll.Overlap > maxPollOverlap {
		return &Error{Key: "sentinel.poll.overlap", Msg: fmt.Sprintf("%s: expected 0 (off) or a duration up to %s such as 10m", s.Poll.Overlap, maxPollOverlap)}
	}
	if s.Poll.Interval > 0 && s.Poll.Interval < 10*time.Second {
		return &Error{Key: "sentinel.poll.interval", Msg: fmt.Sprintf("%s: expected at least 10s (ARM limits reads per subscription)", s.Poll.Interval)}
	}
	for i, r := range s.Poll.Rules {
		key := fmt.Sprintf("sentinel.poll.rules[%d]", i)
		for _, w := range r.Workspaces {
			if _, ok := names[w]; !ok {
				return &Error{Key: key + ".workspaces", Msg: fmt.Sprintf("%q: no such workspace or Defender tenant", w)}
			}
		}
		for _, sev := range r.Severities {
			switch strings.ToLower(sev) {
			case "high", "medium", "low", "informational":
			default:
				return &Error{Key: key + ".severities", Msg: fmt.Sprintf("%q: expected High, Medium, Low or Informational", sev)}
			}
		}
		for _, f := range []struct{ k, v string }{{"title", r.Title}, {"product", r.Product}} {
			if _, err := regexp.Compile(f.v); err != nil {
				return &Error{Key: key + "." + f.k, Msg: "not a valid regular expression: " + err.Error()}
			}
		}
		for _, e := range r.Events {
			if e != "created" && e != "updated" {
				return &Error{Key: key + ".events", Msg: fmt.Sprintf("%q: expected created or updated", e)}
			}
		}
	}
	switch strings.ToLower(s.WriteBack.Comment) {
	case "", "details", "summary", "both", "none":
	default:
		return &Error{Key: "sentinel.write_back.comment", Msg: fmt.Sprintf("%q: expected details, summary, both or none", s.WriteBack.Comment)}
	}
	if (len(s.Hooks) > 0 || s.Poll.Interval > 0) && len(s.Workspaces) == 0 && len(s.Defender) == 0 && !strings.EqualFold(s.WriteBack.Comment, "none") {
		return &Error{Key: "sentinel.workspaces", Msg: "missing: runs started by Sentinel post their report on the incident, which needs the workspace (or set sentinel.write_back.comment: none)"}
	}
	hooks := map[string]bool{}
	for i, h := range s.Hooks {
		key := fmt.Sprintf("sentinel.hooks[%d]", i)
		if !namePattern.MatchString(h.Name) || hooks[h.Name] {
			return &Error{Key: key + ".name", Msg: fmt.Sprintf("%q: expected a unique lower-case name of letters, digits, - and _", h.Name)}
		}
		hooks[h.Name] = true
		if len(h.Secret) < 16 {
			return &Error{Key: key + ".secret", Msg: "expected at least 16 characters (a random value, e.g. openssl rand -hex 24)"}
		}
	}
	return nil
}

func httpsSetting(key, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return &Error{Key: key, Msg: fmt.Sprintf("%q: expected an https:// URL", raw)}
	}
	return nil
}

// nestedKey finds the key of a value in a nested section (one with a dot
// after the section's, such as sentinel.poll.interval) whose name with
// underscores for dots is n; "" when there is none.
func nestedKey(n string, kinds map[string]reflect.Kind) string {
	for k, kind := range kinds {
		if kind != reflect.Struct && kind != reflect.Map && strings.Count(k, ".") > 1 && strings.ReplaceAll(k, ".", "_") == n {
			return k
		}
	}
	return ""
}

// dateAsString turns a YAML date (an unquoted 2024-09-01) back into its
// text when the setting is a string.
func dateAsString(from, to reflect.Type, v any) (any, error) {
	if t, ok := v.(time.Time); ok && to.Kind() == reflect.String {
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			return t.Format("2006-01-02"), nil
		}
		return t.Format(time.RFC3339Nano), nil
	}
	return v, nil
}

// redactSentinel hides the secrets of the sentinel section in a Redacted map.
func redactSentinel(m map[string]any) {
	s, ok := m["sentinel"].(map[string]any)
	if !ok {
		return
	}
	redactTree(s)
}

// redactTree replaces every non-empty value under a secret-looking key.
func redactTree(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch val.(type) {
			case map[string]any, []any:
				redactTree(val) // "credential" holds ids as well as secrets
				continue
			}
			if IsSecretName(k) {
				if s := fmt.Sprint(val); s != "" && s != "<nil>" {
					x[k] = Redacted
				}
				continue
			}
			redactTree(val)
		}
	case []any:
		for _, e := range x {
			redactTree(e)
		}
	}
}
