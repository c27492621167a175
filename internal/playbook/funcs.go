package playbook

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Library returns the standard function library. filter and map are the
// expression language's own (their second argument is an expression over
// "it") and so are listed in FuncNames but not here.
func Library() map[string]Func {
	return map[string]Func{
		"len": func(a []any) (any, error) {
			if err := arity("len", a, 1); err != nil {
				return nil, err
			}
			switch x := a[0].(type) {
			case nil:
				return 0.0, nil
			case string:
				return float64(len(x)), nil
			case []any:
				return float64(len(x)), nil
			case map[string]any:
				return float64(len(x)), nil
			}
			return nil, fmt.Errorf("expected a list, string or map, got %s", kindOf(a[0]))
		},
		"unique": func(a []any) (any, error) {
			l, err := listArg("unique", a)
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, it := range l {
				dup := false
				for _, o := range out {
					if equal(o, it) {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, it)
				}
			}
			return out, nil
		},
		"sort": func(a []any) (any, error) {
			l, err := listArg("sort", a)
			if err != nil {
				return nil, err
			}
			out := append([]any{}, l...)
			var cerr error
			sort.SliceStable(out, func(i, j int) bool {
				c, err := compare(out[i], out[j])
				if err != nil && cerr == nil {
					cerr = err
				}
				return c < 0
			})
			return out, cerr
		},
		"join": func(a []any) (any, error) {
			if err := arity("join", a, 2); err != nil {
				return nil, err
			}
			l, err := asList("join", a[0])
			if err != nil {
				return nil, err
			}
			sep, _ := a[1].(string)
			parts := make([]string, len(l))
			for i, it := range l {
				parts[i] = fmt.Sprint(it)
			}
			return strings.Join(parts, sep), nil
		},
		"split": func(a []any) (any, error) {
			if err := arity("split", a, 2); err != nil {
				return nil, err
			}
			s, ok1 := a[0].(string)
			sep, ok2 := a[1].(string)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("expected two strings")
			}
			out := []any{}
			for _, p := range strings.Split(s, sep) {
				out = append(out, p)
			}
			return out, nil
		},
		"lower": strFunc("lower", strings.ToLower),
		"upper": strFunc("upper", strings.ToUpper),
		"trim":  strFunc("trim", strings.TrimSpace),
		"min":   numFunc("min", func(x, y float64) bool { return x < y }),
		"max":   numFunc("max", func(x, y float64) bool { return x > y }),
		"default": func(a []any) (any, error) {
			for _, v := range a {
				if v != nil {
					return v, nil
				}
			}
			return nil, nil
		},
		"flatten": func(a []any) (any, error) {
			l, err := listArg("flatten", a)
			if err != nil {
				return nil, err
			}
			out := []any{}
			for _, it := range l {
				if sub, ok := it.([]any); ok {
					out = append(out, sub...)
				} else if it != nil {
					out = append(out, it)
				}
			}
			return out, nil
		},
		"is_ip": ipFunc("is_ip", func(netip.Addr) bool { return true }),
		"is_private_ip": ipFunc("is_private_ip", func(a netip.Addr) bool {
			return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified()
		}),
		"is_public_ip": ipFunc("is_public_ip", func(a netip.Addr) bool {
			return a.IsGlobalUnicast() && !a.IsPrivate()
		}),
		"entity_kinds": func(a []any) (any, error) {
			// entity_kinds(trigger.incident.entities) lists the distinct entity kinds.
			l, err := listArg("entity_kinds", a)
			if err != nil {
				return nil, err
			}
			seen := map[string]bool{}
			out := []any{}
			for _, it := range l {
				m, _ := it.(map[string]any)
				k, _ := m["kind"].(string)
				if k != "" && !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
			return out, nil
		},
	}
}

func arity(fn string, a []any, n int) error {
	if len(a) != n {
		return fmt.Errorf("expected %d argument(s), got %d", n, len(a))
	}
	return nil
}

func listArg(fn string, a []any) ([]any, error) {
	if err := arity(fn, a, 1); err != nil {
		return nil, err
	}
	return asList(fn, a[0])
}

func strFunc(name string, f func(string) string) Func {
	return func(a []any) (any, error) {
		if err := arity(name, a, 1); err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("expected a string, got %s", kindOf(a[0]))
		}
		return f(s), nil
	}
}

func numFunc(name string, better func(x, y float64) bool) Func {
	return func(a []any) (any, error) {
		if len(a) == 0 {
			return nil, fmt.Errorf("expected at least one number")
		}
		var best float64
		for i, v := range a {
			f, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("expected numbers, got %s", kindOf(v))
			}
			if i == 0 || better(f, best) {
				best = f
			}
		}
		return best, nil
	}
}

func ipFunc(name string, pred func(netip.Addr) bool) Func {
	return func(a []any) (any, error) {
		if err := arity(name, a, 1); err != nil {
			return nil, err
		}
		s, _ := a[0].(string)
		addr, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false, nil
		}
		return pred(addr.Unmap()), nil
	}
}
