package sentinel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func defenderTenant(fk *fake.Server) config.DefenderTenant {
	return config.DefenderTenant{Name: "contoso", GraphURL: fk.GraphURL(),
		Credential: config.AzureCredential{TenantID: fake.TenantID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, AuthorityHost: fk.AuthorityHost()}}
}

// sampleAlerts are two alerts whose evidence covers the mapped types.
func sampleAlerts() []map[string]any {
	return []map[string]any{
		{"title": "Suspicious PowerShell command line", "severity": "high", "serviceSource": "microsoftDefenderForEndpoint", "category": "Execution",
			"evidence": []any{
				map[string]any{"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": "ws-0042.contoso.com", "osPlatform": "Windows10"},
				map[string]any{"@odata.type": "#microsoft.graph.security.processEvidence", "processId": 4242.0,
					"processCommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgA", "imageFile": map[string]any{"fileName": "powershell.exe", "filePath": `C:\Windows\System32\WindowsPowerShell\v1.0`,
						"sha256": "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c"}},
				map[string]any{"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": map[string]any{"accountName": "alice", "domainName": "CONTOSO",
					"userPrincipalName": "alice@contoso.com", "azureAdUserId": "26be570a-0000-4000-8000-000000000001"}},
				map[string]any{"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "185.220.101.47"},
				map[string]any{"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "http://malware.example/payload.ps1"},
				map[string]any{"@odata.type": "#microsoft.graph.security.kubernetesPodEvidence", "name": "x"},
			}},
		{"title": "Phishing mail delivered", "severity": "medium", "serviceSource": "microsoftDefenderForOffice365", "category": "InitialAccess",
			"evidence": []any{
				map[string]any{"@odata.type": "#microsoft.graph.security.analyzedMessageEvidence", "subject": "Invoice overdue", "senderIp": "203.0.113.9",
					"recipientEmailAddress": "alice@contoso.com", "networkMessageId": "5e1f0000-0000-4000-8000-000000000002",
					"p1Sender": map[string]any{"emailAddress": "billing@evil.example", "domainName": "evil.example"}},
				map[string]any{"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "185.220.101.47"},
			}},
	}
}

func TestDefenderDocumentParses(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "Multi-stage incident on ws-0042", Severity: "high", Alerts: sampleAlerts()})
	c, err := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client()})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := c.GetIncident(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := DefenderDocument("contoso", inc)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := incident.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range parsed.Entities {
		kinds[e.Kind]++
	}
	want := map[string]int{"Host": 1, "Process": 1, "File": 1, "FileHash": 1, "Account": 1, "Ip": 1, "Url": 1, "MailMessage": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s: %d entities, want %d (all: %v)", k, kinds[k], n, kinds)
		}
	}
	if parsed.Severity != "High" || len(parsed.Alerts) != 2 || parsed.ID != "defender:contoso/"+id || parsed.Title != "Multi-stage incident on ws-0042" {
		t.Errorf("incident: %+v", parsed)
	}
	ents := incident.Categorize(parsed, incident.DefaultOptions())
	if ents == nil {
		t.Fatal("no categories")
	}
}

func TestDefenderPostReportIsIdempotent(t *testing.T) {
	fk := fake.New(t)
	id := fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "x", Alerts: sampleAlerts()})
	c, _ := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client()})
	ctx := context.Background()
	p := Post{Key: "run-9", Details: longReport(40000), Summary: "verdict: malicious"}
	for range 2 {
		if _, err := c.PostReport(ctx, id, p); err != nil {
			t.Fatal(err)
		}
	}
	comments := fk.DefenderComments(id)
	if len(comments) != 3 { // two parts and the summary, once
		t.Fatalf("comments: %d", len(comments))
	}
	for _, cm := range comments {
		if len([]rune(cm.Comment)) > MaxCommentChars || !strings.Contains(cm.Comment, "spotter-ref:") {
			t.Errorf("comment of %d runes", len([]rune(cm.Comment)))
		}
	}
	if n := fk.Count(http.MethodPost, "/comments"); n != 3 {
		t.Errorf("comment POSTs: %d", n)
	}
	skilltest.NoLeak(t, fk.Secrets(), comments)
}

