package cmdline

import (
	"fmt"
	"sort"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// condNode is a compiled condition expression.
type condNode interface {
	eval(c *evalCtx) bool
}

type (
	condAnd    []condNode
	condOr     []condNode
	condNot    struct{ x condNode }
	condSearch struct{ s *search }
	// condOneOf is "1 of" a list of searches.
	condOneOf []*search
	// condAllOf is "all of" a list of searches.
	condAllOf []*search
)

func (n condAnd) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n condOr) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n condNot) eval(c *evalCtx) bool {
	c.negated = !c.negated
	v := n.x.eval(c)
	c.negated = !c.negated
	return !v
}

func (n condSearch) eval(c *evalCtx) bool { return c.search(n.s) }

func (n condOneOf) eval(c *evalCtx) bool {
	for _, s := range n {
		if c.search(s) {
			return true
		}
	}
	return false
}

func (n condAllOf) eval(c *evalCtx) bool {
	for _, s := range n {
		if !c.search(s) {
			return false
		}
	}
	return true
}

// compileCondition turns sigma-go's condition AST into matchers bound to the
// rule's searches. decode maps identifiers rewritten for the grammar back to
// the rule's names.
func (r *Rule) compileCondition(e sigma.SearchExpr, decode func(string) string) (condNode, error) {
	switch x := e.(type) {
	case sigma.And:
		out := make(condAnd, 0, len(x))
		for _, sub := range x {
			n, err := r.compileCondition(sub, decode)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case sigma.Or:
		out := make(condOr, 0, len(x))
		for _, sub := range x {
			n, err := r.compileCondition(sub, decode)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case sigma.Not:
		n, err := r.compileCondition(x.Expr, decode)
		if err != nil {
			return nil, err
		}
		return condNot{n}, nil
	case sigma.SearchIdentifier:
		s, ok := r.searches[decode(x.Name)]
		if !ok {
			return nil, fmt.Errorf("search %q: expected one of %s", decode(x.Name), r.searchNames())
		}
		return condSearch{s}, nil
	case sigma.OneOfIdentifier:
		s, ok := r.searches[decode(x.Ident.Name)]
		if !ok {
			return nil, fmt.Errorf("search %q: expected one of %s", decode(x.Ident.Name), r.searchNames())
		}
		return condOneOf{s}, nil
	case sigma.AllOfIdentifier:
		s, ok := r.searches[decode(x.Ident.Name)]
		if !ok {
			return nil, fmt.Errorf("search %q: expected one of %s", decode(x.Ident.Name), r.searchNames())
		}
		return condAllOf{s}, nil
	case sigma.OneOfPattern:
		list, err := r.matchingSearches(decode(x.Pattern))
		return condOneOf(list), err
	case sigma.AllOfPattern:
		list, err := r.matchingSearches(decode(x.Pattern))
		return condAllOf(list), err
	case sigma.OneOfThem:
		return condOneOf(r.matchingSearchesThem()), nil
	case sigma.AllOfThem:
		return condAllOf(r.matchingSearchesThem()), nil
	}
	return nil, fmt.Errorf("unsupported condition element %T", e)
}

// matchingSearches returns the searches whose names match a "*" pattern.
func (r *Rule) matchingSearches(pattern string) ([]*search, error) {
	var out []*search
	for _, name := range r.sortedSearchNames() {
		if globMatch(pattern, name) {
			out = append(out, r.searches[name])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pattern %q: expected it to match one of %s", pattern, r.searchNames())
	}
	return out, nil
}

// matchingSearchesThem returns every search not starting with "_", as "them" means.
func (r *Rule) matchingSearchesThem() []*search {
	var out []*search
	for _, name := range r.sortedSearchNames() {
		if !strings.HasPrefix(name, "_") {
			out = append(out, r.searches[name])
		}
	}
	return out
}

func (r *Rule) sortedSearchNames() []string {
	names := make([]string, 0, len(r.searches))
	for n := range r.searches {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (r *Rule) searchNames() string {
	names := r.sortedSearchNames()
	if len(names) == 0 {
		return "(no searches defined)"
	}
	return strings.Join(names, ", ")
}
