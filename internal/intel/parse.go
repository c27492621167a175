package intel

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Format is a feed format.
type Format string

// Feed formats.
const (
	// FormatText is a plain list: one indicator per line, # and ; comments.
	FormatText Format = "text"
	// FormatCSV is comma-separated values with a column mapping.
	FormatCSV Format = "csv"
	// FormatSTIX is a STIX 2.1 bundle (or a TAXII envelope of objects).
	FormatSTIX Format = "stix"
	// FormatMISP is a MISP feed: manifest.json with event files, an event
	// file, or a hashes.csv of value digests.
	FormatMISP Format = "misp"
)

// Formats lists the formats, for messages.
var Formats = []Format{FormatText, FormatCSV, FormatSTIX, FormatMISP}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	switch f {
	case FormatText, FormatCSV, FormatSTIX, FormatMISP:
		return f, nil
	case "txt", "list", "plain":
		return FormatText, nil
	case "stix2", "stix2.1":
		return FormatSTIX, nil
	}
	return "", fmt.Errorf("format %q: expected one of text, csv, stix, misp", s)
}

// Defaults fill what a feed's entries leave out.
type Defaults struct {
	// Confidence applies to entries without one (DefaultConfidence when 0).
	Confidence int
	// Tags are added to every entry.
	Tags []string
	// Malware applies to entries without a malware family.
	Malware string
	// Reference is a link template for entries without a reference:
	// {value} is replaced by the escaped value and {id} by the object id.
	Reference string
	// Retention sets valid_until to first seen (or the import time) plus
	// this much for entries without one; 0 leaves them without expiry.
	Retention time.Duration
}

// DefaultConfidence applies when neither the entry nor the import gives one.
const DefaultConfidence = 70

// sink receives what a parser reads: it normalises entries, applies the
// defaults and passes them on, and counts what it rejects.
type sink struct {
	rep  *ImportReport
	file string
	def  Defaults
	now  time.Time
	// put stores one normalised entry.
	put func(Indicator) error
	// remove deletes an entry of the source (a revoked STIX indicator).
	remove func(Key) error
	// dropObject deletes every entry an object listed (a MISP event).
	dropObject func(id string) error
}

// entry normalises one raw entry: in.Type is the feed's declared type ("" to
// infer it) and in.Value the raw value. Invalid entries are counted, not
// returned as errors; only a failure to store ends the import.
func (k *sink) entry(line int, object string, in Indicator) error {
	t, v, err := Normalize(in.Type, in.Value)
	if err != nil {
		k.invalid(line, object, err.Error())
		return nil
	}
	in.Type, in.Value = t, v
	switch {
	case in.Confidence == NoConfidence:
		in.Confidence = k.def.Confidence
		if in.Confidence <= 0 {
			in.Confidence = DefaultConfidence
		}
	case in.Confidence < 0:
		in.Confidence = 0
	case in.Confidence > 100:
		in.Confidence = 100
	}
	in.Tags = normalizeTags(append(in.Tags, k.def.Tags...))
	if in.Malware == "" {
		in.Malware = k.def.Malware
	}
	in.Malware = clean(in.Malware, 200)
	in.Description = clean(in.Description, 1000)
	in.ObjectID = clean(in.ObjectID, 200)
	if in.Reference == "" && k.def.Reference != "" {
		in.Reference = expandReference(k.def.Reference, in)
	}
	in.Reference = clean(in.Reference, MaxValueLen)
	in.FirstSeen, in.LastSeen, in.ValidUntil = saneTime(in.FirstSeen), saneTime(in.LastSeen), saneTime(in.ValidUntil)
	if in.ValidUntil.IsZero() && k.def.Retention > 0 {
		from := in.FirstSeen
		if from.IsZero() {
			from = k.now
		}
		in.ValidUntil = from.Add(k.def.Retention).UTC()
	}
	k.rep.Read++
	return k.put(in)
}

func (k *sink) invalid(line int, object, msg string) {
	k.rep.Invalid++
	k.rep.problem(Problem{File: k.file, Line: line, Object: object, Msg: msg})
}

// unsupported counts an entry Spotter cannot match under a short reason;
// detail, when given, is kept in the problem list.
func (k *sink) unsupported(line int, object, reason, detail string) {
	k.rep.Unsupported[reason]++
	msg := "unsupported: " + reason
	if detail != "" {
		msg += ": " + clip(detail, 200)
	}
	k.rep.problem(Problem{File: k.file, Line: line, Object: object, Unsupported: true, Msg: msg})
}

// expandReference fills a link template.
func expandReference(tmpl string, in Indicator) string {
	r := strings.NewReplacer("{value}", url.PathEscape(in.Value), "{id}", url.PathEscape(in.ObjectID), "{type}", string(in.Type))
	return r.Replace(tmpl)
}

// clean trims a free-text field, drops control characters and bounds it.
func clean(s string, n int) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\x00\r\n\t") {
		s = strings.Map(func(r rune) rune {
			switch r {
			case 0:
				return -1
			case '\r', '\n', '\t':
				return ' '
			}
			return r
		}, s)
	}
	return clip(strings.ToValidUTF8(s, "\uFFFD"), n)
}

// Times outside these bounds are treated as unknown.
var (
	minTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// saneTime drops implausible times and rounds to milliseconds, the
// precision both databases keep, so that a stored time compares equal to
// the same time read again.
func saneTime(t time.Time) time.Time {
	if t.IsZero() || t.Before(minTime) || t.After(maxTime) {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// timeLayouts are the time formats feeds use, tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// parseTime reads a feed time: RFC 3339, "YYYY-MM-DD hh:mm:ss" (UTC), a date,
// or Unix seconds. ok is false for anything else; empty input is a zero
// time and ok.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" || strings.EqualFold(s, "null") || strings.EqualFold(s, "none") {
		return time.Time{}, true
	}
	if n, ok := parseDigits(s); ok {
		if n > 1e11 { // milliseconds
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseDigits parses a non-negative decimal of at most 15 digits.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}

// Parsed is a feed read without storing it: what the parsers produce for
// tests, fuzzing and previews.
type Parsed struct {
	Indicators []Indicator
	// Revoked lists the entries the feed withdraws.
	Revoked []Key
	// Dropped lists the objects whose entries the feed withdraws.
	Dropped []string
	Report  *ImportReport
}

// collector returns a sink that keeps everything in memory.
func collector(file string, f Format, def Defaults) (*sink, *Parsed) {
	p := &Parsed{Report: newReport("", f)}
	p.Report.Files = append(p.Report.Files, file)
	k := &sink{rep: p.Report, file: file, def: def, now: time.Now().UTC()}
	k.put = func(in Indicator) error { p.Indicators = append(p.Indicators, in); return nil }
	k.remove = func(key Key) error { p.Revoked = append(p.Revoked, key); return nil }
	k.dropObject = func(id string) error { p.Dropped = append(p.Dropped, id); return nil }
	return k, p
}
