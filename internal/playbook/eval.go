package playbook

import (
	"errors"

	"fmt"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"math"
	"reflect"
	"strings"
)

// Func is a library function callable from expressions. Arguments and
// results are plain values: nil, bool, float64, string, []any, map[string]any.
type Func func(args []any) (any, error)

// Scope resolves the root names an expression reads.
type Scope map[string]any

// Eval evaluates the expression in scope. Library functions are bound at
// compile time; funcs supplies the other functions the expression calls.
func (e *Expr) Eval(scope Scope, funcs map[string]Func) (any, error) {
	for _, name := range e.free {
		if _, ok := scope[name]; !ok {
			return nil, fmt.Errorf("undefined name %q", name)
		}
	}
	env := make(map[string]any, len(scope)+len(funcs))
	for k, v := range scope {
		env[k] = v
	}
	lib := Library()
	for name, f := range funcs {
		if _, ok := lib[name]; !ok {
			env[name] = helperType(libCall(name, f))
		}
	}
	v, err := expr.Run(e.prog, env)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			if fe.Prev != nil {
				return nil, fe.Prev
			}
			return nil, errors.New(fe.Message)
		}
		return nil, err
	}
	return normalize(v), nil
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
