package cmdline

import (
	"sync"
	"sync/atomic"
)

// knownFields are the fields held in fixed slots of an evaluation; others go
// through a map.
var knownFields = [...]string{
	FieldImage, FieldCommandLine, FieldParentImage, FieldParentCommandLine, FieldUser, FieldCurrentDirectory,
	"OriginalFileName", "IntegrityLevel", "Hashes", "Product", "Company", "Description", "ParentUser", "LogonId",
}

const numKnownFields = len(knownFields)

func knownFieldIndex(name string) int {
	for i, f := range knownFields {
		if f == name {
			return i
		}
	}
	return -1
}

// RuleSet is a compiled collection of rules, safe for concurrent use.
// Identical comparisons shared by several rules (the same field, operation
// and value) are computed once per event.
type RuleSet struct {
	rules    []*Rule
	base     []int   // index of each rule's first leaf in memoSlot
	memoSlot []int32 // per leaf: its shared result slot, -1 when not memoised
	nSlots   int
	byOS     map[string][]int
	errs     []atomic.Int64
	pool     sync.Pool
	autos    []acIndex // one automaton per field and case handling
	leafAC   []acRef   // per leaf: its needle, aut -1 when not a literal
	leafLits [][]acRef // per regular-expression leaf: literals of which one is required
	needs    [][]acRef // per rule: needles of which one must occur, nil when unknown
}

// NewRuleSet compiles rules into a set. A rule may belong to several sets.
func NewRuleSet(rules []*Rule) *RuleSet { return newRuleSet(rules, false) }

// newRuleSet builds a set; naive leaves out the automata and the prefilter
// (every leaf compared on its own), for differential tests.
func newRuleSet(rules []*Rule, naive bool) *RuleSet {
	s := &RuleSet{rules: rules, base: make([]int, len(rules)), byOS: map[string][]int{}}
	type memoKey struct {
		field  string
		kind   leafKind
		cased  bool
		needle string
	}
	slots := map[memoKey]int32{}
	for i, r := range rules {
		s.base[i] = len(s.memoSlot)
		for _, l := range r.leaves {
			var k memoKey
			switch l.kind {
			case opEquals, opContains, opPrefix, opSuffix:
				k = memoKey{l.field, l.kind, l.cased, l.needle}
			case opGlob, opRegex:
				k = memoKey{l.field, l.kind, l.cased, l.re.String()}
			default:
				s.memoSlot = append(s.memoSlot, -1)
				continue
			}
			slot, ok := slots[k]
			if !ok {
				slot = int32(len(slots))
				slots[k] = slot
			}
			s.memoSlot = append(s.memoSlot, slot)
		}
		for _, os := range []string{OSWindows, OSLinux, OSMacOS} {
			if r.Product == os || r.Product != OSWindows && r.Product != OSLinux && r.Product != OSMacOS {
				s.byOS[os] = append(s.byOS[os], i)
			}
		}
		if r.Product != OSWindows {
			s.byOS[osUnix] = append(s.byOS[osUnix], i)
		}
		s.byOS[""] = append(s.byOS[""], i)
	}
	s.nSlots = len(slots)
	s.errs = make([]atomic.Int64, len(rules))
	if naive {
		s.leafAC = make([]acRef, len(s.memoSlot))
		for i := range s.leafAC {
			s.leafAC[i].aut = -1
		}
		s.leafLits = make([][]acRef, len(s.memoSlot))
		s.needs = make([][]acRef, len(rules))
	} else {
		s.buildAutomata()
		s.buildNeeds()
	}
	s.pool.New = func() any {
		c := &evalCtx{set: s, memo: make([]uint8, s.nSlots), hits: make([][]uint8, len(s.autos))}
		for k, a := range s.autos {
			c.hits[k] = make([]uint8, len(a.aut.needles))
		}
		return c
	}
	return s
}

// Rules returns the rules of the set in load order.
func (s *RuleSet) Rules() []*Rule { return s.rules }

// Len returns the number of rules.
func (s *RuleSet) Len() int { return len(s.rules) }

// RuleErrors is how often evaluating a rule reached a part it cannot evaluate.
type RuleErrors struct {
	Rule  *Rule
	Count int64
}

// EvalErrors lists the rules whose evaluation has reached a problem (see
// Rule.Problems) since the set was built, with the count.
func (s *RuleSet) EvalErrors() []RuleErrors {
	var out []RuleErrors
	for i := range s.errs {
		if n := s.errs[i].Load(); n > 0 {
			out = append(out, RuleErrors{s.rules[i], n})
		}
	}
	return out
}

// FieldMatch says which value of which rule field matched.
type FieldMatch struct {
	// Field is the rule's key as written, with modifiers (CommandLine|contains|all).
	Field string `json:"field"`
	// Value is the rule's value that matched ("null" when a field was absent as required).
	Value string `json:"value"`
}

// Match is a rule that matched an event, with the field values that made it match.
type Match struct {
	Rule   *Rule
	Fields []FieldMatch
}

// osUnix selects the rules for Linux, macOS and any operating system.
const osUnix = "unix"

// Match evaluates every rule that applies to os (all rules when os is "";
// "unix" selects Linux, macOS and product-less rules) against ev and
// explains each match.
func (s *RuleSet) Match(ev Event, os string) []Match {
	c := s.acquire(ev)
	defer s.pool.Put(c)
	var out []Match
	for _, i := range s.byOS[os] {
		if c.candidate(i) && c.rule(i) {
			out = append(out, Match{Rule: s.rules[i], Fields: c.explain(i)})
		}
	}
	return out
}

// acquire returns a cleared evaluation context loaded with ev.
func (s *RuleSet) acquire(ev Event) *evalCtx {
	c := s.pool.Get().(*evalCtx)
	c.load(ev)
	return c
}
