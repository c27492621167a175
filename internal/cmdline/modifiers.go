package cmdline

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// leafKind is how one value is compared with a field.
type leafKind uint8

const (
	opEquals leafKind = iota
	opContains
	opPrefix
	opSuffix
	opGlob     // wildcards inside the value: a compiled regular expression on the (lowered) field
	opRegex    // the re modifier: a regular expression on the field as logged
	opNull     // Field: null, true when the field is absent or empty
	opExists   // exists modifier
	opCIDR     // cidr modifier
	opFieldRef // fieldref modifier: compares with another field of the event
	opNumber   // lt, lte, gt, gte
)

// leaf is one compiled value of a field matcher.
type leaf struct {
	ord    int // position in the rule's leaf list
	field  string
	fid    int // index in knownFields, -1 for others
	kind   leafKind
	needle string // lower-cased unless cased
	cased  bool
	re     *regexp.Regexp
	prefix netip.Prefix
	exists bool
	ref    string   // fieldref: the other field
	refOp  leafKind // fieldref: opEquals, opContains, opPrefix or opSuffix
	cmp    string   // opNumber: lt, lte, gt or gte
	num    float64
	raw    string // the value as written in the rule, for explanations
}

// modifierSet is the parsed list of a field's modifiers.
type modifierSet struct {
	op        leafKind // opEquals, opContains, opPrefix, opSuffix
	all       bool
	windash   bool
	encode    []string // utf16le, utf16be, utf16, wide, base64, base64offset in written order
	re        bool
	reFlags   string
	cidr      bool
	exists    bool
	fieldref  bool
	cmp       string
	cased     bool
	expand    bool
	hasEncode bool
}

// parseModifiers reads the modifiers of a Sigma field key (the parts after
// the first "|"). Unknown modifiers are an error naming them.
func parseModifiers(mods []string) (modifierSet, error) {
	var m modifierSet
	for _, raw := range mods {
		switch mod := strings.ToLower(strings.TrimSpace(raw)); mod {
		case "contains":
			m.op = opContains
		case "startswith":
			m.op = opPrefix
		case "endswith":
			m.op = opSuffix
		case "all":
			m.all = true
		case "windash":
			m.windash = true
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			m.encode = append(m.encode, mod)
			m.hasEncode = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, fmt.Errorf("modifier %q: expected it after re", mod)
			}
			m.reFlags += mod
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "fieldref":
			m.fieldref = true
		case "lt", "lte", "gt", "gte":
			m.cmp = mod
		case "cased":
			m.cased = true
		case "expand":
			m.expand = true
		default:
			return m, fmt.Errorf("unsupported modifier %q (expected contains, startswith, endswith, all, windash, base64, base64offset, utf16le, utf16be, utf16, wide, re, i, m, s, cidr, exists, fieldref, lt, lte, gt, gte, cased or expand)", raw)
		}
	}
	return m, nil
}

// scalarString renders a YAML scalar value as the string Sigma compares.
func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("value %v: expected a string, number, boolean or null, got %T", v, v)
}

