package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSV fields a column mapping can name.
var csvFields = []string{"value", "type", "confidence", "tags", "malware", "reference", "description", "first_seen", "last_seen", "valid_until", "id"}

// csvAliases are the header names recognised for each field when no
// mapping names the column (the abuse.ch exports' names among them).
var csvAliases = map[string][]string{
	"value":       {"value", "indicator", "ioc", "ioc_value", "observable", "dst_ip", "ip", "ip_address", "domain", "url", "hash", "cidr"},
	"type":        {"type", "ioc_type", "indicator_type", "kind"},
	"confidence":  {"confidence", "confidence_level", "score"},
	"tags":        {"tags", "tag", "labels"},
	"malware":     {"malware", "malware_family", "family", "malware_printable"},
	"reference":   {"reference", "link", "urlhaus_link", "ref"},
	"description": {"description", "comment", "comments", "notes"},
	"first_seen":  {"first_seen", "first_seen_utc", "dateadded", "date_added", "created"},
	"last_seen":   {"last_seen", "last_seen_utc", "last_online"},
	"valid_until": {"valid_until", "expires", "expiration"},
	"id":          {"id", "ioc_id"},
}

// Columns maps CSV fields to columns, by 1-based position or header name.
type Columns struct {
	pos   map[string]int    // field -> 0-based column
	names map[string]string // field -> header name, lower-cased
}

// ParseColumns reads a column mapping: comma-separated field=column pairs
// whose column is a 1-based position or a header name, e.g.
// "value=3,type=4,confidence=10" or "value=ioc_value,type=ioc_type". The
// fields are value (required unless the mapping is empty), type,
// confidence, tags, malware, reference, description, first_seen,
// last_seen, valid_until and id (the {id} of a reference template). An
// empty mapping reads the header row by the usual names, else takes the
// first column as the value.
func ParseColumns(spec string) (Columns, error) {
	c := Columns{pos: map[string]int{}, names: map[string]string{}}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return c, nil
	}
	for _, pair := range strings.Split(spec, ",") {
		field, col, ok := strings.Cut(strings.TrimSpace(pair), "=")
		field, col = strings.ToLower(strings.TrimSpace(field)), strings.TrimSpace(col)
		if !ok || field == "" || col == "" {
			return c, fmt.Errorf("column mapping %q: expected field=column pairs such as value=1,type=2", pair)
		}
		if !slices.Contains(csvFields, field) {
			return c, fmt.Errorf("column mapping: unknown field %q; expected one of %s", field, strings.Join(csvFields, ", "))
		}
		if _, dup := c.pos[field]; dup {
			return c, fmt.Errorf("column mapping: field %s given twice", field)
		}
		if _, dup := c.names[field]; dup {
			return c, fmt.Errorf("column mapping: field %s given twice", field)
		}
		if n, err := strconv.Atoi(col); err == nil {
			if n < 1 || n > 1000 {
				return c, fmt.Errorf("column mapping: %s=%d: expected a column number from 1", field, n)
			}
			c.pos[field] = n - 1
			continue
		}
		c.names[field] = strings.ToLower(col)
	}
	if _, ok := c.pos["value"]; !ok && c.names["value"] == "" {
		return c, errors.New("column mapping: no value column; expected value=<column>")
	}
	return c, nil
}

// empty reports whether the mapping names no column.
func (c Columns) empty() bool { return len(c.pos) == 0 && len(c.names) == 0 }

// resolve turns header names into positions using a header row. It
// reports whether the row is a header: it names every named column or,
// for an empty mapping, holds a known name of the value column.
func (c Columns) resolve(header []string) (Columns, bool) {
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimLeft(h, "#\ufeff ")))
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	out := Columns{pos: map[string]int{}, names: map[string]string{}}
	if c.empty() {
		for _, f := range csvFields {
			for _, a := range csvAliases[f] {
				if i, ok := idx[a]; ok {
					out.pos[f] = i
					break
				}
			}
		}
		_, ok := out.pos["value"]
		return out, ok
	}
	for f, p := range c.pos {
		out.pos[f] = p
	}
	for f, n := range c.names {
		i, ok := idx[n]
		if !ok {
			return c, false
		}
		out.pos[f] = i
	}
	return out, true
}

// ParseCSV reads a CSV feed without storing it.
func ParseCSV(r io.Reader, name string, columns string, def Defaults) (*Parsed, error) {
	m, err := ParseColumns(columns)
	if err != nil {
		return nil, &InputError{File: name, Msg: err.Error()}
	}
	k, p := collector(name, FormatCSV, def)
	if err := parseCSV(r, k, m); err != nil {
		return nil, err
	}
	return p, nil
}

// maxCSVErrors ends an import whose lines keep failing to parse: the file
// is not CSV.
const maxCSVErrors = 1000

