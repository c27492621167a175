package intel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

const sampleList = `# Sample blocklist
198.51.100.7            # C2 server
203.0.113.0/24 ; SBL000001
2001:db8:bad::/48
evil-cdn.example.com
hxxp://malware[.]example[.]net/payload.exe
44d88612fea8a8f36de82e1278abb02f
phish@bad-sender.example.org
`

func TestImportAndLookup(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		rep := importText(t, s, "blocklist", sampleList, ImportOptions{Defaults: Defaults{Confidence: 90, Tags: []string{"c2"}}})
		if rep.Added != 7 || rep.Invalid != 0 || rep.Read != 7 {
			t.Fatalf("first import: %s; problems %v", rep.Summary(), rep.Problems)
		}
		tests := []struct {
			query, want, how string
		}{
			{"198.51.100.7", "198.51.100.7", MatchExact},
			{"198.51.100[.]7", "198.51.100.7", MatchExact},
			{"203.0.113.99", "203.0.113.0/24", MatchRange},
			{"203.0.113.0/25", "203.0.113.0/24", MatchRange},
			{"2001:db8:bad:1::5", "2001:db8:bad::/48", MatchRange},
			{"EVIL-CDN.example.com.", "evil-cdn.example.com", MatchExact},
			{"login.evil-cdn.example.com", "evil-cdn.example.com", MatchParent},
			{"http://malware.example.net/payload.exe", "http://malware.example.net/payload.exe", MatchExact},
			{"44D88612FEA8A8F36DE82E1278ABB02F", "44d88612fea8a8f36de82e1278abb02f", MatchExact},
			{"Phish@Bad-Sender.example.org", "phish@bad-sender.example.org", MatchExact},
		}
		for _, tt := range tests {
			m := lookupOne(t, s, tt.query)
			if len(m) != 1 || m[0].Value != tt.want || m[0].How != tt.how || m[0].Source != "blocklist" {
				t.Errorf("Lookup(%q) = %+v; want %s via %s", tt.query, m, tt.want, tt.how)
				continue
			}
			if m[0].Confidence != 90 || len(m[0].Tags) != 1 || m[0].Tags[0] != "c2" {
				t.Errorf("Lookup(%q): confidence %d tags %v", tt.query, m[0].Confidence, m[0].Tags)
			}
		}
		for _, miss := range []string{"198.51.100.8", "203.0.114.1", "example.com", "cdn.example.com", "http://malware.example.net/other"} {
			if m := lookupOne(t, s, miss); len(m) != 0 {
				t.Errorf("Lookup(%q) = %+v; want no match", miss, m)
			}
		}
		res, err := s.Lookup(context.Background(), "not an indicator!")
		if err != nil || res[0].Error == "" {
			t.Errorf("non-indicator: %+v %v", res, err)
		}
		if m := lookupOne(t, s, "203.0.113.0/24"); len(m) != 1 || m[0].Description != "SBL000001" {
			t.Errorf("inline comment as description: %+v", m)
		}
	})
}

func TestImportIdempotent(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		importText(t, s, "blocklist", sampleList, ImportOptions{})
		before := count(t, s)
		rep := importText(t, s, "blocklist", sampleList, ImportOptions{})
		if rep.Added != 0 || rep.Updated != 0 || rep.Removed != 0 || rep.Unchanged != 7 || rep.Changed() {
			t.Fatalf("second import: %s", rep.Summary())
		}
		if count(t, s) != before {
			t.Errorf("count changed: %d -> %d", before, count(t, s))
		}
		// A changed confidence updates every entry; another source adds rows.
		rep = importText(t, s, "blocklist", sampleList, ImportOptions{Defaults: Defaults{Confidence: 40}})
		if rep.Updated != 7 {
			t.Errorf("changed defaults: %s", rep.Summary())
		}
		rep = importText(t, s, "other", "198.51.100.7\n", ImportOptions{})
		if rep.Added != 1 {
			t.Errorf("second source: %s", rep.Summary())
		}
		if m := lookupOne(t, s, "198.51.100.7"); len(m) != 2 || m[0].Source != "blocklist" || m[1].Source != "other" {
			t.Errorf("two sources: %+v", m)
		}
	})
}

func TestImportReplaceAndDuplicates(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		importText(t, s, "tor", "192.0.2.1\n192.0.2.2\n192.0.2.3\n", ImportOptions{})
		rep := importText(t, s, "tor", "192.0.2.2\n192.0.2.3\n192.0.2.4\n192.0.2.4\n", ImportOptions{Replace: true})
		if rep.Added != 1 || rep.Unchanged != 2 || rep.Removed != 1 || rep.Duplicates != 1 {
			t.Fatalf("replace: %s", rep.Summary())
		}
		if m := lookupOne(t, s, "192.0.2.1"); len(m) != 0 {
			t.Errorf("removed entry still matches: %+v", m)
		}
		// Without Replace, absent entries stay.
		rep = importText(t, s, "tor", "192.0.2.9\n", ImportOptions{})
		if rep.Removed != 0 || count(t, s) != 4 {
			t.Errorf("additive import: %s, %d rows", rep.Summary(), count(t, s))
		}
	})
}

