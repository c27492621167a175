package playbook

import "testing"

func FuzzParse(f *testing.F) {
	if data, err := BuiltinSource(EnrichmentName); err == nil {
		f.Add(data)
	}
	f.Add([]byte("name: x\ntriggers: [{manual: {}}]\nsteps:\n  - id: a\n    set: {v: \"1 +\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := Parse("fuzz.yaml", data)
		if pb != nil {
			_ = Lint(pb, LintOptions{})
		}
		if ds, ok := err.(Diagnostics); ok {
			for _, d := range ds {
				if d.Pos.Line < 0 || d.Pos.Col < 0 {
					t.Fatalf("bad position: %v", d)
				}
			}
		}
	})
}

func FuzzExpr(f *testing.F) {
	for _, s := range []string{"a.b[0] == 'x' && !(1 in [1, 2])", "filter(l, it > 1)", "len(", "'\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src, FuncNames())
		if err != nil {
			return
		}
		_, _ = e.Eval(Scope{"a": map[string]any{"b": []any{"x"}}, "l": []any{1.0, 2.0}}, Library())
	})
}
