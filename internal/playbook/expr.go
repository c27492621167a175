package playbook

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Expr is a compiled expression. Expressions are side-effect free: they read
// the trigger, inputs, variables and step outputs and call library functions.
//
// The language is that of github.com/expr-lang/expr with a few adjustments
// that keep playbooks simple: null is nil, reading a field or index of a
// missing value yields null, && || and ! accept any value (null, 0, "" and
// empty lists and maps are false), "x in y" also tests substrings and map
// keys, and filter(list, cond) and map(list, expr) bind each element to "it".
type Expr struct {
	src  string
	prog *vm.Program
	refs []nameRef
	free []string // root names read from the scope
	pos  Pos
}

// Pos is where the expression starts in its playbook file.
func (e *Expr) Pos() Pos { return e.pos }

// String returns the source text.
func (e *Expr) String() string { return e.src }

// ExprError is a compile error at a byte offset of the expression.
type ExprError struct {
	Offset int
	Msg    string
}

func (e *ExprError) Error() string { return e.Msg }

// maxNodes bounds the size of an expression's syntax tree.
const maxNodes = 2000

// Internal functions the rewritten tree calls. Their names cannot be written
// in an expression, so they never clash with the library.
const (
	fnGet    = "$get"
	fnIn     = "$in"
	fnTruthy = "$truthy"
	fnList   = "$list"
	fnAny    = "$any"
)

// helperType is how a caller-provided function appears in the environment.
type helperType = func(args ...any) (any, error)

// shadowed are expr builtins replaced by library functions of the same name
// or by the playbook's own constructs.
var shadowed = []string{"len", "sort", "join", "split", "lower", "upper", "trim", "min", "max", "flatten", "uniq"}

// Compile parses an expression. Calls of functions not in funcs are errors.
func Compile(src string, funcs map[string]bool) (*Expr, error) {
	lib := Library()
	env := map[string]any{
		"trigger": map[string]any{},
		"inputs":  map[string]any{},
		"vars":    map[string]any{},
		"steps":   map[string]any{},
		"run":     map[string]any{},
	}
	opts := []expr.Option{
		expr.AllowUndefinedVariables(),
		expr.MaxNodes(maxNodes),
		expr.Function(fnGet, func(a ...any) (any, error) { return index(a[0], normalize(a[1])) }),
		expr.Function(fnIn, func(a ...any) (any, error) { return contains(normalize(a[1]), normalize(a[0])) }),
		expr.Function(fnTruthy, func(a ...any) (any, error) { return truthy(a[0]), nil }),
		expr.Function(fnAny, func(a ...any) (any, error) { return a[0], nil }),
		expr.Function(fnList, func(a ...any) (any, error) { return asList("list", normalize(a[0])) }),
	}
	for _, b := range shadowed {
		opts = append(opts, expr.DisableBuiltin(b))
	}
	names := make([]string, 0, len(funcs))
	for name := range funcs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "filter" || name == "map" {
			continue // expr builtins
		}
		if f, ok := lib[name]; ok {
			opts = append(opts, expr.Function(name, libCall(name, f)))
		} else {
			env[name] = helperType(nil) // provided by the caller at evaluation time
		}
	}
	col := &collector{}
	rw := &rewriter{funcs: funcs, bound: map[*ast.IdentifierNode]bool{}}
	opts = append([]expr.Option{expr.Env(env)}, opts...)
	opts = append(opts, expr.Patch(col), expr.Patch(rw))
	prog, err := expr.Compile(src, opts...)
	if err == nil {
		err = rw.err
	}
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, &ExprError{Offset: fe.Column, Msg: fe.Message}
		}
		var ee *ExprError
		if errors.As(err, &ee) {
			return nil, ee
		}
		return nil, &ExprError{Msg: err.Error()}
	}
	e := &Expr{src: src, prog: prog, refs: col.refs()}
	seen := map[string]bool{}
	for _, id := range col.order {
		if !col.calls[id] && !rw.bound[id] && id.Value != "null" && !seen[id.Value] {
			seen[id.Value] = true
			e.free = append(e.free, id.Value)
		}
	}
	return e, nil
}

