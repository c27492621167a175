package report

// The Markdown and HTML renderers do not read a Report directly. The builder
// (build.go) first turns a Report into a document: sections of blocks of
// lines of spans, already condensed to the aggregation level being tried.
// Every string in a document is plain, unescaped text; each renderer escapes
// it for its own output. Keeping the two renderers on one document means both
// formats always say the same thing and condense the same way.

// spanKind says how a span of text is presented.
type spanKind string

const (
	spanText   spanKind = "text"   // ordinary prose
	spanCode   spanKind = "code"   // a value shown verbatim and inert (indicators, ids)
	spanStrong spanKind = "strong" // emphasis on a label or verdict level
	spanEm     spanKind = "em"     // notes written by Spotter (lengths, counts)
	spanLink   spanKind = "link"   // a link, rendered clickable only when allowed
)

// span is a run of text with one presentation.
type span struct {
	Kind spanKind
	Text string
	// URL is the target of a link span.
	URL string
	// Trusted marks a link whose target Spotter built itself (a skill's
	// report link). Untrusted links are clickable only on known Microsoft
	// portal hosts; see linkTarget.
	Trusted bool
}

// line is a sequence of spans rendered on one line.
type line []span

func text(s string) span   { return span{Kind: spanText, Text: s} }
func code(s string) span   { return span{Kind: spanCode, Text: s} }
func strong(s string) span { return span{Kind: spanStrong, Text: s} }
func em(s string) span     { return span{Kind: spanEm, Text: s} }

// link is a link whose target came from the incident.
func link(label, url string) span { return span{Kind: spanLink, Text: label, URL: url} }

// skillLink is a link whose target a skill built.
func skillLink(label, url string) span {
	return span{Kind: spanLink, Text: label, URL: url, Trusted: true}
}

// field is a labelled value, rendered as "Label: value".
type field struct {
	Label string
	Value line
}

// item is one entry of a list: a head line and what hangs under it.
type item struct {
	Head line
	// Body is free text (paragraphs of lines) continuing the head.
	Body [][]string
	// Code holds verbatim blocks such as command lines.
	Code []string
	// Fields and Notes are rendered as a nested list, fields first.
	Fields []field
	Notes  []line
}

// blockKind says which of a block's fields are in use.
type blockKind int

const (
	blockPara     blockKind = iota // Line as a paragraph
	blockText                      // Paras: free text, paragraphs of lines
	blockFields                    // Fields as a list of "Label: value"
	blockItems                     // Items as a list
	blockList                      // Lines as a bulleted list
	blockNumbered                  // Lines as a numbered list
	blockTable                     // Table
)

// block is one unit of a section, optionally under a sub-heading.
type block struct {
	Kind   blockKind
	Title  string
	Line   line
	Paras  [][]string
	Fields []field
	Items  []item
	Lines  []line
	Table  *table
	// Count is set on a paragraph that only counts items not listed. The
	// last aggregation level merges a section's counts into one sentence.
	Count *count
}

// count says how many items of a kind are not listed, and why.
type count struct {
	What string // "300 more hashes", "25 internal IP addresses"
	Why  string // "with no findings or benign verdicts", "by range: ..."
	// And marks a count following listed items of the same list.
	And bool
}

// countBlock is a paragraph counting items that are not listed.
func countBlock(c count) block {
	s := c.What + " " + c.Why
	if c.And {
		s = "and " + s
	}
	return block{Kind: blockPara, Line: line{em(upperFirst(s) + ".")}, Count: &c}
}

// table is a table of lines with a plain-text header row.
type table struct {
	Head []string
	// Right marks columns aligned right (numbers).
	Right []bool
	Rows  [][]line
}

// RightAt reports whether column i is aligned right.
func (t *table) RightAt(i int) bool { return i < len(t.Right) && t.Right[i] }

// section is one of the report sections (see Sections).
type section struct {
	ID      string
	Heading string
	Blocks  []block
}

// doc is a whole rendered report.
type doc struct {
	Title string
	// Notice is set when the report was condensed to fit the size budget.
	Notice   string
	Sections []section
	Footer   string
}

func para(spans ...span) block { return block{Kind: blockPara, Line: line(spans)} }

// IsPara and the other Is methods let the HTML template switch on the kind.
func (b block) IsPara() bool     { return b.Kind == blockPara }
func (b block) IsText() bool     { return b.Kind == blockText }
func (b block) IsFields() bool   { return b.Kind == blockFields }
func (b block) IsItems() bool    { return b.Kind == blockItems }
func (b block) IsList() bool     { return b.Kind == blockList }
func (b block) IsNumbered() bool { return b.Kind == blockNumbered }
func (b block) IsTable() bool    { return b.Kind == blockTable }
