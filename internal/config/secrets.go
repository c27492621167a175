package config

import (
	"net/url"
	"reflect"
	"sort"
)

// SecretValues returns every secret value in the configuration (plugin
// keys, tokens, client secrets, hook secrets, the database password): the
// values Redacted hides. Run history and logs scrub them.
func (c Config) SecretValues() []string {
	seen := map[string]bool{}
	collectSecrets(toMap(reflect.ValueOf(c)), c.Redacted(), seen)
	if u, err := url.Parse(c.Database.URL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			seen[pw] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// collectSecrets walks the plain and the redacted configuration side by
// side and keeps the plain strings the redacted one hides.
func collectSecrets(plain, redacted any, seen map[string]bool) {
	switch r := redacted.(type) {
	case string:
		if p, ok := plain.(string); ok && r == Redacted && p != "" && p != Redacted {
			seen[p] = true
		}
	case map[string]any:
		p, ok := plain.(map[string]any)
		if !ok {
			return
		}
		for k, rv := range r {
			collectSecrets(p[k], rv, seen)
		}
	case []any:
		p, ok := plain.([]any)
		if !ok {
			return
		}
		for i := range min(len(p), len(r)) {
			collectSecrets(p[i], r[i], seen)
		}
	}
}