// failNth fails the nth request with method whose path contains pattern,
// as a dropped connection would.
type failNth struct {
	rt              http.RoundTripper
	method, pattern string
	n, seen         int
}

func (f *failNth) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == f.method && strings.Contains(r.URL.Path, f.pattern) {
		f.seen++
		if f.seen == f.n {
			return nil, errors.New("connection reset by peer")
		}
	}
	return f.rt.RoundTrip(r)
}

// Others' comments count against the cap, Spotter's own for the same key
// do not: a retry after a partial post completes the report, and a report
// that fits in the room left is posted.
func TestDefenderPostReportCap(t *testing.T) {
	ctx := context.Background()
	fk := fake.New(t)
	c, _ := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client()})
	withNotes := func(n int) string {
		id := fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "x"})
		for i := range n {
			if err := c.AddComment(ctx, id, fmt.Sprintf("analyst note %d", i)); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	id := withNotes(97)
	p := Post{Key: "run-7", Details: longReport(40000), Summary: "verdict: malicious"}
	flaky := fk.Client()
	flaky.Transport = &failNth{rt: flaky.Transport, method: http.MethodPost, pattern: "/comments", n: 2}
	fc, _ := NewDefenderClient(defenderTenant(fk), Options{HTTP: flaky})
	if _, err := fc.PostReport(ctx, id, p); err == nil {
		t.Fatal("the dropped second part was not reported")
	}
	res, err := c.PostReport(ctx, id, p)
	if err != nil {
		t.Fatal(err)
	}
	comments := fk.DefenderComments(id)
	if len(comments) != 100 || res.Parts != 2 || res.Omitted != 0 {
		t.Fatalf("after the retry: %d comments, %+v; want 97 + 2 parts + summary", len(comments), res)
	}
	if !strings.Contains(comments[98].Comment, "part 2 of 2") {
		t.Errorf("second part: %.60q", comments[98].Comment)
	}
	// One comment left: a report without summary still fits.
	id = withNotes(99)
	if _, err := c.PostReport(ctx, id, Post{Key: "run-8", Details: "short report"}); err != nil {
		t.Fatal(err)
	}
	if n := len(fk.DefenderComments(id)); n != 100 {
		t.Errorf("comments: %d, want 100", n)
	}
	if _, err := c.PostReport(ctx, id, Post{Key: "run-9", Details: "short report"}); err == nil || !strings.Contains(err.Error(), "100 comments") {
		t.Errorf("over the cap: %v", err)
	}
}

func TestDefenderPoller(t *testing.T) {
	fk := fake.New(t)
	now := time.Now().UTC()
	for i := range 3 {
		fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "incident", Severity: "high", Created: now.Add(time.Duration(i-30) * time.Minute), Alerts: sampleAlerts()})
	}
	c, _ := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client()})
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	starter := &recordingStarter{}
	p, err := NewPoller(PollerOptions{Sources: []Source{DefenderSource{C: c}}, Starter: starter, Cursors: NewDBCursors(st),
		Rules: []config.SentinelRule{{Name: "endpoint", Product: "endpoint"}}})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := p.PollOnce(context.Background())
	if err != nil || stats.Started != 3 {
		t.Fatalf("%+v %v", stats, err)
	}
	if fk.Count(http.MethodGet, "/security/incidents") != 2 {
		t.Errorf("pages: %d", fk.Count(http.MethodGet, "/security/incidents"))
	}
	req := starter.started()[0]
	if _, err := incident.Parse(req.Incident); err != nil || !strings.HasPrefix(req.Key, "defender/contoso/") || req.Origin != "sentinel-poll:contoso" ||
		req.Inputs["comment_format"] != "md" {
		t.Errorf("%+v %v", req.Key, err)
	}
}

