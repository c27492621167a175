package cmdline

// acRef points at one needle of one automaton with the occurrence it needs.
type acRef struct {
	aut    int16 // index in RuleSet.autos, -1 for none
	mask   uint8 // hitAny, hitPrefix, hitSuffix or hitEqual
	needle int32
}

// acKey identifies an automaton: one field, compared lower-cased or as logged.
type acKey struct {
	fid   int
	cased bool
}

var kindMask = map[leafKind]uint8{opContains: hitAny, opPrefix: hitPrefix, opSuffix: hitSuffix, opEquals: hitEqual}

// buildAutomata gives every literal leaf of the set (equality, contains,
// prefix, suffix on a known field with a non-empty value) a needle in the
// automaton of its field, and fills leafAC. Regular-expression and glob
// leaves get the literals one of which they require (see regexLiterals) as
// needles of the lower-cased automaton, in leafLits.
func (s *RuleSet) buildAutomata() {
	type builder struct {
		ids     map[string]int32
		needles []string
	}
	builders := map[acKey]*builder{}
	var keys []acKey
	add := func(k acKey, needle string) (int16, int32) {
		b := builders[k]
		if b == nil {
			b = &builder{ids: map[string]int32{}}
			builders[k] = b
			keys = append(keys, k)
		}
		id, seen := b.ids[needle]
		if !seen {
			id = int32(len(b.needles))
			b.ids[needle] = id
			b.needles = append(b.needles, needle)
		}
		return int16(indexOf(keys, k)), id
	}
	s.leafAC = make([]acRef, len(s.memoSlot))
	s.leafLits = make([][]acRef, len(s.memoSlot))
	for i, r := range s.rules {
		for _, l := range r.leaves {
			gi := s.base[i] + l.ord
			s.leafAC[gi] = acRef{aut: -1}
			if l.fid < 0 {
				continue
			}
			if l.kind == opRegex || l.kind == opGlob {
				if lits, ok := regexLiterals(l.re.String()); ok {
					for _, lit := range lits {
						aut, id := add(acKey{l.fid, false}, lit)
						s.leafLits[gi] = append(s.leafLits[gi], acRef{aut: aut, mask: hitAny, needle: id})
					}
				}
				continue
			}
			mask, ok := kindMask[l.kind]
			if !ok || l.needle == "" {
				continue
			}
			aut, id := add(acKey{l.fid, l.cased}, l.needle)
			s.leafAC[gi] = acRef{aut: aut, mask: mask, needle: id}
			s.memoSlot[gi] = -1
		}
	}
	for _, k := range keys {
		s.autos = append(s.autos, acIndex{key: k, aut: newAutomaton(builders[k].needles)})
	}
}

func indexOf(keys []acKey, k acKey) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}

// acIndex is one automaton of the set.
type acIndex struct {
	key acKey
	aut *acAutomaton
}

// buildNeeds computes, per rule, needles of which at least one must occur
// for the rule to match (nil when no such set is known: the rule is always
// evaluated). Rules whose needles are all absent from an event are skipped.
func (s *RuleSet) buildNeeds() {
	s.needs = make([][]acRef, len(s.rules))
	for i, r := range s.rules {
		if r.cond == nil || len(r.Problems) > 0 {
			continue
		}
		if refs, ok := s.need(i, r.cond); ok && len(refs) > 0 {
			s.needs[i] = refs
		}
	}
}

// need returns needles of which one must hit for n to be true; ok is false
// when n can be true without any (negations, regular expressions, nulls).
func (s *RuleSet) need(rule int, n condNode) ([]acRef, bool) {
	switch x := n.(type) {
	case condAnd:
		return s.best(rule, len(x), func(i int) ([]acRef, bool) { return s.need(rule, x[i]) })
	case condAllOf:
		return s.best(rule, len(x), func(i int) ([]acRef, bool) { return s.searchNeed(rule, x[i]) })
	case condOr:
		return union(len(x), func(i int) ([]acRef, bool) { return s.need(rule, x[i]) })
	case condOneOf:
		return union(len(x), func(i int) ([]acRef, bool) { return s.searchNeed(rule, x[i]) })
	case condSearch:
		return s.searchNeed(rule, x.s)
	}
	return nil, false
}

func (s *RuleSet) searchNeed(rule int, se *search) ([]acRef, bool) {
	return union(len(se.alts), func(i int) ([]acRef, bool) {
		alt := se.alts[i]
		return s.best(rule, len(alt), func(j int) ([]acRef, bool) { return s.fieldNeed(rule, alt[j]) })
	})
}

func (s *RuleSet) fieldNeed(rule int, fm *fieldMatcher) ([]acRef, bool) {
	if fm.err != "" || len(fm.groups) == 0 {
		return nil, false
	}
	group := func(g []*leaf) ([]acRef, bool) {
		return union(len(g), func(k int) ([]acRef, bool) {
			gi := s.base[rule] + g[k].ord
			if lits := s.leafLits[gi]; lits != nil {
				return lits, true
			}
			ref := s.leafAC[gi]
			return []acRef{ref}, ref.aut >= 0
		})
	}
	if fm.all {
		return s.best(rule, len(fm.groups), func(i int) ([]acRef, bool) { return group(fm.groups[i]) })
	}
	return union(len(fm.groups), func(i int) ([]acRef, bool) { return group(fm.groups[i]) })
}

// best picks, among n parts that must all hold, the smallest known need.
func (s *RuleSet) best(_ int, n int, part func(int) ([]acRef, bool)) ([]acRef, bool) {
	var out []acRef
	found := false
	for i := 0; i < n; i++ {
		refs, ok := part(i)
		if ok && (!found || len(refs) < len(out)) {
			out, found = refs, true
		}
	}
	return out, found
}

// union is the need of n alternatives: every one must have a known need.
func union(n int, part func(int) ([]acRef, bool)) ([]acRef, bool) {
	var out []acRef
	for i := 0; i < n; i++ {
		refs, ok := part(i)
		if !ok {
			return nil, false
		}
		out = append(out, refs...)
	}
	return out, n > 0
}

// candidate reports whether rule i can match the loaded event.
func (c *evalCtx) candidate(i int) bool {
	refs := c.set.needs[i]
	return refs == nil || c.anyHit(refs)
}

// anyHit reports whether one of refs occurred in the loaded event.
func (c *evalCtx) anyHit(refs []acRef) bool {
	for _, r := range refs {
		if c.hits[r.aut][r.needle]&r.mask != 0 {
			return true
		}
	}
	return false
}

// scanFields runs every automaton over its field of the loaded event.
func (c *evalCtx) scanFields() {
	for k, ai := range c.set.autos {
		h := c.hits[k]
		clear(h)
		v := &c.vals[ai.key.fid]
		if !v.has {
			continue
		}
		text := v.low
		if ai.key.cased {
			text = v.raw
		}
		ai.aut.scan(text, h)
	}
}
