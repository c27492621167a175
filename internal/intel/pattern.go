package intel

import (
	"fmt"
	"strings"
)

// PatternValue is one value a STIX pattern matches: a raw value and the
// type its object path declares (not yet normalised).
type PatternValue struct {
	Type  Type
	Value string
}

// UnsupportedError is a well-formed STIX pattern that no single stored
// value can stand for: a conjunction, a qualifier, an operator other than
// equality, an object or property Spotter does not match.
type UnsupportedError struct {
	// Reason is short and stable, for counting: "AND of comparisons",
	// "operator MATCHES", "object network-traffic", ...
	Reason string
}

// Error implements error.
func (e *UnsupportedError) Error() string { return "unsupported pattern: " + e.Reason }

// PatternError is a pattern that does not follow the STIX grammar.
type PatternError struct {
	Offset int
	Msg    string
}

// Error implements error.
func (e *PatternError) Error() string {
	return fmt.Sprintf("pattern syntax, at byte %d: %s", e.Offset, e.Msg)
}

// Limits that keep hostile patterns cheap.
const (
	maxPatternLen    = 64 << 10
	maxPatternDepth  = 64
	maxPatternValues = 10000
)

// ParsePattern reads a STIX 2.1 pattern and returns the values it matches
// when it is a disjunction of supported equality tests:
//
//	[ipv4-addr:value = '198.51.100.7']
//	[ipv4-addr:value ISSUBSET '198.51.100.0/24']
//	[ipv6-addr:value = '2001:db8::1']
//	[domain-name:value = 'evil.example' OR url:value = 'http://evil.example/x']
//	[file:hashes.'SHA-256' = '...'] OR [file:hashes.MD5 = '...']
//	[email-addr:value IN ('a@evil.example', 'b@evil.example')]
//	[email-message:from_ref.value = 'a@evil.example']
//
// Anything else that parses returns an *UnsupportedError; input that does
// not parse returns a *PatternError.
func ParsePattern(p string) ([]PatternValue, error) {
	if len(p) > maxPatternLen {
		return nil, &PatternError{Offset: maxPatternLen, Msg: fmt.Sprintf("pattern longer than %d bytes", maxPatternLen)}
	}
	ps := &patternParser{lx: lexer{src: p}}
	ps.next()
	n, err := ps.observations(0)
	if err != nil {
		return nil, err
	}
	if ps.tok.kind != tEOF {
		return nil, ps.errorf("unexpected %s after the pattern", ps.tok)
	}
	var out []PatternValue
	if err := n.values(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// node is a parsed pattern element.
type node interface {
	// values appends the values the element matches, or says why it cannot.
	values(out *[]PatternValue) error
}

type orNode struct{ kids []node }
type unsupportedNode struct{ reason string }
type testNode struct {
	path   string
	op     string
	negate bool
	lits   []literal
}

func (n orNode) values(out *[]PatternValue) error {
	for _, k := range n.kids {
		if err := k.values(out); err != nil {
			return err
		}
	}
	return nil
}

func (n unsupportedNode) values(*[]PatternValue) error { return &UnsupportedError{Reason: n.reason} }

func (n testNode) values(out *[]PatternValue) error {
	t, err := pathType(n.path)
	if err != nil {
		return err
	}
	if n.negate {
		return &UnsupportedError{Reason: "NOT"}
	}
	switch n.op {
	case "=", "IN":
	case "ISSUBSET":
		if t != TypeIP {
			return &UnsupportedError{Reason: "operator ISSUBSET on " + n.path}
		}
		t = TypeCIDR
	default:
		return &UnsupportedError{Reason: "operator " + n.op}
	}
	for _, l := range n.lits {
		if l.kind != tString {
			return &UnsupportedError{Reason: "value " + l.kind.String()}
		}
		if len(*out) >= maxPatternValues {
			return &UnsupportedError{Reason: fmt.Sprintf("more than %d values", maxPatternValues)}
		}
		*out = append(*out, PatternValue{Type: t, Value: l.text})
	}
	return nil
}

// pathType maps a supported object path to the type of its values.
func pathType(path string) (Type, error) {
	obj, prop, _ := strings.Cut(path, ":")
	switch obj {
	case "ipv4-addr", "ipv6-addr":
		if prop == "value" {
			return TypeIP, nil
		}
	case "domain-name":
		if prop == "value" {
			return TypeDomain, nil
		}
	case "url":
		if prop == "value" {
			return TypeURL, nil
		}
	case "email-addr":
		if prop == "value" {
			return TypeEmail, nil
		}
	case "email-message":
		if prop == "from_ref.value" || prop == "sender_ref.value" {
			return TypeEmail, nil
		}
	case "file", "artifact":
		if alg, ok := strings.CutPrefix(prop, "hashes."); ok {
			switch strings.ToUpper(strings.Trim(alg, "'")) {
			case "MD5":
				return TypeMD5, nil
			case "SHA-1", "SHA1":
				return TypeSHA1, nil
			case "SHA-256", "SHA256":
				return TypeSHA256, nil
			}
			return "", &UnsupportedError{Reason: "hash " + strings.ToUpper(strings.Trim(alg, "'"))}
		}
	default:
		return "", &UnsupportedError{Reason: "object " + obj}
	}
	return "", &UnsupportedError{Reason: "property " + path}
}