// More changes than the page cap reads: Graph lists the newest first, so
// the cursor must not pass the older ones left out; narrower windows read
// them on the next polls.
func TestDefenderPollerPageCap(t *testing.T) {
	fk := fake.New(t)
	now := time.Now().UTC()
	var ids []string
	for i := range 5 {
		ids = append(ids, fk.AddDefenderIncident(fake.NewDefenderIncident{DisplayName: "incident", Created: now.Add(time.Duration(i*10-50) * time.Minute)}))
	}
	c, _ := NewDefenderClient(defenderTenant(fk), Options{HTTP: fk.Client(), MaxPages: 1}) // pages of 2
	st := openTestStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer st.Close()
	starter := &recordingStarter{}
	p, err := NewPoller(PollerOptions{Sources: []Source{DefenderSource{C: c}}, Starter: starter, Cursors: NewDBCursors(st)})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		if _, err := p.PollOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	started := map[string]bool{}
	for _, r := range starter.started() {
		started[r.Key] = true
	}
	for _, id := range ids {
		if !started[DefenderRevisionKey("contoso", id, fk.DefenderIncident(id)["lastUpdateDateTime"].(string))+"/"+DefaultPlaybook] {
			t.Errorf("incident %s never started (%d runs)", id, len(started))
		}
	}
	if len(starter.started()) != 5 {
		t.Errorf("runs: %d, want 5", len(starter.started()))
	}
}

func TestEvidenceEntities(t *testing.T) {
	for _, tc := range []struct {
		ev   map[string]any
		want string // kinds, comma-separated
	}{
		{map[string]any{"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "203.0.113.7"}, "Ip"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.ipEvidence"}, ""},
		{map[string]any{"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": map[string]any{"userPrincipalName": "bob@contoso.com"}}, "Account"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": "bob"}, ""},
		{map[string]any{"@odata.type": "#microsoft.graph.security.fileEvidence", "fileDetails": map[string]any{"fileName": "a.exe", "sha1": "aa", "md5": "bb"}}, "File,FileHash,FileHash"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.mailboxEvidence", "primaryAddress": "bob@contoso.com"}, "Mailbox"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence", "displayName": "Dropbox", "appId": 11627.0}, "CloudApplication"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.registryKeyEvidence", "registryKey": `SOFTWARE\Run`, "registryHive": "HKEY_LOCAL_MACHINE"}, "RegistryKey"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.dnsEvidence", "domainName": "evil.example"}, "DnsResolution"},
		{map[string]any{"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": 7}, ""},
		{map[string]any{"@odata.type": 5}, ""},
	} {
		var kinds []string
		for _, e := range EvidenceEntities(tc.ev) {
			kinds = append(kinds, e["kind"].(string))
		}
		if got := strings.Join(kinds, ","); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.ev["@odata.type"], got, tc.want)
		}
	}
}

// FuzzDefenderIncident: any Graph reply either fails to parse with a
// field-named error or converts to a document without panicking.
func FuzzDefenderIncident(f *testing.F) {
	f.Add([]byte(`{"id":"7","displayName":"x","severity":"high","alerts":[{"id":"a","evidence":[{"@odata.type":"#microsoft.graph.security.ipEvidence","ipAddress":"1.2.3.4"}]}]}`))
	f.Add([]byte(`{"id":"7","alerts":[{"evidence":[{"@odata.type":"#microsoft.graph.security.userEvidence","userAccount":{"userPrincipalName":"@"}}]}]}`))
	f.Add([]byte(`{"value":[{"id":"1"}],"@odata.nextLink":"https://x"}`))
	f.Add([]byte(`{"id":5}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseDefenderPage(data)
		inc, err := ParseDefenderIncident(data)
		if err != nil {
			return
		}
		doc, err := DefenderDocument("t", inc)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = incident.Parse(doc)
	})
}
