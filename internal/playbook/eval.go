package playbook

import (
	"fmt"
	"math"
	"reflect"
	"strings"
)

// Func is a library function callable from expressions. Arguments and
// results are plain values: nil, bool, float64, string, []any, map[string]any.
type Func func(args []any) (any, error)

// Scope resolves the root names an expression reads.
type Scope map[string]any

// Eval evaluates the expression in scope with the given functions.
func (e *Expr) Eval(scope Scope, funcs map[string]Func) (any, error) {
	ev := evaluator{scope: scope, funcs: funcs}
	return ev.eval(e.root)
}

type evaluator struct {
	scope Scope
	funcs map[string]Func
}

func (ev evaluator) eval(n node) (any, error) {
	switch n := n.(type) {
	case litNode:
		return n.v, nil
	case nameNode:
		v, ok := ev.scope[n.name]
		if !ok {
			return nil, fmt.Errorf("undefined name %q", n.name)
		}
		return v, nil
	case fieldNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		return field(x, n.name)
	case indexNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		i, err := ev.eval(n.i)
		if err != nil {
			return nil, err
		}
		return index(x, i)
	case listNode:
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := ev.eval(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case unaryNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		if n.op == "!" {
			return !truthy(x), nil
		}
		f, ok := x.(float64)
		if !ok {
			return nil, fmt.Errorf("cannot negate %s", kindOf(x))
		}
		return -f, nil
	case binNode:
		return ev.binary(n)
	case callNode:
		return ev.call(n)
	}
	return nil, fmt.Errorf("internal: unknown node %T", n)
}

func (ev evaluator) binary(n binNode) (any, error) {
	l, err := ev.eval(n.l)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "&&":
		if !truthy(l) {
			return false, nil
		}
	case "||":
		if truthy(l) {
			return true, nil
		}
	}
	r, err := ev.eval(n.r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "&&", "||":
		return truthy(r), nil
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in":
		return contains(r, l)
	case "+":
		switch a := l.(type) {
		case float64:
			if b, ok := r.(float64); ok {
				return a + b, nil
			}
		case string:
			if b, ok := r.(string); ok {
				return a + b, nil
			}
		case []any:
			if b, ok := r.([]any); ok {
				return append(append([]any{}, a...), b...), nil
			}
		}
		return nil, fmt.Errorf("cannot add %s and %s", kindOf(l), kindOf(r))
	}
	c, err := compare(l, r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	default:
		return c >= 0, nil
	}
}

func (ev evaluator) call(n callNode) (any, error) {
	if n.fn == "filter" || n.fn == "map" {
		if len(n.args) != 2 {
			return nil, fmt.Errorf("%s: expected 2 arguments (list, expression), got %d", n.fn, len(n.args))
		}
		x, err := ev.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		list, err := asList(n.fn, x)
		if err != nil {
			return nil, err
		}
		out := []any{}
		for _, it := range list {
			inner := make(Scope, len(ev.scope)+1)
			for k, v := range ev.scope {
				inner[k] = v
			}
			inner["it"] = it
			v, err := evaluator{scope: inner, funcs: ev.funcs}.eval(n.args[1])
			if err != nil {
				return nil, err
			}
			if n.fn == "map" {
				out = append(out, v)
			} else if truthy(v) {
				out = append(out, it)
			}
		}
		return out, nil
	}
	f, ok := ev.funcs[n.fn]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", n.fn)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	v, err := f(args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.fn, err)
	}
	return v, nil
}

func field(x any, name string) (any, error) {
	switch m := x.(type) {
	case map[string]any:
		return m[name], nil // a missing field is null, so optional data reads simply
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("cannot read field %q of %s", name, kindOf(x))
}

func index(x, i any) (any, error) {
	switch c := x.(type) {
	case []any:
		f, ok := i.(float64)
		if !ok || f != math.Trunc(f) {
			return nil, fmt.Errorf("list index must be a whole number, got %s", kindOf(i))
		}
		k := int(f)
		if k < 0 {
			k += len(c)
		}
		if k < 0 || k >= len(c) {
			return nil, nil
		}
		return c[k], nil
	case map[string]any:
		s, ok := i.(string)
		if !ok {
			return nil, fmt.Errorf("map key must be a string, got %s", kindOf(i))
		}
		return c[s], nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("cannot index %s", kindOf(x))
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

func equal(a, b any) bool { return reflect.DeepEqual(normalize(a), normalize(b)) }

func contains(coll, x any) (bool, error) {
	switch c := coll.(type) {
	case []any:
		for _, it := range c {
			if equal(it, x) {
				return true, nil
			}
		}
		return false, nil
	case string:
		s, ok := x.(string)
		if !ok {
			return false, fmt.Errorf("'in' a string needs a string, got %s", kindOf(x))
		}
		return strings.Contains(c, s), nil
	case map[string]any:
		s, _ := x.(string)
		_, ok := c[s]
		return ok, nil
	case nil:
		return false, nil
	}
	return false, fmt.Errorf("'in' needs a list, string or map, got %s", kindOf(coll))
}

func compare(a, b any) (int, error) {
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, nil
			case x > y:
				return 1, nil
			}
			return 0, nil
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	}
	return 0, fmt.Errorf("cannot compare %s with %s", kindOf(a), kindOf(b))
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

func asList(fn string, v any) ([]any, error) {
	switch l := v.(type) {
	case []any:
		return l, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: expected a list, got %s", fn, kindOf(v))
}

// normalize turns Go values from YAML, JSON or helpers into the plain value
// model: ints become float64, typed slices and maps become []any and map[string]any.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, float64, string:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = normalize(it)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = it
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, it := range x {
			out[k] = normalize(it)
		}
		return out
	}
	return v
}
