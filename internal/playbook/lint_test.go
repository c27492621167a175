package playbook

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func testSkill(name string) (skill.Spec, bool) {
	specs := append([]skill.Spec{{ID: "abuseipdb.CheckIP", Inputs: []skill.Input{{Name: "ip", Type: skill.TypeString, Required: true}}}}, testSpecs...)
	for _, s := range specs {
		if strings.EqualFold(s.ID, name) {
			return s, true
		}
	}
	return skill.Spec{}, false
}

// TestLintGolden lints each testdata/lint/*.yaml and compares the
// file:line:col messages with the .golden file next to it. Regenerate
// with: go test ./internal/playbook/ -run LintGolden -update
func TestLintGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "lint", "*.yaml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := Check(filepath.ToSlash(f), data, LintOptions{Skill: testSkill})
			got := ""
			for _, d := range diags {
				got += d.String() + "\n"
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("lint output differs from %s:\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestParseYAMLSyntaxError(t *testing.T) {
	_, err := Parse("x.yaml", []byte("name: a\nsteps:\n  - id: [\n"))
	ds, ok := err.(Diagnostics)
	if !ok || len(ds) != 1 || !strings.HasPrefix(ds[0].String(), "x.yaml:") {
		t.Fatalf("err = %v", err)
	}
}

func TestExpressions(t *testing.T) {
	scope := Scope{
		"inputs": map[string]any{"ips": []any{"8.8.8.8", "10.0.0.1", "8.8.8.8"}, "name": "Alice Smith"},
		"vars":   map[string]any{"n": 3.0},
	}
	tests := []struct{ src, want string }{
		{"1 + 2 == 3", "true"},
		{"!(1 != 1) && (false || 'x' in ['x'])", "true"},
		{"len(inputs.ips)", "3"},
		{"unique(inputs.ips)", "[8.8.8.8 10.0.0.1]"},
		{"sort(unique(inputs.ips))", "[10.0.0.1 8.8.8.8]"},
		{"filter(inputs.ips, is_public_ip(it))", "[8.8.8.8 8.8.8.8]"},
		{"map(inputs.ips, is_private_ip(it))", "[false true false]"},
		{"join(split(lower(inputs.name), ' '), '.')", "alice.smith"},
		{"inputs.ips[-1]", "8.8.8.8"},
		{"inputs.missing.deeper", "<nil>"},
		{"vars.n >= 3 && vars.n < 4", "true"},
		{"'Smith' in inputs.name", "true"},
		{"is_ip('not an ip')", "false"},
		{"default(null, 'x')", "x"},
		{"min(3, 1, 2) + max(1, 5)", "6"},
		{"flatten([[1], 2, [3, 4]])", "[1 2 3 4]"},
		{"-vars.n", "-3"},
		{`"a\"b"`, `a"b`},
	}
	for _, tt := range tests {
		e, err := Compile(tt.src, FuncNames())
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		v, err := e.Eval(scope, Library())
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got := sprint(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.src, got, tt.want)
		}
	}
	for _, bad := range []string{"", "1 +", "(1", "a.", "nope(1)", "'open", "1 # 2", "[1, 2"} {
		if _, err := Compile(bad, FuncNames()); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
	for _, bad := range []string{"1 < 'a'", "undefinedname", "len(1)", "'a' + 1"} {
		e, err := Compile(bad, FuncNames())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Eval(scope, Library()); err == nil {
			t.Errorf("%q evaluated without error", bad)
		}
	}
}
