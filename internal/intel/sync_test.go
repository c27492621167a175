package intel

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// feedServer serves one feed file whose body, validators and behaviour the
// test changes between syncs, and records the requests it got.
type feedServer struct {
	mu           sync.Mutex
	body         string
	etag         string
	lastModified string
	status       int  // 0: 200, or 304 when the validators match
	ignoreCond   bool // answer 200 even when the validators match
	contentType  string
	truncate     bool // cut the connection half-way through the body
	requests     []*http.Request
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Clone(context.Background()))
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte("upstream failure"))
		return
	}
	// RFC 9110: If-None-Match, when present, decides; If-Modified-Since only without it.
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if !f.ignoreCond && (inm != "" && inm == f.etag || inm == "" && ims != "" && ims == f.lastModified) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	if f.lastModified != "" {
		w.Header().Set("Last-Modified", f.lastModified)
	}
	if f.contentType != "" {
		w.Header().Set("Content-Type", f.contentType)
	}
	if f.truncate {
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write([]byte(f.body[:len(f.body)/2]))
		return // the server closes the connection short of Content-Length
	}
	_, _ = w.Write([]byte(f.body))
}

func (f *feedServer) set(edit func(f *feedServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(f)
}

// reset restores a healthy feed; the caller holds the lock.
func (f *feedServer) reset(body, etag string) {
	f.body, f.etag, f.lastModified, f.status = body, etag, "", 0
	f.ignoreCond, f.contentType, f.truncate = false, "", false
}

func (f *feedServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *feedServer) last() *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func syncOne(t *testing.T, sy *Syncer, name string) SyncResult {
	t.Helper()
	res, err := sy.Sync(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func feedStats(t *testing.T, s *Store, name string) FeedStats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Feeds {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no feed %s in %+v", name, st.Feeds)
	return FeedStats{}
}

func TestSyncConditional(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		fs := &feedServer{body: "# Tor exits\n192.0.2.1\n192.0.2.2\n", etag: `"v1"`, lastModified: "Wed, 18 Nov 2026 10:00:00 GMT"}
		srv := httptest.NewServer(fs)
		defer srv.Close()
		feed := Feed{Name: "tor-exits", Kind: KindText, URL: srv.URL + "/torbulkexitlist", Replace: true, Defaults: Defaults{Confidence: 50}}
		sy := NewSyncer(s, srv.Client(), []Feed{feed}, nil)

		res := syncOne(t, sy, "tor-exits")
		if res.Error != "" || res.Report.Added != 2 {
			t.Fatalf("first sync: %+v", res)
		}
		if h := fs.last().Header; h.Get("If-None-Match") != "" || h.Get("User-Agent") != userAgent {
			t.Errorf("first request headers: %v", h)
		}

		// Unchanged: the server answers 304 to the stored validators.
		s.now = func() time.Time { return testNow.Add(time.Hour) }
		res = syncOne(t, sy, "tor-exits")
		if res.Error != "" || !res.Report.NotModified {
			t.Fatalf("second sync: %+v", res)
		}
		if h := fs.last().Header; h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != "Wed, 18 Nov 2026 10:00:00 GMT" {
			t.Errorf("conditional headers not sent: %v", h)
		}
		st := feedStats(t, s, "tor-exits")
		if !st.LastSync.Equal(testNow.Add(time.Hour)) || !st.LastChange.Equal(testNow) || st.Indicators != 2 || st.ETag != `"v1"` {
			t.Errorf("after 304: %+v", st)
		}
		// A 304 confirms the feed: its entries are current as of the sync.
		if m := lookupOne(t, s, "192.0.2.1"); len(m) != 1 || !m[0].FeedSynced.Equal(testNow.Add(time.Hour)) {
			t.Errorf("feed confirmation: %+v", m)
		}

		// A server that ignores validators but sends the same bytes costs no writes.
		fs.set(func(f *feedServer) { f.ignoreCond = true })
		res = syncOne(t, sy, "tor-exits")
		if res.Error != "" || !res.Report.NotModified {
			t.Errorf("same body again: %+v", res)
		}

		// A new version replaces the list.
		fs.set(func(f *feedServer) { f.body = "192.0.2.2\n192.0.2.3\n"; f.etag = `"v2"`; f.ignoreCond = false })
		res = syncOne(t, sy, "tor-exits")
		if res.Error != "" || res.Report.Added != 1 || res.Report.Removed != 1 || res.Report.Unchanged != 1 {
			t.Fatalf("new version: %+v", res.Report)
		}
		if feedStats(t, s, "tor-exits").ETag != `"v2"` {
			t.Error("new ETag not stored")
		}
	})
}

// A feed that breaks in any way leaves the stored entries as they were,
// records the error, and keeps its validators so the next sync is a full one.
func TestSyncBrokenFeed(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		good := "198.51.100.1\n198.51.100.2\n198.51.100.3\n"
		fs := &feedServer{body: good, etag: `"good"`}
		srv := httptest.NewServer(fs)
		defer srv.Close()
		feed := Feed{Name: "list", Kind: KindText, URL: srv.URL + "/list.txt", Replace: true}
		sy := NewSyncer(s, srv.Client(), []Feed{feed}, nil)
		if res := syncOne(t, sy, "list"); res.Error != "" {
			t.Fatal(res.Error)
		}
		breaks := []struct {
			name string
			edit func(f *feedServer)
			want string
		}{
			{"server error", func(f *feedServer) { f.status = 503 }, "HTTP 503"},
			{"not found", func(f *feedServer) { f.status = 404 }, "HTTP 404"},
			{"HTML error page", func(f *feedServer) { f.body = "<!DOCTYPE html><html><body>Maintenance</body></html>"; f.etag = `"b1"` }, "HTML page"},
			{"HTML by content type", func(f *feedServer) { f.body = "sorry"; f.contentType = "text/html; charset=utf-8"; f.etag = `"b2"` }, "HTML page"},
			{"garbage", func(f *feedServer) { f.body = "this is\nnot a feed\nat all\n198.51.100.9\n"; f.etag = `"b3"` }, "invalid entries"},
			{"empty", func(f *feedServer) { f.body = "# nothing today\n"; f.etag = `"b4"` }, "empty"},
			{"truncated", func(f *feedServer) { f.body = strings.Repeat("203.0.113.7\n", 100); f.truncate = true; f.etag = `"b5"` }, "reading the body"},
		}
		for _, b := range breaks {
			fs.set(func(f *feedServer) { f.reset(good, `"good"`); b.edit(f) })
			res := syncOne(t, sy, "list")
			if !strings.Contains(res.Error, b.want) {
				t.Errorf("%s: error %q; want %q", b.name, res.Error, b.want)
			}
			if n := count(t, s); n != 3 {
				t.Errorf("%s: %d entries stored; want the 3 from before", b.name, n)
			}
			st := feedStats(t, s, "list")
			if st.LastError == "" || st.ETag != `"good"` {
				t.Errorf("%s: feed state %+v", b.name, st)
			}
		}
		// The next good sync clears the error.
		fs.set(func(f *feedServer) { f.reset(good+"198.51.100.4\n", `"good2"`) })
		if res := syncOne(t, sy, "list"); res.Error != "" || res.Report.Added != 1 {
			t.Fatalf("recovery: %+v", res)
		}
		if st := feedStats(t, s, "list"); st.LastError != "" {
			t.Errorf("error not cleared: %q", st.LastError)
		}
	})
}

