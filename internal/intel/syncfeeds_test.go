package intel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// taxiiServer is a TAXII 2.1 server with one readable collection whose
// objects are served two per page, filtered by added_after.
type taxiiServer struct {
	mu       sync.Mutex
	objects  []taxiiObject
	failPage int  // 1-based page that fails with 500; 0 for none
	noNext   bool // page by added_after only, as servers without "next" do
	queries  []string
	pageSize int
}

type taxiiObject struct {
	added time.Time
	json  string
}

const (
	taxiiUser = "analyst"
	taxiiPass = "taxii-secret-9f2c"
)

func (ts *taxiiServer) add(n int, ip func(i int) string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for i := 0; i < n; i++ {
		k := len(ts.objects) + 1
		added := time.Date(2026, 11, 1, 0, 0, k, 0, time.UTC)
		obj := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08d-0000-4000-8000-000000000000","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","confidence":80}`, k, ip(k))
		ts.objects = append(ts.objects, taxiiObject{added, obj})
	}
}

func (ts *taxiiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != taxiiUser || p != taxiiPass {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Accept") != taxiiMediaType {
		w.WriteHeader(http.StatusNotAcceptable)
		return
	}
	w.Header().Set("Content-Type", taxiiMediaType)
	switch r.URL.Path {
	case "/taxii2/":
		fmt.Fprint(w, `{"title":"Fake TAXII","default":"/api1/","api_roots":["/api1/"]}`)
	case "/api1/":
		fmt.Fprint(w, `{"title":"API root","versions":["application/taxii+json;version=2.1"],"max_content_length":10485760}`)
	case "/api1/collections/":
		fmt.Fprint(w, `{"collections":[{"id":"91a7b528-80eb-42ed-a74d-c6fbd5a26116","title":"Indicators","can_read":true,"can_write":false},
			{"id":"52892447-4d7e-4f70-b94d-d7f22742ff63","title":"Private","can_read":false,"can_write":false}]}`)
	case "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/":
		ts.queries = append(ts.queries, r.URL.RawQuery)
		ts.objectsPage(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (ts *taxiiServer) objectsPage(w http.ResponseWriter, r *http.Request) {
	var after time.Time
	if v := r.URL.Query().Get("added_after"); v != "" {
		after, _ = time.Parse(time.RFC3339Nano, v)
	}
	var sel []taxiiObject
	for _, o := range ts.objects {
		if o.added.After(after) {
			sel = append(sel, o)
		}
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("next"))
	size := ts.pageSize
	if size == 0 {
		size = 2
	}
	page := start/size + 1
	if ts.noNext {
		page = len(ts.queries)
	}
	if ts.failPage != 0 && page == ts.failPage {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	end := min(start+size, len(sel))
	if start > len(sel) {
		start = len(sel)
	}
	chunk := sel[start:end]
	var parts []string
	for _, o := range chunk {
		parts = append(parts, o.json)
	}
	more := end < len(sel)
	if len(chunk) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", chunk[0].added.Format(time.RFC3339Nano))
		w.Header().Set("X-TAXII-Date-Added-Last", chunk[len(chunk)-1].added.Format(time.RFC3339Nano))
	}
	next := ""
	if more && !ts.noNext {
		next = fmt.Sprintf(`,"next":"%d"`, end)
	}
	fmt.Fprintf(w, `{"more":%v%s,"objects":[%s]}`, more, next, strings.Join(parts, ","))
}

func TestSyncTAXII(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ts := &taxiiServer{}
		ts.add(5, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) })
		srv := httptest.NewServer(ts)
		defer srv.Close()
		cfg, err := ParseSettings(map[string]string{"taxii_url": srv.URL + "/taxii2/", "taxii_collection": "Indicators",
			"taxii_user": taxiiUser, "taxii_password": taxiiPass})
		if err != nil {
			t.Fatal(err)
		}
		sy := NewSyncer(s, srv.Client(), cfg.Feeds, nil)

		res := syncOne(t, sy, "taxii")
		if res.Error != "" || res.Report.Added != 5 {
			t.Fatalf("first sync: %+v", res)
		}
		if len(ts.queries) != 3 || ts.queries[0] != "" || ts.queries[1] != "next=2" || ts.queries[2] != "next=4" {
			t.Errorf("paging queries %q; want three pages through next", ts.queries)
		}
		if m := lookupOne(t, s, "198.51.100.3"); len(m) != 1 || m[0].Confidence != 80 || m[0].Source != "taxii" {
			t.Errorf("TAXII entry: %+v", m)
		}

		// Nothing new: one request with added_after, nothing stored.
		res = syncOne(t, sy, "taxii")
		if res.Error != "" || !res.Report.NotModified {
			t.Errorf("second sync: %+v", res)
		}
		if q := ts.queries[len(ts.queries)-1]; q != "added_after=2026-11-01T00%3A00%3A05Z" {
			t.Errorf("second sync query %q", q)
		}

		// New objects arrive; only they are fetched.
		ts.add(2, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) })
		res = syncOne(t, sy, "taxii")
		if res.Error != "" || res.Report.Added != 2 || res.Report.Read != 2 {
			t.Errorf("incremental sync: %+v", res.Report)
		}

		// A page that fails leaves the store and the cursor as they were.
		ts.add(5, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) })
		ts.mu.Lock()
		ts.failPage = 2
		ts.mu.Unlock()
		before := count(t, s)
		res = syncOne(t, sy, "taxii")
		if !strings.Contains(res.Error, "HTTP 500") || count(t, s) != before {
			t.Errorf("failed page: %q, %d rows (was %d)", res.Error, count(t, s), before)
		}
		ts.mu.Lock()
		ts.failPage = 0
		ts.mu.Unlock()
		res = syncOne(t, sy, "taxii")
		if res.Error != "" || res.Report.Added != 5 {
			t.Errorf("retry after the failure: %+v", res)
		}
		if strings.Contains(fmt.Sprint(res), taxiiPass) || strings.Contains(feedStats(t, s, "taxii").LastError, taxiiPass) {
			t.Error("password leaked")
		}
	})
}

