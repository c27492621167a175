package report

// Condensing: how the builder meets a size budget. Render tries plans of
// increasing aggregation; at each, lists keep their malicious and
// suspicious entries and count the rest, in ways that depend on the level.

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
)

// plan is one attempt at rendering within the size budget.
type plan struct {
	// level is the aggregation level, cumulative:
	//  1. full detail;
	//  2. benign, unknown and informational items as counts, skipped items
	//     and internal addresses as counts;
	//  3. secondary findings as "also: ..." lines, lists of alerts,
	//     comments, accounts and devices cut to their first five;
	//  4. long incident-provided fields replaced by their length;
	//  5. alerts, comments and quiet accounts and devices only counted;
	//  6. listed items reduced to their value and verdict, each section's
	//     counts merged into one sentence, the overview to its essentials.
	level int
	// badCap, when positive, lists at most this many malicious or
	// suspicious items per list, the highest scored, and counts the rest.
	badCap int
	// max is the budget being met, quoted in the notice.
	max int
}

// entry is one candidate item of a list, with what condensing needs to know.
type entry struct {
	it    item
	bad   bool // malicious or suspicious: always listed unless capped
	score int
	// noun overrides the list's noun when counting this entry.
	noun *noun
}

// listSpec describes a list of entries.
type listSpec struct {
	title string
	noun  noun
	// context lists (accounts, devices) keep quiet entries at level 2 and
	// their first five from level 3; other lists count quiet entries from level 2.
	context bool
	// quiet describes the counted entries; the default is "with no findings or benign verdicts".
	quiet string
}

// list condenses entries for the plan and renders them as blocks: the items
// kept, then a line counting the rest.
func (b *builder) list(spec listSpec, es []entry) []block {
	if len(es) == 0 {
		return nil
	}
	keepQuiet := len(es)
	switch {
	case b.plan.level >= 5 && spec.context:
		keepQuiet = 0
	case b.plan.level >= 3 && spec.context:
		keepQuiet = keepFirst
	case b.plan.level >= 2 && !spec.context:
		keepQuiet = 0
	}
	var bad, kept []entry
	var quietNouns []noun
	quietCount := map[noun]int{}
	keptQuiet := 0
	for _, e := range es {
		switch {
		case e.bad:
			bad = append(bad, e)
			kept = append(kept, e)
		case keptQuiet < keepQuiet:
			keptQuiet++
			kept = append(kept, e)
		default:
			n := spec.noun
			if e.noun != nil {
				n = *e.noun
			}
			if quietCount[n] == 0 {
				quietNouns = append(quietNouns, n)
			}
			quietCount[n]++
		}
	}
	var over []entry
	if b.plan.badCap > 0 && len(bad) > b.plan.badCap {
		// Very many bad items: the highest scored first, the rest counted.
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].score > bad[j].score })
		over = bad[b.plan.badCap:]
		top := append([]entry(nil), bad[:b.plan.badCap]...)
		for _, e := range kept {
			if !e.bad {
				top = append(top, e)
			}
		}
		kept = top
		b.capped = true
	}
	var out []block
	if len(kept) > 0 {
		items := make([]item, len(kept))
		for i, e := range kept {
			items[i] = e.it
			if b.plan.level >= 6 {
				items[i] = bare(e.it)
			}
		}
		out = append(out, block{Kind: blockItems, Items: items})
	}
	if len(quietNouns) > 0 {
		parts := make([]string, len(quietNouns))
		for i, n := range quietNouns {
			if len(kept) > 0 {
				parts[i] = n.more(quietCount[n])
			} else {
				parts[i] = n.count(quietCount[n])
			}
		}
		out = append(out, countBlock(count{What: andList(parts), Why: cmp.Or(spec.quiet, "with no findings or benign verdicts"), And: len(kept) > 0}))
	}
	if len(over) > 0 {
		top := 0
		for _, e := range over {
			top = max(top, e.score)
		}
		out = append(out, countBlock(count{What: moreBad(spec.noun, len(over)),
			Why: fmt.Sprintf("not listed individually (highest score %d; the JSON report has all)", top)}))
	}
	if len(out) > 0 {
		out[0].Title = spec.title
	}
	return out
}

// bare reduces an item to its head (value and verdict) and its verbatim
// code, for the last aggregation level.
func bare(it item) item {
	return item{Head: it.Head, Code: it.Code}
}

// moreBad counts malicious or suspicious items not listed: "3 more malicious or suspicious domains".
func moreBad(n noun, k int) string {
	name := n.many
	if k == 1 {
		name = n.one
	}
	return commas(k) + " more malicious or suspicious " + name
}

// compact merges a section's blocks for the last aggregation level: no
// sub-headings, one list of the items still listed, and one sentence with
// every count.
func compact(blocks []block) []block {
	var out []block
	var items []item
	var counts []count
	for _, bl := range blocks {
		switch {
		case bl.Count != nil:
			counts = append(counts, *bl.Count)
		case bl.Kind == blockItems:
			items = append(items, bl.Items...)
		default:
			bl.Title = ""
			out = append(out, bl)
		}
	}
	if len(items) > 0 {
		out = append(out, block{Kind: blockItems, Items: items})
	}
	if len(counts) > 0 {
		out = append(out, para(em(upperFirst(mergeCounts(counts))+".")))
	}
	return out
}

// mergeCounts joins counts into one phrase, those with the same reason
// together: "300 more hashes and 300 more domains with no findings or
// benign verdicts; 30 domains skipped: skip list (30)".
func mergeCounts(cs []count) string {
	var whys []string
	whats := map[string][]string{}
	for _, c := range cs {
		if whats[c.Why] == nil {
			whys = append(whys, c.Why)
		}
		whats[c.Why] = append(whats[c.Why], c.What)
	}
	parts := make([]string, len(whys))
	for i, why := range whys {
		parts[i] = andList(whats[why]) + " " + why
	}
	return strings.Join(parts, "; ")
}

// notice is the one line saying how the report was condensed, or "".
func (b *builder) notice() string {
	if b.plan.level < 2 && !b.capped {
		return ""
	}
	if b.plan.level >= 5 {
		s := fmt.Sprintf("Condensed to fit %s characters: only malicious and suspicious items are listed, the rest counted; long fields shown as their length.", commas(b.plan.max))
		if b.capped {
			s += fmt.Sprintf(" At most %d malicious or suspicious items per list.", b.plan.badCap)
		}
		return s
	}
	parts := []string{"benign and unknown indicators shown as counts"}
	if b.plan.level >= 3 {
		parts = append(parts, "findings shortened")
	}
	if b.plan.level >= 4 {
		parts = append(parts, "long fields shown as their length")
	}
	return fmt.Sprintf("Condensed to fit %s characters: %s.", commas(b.plan.max), strings.Join(parts, ", "))
}