func TestSyncUnknownFeed(t *testing.T) {
	sy := NewSyncer(newSQLite(t), nil, nil, nil)
	if _, err := sy.Sync(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "plugins.intel.feeds") {
		t.Errorf("unknown feed: %v", err)
	}
}

func TestSyncBuiltinCSV(t *testing.T) {
	s := newSQLite(t)
	feodo := `################################################################
# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #
################################################################
#
"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
"2026-10-01 18:08:02","198.51.100.50","8080","online","2026-11-19","Emotet"
"2026-09-01 10:00:00","198.51.100.51","443","offline","2026-09-15","QakBot"
`
	srv := httptest.NewServer(&feedServer{body: feodo, contentType: "text/csv"})
	defer srv.Close()
	cfg, err := ParseSettings(map[string]string{"feeds": "feodo", "feodo_url": srv.URL + "/ipblocklist.csv"})
	if err != nil {
		t.Fatal(err)
	}
	sy := NewSyncer(s, srv.Client(), cfg.Feeds, nil)
	res := syncOne(t, sy, "feodo")
	if res.Error != "" || res.Report.Added != 2 || res.Report.Invalid != 0 {
		t.Fatalf("feodo: %+v %v", res, res.Report)
	}
	m := lookupOne(t, s, "198.51.100.50")
	if len(m) != 1 || m[0].Malware != "Emotet" || m[0].Confidence != 90 || m[0].Reference != "https://feodotracker.abuse.ch/browse/host/198.51.100.50/" {
		t.Fatalf("feodo entry: %+v", m)
	}
	p := cfg.Policy
	if j := p.Judge(m[0], testNow); j.Level != "malicious" {
		t.Errorf("fresh C2 judged %s", j.Level)
	}
	if j := p.Judge(lookupOne(t, s, "198.51.100.51")[0], testNow); j.Level != "suspicious" || !j.Stale {
		t.Errorf("C2 offline for two months judged %+v", j)
	}
}