// parseCSV reads CSV records: lines starting with # are comments (the last
// comment before the data may be the header, as in the abuse.ch exports),
// fields may be quoted and padded with spaces after the commas.
func parseCSV(r io.Reader, k *sink, m Columns) error {
	cf := &commentFilter{br: bufio.NewReaderSize(r, 64<<10), onLong: func(line int) {
		k.invalid(line, "", fmt.Sprintf("line longer than %d bytes", maxTextLine))
	}}
	cr := csv.NewReader(cf)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	first, errs := true, 0
	cols := m
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errs++; errs > maxCSVErrors {
				return &InputError{File: k.file, Line: pe.Line, Msg: "too many malformed lines; expected CSV"}
			}
			k.invalid(pe.Line, "", "malformed CSV: "+pe.Err.Error())
			continue
		}
		if err != nil {
			return &InputError{File: k.file, Line: line, Msg: "reading: " + err.Error()}
		}
		if first {
			first = false
			if len(m.names) == 0 && !m.empty() {
				// Positions only: a first row whose value cell names a
				// column instead of holding an indicator is a header.
				if i := m.pos["value"]; i < len(rec) && isHeaderName(rec[i]) {
					continue
				}
			} else if res, ok := m.resolve(rec); ok {
				cols = res
				continue
			} else if res, ok := m.resolve(splitCommentHeader(cf.lastComment)); ok {
				cols = res
			} else if !m.empty() {
				return &InputError{File: k.file, Line: line, Msg: fmt.Sprintf("no header row names the columns %s; expected a header line", strings.Join(mapValues(m.names), ", "))}
			} else {
				cols = Columns{pos: map[string]int{"value": 0}}
			}
		}
		if err := csvEntry(rec, line, cols, k); err != nil {
			return err
		}
	}
}

// csvEntry turns one record into an entry.
func csvEntry(rec []string, line int, c Columns, k *sink) error {
	get := func(f string) (string, bool) {
		i, ok := c.pos[f]
		if !ok {
			return "", true
		}
		if i >= len(rec) {
			return "", false
		}
		return strings.TrimSpace(rec[i]), true
	}
	value, ok := get("value")
	if !ok {
		k.invalid(line, "", fmt.Sprintf("%d columns; expected at least %d", len(rec), c.pos["value"]+1))
		return nil
	}
	if value == "" && len(rec) <= 1 {
		return nil // a blank record
	}
	in := Indicator{Value: value, Confidence: NoConfidence}
	if t, _ := get("type"); t != "" {
		hint, ok := ParseTypeHint(t)
		if !ok {
			k.unsupported(line, "", "type "+clip(strings.ToLower(t), 40), value)
			return nil
		}
		in.Type = hint
	}
	if v, _ := get("confidence"); v != "" {
		n, ok := parseConfidence(v)
		if !ok {
			k.invalid(line, "", fmt.Sprintf("confidence %q: expected a number from 0 to 100 or low, medium, high", clip(v, 40)))
			return nil
		}
		in.Confidence = n
	}
	if v, _ := get("tags"); v != "" {
		in.Tags = splitTags(v)
	}
	in.Malware, _ = get("malware")
	if strings.EqualFold(in.Malware, "unknown") || strings.EqualFold(in.Malware, "none") || strings.EqualFold(in.Malware, "unknown malware") {
		in.Malware = ""
	}
	in.Reference, _ = get("reference")
	in.Description, _ = get("description")
	in.ObjectID, _ = get("id")
	for _, tf := range []struct {
		field string
		dst   *time.Time
	}{{"first_seen", &in.FirstSeen}, {"last_seen", &in.LastSeen}, {"valid_until", &in.ValidUntil}} {
		v, _ := get(tf.field)
		t, ok := parseTime(v)
		if !ok {
			k.invalid(line, "", fmt.Sprintf("%s %q: expected a date such as 2024-05-01 or 2024-05-01T10:00:00Z", tf.field, clip(v, 40)))
			return nil
		}
		*tf.dst = t
	}
	return k.entry(line, "", in)
}

// parseConfidence reads 0-100 or a word.
func parseConfidence(s string) (int, bool) {
	switch strings.ToLower(s) {
	case "high":
		return 85, true
	case "medium":
		return 60, true
	case "low":
		return 30, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100 {
		return 0, false
	}
	return n, true
}

// splitTags splits a tag cell on commas, semicolons and bars.
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		if t = strings.TrimSpace(t); t != "" && !strings.EqualFold(t, "none") {
			out = append(out, t)
		}
	}
	return out
}

// isHeaderName reports whether a cell is a known column name rather than
// a value.
func isHeaderName(cell string) bool {
	cell = strings.ToLower(strings.TrimSpace(strings.TrimLeft(cell, "#\ufeff ")))
	if _, _, err := Normalize("", cell); err == nil {
		return false
	}
	for _, names := range csvAliases {
		if slices.Contains(names, cell) {
			return true
		}
	}
	return false
}

// splitCommentHeader reads a commented header line ("# id,dateadded,url").
func splitCommentHeader(s string) []string {
	s = strings.TrimSpace(strings.TrimLeft(s, "# "))
	if s == "" {
		return nil
	}
	rec, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return nil
	}
	return rec
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// commentFilter passes CSV through with every comment line (starting with
// #) blanked, so the CSV reader skips it while its line numbers stay those
// of the file. It remembers the last comment seen before the data.
type commentFilter struct {
	br          *bufio.Reader
	pending     []byte
	line        int
	data        bool // a data line has been seen
	lastComment string
	err         error
	onLong      func(line int)
}

// Read implements io.Reader.
func (c *commentFilter) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		raw, err := readLine(c.br)
		c.line++
		if err != nil && !errors.Is(err, io.EOF) {
			if errors.Is(err, errLineTooLong) {
				c.onLong(c.line)
				raw, err = nil, nil // the line becomes blank and is skipped
			} else {
				c.err = err
				return 0, err
			}
		}
		if c.line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '#' {
			if !c.data {
				c.lastComment = string(t)
			}
			raw = nil
		} else if len(t) > 0 {
			c.data = true
		}
		c.pending = append(append(c.pending[:0], raw...), '\n')
		if errors.Is(err, io.EOF) {
			c.err = io.EOF
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}