// compileValue turns one rule value into the leaves that test it; more than
// one leaf (windash variants, base64 offsets) means any of them may match.
func compileValue(field string, m modifierSet, v any) ([]*leaf, error) {
	if v == nil {
		if m.exists || m.re || m.cidr || m.fieldref || m.cmp != "" || m.hasEncode {
			return nil, fmt.Errorf("null value: expected a value for the modifiers of %s", field)
		}
		return []*leaf{{field: field, kind: opNull, raw: "null"}}, nil
	}
	if m.exists {
		b, ok := v.(bool)
		if !ok {
			if s, isStr := v.(string); isStr {
				b, ok = s == "true", s == "true" || s == "false"
			}
		}
		if !ok {
			return nil, fmt.Errorf("exists: expected true or false, got %v", v)
		}
		return []*leaf{{field: field, kind: opExists, exists: b, raw: strconv.FormatBool(b)}}, nil
	}
	s, err := scalarString(v)
	if err != nil {
		return nil, err
	}
	switch {
	case m.re:
		pattern := s
		if m.reFlags != "" {
			pattern = "(?" + m.reFlags + ")" + s
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("regular expression %q: %v", s, err)
		}
		return []*leaf{{field: field, kind: opRegex, re: re, raw: s, cased: true}}, nil
	case m.cidr:
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("cidr %q: expected an address prefix such as 10.0.0.0/8", s)
		}
		return []*leaf{{field: field, kind: opCIDR, prefix: p.Masked(), raw: s}}, nil
	case m.fieldref:
		return []*leaf{{field: field, kind: opFieldRef, ref: s, refOp: m.op, raw: s, cased: m.cased}}, nil
	case m.cmp != "":
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%s %q: expected a number", m.cmp, s)
		}
		return []*leaf{{field: field, kind: opNumber, cmp: m.cmp, num: n, raw: s}}, nil
	}
	variants := []string{s}
	if m.windash {
		variants = windashVariants(s)
	}
	var out []*leaf
	for _, variant := range variants {
		if m.hasEncode {
			for _, enc := range encodeValue(variant, m.encode) {
				out = append(out, literalLeaf(field, m.op, enc, true, s))
			}
			continue
		}
		l, err := wildcardLeaf(field, m.op, variant, m.cased, m.expand, s)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// literalLeaf compares the field with needle using op.
func literalLeaf(field string, op leafKind, needle string, cased bool, raw string) *leaf {
	if !cased {
		needle = strings.ToLower(needle)
	}
	return &leaf{field: field, kind: op, needle: needle, cased: cased, raw: raw}
}

// windashChars are the characters the windash modifier substitutes for a
// leading "-" or "/" of a parameter.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// maxWindashPositions bounds the expansion: 5^3 variants at most.
const maxWindashPositions = 3

// windashVariants expands every "-" or "/" that starts a parameter (not
// preceded by a word character, followed by one) into each Windows dash.
func windashVariants(s string) []string {
	var pos []int
	for i := 0; i < len(s); i++ {
		if (s[i] == '-' || s[i] == '/') && (i == 0 || !isWordByte(s[i-1])) && i+1 < len(s) && isWordByte(s[i+1]) {
			pos = append(pos, i)
			if len(pos) == maxWindashPositions {
				break
			}
		}
	}
	out := []string{s}
	for k := len(pos) - 1; k >= 0; k-- {
		p := pos[k]
		var next []string
		for _, v := range out {
			for _, d := range windashChars {
				next = append(next, v[:p]+d+v[p+1:])
			}
		}
		out = next
	}
	return out
}

// encodeValue applies the encoding modifiers in the order written: utf16
// variants turn text into bytes, base64 encodes them, base64offset gives the
// three forms the value takes inside a longer base64 string.
func encodeValue(s string, encs []string) []string {
	outs := [][]byte{[]byte(s)}
	for _, e := range encs {
		var next [][]byte
		for _, b := range outs {
			switch e {
			case "utf16le", "wide":
				next = append(next, utf16Bytes(string(b), false, false))
			case "utf16be":
				next = append(next, utf16Bytes(string(b), true, false))
			case "utf16":
				next = append(next, utf16Bytes(string(b), false, true))
			case "base64":
				next = append(next, []byte(base64.StdEncoding.EncodeToString(b)))
			case "base64offset":
				for _, o := range base64Offsets(b) {
					next = append(next, []byte(o))
				}
			}
		}
		outs = next
	}
	res := make([]string, 0, len(outs))
	for _, b := range outs {
		if len(b) > 0 {
			res = append(res, string(b))
		}
	}
	return res
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	u := utf16.Encode([]rune(s))
	if bom {
		u = append([]uint16{0xfeff}, u...)
	}
	b := make([]byte, 0, 2*len(u))
	for _, x := range u {
		if bigEndian {
			b = append(b, byte(x>>8), byte(x))
		} else {
			b = append(b, byte(x), byte(x>>8))
		}
	}
	return b
}

// base64Offsets returns the stable middle of the base64 encoding of b when
// b starts at each of the three byte offsets modulo 3 of a longer message.
func base64Offsets(b []byte) []string {
	start := [3]int{0, 2, 3}
	endCut := [3]int{0, 3, 2}
	var out []string
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, i), b...))
		end := len(enc) - endCut[(len(b)+i)%3]
		if start[i] < end {
			out = append(out, enc[start[i]:end])
		}
	}
	return out
}
