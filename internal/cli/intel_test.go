package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

var sampleFeed = filepath.Join("..", "..", "examples", "intel", "sample-feed.json")

func TestIntelCommands(t *testing.T) {
	environ := []string{"HOME=" + t.TempDir()}
	code, out, errs := run(t, "", environ, "intel", "import", sampleFeed)
	if code != ExitOK || !strings.Contains(out+errs, "13 added") || !strings.Contains(out+errs, "unsupported") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	// Idempotent: the same feed again changes nothing.
	code, out, errs = run(t, "", environ, "intel", "import", sampleFeed)
	if code != ExitOK || !strings.Contains(out+errs, "0 added, 0 updated, 13 unchanged") {
		t.Errorf("re-import: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", environ, "intel", "lookup", "91.92.251[.]103", "2a0e:97c0:3e3:1a::17", "example.com")
	if code != ExitOK || !strings.Contains(out, "91.92.251.103") || !strings.Contains(out, "malicious") {
		t.Errorf("lookup: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "", environ, "intel", "stats", "--json")
	if code != ExitOK || !json.Valid([]byte(out)) || !strings.Contains(out, "sample-feed") {
		t.Errorf("stats: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs = run(t, "", environ, "intel", "import", "--format", "stix", "nope.json"); code != ExitBadInput {
		t.Errorf("missing file: exit %d %s", code, errs)
	}
}

func TestInvestigateWithLocalIntel(t *testing.T) {
	environ := []string{"HOME=" + t.TempDir()}
	example := filepath.Join("..", "..", "examples", "ransomware-staging.json")
	// With an empty store the report says what would fill the IP section.
	code, out, errs := run(t, "", environ, "investigate", example)
	if code != ExitOK || !strings.Contains(out, "import threat feeds (spotter intel import)") {
		t.Fatalf("empty store: exit %d\n%s\n%s", code, errs, out)
	}
	code, out, errs = run(t, "", environ, "investigate", "--intel", sampleFeed, "--format", "json", example)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Verdict struct {
			Indicators []struct{ Indicator, Level string }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, v := range r.Verdict.Indicators {
		levels[v.Indicator] = v.Level
	}
	for _, ind := range []string{"91.92.251.103", "update-check.fabrikam-cdn.net", "http://91.92.251.103/a.ps1"} {
		if levels[ind] != "malicious" {
			t.Errorf("%s: %q, want malicious from the local feed (%v)", ind, levels[ind], levels)
		}
	}
	if code, _, errs = run(t, "", environ, "investigate", "--intel", "missing.txt", example); code != ExitBadInput || !strings.Contains(errs, "missing.txt") {
		t.Errorf("missing feed: exit %d %s", code, errs)
	}
}