// Servers without "next" are paged by the last date added.
func TestSyncTAXIIWithoutNext(t *testing.T) {
	s := newSQLite(t)
	ts := &taxiiServer{noNext: true}
	ts.add(5, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) })
	srv := httptest.NewServer(ts)
	defer srv.Close()
	feed := Feed{Name: "taxii", Kind: KindTAXII, URL: srv.URL + "/api1/", User: taxiiUser, Password: taxiiPass}
	res := NewSyncer(s, srv.Client(), []Feed{feed}, nil).SyncFeed(context.Background(), feed)
	if res.Error != "" || res.Report.Added != 5 || len(ts.queries) != 3 {
		t.Fatalf("%+v; queries %q", res, ts.queries)
	}
	if !strings.HasPrefix(ts.queries[1], "added_after=") {
		t.Errorf("second page query %q; want added_after", ts.queries[1])
	}
}

func TestSyncTAXIIErrors(t *testing.T) {
	s := newSQLite(t)
	srv := httptest.NewServer(&taxiiServer{})
	defer srv.Close()
	for _, tt := range []struct {
		feed Feed
		want string
	}{
		{Feed{Name: "taxii", Kind: KindTAXII, URL: srv.URL + "/taxii2/", User: taxiiUser, Password: "wrong-password"}, "HTTP 401"},
		{Feed{Name: "taxii", Kind: KindTAXII, URL: srv.URL + "/taxii2/", User: taxiiUser, Password: taxiiPass, Collection: "Private"}, `no readable collection "Private"`},
		{Feed{Name: "taxii", Kind: KindTAXII, URL: srv.URL + "/nothing/", User: taxiiUser, Password: taxiiPass}, "HTTP 404"},
	} {
		res := NewSyncer(s, srv.Client(), nil, nil).SyncFeed(context.Background(), tt.feed)
		if !strings.Contains(res.Error, tt.want) || strings.Contains(res.Error, "wrong-password") {
			t.Errorf("%+v: %q; want %q", tt.feed.Collection, res.Error, tt.want)
		}
	}
}