func TestSchedulerRun(t *testing.T) {
	s := newSQLite(t)
	fs := &feedServer{body: "192.0.2.1\n"}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	sy := NewSyncer(s, srv.Client(), []Feed{{Name: "a", Kind: KindText, URL: srv.URL, Interval: time.Hour}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sy.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for count(t, s) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run returned %v", err)
	}
	if n := fs.count(); count(t, s) != 1 || n != 1 {
		t.Errorf("%d entries after %d requests; want one due sync", count(t, s), n)
	}
}

func TestParseSettings(t *testing.T) {
	cfg, err := ParseSettings(map[string]string{"feeds": "feodo, tor_exits,feodo", "tor_exits_url": "https://mirror.example.com/tor.txt",
		"sync_interval": "30m", "fresh_days": "7", "min_confidence": "80", "misp_url": "https://misp.example.com/feeds/osint/manifest.json",
		"taxii_url": "https://taxii.example.com/taxii2/", "taxii_collection": "indicators", "taxii_password": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range cfg.Feeds {
		names = append(names, f.Name)
		if f.Interval != 30*time.Minute {
			t.Errorf("%s: interval %s", f.Name, f.Interval)
		}
	}
	if strings.Join(names, ",") != "feodo,tor-exits,taxii,misp" {
		t.Errorf("feeds %v", names)
	}
	if f, _ := cfg.Feed("tor-exits"); f.URL != "https://mirror.example.com/tor.txt" {
		t.Errorf("URL override: %s", f.URL)
	}
	if f, _ := cfg.Feed("misp"); f.URL != "https://misp.example.com/feeds/osint" || f.Defaults.Reference != "https://misp.example.com/feeds/osint/{id}.json" {
		t.Errorf("misp: %+v", f)
	}
	if f, _ := cfg.Feed("taxii"); f.Collection != "indicators" || f.Password != "pw" {
		t.Errorf("taxii: %+v", f)
	}
	if cfg.Policy.FreshFor != 7*24*time.Hour || cfg.Policy.MinConfidence != 80 {
		t.Errorf("policy %+v", cfg.Policy)
	}
	for settings, want := range map[string]map[string]string{
		`unknown feed "alienvault"`: {"feeds": "feodo,alienvault"},
		"feodo_url":                 {"feeds": "feodo", "feodo_url": "ftp://x"},
		"sync_interval":             {"sync_interval": "1m"},
		"fresh_days":                {"fresh_days": "zero"},
		"min_confidence":            {"min_confidence": "101"},
		"need taxii_url":            {"taxii_collection": "x"},
	} {
		if _, err := ParseSettings(want); err == nil || !strings.Contains(err.Error(), settings) {
			t.Errorf("%v: %v; want %q", want, err, settings)
		}
	}
	for _, st := range Settings() {
		if st.Name == "" || st.Description == "" {
			t.Errorf("setting %+v", st)
		}
	}
}