// libCall adapts a library function to expr: arguments arrive in the plain
// value model whatever Go types expr produced.
func libCall(name string, f Func) func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		args := make([]any, len(params))
		for i, p := range params {
			args[i] = normalize(p)
		}
		v, err := f(args)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
}

// rewriter adapts expr's tree to the playbook's semantics (see Expr).
type rewriter struct {
	funcs map[string]bool
	bound map[*ast.IdentifierNode]bool // "it" inside filter and map
	err   error
}

func call(name string, args ...ast.Node) *ast.CallNode {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
}

func (r *rewriter) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "null" {
			ast.Patch(node, &ast.NilNode{})
		}
	case *ast.MemberNode:
		ast.Patch(node, call(fnGet, n.Node, n.Property))
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			n.Left = call(fnTruthy, n.Left)
			n.Right = call(fnTruthy, n.Right)
		case "in":
			ast.Patch(node, call(fnIn, n.Left, n.Right))
		default:
			// Operands of different static types are checked when
			// evaluated, as for values read from the scope.
			l, r := n.Left.Type(), n.Right.Type()
			if l != nil && r != nil && l.Kind() != reflect.Interface && r.Kind() != reflect.Interface && l != r {
				n.Left, n.Right = call(fnAny, n.Left), call(fnAny, n.Right)
			}
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			n.Node = call(fnTruthy, n.Node)
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && r.err == nil && id.Value[0] != '$' && !r.funcs[id.Value] {
			r.err = &ExprError{Offset: column(n), Msg: fmt.Sprintf("unknown function %q", id.Value)}
		}
	case *ast.BuiltinNode:
		if (n.Name == "filter" || n.Name == "map") && len(n.Arguments) == 2 {
			n.Arguments[0] = call(fnList, n.Arguments[0])
			ast.Walk(&n.Arguments[1], itToPointer{r.bound})
		}
	}
}

// column is the node's offset in the source.
func column(n ast.Node) int { return n.Location().From }

// itToPointer makes "it" in a filter or map predicate the current element.
type itToPointer struct{ bound map[*ast.IdentifierNode]bool }

func (v itToPointer) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok && id.Value == "it" {
		v.bound[id] = true
		ast.Patch(node, &ast.PointerNode{})
	}
}

// collector records the root names an expression reads with the constant
// field path that follows each, for lint. It runs before the rewriter.
type collector struct {
	order []*ast.IdentifierNode
	paths map[*ast.IdentifierNode][]string
	calls map[*ast.IdentifierNode]bool
}

func (c *collector) Visit(node *ast.Node) {
	if c.paths == nil {
		c.paths = map[*ast.IdentifierNode][]string{}
		c.calls = map[*ast.IdentifierNode]bool{}
	}
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if _, seen := c.paths[n]; !seen {
			c.order = append(c.order, n)
			c.paths[n] = nil
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			c.calls[id] = true
		}
	case *ast.MemberNode:
		var path []string
		var x ast.Node = n
		for {
			m, ok := x.(*ast.MemberNode)
			if !ok {
				break
			}
			s, ok := m.Property.(*ast.StringNode)
			if !ok {
				path = nil
			} else {
				path = append([]string{s.Value}, path...)
			}
			x = m.Node
		}
		if id, ok := x.(*ast.IdentifierNode); ok && len(path) > len(c.paths[id]) {
			c.paths[id] = path
		}
	}
}

func (c *collector) refs() []nameRef {
	var out []nameRef
	for _, id := range c.order {
		if !c.calls[id] && id.Value != "null" {
			out = append(out, nameRef{root: id.Value, path: c.paths[id]})
		}
	}
	return out
}

// names lists the root names an expression reads, for lint.
func (e *Expr) names() []nameRef { return e.refs }

type nameRef struct {
	root string
	path []string
}