// mispServer serves a MISP feed directory from memory, with an ETag on the
// manifest, and counts the requests per path.
type mispServer struct {
	mu    sync.Mutex
	files map[string]string
	hits  map[string]int
}

func (m *mispServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name := strings.TrimPrefix(r.URL.Path, "/feed/")
	m.hits[name]++
	body, ok := m.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"%x"`, len(body)*31+strings.Count(body, "1"))
	if name == "manifest.json" {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

func TestSyncMISP(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		const e1, e2 = "5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d", "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
		ms := &mispServer{files: map[string]string{}, hits: map[string]int{}}
		for _, n := range []string{"manifest.json", e1 + ".json", e2 + ".json"} {
			b, err := os.ReadFile(mispFeedDir + "/" + n)
			if err != nil {
				t.Fatal(err)
			}
			ms.files[n] = string(b)
		}
		srv := httptest.NewServer(ms)
		defer srv.Close()
		cfg, err := ParseSettings(map[string]string{"misp_url": srv.URL + "/feed/"})
		if err != nil {
			t.Fatal(err)
		}
		sy := NewSyncer(s, srv.Client(), cfg.Feeds, nil)
		res := syncOne(t, sy, "misp")
		if res.Error != "" || res.Report.Added != 9 || ms.hits[e1+".json"] != 1 || ms.hits[e2+".json"] != 1 {
			t.Fatalf("first sync: %+v %v", res, ms.hits)
		}
		if m := lookupOne(t, s, "198.51.100.7"); len(m) != 1 || m[0].Reference != srv.URL+"/feed/"+e1+".json" {
			t.Errorf("reference: %+v", m)
		}

		res = syncOne(t, sy, "misp")
		if res.Error != "" || !res.Report.NotModified || ms.hits[e1+".json"] != 1 {
			t.Errorf("unchanged manifest: %+v %v", res, ms.hits)
		}

		// Event 2 changes (its URL attribute is gone): only it is fetched again.
		var manifest map[string]map[string]any
		_ = json.Unmarshal([]byte(ms.files["manifest.json"]), &manifest)
		manifest[e2]["timestamp"] = "1795100000"
		mb, _ := json.Marshal(manifest)
		ms.mu.Lock()
		ms.files["manifest.json"] = string(mb)
		ms.files[e2+".json"] = strings.Replace(ms.files[e2+".json"],
			`{"type": "url", "category": "Network activity", "value": "hxxps://login-micros0ft-verify[.]com/common/oauth2/authorize", "to_ids": true},`, "", 1)
		ms.mu.Unlock()
		res = syncOne(t, sy, "misp")
		if res.Error != "" || res.Report.Removed != 1 || res.Report.Unchanged != 2 || ms.hits[e1+".json"] != 1 || ms.hits[e2+".json"] != 2 {
			t.Fatalf("changed event: %+v %v", res.Report, ms.hits)
		}
		if len(lookupOne(t, s, "https://login-micros0ft-verify.com/common/oauth2/authorize")) != 0 {
			t.Error("attribute removed from the event is still stored")
		}

		// Event 1 leaves the manifest: its entries go.
		delete(manifest, e1)
		mb, _ = json.Marshal(manifest)
		ms.mu.Lock()
		ms.files["manifest.json"] = string(mb)
		ms.mu.Unlock()
		res = syncOne(t, sy, "misp")
		if res.Error != "" || res.Report.Removed != 6 || count(t, s) != 2 {
			t.Errorf("removed event: %+v, %d rows", res.Report, count(t, s))
		}

		// A missing event file fails the sync and changes nothing.
		manifest["0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"] = map[string]any{"info": "gone", "timestamp": "1"}
		mb, _ = json.Marshal(manifest)
		ms.mu.Lock()
		ms.files["manifest.json"] = string(mb)
		ms.mu.Unlock()
		res = syncOne(t, sy, "misp")
		if !strings.Contains(res.Error, "HTTP 404") || count(t, s) != 2 {
			t.Errorf("missing event file: %q, %d rows", res.Error, count(t, s))
		}
	})
}
