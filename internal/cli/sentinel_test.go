package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/runs"
	"github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/sentinel/fake"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/store"
)

type memStarter struct {
	mu   sync.Mutex
	reqs []runs.StartRequest
}

func (s *memStarter) Start(_ context.Context, req runs.StartRequest) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.reqs {
		if r.Key == req.Key {
			return "run-" + string(rune('a'+i)), true, nil
		}
	}
	s.reqs = append(s.reqs, req)
	return "run-" + string(rune('a'+len(s.reqs)-1)), false, nil
}

func (s *memStarter) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.reqs) }

// TestStartSentinel: serve's wiring polls the configured workspace and
// serves the hook, both handing runs to the starter with the write-back
// inputs of the configuration.
func TestStartSentinel(t *testing.T) {
	fk := fake.New(t)
	fk.AddIncident(fake.NewIncident{Title: "Brute force", Severity: "High", Created: time.Now().Add(-time.Minute)})
	dt := http.DefaultTransport.(*http.Transport)
	old := dt.TLSClientConfig
	pool := x509.NewCertPool()
	pool.AddCert(fk.Certificate())
	dt.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	defer func() { dt.TLSClientConfig = old }()

	cfg := config.Default()
	cfg.Sentinel = config.Sentinel{
		Workspaces: []config.SentinelWorkspace{{Name: "prod", SubscriptionID: fake.SubscriptionID, ResourceGroup: fake.ResourceGroup,
			WorkspaceName: fake.WorkspaceName, ARMURL: fk.URL(),
			Credential: config.AzureCredential{TenantID: fake.TenantID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, AuthorityHost: fk.AuthorityHost()}}},
		Poll:      config.SentinelPoll{Interval: time.Hour},
		Hooks:     []config.SentinelHook{{Name: "default", Secret: "cli~Hook.Secret-0a1b2c3d4e"}},
		WriteBack: config.SentinelWriteBack{Comment: "both", Labels: true},
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "spotter.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gw := gateway.New(skill.NewRegistry(), nil, gateway.DefaultConfig(), nil, nil)
	var stderr bytes.Buffer
	e := &env{stderr: &stderr}
	starter := &memStarter{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hooks, err := e.startSentinel(ctx, cfg, st, gw, starter)
	if err != nil || hooks == nil {
		t.Fatal(hooks, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for starter.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if starter.count() != 1 {
		t.Fatalf("runs started by the poller: %d", starter.count())
	}
	in := starter.reqs[0].Inputs
	if in["post_to_incident"] != true || in["post_summary"] != true || in["add_labels"] != true || in["set_active"] != false || in["ips"] != true {
		t.Errorf("inputs: %v", in)
	}
	payload, _ := os.ReadFile("../sentinel/testdata/trigger.json")
	req := httptest.NewRequest(http.MethodPost, sentinel.HookPath, bytes.NewReader(payload))
	req.Header.Set(sentinel.HookSecretHeader, "cli~Hook.Secret-0a1b2c3d4e")
	rec := httptest.NewRecorder()
	hooks.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted || starter.count() != 2 {
		t.Errorf("hook: %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(stderr.String(), "polling 1 Sentinel workspace") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if !sentinelWanted(cfg) || sentinelWanted(config.Default()) {
		t.Error("sentinelWanted")
	}
	// Defaults go only to playbooks that declare them.
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("name: mine\ntriggers: [{manual: {}}]\ninputs:\n  ips: {type: bool, default: true}\nsteps: []\n"), 0o600)
	decl := playbookInputs(dir)
	if !decl("mine", "ips") || decl("mine", "post_to_incident") || !decl("incident-enrichment", "post_to_incident") || decl("nosuch", "ips") {
		t.Error("playbookInputs")
	}
}
