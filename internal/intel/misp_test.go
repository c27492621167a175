package intel

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

const mispFeedDir = "testdata/misp/feed"

func TestImportMISPFeed(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rep, err := s.ImportPath(ctx, mispFeedDir, ImportOptions{Source: "misp"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Format != FormatMISP || rep.Added != 9 || rep.Invalid != 1 || rep.UnsupportedTotal() != 4 ||
			rep.Unsupported["MISP type link"] != 1 || rep.Unsupported["MISP type email-dst"] != 1 {
			t.Fatalf("report: %s; %v", rep.Summary(), rep.Problems)
		}
		m := lookupOne(t, s, "198.51.100.7")
		if len(m) != 1 || m[0].Confidence != 90 || m[0].Malware != "Emotet" || m[0].ObjectID != "5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d" ||
			m[0].Description != "Emotet epoch 5 C2 servers — tier 1 C2" || !m[0].FirstSeen.Equal(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("ip-dst: %+v", m)
		}
		for _, v := range []string{"198.51.100.8", "198.51.100.9", "c2.emotet-example.net", "hr-team@payroll-update.example.com",
			"https://login-micros0ft-verify.com/common/oauth2/authorize", "d41d8cd98f00b204e9800998ecf8427e"} {
			if len(lookupOne(t, s, v)) != 1 {
				t.Errorf("%s not imported", v)
			}
		}
		ctxIP := lookupOne(t, s, "192.0.2.200")
		if len(ctxIP) != 1 || ctxIP[0].Confidence != 40 || !strings.Contains(strings.Join(ctxIP[0].Tags, ","), "misp:to_ids=false") {
			t.Errorf("to_ids=false attribute: %+v", ctxIP)
		}
		h := lookupOne(t, s, "8d3f68b16f0710f858d8c1d2c699260e6f43161a5510abb0e7ba567bd72c965b")
		if len(h) != 1 || !h[0].LastSeen.Equal(time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)) || h[0].Malware != "Emotet" {
			t.Errorf("object attribute: %+v", h)
		}
		if len(lookupOne(t, s, "198.51.100.250")) != 0 || len(lookupOne(t, s, "victim@contoso.example.com")) != 0 {
			t.Error("deleted attribute or recipient imported")
		}
		again, err := s.ImportPath(ctx, mispFeedDir+"/manifest.json", ImportOptions{Source: "misp"})
		if err != nil || again.Changed() || again.Unchanged != 9 {
			t.Errorf("second import: %v %s", err, again.Summary())
		}
	})
}

func TestImportMISPHashes(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		rep, err := s.ImportPath(context.Background(), mispFeedDir+"/hashes.csv", ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Source != "feed" || rep.Added != 3 || rep.Invalid != 1 || rep.Problems[0].Line != 4 {
			t.Fatalf("report: %s %v", rep.Summary(), rep.Problems)
		}
		m := lookupOne(t, s, "C2.Emotet-Example.net")
		if len(m) != 1 || m[0].How != MatchDigest || m[0].Type != TypeDigest || m[0].ObjectID != "5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d" {
			t.Errorf("digest match: %+v", m)
		}
		j := DefaultPolicy().Judge(m[0], testNow)
		if j.Level != "suspicious" {
			t.Errorf("digest judged %s; want suspicious", j.Level)
		}
	})
}

func TestParseMISPErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"manifest without files", `{"5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d": {"info": "x", "timestamp": "1"}}`, "import the feed directory"},
		{"bad manifest key", `{"not-a-uuid": {"info": "x"}}`, "expected an event UUID"},
		{"syntax", "{\n\"Event\": [\n", "event.json:"},
		{"event of the wrong shape", `{"Event": []}`, "not a MISP event"},
	}
	for _, tt := range tests {
		_, err := ParseMISP(strings.NewReader(tt.in), "event.json", Defaults{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want %q", tt.name, err, tt.want)
		}
	}
	p, err := ParseMISP(strings.NewReader(`{"response": [{"Event": {"uuid": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "Attribute": [{"type": "domain", "value": "evil.example.com", "to_ids": 1}]}}]}`), "search.json", Defaults{})
	if err != nil || len(p.Indicators) != 1 || p.Indicators[0].Confidence != DefaultConfidence {
		t.Errorf("restSearch response: %v %+v", err, p)
	}
}

// A manifest naming an event file that is missing fails the whole import.
func TestImportMISPMissingEvent(t *testing.T) {
	dir := t.TempDir()
	manifest, _ := os.ReadFile(mispFeedDir + "/manifest.json")
	event, _ := os.ReadFile(mispFeedDir + "/5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d.json")
	writeFile(t, dir, "manifest.json", string(manifest))
	writeFile(t, dir, "5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d.json", string(event))
	s := newSQLite(t)
	_, err := s.ImportPath(context.Background(), dir, ImportOptions{Source: "misp"})
	if err == nil || !strings.Contains(err.Error(), "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d.json") {
		t.Fatalf("missing event: %v", err)
	}
	if count(t, s) != 0 {
		t.Errorf("%d rows stored by a failed import", count(t, s))
	}
}
