package playbook

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Expr is a compiled expression. Expressions are side-effect free: they read
// the trigger, inputs, variables and step outputs and call library functions.
//
// Grammar: literals (numbers, 'single' or "double" quoted strings, true,
// false, null, [lists]), names and field paths (a.b, a["b"], a[0]), unary
// ! and -, + (numbers, strings, lists), comparisons == != < <= > >=, the
// membership test "x in list" (or substring, or map key), && and ||, and
// calls of library functions. filter(list, cond) and map(list, expr) bind
// each element to "it".
type Expr struct {
	src  string
	root node
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

type node interface{}

type (
	litNode   struct{ v any }
	nameNode  struct{ name string }
	fieldNode struct {
		x    node
		name string
	}
	indexNode struct{ x, i node }
	listNode  struct{ items []node }
	unaryNode struct {
		op string
		x  node
	}
	binNode struct {
		op   string
		l, r node
	}
	callNode struct {
		fn   string
		args []node
		off  int
	}
)

type token struct {
	kind string // num, str, ident, op, eof
	text string
	val  any
	off  int
}

func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			f, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, &ExprError{i, fmt.Sprintf("bad number %q", src[i:j])}
			}
			toks = append(toks, token{"num", src[i:j], f, i})
			i = j
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(src) && src[j] != c {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				b.WriteByte(src[j])
				j++
			}
			if j >= len(src) {
				return nil, &ExprError{i, "unterminated string"}
			}
			toks = append(toks, token{"str", src[i : j+1], b.String(), i})
			i = j + 1
		case c == '_' || unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, token{"ident", src[i:j], nil, i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				toks = append(toks, token{"op", two, nil, i})
				i += 2
				continue
			}
			if strings.ContainsRune("!<>+-.,()[]", rune(c)) {
				toks = append(toks, token{"op", string(c), nil, i})
				i++
				continue
			}
			return nil, &ExprError{i, fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return append(toks, token{"eof", "", nil, len(src)}), nil
}

type parser struct {
	toks  []token
	pos   int
	funcs map[string]bool
}

// Compile parses an expression. Calls of functions not in funcs are errors.
func Compile(src string, funcs map[string]bool) (*Expr, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, funcs: funcs}
	if p.peek().kind == "eof" {
		return nil, &ExprError{0, "empty expression"}
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, &ExprError{t.off, fmt.Sprintf("unexpected %q", t.text)}
	}
	return &Expr{src: src, root: n}, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }
func (p *parser) isOp(s string) bool {
	t := p.peek()
	return (t.kind == "op" || t.kind == "ident") && t.text == s
}

func (p *parser) expect(s string) error {
	if !p.isOp(s) {
		t := p.peek()
		if t.kind == "eof" {
			return &ExprError{t.off, fmt.Sprintf("expected %q at end of expression", s)}
		}
		return &ExprError{t.off, fmt.Sprintf("expected %q, found %q", s, t.text)}
	}
	p.pos++
	return nil
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	for err == nil && p.isOp("||") {
		p.next()
		var r node
		if r, err = p.and(); err == nil {
			l = binNode{"||", l, r}
		}
	}
	return l, err
}

func (p *parser) and() (node, error) {
	l, err := p.cmp()
	for err == nil && p.isOp("&&") {
		p.next()
		var r node
		if r, err = p.cmp(); err == nil {
			l = binNode{"&&", l, r}
		}
	}
	return l, err
}

func (p *parser) cmp() (node, error) {
	l, err := p.add()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">", "in"} {
		if p.isOp(op) {
			p.next()
			r, err := p.add()
			if err != nil {
				return nil, err
			}
			return binNode{op, l, r}, nil
		}
	}
	return l, nil
}

func (p *parser) add() (node, error) {
	l, err := p.unary()
	for err == nil && p.isOp("+") {
		p.next()
		var r node
		if r, err = p.unary(); err == nil {
			l = binNode{"+", l, r}
		}
	}
	return l, err
}

func (p *parser) unary() (node, error) {
	if p.isOp("!") || p.isOp("-") {
		op := p.next().text
		x, err := p.unary()
		return unaryNode{op, x}, err
	}
	return p.postfix()
}

func (p *parser) postfix() (node, error) {
	x, err := p.primary()
	for err == nil {
		switch {
		case p.isOp("."):
			p.next()
			t := p.next()
			if t.kind != "ident" {
				return nil, &ExprError{t.off, "expected a field name after '.'"}
			}
			x = fieldNode{x, t.text}
		case p.isOp("["):
			p.next()
			var i node
			if i, err = p.or(); err == nil {
				err = p.expect("]")
				x = indexNode{x, i}
			}
		default:
			return x, nil
		}
	}
	return nil, err
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case "num", "str":
		return litNode{t.val}, nil
	case "ident":
		switch t.text {
		case "true":
			return litNode{true}, nil
		case "false":
			return litNode{false}, nil
		case "null":
			return litNode{nil}, nil
		}
		if p.isOp("(") {
			p.next()
			if !p.funcs[t.text] {
				return nil, &ExprError{t.off, fmt.Sprintf("unknown function %q", t.text)}
			}
			var args []node
			for !p.isOp(")") {
				a, err := p.or()
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return callNode{t.text, args, t.off}, nil
		}
		return nameNode{t.text}, nil
	case "op":
		switch t.text {
		case "(":
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		case "[":
			var items []node
			for !p.isOp("]") {
				a, err := p.or()
				if err != nil {
					return nil, err
				}
				items = append(items, a)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			return listNode{items}, p.expect("]")
		}
	case "eof":
		return nil, &ExprError{t.off, "unexpected end of expression"}
	}
	return nil, &ExprError{t.off, fmt.Sprintf("unexpected %q", t.text)}
}

// names lists the root names an expression reads, for lint.
func (e *Expr) names() []nameRef {
	var out []nameRef
	var walk func(n node, path []string)
	walk = func(n node, path []string) {
		switch n := n.(type) {
		case nameNode:
			out = append(out, nameRef{root: n.name, path: path})
		case fieldNode:
			if _, ok := n.x.(nameNode); ok || isField(n.x) {
				walk(n.x, append([]string{n.name}, path...))
				return
			}
			walk(n.x, nil)
		case indexNode:
			walk(n.x, nil)
			walk(n.i, nil)
		case listNode:
			for _, i := range n.items {
				walk(i, nil)
			}
		case unaryNode:
			walk(n.x, nil)
		case binNode:
			walk(n.l, nil)
			walk(n.r, nil)
		case callNode:
			for _, a := range n.args {
				walk(a, nil)
			}
		}
	}
	walk(e.root, nil)
	return out
}

func isField(n node) bool {
	f, ok := n.(fieldNode)
	if !ok {
		return false
	}
	_, isName := f.x.(nameNode)
	return isName || isField(f.x)
}

type nameRef struct {
	root string
	path []string
}
