package intel

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// maxProblems bounds the problems an ImportReport lists one by one; the
// counts go on.
const maxProblems = 100

// ImportReport is what one import did.
type ImportReport struct {
	Source string   `json:"source"`
	Format Format   `json:"format"`
	Files  []string `json:"files"`
	// Read counts the valid entries the feed held, duplicates included.
	Read      int `json:"read"`
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Duplicates are entries listed again in the same import; the first wins.
	Duplicates int `json:"duplicates"`
	// Removed counts entries deleted: absent from a replacing import, revoked
	// in STIX, or listed by a MISP event the feed no longer has.
	Removed int `json:"removed"`
	// Unsupported counts entries Spotter cannot match, by reason
	// ("pattern_type yara", "operator MATCHES", "MISP type regkey", ...).
	Unsupported map[string]int `json:"unsupported"`
	// Invalid counts malformed entries; Problems locates the first ones.
	Invalid  int       `json:"invalid"`
	Problems []Problem `json:"problems"`
	// NotModified is set by a sync whose server answered 304 or whose
	// validators had not changed: nothing was read.
	NotModified bool `json:"not_modified,omitempty"`
}

// Problem is one invalid or unsupported entry.
type Problem struct {
	File string `json:"file,omitempty"`
	// Line is the 1-based line of text and CSV feeds (0 for JSON feeds).
	Line int `json:"line,omitempty"`
	// Object names the JSON object: a STIX id or MISP event and attribute.
	Object string `json:"object,omitempty"`
	// Unsupported is set for entries that are well formed but cannot be matched.
	Unsupported bool   `json:"unsupported,omitempty"`
	Msg         string `json:"message"`
}

// String renders the problem as file:line: message.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Object != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(p.Object)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

func newReport(source string, f Format) *ImportReport {
	return &ImportReport{Source: source, Format: f, Files: []string{}, Unsupported: map[string]int{}, Problems: []Problem{}}
}

func (r *ImportReport) problem(p Problem) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, p)
	}
}

// UnsupportedTotal sums the unsupported entries of every reason.
func (r *ImportReport) UnsupportedTotal() int {
	n := 0
	for _, c := range r.Unsupported {
		n += c
	}
	return n
}

// Changed reports whether the import changed the store.
func (r *ImportReport) Changed() bool { return r.Added+r.Updated+r.Removed > 0 }

// Summary is a one-line account of the import for people.
func (r *ImportReport) Summary() string {
	if r.NotModified {
		return fmt.Sprintf("%s: not modified since the last sync", r.Source)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d read, %d added, %d updated, %d unchanged", r.Source, r.Read, r.Added, r.Updated, r.Unchanged)
	if r.Removed > 0 {
		fmt.Fprintf(&b, ", %d removed", r.Removed)
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(&b, ", %d duplicates", r.Duplicates)
	}
	if n := r.UnsupportedTotal(); n > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Unsupported)) {
			parts = append(parts, fmt.Sprintf("%d %s", r.Unsupported[k], k))
		}
		fmt.Fprintf(&b, "; %d unsupported (%s)", n, strings.Join(parts, ", "))
	}
	if r.Invalid > 0 {
		fmt.Fprintf(&b, "; %d invalid", r.Invalid)
	}
	return b.String()
}

// InputError is a feed that cannot be read at all: nothing of it is stored.
type InputError struct {
	File string
	Line int
	Msg  string
}

// Error implements error.
func (e *InputError) Error() string {
	return Problem{File: e.File, Line: e.Line, Msg: e.Msg}.String()
}
