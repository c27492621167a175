// Package skilltest holds checks every plugin's tests share.
package skilltest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// NoLeak fails the test if any secret appears in any of the values: errors
// (their messages), strings, byte slices (log buffers), fmt.Stringers and
// anything else in its JSON and %+v forms. Every plugin test runs it over the
// results, errors and logs of its calls, with the API keys, client secrets
// and tokens it configured.
func NoLeak(t testing.TB, secrets []string, values ...any) {
	t.Helper()
	for i, v := range values {
		text := render(v)
		for _, s := range secrets {
			if len(s) < 4 {
				t.Fatalf("NoLeak: secret %q is too short to check reliably; use a longer test secret", s)
			}
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked in value %d (%T): %s", mask(s), i, v, excerpt(text, s))
			}
		}
	}
}

func render(v any) string {
	var parts []string
	switch x := v.(type) {
	case nil:
		return ""
	case error:
		parts = append(parts, x.Error(), fmt.Sprintf("%+v", x))
	case string:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		parts = append(parts, x.String())
	}
	if b, err := json.Marshal(v); err == nil {
		parts = append(parts, string(b))
	}
	parts = append(parts, fmt.Sprintf("%+v", v))
	return strings.Join(parts, "\n")
}

func mask(s string) string { return s[:2] + strings.Repeat("*", len(s)-2) }

func excerpt(text, s string) string {
	i := strings.Index(text, s)
	start, end := max(0, i-40), min(len(text), i+len(s)+40)
	return strings.ReplaceAll(text[start:end], s, mask(s))
}