// A feed that fails half-way leaves the store as it was.
func TestImportAtomic(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		importText(t, s, "feed", "192.0.2.1\n", ImportOptions{})
		r := &failingReader{data: strings.Repeat("198.51.100.1\n", 10) + strings.Repeat("203.0.113.5\n", 2000)}
		_, err := s.ImportReader(context.Background(), r, "feed.txt", ImportOptions{Source: "feed", Format: FormatText, Replace: true})
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "feed.txt") {
			t.Fatalf("broken read: %v; want an InputError naming the file", err)
		}
		if n := count(t, s); n != 1 {
			t.Errorf("%d rows after a failed import; want the 1 from before", n)
		}
		if m := lookupOne(t, s, "192.0.2.1"); len(m) != 1 {
			t.Errorf("old entry lost: %+v", m)
		}
	})
}

// failingReader yields data and then an error.
type failingReader struct {
	data string
	off  int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.off >= len(f.data) {
		return 0, errors.New("connection reset")
	}
	n := copy(p, f.data[f.off:])
	f.off += n
	return n, nil
}

func TestExpireAndStats(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		importText(t, s, "short", "192.0.2.1\n192.0.2.2\nevil.example.com\n", ImportOptions{Defaults: Defaults{Retention: time.Hour}})
		importText(t, s, "long", "192.0.2.1\n203.0.113.0/24\n", ImportOptions{})
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Indicators != 5 || st.ByType[TypeIP] != 3 || len(st.Feeds) != 2 || st.Feeds[0].Name != "long" ||
			st.Feeds[1].ByType[TypeDomain] != 1 || st.Feeds[1].Added != 3 || !st.Feeds[1].LastSync.Equal(testNow) {
			t.Errorf("stats: %+v", st)
		}
		n, err := s.Expire(ctx, testNow.Add(30*time.Minute))
		if err != nil || n != 0 {
			t.Errorf("early expire: %d, %v", n, err)
		}
		n, err = s.Expire(ctx, testNow.Add(time.Hour))
		if err != nil || n != 3 {
			t.Errorf("expire: %d, %v; want 3", n, err)
		}
		if m := lookupOne(t, s, "192.0.2.1"); len(m) != 1 || m[0].Source != "long" {
			t.Errorf("after expiry: %+v", m)
		}
		empty, err := s.Empty(ctx)
		if err != nil || empty {
			t.Errorf("Empty = %v, %v", empty, err)
		}
	})
}

func TestJudge(t *testing.T) {
	p := DefaultPolicy()
	now := testNow
	base := Match{Indicator: Indicator{Type: TypeIP, Value: "198.51.100.7", Source: "feodo", Confidence: 90, Malware: "Emotet",
		Tags: []string{"botnet"}}, How: MatchExact, FeedSynced: now.Add(-time.Hour)}
	tests := []struct {
		name  string
		edit  func(m *Match)
		level skill.Level
		score int
	}{
		{"fresh high confidence", func(*Match) {}, skill.Malicious, 90},
		{"low confidence", func(m *Match) { m.Confidence = 50 }, skill.Suspicious, 50},
		{"stale feed", func(m *Match) { m.FeedSynced = now.Add(-40 * 24 * time.Hour) }, skill.Suspicious, 45},
		{"stale last seen", func(m *Match) { m.LastSeen = now.Add(-31 * 24 * time.Hour) }, skill.Suspicious, 45},
		{"recent last seen", func(m *Match) { m.LastSeen = now.Add(-24 * time.Hour); m.FeedSynced = time.Time{} }, skill.Malicious, 90},
		{"expired", func(m *Match) { m.ValidUntil = now.Add(-time.Minute) }, skill.Suspicious, 45},
		{"digest", func(m *Match) { m.How = MatchDigest }, skill.Suspicious, 90},
	}
	for _, tt := range tests {
		m := base
		tt.edit(&m)
		j := p.Judge(m, now)
		if j.Level != tt.level || j.Score != tt.score {
			t.Errorf("%s: %s %d; want %s %d", tt.name, j.Level, j.Score, tt.level, tt.score)
		}
		if !strings.Contains(j.Summary, "feodo") || !strings.Contains(strings.Join(j.Reasons, ";"), "malware: Emotet") {
			t.Errorf("%s: summary %q reasons %v", tt.name, j.Summary, j.Reasons)
		}
	}
}

func TestValidSourceName(t *testing.T) {
	for _, ok := range []string{"feodo", "my feed", "taxii:collection-1"} {
		if err := ValidSourceName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", " x", "a\nb", strings.Repeat("x", 101)} {
		if err := ValidSourceName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
