package cmdline

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// sigma-go's condition grammar accepts identifiers made of letters, digits
// and "_", and patterns only when letters or "_" come before the first "*":
// `1 of selection_1_*` and `all of set1*` are rejected. The rewrite below
// renames every search identifier and every identifier in the conditions
// with the same reversible encoding into letters and "_", so the grammar
// accepts them and the names can be decoded after parsing. Patterns are
// matched against the decoded names, never in encoded form.

// encodeIdent maps a name to letters, "_" and "*": "Q" becomes "QQ", a digit
// d becomes "Q" followed by the d-th letter from "a", any other byte "QX"
// followed by two letters from "a" to "p" (its hexadecimal digits).
func encodeIdent(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == 'Q':
			b.WriteString("QQ")
		case c >= '0' && c <= '9':
			b.WriteByte('Q')
			b.WriteByte('a' + c - '0')
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '*':
			b.WriteByte(c)
		default:
			b.WriteString("QX")
			b.WriteByte('a' + c>>4)
			b.WriteByte('a' + c&0x0f)
		}
	}
	return b.String()
}

// decodeIdent reverses encodeIdent; text that is not a valid encoding is
// returned as it is.
func decodeIdent(s string) string {
	if !strings.Contains(s, "Q") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != 'Q' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch {
		case n == 'Q':
			b.WriteByte('Q')
			i++
		case n >= 'a' && n <= 'j':
			b.WriteByte('0' + n - 'a')
			i++
		case n == 'X' && i+3 < len(s) && s[i+2] >= 'a' && s[i+2] <= 'p' && s[i+3] >= 'a' && s[i+3] <= 'p':
			b.WriteByte((s[i+2]-'a')<<4 | (s[i+3] - 'a'))
			i += 3
		default:
			return s
		}
	}
	return b.String()
}

var conditionToken = regexp.MustCompile(`[^\s()]+`)

// rewriteCondition encodes the identifiers and patterns of a condition,
// leaving keywords, parentheses and any aggregation after "|" alone.
func rewriteCondition(cond string) string {
	search, agg, hasAgg := strings.Cut(cond, "|")
	search = conditionToken.ReplaceAllStringFunc(search, func(tok string) string {
		switch strings.ToLower(tok) {
		case "and", "or", "not", "of", "them", "all", "1":
			return tok
		}
		return encodeIdent(tok)
	})
	if hasAgg {
		return search + "|" + agg
	}
	return search
}

// rewriteIdentifiers returns the rule with its search identifiers and
// conditions encoded (see encodeIdent).
func rewriteIdentifiers(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	det := detectionNode(&doc)
	if det == nil {
		return nil, fmt.Errorf("detection: expected a mapping")
	}
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i], det.Content[i+1]
		switch key.Value {
		case "timeframe":
		case "condition":
			switch val.Kind {
			case yaml.ScalarNode:
				val.Value = rewriteCondition(val.Value)
			case yaml.SequenceNode:
				for _, c := range val.Content {
					if c.Kind == yaml.ScalarNode {
						c.Value = rewriteCondition(c.Value)
					}
				}
			}
		default:
			key.Value = encodeIdent(key.Value)
		}
	}
	return yaml.Marshal(&doc)
}

// detectionNode returns the detection mapping of a parsed rule document.
func detectionNode(doc *yaml.Node) *yaml.Node {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "detection" && root.Content[i+1].Kind == yaml.MappingNode {
			return root.Content[i+1]
		}
	}
	return nil
}

// ruleLines maps "search\x00key" and "condition" to their line numbers in a
// rule's source, for error messages.
func ruleLines(data []byte) map[string]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return nil
	}
	det := detectionNode(&doc)
	if det == nil {
		return nil
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(det.Content); i += 2 {
		key, val := det.Content[i], det.Content[i+1]
		if key.Value == "condition" {
			lines["condition"] = key.Line
			continue
		}
		lines[key.Value] = key.Line
		maps := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			maps = val.Content
		}
		for _, m := range maps {
			if m.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(m.Content); j += 2 {
				k := key.Value + "\x00" + m.Content[j].Value
				if _, seen := lines[k]; !seen {
					lines[k] = m.Content[j].Line
				}
			}
		}
	}
	return lines
}
