package intel

import "fmt"

// patternParser is a recursive-descent parser of the STIX pattern grammar.
type patternParser struct {
	lx  lexer
	tok token
}

func (ps *patternParser) next() { ps.tok = ps.lx.next() }

func (ps *patternParser) errorf(format string, args ...any) error {
	if ps.tok.kind == tError {
		return &PatternError{Offset: ps.tok.pos, Msg: ps.tok.text}
	}
	return &PatternError{Offset: ps.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

func (ps *patternParser) keyword(k string) bool {
	return ps.tok.kind == tWord && ps.tok.text == k
}

// observations: obsOr (FOLLOWEDBY obsOr)*
func (ps *patternParser) observations(depth int) (node, error) {
	if depth > maxPatternDepth {
		return nil, ps.errorf("nested more than %d levels deep", maxPatternDepth)
	}
	n, err := ps.obsOr(depth)
	if err != nil {
		return nil, err
	}
	for ps.keyword("FOLLOWEDBY") {
		ps.next()
		if _, err := ps.obsOr(depth); err != nil {
			return nil, err
		}
		n = unsupportedNode{"FOLLOWEDBY"}
	}
	return n, nil
}

// obsOr: obsAnd (OR obsAnd)*
func (ps *patternParser) obsOr(depth int) (node, error) {
	return ps.orOf(depth, ps.obsAnd)
}

// obsAnd: observation (AND observation)*
func (ps *patternParser) obsAnd(depth int) (node, error) {
	return ps.andOf(depth, ps.observation, "AND of observations")
}

// orOf parses operand (OR operand)*; a single operand stands for itself.
func (ps *patternParser) orOf(depth int, operand func(depth int) (node, error)) (node, error) {
	n, err := operand(depth)
	if err != nil {
		return nil, err
	}
	kids := []node{n}
	for ps.keyword("OR") {
		ps.next()
		m, err := operand(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, m)
	}
	if len(kids) == 1 {
		return n, nil
	}
	return orNode{kids}, nil
}

// andOf parses operand (AND operand)*; a conjunction is not supported and
// becomes an unsupportedNode named what.
func (ps *patternParser) andOf(depth int, operand func(depth int) (node, error), what string) (node, error) {
	n, err := operand(depth)
	if err != nil {
		return nil, err
	}
	for ps.keyword("AND") {
		ps.next()
		if _, err := operand(depth); err != nil {
			return nil, err
		}
		n = unsupportedNode{what}
	}
	return n, nil
}

// observation: ('[' comparison ']' | '(' observations ')') qualifier*
func (ps *patternParser) observation(depth int) (node, error) {
	var n node
	var err error
	switch ps.tok.kind {
	case tLBracket:
		ps.next()
		if n, err = ps.compOr(depth + 1); err != nil {
			return nil, err
		}
		if ps.tok.kind != tRBracket {
			return nil, ps.errorf("expected ] to close the observation, found %s", ps.tok)
		}
		ps.next()
	case tLParen:
		ps.next()
		if n, err = ps.observations(depth + 1); err != nil {
			return nil, err
		}
		if ps.tok.kind != tRParen {
			return nil, ps.errorf("expected ) to close the group, found %s", ps.tok)
		}
		ps.next()
	default:
		return nil, ps.errorf("expected [ to start an observation, found %s", ps.tok)
	}
	for {
		q, err := ps.qualifier()
		if err != nil {
			return nil, err
		}
		if q == "" {
			return n, nil
		}
		n = unsupportedNode{"qualifier " + q}
	}
}

// qualifier reads WITHIN n SECONDS, REPEATS n TIMES or START t'..' STOP t'..';
// it returns "" when none follows.
func (ps *patternParser) qualifier() (string, error) {
	expect := func(kinds []tokenKind, word string) error {
		for _, k := range kinds {
			if ps.tok.kind != k {
				return ps.errorf("malformed qualifier near %s", ps.tok)
			}
			ps.next()
		}
		if word != "" {
			if !ps.keyword(word) {
				return ps.errorf("expected %s, found %s", word, ps.tok)
			}
			ps.next()
		}
		return nil
	}
	switch {
	case ps.keyword("WITHIN"):
		ps.next()
		return "WITHIN", expect([]tokenKind{tNumber}, "SECONDS")
	case ps.keyword("REPEATS"):
		ps.next()
		return "REPEATS", expect([]tokenKind{tNumber}, "TIMES")
	case ps.keyword("START"):
		ps.next()
		if err := expect([]tokenKind{tTimestamp}, "STOP"); err != nil {
			return "", err
		}
		return "START/STOP", expect([]tokenKind{tTimestamp}, "")
	}
	return "", nil
}

// compOr: compAnd (OR compAnd)*
func (ps *patternParser) compOr(depth int) (node, error) {
	return ps.orOf(depth, ps.compAnd)
}

// compAnd: test (AND test)*
func (ps *patternParser) compAnd(depth int) (node, error) {
	return ps.andOf(depth, ps.test, "AND of comparisons")
}

// test: '(' compOr ')' | EXISTS path | path NOT? op literal
func (ps *patternParser) test(depth int) (node, error) {
	if depth > maxPatternDepth {
		return nil, ps.errorf("nested more than %d levels deep", maxPatternDepth)
	}
	switch {
	case ps.tok.kind == tLParen:
		ps.next()
		n, err := ps.compOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if ps.tok.kind != tRParen {
			return nil, ps.errorf("expected ) to close the comparison group, found %s", ps.tok)
		}
		ps.next()
		return n, nil
	case ps.keyword("EXISTS"):
		ps.next()
		if ps.tok.kind != tPath {
			return nil, ps.errorf("expected an object path after EXISTS, found %s", ps.tok)
		}
		ps.next()
		return unsupportedNode{"operator EXISTS"}, nil
	case ps.tok.kind != tPath:
		return nil, ps.errorf("expected an object path such as ipv4-addr:value, found %s", ps.tok)
	}
	t := testNode{path: ps.tok.text}
	ps.next()
	if ps.keyword("NOT") {
		t.negate = true
		ps.next()
	}
	switch {
	case ps.tok.kind == tOp:
		t.op = ps.tok.text
	case ps.tok.kind == tWord && isWordOp(ps.tok.text):
		t.op = ps.tok.text
	default:
		return nil, ps.errorf("expected a comparison operator after %s, found %s", t.path, ps.tok)
	}
	ps.next()
	if t.op == "IN" {
		if ps.tok.kind != tLParen {
			return nil, ps.errorf("expected ( after IN, found %s", ps.tok)
		}
		ps.next()
		for {
			if !ps.tok.kind.literal() {
				return nil, ps.errorf("expected a constant in the IN list, found %s", ps.tok)
			}
			t.lits = append(t.lits, literal{kind: ps.tok.kind, text: ps.tok.text})
			ps.next()
			if ps.tok.kind == tComma {
				ps.next()
				continue
			}
			if ps.tok.kind != tRParen {
				return nil, ps.errorf("expected , or ) in the IN list, found %s", ps.tok)
			}
			ps.next()
			return t, nil
		}
	}
	if !ps.tok.kind.literal() {
		return nil, ps.errorf("expected a constant after %s, found %s", t.op, ps.tok)
	}
	t.lits = []literal{{kind: ps.tok.kind, text: ps.tok.text}}
	ps.next()
	return t, nil
}

func isWordOp(w string) bool {
	switch w {
	case "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "IN":
		return true
	}
	return false
}

type literal struct {
	kind tokenKind
	text string
}
